package dev.conduit.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server paces reliable subscriptions (docs/protocol.md section 7b, docs/guarantees.md).
 *
 * @param maxHeldBytesPerSubscription payload bytes the server holds for one reliable subscription
 *                                    that has no credit left; past it, the server stops reading from
 *                                    the connections whose publishes route to the subscription, until
 *                                    it is back under half of this
 * @param maxStall                    a reliable subscription that holds messages and grants no new
 *                                    credit for this long is ended (GAP with ENDED, non-fatal 429),
 *                                    so that one stuck consumer cannot hold its publishers for ever;
 *                                    zero: never
 */
public record FlowControl(long maxHeldBytesPerSubscription, Duration maxStall) {
    /** 1 MiB held per subscription, 30 s stall limit. */
    public static final FlowControl DEFAULT = new FlowControl(1L << 20, Duration.ofSeconds(30));

    public FlowControl {
        if (maxHeldBytesPerSubscription < 1) {
            throw new IllegalArgumentException("maxHeldBytesPerSubscription must be > 0: " + maxHeldBytesPerSubscription);
        }
        Objects.requireNonNull(maxStall, "maxStall");
        if (maxStall.isNegative()) {
            throw new IllegalArgumentException("maxStall must be >= 0: " + maxStall);
        }
    }
}
