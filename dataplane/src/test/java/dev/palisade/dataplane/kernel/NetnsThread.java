package dev.palisade.dataplane.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

/**
 * One dedicated thread that has entered a named network namespace, and runs the tasks given to it.
 *
 * <p>{@code setns(2)} with {@code CLONE_NEWNET} moves only the calling thread, and a netlink socket
 * belongs to the namespace its creating thread was in. So a {@link LibNftables} created by a task
 * here talks to this namespace's nftables for its whole life, and must be used only here (which
 * it enforces). The thread is never reused for anything else and never replaced: a pool that
 * replaced a dead worker would run later tasks in the host's namespace.
 *
 * <p>Test-only (shared with other modules through the test-jar): the agent runs in the host's namespace.
 */
public final class NetnsThread implements AutoCloseable {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    /** libc calls for entering a namespace. Public for jnr-ffi only. */
    public interface LibC {
        @SaveError
        int open(@In byte[] path, int flags);

        @SaveError
        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final class Binding {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
    }

    private static final Runnable STOP = () -> { };

    private final String netns;
    private final Thread thread;
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    private NetnsThread(String netns) {
        this.netns = netns;
        this.thread = new Thread(this::loop, "netns-" + netns);
        this.thread.setDaemon(true);
    }

    /** Starts a thread in {@code /var/run/netns/<netns>}; throws if it could not enter it. */
    public static NetnsThread enter(String netns) {
        NetnsThread t = new NetnsThread(netns);
        CompletableFuture<Void> entered = new CompletableFuture<>();
        t.tasks.add(() -> {
            try {
                enterOnThisThread(Path.of("/var/run/netns", netns));
                entered.complete(null);
            } catch (RuntimeException | Error e) {
                entered.completeExceptionally(e);
                throw e;
            }
        });
        t.thread.start();
        try {
            entered.get();
        } catch (ExecutionException e) {
            t.close();
            throw new IllegalStateException("thread could not enter network namespace " + netns, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            t.close();
            throw new IllegalStateException("interrupted while entering network namespace " + netns, e);
        }
        return t;
    }

    /** Runs {@code task} on the namespace's thread and returns its result; its exceptions are rethrown as they are. */
    public <T> T call(Callable<T> task) {
        if (closed) {
            throw new IllegalStateException("thread in network namespace " + netns + " is closed");
        }
        FutureTask<T> future = new FutureTask<>(task);
        tasks.add(future);
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("task in network namespace " + netns + " failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a task in network namespace " + netns, e);
        }
    }

    /** Runs {@code task} on the namespace's thread. */
    public void run(Task task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** A task that returns nothing and may throw. */
    public interface Task {
        void run() throws Exception;
    }

    /** The thread; for tests that must call from it or prove they do not. */
    public Thread thread() {
        return thread;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tasks.add(STOP);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            while (true) {
                Runnable task = tasks.take();
                if (task == STOP) {
                    return;
                }
                task.run(); // FutureTask keeps its task's exceptions; only the entry task can throw here
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // could not enter the namespace: end the thread, so nothing runs in the wrong one
            tasks.clear();
        }
    }

    private static void enterOnThisThread(Path nsFile) {
        LibC libc = Binding.LIBC;
        Runtime runtime = Runtime.getRuntime(libc);
        int fd = libc.open(cString(nsFile.toString()), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open " + nsFile + " failed with errno " + LastError.getLastError(runtime));
        }
        try {
            if (libc.setns(fd, CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns(" + nsFile + ", CLONE_NEWNET) failed with errno "
                        + LastError.getLastError(runtime));
            }
        } finally {
            libc.close(fd);
        }
        // Trust but verify: a silent failure here would point a test's nft commands at the host.
        long want = inode(nsFile);
        String link = readLink(Path.of("/proc/thread-self/ns/net"));
        if (!link.equals("net:[" + want + "]")) {
            throw new IllegalStateException("after setns the thread is in " + link + ", not in " + nsFile
                    + " (net:[" + want + "])");
        }
    }

    private static long inode(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
        } catch (IOException e) {
            throw new IllegalStateException("cannot stat " + p, e);
        }
    }

    private static String readLink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p, e);
        }
    }

    private static byte[] cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, z, 0, bytes.length);
        return z;
    }
}
