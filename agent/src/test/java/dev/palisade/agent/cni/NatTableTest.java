package dev.palisade.agent.cni;

import dev.palisade.dataplane.nft.Limits;
import dev.palisade.model.Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NatTableTest {

    @Test
    void oneTransactionReplacingTheNatTable() {
        String script = NatTable.script("n1", List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("10.244.1.0/24"),
                Cidr.parse("fd00:1::/64")));
        assertEquals("""
                add table inet palisade-nat
                delete table inet palisade-nat
                table inet palisade-nat {
                \tcomment "palisade: pod masquerade for node n1"
                \tset cluster4 {
                \t\ttype ipv4_addr
                \t\tflags interval
                \t\tcomment "the cluster's pod CIDRs"
                \t\telements = { 10.244.1.0-10.244.2.255 }
                \t}
                \tset cluster6 {
                \t\ttype ipv6_addr
                \t\tflags interval
                \t\tcomment "the cluster's pod CIDRs"
                \t\telements = { fd00:1::-fd00:1::ffff:ffff:ffff:ffff }
                \t}
                \tchain postrouting {
                \t\ttype nat hook postrouting priority srcnat; policy accept;
                \t\tip saddr @cluster4 ip daddr != @cluster4 masquerade comment "pod traffic leaving the cluster"
                \t\tip6 saddr @cluster6 ip6 daddr != @cluster6 masquerade comment "pod traffic leaving the cluster"
                \t}
                }
                """, script);
    }

    @Test
    void aNodeWithTheLongestNameGetsACommentNftAccepts() {
        String node = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61); // 253
        String comment = NatTable.script(node, List.of(Cidr.parse("10.244.1.0/24"))).lines()
                .filter(l -> l.startsWith("\tcomment ")).findFirst().orElseThrow();
        assertEquals("\tcomment \"" + Limits.label("palisade: pod masquerade for node ", node) + "\"", comment);
        assertEquals(Limits.COMMENT_MAX_BYTES, comment.length() - "\tcomment \"\"".length(), comment);
    }
}
