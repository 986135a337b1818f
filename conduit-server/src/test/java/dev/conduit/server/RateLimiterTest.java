package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The token buckets behind maxMessagesPerSecond and maxBytesPerSecond, on a clock that only moves when told. */
class RateLimiterTest {
    private final ManualClock clock = ManualClock.create();

    @Test
    void aFullBucketLetsOneSecondsWorthThroughWithoutReadingTheClock() {
        RateLimiter r = new RateLimiter(100, 0, clock);
        for (int i = 0; i < 100; i++) {
            assertThat(r.charge(10)).isFalse();
        }
        assertThat(r.messageTokens()).isZero();
        assertThat(r.charge(10)).isTrue();
    }

    @Test
    void aDebtIsPaidByPausingForTheTimeItTakesToRefill() {
        RateLimiter r = new RateLimiter(100, 0, clock);
        for (int i = 0; i < 150; i++) {
            r.charge(1);
        }
        // 50 messages over at 100/s: half a second.
        assertThat(r.check()).isEqualTo(Duration.ofMillis(500).toNanos());
        assertThat(r.startEpisode()).isTrue();
        assertThat(r.startEpisode()).as("one notice per episode").isFalse();
        clock.advance(Duration.ofMillis(200));
        assertThat(r.check()).isEqualTo(Duration.ofMillis(300).toNanos());
        clock.advance(Duration.ofMillis(300));
        assertThat(r.check()).isZero();
        assertThat(r.limited()).as("out of debt but not yet half full: the episode goes on").isTrue();
        clock.advance(Duration.ofMillis(500));
        assertThat(r.check()).isZero();
        assertThat(r.limited()).isFalse();
        assertThat(r.startEpisode()).as("a new episode is told again").isTrue();
    }

    @Test
    void aFrameLargerThanTheByteBucketIsLetThroughAndPaidForLater() {
        RateLimiter r = new RateLimiter(0, 1000, clock);
        assertThat(r.charge(3000)).isTrue();
        assertThat(r.check()).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(r.messageTokens()).as("no message rate").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theLongerOfTwoDebtsDecides() {
        RateLimiter r = new RateLimiter(10, 1000, clock);
        for (int i = 0; i < 12; i++) {
            r.charge(100); // 2 messages over (200 ms), 200 bytes over (200 ms)
        }
        r.charge(500); // 3 messages over (300 ms), 700 bytes over (700 ms)
        assertThat(r.check()).isEqualTo(Duration.ofMillis(700).toNanos());
    }

    @Test
    void refillingInSmallStepsLosesNoFractionOfAToken() {
        RateLimiter r = new RateLimiter(3, 0, clock);
        for (int i = 0; i < 6; i++) {
            r.charge(0);
        }
        // 3 in debt: one second at 3/s, refilled in steps of 1/7 s that each hold a fraction of a token.
        long step = Duration.ofSeconds(1).toNanos() / 7;
        for (int i = 0; i < 7; i++) {
            clock.advance(Duration.ofNanos(step));
            r.check();
        }
        clock.advance(Duration.ofNanos(Duration.ofSeconds(1).toNanos() - 7 * step));
        assertThat(r.check()).isZero();
        assertThat(r.messageTokens()).isZero();
    }

    @Test
    void aLongIdleSpellRefillsToTheBurstAndNoMore() {
        RateLimiter r = new RateLimiter(Long.MAX_VALUE / 4, 0, clock);
        r.charge(0);
        clock.advance(Duration.ofDays(365));
        assertThat(r.check()).isZero();
        assertThat(r.messageTokens()).isEqualTo(Long.MAX_VALUE / 4);
    }

    @Test
    void mulDivIsExactWhereItFitsAndSaturatesWhereItDoesNot() {
        assertThat(RateLimiter.mulDiv(7, 3, 2)).isEqualTo(10);
        assertThat(RateLimiter.mulDivCeil(7, 3, 2)).isEqualTo(11);
        assertThat(RateLimiter.mulDiv(Long.MAX_VALUE, Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(RateLimiter.mulDiv(Long.MAX_VALUE / 2, 4, 4)).isEqualTo(Long.MAX_VALUE / 2);
    }
}
