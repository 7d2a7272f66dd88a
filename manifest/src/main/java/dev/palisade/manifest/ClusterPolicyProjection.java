package dev.palisade.manifest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.model.Cidr;
import dev.palisade.model.ClusterNetworkPolicy;
import dev.palisade.model.ClusterNetworkPolicy.Subject;
import dev.palisade.model.ClusterNetworkPolicy.Tier;
import dev.palisade.model.ClusterPeer;
import dev.palisade.model.ClusterRule;
import dev.palisade.model.ClusterRule.Action;
import dev.palisade.model.IpAddress;
import dev.palisade.model.LabelSelector;
import dev.palisade.model.PortSpec;
import dev.palisade.model.Protocol;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.palisade.manifest.Projection.quote;

/**
 * Projects a {@code policy.networking.k8s.io/v1beta1} ClusterNetworkPolicy (sigs.k8s.io/network-policy-api
 * v0.3.0, standard channel). fabric8 has no model class for it, so it arrives as a
 * {@link GenericKubernetesResource} (from YAML or from a generic informer) and is read field by field.
 *
 * <p>The CRD's schema makes the API server check enums, ranges and "exactly one field"; it does not check
 * label selector syntax, so an object it stored can still be unreadable here, and objects read from files
 * were never checked at all. Fail closed, as the API's own peer documentation asks: a rule that cannot be
 * read matches nothing if it is an Accept rule, and denies everything in its direction if it is a Deny or
 * Pass rule (or has no readable action). It keeps its index. A policy whose tier, priority or subject
 * cannot be read is kept at the front of its tier (the Admin tier when the tier itself is unreadable,
 * priority 0), selecting every pod when the subject is unreadable, and every rule is treated as unreadable.
 * Fields of the experimental channel ({@code nodes}, {@code domainNames}, {@code destinationNamedPort}) are
 * not supported and count as unreadable.
 */
public final class ClusterPolicyProjection {

    public static final String API_VERSION = "policy.networking.k8s.io/v1beta1";
    public static final String KIND = "ClusterNetworkPolicy";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> INGRESS_PEER_FIELDS = Set.of("namespaces", "pods");
    private static final Set<String> EGRESS_PEER_FIELDS = Set.of("namespaces", "pods", "networks");

    private ClusterPolicyProjection() {
    }

    public static Projected<ClusterNetworkPolicy> clusterNetworkPolicy(GenericKubernetesResource object) {
        Projection.Problems problems = new Projection.Problems();
        Optional<ObjectRef> ref = Projection.ref(KIND, object.getMetadata(), false, problems);
        if (ref.isEmpty()) {
            return Projected.rejected(problems.list);
        }
        problems.object = ref.get().toString();
        Projection.labels(object.getMetadata().getLabels(), "metadata.labels", problems);
        Object specIn = object.getAdditionalProperties().get("spec");
        if (!(specIn instanceof Map<?, ?> spec)) {
            problems.error("spec", "spec is required");
            return Projected.rejected(problems.list);
        }
        int before = problems.errorCount();

        Tier tier = null;
        Object tierIn = spec.get("tier");
        if ("Admin".equals(tierIn)) {
            tier = Tier.Admin;
        } else if ("Baseline".equals(tierIn)) {
            tier = Tier.Baseline;
        } else {
            problems.error("spec.tier", (tierIn == null ? "tier is required" : "unsupported value " + quote(String.valueOf(tierIn)))
                    + ": supported values: \"Admin\", \"Baseline\"");
        }
        int priority = 0;
        Object priorityIn = spec.get("priority");
        if (priorityIn instanceof Integer p && p >= ClusterNetworkPolicy.MIN_PRIORITY && p <= ClusterNetworkPolicy.MAX_PRIORITY) {
            priority = p;
        } else {
            problems.error("spec.priority", (priorityIn == null ? "priority is required" : "invalid priority " + priorityIn)
                    + ": must be an integer between 0 and 1000, inclusive");
        }
        Optional<Subject> subject = subject(spec.get("subject"), problems);
        boolean policyBroken = problems.errorCount() > before;
        if (policyBroken) {
            problems.warning("spec", "policy kept at the front of the " + (tier == null ? "Admin" : tier.name())
                    + " tier with every rule failing closed (Accept rules match nothing, Deny and Pass rules deny all)"
                    + " until it is fixed");
        }

        List<ClusterRule> ingress = rules(spec.get("ingress"), "spec.ingress", "from", INGRESS_PEER_FIELDS, policyBroken, problems);
        List<ClusterRule> egress = rules(spec.get("egress"), "spec.egress", "to", EGRESS_PEER_FIELDS, policyBroken, problems);
        return Projected.of(new ClusterNetworkPolicy(ref.get().name(), tier == null ? Tier.Admin : tier,
                policyBroken ? 0 : priority, subject.orElse(Subject.EVERY_POD), ingress, egress), problems.list);
    }

    // --------------------------------------------------------------------------------- subject

    private static Optional<Subject> subject(Object in, Projection.Problems problems) {
        if (!(in instanceof Map<?, ?> subject) || subject.size() != 1) {
            problems.error("spec.subject", "must set exactly one of \"namespaces\", \"pods\"");
            return Optional.empty();
        }
        if (subject.containsKey("namespaces")) {
            return selector(subject.get("namespaces"), "spec.subject.namespaces", problems)
                    .map(ns -> new Subject(ns, LabelSelector.EVERYTHING));
        }
        if (subject.containsKey("pods")) {
            return namespacedPod(subject.get("pods"), "spec.subject.pods", problems)
                    .map(p -> new Subject(p.namespaces(), p.pods()));
        }
        problems.error("spec.subject", "unsupported subject " + quote(String.valueOf(subject.keySet().iterator().next()))
                + ": supported: \"namespaces\", \"pods\"");
        return Optional.empty();
    }

    private static Optional<ClusterPeer.Pods> namespacedPod(Object in, String path, Projection.Problems problems) {
        if (!(in instanceof Map<?, ?> pods)) {
            problems.error(path, "must be an object with podSelector (and namespaceSelector)");
            return Optional.empty();
        }
        if (!pods.containsKey("podSelector")) {
            problems.error(path + ".podSelector", "podSelector is required");
            return Optional.empty();
        }
        int before = problems.errorCount();
        Optional<LabelSelector> ns = pods.containsKey("namespaceSelector")
                ? selector(pods.get("namespaceSelector"), path + ".namespaceSelector", problems)
                : Optional.of(LabelSelector.EVERYTHING);
        Optional<LabelSelector> podSelector = selector(pods.get("podSelector"), path + ".podSelector", problems);
        if (problems.errorCount() > before) {
            return Optional.empty();
        }
        return Optional.of(new ClusterPeer.Pods(ns.orElseThrow(), podSelector.orElseThrow()));
    }

    private static Optional<LabelSelector> selector(Object in, String path, Projection.Problems problems) {
        if (in == null) {
            return Optional.of(LabelSelector.EVERYTHING);
        }
        io.fabric8.kubernetes.api.model.LabelSelector s;
        try {
            s = JSON.convertValue(in, io.fabric8.kubernetes.api.model.LabelSelector.class);
        } catch (IllegalArgumentException e) {
            problems.error(path, "not a label selector");
            return Optional.empty();
        }
        if (s.getAdditionalProperties() != null && !s.getAdditionalProperties().isEmpty()) {
            problems.error(path, "unknown field " + quote(s.getAdditionalProperties().keySet().iterator().next()));
            return Optional.empty();
        }
        return Projection.selector(s, path, problems);
    }

    // ----------------------------------------------------------------------------------- rules

    private static List<ClusterRule> rules(Object in, String path, String peersField, Set<String> peerFields,
                                           boolean policyBroken, Projection.Problems problems) {
        List<ClusterRule> out = new ArrayList<>();
        if (in == null) {
            return out;
        }
        if (!(in instanceof List<?> list)) {
            problems.error(path, "must be a list of rules");
            return out;
        }
        if (list.size() > 25) {
            problems.warning(path, list.size() + " rules: the API server allows at most 25");
        }
        for (int i = 0; i < list.size(); i++) {
            out.add(rule(list.get(i), path + "[" + i + "]", peersField, peerFields, policyBroken, problems));
        }
        return out;
    }

    private static ClusterRule rule(Object in, String path, String peersField, Set<String> peerFields,
                                    boolean policyBroken, Projection.Problems problems) {
        Map<?, ?> rule = in instanceof Map<?, ?> m ? m : Map.of();
        int before = problems.errorCount();
        String name = rule.get("name") instanceof String n ? n : "";
        if (name.length() > 100) {
            problems.error(path + ".name", "must be no more than 100 characters");
        }
        Action action = null;
        Object actionIn = rule.get("action");
        for (Action a : Action.values()) {
            if (a.name().equals(actionIn)) {
                action = a;
            }
        }
        if (action == null) {
            problems.error(path + ".action", (actionIn == null ? "action is required" : "unsupported value "
                    + quote(String.valueOf(actionIn))) + ": supported values: \"Accept\", \"Deny\", \"Pass\"");
        }
        List<ClusterPeer> peers = new ArrayList<>();
        Object peersIn = rule.get(peersField);
        if (!(peersIn instanceof List<?> peerList) || peerList.isEmpty()) {
            problems.error(path + "." + peersField, "must have at least one peer");
        } else {
            for (int i = 0; i < peerList.size(); i++) {
                peer(peerList.get(i), path + "." + peersField + "[" + i + "]", peerFields, problems).ifPresent(peers::add);
            }
        }
        List<PortSpec> ports = new ArrayList<>();
        Object protocolsIn = rule.get("protocols");
        if (protocolsIn != null) {
            if (!(protocolsIn instanceof List<?> protocols) || protocols.isEmpty()) {
                problems.error(path + ".protocols", "must have at least one item when present");
            } else {
                for (int i = 0; i < protocols.size(); i++) {
                    protocol(protocols.get(i), path + ".protocols[" + i + "]", problems).ifPresent(ports::add);
                }
            }
        }
        boolean broken = problems.errorCount() > before;
        if (broken || policyBroken) {
            if (action == Action.Accept) {
                if (broken) {
                    problems.warning(path, "rule fails closed: an Accept rule that cannot be read matches nothing");
                }
                return ClusterRule.matchNothing(name);
            }
            if (broken) {
                problems.warning(path, "rule fails closed: a " + (action == null ? "rule without a readable action"
                        : action + " rule") + " that cannot be read denies all traffic in its direction");
            }
            return ClusterRule.denyAll(name);
        }
        return new ClusterRule(name, action, peers, ports);
    }

    private static Optional<ClusterPeer> peer(Object in, String path, Set<String> fields, Projection.Problems problems) {
        if (!(in instanceof Map<?, ?> peer) || peer.size() != 1) {
            problems.error(path, "must set exactly one of " + fields.stream().sorted().map(Projection::quote).toList());
            return Optional.empty();
        }
        String field = String.valueOf(peer.keySet().iterator().next());
        Object value = peer.values().iterator().next();
        if (!fields.contains(field)) {
            problems.error(path + "." + field, "unsupported peer " + quote(field) + ": supported: "
                    + fields.stream().sorted().map(Projection::quote).toList());
            return Optional.empty();
        }
        return switch (field) {
            case "namespaces" -> selector(value, path + ".namespaces", problems)
                    .map(ns -> new ClusterPeer.Pods(ns, LabelSelector.EVERYTHING));
            case "pods" -> namespacedPod(value, path + ".pods", problems).map(p -> p);
            default -> networks(value, path + ".networks", problems);
        };
    }

    private static Optional<ClusterPeer> networks(Object in, String path, Projection.Problems problems) {
        if (!(in instanceof List<?> list) || list.isEmpty()) {
            problems.error(path, "must have at least one CIDR");
            return Optional.empty();
        }
        int before = problems.errorCount();
        List<Cidr> cidrs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String field = path + "[" + i + "]";
            String text = list.get(i) instanceof String t ? t : null;
            Optional<Cidr> cidr = Projection.cidr(text, field, problems);
            // the CRD's CEL rule: cidr(self) == cidr(self).masked(), so no host bits and no sloppy octets
            if (cidr.isPresent() && !cidr.get().toString().equals(text)
                    && !IpAddress.parse(text.substring(0, text.indexOf('/'))).equals(cidr.get().network())) {
                problems.error(field, "invalid CIDR " + quote(text) + ": host bits are set; write " + cidr.get());
            }
            cidr.ifPresent(cidrs::add);
        }
        return problems.errorCount() > before ? Optional.empty() : Optional.of(new ClusterPeer.Networks(cidrs));
    }

    private static Optional<PortSpec> protocol(Object in, String path, Projection.Problems problems) {
        if (!(in instanceof Map<?, ?> entry) || entry.size() != 1) {
            problems.error(path, "must set exactly one of \"tcp\", \"udp\", \"sctp\"");
            return Optional.empty();
        }
        String field = String.valueOf(entry.keySet().iterator().next());
        Protocol protocol = switch (field) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            case "sctp" -> Protocol.SCTP;
            default -> null;
        };
        if (protocol == null) {
            problems.error(path + "." + field, "unsupported " + quote(field) + ": supported: \"tcp\", \"udp\", \"sctp\""
                    + (field.equals("destinationNamedPort") ? " (named ports are in the experimental channel only)" : ""));
            return Optional.empty();
        }
        String portPath = path + "." + field + ".destinationPort";
        if (!(entry.get(field) instanceof Map<?, ?> attributes) || !(attributes.get("destinationPort") instanceof Map<?, ?> port)
                || port.size() != 1) {
            problems.error(portPath, "destinationPort with exactly one of \"number\", \"range\" is required");
            return Optional.empty();
        }
        if (port.get("number") instanceof Integer number) {
            if (number < 1 || number > 65535) {
                problems.error(portPath + ".number", "invalid port " + number + ": must be between 1 and 65535, inclusive");
                return Optional.empty();
            }
            return Optional.of(new PortSpec.Numbered(protocol, number));
        }
        if (port.get("range") instanceof Map<?, ?> range && range.get("start") instanceof Integer start
                && range.get("end") instanceof Integer end) {
            if (start < 1 || start > 65535 || end < 1 || end > 65535 || start >= end) {
                problems.error(portPath + ".range", "invalid range " + start + "-" + end
                        + ": start and end between 1 and 65535, start less than end");
                return Optional.empty();
            }
            return Optional.of(new PortSpec.Numbered(protocol, start, end));
        }
        problems.error(portPath, "must be {number: N} or {range: {start: N, end: M}}");
        return Optional.empty();
    }
}
