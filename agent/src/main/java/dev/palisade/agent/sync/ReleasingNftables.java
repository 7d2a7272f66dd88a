package dev.palisade.agent.sync;

import dev.palisade.dataplane.kernel.Nftables;

import java.util.function.Supplier;

/**
 * An {@link Nftables} that frees libnftables' memory after large operations: it closes its context
 * after any script or listing larger than {@link #LARGE} characters, opens a new one on the next call
 * (on the same thread), and gives the freed memory back to the kernel.
 *
 * <p>Why: a libnftables context keeps its cache of the ruleset, every set element included, for its
 * whole life: after applying a 100,000-element table the agent would keep some 140 MB of C memory
 * that only that context can free. Keeping the context buys nothing between the agent's commits:
 * each commit moves the ruleset generation, and libnftables refetches its cache whenever the
 * generation moved. Small operations (a few changed elements) keep the context.
 */
public final class ReleasingNftables implements Nftables {

    static final int LARGE = 64 * 1024;

    private final Supplier<Nftables> open;
    private Nftables current;

    public ReleasingNftables(Supplier<Nftables> open) {
        this.open = open;
    }

    private Nftables ctx() {
        if (current == null) {
            current = open.get();
        }
        return current;
    }

    private void releaseIf(int size) {
        if (size > LARGE && current != null) {
            current.close();
            current = null;
            NativeMemory.trim();
        }
    }

    @Override
    public void run(String script) {
        try {
            ctx().run(script);
        } finally {
            releaseIf(script.length());
        }
    }

    @Override
    public void check(String script) {
        try {
            ctx().check(script);
        } finally {
            releaseIf(script.length());
        }
    }

    @Override
    public String list(String command) {
        String out = ctx().list(command);
        releaseIf(out.length());
        return out;
    }

    @Override
    public String listJson(String command) {
        String out = ctx().listJson(command);
        releaseIf(out.length());
        return out;
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
