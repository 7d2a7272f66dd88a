package dev.palisade.dataplane.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Nftables} over libnftables (the library behind the {@code nft} command), called through
 * jnr-ffi. One instance owns one {@code struct nft_ctx}.
 *
 * <p><b>Thread confinement.</b> An instance may only be used on the thread that created it; any
 * other thread gets {@link IllegalStateException}. libnftables contexts are not thread safe (the
 * rule cache, the output and error buffers and the netlink sequence numbers are shared, unlocked
 * state), and the context's netlink socket belongs to the network namespace of the thread that
 * opened it, so moving a context between threads could also silently move it between namespaces.
 *
 * <p><b>Scripts go through a memfd, not a buffer.</b> libnftables 1.0.6 reports no position for
 * errors in input given with {@code nft_run_cmd_from_buffer}, and quotes the first line of the
 * buffer instead of the failing one. For a file it prints {@code <file>:<line>:<col>-<col>: Error: ...}
 * and the right line. So {@link #run} and {@link #check} write the script to an anonymous memory
 * file ({@code memfd_create(2)}) and pass {@code /proc/self/fd/<n>}; a file is parsed whole and
 * committed as one transaction exactly like a buffer. The path is replaced by {@code <script>} in
 * the error text so messages do not depend on descriptor numbers. One-line {@code list} commands
 * use the buffer call.
 */
public final class LibNftables implements Nftables {

    /** Where Debian and Ubuntu on x86-64 install the runtime library (package libnftables1). */
    public static final Path DEFAULT_LIBRARY_PATH = Path.of("/usr/lib/x86_64-linux-gnu/libnftables.so.1");

    /** How errors name the script in {@link NftablesException#nftText()}. */
    public static final String SCRIPT_SOURCE_NAME = "<script>";

    private static final Logger log = LoggerFactory.getLogger(LibNftables.class);

    // libnftables.h
    private static final int NFT_CTX_DEFAULT = 0;
    private static final int NFT_CTX_OUTPUT_JSON = 1 << 4;
    // linux/memfd.h
    private static final int MFD_CLOEXEC = 0x0001;

    /**
     * The C functions used, with the signatures of libnftables.h in nftables 1.0.6. Public only
     * because jnr-ffi implements it in a class loader of its own; not for callers.
     */
    public interface Native {
        Pointer nft_ctx_new(int flags);

        void nft_ctx_free(Pointer ctx);

        int nft_ctx_buffer_output(Pointer ctx);

        int nft_ctx_buffer_error(Pointer ctx);

        /** Returns the buffered output and empties the buffer. */
        Pointer nft_ctx_get_output_buffer(Pointer ctx);

        /** Returns the buffered errors and empties the buffer. */
        Pointer nft_ctx_get_error_buffer(Pointer ctx);

        int nft_run_cmd_from_buffer(Pointer ctx, @In byte[] buf);

        int nft_run_cmd_from_filename(Pointer ctx, @In byte[] filename);

        int nft_ctx_output_get_flags(Pointer ctx);

        void nft_ctx_output_set_flags(Pointer ctx, int flags);

        void nft_ctx_set_dry_run(Pointer ctx, boolean dry);
    }

    /** The two libc calls for the memfd. Public only for jnr-ffi, as {@link Native}. */
    public interface LibC {
        @SaveError
        int memfd_create(@In byte[] name, int flags);

        int close(int fd);
    }

    private static Native defaultNative;

    private static final class LibCBinding {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
    }

    private final Native nft;
    private final LibC libc = LibCBinding.LIBC;
    private final Thread owner;
    private Pointer ctx;

    private LibNftables(Native nft) {
        this.nft = nft;
        this.owner = Thread.currentThread();
        Pointer c = nft.nft_ctx_new(NFT_CTX_DEFAULT);
        if (c == null || c.address() == 0) {
            throw new IllegalStateException("nft_ctx_new returned NULL");
        }
        if (nft.nft_ctx_buffer_output(c) != 0 || nft.nft_ctx_buffer_error(c) != 0) {
            nft.nft_ctx_free(c);
            throw new IllegalStateException("libnftables could not buffer its output and error streams");
        }
        this.ctx = c;
    }

    /**
     * Opens a context on the calling thread, in that thread's network namespace, with the library
     * found by its soname ({@code libnftables.so.1} through the name {@code nftables}) or else at
     * {@link #DEFAULT_LIBRARY_PATH}.
     */
    public static LibNftables open() {
        return new LibNftables(defaultNative());
    }

    /** Opens a context on the calling thread with the library at exactly {@code library}. */
    public static LibNftables open(Path library) {
        Objects.requireNonNull(library, "library");
        try {
            return new LibNftables(load(library.toString()));
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load libnftables from " + library + ": " + e.getMessage(), e);
        }
    }

    /** Loads once per process; a failure is thrown to every caller, not cached as a broken class. */
    private static synchronized Native defaultNative() {
        if (defaultNative == null) {
            defaultNative = loadDefault();
        }
        return defaultNative;
    }

    private static Native loadDefault() {
        try {
            return load("nftables");
        } catch (UnsatisfiedLinkError bySoname) {
            // jnr-ffi looks for libnftables.so (shipped only by libnftables-dev) or libnftables.so.<n>
            // in its own search path, which need not include the multiarch directory.
            try {
                return load(DEFAULT_LIBRARY_PATH.toString());
            } catch (UnsatisfiedLinkError byPath) {
                IllegalStateException e = new IllegalStateException(
                        "cannot load libnftables: neither by name \"nftables\" (" + bySoname.getMessage()
                                + ") nor from " + DEFAULT_LIBRARY_PATH + " (" + byPath.getMessage()
                                + "); install the libnftables1 package or configure the library path");
                e.addSuppressed(bySoname);
                e.addSuppressed(byPath);
                throw e;
            }
        }
    }

    private static Native load(String library) {
        return LibraryLoader.create(Native.class).failImmediately().load(library);
    }

    @Override
    public void run(String script) {
        runScript(Operation.RUN, NftInput.requireScript(script));
    }

    @Override
    public void check(String script) {
        NftInput.requireScript(script);
        Pointer c = context();
        nft.nft_ctx_set_dry_run(c, true);
        try {
            runScript(Operation.CHECK, script);
        } finally {
            nft.nft_ctx_set_dry_run(c, false);
        }
    }

    @Override
    public String list(String command) {
        return query(Operation.LIST, NftInput.requireListCommand(command), 0);
    }

    @Override
    public String listJson(String command) {
        return query(Operation.LIST_JSON, NftInput.requireListCommand(command), NFT_CTX_OUTPUT_JSON);
    }

    @Override
    public void close() {
        if (ctx == null) {
            return;
        }
        requireOwner();
        Pointer c = ctx;
        ctx = null;
        nft.nft_ctx_free(c);
    }

    private void runScript(Operation operation, String script) {
        Pointer c = context();
        int fd = libc.memfd_create(cString("palisade-nft"), MFD_CLOEXEC);
        if (fd < 0) {
            int errno = LastError.getLastError(Runtime.getRuntime(libc));
            throw new IllegalStateException("memfd_create failed with errno " + errno + " before nft " + operation);
        }
        String path = "/proc/self/fd/" + fd;
        int rc;
        try {
            Files.write(Path.of(path), script.getBytes(StandardCharsets.UTF_8));
            rc = nft.nft_run_cmd_from_filename(c, cString(path));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the nft script to " + path + " for nft " + operation, e);
        } finally {
            libc.close(fd);
        }
        drain(c, operation, script, rc, path);
    }

    private String query(Operation operation, String command, int extraFlags) {
        Pointer c = context();
        int flags = nft.nft_ctx_output_get_flags(c);
        nft.nft_ctx_output_set_flags(c, flags | extraFlags);
        int rc;
        try {
            rc = nft.nft_run_cmd_from_buffer(c, cString(command));
        } finally {
            nft.nft_ctx_output_set_flags(c, flags);
        }
        return drain(c, operation, command, rc, null);
    }

    /**
     * Reads and so empties both buffers after every command; libnftables appends to them until
     * they are read, and a listing must not return the leftovers of an earlier command.
     */
    private String drain(Pointer c, Operation operation, String input, int rc, String sourcePath) {
        String output = string(nft.nft_ctx_get_output_buffer(c));
        String errors = string(nft.nft_ctx_get_error_buffer(c));
        if (sourcePath != null) {
            errors = errors.replace(sourcePath + ":", SCRIPT_SOURCE_NAME + ":");
        }
        if (rc != 0) {
            throw new NftablesException(operation, input, errors);
        }
        if (!errors.isBlank()) {
            log.warn("nft {} succeeded with messages: {}", operation, errors.strip());
        }
        return output;
    }

    private Pointer context() {
        requireOwner();
        if (ctx == null) {
            throw new IllegalStateException("libnftables context is closed");
        }
        return ctx;
    }

    private void requireOwner() {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException("libnftables context of thread \"" + owner.getName()
                    + "\" used from thread \"" + current.getName()
                    + "\": contexts are not thread safe and their netlink socket is bound to the"
                    + " network namespace of the thread that created them");
        }
    }

    private static byte[] cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, z, 0, bytes.length);
        return z;
    }

    private static String string(Pointer p) {
        if (p == null || p.address() == 0) {
            return "";
        }
        int length = p.indexOf(0, (byte) 0);
        if (length <= 0) {
            return "";
        }
        byte[] bytes = new byte[length];
        p.get(0, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
