package dev.conduit.zeromq;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/** JeroMQ sockets talking to Conduit clients through the gateway, one test per pattern. */
class ZmqGatewayTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private Server server;
    private final JeroMqPeers zmq = new JeroMqPeers();
    private final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1)
                .set("zeromqPort", "0", "test")
                .set("zeromqExports", "orders.>, prices.*", "test")
                .set("zeromqServices", "calc.>", "test")
                .set("zeromqRequestTimeout", "2s", "test")
                .build();
        server = Server.create(config).start();
    }

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        zmq.close();
        server.close();
    }

    private Client client() {
        Client c = JeroMqPeers.local(server);
        clients.add(c);
        return c;
    }

    private String address(int index) {
        return "tcp://127.0.0.1:" + JeroMqPeers.gateway(server).ports()[index];
    }

    private ZMQ.Socket socket(SocketType type, int index) {
        return zmq.connect(type, address(index), s -> s.setReceiveTimeOut(30_000));
    }

    @Test
    void aZeroMqPublisherReachesConduitSubscribersWithNothingLost() throws Exception {
        Client sub = client();
        AtomicLong next = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        AtomicInteger warm = new AtomicInteger();
        sub.subscribe("warm.up", m -> warm.incrementAndGet());
        sub.subscribe("ticks.>", m -> {
            long n = ByteBuffer.wrap(m.payload()).getLong();
            if (n != next.getAndIncrement() || !m.subject().equals("ticks." + (n % 10))) {
                outOfOrder.incrementAndGet();
            }
        });
        sub.flush(WAIT).get(30, TimeUnit.SECONDS);
        // The publisher holds what the gateway has not read yet: nothing is slow enough to drop.
        ZMQ.Socket pub = zmq.connect(SocketType.PUB, address(0), s -> s.setSndHWM(0));
        // PUB drops what it sends before the gateway's subscription reaches it (ZeroMQ's slow joiner).
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            pub.sendMore("warm.up");
            pub.send("x");
            return warm.get() > 0;
        });
        int count = 100_000;
        byte[][] subjects = new byte[10][];
        for (int i = 0; i < 10; i++) {
            subjects[i] = ("ticks." + i).getBytes(UTF_8);
        }
        for (long i = 0; i < count; i++) {
            pub.send(subjects[(int) (i % 10)], ZMQ.SNDMORE);
            pub.send(ByteBuffer.allocate(8).putLong(i).array(), 0);
        }
        await().atMost(WAIT).until(() -> next.get() >= count);
        assertThat(next.get()).isEqualTo(count);
        assertThat(outOfOrder.get()).isZero();
        assertThat(JeroMqPeers.gateway(server).meters().droppedCount("buffer_full")).isZero();
    }

    @Test
    void conduitMessagesReachZeroMqSubscribersByPrefixAndOnlyWhenExported() throws Exception {
        Client pub = client();
        ZMQ.Socket eu = socket(SocketType.SUB, 1);
        eu.subscribe("orders.eu".getBytes(UTF_8));
        ZMQ.Socket all = socket(SocketType.SUB, 1);
        all.subscribe(ZMQ.SUBSCRIPTION_ALL);
        // Until the gateway has seen the subscriptions and subscribed in Conduit, messages pass by.
        for (ZMQ.Socket s : List.of(eu, all)) {
            s.setReceiveTimeOut(50);
            await().atMost(WAIT).until(() -> {
                pub.publish("orders.eu.warm", new byte[0]);
                if (s.recv() == null) {
                    return false;
                }
                while (s.hasReceiveMore()) {
                    s.recv(); // the rest of the message: read whole messages only
                }
                return true;
            });
        }
        // The gateway subscribed to both exports at once; wait until the second is in place too.
        all.setReceiveTimeOut(50);
        await().atMost(WAIT).until(() -> {
            pub.publish("prices.warm", new byte[0]);
            byte[] subject = all.recv();
            while (all.hasReceiveMore()) {
                all.recv();
            }
            return subject != null && new String(subject, UTF_8).equals("prices.warm");
        });
        // Both sockets get this one (it starts with orders.eu); what came before it was warm-up.
        pub.publish("orders.eu.warm.end", new byte[0]);
        for (ZMQ.Socket s : List.of(eu, all)) {
            s.setReceiveTimeOut(30_000);
            for (String subject = s.recvStr(); ; subject = s.recvStr()) {
                s.recv(); // its payload
                if (subject.equals("orders.eu.warm.end")) {
                    break;
                }
            }
        }
        pub.publish("secret.plans", "no".getBytes(UTF_8));
        pub.publish("orders.us.1", "us".getBytes(UTF_8));
        pub.publish("prices.eur", dev.conduit.protocol.Headers.of("unit", "cents"), "42".getBytes(UTF_8));
        for (int i = 0; i < 100; i++) {
            pub.publish("orders.eu." + i, ("eu" + i).getBytes(UTF_8));
        }
        pub.publish("orders.end", new byte[0]);
        for (int i = 0; i < 100; i++) {
            assertThat(eu.recvStr()).isEqualTo("orders.eu." + i);
            assertThat(eu.recvStr()).isEqualTo("eu" + i);
            assertThat(eu.hasReceiveMore()).isFalse();
        }
        // One subscription's messages keep their order; orders.> and prices.* are two subscriptions
        // of the gateway's session, whose messages may interleave in any order: prices.eur may even
        // come after orders.end, so read until both have come.
        List<String> seen = new ArrayList<>();
        boolean ordersEnded = false;
        while (!ordersEnded || !seen.contains("prices.eur")) {
            String s = all.recvStr();
            assertThat(s).as("a message within the receive timeout; so far %s", seen).isNotNull();
            if (s.equals("orders.end")) {
                ordersEnded = true;
                all.recv(); // its empty payload
                continue;
            }
            seen.add(s);
            seen.add(all.recvStr());
            if (all.hasReceiveMore()) {
                seen.add(all.recvStr());
            }
        }
        List<String> orders = new ArrayList<>(seen);
        int price = orders.indexOf("prices.eur");
        assertThat(price).isNotNegative();
        assertThat(orders.subList(price, price + 3)).containsExactly("prices.eur", "42", "unit: cents\n");
        orders.subList(price, price + 3).clear();
        assertThat(orders).startsWith("orders.us.1", "us", "orders.eu.0", "eu0").endsWith("orders.eu.99", "eu99")
                .hasSize(2 + 200);
        assertThat(seen).doesNotContain("secret.plans");
    }

    @Test
    void zeroMqRequestsReachAConduitResponderAndErrorsComeBackAsAStatusPart() throws Exception {
        Client responder = client();
        responder.subscribe("svc.echo", m -> m.reply(m.payload()));
        responder.flush(WAIT).get(30, TimeUnit.SECONDS);
        ZMQ.Socket req = socket(SocketType.REQ, 2);
        for (int i = 0; i < 10_000; i++) {
            req.sendMore("svc.echo");
            req.send("ping" + i);
            assertThat(req.recvStr()).isEqualTo("OK");
            assertThat(req.recvStr()).isEqualTo("ping" + i);
            assertThat(req.hasReceiveMore()).isFalse();
        }
        req.sendMore("nobody.home");
        req.send("x");
        assertThat(req.recvStr()).isEqualTo("ERROR 503 no responders");
        assertThat(req.recvStr()).isEmpty();
        req.send("only-one-part");
        assertThat(req.recvStr()).startsWith("ERROR 400 expected [subject][payload]");
        req.recv();
        req.sendMore("bad subject");
        req.send("x");
        assertThat(req.recvStr()).startsWith("ERROR 400 invalid subject");
        req.recv();

        ZMQ.Socket dealer = socket(SocketType.DEALER, 2); // no empty delimiter part: the reply has none either
        dealer.sendMore("svc.echo");
        dealer.send("from a dealer");
        assertThat(dealer.recvStr()).isEqualTo("OK");
        assertThat(dealer.recvStr()).isEqualTo("from a dealer");
    }

    @Test
    void aReplyToARequesterThatHasGoneAwayIsCountedNotLostSilently() throws Exception {
        Client responder = client();
        java.util.concurrent.CompletableFuture<Message> held = new java.util.concurrent.CompletableFuture<>();
        responder.subscribe("svc.slow", held::complete); // answered only once the requester is gone
        responder.subscribe("svc.echo", m -> m.reply(m.payload()));
        responder.flush(WAIT).get(30, TimeUnit.SECONDS);
        ZmqGateway gateway = JeroMqPeers.gateway(server);
        try (JeroMqPeers gone = new JeroMqPeers()) {
            ZMQ.Socket req = gone.connect(SocketType.REQ, address(2), s -> s.setReceiveTimeOut(30_000));
            req.sendMore("svc.slow");
            req.send("are you there?");
            held.get(30, TimeUnit.SECONDS);
        } // the REQ disconnects before its reply
        await().atMost(WAIT).until(() -> gateway.peerCount() == 0);
        held.get().reply("too late".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> gateway.meters().droppedCount("requester_gone") == 1);
        // The ROUTER goes on: the next requester is answered, and nothing else was counted as lost.
        ZMQ.Socket req = socket(SocketType.REQ, 2);
        req.sendMore("svc.echo");
        req.send("still here");
        assertThat(List.of(req.recvStr(), req.recvStr())).containsExactly("OK", "still here");
        assertThat(gateway.meters().droppedCount("requester_gone")).isEqualTo(1);
        assertThat(gateway.meters().droppedCount("slow_requester")).isZero();
        assertThat(server.meterRegistry().get("conduit.zeromq.dropped").tag("reason", "requester_gone").counter().count())
                .isEqualTo(1);
    }

    @Test
    void zeroMqPushesReachEachWorkerOfAQueueGroupExactlyOnce() throws Exception {
        Map<Integer, List<String>> received = new ConcurrentHashMap<>();
        List<Integer> all = new CopyOnWriteArrayList<>();
        for (int w = 0; w < 3; w++) {
            int worker = w;
            Client c = client();
            c.subscribe("jobs.>", "workers", m -> {
                received.computeIfAbsent(worker, k -> new CopyOnWriteArrayList<>()).add(m.subject());
                all.add(Integer.parseInt(new String(m.payload(), UTF_8)));
            });
            c.flush(WAIT).get(30, TimeUnit.SECONDS);
        }
        ZMQ.Socket push = socket(SocketType.PUSH, 3);
        int count = 3_000;
        for (int i = 0; i < count; i++) {
            push.sendMore("jobs.resize");
            push.send(Integer.toString(i));
        }
        await().atMost(WAIT).until(() -> all.size() >= count);
        assertThat(all).hasSize(count);
        assertThat(new java.util.HashSet<>(all)).hasSize(count); // each message to exactly one worker
        assertThat(received).hasSize(3);
        received.values().forEach(l -> assertThat(l).hasSize(count / 3)); // the queue group's round robin
    }

    @Test
    void conduitRequestsToAServiceAreSharedByZeroMqRepWorkers() throws Exception {
        Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (String name : List.of("w1", "w2")) {
            ZMQ.Socket rep = socket(SocketType.REP, 4);
            rep.setReceiveTimeOut(-1);
            served.put(name, new AtomicInteger());
            threads.add(Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        String subject = rep.recvStr();
                        String payload = rep.recvStr();
                        served.get(name).incrementAndGet();
                        rep.send(name + ":" + subject + ":" + payload);
                    }
                } catch (RuntimeException closed) {
                    // the context closed at the end of the test
                }
            }));
        }
        Client requester = client();
        // Until both workers are connected, the gateway hands everything to the one it has.
        await().atMost(WAIT).until(() -> {
            requester.request("calc.warm", new byte[0], Duration.ofMillis(500)).exceptionally(e -> null).join();
            return served.values().stream().allMatch(n -> n.get() > 0);
        });
        served.values().forEach(n -> n.set(0));
        for (int i = 0; i < 100; i++) {
            Message reply = requester.requestAndWait("calc.add", ("" + i).getBytes(UTF_8), WAIT);
            assertThat(new String(reply.payload(), UTF_8)).matches("w[12]:calc\\.add:" + i);
        }
        assertThat(served.get("w1").get() + served.get("w2").get()).isEqualTo(100);
        assertThat(served.get("w1").get()).isEqualTo(50); // DEALER's round robin
        threads.forEach(Thread::interrupt);
    }

    @Test
    void invalidTopicsAreDroppedAndCountedAndTheGatewayGoesOn() throws Exception {
        Client sub = client();
        List<String> got = new CopyOnWriteArrayList<>();
        sub.subscribe(">", m -> got.add(m.subject()));
        sub.flush(WAIT).get(30, TimeUnit.SECONDS);
        ZMQ.Socket push = socket(SocketType.PUSH, 3);
        push.sendMore("has space");
        push.send("x");
        push.send("one part only");
        push.sendMore(new byte[] {(byte) 0xff, 'a'});
        push.send("not utf-8");
        push.sendMore("a..b");
        push.send("empty token");
        push.sendMore("fine.subject");
        push.send("y");
        await().atMost(WAIT).until(() -> got.contains("fine.subject"));
        assertThat(got).containsExactly("fine.subject");
        assertThat(JeroMqPeers.gateway(server).meters().droppedCount("invalid")).isEqualTo(4);
    }
}
