package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A lossy subscription of a session over its bound is skipped where its messages are routed
 * ({@link ServerSubscription#dropAtRouting}): every such drop is counted for the next GAP, and one
 * message in the sample still goes on to the writer, which looks at the bound again.
 */
class SkipAtRoutingTest {
    @Test
    void oneInTheSampleGoesOnAndEveryOtherIsCountedForTheNextGap() {
        ServerSubscription sub = new ServerSubscription(null, 1, "feed", null);
        int passed = 0;
        for (int i = 0; i < 640; i++) {
            if (!sub.dropAtRouting(64)) {
                passed++;
            }
        }
        assertThat(passed).isEqualTo(10);
        assertThat(sub.droppedSinceGap()).isEqualTo(630);
        sub.dropOne(); // the writer's own drop (a sampled message still over the bound)
        assertThat(sub.takeDropped()).as("one GAP for both kinds").isEqualTo(631);
        assertThat(sub.takeDropped()).isZero();
        assertThat(sub.droppedSinceGap()).isZero();
    }
}
