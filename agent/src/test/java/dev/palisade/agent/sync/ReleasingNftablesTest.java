package dev.palisade.agent.sync;

import dev.palisade.dataplane.kernel.RecordingNftables;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReleasingNftablesTest {

    @Test
    void aLargeScriptReleasesTheContextAndTheNextCallOpensAFreshOne() {
        List<RecordingNftables> opened = new ArrayList<>();
        ReleasingNftables nft = new ReleasingNftables(() -> {
            RecordingNftables r = new RecordingNftables();
            opened.add(r);
            return r;
        });
        nft.run("add element inet palisade pods4 { 10.0.0.1 }\n");
        nft.run("add element inet palisade pods4 { 10.0.0.2 }\n");
        assertEquals(1, opened.size(), "small scripts keep the context");
        nft.run("add table inet palisade\n" + "# padding\n".repeat(10_000));
        assertTrue(opened.get(0).isClosed(), "released after a large script");
        nft.list("list table inet palisade");
        assertEquals(2, opened.size());
        assertFalse(opened.get(1).isClosed());
        nft.close();
        assertTrue(opened.get(1).isClosed());
    }
}
