package dev.palisade.dataplane.kernel;

/** Checks on what callers hand to {@link Nftables}, shared by the real port and its fake so they agree. */
final class NftInput {

    private NftInput() {
    }

    static String requireScript(String script) {
        if (script == null) {
            throw new IllegalArgumentException("nft script is required");
        }
        if (script.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("nft script contains a NUL character at index " + script.indexOf('\0'));
        }
        return script;
    }

    /**
     * A listing must not change anything: one {@code list} command, no second command smuggled
     * in after a newline or a {@code ;}.
     */
    static String requireListCommand(String command) {
        if (command == null) {
            throw new IllegalArgumentException("nft list command is required");
        }
        String c = command.strip();
        if (!(c.equals("list") || c.startsWith("list "))
                || c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0 || c.indexOf(';') >= 0 || c.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a single nft list command: \"" + command + "\"");
        }
        return c;
    }
}
