package dev.conduit.protocol;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * The message subjects a {@link FrameCodec} has recently decoded and checked, so that a stream of
 * messages on a few subjects is not decoded and checked again for each one. Only ASCII subjects are
 * kept, so that equal bytes mean equal characters. The slots are an array of immutable Strings: a
 * cache shared between threads stays correct (racing threads at worst miss or overwrite an entry,
 * or each make the array). The array is made when the first subject is put: a codec per connection,
 * most of them idle or carrying no MESSAGE, then holds none.
 */
final class SubjectCache {
    private static final int SIZE = 64;
    /** What {@link #slotOf} answers for a subject that is not ASCII, and so never cached. */
    static final int NONE = -1;

    private String @Nullable [] slots;

    /** The slot for the {@code len} bytes at {@code pos}, or {@link #NONE} if they are not all ASCII. */
    int slotOf(ByteBuffer in, int pos, int len) {
        int hash = len;
        for (int i = 0; i < len; i++) {
            byte b = in.get(pos + i);
            if (b < 0) {
                return NONE;
            }
            hash = 31 * hash + b;
        }
        return (hash ^ (hash >>> 16)) & (SIZE - 1);
    }

    /** The subject cached in {@code slot} if its characters are the {@code len} bytes at {@code pos}; else null. */
    @Nullable String get(int slot, ByteBuffer in, int pos, int len) {
        if (slot == NONE) {
            return null;
        }
        String[] all = slots;
        String s = all == null ? null : all[slot];
        if (s == null || s.length() != len) {
            return null;
        }
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != in.get(pos + i)) {
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
