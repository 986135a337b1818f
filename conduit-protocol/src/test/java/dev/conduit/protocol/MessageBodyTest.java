package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The cached wire form of a {@link MessageBody}, shared by every subscriber and every thread. */
class MessageBodyTest {

    private static MessageBody body(int n) {
        return MessageBody.of("orders." + n, "_INBOX.r." + n, Headers.of("k", "v" + n), new byte[] {(byte) n, 2, 3});
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] expected(MessageBody body) {
        ByteBuffer b = ByteBuffer.allocate(body.encodedLength());
        body.writeTo(b);
        return b.array();
    }

    @Test
    void theCacheIsVolatileSoABufferBuiltOnOneThreadIsSeenWholeOnAnother() throws Exception {
        // A plain field could hand another thread the buffer's reference before its position, limit
        // and contents: the Java memory model promises nothing across threads without it.
        Field encoded = MessageBody.class.getDeclaredField("encoded");
        assertThat(Modifier.isVolatile(encoded.getModifiers())).isTrue();
    }

    @Test
    void eachCallIsAnIndependentReadOnlyViewOfTheSameBytes() {
        MessageBody body = body(1);
        ByteBuffer first = body.encoded();
        ByteBuffer second = body.encoded();
        assertThat(first.isReadOnly()).isTrue();
        assertThat(bytes(first)).isEqualTo(expected(body));
        assertThat(first.remaining()).isZero();
        assertThat(second.remaining()).as("reading one view does not move another").isEqualTo(body.encodedLength());
        assertThat(bytes(second)).isEqualTo(expected(body));
    }

    @Test
    void threadsRacingTheFirstUseAllGetTheWholeEncoding() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 500; round++) {
                MessageBody body = body(round);
                byte[] want = expected(body);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<byte[]>> seen = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    seen.add(pool.submit(() -> {
                        go.await();
                        return bytes(body.encoded());
                    }));
                }
                go.countDown();
                for (Future<byte[]> f : seen) {
                    assertThat(f.get()).isEqualTo(want);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
