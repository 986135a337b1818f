package dev.conduit.benchmarks.jmh;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
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
 * {@link FrameCodec} on PUBLISH and MESSAGE frames: encoding into and decoding from a direct
 * {@link ByteBuffer} (the kind Netty's pooled allocator hands the transport), with 16 B and 1 KiB
 * payloads, with and without headers.
 *
 * <p>{@code encode} writes the whole frame, as a client writes a PUBLISH (the server writes a
 * MESSAGE differently, see {@link MessageFanOutBenchmark}). {@code decode} parses the frame,
 * checking subjects and headers and copying the payload, as the receiving side does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
    /** The frame type: PUBLISH (client to server) or MESSAGE (server to client). */
    @Param({"PUBLISH", "MESSAGE"})
    public String type;

    /** Payload bytes. */
    @Param({"16", "1024"})
    public int payloadSize;

    /** Whether the message carries two headers. */
    @Param({"false", "true"})
    public boolean headers;

    private final FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
    private Frame frame;
    private MessageBody body;
    private ByteBuffer out;
    private ByteBuffer encoded;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] payload = new byte[payloadSize];
        ThreadLocalRandom.current().nextBytes(payload);
        Headers h = headers ? Headers.of("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736", "content-type", "application/json")
                : Headers.EMPTY;
        body = MessageBody.of("orders.eu.created", null, h, payload);
        frame = switch (type) {
            case "PUBLISH" -> new Frame.Publish(123_456_789L, false, body);
            case "MESSAGE" -> new Frame.Message(123_456_789L, 42, body);
            default -> throw new IllegalArgumentException("type must be PUBLISH or MESSAGE: " + type);
        };
        int length = FrameCodec.encodedLength(frame);
        out = ByteBuffer.allocateDirect(length);
        encoded = ByteBuffer.allocateDirect(length);
        FrameCodec.encode(frame, encoded);
        encoded.flip();
        // Check once that what is measured round-trips.
        Frame decoded = codec.decode(encoded.duplicate());
        if (!frame.equals(decoded)) {
            throw new IllegalStateException("round trip changed the frame: " + frame + " -> " + decoded);
        }
    }

    /** Encodes the whole frame; returns the bytes written. */
    @Benchmark
    public int encode() {
        out.clear();
        FrameCodec.encode(frame, out);
        return out.position();
    }

    /** Decodes the frame: reads the head, checks the subject and headers, copies the payload. */
    @Benchmark
    public Frame decode() {
        encoded.rewind();
        return codec.decode(encoded);
    }
}
