package dev.conduit.server;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP port under a slow-loris and a slow-read attack, over real loopback sockets: every
 * accepted HTTP connection counts against the connection limits from accept, the slow ones are
 * closed by the handshake deadline although they keep sending, and meanwhile a fresh client's
 * request/reply (over TCP and over WebSocket) and a dashboard GET succeed.
 */
class HttpPortLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int PER_ADDRESS = 150;
    private static final int SLOW_HEADERS = 200;
    private static final int SLOW_READERS = 20;

    private Server server;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws IOException {
        trickle.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
        clients.forEach(Client::close);
        if (server != null) {
            server.close();
        }
    }

    private Socket open(String from) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(1024); // a slow reader's small window
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(server.httpAddress(), 5_000);
        sockets.add(s);
        return s;
    }

    @Test
    void slowConnectionsAreCountedAndClosedByTheDeadlineWhileOthersAreServed() throws Exception {
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(0).ioThreads(2)
                .handshakeTimeout(Duration.ofMillis(1500)).maxConnectionsPerAddress(PER_ADDRESS)
                .drainTimeout(Duration.ofSeconds(1)).build()).start();
        int port = server.httpAddress().getPort();

        // Slow headers from 127.0.0.2: a request line, then one header line every 100 ms, forever.
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < SLOW_HEADERS; i++) {
            Socket s = open("127.0.0.2");
            s.getOutputStream().write(("GET /conduit HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n").getBytes(US_ASCII));
            slow.add(s);
        }
        trickle.scheduleAtFixedRate(() -> {
            for (Socket s : slow) {
                try {
                    s.getOutputStream().write("X-a: b\r\n".getBytes(US_ASCII));
                } catch (IOException closed) {
                    // closed by the server: what is expected
                }
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
        // Slow readers from 127.0.0.3: many pipelined requests for a dashboard file, nothing read.
        byte[] pipelined = ("GET /dashboard.js HTTP/1.1\r\nHost: localhost\r\n\r\n").repeat(200).getBytes(US_ASCII);
        for (int i = 0; i < SLOW_READERS; i++) {
            Socket s = open("127.0.0.3");
            s.getOutputStream().write(pipelined);
        }

        // Counted from accept: 127.0.0.2 holds its maximum (the rest of its sockets were refused at
        // once); the slow readers are counted until the queue bound or the deadline closes them.
        RoutingServer routing = (RoutingServer) server;
        await().atMost(WAIT).until(() -> routing.countedConnections() >= PER_ADDRESS);
        assertThat(routing.countedConnections()).isLessThanOrEqualTo(PER_ADDRESS + SLOW_READERS);

        // A fresh client, from another address, is served meanwhile: TCP and WebSocket request/reply, the dashboard.
        Client responder = client("tcp://127.0.0.1:" + server.address().getPort());
        responder.subscribe("echo", m -> m.reply(m.payload()));
        responder.flush(WAIT).join();
        Client ws = client("ws://127.0.0.1:" + port + "/conduit");
        Message reply = ws.requestAndWait("echo", "hello".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("hello");
        assertThat(get(port, "/")).startsWith("HTTP/1.1 200").contains("<script type=\"module\" src=\"/dashboard.js\">");

        // The deadline closes every slow connection although the slow-header ones never stop sending.
        await().atMost(WAIT).until(() -> routing.countedConnections() == 2);
        for (Socket s : slow) {
            assertClosedByServer(s);
        }
        // (The slow readers are closed too, as the count shows: draining what the kernel still holds
        // for them through their small window would only slow this test down.)
        assertThat(ws.requestAndWait("echo", "still".getBytes(UTF_8), WAIT).payloadAsString()).isEqualTo("still");
    }

    @Test
    void anHttpConnectionOverTheLimitIsAnswered503AtOnceAndClosed() throws Exception {
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(0).ioThreads(1)
                .maxConnectionsPerAddress(1).drainTimeout(Duration.ofSeconds(1)).build()).start();
        Socket first = open("127.0.0.2");
        await().atMost(WAIT).until(() -> ((RoutingServer) server).countedConnections() == 1);
        Socket second = open("127.0.0.2");
        second.setSoTimeout((int) WAIT.toMillis());
        String answer = new String(second.getInputStream().readAllBytes(), US_ASCII);
        assertThat(answer).startsWith("HTTP/1.1 503 ").contains("retry-after: 1").endsWith("try again later\n");
        // another address is not held to 127.0.0.2's count
        assertThat(get(server.httpAddress().getPort(), "/healthz")).startsWith("HTTP/1.1 200");
        first.close();
        await().atMost(WAIT).until(() -> ((RoutingServer) server).countedConnections() == 0);
    }

    private Client client(String endpoint) {
        Client c = Client.connect(ClientOptions.builder().endpoints(endpoint).initialConnectJitter(Duration.ZERO).build());
        clients.add(c);
        return c;
    }

    /** Reads to the end: the server closed (end of stream or reset), within the wait. */
    private static void assertClosedByServer(Socket s) throws IOException {
        s.setSoTimeout((int) WAIT.toMillis());
        InputStream in = s.getInputStream();
        try {
            byte[] buf = new byte[64 * 1024];
            while (in.read(buf) >= 0) {
                // drain what the server wrote before closing
            }
        } catch (java.net.SocketException reset) {
            // the server closed with data unread: a reset is a close too
        }
    }

    /** One GET over a fresh socket from 127.0.0.1; the whole response as text. */
    private static String get(int port, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(US_ASCII));
            return new String(s.getInputStream().readAllBytes(), UTF_8);
        }
    }
}
