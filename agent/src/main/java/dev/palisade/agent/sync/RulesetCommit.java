package dev.palisade.agent.sync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One committed nftables transaction as the kernel announces it to the {@code NFNLGRP_NFTABLES}
 * group: an {@code NFT_MSG_NEWGEN} message, sent after every commit, carrying the new ruleset
 * generation and the task that committed ({@code NFTA_GEN_PROC_PID}: the kernel's
 * {@code task_pid_nr(current)}, the committing thread's id in the initial pid namespace;
 * {@code NFTA_GEN_PROC_NAME}: that thread's {@code comm}). Pure: {@link #parse} reads datagrams.
 *
 * @param generation the ruleset generation after the commit, or {@link #UNKNOWN}
 * @param pid        the committing thread's id, or {@link #UNKNOWN}: a lost notification, whose
 *                   committer must be assumed foreign
 * @param process    the committing thread's name ({@code comm}, at most 15 bytes), or "" when unknown
 * @param tables     the tables the transaction touched ("inet palisade"), from the object messages
 *                   that precede its {@code NFT_MSG_NEWGEN}; empty when unknown (notifications lost)
 */
record RulesetCommit(long generation, long pid, String process, Optional<Set<String>> tables) {

    static final long UNKNOWN = -1;

    static final int NFNL_SUBSYS_NFTABLES = 10;
    static final int NFT_MSG_NEWGEN = 15;
    static final int NEWGEN_TYPE = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN;
    static final int NFTA_GEN_ID = 1;
    static final int NFTA_GEN_PROC_PID = 2;
    static final int NFTA_GEN_PROC_NAME = 3;

    private static final int NLMSG_HEADER = 16;
    private static final int NFGENMSG = 4;
    private static final int NLA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER

    RulesetCommit {
        if (process == null) {
            throw new IllegalArgumentException("process is \"\" when unknown, not null");
        }
        tables = tables.map(t -> Collections.unmodifiableSet(new TreeSet<>(t)));
    }

    /** A commit that touched no table (or whose tables do not matter to the caller). */
    RulesetCommit(long generation, long pid, String process) {
        this(generation, pid, process, Optional.of(Set.of()));
    }

    /** Notifications were lost (the socket's buffer overran): some commit, by someone, of any table. */
    static RulesetCommit lost(long generation) {
        return new RulesetCommit(generation, UNKNOWN, "", Optional.empty());
    }

    /** Whether the commit may have touched {@code table} ("inet palisade"): unknown counts as yes. */
    boolean mayTouch(String table) {
        return tables.isEmpty() || tables.get().contains(table);
    }

    /**
     * The commits announced in one netlink datagram (several messages may share one), in order.
     * Messages other than {@code NFT_MSG_NEWGEN} (the new table, chain, rule, set and element
     * messages of the same group) are skipped.
     *
     * @throws IllegalArgumentException when a message or attribute runs past the datagram
     */
    static List<RulesetCommit> parse(byte[] data, int length) {
        return parse(data, length, new HashSet<>());
    }

    /**
     * As {@link #parse(byte[], int)}, across datagrams: the tables named by object messages (a new or
     * deleted table, chain, rule, set, element, object or flowtable: their attribute 1 is the table's
     * name) are gathered in {@code touched} until the transaction's {@code NFT_MSG_NEWGEN}, which takes
     * them and empties it.
     */
    static List<RulesetCommit> parse(byte[] data, int length, Set<String> touched) {
        ByteBuffer b = ByteBuffer.wrap(data, 0, length).order(ByteOrder.nativeOrder());
        List<RulesetCommit> out = new ArrayList<>();
        int at = 0;
        while (at + NLMSG_HEADER <= length) {
            int len = b.getInt(at);
            int type = b.getShort(at + 4) & 0xffff;
            if (len < NLMSG_HEADER || at + len > length) {
                throw new IllegalArgumentException("netlink message of " + len + " bytes at " + at + " in a datagram of "
                        + length);
            }
            if (type == NEWGEN_TYPE) {
                out.add(newGen(b, at + NLMSG_HEADER + NFGENMSG, at + len, touched));
                touched.clear();
            } else if ((type >> 8) == NFNL_SUBSYS_NFTABLES && len >= NLMSG_HEADER + NFGENMSG) {
                String table = tableName(b, at + NLMSG_HEADER + NFGENMSG, at + len);
                if (table != null) {
                    touched.add(family(b.get(at + NLMSG_HEADER) & 0xff) + " " + table);
                }
            }
            at += align(len);
        }
        return out;
    }

    /** Attribute 1 of an nftables object message: the name of its table. */
    private static String tableName(ByteBuffer b, int from, int end) {
        String[] name = {null};
        attributes(b, from, end, (type, value, length) -> {
            if (type == 1 && name[0] == null) {
                name[0] = string(b, value, length);
            }
        });
        return name[0];
    }

    /** Visits the attributes between {@code from} and {@code end}; a malformed one is an error here. */
    private static void attributes(ByteBuffer b, int from, int end, NetlinkSocket.AttributeVisitor visitor) {
        int at = from;
        while (at + 4 <= end) {
            int alen = b.getShort(at) & 0xffff;
            int atype = b.getShort(at + 2) & NLA_TYPE_MASK;
            if (alen < 4 || at + alen > end) {
                throw new IllegalArgumentException("netlink attribute of " + alen + " bytes at " + at + " past " + end);
            }
            visitor.visit(atype, at + 4, alen - 4);
            at += align(alen);
        }
    }

    /** nft's name of an nfgenmsg family (NFPROTO_*). */
    static String family(int nfproto) {
        switch (nfproto) {
            case 1:
                return "inet";
            case 2:
                return "ip";
            case 3:
                return "arp";
            case 5:
                return "netdev";
            case 7:
                return "bridge";
            case 10:
                return "ip6";
            default:
                return "family" + nfproto;
        }
    }

    private static RulesetCommit newGen(ByteBuffer b, int from, int end, Set<String> touched) {
        long[] genAndPid = {UNKNOWN, UNKNOWN};
        String[] process = {""};
        attributes(b, from, end, (type, value, length) -> {
            if (type == NFTA_GEN_ID && length >= 4) {
                genAndPid[0] = bigEndianU32(b, value);
            } else if (type == NFTA_GEN_PROC_PID && length >= 4) {
                genAndPid[1] = bigEndianU32(b, value);
            } else if (type == NFTA_GEN_PROC_NAME) {
                process[0] = string(b, value, length);
            }
        });
        return new RulesetCommit(genAndPid[0], genAndPid[1], process[0], Optional.of(touched));
    }

    /** A NUL-terminated string attribute (the NUL may be missing). */
    private static String string(ByteBuffer b, int from, int length) {
        int n = 0;
        while (n < length && b.get(from + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = b.get(from + i);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** nftables attributes are in network byte order, unlike the netlink headers around them. */
    private static long bigEndianU32(ByteBuffer b, int at) {
        return ((b.get(at) & 0xffL) << 24) | ((b.get(at + 1) & 0xffL) << 16) | ((b.get(at + 2) & 0xffL) << 8)
                | (b.get(at + 3) & 0xffL);
    }

    private static int align(int len) {
        return (len + 3) & ~3;
    }
}
