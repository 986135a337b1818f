package dev.conduit.benchmarks.jmh;

import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the server writes a MESSAGE to each subscriber of a publish: the 18-byte head ({@link
 * FrameCodec#encodeMessageHead}) followed by the body's cached wire form ({@link
 * MessageBody#encoded()}), into a direct buffer. The body is encoded once per message, so this
 * measures the per-subscriber cost: the head and the copy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MessageFanOutBenchmark {
    /** Payload bytes. */
    @Param({"16", "1024"})
    public int payloadSize;

    /** Whether the message carries two headers. */
    @Param({"false", "true"})
    public boolean headers;

    private MessageBody body;
    private ByteBuffer out;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] payload = new byte[payloadSize];
        ThreadLocalRandom.current().nextBytes(payload);
        Headers h = headers ? Headers.of("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736", "content-type", "application/json")
                : Headers.EMPTY;
        body = MessageBody.of("orders.eu.created", null, h, payload);
        out = ByteBuffer.allocateDirect(FrameCodec.MESSAGE_HEAD_BYTES + body.encodedLength());
        body.encoded(); // computed once, as for the first subscriber
    }

    /** One subscriber's MESSAGE: head plus shared body; returns the bytes written. */
    @Benchmark
    public int headPlusSharedBody() {
        out.clear();
        FrameCodec.encodeMessageHead(out, 123_456_789L, 42, body);
        out.put(body.encoded());
        return out.position();
    }
}
