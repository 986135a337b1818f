package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SubjectSamplerTest {

    @Test
    void atLowRatesEveryMessageIsCounted() {
        SubjectSampler s = new SubjectSampler();
        for (long tick = 1; tick <= 7; tick++) {
            s.offer(tick, tick <= 5 ? "a" : "b");
        }
        assertThat(s.roll(7, 10)).containsExactly(new SubjectSampler.SubjectCount("a", 5),
                new SubjectSampler.SubjectCount("b", 2));
        assertThat(s.step()).isEqualTo(1);
    }

    @Test
    void atHighRatesOneMessageInAPowerOfTwoIsSampledAndTheCountsScaledBack() {
        SubjectSampler s = new SubjectSampler();
        s.roll(1_000_000, 10); // a busy window: 1,000,000 / 4,096 = 244, so one in 128 next
        assertThat(s.step()).isEqualTo(128);
        for (long tick = 1; tick <= 1280; tick++) {
            s.offer(tick, "busy");
        }
        for (long tick = 1; tick <= 127; tick++) {
            s.offer(tick, "rare"); // never reaches a multiple of 128: not seen
        }
        assertThat(s.roll(1407, 10)).containsExactly(new SubjectSampler.SubjectCount("busy", 1280));
        assertThat(s.step()).isEqualTo(1);
    }

    @Test
    void aWindowHoldsABoundedNumberOfSubjectsAndReturnsOnlyTheTopOnes() {
        SubjectSampler s = new SubjectSampler();
        s.offer(1, "first");
        s.offer(2, "first");
        for (int i = 0; i < SubjectSampler.MAX_SUBJECTS + 500; i++) {
            s.offer(i, "unique." + i);
        }
        var top = s.roll(10_000, 3);
        assertThat(top).hasSize(3);
        assertThat(top.get(0)).isEqualTo(new SubjectSampler.SubjectCount("first", 2));
    }
}
