package dev.conduit.benchmarks.jmh;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.SequencedStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The single writer's work for a batch of MESSAGEs, on one thread, as the server's {@code
 * SessionWriter} and the connection's drain do it: for each message, a {@code Frame.Message}
 * numbered and held by the replay buffer ({@link SequencedStream#send}), then its 18-byte head
 * ({@link FrameCodec#encodeMessageHead}) and the body's bytes as they arrived in the PUBLISH
 * ({@link MessageBody#writeEncoded}) encoded into one pooled direct batch buffer of at least 32 KiB
 * (a new one when full, the previous one released as if written); at the end of the batch the
 * client's cumulative ACK releases the replay buffer. The socket write itself is not included: that
 * is the transport's cost, measured by W7 against a raw Netty echo server.
 *
 * <p>Score: messages per microsecond ({@code @OperationsPerInvocation}); {@code -prof gc} gives the
 * bytes allocated per message.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SingleWriterBenchmark {
    static final int BATCH = 1024;
    private static final int MIN_BATCH_BYTES = 32 << 10;

    /** Payload bytes. */
    @Param({"16", "1024"})
    public int payloadSize;

    private final PooledByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    private SequencedStream<Frame> replay;
    private MessageBody body;

    @Setup(Level.Trial)
    public void setUp() {
        replay = new SequencedStream<>(Long.MAX_VALUE, FrameCodec::encodedLength);
        // A body decoded from a PUBLISH, as the server routes it: it keeps the bytes it arrived as.
        Frame.Publish publish = new Frame.Publish(1, false,
                MessageBody.of("orders.eu.created", null, Headers.EMPTY, new byte[payloadSize]));
        Frame decoded = new FrameCodec(ProtocolLimits.DEFAULT).decode(FrameCodec.encode(publish));
        body = ((Frame.Publish) decoded).body();
    }

    /** One batch of {@value #BATCH} MESSAGEs to one subscriber; returns the bytes encoded. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long encodeNumberWrite() {
        long bytes = 0;
        ByteBuf batch = null;
        for (int i = 0; i < BATCH; i++) {
            Frame.Message m = new Frame.Message(replay.sent() + 1, 7, body);
            replay.send(m);
            int length = FrameCodec.encodedLength(m);
            if (batch == null || batch.writableBytes() < length) {
                if (batch != null) {
                    bytes += batch.readableBytes();
                    batch.release(); // written
                }
                batch = allocator.directBuffer(Math.max(MIN_BATCH_BYTES, length));
            }
            ByteBuffer out = batch.internalNioBuffer(batch.writerIndex(), length);
            FrameCodec.encodeMessageHead(out, m.sequence(), m.subscriptionId(), m.body());
            m.body().writeEncoded(out);
            batch.writerIndex(batch.writerIndex() + length);
        }
        bytes += batch.readableBytes();
        batch.release();
        replay.acknowledge(replay.sent());
        return bytes;
    }

    @TearDown(Level.Trial)
    public void check() {
        if (replay.held() != 0) {
            throw new IllegalStateException(replay.held() + " messages still held");
        }
    }
}
