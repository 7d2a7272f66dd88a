package dev.palisade.operator.lifecycle;

import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpecBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZonedDateTime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CandidacyTest {

    @Test
    void aLeaseIsAbandonedOnlyOnceALiveCandidateWouldHaveTakenIt() {
        ZonedDateTime renewed = ZonedDateTime.parse("2026-12-07T04:00:00Z");
        var held = new LeaseSpecBuilder().withHolderIdentity("a")
                .withLeaseDurationSeconds(15).withRenewTime(renewed).build();
        Duration retry = Duration.ofSeconds(2);
        // held for 15 s, then three retry periods of grace
        assertFalse(Candidacy.abandoned(held, renewed.plusSeconds(20).toInstant(), Duration.ofSeconds(15), retry));
        assertTrue(Candidacy.abandoned(held, renewed.plusSeconds(22).toInstant(), Duration.ofSeconds(15), retry));
        // released (one second) but still naming its holder: the longer of the two durations counts
        var released = new LeaseSpecBuilder(held)
                .withLeaseDurationSeconds(1).build();
        assertFalse(Candidacy.abandoned(released, renewed.plusSeconds(20).toInstant(), Duration.ofSeconds(15), retry));
        // nobody holds it: only the grace
        var free = new LeaseSpecBuilder(held).withHolderIdentity(null)
                .build();
        assertFalse(Candidacy.abandoned(free, renewed.plusSeconds(5).toInstant(), Duration.ofSeconds(15), retry));
        assertTrue(Candidacy.abandoned(free, renewed.plusSeconds(7).toInstant(), Duration.ofSeconds(15), retry));
        // being created
        var fresh = new LeaseSpecBuilder().withHolderIdentity("a").build();
        assertFalse(Candidacy.abandoned(fresh, renewed.plusSeconds(3600).toInstant(), Duration.ofSeconds(15), retry));
    }
}
