package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final long MS = 1_000_000;

    @Test
    void theCeilingDoublesFromTheBaseUpToTheCap() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(1));
        long[] ceilings = new long[10];
        for (int i = 0; i < ceilings.length; i++) {
            ceilings[i] = b.ceilingNanos(i) / MS;
        }
        assertThat(ceilings).containsExactly(100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000);
        assertThat(b.ceilingNanos(1_000_000) / MS).as("no overflow on a long outage").isEqualTo(5000);
    }

    @Test
    void delaysAreFullJitterWithinTheCeilingAndRepeatForTheSameSeed() {
        Backoff a = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(42));
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(42));
        for (int attempt = 0; attempt < 50; attempt++) {
            long d = a.delayNanos(attempt);
            assertThat(d).isBetween(0L, a.ceilingNanos(attempt));
            assertThat(b.delayNanos(attempt)).as("same seed, same sequence").isEqualTo(d);
        }
    }

    @Test
    void jitterSpreadsACrowdOverTheWholeWindow() {
        // A thousand clients retrying at attempt 3 (ceiling 800 ms): every tenth of the window gets some.
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(7));
        int[] buckets = new int[10];
        for (int i = 0; i < 1000; i++) {
            buckets[(int) Math.min(9, b.delayNanos(3) * 10 / b.ceilingNanos(3))]++;
        }
        assertThat(java.util.Arrays.stream(buckets).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(50, 150));
    }

    @Test
    void aZeroBaseMeansNoWait() {
        Backoff b = new Backoff(Duration.ZERO, Duration.ZERO, new Random(3));
        assertThat(b.delayNanos(0)).isZero();
        assertThat(b.delayNanos(40)).isZero();
    }
}
