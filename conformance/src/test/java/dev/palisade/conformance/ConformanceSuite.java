package dev.palisade.conformance;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The life of one kernel suite's cluster, for every suite: started once before the class's tests
 * (network namespaces, the pods' servers), its tables cleared after each test, all of it removed after
 * the last. A suite says only which cluster it needs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConformanceSuite {

    /** The running cluster of this suite; null until started, or if starting failed. */
    protected Conformance k;

    /** The cluster this suite's tests run on. */
    protected abstract ClusterSpec spec();

    @BeforeAll
    final void up() {
        k = Conformance.start(getClass(), spec());
    }

    @AfterEach
    final void clear() {
        if (k != null) {
            k.clearTables();
        }
    }

    @AfterAll
    final void down() {
        if (k != null) {
            k.close();
        }
    }
}
