package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StatsHistoryTest {
    private static StatsHistory.Point point(long t, double latency) {
        return new StatsHistory.Point(t, t, 2 * t, 0, 0, 1, 1, latency, latency, Double.NaN, Double.NaN, 100);
    }

    @Test
    void theRingKeepsTheNewestPointsOldestFirst() {
        StatsHistory h = new StatsHistory(3);
        for (long t = 1; t <= 5; t++) {
            h.add(point(t, 1));
        }
        assertThat(h.points()).extracting(StatsHistory.Point::timeMillis).containsExactly(3L, 4L, 5L);
    }

    @Test
    void fifteenMinutesOfPointsFitInOneMessageAndMissingLatenciesAreNull() throws Exception {
        StatsHistory h = new StatsHistory();
        for (long t = 0; t < StatsHistory.CAPACITY + 10; t++) {
            h.add(point(1_700_000_000_000L + t * 1000, t % 2 == 0 ? 1.25 : Double.NaN));
        }
        int max = dev.conduit.protocol.ProtocolLimits.DEFAULT.maxPayloadBytes();
        JsonNode json = h.toJson(max);
        assertThat(json.get("points").asInt()).isEqualTo(StatsHistory.CAPACITY);
        assertThat(json.get("time")).hasSize(StatsHistory.CAPACITY);
        assertThat(new ObjectMapper().writeValueAsBytes(json).length).isLessThan(max);
        assertThat(json.get("requestP50Millis").get(0).isNull()).isFalse(); // t = 10: even
        assertThat(json.get("requestP50Millis").get(1).isNull()).isTrue();
        assertThat(json.get("deliveryP99Millis")).allSatisfy(v -> assertThat(v.isNull()).isTrue());

        JsonNode small = h.toJson(512 + 10 * StatsHistory.MAX_POINT_BYTES);
        assertThat(small.get("points").asInt()).isEqualTo(10);
        assertThat(small.get("time").get(9).asLong()).isEqualTo(1_700_000_000_000L + (StatsHistory.CAPACITY + 9) * 1000L);
        assertThat(new ObjectMapper().writeValueAsBytes(small).length).isLessThan(512 + 10 * StatsHistory.MAX_POINT_BYTES);
    }
}
