package dev.palisade.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.palisade.model.Cluster;
import dev.palisade.model.Namespace;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Pod;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads Kubernetes manifests (YAML, multi-document, or JSON) into a {@link ManifestSet}: every
 * document is bound to the fabric8 model and projected by {@link Projection}; everything that goes
 * wrong becomes a diagnostic that names the file, the document and, where known, the object and field.
 */
public final class ManifestReader {

    /** An empty value ({@code key:} or a bare {@code -}) is null, as sigs.k8s.io/yaml reads it. */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper TREES = new ObjectMapper();
    /** fabric8 model classes are Jackson beans; unknown fields land in their additionalProperties. */
    private static final ObjectMapper OBJECTS = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern MARK = Pattern.compile("line (\\d+), column (\\d+)");

    private ManifestReader() {
    }

    /** The source name of manifests read from standard input, as in {@code -f -}. */
    public static final String STDIN = "stdin";

    /**
     * Reads files and directories, in the order given; a directory stands for every *.yaml, *.yml
     * and *.json file under it, sorted by path.
     */
    public static ManifestSet read(List<Path> paths) {
        return read(paths, null);
    }

    /** Like {@link #read(List)}, and a path "-" means {@code stdin} (read once, named {@value #STDIN}). */
    public static ManifestSet read(List<Path> paths, InputStream stdin) {
        Assembly assembly = new Assembly();
        boolean stdinRead = false;
        for (Path path : paths) {
            if (stdin != null && path.toString().equals("-")) {
                if (stdinRead) {
                    continue;
                }
                stdinRead = true;
                try {
                    readText(STDIN, new String(stdin.readAllBytes(), StandardCharsets.UTF_8), false, assembly);
                } catch (IOException e) {
                    assembly.diagnostics.add(Diagnostic.error(null, null, "cannot read: " + e).at(STDIN, 0));
                }
            } else if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(path)) {
                    files = walk.filter(Files::isRegularFile).filter(ManifestReader::isManifestFile)
                            .sorted((a, b) -> a.toString().compareTo(b.toString())).toList();
                } catch (IOException | RuntimeException e) {
                    assembly.diagnostics.add(Diagnostic.error(null, null, "cannot list directory: " + e.getMessage())
                            .at(path.toString(), 0));
                    continue;
                }
                if (files.isEmpty()) {
                    assembly.diagnostics.add(Diagnostic.error(null, null, "no *.yaml, *.yml or *.json files in directory")
                            .at(path.toString(), 0));
                }
                files.forEach(f -> readFile(f, assembly));
            } else {
                readFile(path, assembly);
            }
        }
        return assembly.build();
    }

    /** Reads one text as if it were a file named {@code source}. */
    public static ManifestSet readText(String source, String text) {
        Assembly assembly = new Assembly();
        readText(source, text, isJson(source), assembly);
        return assembly.build();
    }

    /** Reads several texts, keyed by source name, in key order (the live cluster's lists, for explain). */
    public static ManifestSet readTexts(Map<String, String> sources) {
        Assembly assembly = new Assembly();
        new TreeMap<>(sources).forEach((source, text) -> readText(source, text, isJson(source), assembly));
        return assembly.build();
    }

    private static void readFile(Path file, Assembly assembly) {
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            assembly.diagnostics.add(Diagnostic.error(null, null, "no such file or directory").at(source, 0));
            return;
        } catch (IOException e) {
            assembly.diagnostics.add(Diagnostic.error(null, null, "cannot read: " + e).at(source, 0));
            return;
        }
        readText(source, text, isJson(source), assembly);
    }

    private static void readText(String source, String text, boolean json, Assembly assembly) {
        int document = 0;
        try (JsonParser parser = json ? JSON.createParser(text) : YAML.createParser(text)) {
            while (true) {
                document++;
                JsonToken token = parser.nextToken();
                if (token == null) {
                    return;
                }
                JsonNode tree = TREES.readTree(parser);
                assembly.add(source, document, tree);
            }
        } catch (JsonProcessingException e) {
            assembly.diagnostics.add(Diagnostic.error(null, null, "malformed " + (json ? "JSON" : "YAML") + " at "
                    + parseProblem(e)).at(source, document));
        } catch (IOException e) {
            assembly.diagnostics.add(Diagnostic.error(null, null, "cannot read: " + e).at(source, 0));
        }
    }

    /**
     * "line L, column C: problem" from a parser error. SnakeYAML's message quotes the context and
     * the problem, each followed by a position and an excerpt; keep the sentences and the last position.
     */
    static String parseProblem(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
        List<String> sentences = new ArrayList<>();
        List<String> positions = new ArrayList<>();
        for (String line : message.split("\n")) {
            Matcher m = MARK.matcher(line);
            if (line.startsWith(" in ") && m.find()) {
                while (positions.size() < sentences.size()) {
                    positions.add(null);
                }
                if (!positions.isEmpty()) {
                    positions.set(positions.size() - 1, "line " + m.group(1) + ", column " + m.group(2));
                }
            } else if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                sentences.add(line.trim());
                positions.add(null);
            }
        }
        if (sentences.isEmpty()) {
            sentences.add(message.lines().findFirst().orElse(message));
            positions.add(null);
        }
        // SnakeYAML: "context" (e.g. while parsing a flow sequence) then "problem"; both may carry a mark.
        int last = sentences.size() - 1;
        String position = positions.get(last);
        if (position == null) {
            JsonLocation loc = e.getLocation();
            position = loc == null ? "unknown position" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
        }
        StringBuilder sb = new StringBuilder(position).append(": ").append(sentences.get(last));
        for (int i = 0; i < last; i++) {
            sb.append(", ").append(sentences.get(i));
            if (positions.get(i) != null) {
                sb.append(" at ").append(positions.get(i));
            }
        }
        return sb.toString();
    }

    private static boolean isManifestFile(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json");
    }

    private static boolean isJson(String source) {
        return source.toLowerCase(Locale.ROOT).endsWith(".json");
    }

    /** Collects the objects of every document, then builds the snapshot. */
    private static final class Assembly {
        private final List<Diagnostic> diagnostics = new ArrayList<>();
        private final Map<ObjectRef, Origin> origins = new TreeMap<>();
        private final List<Namespace> namespaces = new ArrayList<>();
        private final List<Node> nodes = new ArrayList<>();
        private final List<Pod> pods = new ArrayList<>();
        private final List<NetworkPolicy> policies = new ArrayList<>();
        private final List<ClusterNetworkPolicy> clusterPolicies = new ArrayList<>();

        void add(String source, int document, JsonNode tree) {
            if (tree == null || tree.isNull() || tree.isMissingNode() || (tree.isTextual() && tree.asText().isEmpty())) {
                return;
            }
            if (!tree.isObject()) {
                diagnostics.add(Diagnostic.error(null, null, "expected a Kubernetes object, got "
                        + describe(tree)).at(source, document));
                return;
            }
            addObject(source, document, (ObjectNode) tree, "", null, null);
        }

        private void addObject(String source, int document, ObjectNode tree, String prefix,
                               String inheritedApiVersion, String inheritedKind) {
            String apiVersion = text(tree.get("apiVersion")).orElse(inheritedApiVersion);
            String kind = text(tree.get("kind")).orElse(inheritedKind);
            String object = rawRef(tree, kind);
            if (kind == null) {
                diagnostics.add(Diagnostic.error(object, field(prefix, "kind"), "kind is required").at(source, document));
                return;
            }
            if (apiVersion == null) {
                diagnostics.add(Diagnostic.error(object, field(prefix, "apiVersion"), "apiVersion is required")
                        .at(source, document));
                return;
            }
            if (kind.endsWith("List") && tree.has("items")) {
                JsonNode items = tree.get("items");
                if (!items.isArray()) {
                    diagnostics.add(Diagnostic.error(object, field(prefix, "items"), "invalid value: expected a list")
                            .at(source, document));
                    return;
                }
                // A typed list (PodList) may leave kind and apiVersion out of its items.
                String itemKind = kind.equals("List") ? null : kind.substring(0, kind.length() - "List".length());
                String itemApiVersion = kind.equals("List") ? null : apiVersion;
                for (int i = 0; i < items.size(); i++) {
                    String itemPrefix = field(prefix, "items[" + i + "]");
                    JsonNode item = items.get(i);
                    if (item == null || !item.isObject()) {
                        diagnostics.add(Diagnostic.error(null, itemPrefix, "expected a Kubernetes object, got "
                                + describe(item)).at(source, document));
                        continue;
                    }
                    addObject(source, document, (ObjectNode) item, itemPrefix, itemApiVersion, itemKind);
                }
                return;
            }
            if (apiVersion.equals("v1") && kind.equals("Namespace")) {
                project(source, document, tree, prefix, io.fabric8.kubernetes.api.model.Namespace.class,
                        Projection::namespace, namespaces, ns -> ObjectRef.clusterScoped("Namespace", ns.name()));
            } else if (apiVersion.equals("v1") && kind.equals("Node")) {
                project(source, document, tree, prefix, io.fabric8.kubernetes.api.model.Node.class,
                        Projection::node, nodes, n -> ObjectRef.clusterScoped("Node", n.name()));
            } else if (apiVersion.equals("v1") && kind.equals("Pod")) {
                project(source, document, tree, prefix, io.fabric8.kubernetes.api.model.Pod.class,
                        Projection::pod, pods, p -> new ObjectRef("Pod", p.namespace(), p.name()));
            } else if (apiVersion.equals("networking.k8s.io/v1") && kind.equals("NetworkPolicy")) {
                project(source, document, tree, prefix, io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class,
                        Projection::networkPolicy, policies, p -> new ObjectRef("NetworkPolicy", p.namespace(), p.name()));
            } else if (apiVersion.equals(ClusterPolicyProjection.API_VERSION) && kind.equals(ClusterPolicyProjection.KIND)) {
                project(source, document, tree, prefix, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class,
                        ClusterPolicyProjection::clusterNetworkPolicy, clusterPolicies,
                        p -> ObjectRef.clusterScoped(ClusterPolicyProjection.KIND, p.name()));
            } else {
                String what = kind + (kind.equals("NetworkPolicy") || kind.equals(ClusterPolicyProjection.KIND)
                        ? " (" + apiVersion + ")" : "");
                String name = rawName(tree, null);
                diagnostics.add(Diagnostic.note(null, prefix.isEmpty() ? null : prefix, "skipped " + what
                        + (name == null ? "" : " " + name) + ": not a kind palisade compiles").at(source, document));
            }
        }

        private <F, T> void project(String source, int document, ObjectNode tree, String prefix, Class<F> type,
                                    Function<F, Projected<T>> projection, Collection<T> into,
                                    Function<T, ObjectRef> identity) {
            F bound;
            try {
                bound = OBJECTS.treeToValue(tree, type);
            } catch (JsonProcessingException e) {
                diagnostics.add(Diagnostic.error(rawRef(tree, type.getSimpleName()), field(prefix, jsonPath(e)),
                        bindingProblem(e)).at(source, document));
                return;
            } catch (IllegalArgumentException e) {
                diagnostics.add(Diagnostic.error(rawRef(tree, type.getSimpleName()), prefix.isEmpty() ? null : prefix,
                        "invalid object: " + e.getMessage()).at(source, document));
                return;
            }
            Projected<T> projected = projection.apply(bound);
            projected.diagnostics().forEach(d -> diagnostics.add(d.under(prefix).at(source, document)));
            if (projected.value().isEmpty()) {
                return;
            }
            T value = projected.value().get();
            ObjectRef ref = identity.apply(value);
            Origin origin = new Origin(source, document);
            Origin first = origins.putIfAbsent(ref, origin);
            if (first != null) {
                diagnostics.add(Diagnostic.error(ref.toString(), prefix.isEmpty() ? null : prefix,
                        "duplicate object: already defined in " + first).at(source, document));
                return;
            }
            into.add(value);
        }

        ManifestSet build() {
            return new ManifestSet(new Cluster(namespaces, nodes, pods, policies, clusterPolicies), diagnostics, new TreeMap<>(origins));
        }
    }

    private static String field(String prefix, String field) {
        if (field == null || field.isEmpty()) {
            return prefix.isEmpty() ? null : prefix;
        }
        return prefix.isEmpty() ? field : prefix + "." + field;
    }

    /** The JSON path of a binding error, like spec.containers[0].ports[1].containerPort. */
    private static String jsonPath(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m)) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String bindingProblem(JsonProcessingException e) {
        if (e instanceof InvalidFormatException f) {
            Object v = f.getValue();
            return "invalid value " + (v instanceof String ? "\"" + v + "\"" : String.valueOf(v)) + ": expected "
                    + describe(f.getTargetType());
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "invalid value: expected " + describe(m.getTargetType());
        }
        String message = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
        return "invalid value: " + message.lines().findFirst().orElse(message);
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "an object";
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "the string \"" + node.asText() + "\"";
        }
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static Optional<String> text(JsonNode node) {
        return node == null || !node.isTextual() || node.asText().isEmpty() ? Optional.empty() : Optional.of(node.asText());
    }

    /** "ns/name" or "name" as written; {@code defaultNamespace} fills in an absent namespace. */
    private static String rawName(JsonNode tree, String defaultNamespace) {
        JsonNode meta = tree.get("metadata");
        if (meta == null || !meta.isObject()) {
            return null;
        }
        Optional<String> name = text(meta.get("name"));
        Optional<String> ns = text(meta.get("namespace")).or(() -> Optional.ofNullable(defaultNamespace));
        return name.map(n -> ns.map(s -> s + "/" + n).orElse(n)).orElse(null);
    }

    /** "Kind ns/name" from the raw tree, for diagnostics about objects that could not be bound. */
    private static String rawRef(JsonNode tree, String kind) {
        boolean defaulted = "Pod".equals(kind) || "NetworkPolicy".equals(kind);
        String name = rawName(tree, defaulted ? Projection.DEFAULT_NAMESPACE : null);
        if (kind == null) {
            return name;
        }
        return name == null ? kind : kind + " " + name;
    }
}
