package dev.palisade.dataplane.kernel;

import dev.palisade.model.IpAddress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * TCP connection attempts from a pod: the socket belongs to the network namespace of the thread
 * that opens it, so these run on a {@link NetnsThread} of the source pod. A completed handshake
 * means the SYN crossed the node; a drop shows as a timeout (Palisade drops, it never rejects).
 * Sockets close with a reset (linger 0), so thousands of probes leave no TIME_WAIT behind.
 */
public final class TcpProbe {

    public enum Outcome {
        /** The handshake completed: the SYN got through. */
        CONNECTED,
        /** A reset came back: the SYN got through, nothing listened. */
        REFUSED,
        /** Nothing came back in time: dropped (or a very slow kernel). */
        TIMED_OUT;

        /** Whether the SYN reached the destination. */
        public boolean reached() {
            return this != TIMED_OUT;
        }
    }

    private TcpProbe() {
    }

    /** One blocking attempt from the calling thread's namespace. */
    public static Outcome connect(IpAddress to, int port, Duration timeout) {
        try (Socket s = new Socket()) {
            s.setSoLinger(true, 0);
            s.connect(address(to, port), (int) timeout.toMillis());
            return Outcome.CONNECTED;
        } catch (SocketTimeoutException e) {
            return Outcome.TIMED_OUT;
        } catch (ConnectException e) {
            if (String.valueOf(e.getMessage()).contains("refused")) {
                return Outcome.REFUSED;
            }
            throw new UncheckedIOException("connect to " + to + ":" + port + " failed", e);
        } catch (IOException e) {
            throw new UncheckedIOException("connect to " + to + ":" + port + " failed", e);
        }
    }

    static InetSocketAddress address(IpAddress to, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(to.toString()), port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a {@link Loop} connects to. */
    public record Target(String name, IpAddress address, int port) {
    }

    /**
     * One attempt of a {@link Loop}. {@code start} is taken just before the SYN is sent; {@code end}
     * when the outcome was seen: the handshake's completion (or later, if the loop was busy) or the
     * timeout. The SYN met the node's rules at some time within [start, end].
     */
    public record Attempt(int target, long start, long end, Outcome outcome) {
    }

    /**
     * Starts a non-blocking connection attempt every {@code period}, cycling over the targets,
     * whatever the outcome of the previous ones, until {@link #stop()}. Times are
     * {@link System#nanoTime()}.
     */
    public static final class Loop {

        private final List<Target> targets;
        private final long periodNanos;
        private final long timeoutNanos;
        private final List<Attempt> attempts = new ArrayList<>();
        private volatile boolean stopped;

        public Loop(List<Target> targets, Duration period, Duration timeout) {
            this.targets = List.copyOf(targets);
            this.periodNanos = period.toNanos();
            this.timeoutNanos = timeout.toNanos();
        }

        private record Pending(int target, long start, SocketChannel channel) {
        }

        /** Runs on the calling thread (in the source pod's namespace) until {@link #stop()}. */
        public void run() throws IOException {
            List<InetSocketAddress> addresses = targets.stream().map(t -> address(t.address(), t.port())).toList();
            List<Pending> pending = new ArrayList<>();
            try (Selector selector = Selector.open()) {
                long next = System.nanoTime();
                int count = 0;
                while (!stopped) {
                    long now = System.nanoTime();
                    if (now >= next) {
                        int target = count++ % targets.size();
                        SocketChannel ch = SocketChannel.open();
                        ch.configureBlocking(false);
                        ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                        long start = System.nanoTime();
                        boolean done;
                        try {
                            done = ch.connect(addresses.get(target));
                        } catch (ConnectException e) {
                            record(new Attempt(target, start, System.nanoTime(), Outcome.REFUSED), ch);
                            continue;
                        }
                        if (done) {
                            record(new Attempt(target, start, System.nanoTime(), Outcome.CONNECTED), ch);
                        } else {
                            Pending p = new Pending(target, start, ch);
                            ch.register(selector, SelectionKey.OP_CONNECT, p);
                            pending.add(p);
                        }
                        // a late loop catches up with the schedule, but without a burst
                        next = Math.max(next + periodNanos, System.nanoTime() - periodNanos);
                    }
                    long wait = Math.max(1, (next - System.nanoTime()) / 1_000_000);
                    selector.select(wait);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Pending p = (Pending) key.attachment();
                        if (finish(p, false)) {
                            pending.remove(p);
                        }
                    }
                    long t = System.nanoTime();
                    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
                        Pending p = it.next();
                        if (t - p.start() >= timeoutNanos && finish(p, true)) {
                            it.remove();
                        }
                    }
                }
                for (Pending p : pending) {
                    p.channel().close(); // unfinished at the end: no outcome, not recorded
                }
            }
        }

        /** Records the attempt's outcome if it has one (or the deadline passed); true when it did. */
        private boolean finish(Pending p, boolean deadline) throws IOException {
            Outcome outcome;
            try {
                outcome = p.channel().finishConnect() ? Outcome.CONNECTED
                        : deadline ? Outcome.TIMED_OUT : null;
            } catch (ConnectException e) {
                outcome = Outcome.REFUSED;
            } catch (IOException e) {
                outcome = Outcome.TIMED_OUT; // no route, host unreachable: the SYN did not get through
            }
            if (outcome == null) {
                return false; // spurious wakeup; the deadline check will settle it
            }
            record(new Attempt(p.target(), p.start(), System.nanoTime(), outcome), p.channel());
            return true;
        }

        private void record(Attempt a, SocketChannel ch) throws IOException {
            ch.close();
            synchronized (attempts) {
                attempts.add(a);
            }
        }

        public void stop() {
            stopped = true;
        }

        public List<Attempt> attempts() {
            synchronized (attempts) {
                return List.copyOf(attempts);
            }
        }
    }
}
