import dev.palisade.dataplane.kernel.LibNftables;

/**
 * Proves, inside the image's root filesystem, that the agent's kernel port works there: jnr-ffi
 * finds libnftables.so.1 where LibNftables expects it, and a transaction and a listing go through
 * the library to the kernel. image/check-rootfs.sh compiles it against the image's jars and runs
 * it with chroot in a fresh network namespace, so nothing on the host is touched.
 * It can go once {@code palisade agent --self-check} exists: check-rootfs.sh prefers that.
 */
public final class NftablesSelfCheck {

    private NftablesSelfCheck() {
    }

    public static void main(String[] args) {
        String table = "palisade_image_check";
        try (LibNftables nft = LibNftables.open()) {
            nft.run("add table inet " + table + "\n"
                    + "add set inet " + table + " pods { type ipv4_addr; flags interval; elements = { 10.244.0.0/24 } }\n"
                    + "add chain inet " + table + " forward { type filter hook forward priority 0; policy accept; }\n"
                    + "add rule inet " + table + " forward ip daddr @pods ct state established,related accept\n");
            String tables = nft.list("list tables");
            String set = nft.list("list set inet " + table + " pods");
            if (!tables.contains("table inet " + table) || !set.contains("10.244.0.0/24")) {
                System.err.println("libnftables: the table written is not read back:\n" + tables + set);
                System.exit(1);
            }
            nft.run("delete table inet " + table + "\n");
            if (nft.list("list tables").contains(table)) {
                System.err.println("libnftables: the table is still there after delete");
                System.exit(1);
            }
            System.out.println("libnftables: " + LibNftables.DEFAULT_LIBRARY_PATH
                    + " loaded through jnr-ffi; add, list and delete of a table went through the kernel");
        }
    }
}
