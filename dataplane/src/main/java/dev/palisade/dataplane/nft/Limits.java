package dev.palisade.dataplane.nft;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What nft and the kernel refuse, checked when a model object is built so that the refusal is a
 * clear error at build time, not a failed transaction on one node (knftables validates the same way
 * when an object is added). Measured with nftables 1.0.6 on Linux 6.18: a comment of 129 bytes is
 * refused by nft's parser ("comment too long, 128 characters maximum allowed",
 * {@code NFTNL_UDATA_COMMENT_MAXLEN}), and a table, chain or set name of 256 bytes by the kernel
 * ("Numerical result out of range": {@code NFT_NAME_MAXLEN} is 256 including the NUL).
 *
 * <p>Where long text is only a label (a node name in a comment), {@link #label} shortens it
 * deterministically instead: the same input always gives the same comment, which keeps rendering
 * byte-identical and drift checks quiet.
 */
public final class Limits {

    /** The longest comment nft accepts, in bytes. */
    public static final int COMMENT_MAX_BYTES = 128;
    /** The longest table, chain or set name the kernel accepts, in bytes. */
    public static final int NAME_MAX_BYTES = 255;
    /** Hex digits of the label's SHA-256 kept after a shortened label. */
    static final int HASH_DIGITS = 10;

    /** What nft's scanner reads as an unquoted name (its {@code string} token), which is how the renderer writes names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_.][A-Za-z0-9_./-]*");

    private Limits() {
    }

    /** {@code comment} if nft accepts it ({@code null}: no comment); otherwise an error naming {@code what}. */
    public static String comment(String what, String comment) {
        if (comment == null) {
            return null;
        }
        int bytes = bytes(comment);
        if (bytes > COMMENT_MAX_BYTES) {
            throw new IllegalArgumentException("comment of " + what + " is " + bytes + " bytes; nft accepts at most "
                    + COMMENT_MAX_BYTES + ": \"" + comment + "\"");
        }
        return comment;
    }

    /** {@code name} if the kernel accepts it as the name of a {@code kind} (table, chain, set); otherwise an error. */
    public static String name(String kind, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad " + kind + " name \"" + name + "\"");
        }
        int bytes = bytes(name);
        if (bytes > NAME_MAX_BYTES) {
            throw new IllegalArgumentException(kind + " name is " + bytes + " bytes; the kernel accepts at most "
                    + NAME_MAX_BYTES + ": \"" + name + "\"");
        }
        return name;
    }

    /**
     * A comment made of a fixed {@code head} and a {@code label} (a node, namespace or policy name),
     * within {@link #COMMENT_MAX_BYTES}: {@code head + label} when it fits; otherwise {@code head}, as
     * much of the label as fits, {@code ~} and the first {@value #HASH_DIGITS} hex digits of the
     * label's SHA-256, so that it stays recognisable by its start and distinct from another long
     * label with the same start.
     */
    public static String label(String head, String label) {
        String whole = head + label;
        if (bytes(whole) <= COMMENT_MAX_BYTES) {
            return whole;
        }
        String tail = "~" + sha256(label).substring(0, HASH_DIGITS);
        int room = COMMENT_MAX_BYTES - bytes(head) - tail.length();
        if (room < 1) {
            throw new IllegalArgumentException("comment head leaves no room for a label: \"" + head + "\"");
        }
        StringBuilder kept = new StringBuilder();
        int used = 0;
        for (int i = 0; i < label.length(); ) {
            int cp = label.codePointAt(i);
            int n = bytes(new String(Character.toChars(cp)));
            if (used + n > room) {
                break;
            }
            kept.appendCodePoint(cp);
            used += n;
            i += Character.charCount(cp);
        }
        return head + kept + tail;
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
