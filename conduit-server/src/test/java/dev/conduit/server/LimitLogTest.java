package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitLogTest {
    @Test
    void aFloodIsHeldToAFewLinesPerWindowAndTheRestAreCounted() {
        ManualClock clock = ManualClock.create();
        LimitLog log = new LimitLog("maxConnections", clock);
        for (int i = 0; i < LimitLog.LINES_PER_WINDOW + 500; i++) {
            log.hit("peer " + i, "refused", ErrorCode.TOO_MANY_CONNECTIONS);
        }
        assertThat(log.suppressed()).isEqualTo(500);
        clock.advance(Duration.ofSeconds(LimitLog.WINDOW_SECONDS));
        log.hit("peer x", "refused", ErrorCode.TOO_MANY_CONNECTIONS);
        assertThat(log.suppressed()).as("the next window's first line reports them").isZero();
    }
}
