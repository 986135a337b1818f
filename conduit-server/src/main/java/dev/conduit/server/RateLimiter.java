package dev.conduit.server;

import dev.conduit.transport.Clock;

/**
 * Two token buckets, messages and bytes, for one session's inbound rate. Each holds up to one
 * second's worth of its rate and refills continuously; a bucket may go into debt (a burst that
 * ends past it, one frame larger than the bucket), and the debt is paid by not reading until it has
 * refilled.
 *
 * <p>Cheap on the hot path: {@link #charge} is two subtractions and a sign test; the clock is read
 * only when a bucket has run dry ({@link #check()}).
 *
 * <p>Not thread-safe: used under the session's inbound lock.
 */
final class RateLimiter {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    private final Bucket messages;
    private final Bucket bytes;
    /** Inside an episode of being over the rate: from the first pause until the buckets are half full again. */
    private boolean limited;

    /** @param messagesPerSecond 0 for no message rate; @param bytesPerSecond 0 for no byte rate */
    RateLimiter(long messagesPerSecond, long bytesPerSecond, Clock clock) {
        this.clock = clock;
        long now = clock.nanoTime();
        this.messages = messagesPerSecond > 0 ? new Bucket(messagesPerSecond, now) : null;
        this.bytes = bytesPerSecond > 0 ? new Bucket(bytesPerSecond, now) : null;
    }

    /**
     * One frame of {@code frameBytes} was read.
     *
     * @return true if a bucket is now in debt, so that {@link #check()} should be called
     */
    boolean charge(long frameBytes) {
        long m = 0;
        long b = 0;
        if (messages != null) {
            m = --messages.tokens;
        }
        if (bytes != null) {
            b = bytes.tokens -= frameBytes;
        }
        return (m | b) < 0;
    }

    /**
     * Refills the buckets from the clock, and if either is still in debt, says how long reading
     * must stop to pay it. Ends the episode once both buckets are half full again.
     *
     * @return nanoseconds to stop reading, or 0 to read on
     */
    long check() {
        long now = clock.nanoTime();
        long wait = 0;
        boolean halfFull = true;
        if (messages != null) {
            messages.refill(now);
            wait = Math.max(wait, messages.debtNanos());
            halfFull = messages.tokens >= messages.rate / 2;
        }
        if (bytes != null) {
            bytes.refill(now);
            wait = Math.max(wait, bytes.debtNanos());
            halfFull &= bytes.tokens >= bytes.rate / 2;
        }
        if (wait == 0 && halfFull) {
            limited = false;
        }
        return wait;
    }

    /**
     * Marks the start of an episode of being over the rate.
     *
     * @return true if this starts a new episode (the peer is to be told), false if one is open
     */
    boolean startEpisode() {
        if (limited) {
            return false;
        }
        limited = true;
        return true;
    }

    boolean limited() {
        return limited;
    }

    /** Tokens left in the message bucket (negative: debt), for tests. */
    long messageTokens() {
        return messages == null ? Long.MAX_VALUE : messages.tokens;
    }

    /** Tokens left in the byte bucket (negative: debt), for tests. */
    long byteTokens() {
        return bytes == null ? Long.MAX_VALUE : bytes.tokens;
    }

    /** Tokens per second, up to {@code rate} held; refilled in whole tokens, keeping the remainder of time. */
    private static final class Bucket {
        final long rate;
        long tokens;
        /** The clock reading up to which refills have been counted. */
        long refilledTo;

        Bucket(long rate, long now) {
            this.rate = rate;
            this.tokens = rate;
            this.refilledTo = now;
        }

        void refill(long now) {
            long elapsed = now - refilledTo;
            if (elapsed <= 0) {
                return;
            }
            long missing = rate - tokens;
            long add = mulDiv(elapsed, rate, NANOS_PER_SECOND);
            if (add >= missing) {
                tokens = rate;
                refilledTo = now;
            } else if (add > 0) {
                tokens += add;
                // Only the time those whole tokens took: the fraction of a token elapsed is kept.
                refilledTo += mulDiv(add, NANOS_PER_SECOND, rate);
            }
        }

        /** Nanoseconds until the bucket is out of debt; 0 if it is not in debt. */
        long debtNanos() {
            return tokens >= 0 ? 0 : Math.max(1, mulDivCeil(-tokens, NANOS_PER_SECOND, rate));
        }
    }

    /** {@code a * b / c} rounded down, for non-negative values, saturating instead of overflowing. */
    static long mulDiv(long a, long b, long c) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        if (hi == 0 && lo >= 0) {
            return lo / c;
        }
        return saturate(java.math.BigInteger.valueOf(a).multiply(java.math.BigInteger.valueOf(b))
                .divide(java.math.BigInteger.valueOf(c)));
    }

    /** {@code a * b / c} rounded up, for non-negative values, saturating instead of overflowing. */
    static long mulDivCeil(long a, long b, long c) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        if (hi == 0 && lo >= 0) {
            return lo / c + (lo % c == 0 ? 0 : 1);
        }
        java.math.BigInteger[] qr = java.math.BigInteger.valueOf(a).multiply(java.math.BigInteger.valueOf(b))
                .divideAndRemainder(java.math.BigInteger.valueOf(c));
        return saturate(qr[1].signum() == 0 ? qr[0] : qr[0].add(java.math.BigInteger.ONE));
    }

    /** Only for rates beyond 9 * 10^9 a second, where 64 bits overflow: never on a sane config's path. */
    private static long saturate(java.math.BigInteger v) {
        return v.bitLength() < 64 ? v.longValue() : Long.MAX_VALUE;
    }
}
