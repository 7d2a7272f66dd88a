package dev.palisade.cli;

import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.util.concurrent.Callable;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Prints the version of palisade.")
final class VersionCommand implements Callable<Integer> {

    private final PrintStream out;

    VersionCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        out.println("palisade " + Palisade.version());
        return Palisade.OK;
    }
}
