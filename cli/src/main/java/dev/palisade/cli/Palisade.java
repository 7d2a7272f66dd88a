package dev.palisade.cli;

import dev.palisade.manifest.ManifestReader;
import dev.palisade.manifest.ManifestSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code palisade} command: the composition root of every program. Results go to stdout,
 * diagnostics to stderr, one line each; exit status 0 ok, 1 denied by explain, 2 bad input.
 */
public final class Palisade {

    static final int OK = 0;
    static final int DENIED = 1;
    static final int BAD_INPUT = 2;

    private Palisade() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code (0 ok, 1 denied by explain, 2 bad input). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new Root())
                .addSubcommand("compile", new CompileCommand(out, err))
                .addSubcommand("explain", new ExplainCommand(out, err))
                .addSubcommand("version", new VersionCommand(out))
                .addSubcommand("operator", new OperatorCommand())
                .addSubcommand("agent", new AgentCommand(err));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // "-f a.yaml --bogus" is a mistyped option, not a file called --bogus.
        cli.setUnmatchedOptionsAllowedAsOptionParameters(false);
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.setParameterExceptionHandler((e, argv) -> {
            err.println(e.getMessage() + " (see 'palisade " + subcommandName(e.getCommandLine()) + "--help')");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("palisade: internal error: " + e);
            return BAD_INPUT;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The long-running programs log at INFO (or PALISADE_LOG_LEVEL) on stderr; this must run before
     * the first logger is created, which nothing in the CLI does earlier.
     */
    static void serverLogging() {
        System.setProperty("palisade.log.level", System.getenv().getOrDefault("PALISADE_LOG_LEVEL", "INFO"));
    }

    private static String subcommandName(CommandLine commandLine) {
        return commandLine.getParent() == null ? "" : commandLine.getCommandName() + " ";
    }

    /**
     * Reads manifests; on errors prints them (one line each) and returns empty. Notes (skipped kinds)
     * are printed only when the input is good, so an error is never buried among them.
     */
    static Optional<ManifestSet> readManifests(List<Path> paths, PrintStream err) {
        return checked(ManifestReader.read(paths, System.in), err);
    }

    /** Manifests already read: errors printed and empty, or notes printed and the manifests. */
    static Optional<ManifestSet> checked(ManifestSet manifests, PrintStream err) {
        if (manifests.hasErrors()) {
            manifests.errors().forEach(err::println);
            return Optional.empty();
        }
        manifests.diagnostics().forEach(err::println);
        return Optional.of(manifests);
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = Palisade.class.getResourceAsStream("/palisade-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    @Command(name = "palisade", mixinStandardHelpOptions = true, versionProvider = Root.Version.class,
            description = "Compiles and explains Kubernetes NetworkPolicy as Palisade enforces it.",
            footer = {"", "Exit status: 0 ok, 1 denied (explain), 2 bad input or usage."})
    static final class Root implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing required subcommand: compile, explain, version, operator or agent");
        }

        static final class Version implements CommandLine.IVersionProvider {
            @Override
            public String[] getVersion() {
                return new String[] {"palisade " + version()};
            }
        }
    }
}
