package dev.palisade.agent.sync;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hears every committed nftables transaction of one network namespace as it happens: a daemon
 * thread subscribed to the {@code NFNLGRP_NFTABLES} netlink group (the one {@code nft monitor}
 * listens to) calls {@link Listener#onCommit} for each {@code NFT_MSG_NEWGEN}, which the kernel
 * sends after every commit, with the new generation and the committing thread's id and name. So
 * the agent can verify its table at once after a commit that is not its own (a hand flush, another
 * program), rather than at the next verification tick.
 *
 * <p>When notifications are lost (the socket's receive buffer overran: {@code ENOBUFS}, which a
 * large transaction's per-element messages can cause) or a datagram cannot be read, the listener
 * hears one commit with pid {@link RulesetCommit#UNKNOWN} and the generation read at that moment:
 * unknown, to be treated as foreign.
 *
 * <p>{@link #start} returns once the subscription is in place: every commit after it is heard.
 * {@link #close} stops the thread within {@link #POLL} and closes the socket.
 */
public final class RulesetEvents implements AutoCloseable {

    /** What to do with a commit; runs on the events thread, so it should hand work off, not do it. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param generation the ruleset generation after the commit, or -1 when unknown
         * @param pid        the committing thread's id in the initial pid namespace, or -1: unknown, assume foreign
         * @param process    the committing thread's name ({@code comm}), or "" when unknown
         * @param tables     the tables the commit touched ("inet palisade"), or empty when unknown
         *                   (notifications lost): assume any
         */
        void onCommit(long generation, long pid, String process, Optional<Set<String>> tables);
    }

    private static final Logger LOG = LoggerFactory.getLogger(RulesetEvents.class);

    private static final int NETLINK_NETFILTER = 12;
    private static final int NFNLGRP_NFTABLES = 7;
    /** Room for a burst of notifications: a delta of some thousand elements is a message per element. */
    private static final int RECEIVE_BUFFER = 8 << 20;

    private final Listener listener;
    private final NetlinkSubscription subscription;
    private final Set<String> touched = new HashSet<>(); // tables named by the current transaction's messages so far

    /**
     * @param netns    the network namespace to listen in ({@code /var/run/netns/<name>}), or empty for
     *                 the process's own
     * @param listener called on the events thread for every commit, in order
     */
    public RulesetEvents(Optional<String> netns, Listener listener) {
        this(netns, listener, RECEIVE_BUFFER);
    }

    /** With another receive buffer size: small ones let tests overrun it. */
    RulesetEvents(Optional<String> netns, Listener listener, int receiveBuffer) {
        this.listener = listener;
        this.subscription = new NetlinkSubscription("nftables events", "palisade-nft-events", netns,
                NETLINK_NETFILTER, new int[] {NFNLGRP_NFTABLES}, receiveBuffer, new NetlinkSubscription.Handler() {
                    @Override
                    public void datagram(byte[] buffer, int length) {
                        heard(buffer, length);
                    }

                    @Override
                    public void lost() {
                        LOG.warn("nftables notifications were lost (receive buffer overrun): treating it as a foreign commit");
                        touched.clear();
                        deliver(RulesetCommit.lost(currentGeneration()));
                    }
                });
    }

    /**
     * The calling thread's id as the kernel reports it in {@code NFTA_GEN_PROC_PID}
     * ({@code /proc/thread-self}): the id of the thread that commits, not of the process. It equals
     * the kernel's when the agent shares the host's pid namespace; in a pid namespace of its own the
     * kernel reports the host's id, which the agent cannot see, and its own commits look foreign.
     */
    public static long kernelThreadId() {
        try {
            return Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        } catch (IOException | NumberFormatException e) {
            return RulesetCommit.UNKNOWN;
        }
    }

    /** Starts the thread and returns once it is subscribed; throws when it cannot be. */
    public RulesetEvents start() {
        subscription.start();
        return this;
    }

    @Override
    public void close() {
        subscription.close();
    }

    private void heard(byte[] buffer, int length) {
        List<RulesetCommit> commits;
        try {
            commits = RulesetCommit.parse(buffer, length, touched);
        } catch (IllegalArgumentException e) {
            LOG.warn("nftables events: unreadable datagram ({}): treating it as a foreign commit", e.getMessage());
            touched.clear();
            commits = List.of(RulesetCommit.lost(currentGeneration()));
        }
        commits.forEach(this::deliver);
    }

    private void deliver(RulesetCommit c) {
        try {
            listener.onCommit(c.generation(), c.pid(), c.process(), c.tables());
        } catch (RuntimeException e) {
            LOG.error("nftables events: the listener failed on {}", c, e);
        }
    }

    /** The generation now (this thread is in the namespace), or -1 when even that cannot be read. */
    private static long currentGeneration() {
        try {
            return KernelGeneration.read();
        } catch (RuntimeException e) {
            return RulesetCommit.UNKNOWN;
        }
    }
}
