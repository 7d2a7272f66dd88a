package dev.palisade.agent.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The configuration list on disk, laid out so that a rebooted node fails closed. The runtime reads
 * {@code link} in its configuration directory (persistent: {@code /etc/cni/net.d}); it is a symbolic
 * link to {@code target} on a tmpfs ({@code /run/palisade/cni}) that a reboot empties. After a reboot
 * the link dangles: libcni cannot read it, so containerd reports the network as not ready, the node
 * stays NotReady and no pod gets an address, until the agent has applied its rules in this boot and
 * {@link #install} has written the target again. The nftables table does not survive a reboot; a
 * regular file would, and the runtime would wire pods from it into a node that enforces nothing.
 *
 * <p>Both steps are renames, so the runtime never reads half a file, and the link is renamed into
 * the configuration directory on every install: that rename is the event containerd's watch on the
 * directory reloads on (writing only the target, in another directory, would go unnoticed).
 */
public final class ConfListFile {

    /** What is at {@code link} now. */
    public enum State {
        /** Nothing: a fresh node. */
        ABSENT,
        /** A link whose target is missing: the node rebooted since the last install. */
        DANGLING,
        /** A regular file: written by an agent before this layout, or left on departure. */
        REGULAR_FILE,
        /** A link to this file's target, which exists. */
        LINKED,
        /** A link somewhere else. */
        OTHER_LINK;

        public String describe() {
            return switch (this) {
                case ABSENT -> "absent";
                case DANGLING -> "a dangling link: the node restarted since the last apply";
                case REGULAR_FILE -> "a regular file";
                case LINKED -> "the link, to an older configuration";
                case OTHER_LINK -> "a link elsewhere";
            };
        }
    }

    private final Path link;
    private final Path target;

    public ConfListFile(Path link, Path target) {
        this.link = link;
        this.target = target;
    }

    public static ConfListFile of(CniSettings settings) {
        return new ConfListFile(settings.confFile(), settings.runFile());
    }

    public Path link() {
        return link;
    }

    public Path target() {
        return target;
    }

    public State state() throws IOException {
        if (Files.isSymbolicLink(link)) {
            if (!Files.readSymbolicLink(link).equals(target)) {
                return State.OTHER_LINK;
            }
            return Files.exists(target) ? State.LINKED : State.DANGLING;
        }
        return Files.exists(link, LinkOption.NOFOLLOW_LINKS) ? State.REGULAR_FILE : State.ABSENT;
    }

    /** What the runtime reads at {@code link} (through the link), or empty when it cannot read anything. */
    public Optional<String> read() throws IOException {
        try {
            return Optional.of(Files.readString(link, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The link points at the target and the target holds {@code text}. */
    public boolean installed(String text) throws IOException {
        return state() == State.LINKED && text.equals(Files.readString(target, StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code text} to the target, then renames a fresh link to it over whatever is at
     * {@code link} (nothing, a dangling link, an older agent's regular file).
     */
    public void install(String text) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        rename(tmp, target);
        Files.createDirectories(link.getParent());
        // a dot and .tmp: libcni lists only .conf, .conflist and .json files, so the runtime never sees it
        Path tmpLink = link.resolveSibling("." + link.getFileName() + ".tmp");
        Files.deleteIfExists(tmpLink);
        Files.createSymbolicLink(tmpLink, target);
        rename(tmpLink, link);
    }

    /**
     * For an agent that leaves its node for good: replaces the link by a regular file with the same
     * content, so the node keeps wiring pods without an agent, across reboots too. Nothing changes when
     * there is no link to our target; a dangling link gets {@code fallback} when given.
     *
     * @return true when a regular file is now in place of the link
     */
    public boolean detach(Optional<String> fallback) throws IOException {
        State s = state();
        if (s != State.LINKED && s != State.DANGLING) {
            return false;
        }
        Optional<String> text = s == State.LINKED ? Optional.of(Files.readString(target, StandardCharsets.UTF_8)) : fallback;
        if (text.isEmpty()) {
            return false;
        }
        Path tmp = link.resolveSibling("." + link.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.writeString(tmp, text.get(), StandardCharsets.UTF_8);
        rename(tmp, link);
        return true;
    }

    private static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The file system type of the target's directory ("tmpfs" as it should be), or empty when it cannot tell. */
    public Optional<String> targetFileSystem() {
        try {
            return Optional.of(Files.getFileStore(target.getParent()).type());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
