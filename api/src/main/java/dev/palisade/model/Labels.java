package dev.palisade.model;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Validation of label keys and values, as the API server applies it. */
public final class Labels {

    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private Labels() {
    }

    public static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("empty label key");
        }
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                throw new IllegalArgumentException("invalid label key \"" + key + "\": bad prefix");
            }
        }
        if (name.isEmpty() || name.length() > 63 || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid label key \"" + key + "\"");
        }
    }

    public static void checkValue(String value) {
        if (value == null || value.length() > 63 || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid label value \"" + value + "\"");
        }
    }

    /** An immutable, sorted copy; null becomes empty. */
    public static SortedMap<String, String> copy(Map<String, String> labels) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(labels == null ? Map.of() : labels));
    }
}
