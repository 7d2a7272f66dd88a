package dev.palisade.agent.sync;

import dev.palisade.model.IpAddress;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A netlink socket of the calling thread's network namespace (a socket belongs to the namespace of
 * the thread that opened it), for request/answer exchanges: a dump read to its {@code NLMSG_DONE},
 * or one request and its acknowledgement. Messages are handed out as buffers in native byte order,
 * positioned at their header.
 */
final class NetlinkSocket implements AutoCloseable {

    static final int NETLINK_ROUTE = 0;
    static final int NETLINK_NETFILTER = 12;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int HEADER = 16;

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int RECV_BUFFER = 1 << 16;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    /** A kernel that does not answer must not hang the sync loop: its pass fails and is retried. */
    private static final long RECEIVE_TIMEOUT_SECONDS = 10;

    private final LibC libc = LibC.Binding.LIBC;
    private final Runtime runtime = Runtime.getRuntime(libc);
    private final int fd;
    private final byte[] buffer = new byte[RECV_BUFFER];
    private int seq;

    NetlinkSocket(int protocol) {
        fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw new IllegalStateException("netlink socket (protocol " + protocol + ") failed: errno "
                    + LastError.getLastError(runtime));
        }
        byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putLong(RECEIVE_TIMEOUT_SECONDS).putLong(0).array(); // struct timeval: seconds, microseconds
        if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length) != 0) {
            int errno = LastError.getLastError(runtime);
            libc.close(fd);
            throw new IllegalStateException("SO_RCVTIMEO on a netlink socket failed: errno " + errno);
        }
    }

    /** A message: header (length, type, flags, sequence, port 0) and body; the caller fills the body. */
    ByteBuffer message(int type, int flags, int bodyLength) {
        int len = HEADER + bodyLength;
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putShort((short) type).putShort((short) flags).putInt(++seq).putInt(0);
        return b;
    }

    /** Sends a dump request and hands every answer message to {@code each} until the dump is done. */
    void dump(ByteBuffer request, Consumer<ByteBuffer> each) {
        int want = request.getInt(8);
        send(request);
        while (true) {
            for (ByteBuffer m : receive()) {
                if (m.getInt(8) != want) {
                    continue; // an answer to an earlier, abandoned request
                }
                int type = m.getShort(4) & 0xffff;
                if (type == NLMSG_DONE) {
                    return;
                }
                if (type == NLMSG_ERROR) {
                    int errno = -m.getInt(HEADER);
                    if (errno != 0) {
                        throw new IllegalStateException("netlink dump failed: errno " + errno);
                    }
                    return;
                }
                each.accept(m);
            }
        }
    }

    /** Sends a request and returns the kernel's one answer to it (an {@code NLMSG_ERROR} included). */
    ByteBuffer answer(ByteBuffer request) {
        int want = request.getInt(8);
        send(request);
        while (true) {
            for (ByteBuffer m : receive()) {
                if (m.getInt(8) == want) {
                    return m;
                }
            }
        }
    }

    /** Sends a request with {@code NLM_F_ACK}; returns the kernel's errno (0: done). */
    int acknowledged(ByteBuffer request) {
        int want = request.getInt(8);
        send(request);
        while (true) {
            for (ByteBuffer m : receive()) {
                if (m.getInt(8) == want && (m.getShort(4) & 0xffff) == NLMSG_ERROR) {
                    return -m.getInt(HEADER);
                }
            }
        }
    }

    private void send(ByteBuffer request) {
        byte[] b = request.array();
        long n = libc.send(fd, b, b.length, 0);
        if (n != b.length) {
            throw new IllegalStateException("netlink send failed: errno " + LastError.getLastError(runtime));
        }
    }

    private List<ByteBuffer> receive() {
        long n = libc.recv(fd, buffer, buffer.length, 0);
        if (n < 0) {
            int errno = LastError.getLastError(runtime);
            throw new IllegalStateException(errno == 11 ? "no netlink answer in " + RECEIVE_TIMEOUT_SECONDS + " s"
                    : "netlink recv failed: errno " + errno);
        }
        return split(buffer, (int) n);
    }

    /** The messages of one datagram, each a buffer of its own. */
    static List<ByteBuffer> split(byte[] data, int length) {
        List<ByteBuffer> out = new ArrayList<>();
        ByteBuffer all = ByteBuffer.wrap(data, 0, length).order(ByteOrder.nativeOrder());
        int at = 0;
        while (at + HEADER <= length) {
            int len = all.getInt(at);
            if (len < HEADER || at + len > length) {
                throw new IllegalStateException("truncated netlink message (" + len + " bytes at " + at + " of " + length + ")");
            }
            byte[] one = new byte[len];
            System.arraycopy(data, at, one, 0, len);
            out.add(ByteBuffer.wrap(one).order(ByteOrder.nativeOrder()));
            at += (len + 3) & ~3;
        }
        return out;
    }

    /** One attribute: its type (flags masked off), where its value starts, and the value's length. */
    interface AttributeVisitor {
        void visit(int type, int value, int length);
    }

    /** An address attribute (4 bytes IPv4, 16 IPv6, network order) at {@code at}; null for any other length. */
    static IpAddress address(ByteBuffer m, int at, int length) {
        ByteBuffer be = m.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (length == 4) {
            return new IpAddress(IpAddress.Family.V4, 0, Integer.toUnsignedLong(be.getInt(at)));
        }
        if (length == 16) {
            return new IpAddress(IpAddress.Family.V6, be.getLong(at), be.getLong(at + 8));
        }
        return null;
    }

    /**
     * Visits the attributes (netlink {@code nlattr}: length and type in host order, value, padding to
     * four bytes) between {@code from} and {@code to}; stops at a malformed one.
     */
    static void attributes(ByteBuffer m, int from, int to, AttributeVisitor visitor) {
        int end = Math.min(to, m.limit());
        for (int at = from; at + 4 <= end; ) {
            int len = m.getShort(at) & 0xffff;
            if (len < 4 || at + len > end) {
                return;
            }
            visitor.visit(m.getShort(at + 2) & 0x3fff, at + 4, len - 4);
            at += (len + 3) & ~3;
        }
    }

    @Override
    public void close() {
        libc.close(fd);
    }
}
