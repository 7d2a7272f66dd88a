package dev.palisade.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The run that {@code bin/palisade} records a class-data sharing archive from: the commands people
 * run most ({@code compile} as nft and JSON, {@code explain} allowed and denied, the help), on the
 * netpol-demo example, with their output thrown away. An archive holds only the classes its run
 * loaded, so training on one representative run rather than on whatever command came first makes
 * every later start fast.
 */
final class CdsTraining {

    private CdsTraining() {
    }

    /** @param args the netpol-demo example's directory */
    public static void main(String[] args) {
        String example = Path.of(args[0]).toString();
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        String[][] runs = {
                {"compile", "--node", "node-1", "--manifests", example},
                {"compile", "--node", "node-1", "--manifests", example, "--format", "json"},
                {"explain", "--manifests", example, "--from", "frontend/client", "--to", "netpol-demo/web-app-1", "--port", "80"},
                {"explain", "--manifests", example, "--from", "frontend/client", "--to", "netpol-demo/database", "--port", "5432"},
                {"explain", "--help"},
                {"--version"},
        };
        for (String[] run : runs) {
            Palisade.run(run, none, none);
        }
    }
}
