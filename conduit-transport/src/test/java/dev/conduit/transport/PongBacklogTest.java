package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

/** {@link PongBacklog} on an {@link EmbeddedChannel}, whose writability the test sets. */
class PongBacklogTest {
    private static PingWebSocketFrame ping() {
        return new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[96])); // 100 bytes of PONG each
    }

    @Test
    void pingsWhileTheChannelIsWritablePassThroughWithoutLimit() {
        EmbeddedChannel ch = new EmbeddedChannel(new PongBacklog(1000));
        for (int i = 0; i < 100; i++) {
            ch.writeInbound(ping());
        }
        assertThat(ch.isOpen()).isTrue();
        int passed = 0;
        for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
            ((WebSocketFrame) o).release();
            passed++;
        }
        assertThat(passed).isEqualTo(100);
    }

    @Test
    void pingsWhileThePeerIsNotReadingAreCountedAndTheLinkClosedPastTheBound() {
        EmbeddedChannel ch = new EmbeddedChannel(new PongBacklog(1000));
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        for (int i = 0; i < 10; i++) {
            ch.writeInbound(ping()); // 10 x 100 bytes: at the bound, not past it
        }
        assertThat(ch.isOpen()).isTrue();
        PingWebSocketFrame last = ping();
        ch.writeInbound(last);
        assertThat(ch.isOpen()).as("closed past 1000 bytes").isFalse();
        assertThat(last.refCnt()).as("the refused PING is released").isZero();
    }

    @Test
    void aWritableChannelStartsTheCountAgain() {
        EmbeddedChannel ch = new EmbeddedChannel(new PongBacklog(1000));
        for (int round = 0; round < 5; round++) {
            ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
            for (int i = 0; i < 9; i++) {
                ch.writeInbound(ping());
            }
            ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
            ch.writeInbound(ping());
        }
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }
}
