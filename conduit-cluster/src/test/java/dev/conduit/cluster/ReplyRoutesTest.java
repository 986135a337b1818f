package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplyRoutesTest {
    private final AtomicLong now = new AtomicLong();
    private final ReplyRoutes routes = new ReplyRoutes(2, 1_000, now::get);

    @Test
    void aRouteLastsItsTimeToLive() {
        routes.put("_INBOX.a.1", "n2");
        now.set(999);
        assertThat(routes.get("_INBOX.a.1")).isEqualTo("n2");
        now.set(1_000);
        assertThat(routes.get("_INBOX.a.1")).isNull();
        assertThat(routes.size()).isZero();
    }

    @Test
    void theOldestRouteGoesPastTheBound() {
        routes.put("_INBOX.a.1", "n1");
        routes.put("_INBOX.a.2", "n2");
        routes.put("_INBOX.a.3", "n3");
        assertThat(routes.get("_INBOX.a.1")).isNull();
        assertThat(routes.get("_INBOX.a.2")).isEqualTo("n2");
        assertThat(routes.get("_INBOX.a.3")).isEqualTo("n3");
    }
}
