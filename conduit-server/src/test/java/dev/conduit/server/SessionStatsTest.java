package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionStatsTest {
    private final StoppedClock clock = new StoppedClock();

    @Test
    void countsMessagesAndPayloadBytesBothWaysAndTicksPerMessageReceived() {
        SessionStats s = new SessionStats(clock.nanoTime());
        assertThat(s.received(10)).isEqualTo(1);
        assertThat(s.received(5)).isEqualTo(2);
        s.delivered(7);
        assertThat(new long[] {s.messagesIn(), s.bytesIn(), s.messagesOut(), s.bytesOut()})
                .containsExactly(2, 15, 1, 7);
    }

    @Test
    void onlyTheReplyToTheTimedRequestEndsItsTimingAndOnlyOnce() {
        SessionStats s = new SessionStats(clock.nanoTime());
        assertThat(s.sampleFree()).isTrue();
        s.requestRouted("_INBOX.a.1", clock.nanoTime());
        assertThat(s.sampleFree()).isFalse();
        clock.advanceNanos(3_000);
        assertThat(s.replyDelivered("other.subject", clock)).isEqualTo(-1);
        assertThat(s.replyDelivered("_INBOX.a.1", clock)).isEqualTo(3_000);
        assertThat(s.replyDelivered("_INBOX.a.1", clock)).as("a second reply is not timed").isEqualTo(-1);
        assertThat(s.sampleFree()).isTrue();
    }

    @Test
    void aRequestWithoutAReplyIsGivenUpAfterTheMaximumAgeSoTheNextCanBeTimed() {
        SessionStats s = new SessionStats(clock.nanoTime());
        long max = TimeUnit.SECONDS.toNanos(60);
        s.requestRouted("_INBOX.a.1", clock.nanoTime());
        clock.advanceNanos(max);
        s.expireSample(clock.nanoTime(), max);
        assertThat(s.sampleFree()).as("not older than the maximum yet").isFalse();
        clock.advanceNanos(1);
        s.expireSample(clock.nanoTime(), max);
        assertThat(s.sampleFree()).isTrue();
        assertThat(s.replyDelivered("_INBOX.a.1", clock)).isEqualTo(-1);
    }

    @Test
    void ratesFollowTrafficAndAnIdleTickLeavesThemAtZeroWithoutANewArray() {
        SessionStats s = new SessionStats(clock.nanoTime());
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(1));
        s.tick(clock.nanoTime());
        assertThat(s.rates()).containsExactly(0, 0, 0, 0);

        s.received(100);
        s.received(100);
        s.delivered(10);
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(2));
        s.tick(clock.nanoTime());
        assertThat(s.rates()).as("per second over the 2 s since the last tick").containsExactly(1, 0.5, 100, 5);

        clock.advanceNanos(TimeUnit.SECONDS.toNanos(1));
        s.tick(clock.nanoTime());
        assertThat(s.rates()).as("nothing since").containsExactly(0, 0, 0, 0);
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(1));
        s.tick(clock.nanoTime()); // idle twice: the shared zero rates stay

        s.received(30);
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(3));
        s.tick(clock.nanoTime());
        assertThat(s.rates()).as("counted from the idle ticks' time, not the busy one's")
                .containsExactly(0.333, 0, 10, 0);
    }
}
