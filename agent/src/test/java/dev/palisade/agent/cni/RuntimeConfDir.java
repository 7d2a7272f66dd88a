package dev.palisade.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * How containerd's CRI plugin loads the CNI configuration directory, for tests: a Java transcription
 * (not libcni itself; there is no cnitool or libcni on the test machines) of go-cni's
 * {@code loadFromConfDir} over libcni v1's {@code ConfFiles} and {@code ConfListFromFile}, with
 * containerd's default {@code max_conf_num = 1}:
 * <ul>
 * <li>{@code ConfFiles}: {@code os.ReadDir}, every entry that is not a directory (a symbolic link is
 *     not: its type is the link's own) whose extension is {@code .conf}, {@code .conflist} or
 *     {@code .json}; none at all is {@code ErrCNINotInitialized};</li>
 * <li>sorted by name, the first one read with {@code os.ReadFile}, which follows links: a dangling
 *     one fails the whole load ("error reading ..."), and containerd reports NetworkReady=false;</li>
 * <li>{@code ConfListFromBytes}: a {@code name} and at least one plugin.</li>
 * </ul>
 */
public final class RuntimeConfDir {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> EXTENSIONS = List.of(".conf", ".conflist", ".json");

    private RuntimeConfDir() {
    }

    /** The network the runtime would wire pods with, or an exception saying why it has none. */
    public static JsonNode load(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                        .filter(p -> EXTENSIONS.stream().anyMatch(e -> extension(p).equals(e)))
                        .sorted()
                        .forEach(files::add);
            }
        }
        if (files.isEmpty()) {
            throw new IOException("no network config found in " + dir + ": cni plugin not initialized");
        }
        Path first = files.get(0);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(first);
        } catch (NoSuchFileException e) {
            throw new IOException("failed to load CNI config list file " + first + ": error reading " + first
                    + ": no such file or directory", e);
        }
        JsonNode list = JSON.readTree(bytes);
        if (!list.hasNonNull("name") || list.get("name").asText().isEmpty()) {
            throw new IOException(first + ": no name");
        }
        if (first.toString().endsWith(".conflist") && (!list.has("plugins") || list.get("plugins").isEmpty())) {
            throw new IOException(first + ": no plugins in list");
        }
        return list;
    }

    /** As {@link #load}, but true or false. */
    public static boolean loads(Path dir) {
        try {
            load(dir);
            return true;
        } catch (IOException e) {
            return false;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** Go's {@code filepath.Ext}: from the last dot of the name. */
    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot);
    }
}
