package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that writes PINGs and never reads: the PONGs it makes the server queue are bounded by
 * {@code maxPongBacklogBytes}, past which the connection is ended (429), instead of growing the
 * heap for as long as the flood lasts.
 */
class PingFloodTest {
    /** The flood's own bound: far more than the socket buffers, the write high mark and the backlog. */
    private static final int MAX_PINGS = 3_000_000;
    private RoutingServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPeerThatSendsPingsAndNeverReadsIsCutOffOnceItsPongBacklogPassesTheBound() throws Exception {
        server = (RoutingServer) Server.create(ServerConfig.builder().port(0).ioThreads(1)
                .maxPongBacklogBytes(64 << 10).drainTimeout(Duration.ofMillis(200)).build()).start();
        InetSocketAddress address = server.address();
        byte[] batch = new byte[1000 * FrameCodec.encodedLength(new Frame.Ping(0))];
        ByteBuffer b = ByteBuffer.wrap(batch);
        for (int i = 0; i < 1000; i++) {
            FrameCodec.encode(new Frame.Ping(i + 1), b);
        }
        long sent = 0;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(8 << 10); // before connecting: a small window, soon full
            socket.connect(address);
            OutputStream out = socket.getOutputStream();
            ByteBuffer hello = FrameCodec.encode(Frame.Hello.anonymous(1, "flood"));
            out.write(hello.array(), hello.arrayOffset(), hello.remaining());
            try {
                while (sent < MAX_PINGS) {
                    out.write(batch); // never read
                    sent += 1000;
                }
            } catch (IOException e) {
                // the server ended the connection: the writes fail once its reset arrives
            }
        }
        // The server ends such a connection gracefully: it reads and discards for up to 2 s before the
        // reset, so whether the flood's last writes fail depends on the machine's speed. The 429 and
        // the closed connection do not.
        assertThat(sent).isPositive();
        await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 0);
        assertThat(server.meterRegistry().find("conduit.errors").tag("code", "429").counter().count()).isEqualTo(1);
    }
}
