package dev.palisade.cli;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.palisade.model.IpAddress;
import dev.palisade.model.IpRange;
import dev.palisade.ruleset.ClusterVerdict;
import dev.palisade.ruleset.DirectionRules;
import dev.palisade.ruleset.NodeRuleSet;

import java.util.List;

/**
 * The node rule set (the operator-agent contract) as JSON, byte-for-byte deterministic: keys sorted,
 * "\n" line ends, addresses and ranges in their canonical text ("10.0.0.1", "10.0.0.0-10.0.0.255").
 * Record components only: derived accessors like {@code isEmpty()} are not part of the contract.
 */
final class RuleSetJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .addModule(new SimpleModule("palisade-addresses")
                    .addSerializer(IpAddress.class, ToStringSerializer.instance)
                    .addSerializer(IpRange.class, ToStringSerializer.instance))
            .addMixIn(DirectionRules.class, DirectionRulesJson.class)
            .build();

    /** Verdicts only when a ClusterNetworkPolicy produced some, so rule sets without them print as before. */
    private abstract static class DirectionRulesJson {
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        List<ClusterVerdict> verdicts;
    }

    private RuleSetJson() {
    }

    static String write(NodeRuleSet rules) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return MAPPER.writer(printer).writeValueAsString(rules) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the rule set of node " + rules.node() + " as JSON", e);
        }
    }
}
