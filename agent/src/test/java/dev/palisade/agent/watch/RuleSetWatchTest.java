package dev.palisade.agent.watch;

import dev.palisade.operator.resource.DirectionWire;
import dev.palisade.operator.resource.GrantWire;
import dev.palisade.operator.resource.NodeRuleSetSpec;
import dev.palisade.operator.resource.PeersWire;
import dev.palisade.operator.resource.RuleSetWire;
import dev.palisade.operator.resource.VerdictWire;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RuleSetWatchTest {

    private static PeersWire sets(String... names) {
        return new PeersWire(null, List.of(), List.of(), List.of(names));
    }

    /** The agent waits for every part a rule set names, those of ClusterNetworkPolicy verdicts included. */
    @Test
    void referencedSetsIncludeThoseOfGrantsAndOfVerdicts() {
        DirectionWire ingress = new DirectionWire(List.of("10.0.0.1"),
                List.of(new GrantWire("app/web", 0, List.of("10.0.0.1"), sets("as-1", "as-2"), List.of())),
                List.of(new VerdictWire("DENY", "lockdown#ingress[0]", List.of("10.0.0.1"), sets("as-3"), List.of(), true)));
        DirectionWire egress = new DirectionWire(List.of(), List.of(),
                List.of(new VerdictWire("ACCEPT", "dns#egress[0]", List.of("10.0.0.1"), sets("as-2", "as-4"),
                        List.of("UDP/53"), false)));
        NodeRuleSetSpec spec = new NodeRuleSetSpec("n1", 1, "0".repeat(64), null,
                new RuleSetWire(List.of("10.0.0.1"), ingress, egress, List.of()));
        assertEquals(Set.of("as-1", "as-2", "as-3", "as-4"), RuleSetWatch.referencedSets(spec));
    }
}
