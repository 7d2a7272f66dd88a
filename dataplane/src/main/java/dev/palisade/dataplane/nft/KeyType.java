package dev.palisade.dataplane.nft;

/** The nftables data types that set keys are concatenated from. */
public enum KeyType {
    IPV4_ADDR("ipv4_addr"), IPV6_ADDR("ipv6_addr"), INET_PROTO("inet_proto"), INET_SERVICE("inet_service");

    private final String nft;

    KeyType(String nft) {
        this.nft = nft;
    }

    public String nft() {
        return nft;
    }
}
