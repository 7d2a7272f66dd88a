package dev.palisade.dataplane.nft;

/** The packet fields that rules look up in sets. */
public enum Field {
    IP_SADDR("ip saddr"), IP_DADDR("ip daddr"), IP6_SADDR("ip6 saddr"), IP6_DADDR("ip6 daddr"),
    L4PROTO("meta l4proto"), TH_DPORT("th dport");

    private final String nft;

    Field(String nft) {
        this.nft = nft;
    }

    public String nft() {
        return nft;
    }
}
