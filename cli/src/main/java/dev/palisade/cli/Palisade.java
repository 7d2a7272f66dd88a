package dev.palisade.cli;

import java.io.PrintStream;

/** The {@code palisade} command: the composition root of every program. */
public final class Palisade {

    private Palisade() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code (0 ok, 1 denied by explain, 2 bad input). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("not written yet");
        return 2;
    }
}
