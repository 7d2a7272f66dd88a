package dev.palisade.dataplane.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nft refused a script or a command. Carries nft's own error text, verbatim, and for every error
 * nft attributed to a position, the line number and that line of the script, so a log line shows
 * what failed without the whole script.
 */
public final class NftablesException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * nft prints each error as {@code [<source>:<line>:<first>-<last>: ]Error: <message>}, followed
     * by the offending line and a caret line. The source is {@code /dev/stdin} for {@code nft -f -},
     * the file name for files, {@code <cmdline>} in older releases; input passed as a buffer gets
     * no position at all in nftables 1.0.6.
     */
    private static final Pattern ERROR = Pattern.compile(
            "^(?:(?<source>\\S.*?):(?<line>\\d+):(?<column>\\d+)(?:-\\d+)?: )?Error: (?<message>.*)$",
            Pattern.MULTILINE);

    /** One {@code Error:} nft printed. */
    public record NftError(int line, String message, String scriptLine) {

        /**
         * @param line       1-based line of the script, or 0 when nft gave no position
         * @param message    nft's message after {@code Error: }
         * @param scriptLine that line of the script, without its line break; empty when unknown
         */
        public NftError {
            if (line < 0) {
                throw new IllegalArgumentException("line " + line + " < 0");
            }
            message = message == null ? "" : message;
            scriptLine = scriptLine == null ? "" : scriptLine;
        }

        public boolean hasLine() {
            return line > 0;
        }
    }

    private final Nftables.Operation operation;
    private final String nftText;
    private final List<NftError> errors;

    /**
     * @param operation what was asked of nft
     * @param input     the script or command nft was given; lines are looked up in it
     * @param nftText   nft's error output, verbatim
     */
    public NftablesException(Nftables.Operation operation, String input, String nftText) {
        this(operation, input, nftText == null ? "" : nftText, parse(nftText == null ? "" : nftText, input));
    }

    private NftablesException(Nftables.Operation operation, String input, String nftText, List<NftError> errors) {
        super(message(operation, input, nftText, errors));
        if (operation == null) {
            throw new IllegalArgumentException("operation is required");
        }
        this.operation = operation;
        this.nftText = nftText;
        this.errors = errors;
    }

    /** What was asked of nft. */
    public Nftables.Operation operation() {
        return operation;
    }

    /** nft's own error text, verbatim. */
    public String nftText() {
        return nftText;
    }

    /** Every error nft printed, in its order. */
    public List<NftError> errors() {
        return errors;
    }

    /** The distinct script lines nft blamed, ascending; empty when it gave no position. */
    public List<Integer> failingLines() {
        return errors.stream().filter(NftError::hasLine).map(NftError::line).distinct().sorted().toList();
    }

    static List<NftError> parse(String nftText, String input) {
        String[] lines = input == null ? new String[0] : input.split("\n", -1);
        List<NftError> errors = new ArrayList<>();
        Matcher m = ERROR.matcher(nftText);
        while (m.find()) {
            String message = m.group("message").strip();
            if (m.group("line") == null) {
                errors.add(new NftError(0, message, ""));
                continue;
            }
            int line;
            try {
                line = Integer.parseInt(m.group("line"));
            } catch (NumberFormatException e) {
                errors.add(new NftError(0, message, ""));
                continue;
            }
            String text = line >= 1 && line <= lines.length ? stripCarriageReturn(lines[line - 1]) : "";
            errors.add(new NftError(line, message, text));
        }
        return List.copyOf(errors);
    }

    private static String stripCarriageReturn(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static String message(Nftables.Operation operation, String input, String nftText, List<NftError> errors) {
        StringBuilder b = new StringBuilder("nft ").append(operation).append(" failed");
        boolean script = operation == null || operation.takesScript();
        if (!script && input != null) {
            b.append(" for \"").append(input.strip()).append('"');
        }
        if (errors.isEmpty()) {
            b.append(nftText.isBlank() ? " and libnftables gave no error text" : "");
        } else {
            b.append(": ").append(errors.get(0).message());
            if (errors.size() > 1) {
                b.append(" (and ").append(errors.size() - 1).append(errors.size() == 2 ? " more error)" : " more errors)");
            }
        }
        for (NftError e : errors) {
            if (e.hasLine() && script) {
                b.append("\n  line ").append(e.line()).append(": ")
                        .append(e.scriptLine().isEmpty() && e.line() > lineCount(input) ? "(past the end of the script)" : e.scriptLine().strip())
                        .append("   <- ").append(e.message());
            }
        }
        if (!nftText.isBlank()) {
            b.append("\nnft said:\n").append(nftText.stripTrailing());
        }
        return b.toString();
    }

    private static int lineCount(String input) {
        return input == null ? 0 : input.split("\n", -1).length;
    }
}
