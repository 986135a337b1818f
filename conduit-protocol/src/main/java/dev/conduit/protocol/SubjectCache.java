package dev.conduit.protocol;

import org.jspecify.annotations.Nullable;

/**
 * The message subjects a {@link FrameCodec} has recently decoded and checked, so that a stream of
 * messages on a few subjects is not decoded and checked again for each one. Only ASCII subjects are
 * kept, so that equal bytes mean equal characters. It reads the subject's bytes from an array the
 * codec copied them into with one bulk read (a byte-at-a-time read of a direct buffer costs a
 * memory-session check per byte, measured at a fifth to a third of the server's CPU samples in W1,
 * docs/benchmarks.md). The slots are an array of immutable Strings: a
 * cache shared between threads stays correct (racing threads at worst miss or overwrite an entry,
 * or each make the array). The array is made when the first subject is put: a codec per connection,
 * most of them idle or carrying no MESSAGE, then holds none.
 */
final class SubjectCache {
    private static final int SIZE = 64;
    /** What {@link #slotOf} answers for a subject that is not ASCII, and so never cached. */
    static final int NONE = -1;

    private String @Nullable [] slots;

    /** The slot for the first {@code len} bytes of {@code bytes}, or {@link #NONE} if they are not all ASCII. */
    int slotOf(byte[] bytes, int len) {
        int hash = len;
        for (int i = 0; i < len; i++) {
            byte b = bytes[i];
            if (b < 0) {
                return NONE;
            }
            hash = 31 * hash + b;
        }
        return (hash ^ (hash >>> 16)) & (SIZE - 1);
    }

    /** The subject cached in {@code slot} if its characters are the first {@code len} bytes of {@code bytes}; else null. */
    @Nullable String get(int slot, byte[] bytes, int len) {
        if (slot == NONE) {
            return null;
        }
        String[] all = slots;
        String s = all == null ? null : all[slot];
        if (s == null || s.length() != len) {
            return null;
        }
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != bytes[i]) {
                return null;
            }
        }
        return s;
    }

    /** Remembers a subject that was checked, in the slot {@link #slotOf} gave for its bytes. */
    void put(int slot, String subject) {
        if (slot != NONE) {
            String[] all = slots;
            if (all == null) {
                all = new String[SIZE];
                slots = all;
            }
            all[slot] = subject;
        }
    }
}
