package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What a server names as ALTERNATES in WELCOME and GOAWAY, from its configuration and its backplane. */
class AlternatesTest {

    @Test
    void welcomeNamesTheClusterNodesOnceLeavingOutWhatNoClientCouldUse() {
        Alternates a = new Alternates(List.of("tcp://static:1"));
        List<String> reported = new ArrayList<>(List.of("tcp://n2:7440", "", "not a url at all", "tcp://n2:7440",
                "ws://n3:7480/conduit", "tcp://" + "h".repeat(Alternates.MAX_URL_BYTES) + ":1", "ftp://n4:1"));
        assertThat(a.cluster(reported)).containsExactly("tcp://n2:7440", "ws://n3:7480/conduit");
        assertThat(a.cluster(List.of())).isEmpty();
    }

    @Test
    void theGoAwayOfAStopNamesTheConfiguredOnesFirstThenTheCluster() {
        Alternates a = new Alternates(List.of("tcp://static:1", "tcp://n2:7440"));
        assertThat(a.withConfigured(List.of("tcp://n2:7440", "tcp://n3:7440")))
                .containsExactly("tcp://static:1", "tcp://n2:7440", "tcp://n3:7440");
        assertThat(a.withConfigured(List.of())).containsExactly("tcp://static:1", "tcp://n2:7440");
    }

    @Test
    void atMost64AreNamedTheConfiguredOnesKept() {
        List<String> many = IntStream.range(0, 100).mapToObj(i -> "tcp://n" + i + ":7440").toList();
        Alternates a = new Alternates(List.of("tcp://static:1"));
        List<String> named = a.withConfigured(many);
        assertThat(named).hasSize(64).startsWith("tcp://static:1", "tcp://n0:7440").endsWith("tcp://n62:7440");
        assertThat(a.cluster(many)).hasSize(64).endsWith("tcp://n63:7440");
    }

    @Test
    void theSameListFromTheBackplaneIsCleanedOnceAndANewOneAgain() {
        Alternates a = new Alternates(List.of());
        List<String> first = List.of("tcp://n2:7440");
        List<String> once = a.cluster(first);
        assertThat(a.cluster(first)).isSameAs(once);
        List<String> changed = List.of("tcp://n2:7440", "tcp://n3:7440");
        assertThat(a.cluster(changed)).containsExactly("tcp://n2:7440", "tcp://n3:7440");
    }
}
