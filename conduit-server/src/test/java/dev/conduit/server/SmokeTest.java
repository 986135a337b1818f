package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void pubSubAndRequest() throws Exception {
        try (Server server = Server.create(ServerConfig.builder().port(0).build()).start();
             Client a = Client.connect("tcp://127.0.0.1:" + server.address().getPort());
             Client b = Client.connect("tcp://127.0.0.1:" + server.address().getPort())) {
            BlockingQueue<Message> got = new ArrayBlockingQueue<>(10);
            a.subscribe("demo.>", got::add);
            b.subscribe("svc.echo", m -> m.reply(m.payload()));
            a.flush(Duration.ofSeconds(2)).get();
            b.flush(Duration.ofSeconds(2)).get();
            b.publish("demo.x", "hi".getBytes(StandardCharsets.UTF_8));
            Message m = got.poll(5, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.payloadAsString()).isEqualTo("hi");
            Message r = a.requestAndWait("svc.echo", "ping".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2));
            assertThat(r.payloadAsString()).isEqualTo("ping");
            Client local = server.connectLocal();
            assertThat(local.requestAndWait("svc.echo", "x".getBytes(), Duration.ofSeconds(2)).payloadAsString()).isEqualTo("x");
            local.close();
        }
    }
}
