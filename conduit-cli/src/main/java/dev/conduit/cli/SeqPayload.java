package dev.conduit.cli;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The payload {@code conduit pub --seq} sends and {@code conduit sub --check-seq} reads: the
 * message's sequence number in decimal ASCII digits, then, if there is user data, one space and the
 * data's bytes unchanged.
 *
 * <pre>
 *   seq 1, no data        "1"
 *   seq 42, data "hello"  "42 hello"
 *   seq 7, data "a b"     "7 a b"      (everything after the first space is data)
 * </pre>
 *
 * <p>The number is 1 to {@value Long#MAX_VALUE}, written without sign or leading zeros: a publisher
 * numbers its messages 1, 2, 3, ... in the order it publishes them.
 */
final class SeqPayload {
    private SeqPayload() {
    }

    /** The payload for sequence number {@code seq} followed by {@code data} (none if empty). */
    static byte[] format(long seq, byte[] data) {
        if (seq < 1) {
            throw new IllegalArgumentException("sequence numbers start at 1: " + seq);
        }
        byte[] number = Long.toString(seq).getBytes(StandardCharsets.US_ASCII);
        if (data.length == 0) {
            return number;
        }
        byte[] payload = Arrays.copyOf(number, number.length + 1 + data.length);
        payload[number.length] = ' ';
        System.arraycopy(data, 0, payload, number.length + 1, data.length);
        return payload;
    }

    /**
     * The sequence number at the start of a payload.
     *
     * @throws IllegalArgumentException if the payload does not start with one (digits ending at the
     *                                  first space or at the end, 1 to {@value Long#MAX_VALUE}, no
     *                                  leading zero)
     */
    static long parse(byte[] payload) {
        int end = 0;
        while (end < payload.length && payload[end] != ' ') {
            end++;
        }
        if (end == 0) {
            throw new IllegalArgumentException("no sequence number at the start of the payload");
        }
        if (payload[0] == '0') {
            throw new IllegalArgumentException("a sequence number has no leading zero and starts at 1");
        }
        long seq = 0;
        for (int i = 0; i < end; i++) {
            int digit = payload[i] - '0';
            if (digit < 0 || digit > 9) {
                throw new IllegalArgumentException("not a sequence number: '"
                        + new String(payload, 0, Math.min(end, 40), StandardCharsets.UTF_8) + "'");
            }
            if (seq > (Long.MAX_VALUE - digit) / 10) {
                throw new IllegalArgumentException("sequence number larger than " + Long.MAX_VALUE);
            }
            seq = seq * 10 + digit;
        }
        return seq;
    }
}
