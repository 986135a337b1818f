package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InterestTableTest {
    private static final InterestKey ORDERS_ALL = new InterestKey("orders.>", null);
    private static final InterestKey ORDERS_STAR = new InterestKey("orders.*", null);
    private static final InterestKey STAR_EU = new InterestKey("*.eu", null);
    private static final InterestKey WORKERS = new InterestKey("jobs.*", "workers");

    private final InterestTable table = new InterestTable(Map.of(
            "n1", Map.of(ORDERS_ALL, 1, WORKERS, 2),
            "n2", Map.of(ORDERS_STAR, 3, WORKERS, 1),
            "n3", Map.of(STAR_EU, 1)));

    @Test
    void wildcardsMatchAsInTheServersIndex() {
        assertThat(table.route("orders.eu").plainNodes()).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(table.route("orders.eu.paris").plainNodes()).containsExactly("n1"); // '*' is one token
        assertThat(table.route("orders").plainNodes()).isEmpty(); // '>' needs at least one token
        assertThat(table.route("prices.eu").plainNodes()).containsExactly("n3");
        assertThat(table.route("prices.us")).isSameAs(InterestTable.Route.NONE);
    }

    @Test
    void queueGroupsListTheNodesHoldingMembersSorted() {
        InterestTable.Route r = table.route("jobs.render");
        assertThat(r.plainNodes()).isEmpty();
        assertThat(r.groupNodes()).isEqualTo(Map.of("workers", List.of("n1", "n2")));
    }

    @Test
    void sizesCountInterestRecords() {
        assertThat(table.size()).isEqualTo(5);
        assertThat(table.size("n2")).isEqualTo(2);
        assertThat(table.nodes()).containsExactlyInAnyOrder("n1", "n2", "n3");
    }

    @Test
    void interestKeysRoundTripThroughTheirHashFields() {
        assertThat(InterestKey.parse(ORDERS_ALL.field())).isEqualTo(ORDERS_ALL);
        assertThat(InterestKey.parse(WORKERS.field())).isEqualTo(WORKERS);
        assertThat(InterestKey.parse("x whatever")).isNull();
        assertThat(InterestKey.parse("q onlygroup")).isNull();
    }
}
