package dev.palisade.agent.sync;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Datagrams of the NFNLGRP_NFTABLES group, built byte by byte as the kernel lays them out. */
class RulesetCommitTest {

    private static final int NEWTABLE = (10 << 8) | 0;
    private static final int NEWSETELEM = (10 << 8) | 12;

    @Test
    void readsANewGenMessage() {
        byte[] d = datagram(message(RulesetCommit.NEWGEN_TYPE,
                attr(1, be32(42)), attr(2, be32(4711)), attr(3, name("nft"))));

        assertEquals(List.of(new RulesetCommit(42, 4711, "nft")), RulesetCommit.parse(d, d.length));
    }

    @Test
    void theObjectMessagesBeforeACommitNameTheTablesItTouchedInOrder() {
        byte[] d = datagram(
                message(NEWTABLE, attr(1, name("palisade")), attr(2, be32(0))),
                message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(7)), attr(2, be32(100)), attr(3, name("nft"))),
                message(NEWSETELEM, attr(1, name("palisade")), attr(2, name("in_iso4"))),
                message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(8)), attr(2, be32(200)), attr(3, name("palisade-sync"))));

        assertEquals(List.of(new RulesetCommit(7, 100, "nft", Optional.of(Set.of("inet palisade"))),
                new RulesetCommit(8, 200, "palisade-sync", Optional.of(Set.of("inet palisade")))),
                RulesetCommit.parse(d, d.length));
    }

    @Test
    void aTransactionSpreadOverDatagramsKeepsItsTables() {
        Set<String> touched = new java.util.HashSet<>();
        byte[] first = datagram(message(NEWTABLE, attr(1, name("kube-proxy"))), message(NEWSETELEM, attr(1, name("palisade"))));
        byte[] second = datagram(message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(9)), attr(2, be32(5)), attr(3, name("nft"))));

        assertEquals(List.of(), RulesetCommit.parse(first, first.length, touched));
        List<RulesetCommit> commits = RulesetCommit.parse(second, second.length, touched);
        assertEquals(List.of(new RulesetCommit(9, 5, "nft", Optional.of(Set.of("inet kube-proxy", "inet palisade")))), commits);
        assertTrue(touched.isEmpty(), "the commit took them");
        byte[] other = datagram(message(NEWTABLE, attr(1, name("kube-proxy"))),
                message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(10)), attr(2, be32(5)), attr(3, name("nft"))));
        RulesetCommit kubeProxy = RulesetCommit.parse(other, other.length, touched).get(0);
        assertTrue(kubeProxy.mayTouch("inet kube-proxy") && !kubeProxy.mayTouch("inet palisade"), kubeProxy.toString());
    }

    @Test
    void attributesInAnyOrderUnknownOnesSkippedANameWithoutItsNul() {
        byte[] d = datagram(message(RulesetCommit.NEWGEN_TYPE,
                attr(3, "iptables-nft".getBytes(StandardCharsets.UTF_8)), attr(9, new byte[] {1, 2, 3}),
                attr(2 | 0x4000, be32(1)), attr(1, be32(0xfffffffe))));

        assertEquals(List.of(new RulesetCommit(4294967294L, 1, "iptables-nft")), RulesetCommit.parse(d, d.length));
    }

    @Test
    void aNewGenWithoutCommitterReadsAsUnknown() {
        // kernels before 4.20 send only NFTA_GEN_ID
        byte[] d = datagram(message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(3))));

        assertEquals(List.of(new RulesetCommit(3, RulesetCommit.UNKNOWN, "")), RulesetCommit.parse(d, d.length));
    }

    @Test
    void onlyTheReceivedLengthCounts() {
        byte[] one = datagram(message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(5))));
        byte[] buffer = new byte[4096];
        System.arraycopy(one, 0, buffer, 0, one.length);
        buffer[one.length] = 99; // what an earlier, longer datagram left in the buffer

        assertEquals(1, RulesetCommit.parse(buffer, one.length).size());
        assertEquals(List.of(), RulesetCommit.parse(buffer, 0));
    }

    @Test
    void refusesMessagesAndAttributesThatRunPastTheirEnd() {
        byte[] d = datagram(message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(5))));
        assertThrows(IllegalArgumentException.class, () -> RulesetCommit.parse(d, d.length - 4));

        byte[] badAttr = datagram(message(RulesetCommit.NEWGEN_TYPE, attr(1, be32(5))));
        ByteBuffer.wrap(badAttr).order(ByteOrder.nativeOrder()).putShort(20, (short) 64); // nla_len past the message
        assertThrows(IllegalArgumentException.class, () -> RulesetCommit.parse(badAttr, badAttr.length));
    }

    @Test
    void aLostNotificationIsAnUnknownCommitter() {
        assertEquals(new RulesetCommit(12, -1, "", Optional.empty()), RulesetCommit.lost(12));
        assertTrue(RulesetCommit.lost(12).mayTouch("inet palisade"), "lost notifications may have touched any table");
    }

    // ---- building datagrams ----

    private static byte[] datagram(byte[]... messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    /** nlmsghdr (native order), nfgenmsg (family, version, res_id), then the attributes. */
    private static byte[] message(int type, byte[]... attributes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        // the kernel's family: NFPROTO_INET for the objects of an inet table, AF_UNSPEC for NEWGEN
        body.writeBytes(new byte[] {(byte) (type == RulesetCommit.NEWGEN_TYPE ? 0 : 1), 0, 0, 0});
        for (byte[] a : attributes) {
            body.writeBytes(a);
        }
        int len = 16 + body.size();
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        b.putInt(len).putShort((short) type).putShort((short) 0).putInt(0).putInt(0).put(body.toByteArray());
        return b.array();
    }

    /** nlattr: length and type in native order, the payload, padded to 4 bytes. */
    private static byte[] attr(int type, byte[] payload) {
        int len = 4 + payload.length;
        ByteBuffer b = ByteBuffer.allocate((len + 3) & ~3).order(ByteOrder.nativeOrder());
        b.putShort((short) len).putShort((short) type).put(payload);
        return b.array();
    }

    private static byte[] be32(long v) {
        return ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt((int) v).array();
    }

    private static byte[] name(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }
}
