package dev.palisade.manifest;

import dev.palisade.model.Cidr;
import dev.palisade.model.ContainerPort;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.Labels;
import dev.palisade.model.Namespace;
import dev.palisade.model.NetworkPolicy;
import dev.palisade.model.Node;
import dev.palisade.model.Peer;
import dev.palisade.model.Pod;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import dev.palisade.model.Requirement;
import dev.palisade.model.Rule;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Projects fabric8 model objects into the compiler's records: the API server's defaulting, then its
 * validation, reported as diagnostics with JSON field paths instead of exceptions. The same functions
 * serve the CLI (objects read from YAML by {@link ManifestReader}) and the operator (objects from
 * informers, which the API server has already defaulted and validated, so they project cleanly).
 *
 * <p>Fail closed: an ingress or egress rule with any error is replaced by {@link #DROPPED_RULE}, which
 * allows nothing, so the pods the policy selects stay isolated and the other rules keep their indices
 * (rule comments and explanations name rules by index). A policy whose own podSelector is invalid is
 * kept selecting every pod of its namespace, with its policy types and no rules. An unknown
 * policyTypes entry makes the policy isolate both directions, since it cannot tell which one was meant.
 */
public final class Projection {

    public static final String DEFAULT_NAMESPACE = "default";

    /**
     * A rule that allows nothing: its only peer selects namespaces without the name label, which
     * every namespace carries (see {@link Namespace#NAME_LABEL}). Stands in for a rule that has errors.
     */
    public static final Rule DROPPED_RULE = new Rule(List.of(new Peer.Pods(LabelSelector.EVERYTHING,
            Optional.of(new LabelSelector(Map.of(), List.of(
                    new Requirement(Namespace.NAME_LABEL, Requirement.Operator.DoesNotExist, new TreeSet<>())))))),
            List.of());

    private static final String SUPPORTED_PROTOCOLS = "supported values: \"TCP\", \"UDP\", \"SCTP\"";

    private Projection() {
    }

    // ---------------------------------------------------------------------------------- objects

    public static Projected<Namespace> namespace(io.fabric8.kubernetes.api.model.Namespace ns) {
        Problems problems = new Problems();
        Optional<ObjectRef> ref = ref("Namespace", ns.getMetadata(), false, problems);
        if (ref.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        problems.object = ref.get().toString();
        Optional<Map<String, String>> labels = labels(ns.getMetadata().getLabels(), "metadata.labels", problems);
        if (labels.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        return Projected.of(new Namespace(ref.get().name(), labels.get()), problems.list);
    }

    public static Projected<Node> node(io.fabric8.kubernetes.api.model.Node node) {
        Problems problems = new Problems();
        Optional<ObjectRef> ref = ref("Node", node.getMetadata(), false, problems);
        if (ref.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        problems.object = ref.get().toString();
        Optional<Map<String, String>> labels = labels(node.getMetadata().getLabels(), "metadata.labels", problems);
        if (labels.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        List<IpAddress> addresses = new ArrayList<>();
        if (node.getStatus() != null) {
            List<NodeAddress> all = nonNull(node.getStatus().getAddresses());
            for (int i = 0; i < all.size(); i++) {
                NodeAddress a = all.get(i);
                if (a != null && "InternalIP".equals(a.getType())) {
                    address(a.getAddress(), "status.addresses[" + i + "].address", problems).ifPresent(addresses::add);
                }
            }
        }
        List<Cidr> podCidrs = new ArrayList<>();
        if (node.getSpec() != null) {
            if (node.getSpec().getPodCIDR() != null && !node.getSpec().getPodCIDR().isEmpty()) {
                cidr(node.getSpec().getPodCIDR(), "spec.podCIDR", problems).ifPresent(podCidrs::add);
            }
            List<String> cidrs = nonNull(node.getSpec().getPodCIDRs());
            for (int i = 0; i < cidrs.size(); i++) {
                cidr(cidrs.get(i), "spec.podCIDRs[" + i + "]", problems).ifPresent(podCidrs::add);
            }
        }
        return Projected.of(new Node(ref.get().name(), labels.get(), addresses, podCidrs), problems.list);
    }

    /**
     * A pod: labels, node, host networking, phase, the union of status.podIP and status.podIPs, and the
     * ports of its containers and of its sidecars (init containers with restartPolicy Always). Bad
     * addresses and ports are left out with an error; bad labels reject the pod, as the API server would.
     */
    public static Projected<Pod> pod(io.fabric8.kubernetes.api.model.Pod pod) {
        Problems problems = new Problems();
        Optional<ObjectRef> ref = ref("Pod", pod.getMetadata(), true, problems);
        if (ref.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        problems.object = ref.get().toString();
        Optional<Map<String, String>> labels = labels(pod.getMetadata().getLabels(), "metadata.labels", problems);
        if (labels.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        String nodeName = null;
        boolean hostNetwork = false;
        List<ContainerPort> ports = new ArrayList<>();
        if (pod.getSpec() != null) {
            nodeName = pod.getSpec().getNodeName();
            nodeName = nodeName == null || nodeName.isEmpty() ? null : nodeName;
            hostNetwork = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
            List<Container> containers = nonNull(pod.getSpec().getContainers());
            for (int i = 0; i < containers.size(); i++) {
                containerPorts(containers.get(i), "spec.containers[" + i + "]", problems, ports);
            }
            List<Container> init = nonNull(pod.getSpec().getInitContainers());
            for (int i = 0; i < init.size(); i++) {
                if (init.get(i) != null && "Always".equals(init.get(i).getRestartPolicy())) {
                    containerPorts(init.get(i), "spec.initContainers[" + i + "]", problems, ports);
                }
            }
        }
        List<IpAddress> ips = new ArrayList<>();
        Pod.Phase phase = Pod.Phase.Pending;
        if (pod.getStatus() != null) {
            phase = Pod.Phase.parse(pod.getStatus().getPhase());
            String podIp = pod.getStatus().getPodIP();
            if (podIp != null && !podIp.isEmpty()) {
                address(podIp, "status.podIP", problems).ifPresent(ips::add);
            }
            List<PodIP> podIps = nonNull(pod.getStatus().getPodIPs());
            for (int i = 0; i < podIps.size(); i++) {
                String ip = podIps.get(i) == null ? null : podIps.get(i).getIp();
                address(ip, "status.podIPs[" + i + "].ip", problems).ifPresent(ips::add);
            }
        }
        String uid = pod.getMetadata().getUid();
        return Projected.of(new Pod(ref.get().namespace(), ref.get().name(), nodeName, labels.get(), ips,
                hostNetwork, phase, ports, uid == null ? "" : uid), problems.list);
    }

    public static Projected<NetworkPolicy> networkPolicy(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy policy) {
        Problems problems = new Problems();
        Optional<ObjectRef> ref = ref("NetworkPolicy", policy.getMetadata(), true, problems);
        if (ref.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        problems.object = ref.get().toString();
        String namespace = ref.get().namespace();
        String name = ref.get().name();
        labels(policy.getMetadata().getLabels(), "metadata.labels", problems);
        annotations(policy.getMetadata().getAnnotations(), problems);
        NetworkPolicySpec spec = policy.getSpec() == null ? new NetworkPolicySpec() : policy.getSpec();
        List<NetworkPolicyIngressRule> ingressIn = nonNull(spec.getIngress());
        List<NetworkPolicyEgressRule> egressIn = nonNull(spec.getEgress());

        boolean affectsIngress;
        boolean affectsEgress;
        List<String> types = nonNull(spec.getPolicyTypes());
        if (types.isEmpty()) {
            // pkg/apis/networking/v1/defaults.go: Ingress always, Egress when egress rules exist (len != 0).
            affectsIngress = true;
            affectsEgress = !egressIn.isEmpty();
        } else {
            affectsIngress = false;
            affectsEgress = false;
            boolean invalid = false;
            if (types.size() > 2) {
                problems.error("spec.policyTypes", "may not specify more than two policyTypes");
                invalid = true;
            }
            for (int i = 0; i < types.size(); i++) {
                String t = types.get(i);
                if ("Ingress".equals(t)) {
                    affectsIngress = true;
                } else if ("Egress".equals(t)) {
                    affectsEgress = true;
                } else {
                    problems.error("spec.policyTypes[" + i + "]", "unsupported value " + quote(t)
                            + ": supported values: \"Ingress\", \"Egress\"");
                    invalid = true;
                }
            }
            if (invalid) {
                problems.warning("spec.policyTypes", "policy isolates both ingress and egress until policyTypes is fixed");
                affectsIngress = true;
                affectsEgress = true;
            }
        }

        Optional<LabelSelector> podSelector = spec.getPodSelector() == null
                ? Optional.of(LabelSelector.EVERYTHING)
                : selector(spec.getPodSelector(), "spec.podSelector", problems);
        if (podSelector.isEmpty()) {
            problems.warning("spec.podSelector", "policy selects every pod in namespace " + namespace
                    + " and allows nothing until podSelector is fixed");
            return Projected.of(new NetworkPolicy(namespace, name, LabelSelector.EVERYTHING, affectsIngress,
                    affectsEgress, List.of(), List.of()), problems.list);
        }

        List<Rule> ingress = new ArrayList<>();
        for (int i = 0; i < ingressIn.size(); i++) {
            NetworkPolicyIngressRule r = ingressIn.get(i);
            String path = "spec.ingress[" + i + "]";
            // A null list element decodes to the zero rule upstream, which allows everything.
            ingress.add(rule(r == null ? null : r.getFrom(), "from", r == null ? null : r.getPorts(), path, problems));
        }
        List<Rule> egress = new ArrayList<>();
        for (int i = 0; i < egressIn.size(); i++) {
            NetworkPolicyEgressRule r = egressIn.get(i);
            String path = "spec.egress[" + i + "]";
            egress.add(rule(r == null ? null : r.getTo(), "to", r == null ? null : r.getPorts(), path, problems));
        }
        return Projected.of(new NetworkPolicy(namespace, name, podSelector.get(), affectsIngress, affectsEgress,
                ingress, egress), problems.list);
    }

    /**
     * The identity of an object, with the namespace defaulted to {@value #DEFAULT_NAMESPACE} for
     * namespaced kinds; empty (with an error) when the name is missing.
     */
    private static final java.util.regex.Pattern DNS1123_LABEL = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final java.util.regex.Pattern DNS1123_SUBDOMAIN =
            java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /** Why {@code name} is not an RFC 1123 label (a namespace's name), or empty when it is one. */
    static Optional<String> dns1123Label(String name) {
        if (name.length() > 63) {
            return Optional.of("must be no more than 63 characters");
        }
        return DNS1123_LABEL.matcher(name).matches() ? Optional.empty() : Optional.of("a lowercase RFC 1123 label must "
                + "consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
    }

    /** Why {@code name} is not an RFC 1123 subdomain (the name of a pod, node or policy), or empty when it is one. */
    static Optional<String> dns1123Subdomain(String name) {
        if (name.length() > 253) {
            return Optional.of("must be no more than 253 characters");
        }
        return DNS1123_SUBDOMAIN.matcher(name).matches() ? Optional.empty() : Optional.of("a lowercase RFC 1123 "
                + "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with "
                + "an alphanumeric character");
    }

    public static Optional<ObjectRef> ref(String kind, ObjectMeta metadata, boolean namespaced) {
        return ref(kind, metadata, namespaced, new Problems());
    }

    static Optional<ObjectRef> ref(String kind, ObjectMeta metadata, boolean namespaced, Problems problems) {
        if (metadata == null || metadata.getName() == null || metadata.getName().isEmpty()) {
            problems.object = kind;
            String generate = metadata == null ? null : metadata.getGenerateName();
            problems.error("metadata.name", generate == null || generate.isEmpty() ? "name is required"
                    : "name is required: palisade compiles objects by name, and the name generateName "
                    + quote(generate) + " stands for is only made up when the API server creates the object");
            return Optional.empty();
        }
        // the API server's own rules (apimachinery's IsDNS1123Subdomain / IsDNS1123Label): a name it
        // would refuse is refused here too, so `palisade compile` never explains a cluster that cannot exist
        boolean namespaceKind = kind.equals("Namespace");
        Optional<String> badName = namespaceKind ? dns1123Label(metadata.getName()) : dns1123Subdomain(metadata.getName());
        if (badName.isPresent()) {
            problems.object = kind;
            problems.error("metadata.name", "invalid name " + quote(metadata.getName()) + ": " + badName.get());
            return Optional.empty();
        }
        if (namespaced && metadata.getNamespace() != null && !metadata.getNamespace().isEmpty()) {
            Optional<String> badNs = dns1123Label(metadata.getNamespace());
            if (badNs.isPresent()) {
                problems.object = kind;
                problems.error("metadata.namespace", "invalid namespace " + quote(metadata.getNamespace()) + ": "
                        + badNs.get());
                return Optional.empty();
            }
        }
        if (!namespaced) {
            return Optional.of(ObjectRef.clusterScoped(kind, metadata.getName()));
        }
        String ns = metadata.getNamespace() == null || metadata.getNamespace().isEmpty()
                ? DEFAULT_NAMESPACE : metadata.getNamespace();
        return Optional.of(new ObjectRef(kind, ns, metadata.getName()));
    }

    // ------------------------------------------------------------------------------------ rules

    /** One rule, or {@link #DROPPED_RULE} (with the errors) when any part of it is invalid. */
    private static Rule rule(List<NetworkPolicyPeer> peersIn, String peersField, List<NetworkPolicyPort> portsIn,
                             String path, Problems problems) {
        int before = problems.errorCount();
        List<PortSpec> ports = new ArrayList<>();
        List<NetworkPolicyPort> portList = nonNull(portsIn);
        for (int i = 0; i < portList.size(); i++) {
            port(portList.get(i), path + ".ports[" + i + "]", problems).ifPresent(ports::add);
        }
        List<Peer> peers = new ArrayList<>();
        List<NetworkPolicyPeer> peerList = nonNull(peersIn);
        for (int i = 0; i < peerList.size(); i++) {
            peer(peerList.get(i), path + "." + peersField + "[" + i + "]", problems).ifPresent(peers::add);
        }
        if (problems.errorCount() > before) {
            problems.warning(path, "rule dropped: it allows nothing, and the pods the policy selects stay isolated");
            return DROPPED_RULE;
        }
        return new Rule(peers, ports);
    }

    private static Optional<PortSpec> port(NetworkPolicyPort p, String path, Problems problems) {
        if (p == null) {
            return Optional.of(new PortSpec.AllPorts(Protocol.TCP));
        }
        int before = problems.errorCount();
        Protocol protocol = Protocol.TCP;
        if (p.getProtocol() != null) {
            try {
                protocol = Protocol.parse(p.getProtocol());
            } catch (IllegalArgumentException e) {
                problems.error(path + ".protocol", "unsupported value " + quote(p.getProtocol()) + ": " + SUPPORTED_PROTOCOLS);
            }
        }
        Integer endPort = p.getEndPort();
        IntOrString port = p.getPort();
        Object value = port == null ? null : port.getValue();
        PortSpec out = null;
        if (value == null) {
            if (endPort != null) {
                problems.error(path + ".endPort", "may not be specified when `port` is not specified");
            }
            out = new PortSpec.AllPorts(protocol);
        } else if (value instanceof Integer number) {
            if (number < 1 || number > 65535) {
                problems.error(path + ".port", "invalid port " + number + ": must be between 1 and 65535, inclusive");
            }
            if (endPort != null) {
                if (endPort < number) {
                    problems.error(path + ".endPort", "invalid endPort " + endPort + ": must be greater than or equal to `port`");
                }
                if (endPort < 1 || endPort > 65535) {
                    problems.error(path + ".endPort", "invalid endPort " + endPort + ": must be between 1 and 65535, inclusive");
                }
            }
            if (problems.errorCount() == before) {
                out = new PortSpec.Numbered(protocol, number, endPort == null ? number : endPort);
            }
        } else if (value instanceof String name) {
            if (endPort != null) {
                problems.error(path + ".endPort", "may not be specified when `port` is non-numeric");
            }
            Optional<String> bad = portNameProblem(name);
            bad.ifPresent(msg -> problems.error(path + ".port", "invalid port name " + quote(name) + ": " + msg));
            if (problems.errorCount() == before) {
                out = new PortSpec.Named(protocol, name);
            }
        } else {
            problems.error(path + ".port", "invalid port " + value + ": must be a number or a port name");
        }
        return problems.errorCount() == before ? Optional.ofNullable(out) : Optional.empty();
    }

    /** IsValidPortName (an IANA_SVC_NAME): what is wrong with a port name, if anything. */
    static Optional<String> portNameProblem(String name) {
        if (name.isEmpty() || name.length() > 15) {
            return Optional.of("must be no more than 15 characters");
        }
        if (!name.matches("[-a-z0-9]+")) {
            return Optional.of("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!name.matches(".*[a-z].*")) {
            return Optional.of("must contain at least one letter (a-z)");
        }
        if (name.contains("--")) {
            return Optional.of("must not contain consecutive hyphens");
        }
        if (name.startsWith("-") || name.endsWith("-")) {
            return Optional.of("must not begin or end with a hyphen");
        }
        return Optional.empty();
    }

    private static Optional<Peer> peer(NetworkPolicyPeer p, String path, Problems problems) {
        if (p == null || (p.getPodSelector() == null && p.getNamespaceSelector() == null && p.getIpBlock() == null)) {
            problems.error(path, "must specify a peer (podSelector, namespaceSelector or ipBlock)");
            return Optional.empty();
        }
        if (p.getIpBlock() != null) {
            if (p.getPodSelector() != null || p.getNamespaceSelector() != null) {
                problems.error(path, "may not specify both ipBlock and another peer");
                return Optional.empty();
            }
            return ipBlock(p.getIpBlock(), path + ".ipBlock", problems);
        }
        int before = problems.errorCount();
        Optional<LabelSelector> pods = p.getPodSelector() == null
                ? Optional.of(LabelSelector.EVERYTHING)
                : selector(p.getPodSelector(), path + ".podSelector", problems);
        Optional<LabelSelector> namespaces = p.getNamespaceSelector() == null
                ? Optional.empty()
                : selector(p.getNamespaceSelector(), path + ".namespaceSelector", problems);
        if (problems.errorCount() > before) {
            return Optional.empty();
        }
        return Optional.of(new Peer.Pods(pods.orElseThrow(), namespaces));
    }

    private static Optional<Peer> ipBlock(IPBlock block, String path, Problems problems) {
        if (block.getCidr() == null || block.getCidr().isEmpty()) {
            problems.error(path + ".cidr", "cidr is required");
            return Optional.empty();
        }
        Optional<Cidr> cidr = ipBlockCidr(block.getCidr(), path + ".cidr", problems);
        if (cidr.isEmpty()) {
            return Optional.empty();
        }
        List<Cidr> except = new ArrayList<>();
        boolean ok = true;
        List<String> exceptIn = nonNull(block.getExcept());
        for (int i = 0; i < exceptIn.size(); i++) {
            String text = exceptIn.get(i);
            String field = path + ".except[" + i + "]";
            Optional<Cidr> e = ipBlockCidr(text, field, problems);
            if (e.isEmpty()) {
                ok = false;
                continue;
            }
            // validation.go ValidateIPBlock: "must be a strict subset of `cidr`".
            Cidr c = cidr.get();
            if (e.get().family() != c.family() || !c.contains(e.get().first()) || e.get().prefix() <= c.prefix()) {
                problems.error(field, "invalid except " + quote(text) + ": must be a strict subset of cidr " + block.getCidr());
                ok = false;
                continue;
            }
            except.add(e.get());
        }
        return ok ? Optional.of(new Peer.IpBlock(cidr.get(), except)) : Optional.empty();
    }

    // ------------------------------------------------------------------------------- selectors

    /** A label selector, as ValidateLabelSelector checks it; empty (with errors) when invalid. */
    static Optional<LabelSelector> selector(io.fabric8.kubernetes.api.model.LabelSelector s, String path,
                                                    Problems problems) {
        int before = problems.errorCount();
        Optional<Map<String, String>> matchLabels = labels(s.getMatchLabels(), path + ".matchLabels", problems);
        List<Requirement> requirements = new ArrayList<>();
        List<LabelSelectorRequirement> expressions = nonNull(s.getMatchExpressions());
        for (int i = 0; i < expressions.size(); i++) {
            requirement(expressions.get(i), path + ".matchExpressions[" + i + "]", problems).ifPresent(requirements::add);
        }
        if (problems.errorCount() > before || matchLabels.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LabelSelector(matchLabels.get(), requirements));
    }

    private static Optional<Requirement> requirement(LabelSelectorRequirement r, String path, Problems problems) {
        if (r == null) {
            problems.error(path, "a selector requirement needs key and operator");
            return Optional.empty();
        }
        int before = problems.errorCount();
        if (r.getKey() == null || r.getKey().isEmpty()) {
            problems.error(path + ".key", "key is required");
        } else {
            check(() -> Labels.checkKey(r.getKey()), path + ".key", problems);
        }
        Requirement.Operator operator = null;
        if (r.getOperator() == null || r.getOperator().isEmpty()) {
            problems.error(path + ".operator", "operator is required: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
        } else {
            try {
                operator = Requirement.Operator.parse(r.getOperator());
            } catch (IllegalArgumentException e) {
                problems.error(path + ".operator", "unsupported value " + quote(r.getOperator())
                        + ": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
            }
        }
        List<String> values = nonNull(r.getValues());
        if (operator == Requirement.Operator.In || operator == Requirement.Operator.NotIn) {
            if (values.isEmpty()) {
                problems.error(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
            }
        } else if (operator != null && !values.isEmpty()) {
            problems.error(path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        }
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            check(() -> Labels.checkValue(v), path + ".values[" + i + "]", problems);
        }
        if (problems.errorCount() > before) {
            return Optional.empty();
        }
        return Optional.of(new Requirement(r.getKey(), operator, new TreeSet<>(values)));
    }

    /** Labels (or matchLabels), every key and value checked; empty (with errors) when any is invalid. */
    static Optional<Map<String, String>> labels(Map<String, String> labels, String path, Problems problems) {
        int before = problems.errorCount();
        Map<String, String> sorted = new TreeMap<>(labels == null ? Map.of() : labels);
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            check(() -> Labels.checkKey(e.getKey()), path, problems);
            String value = e.getValue() == null ? "" : e.getValue();
            check(() -> Labels.checkValue(value), path + "." + e.getKey(), problems);
            e.setValue(value);
        }
        return problems.errorCount() > before ? Optional.empty() : Optional.of(sorted);
    }

    /** The API server's annotation limit (apimachinery TotalAnnotationSizeLimitB): keys and values, in bytes. */
    static final int ANNOTATIONS_MAX_BYTES = 256 * 1024;

    /**
     * ValidateAnnotations: every key a qualified name (its prefix checked in lower case, so
     * "Example.com/x" is valid), any value, at most {@value #ANNOTATIONS_MAX_BYTES} bytes in all.
     * Annotations do not change enforcement; they are checked so that compile refuses what the API
     * server would refuse.
     */
    private static void annotations(Map<String, String> annotations, Problems problems) {
        if (annotations == null) {
            return;
        }
        long bytes = 0;
        for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
            String key = e.getKey();
            try {
                Labels.checkKey(key.toLowerCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException x) {
                problems.error("metadata.annotations", "invalid annotation key " + quote(key)
                        + ": must be a qualified name, an optional DNS subdomain prefix and '/', then a name of at most "
                        + "63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character");
            }
            bytes += key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + (e.getValue() == null ? 0 : e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        if (bytes > ANNOTATIONS_MAX_BYTES) {
            problems.error("metadata.annotations", "annotations too long: " + bytes + " bytes, at most "
                    + ANNOTATIONS_MAX_BYTES + " allowed");
        }
    }

    // --------------------------------------------------------------------------- small values

    private static void containerPorts(Container c, String path, Problems problems, List<ContainerPort> out) {
        if (c == null) {
            return;
        }
        List<io.fabric8.kubernetes.api.model.ContainerPort> ports = nonNull(c.getPorts());
        for (int i = 0; i < ports.size(); i++) {
            io.fabric8.kubernetes.api.model.ContainerPort p = ports.get(i);
            String field = path + ".ports[" + i + "]";
            if (p == null) {
                continue;
            }
            int before = problems.errorCount();
            Protocol protocol = Protocol.TCP;
            if (p.getProtocol() != null) {
                try {
                    protocol = Protocol.parse(p.getProtocol());
                } catch (IllegalArgumentException e) {
                    problems.error(field + ".protocol", "unsupported value " + quote(p.getProtocol()) + ": " + SUPPORTED_PROTOCOLS);
                }
            }
            Integer number = p.getContainerPort();
            if (number == null) {
                problems.error(field + ".containerPort", "containerPort is required");
            } else if (number < 1 || number > 65535) {
                problems.error(field + ".containerPort", "invalid port " + number + ": must be between 1 and 65535, inclusive");
            }
            String name = p.getName() == null || p.getName().isEmpty() ? null : p.getName();
            if (name != null) {
                portNameProblem(name).ifPresent(msg -> problems.error(field + ".name",
                        "invalid port name " + quote(name) + ": " + msg));
            }
            if (problems.errorCount() == before) {
                out.add(new ContainerPort(name, protocol, number));
            }
        }
    }

    private static Optional<IpAddress> address(String text, String field, Problems problems) {
        if (text == null || text.isEmpty()) {
            problems.error(field, "IP address is required");
            return Optional.empty();
        }
        try {
            return Optional.of(IpAddress.parse(text));
        } catch (IllegalArgumentException e) {
            problems.error(field, "invalid IP address " + quote(text));
            return Optional.empty();
        }
    }

    /** A CIDR as the API writes it: an address, a slash and a prefix length (host bits may be set). */
    static Optional<Cidr> cidr(String text, String field, Problems problems) {
        if (text != null && !text.equals(text.strip())) {
            // Cidr.parse forgives surrounding blanks; the API server refuses them (netutils.ParseCIDRSloppy)
            problems.error(field, "invalid CIDR " + quote(text) + ": must not begin or end with blanks");
            return Optional.empty();
        }
        if (text == null || text.indexOf('/') < 0) {
            problems.error(field, "invalid CIDR " + quote(text) + ": must be an address and a prefix length, like 10.0.0.0/8");
            return Optional.empty();
        }
        try {
            return Optional.of(Cidr.parse(text));
        } catch (IllegalArgumentException e) {
            problems.error(field, "invalid CIDR " + quote(text));
            return Optional.empty();
        }
    }

    /**
     * An ipBlock CIDR, read as the API server's legacy validation does (IsValidCIDRForLegacyField
     * without StrictIPCIDRValidation): IPv4 octets with leading zeros are decimal and host bits may be
     * set. Objects stored that way are valid, so they must enforce; both forms get a warning.
     */
    private static Optional<Cidr> ipBlockCidr(String text, String field, Problems problems) {
        String sloppy = text == null ? null : decimalOctets(text);
        Optional<Cidr> cidr = cidr(sloppy, field, problems);
        if (cidr.isEmpty()) {
            return cidr;
        }
        if (!sloppy.equals(text)) {
            problems.warning(field, "non-standard CIDR " + quote(text) + ": leading zeros are read as decimal, "
                    + "as the API server reads them; write " + cidr.get());
        } else if (!IpAddress.parse(text.substring(0, text.indexOf('/'))).equals(cidr.get().network())) {
            problems.warning(field, "CIDR " + quote(text) + " has host bits set; it means " + cidr.get());
        }
        return cidr;
    }

    /** "010.001.0.0/016" as Go's ParseCIDRSloppy reads it: "10.1.0.0/16". Other text is returned as is. */
    static String decimalOctets(String text) {
        int slash = text.indexOf('/');
        if (slash < 0 || text.indexOf(':') >= 0) {
            return text;
        }
        String[] octets = text.substring(0, slash).split("\\.", -1);
        String prefix = text.substring(slash + 1);
        if (octets.length != 4 || !prefix.matches("\\d{1,3}")) {
            return text;
        }
        StringBuilder sb = new StringBuilder();
        for (String o : octets) {
            if (!o.matches("\\d{1,3}")) {
                return text;
            }
            sb.append(sb.length() == 0 ? "" : ".").append(Integer.parseInt(o));
        }
        return sb.append('/').append(Integer.parseInt(prefix)).toString();
    }

    private static void check(Runnable validation, String field, Problems problems) {
        try {
            validation.run();
        } catch (IllegalArgumentException e) {
            problems.error(field, e.getMessage());
        }
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    /** Diagnostics of one object, collected while it is projected. */
    static final class Problems {
        final List<Diagnostic> list = new ArrayList<>();
        String object;
        private int errors;

        void error(String field, String message) {
            list.add(Diagnostic.error(object, field, message));
            errors++;
        }

        void warning(String field, String message) {
            list.add(new Diagnostic(null, 0, object, field, message, Severity.WARNING));
        }

        int errorCount() {
            return errors;
        }
    }
}
