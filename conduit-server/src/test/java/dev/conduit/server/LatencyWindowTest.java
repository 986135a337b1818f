package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {
    private static final long MS = 1_000_000;

    @Test
    void nothingRecordedIsNoSamplesNotAZeroLatency() {
        LatencyWindow w = new LatencyWindow();
        assertThat(w.roll()).isEqualTo(LatencyWindow.Reading.EMPTY);
        assertThat(w.roll().samples()).isZero();
    }

    @Test
    void percentilesCoverTheLastTenIntervalsThenForgetThem() {
        LatencyWindow w = new LatencyWindow();
        for (int i = 1; i <= 100; i++) {
            w.record(i * MS); // 1 ms .. 100 ms
        }
        LatencyWindow.Reading r = w.roll();
        assertThat(r.samples()).isEqualTo(100);
        assertThat(r.p50Millis()).isCloseTo(50, within(1.0));
        assertThat(r.p99Millis()).isCloseTo(99, within(1.5));
        assertThat(r.maxMillis()).isCloseTo(100, within(1.5));

        w.record(1000 * MS); // the next interval: merged with the first
        LatencyWindow.Reading both = w.roll();
        assertThat(both.samples()).isEqualTo(101);
        assertThat(both.maxMillis()).isCloseTo(1000, within(10.0));

        for (int i = 0; i < LatencyWindow.SECONDS - 2; i++) {
            assertThat(w.roll().samples()).isEqualTo(101);
        }
        assertThat(w.roll().samples()).as("the first interval has left the window").isEqualTo(1);
        assertThat(w.roll().samples()).isZero();
    }

    @Test
    void valuesOutsideTheRangeAreClampedNotThrown() {
        LatencyWindow w = new LatencyWindow();
        w.record(-5);
        w.record(Long.MAX_VALUE);
        LatencyWindow.Reading r = w.roll();
        assertThat(r.samples()).isEqualTo(2);
        assertThat(r.maxMillis()).isCloseTo(60_000, within(700.0));
    }
}
