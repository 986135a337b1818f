package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.testing.ConduitServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Java clients over ws:// links: publish, subscribe and request, and mixed with TCP clients on one server. */
class WebSocketTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static ConduitServerExtension server = ConduitServerExtension.create();

    @Test
    void aWebSocketClientPublishesSubscribesAndRequests() throws Exception {
        Client ws = server.connectWebSocket();
        List<String> got = new CopyOnWriteArrayList<>();
        ws.subscribe("ws.>", m -> got.add(m.subject() + "/" + m.payloadAsString()));
        ws.subscribe("svc.echo", m -> m.reply(("echo " + m.payloadAsString()).getBytes(UTF_8)));
        ws.flush(WAIT).get();
        for (int i = 0; i < 100; i++) {
            ws.publish("ws.n", ("" + i).getBytes(UTF_8));
        }
        await().atMost(WAIT).until(() -> got.size() == 100);
        assertThat(got).first().isEqualTo("ws.n/0");
        assertThat(got).last().isEqualTo("ws.n/99");
        Message reply = ws.requestAndWait("svc.echo", "hi".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("echo hi");
    }

    @Test
    void tcpAndWebSocketClientsReachEachOther() throws Exception {
        Client tcp = server.connect();
        Client ws = server.connectWebSocket();
        List<String> atWs = new CopyOnWriteArrayList<>();
        List<String> atTcp = new CopyOnWriteArrayList<>();
        ws.subscribe("to.ws", m -> atWs.add(m.payloadAsString()));
        tcp.subscribe("to.tcp", m -> atTcp.add(m.payloadAsString()));
        ws.flush(WAIT).get();
        tcp.flush(WAIT).get();
        tcp.publish("to.ws", "from tcp".getBytes(UTF_8));
        ws.publish("to.tcp", "from ws".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> atWs.size() == 1 && atTcp.size() == 1);
        assertThat(atWs).containsExactly("from tcp");
        assertThat(atTcp).containsExactly("from ws");
        // A TCP client answers a WebSocket client's request and the other way round.
        tcp.subscribe("svc.tcp", m -> m.reply("tcp says hi".getBytes(UTF_8)));
        ws.subscribe("svc.ws", m -> m.reply("ws says hi".getBytes(UTF_8)));
        tcp.flush(WAIT).get();
        ws.flush(WAIT).get();
        assertThat(ws.requestAndWait("svc.tcp", new byte[0], WAIT).payloadAsString()).isEqualTo("tcp says hi");
        assertThat(tcp.requestAndWait("svc.ws", new byte[0], WAIT).payloadAsString()).isEqualTo("ws says hi");
    }
}
