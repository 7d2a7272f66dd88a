package dev.palisade.agent.watch;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * What a stopping agent does with its tables: keep them enforcing (a restart, a rolling update) or
 * delete them (Palisade is being uninstalled from this node). Pure: a function of what the API
 * server says of the agent's DaemonSet and its node, decided by {@link #decide}.
 *
 * <p>Kubernetes tells a terminating pod nothing about why it goes (kubernetes#44911), so the agent
 * asks what the DaemonSet controller would: the DaemonSet is gone or being deleted, or its pod
 * template no longer selects this node ({@code nodeSelector} and the required node affinity, the
 * same predicate the controller uses). Anything the agent cannot evaluate keeps the tables:
 * removing them on a restart would open a hole, keeping them on an uninstall leaves stale rules
 * that a person can delete (docs/design/failure-model.md, "Uninstall").
 */
public record Departure(boolean removeTables, Reason reason, String detail) {

    /** Why; a small fixed set (a log field, and what tests assert). */
    public enum Reason {
        /** The DaemonSet exists, is not being deleted and selects this node: a restart or a rolling update. */
        SELECTED(false),
        /** The DaemonSet is gone. */
        DELETED(true),
        /** The DaemonSet has a deletionTimestamp (foreground deletion, a finalizer). */
        DELETING(true),
        /** The DaemonSet's pod template no longer selects this node. */
        NOT_SELECTED(true),
        /** This agent was not told its DaemonSet, or never saw it: it cannot tell an uninstall from a restart. */
        UNKNOWN_OWNER(false),
        /** The DaemonSet exists but its selection of the node cannot be evaluated (node unknown, a bad expression). */
        UNDECIDABLE(false),
        /** The API server did not answer and the watch has nothing to go on. */
        API_UNREACHABLE(false);

        private final boolean remove;

        Reason(boolean remove) {
            this.remove = remove;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Departure {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
        if (removeTables != reason.remove) {
            throw new IllegalArgumentException(reason + " does not " + (removeTables ? "remove" : "keep") + " the tables");
        }
    }

    public static Departure of(Reason reason, String detail) {
        return new Departure(reason.remove, reason, detail);
    }

    /**
     * The agent's DaemonSet as the decision needs it.
     *
     * @param deleting     it has a deletionTimestamp
     * @param nodeSelector {@code spec.template.spec.nodeSelector}
     * @param required     the terms of the required node affinity
     *                     ({@code requiredDuringSchedulingIgnoredDuringExecution}); empty: none (the API server
     *                     refuses a required node affinity without terms)
     */
    public record Owner(String namespace, String name, boolean deleting, Map<String, String> nodeSelector,
                        List<Term> required) {
        public Owner {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
            nodeSelector = Map.copyOf(nodeSelector);
            required = List.copyOf(required);
        }

        String id() {
            return "daemonset " + namespace + "/" + name;
        }
    }

    /** One node selector term: every requirement must hold. */
    public record Term(List<Requirement> labels, List<Requirement> fields) {
        public Term {
            labels = List.copyOf(labels);
            fields = List.copyOf(fields);
        }
    }

    /** A node selector requirement: {@code key operator values}. */
    public record Requirement(String key, String operator, List<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = values == null ? List.of() : List.copyOf(values);
        }
    }

    /** The node as the decision needs it: its name (for {@code matchFields}) and labels. */
    public record NodeFacts(String name, Map<String, String> labels) {
        public NodeFacts {
            Objects.requireNonNull(name, "name");
            labels = Map.copyOf(labels);
        }
    }

    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    /**
     * @param seen  this agent has seen its DaemonSet at least once: without that, a missing one is a
     *              misconfiguration (a wrong name), not an uninstall, and nothing is removed
     * @param owner the DaemonSet now; empty when the API server says it does not exist
     * @param node  this node now; empty when unknown
     */
    public static Departure decide(String ownerId, boolean seen, Optional<Owner> owner, Optional<NodeFacts> node) {
        if (!seen) {
            return of(Reason.UNKNOWN_OWNER, ownerId + " was never seen by this agent, so its absence proves nothing");
        }
        if (owner.isEmpty()) {
            return of(Reason.DELETED, ownerId + " is gone");
        }
        Owner o = owner.get();
        if (o.deleting()) {
            return of(Reason.DELETING, o.id() + " is being deleted");
        }
        if (node.isEmpty()) {
            return of(Reason.UNDECIDABLE, o.id() + " exists, but this node is unknown");
        }
        Optional<Boolean> selected = selects(o, node.get());
        if (selected.isEmpty()) {
            return of(Reason.UNDECIDABLE, o.id() + " exists, but its node selection cannot be evaluated");
        }
        return selected.get()
                ? of(Reason.SELECTED, o.id() + " exists and selects node " + node.get().name())
                : of(Reason.NOT_SELECTED, o.id() + " no longer selects node " + node.get().name());
    }

    /**
     * Whether the pod template's nodeSelector and required node affinity select the node, as the
     * DaemonSet controller decides it (Kubernetes' {@code nodeaffinity.GetRequiredNodeAffinity}):
     * every nodeSelector label, and at least one term, each of whose requirements holds. Empty when
     * a requirement cannot be evaluated (an unknown operator, a non-integer for Gt/Lt).
     */
    static Optional<Boolean> selects(Owner o, NodeFacts node) {
        for (Map.Entry<String, String> e : o.nodeSelector().entrySet()) {
            if (!e.getValue().equals(node.labels().get(e.getKey()))) {
                return Optional.of(false);
            }
        }
        if (o.required().isEmpty()) {
            return Optional.of(true);
        }
        boolean undecidable = false;
        for (Term t : o.required()) {
            Optional<Boolean> m = matches(t, node);
            if (m.isEmpty()) {
                undecidable = true;
            } else if (m.get()) {
                return Optional.of(true);
            }
        }
        return undecidable ? Optional.empty() : Optional.of(false);
    }

    /** A term without requirements selects no node (Kubernetes: "a null or empty term matches no objects"). */
    private static Optional<Boolean> matches(Term t, NodeFacts node) {
        if (t.labels().isEmpty() && t.fields().isEmpty()) {
            return Optional.of(false);
        }
        boolean all = true;
        for (Requirement r : t.labels()) {
            Optional<Boolean> m = holds(r, node.labels().get(r.key()));
            if (m.isEmpty()) {
                return m;
            }
            all &= m.get();
        }
        for (Requirement r : t.fields()) {
            if (!r.key().equals("metadata.name") || !(r.operator().equals("In") || r.operator().equals("NotIn"))) {
                return Optional.empty();
            }
            all &= holds(r, node.name()).orElseThrow();
        }
        return Optional.of(all);
    }

    private static OptionalLong integer(String s) {
        if (!INTEGER.matcher(s).matches()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static Optional<Boolean> holds(Requirement r, String value) {
        return switch (r.operator()) {
            case "In" -> Optional.of(value != null && r.values().contains(value));
            case "NotIn" -> Optional.of(value == null || !r.values().contains(value));
            case "Exists" -> Optional.of(value != null);
            case "DoesNotExist" -> Optional.of(value == null);
            case "Gt", "Lt" -> {
                OptionalLong bound = r.values().size() == 1 ? integer(r.values().get(0)) : OptionalLong.empty();
                if (bound.isEmpty()) {
                    yield Optional.empty();
                }
                OptionalLong v = value == null ? OptionalLong.empty() : integer(value);
                if (v.isEmpty()) {
                    yield Optional.of(false); // as Kubernetes: a label that is not an integer does not match
                }
                int c = Long.compare(v.getAsLong(), bound.getAsLong());
                yield Optional.of(r.operator().equals("Gt") ? c > 0 : c < 0);
            }
            default -> Optional.empty();
        };
    }
}
