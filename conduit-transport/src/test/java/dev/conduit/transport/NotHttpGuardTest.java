package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link NotHttpGuard} in a pipeline of its own: what passes through, and what is answered 400 at once. */
class NotHttpGuardTest {

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static String text(ByteBuf buf) {
        try {
            return buf.toString(StandardCharsets.US_ASCII);
        } finally {
            buf.release();
        }
    }

    /** Everything read inbound (the bytes the HTTP codec would get), as text. */
    private static String passed(EmbeddedChannel ch) {
        StringBuilder all = new StringBuilder();
        for (ByteBuf b = ch.readInbound(); b != null; b = ch.readInbound()) {
            all.append(text(b));
        }
        return all.toString();
    }

    @Test
    void aConduitHelloIsAnswered400AtOnceAndTheConnectionClosed() {
        EmbeddedChannel ch = new EmbeddedChannel(new NotHttpGuard());
        ByteBuffer hello = FrameCodec.encode(Frame.Hello.anonymous(1, "cli"));
        ch.writeInbound(Unpooled.wrappedBuffer(hello));

        assertThat(passed(ch)).as("nothing reaches the HTTP codec").isEmpty();
        ByteBuf answer = ch.readOutbound();
        assertThat(text(answer)).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close\r\n")
                .endsWith("ws://HOST:PORT/conduit\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat((Object) ch.readOutbound()).isNull();
    }

    @Test
    void aTlsClientHelloOnAPlainPortIsAnswered400() {
        EmbeddedChannel ch = new EmbeddedChannel(new NotHttpGuard());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00}));
        assertThat(text(ch.readOutbound())).startsWith("HTTP/1.1 400 ");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aRequestSplitInsideItsMethodPassesUnchangedAndTheGuardLeavesAfterTheMethod() {
        EmbeddedChannel ch = new EmbeddedChannel(new NotHttpGuard());
        ch.writeInbound(ascii("\r\nG"));
        ch.writeInbound(ascii("E"));
        assertThat(ch.pipeline().get(NotHttpGuard.class)).isNotNull();
        ch.writeInbound(ascii("T /\u0001 HTTP/1.1\r\n"));
        assertThat(ch.pipeline().get(NotHttpGuard.class)).as("the codec judges the rest").isNull();
        ch.writeInbound(ascii("Host: x\r\n\r\n"));

        assertThat(passed(ch)).isEqualTo("\r\nGET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aControlByteInsideTheMethodIsAnswered400EvenAfterGoodBytesPassed() {
        EmbeddedChannel ch = new EmbeddedChannel(new NotHttpGuard());
        ch.writeInbound(ascii("GE"));
        ch.writeInbound(ascii("\u0000T / HTTP/1.1\r\n"));
        assertThat(passed(ch)).isEqualTo("GE");
        assertThat(text(ch.readOutbound())).startsWith("HTTP/1.1 400 ");
        assertThat(ch.isOpen()).isFalse();
    }
}
