package dev.conduit.cluster;

import dev.conduit.client.Message;
import dev.conduit.client.MessageHandler;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks the sequence numbers (the first 8 bytes of each payload, from 0) one subscription
 * receives: what was received, what came twice, what came out of order, and what is missing.
 * Handlers of one subscription run one at a time, in order.
 */
final class SeqSubscriber implements MessageHandler {
    private final AtomicLong received = new AtomicLong();
    private volatile long next;
    private volatile long duplicates;
    private volatile long outOfOrder;
    private volatile long gaps;

    static byte[] payload(long seq, int size) {
        return ByteBuffer.allocate(Math.max(8, size)).putLong(seq).array();
    }

    @Override
    public void onMessage(Message m) {
        long seq = ByteBuffer.wrap(m.payload()).getLong();
        if (seq == next) {
            next++;
        } else if (seq < next) {
            duplicates++;
        } else {
            outOfOrder++; // ahead: something before it is missing (or will come late)
            gaps += seq - next;
            next = seq + 1;
        }
        received.incrementAndGet();
    }

    long received() {
        return received.get();
    }

    /** "received r, lost l, duplicated d, out of order o" for n sent. */
    String report(long sent) {
        return "received " + received() + ", lost " + (sent - (received() - duplicates)) + ", duplicated " + duplicates
                + ", out of order " + outOfOrder;
    }

    boolean perfect(long sent) {
        return received() == sent && next == sent && duplicates == 0 && outOfOrder == 0 && gaps == 0;
    }
}
