package dev.conduit.zeromq;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Hostile bytes at the gateway's ports over raw sockets: fuzzed ZMTP greetings, and a valid greeting
 * followed by malformed frames. The gateway (JeroMQ's ZMTP layer under it) closes those peers, and
 * keeps serving well-behaved ones. Seeded and bounded.
 */
class ZmqFuzzTest {
    private static final long SEED = 16;
    private static final int ROUNDS = 30;

    /** A ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
    private static byte[] greeting() {
        byte[] g = new byte[64];
        g[0] = (byte) 0xff;
        g[9] = 0x7f;
        g[10] = 3;
        System.arraycopy("NULL".getBytes(US_ASCII), 0, g, 12, 4);
        return g;
    }

    /** One hostile opening: random bytes, a signature with a random rest, or a greeting and a bad frame. */
    private static byte[] hostile(Random random, int kind) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (kind) {
            case 0 -> {
                byte[] b = new byte[1 + random.nextInt(128)];
                random.nextBytes(b);
                out.writeBytes(b);
            }
            case 1 -> {
                byte[] g = greeting();
                byte[] rest = new byte[54];
                random.nextBytes(rest);
                System.arraycopy(rest, 0, g, 10, 54);
                out.writeBytes(g);
            }
            default -> {
                out.writeBytes(greeting());
                // A frame whose 8-byte length is far past maxMessageBytes, or a whole command that is
                // not the READY the handshake expects.
                if (random.nextBoolean()) {
                    out.write(0x02);
                    long length = (1L << 40) + random.nextInt(1 << 20);
                    for (int i = 7; i >= 0; i--) {
                        out.write((int) (length >>> (8 * i)));
                    }
                } else {
                    byte[] junk = new byte[1 + random.nextInt(40)];
                    random.nextBytes(junk);
                    junk[0] = (byte) Math.min(junk.length - 1, junk[0] & 0x7f); // the command name's length
                    out.write(0x04);
                    out.write(junk.length);
                    out.writeBytes(junk);
                }
            }
        }
        return out.toByteArray();
    }

    /** Reads until the peer closes; false if it is still open after the timeout. */
    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void hostileGreetingsAndFramesCloseThePeerAndTheGatewayKeepsServing() throws Exception {
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1).set("zeromqPort", "0", "test")
                .set("zeromqMaxMessageBytes", "65536", "test").build();
        try (Server server = Server.create(config).start();
             Client conduit = JeroMqPeers.local(server);
             JeroMqPeers zmq = new JeroMqPeers()) {
            conduit.subscribe("svc.echo", m -> m.reply(m.payload()));
            AtomicInteger warm = new AtomicInteger();
            conduit.subscribe("after.fuzz", m -> warm.incrementAndGet());
            conduit.flush(Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
            int[] ports = JeroMqPeers.gateway(server).ports();
            Random random = new Random(SEED);
            int closed = 0;
            for (int round = 0; round < ROUNDS; round++) {
                int kind = round % 3;
                try (Socket s = new Socket("127.0.0.1", ports[random.nextInt(ports.length)])) {
                    s.getOutputStream().write(hostile(random, kind));
                    s.getOutputStream().flush();
                    if (kind == 2) {
                        assertThat(closedByPeer(s)).as("round %d: a greeting and a malformed frame", round).isTrue();
                        closed++;
                    }
                } catch (IOException resetWhileWriting) {
                    closed += kind == 2 ? 1 : 0;
                }
            }
            assertThat(closed).isEqualTo(ROUNDS / 3);

            // Well-behaved peers still get through: a request, and published messages.
            ZMQ.Socket req = zmq.connect(SocketType.REQ, "tcp://127.0.0.1:" + ports[2], s -> s.setReceiveTimeOut(30_000));
            req.sendMore("svc.echo");
            req.send("still here");
            assertThat(req.recvStr()).isEqualTo("OK");
            assertThat(req.recvStr()).isEqualTo("still here");
            // Too many parts: a documented error reply, not a closed socket.
            for (int i = 0; i < 6; i++) {
                req.sendMore("part" + i);
            }
            req.send("last");
            assertThat(req.recvStr()).startsWith("ERROR 400");
            req.recv();
            ZMQ.Socket pub = zmq.connect(SocketType.PUB, "tcp://127.0.0.1:" + ports[0]);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                pub.sendMore("after.fuzz");
                pub.send("x".getBytes(UTF_8));
                return warm.get() > 0;
            });
        }
    }
}
