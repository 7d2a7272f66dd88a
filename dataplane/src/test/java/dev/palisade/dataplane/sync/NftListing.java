package dev.palisade.dataplane.sync;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text listings made comparable: what the renderer writes and what {@code nft list table} prints
 * for the same table differ only in layout (blank lines, where element lists wrap), in the order of
 * hash-set elements (the kernel's hash order), and in counter values. This strips exactly that.
 */
final class NftListing {

    private NftListing() {
    }

    static String normalise(String listing) {
        List<String> out = new ArrayList<>();
        StringBuilder elements = null;
        for (String raw : listing.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (elements == null && line.startsWith("elements = {")) {
                elements = new StringBuilder();
                line = line.substring("elements = {".length());
            }
            if (elements != null) {
                boolean last = line.endsWith("}");
                elements.append(last ? line.substring(0, line.length() - 1) : line).append(' ');
                if (last) {
                    String[] items = elements.toString().split(",");
                    out.add("elements = { " + String.join(", ", Arrays.stream(items).map(String::strip).sorted().toList())
                            + " }");
                    elements = null;
                }
                continue;
            }
            out.add(line.replaceAll("counter packets \\d+ bytes \\d+", "counter"));
        }
        return String.join("\n", out) + "\n";
    }
}
