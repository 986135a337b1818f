package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@link Runs} orders and collects the runs of systems compared with each other. */
class RunsTest {
    /** Four measured runs, a warm-up with a tenth of the counts. */
    private static final BenchConfig FOUR = new BenchConfig(1_000, 1_000, 4, 200, 1_000, 64, 2_000, 4, 50,
            Duration.ofMillis(200), 10, 4, Duration.ofSeconds(20), Duration.ofSeconds(1));

    private final List<String> calls = new ArrayList<>();

    /** A system whose n-th measured run returns {n, 10 n}, and records each call. */
    private Runs.Run system(String name) {
        int[] measured = {0};
        return (k, d) -> {
            if (k.messages() != FOUR.messages()) {
                calls.add(name + " warm-up");
                return new double[] {-1, -1};
            }
            calls.add(name);
            measured[0]++;
            return new double[] {measured[0], 10 * measured[0]};
        };
    }

    @Test
    void systemsWarmUpThenTakeTurnsInAlternatingOrderEachWithItsOwnSeries() {
        List<List<Series>> out = Runs.inTurn(List.of("a", "b"), FOUR, 2, List.of(system("a"), system("b")));

        assertThat(calls).containsExactly("a warm-up", "b warm-up", "a", "b", "b", "a", "a", "b", "b", "a");
        assertThat(out).hasSize(2);
        for (List<Series> system : out) {
            assertThat(system.get(0).values()).containsExactly(1.0, 2.0, 3.0, 4.0);
            assertThat(system.get(1).values()).containsExactly(10.0, 20.0, 30.0, 40.0);
        }
    }

    @Test
    void aFailedRunFailsItsOwnSystemOnlyAndTheOthersGoOn() {
        Runs.Run failsSecond = (k, d) -> {
            if (k.messages() == FOUR.messages() && calls.add("b") && calls.stream().filter("b"::equals).count() == 2) {
                throw new IllegalStateException("lost its server");
            }
            return new double[] {7, 7};
        };

        List<List<Series>> out = Runs.inTurn(List.of("a", "b"), FOUR, 2, List.of(system("a"), failsSecond));

        assertThat(calls.stream().filter("a"::equals)).hasSize(4);
        assertThat(calls.stream().filter("b"::equals)).as("no run after the failed one").hasSize(2);
        assertThat(out.get(0).get(0).ok()).isTrue();
        assertThat(out.get(0).get(0).values()).hasSize(4);
        for (Series s : out.get(1)) {
            assertThat(s.ok()).isFalse();
            assertThat(s.failure()).isEqualTo("FAILED: IllegalStateException: lost its server");
        }
    }

    @Test
    void repeatIsOneSystemInTurnAndAFailedWarmUpFailsEverySeries() {
        List<Series> ok = Runs.repeat("a", FOUR, 2, system("a"));
        assertThat(calls).containsExactly("a warm-up", "a", "a", "a", "a");
        assertThat(ok.get(1).median()).isEqualTo(25.0);

        List<Series> failed = Runs.repeat("down", FOUR, 3, (k, d) -> {
            throw new java.util.concurrent.TimeoutException("no reply");
        });
        assertThat(failed).hasSize(3).allSatisfy(s -> assertThat(s.failure()).isEqualTo("TIMEOUT: TimeoutException: no reply"));
    }
}
