package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LossesTest {

    @Test
    void countsPerSubjectUpToTheBoundThenTogether() {
        Losses losses = new Losses(2);
        assertThat(losses.add("a")).as("the first loss asks for a marker").isTrue();
        assertThat(losses.add("a")).isFalse();
        assertThat(losses.add("b")).isFalse();
        assertThat(losses.add("c")).isFalse(); // a third subject: past the bound
        assertThat(losses.add("d")).isFalse();
        assertThat(losses.add("b")).isFalse(); // one already counted by name stays so
        assertThat(losses.pending()).isEqualTo(6);

        List<Batch.Item> items = losses.take();

        Map<String, Long> bySubject = items.stream().collect(Collectors.toMap(
                i -> i.lostSubject() == null ? "(other)" : i.lostSubject(), Batch.Item::count));
        assertThat(bySubject).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "b", 2L, "(other)", 2L));
        assertThat(items).allMatch(i -> i.kind() == Batch.LOST);
        assertThat(losses.pending()).isZero();
        assertThat(losses.take()).isEmpty();
        assertThat(losses.add("c")).as("after a take, the next loss asks for a new marker").isTrue();
    }
}
