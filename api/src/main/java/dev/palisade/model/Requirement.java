package dev.palisade.model;

import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** One matchExpressions entry of a label selector. */
public record Requirement(String key, Operator operator, SortedSet<String> values) implements Comparable<Requirement> {

    public enum Operator {
        In, NotIn, Exists, DoesNotExist;

        public static Operator parse(String text) {
            for (Operator o : values()) {
                if (o.name().equals(text)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown selector operator \"" + text
                    + "\" (expected In, NotIn, Exists or DoesNotExist)");
        }
    }

    private static final Comparator<Requirement> ORDER = Comparator.comparing(Requirement::key)
            .thenComparing(Requirement::operator)
            .thenComparing(r -> String.join(",", r.values()));

    public Requirement {
        Labels.checkKey(key);
        if (operator == null) {
            throw new IllegalArgumentException("selector operator is required for key \"" + key + "\"");
        }
        values = Collections.unmodifiableSortedSet(new TreeSet<>(values == null ? java.util.Set.of() : values));
        boolean needsValues = operator == Operator.In || operator == Operator.NotIn;
        if (needsValues && values.isEmpty()) {
            throw new IllegalArgumentException("operator " + operator + " on key \"" + key + "\" needs at least one value");
        }
        if (!needsValues && !values.isEmpty()) {
            throw new IllegalArgumentException("operator " + operator + " on key \"" + key + "\" takes no values");
        }
        values.forEach(Labels::checkValue);
    }

    public boolean matches(Map<String, String> labels) {
        String v = labels.get(key);
        return switch (operator) {
            case In -> v != null && values.contains(v);
            case NotIn -> v == null || !values.contains(v);
            case Exists -> labels.containsKey(key);
            case DoesNotExist -> !labels.containsKey(key);
        };
    }

    @Override
    public int compareTo(Requirement o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return switch (operator) {
            case In -> key + " in (" + String.join(",", values) + ")";
            case NotIn -> key + " notin (" + String.join(",", values) + ")";
            case Exists -> key;
            case DoesNotExist -> "!" + key;
        };
    }
}
