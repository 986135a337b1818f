package dev.conduit.zeromq;

import org.jspecify.annotations.Nullable;
import dev.conduit.client.BufferFullException;
import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.Headers;
import dev.conduit.transport.Clock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The ZeroMQ gateway: ZeroMQ sockets joining Conduit as peers (docs/zeromq.md has the mapping). It
 * binds one JeroMQ socket per pattern ({@link ZeroMqConfig} lists the ports) and talks to the routing
 * core through an in-process {@link Client} of its own, a session like any other: its publishes,
 * subscriptions and requests are counted, limited and permitted as that session's (authenticated
 * with {@link ZeroMqConfig#token()} when set).
 *
 * <p>Threads: every JeroMQ socket is owned by one platform thread, {@code conduit-zeromq}, which
 * polls them and a {@link Pipe} that wakes it; JeroMQ runs its own I/O thread besides. Messages and
 * replies from Conduit arrive on the client's executor, which only offers them to bounded queues
 * ({@link #outbox}, {@link #replies}) and wakes the gateway thread; none of this runs on a Netty
 * event loop. Publishing into Conduit may wait (the client's {@code WAIT} policy when its buffer is
 * full), which blocks only the gateway thread: ZeroMQ then queues up to its high-water marks, and
 * PUSH peers wait.
 */
final class ZmqGateway implements ZeroMqGateway, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZmqGateway.class);
    /** Messages read from one socket before the others get a turn. */
    private static final int BATCH = 512;
    private static final String WORKER_GROUP = "zeromq-workers";

    private final ZeroMqConfig config;
    private final Client client;
    private final Clock clock;
    private final int maxSubjectBytes;
    private final ZmqMeters meters;
    private final ZContext context = new ZContext(1);
    private final ZMQ.Socket publishIn;
    private final ZMQ.Socket subscribeOut;
    private final ZMQ.Socket requestsIn;
    private final ZMQ.Socket pushIn;
    private final ZMQ.Socket workers;
    /** The peers, counted against the server's connection limits (ZAP and the sockets' monitors). */
    private final ZmqPeers peers;
    private final int[] ports = new int[ZeroMqConfig.PORTS];
    private final Pipe wakeup;
    private final AtomicBoolean woken = new AtomicBoolean();
    /** Conduit messages for SUB peers and requests for REP workers; bounded, drops counted. */
    private final BlockingQueue<Outbound> outbox;
    /** Replies to REQ peers; never fuller than the requests in flight, which are bounded too. */
    private final BlockingQueue<Outbound> replies;
    private final AtomicInteger requestsInFlight = new AtomicInteger();
    private final Thread thread;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean running = true;

    // Owned by the gateway thread.
    private final Set<String> prefixes = new HashSet<>();
    private final List<Subscription> exportSubscriptions = new ArrayList<>();
    private final Map<Long, Pending> pendingWork = new HashMap<>();
    private final ArrayDeque<Pending> workDeadlines = new ArrayDeque<>();
    private long nextWorkId;

    /** A Conduit request handed to a REP worker, waiting for its reply. */
    private record Pending(long id, String replyTo, long deadlineNanos) {
    }

    /** What Conduit hands the gateway thread. */
    private sealed interface Outbound {
    }

    private record ToSubscribers(String subject, Headers headers, byte[] payload) implements Outbound {
    }

    private record ToWorker(String subject, String replyTo, Headers headers, byte[] payload) implements Outbound {
    }

    private record Reply(List<byte[]> envelope, byte[] status, byte[] payload, Headers headers) implements Outbound {
    }

    private ZmqGateway(ZeroMqConfig config, String serverHost, Client client, Clock clock, int maxSubjectBytes,
                       io.micrometer.core.instrument.MeterRegistry registry, Function<String, @Nullable Runnable> admit) {
        this.config = config;
        this.client = client;
        this.clock = clock;
        this.maxSubjectBytes = maxSubjectBytes;
        this.outbox = new ArrayBlockingQueue<>(config.queueCapacity());
        this.replies = new ArrayBlockingQueue<>(config.maxPendingRequests());
        try {
            String host = config.boundHost(serverHost);
            peers = new ZmqPeers(context, admit);
            publishIn = socket(SocketType.SUB, host, 0);
            publishIn.subscribe(ZMQ.SUBSCRIPTION_ALL);
            subscribeOut = socket(SocketType.XPUB, host, 1);
            subscribeOut.setXpubNoDrop(true);
            requestsIn = socket(SocketType.ROUTER, host, 2);
            // A reply to a requester that has gone fails (EHOSTUNREACH) instead of vanishing: counted.
            requestsIn.setRouterMandatory(true);
            pushIn = socket(SocketType.PULL, host, 3);
            workers = socket(SocketType.DEALER, host, 4);
            wakeup = Pipe.open();
            wakeup.source().configureBlocking(false);
            wakeup.sink().configureBlocking(false);
        } catch (RuntimeException | IOException e) {
            context.close();
            throw e instanceof UncheckedIOException u ? u : new UncheckedIOException("cannot start the ZeroMQ gateway: "
                    + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
        this.meters = new ZmqMeters(registry, prefixes::size, outbox::size, requestsInFlight::get, peers::count);
        this.thread = Thread.ofPlatform().name("conduit-zeromq").daemon(true).unstarted(this::run);
    }

    /**
     * Binds the gateway's ports and starts its thread. {@code admit} counts a peer from an address
     * against the server's connection limits: it returns the peer's release, or null to refuse it.
     */
    static ZmqGateway start(ZeroMqConfig config, String serverHost, Client client, Clock clock, int maxSubjectBytes,
                            io.micrometer.core.instrument.MeterRegistry registry, Function<String, @Nullable Runnable> admit) {
        ZmqGateway g = new ZmqGateway(config, serverHost, client, clock, maxSubjectBytes, registry, admit);
        for (String service : config.services()) {
            client.subscribe(service, WORKER_GROUP, g::fromConduitToWorker);
        }
        g.thread.start();
        log.info("zeromq gateway on {}: PUB peers -> {}, SUB peers -> {}, REQ/DEALER -> {}, PUSH -> {}, REP workers -> {}{}",
                config.boundHost(serverHost), g.ports[0], g.ports[1], g.ports[2], g.ports[3], g.ports[4],
                config.curveSecretKey() != null ? " (CURVE)" : "");
        return g;
    }

    /** The bound ports, in the order of {@link ZeroMqConfig}: PUB, SUB, REQ, PUSH, REP. */
    @Override
    public int[] ports() {
        return ports.clone();
    }

    @Override
    public int peerCount() {
        return peers.count();
    }

    ZmqMeters meters() {
        return meters;
    }

    ZmqPeers peers() {
        return peers;
    }

    private ZMQ.Socket socket(SocketType type, String host, int index) {
        ZMQ.Socket s = context.createSocket(type);
        s.setLinger(0);
        s.setSndHWM(config.highWaterMark());
        s.setRcvHWM(config.highWaterMark());
        s.setMaxMsgSize(config.maxMessageBytes());
        if (config.curveSecretKey() != null) {
            s.setCurveServer(true);
            s.setCurveSecretKey(ZMQ.Curve.z85Decode(config.curveSecretKey()));
        }
        peers.watch(s, index);
        String address = "tcp://" + (host.contains(":") ? "[" + host + "]" : host);
        if (host.contains(":")) {
            s.setIPv6(true);
        }
        if (config.port() == 0) {
            ports[index] = s.bindToRandomPort(address);
        } else {
            int port = config.port() + index;
            if (!s.bind(address + ":" + port)) {
                throw new UncheckedIOException(new IOException("cannot bind the ZeroMQ gateway's " + type + " port "
                        + host + ":" + port));
            }
            ports[index] = port;
        }
        return s;
    }

    // ---- Conduit side: the client's executor threads ----

    private void fromConduitToSubscribers(Message m) {
        offer(outbox, new ToSubscribers(m.subject(), m.headers(), m.payload()), "queue_full");
    }

    private void fromConduitToWorker(Message m) {
        if (m.replyTo() == null) {
            meters.dropped("no_reply_subject");
            return;
        }
        offer(outbox, new ToWorker(m.subject(), m.replyTo(), m.headers(), m.payload()), "queue_full");
    }

    private void offer(BlockingQueue<Outbound> queue, Outbound item, String dropReason) {
        if (!queue.offer(item)) {
            meters.dropped(dropReason);
            return;
        }
        wake();
    }

    private void wake() {
        if (woken.compareAndSet(false, true)) {
            try {
                wakeup.sink().write(ByteBuffer.wrap(new byte[] {1}));
            } catch (IOException e) {
                // Closed: the gateway is stopping.
            }
        }
    }

    /**
     * An error the server sent the gateway's session (on the client's executor): a publish (from a
     * PUB or PUSH peer, or a REP worker's reply) or a request its principal may not make is dropped
     * by the server with {@code ERROR 403}; counted here as {@code denied} and logged. (A denied
     * request also fails its future, so its requester gets the {@code ERROR 403} status part.)
     */
    void refused(dev.conduit.protocol.ConduitException error) {
        if (error instanceof dev.conduit.client.ServerErrorException s
                && s.code() == dev.conduit.protocol.ErrorCode.PERMISSION_DENIED.code()) {
            meters.denied(String.valueOf(s.getMessage()));
        }
    }

    // ---- the gateway thread ----

    private void run() {
        ZMQ.Poller poller = context.createPoller(6 + ZeroMqConfig.PORTS + 1);
        poller.register(publishIn, ZMQ.Poller.POLLIN);
        poller.register(subscribeOut, ZMQ.Poller.POLLIN);
        poller.register(requestsIn, ZMQ.Poller.POLLIN);
        poller.register(pushIn, ZMQ.Poller.POLLIN);
        poller.register(workers, ZMQ.Poller.POLLIN);
        int wake = poller.register(wakeup.source(), ZMQ.Poller.POLLIN);
        peers.sockets().forEach(s -> poller.register(s, ZMQ.Poller.POLLIN));
        ByteBuffer drain = ByteBuffer.allocate(64);
        // JeroMQ's poll asks each socket for ZMQ_EVENTS on every pass, so it does not miss input a
        // send consumed the signal of; each round still tries every socket (a read that finds nothing
        // costs little), since a socket read up to BATCH messages may hold more.
        try {
            while (running) {
                poller.poll(pollTimeoutMillis());
                if (!running) {
                    break;
                }
                if (poller.pollin(wake)) {
                    woken.set(false);
                    while (wakeup.source().read(drain.clear()) > 0) {
                        // emptied
                    }
                }
                peers.poll();
                drainOutbound();
                readPublishes(publishIn, "pub");
                readPublishes(pushIn, "push");
                readSubscriptions();
                readRequests();
                readWorkerReplies();
                expireWork();
            }
        } catch (RuntimeException | IOException | Error e) {
            if (running) {
                log.error("zeromq gateway thread failed; the gateway stops", e);
            }
        } finally {
            poller.close();
            context.close();
            ended.countDown();
        }
    }

    private long pollTimeoutMillis() {
        Pending first = workDeadlines.peekFirst();
        if (first == null) {
            return 1000;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(first.deadlineNanos - clock.nanoTime());
        return Math.max(1, Math.min(1000, left + 1));
    }

    /** Reads one multipart message without waiting; null if none. Parts beyond {@code max} are read and dropped. */
    private static @Nullable List<byte[]> receive(ZMQ.Socket socket, int max) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> parts = new ArrayList<>(4);
        parts.add(first);
        boolean tooMany = false;
        while (socket.hasReceiveMore()) {
            byte[] part = socket.recv(0);
            if (parts.size() < max) {
                parts.add(part);
            } else {
                tooMany = true;
            }
        }
        if (tooMany) {
            parts.add(null); // marks a message with too many parts
        }
        return parts;
    }

    /** A PUB or PUSH peer's messages: [topic][payload] or [topic][payload][headers]. */
    private boolean readPublishes(ZMQ.Socket socket, String from) {
        for (int i = 0; i < BATCH; i++) {
            List<byte[]> parts = receive(socket, 3);
            if (parts == null) {
                return false;
            }
            meters.received(from);
            try {
                if (parts.size() < 2 || parts.contains(null)) {
                    throw new ZmqFrames.Malformed("expected [topic][payload] or [topic][payload][headers], got "
                            + (parts.contains(null) ? "more than 3" : parts.size()) + " parts");
                }
                String subject = ZmqFrames.subject(parts.get(0), config.invalidTopics(), maxSubjectBytes);
                Headers headers = parts.size() == 3 ? ZmqFrames.headers(parts.get(2)) : Headers.EMPTY;
                publish(subject, headers, parts.get(1));
            } catch (ZmqFrames.Malformed e) {
                meters.invalid(from + " peer: " + e.getMessage());
            }
        }
        return true;
    }

    private void publish(String subject, Headers headers, byte[] payload) {
        try {
            if (!client.publish(subject, null, headers, payload)) {
                meters.dropped("buffer_full");
            }
        } catch (BufferFullException e) {
            meters.dropped("buffer_full");
        } catch (RuntimeException e) { // too large, not permitted, closed
            meters.invalid("publish to " + subject + " refused: " + e.getMessage());
        }
    }

    /** XPUB hands on the first subscription to a prefix and the last unsubscription from it. */
    private boolean readSubscriptions() {
        for (int i = 0; i < BATCH; i++) {
            List<byte[]> parts = receive(subscribeOut, 1);
            if (parts == null) {
                return false;
            }
            byte[] event = parts.get(0);
            if (event == null || event.length == 0 || event[0] > 1) {
                continue; // not a subscription message: XPUB peers may send others, ignored
            }
            String prefix = new String(event, 1, event.length - 1, java.nio.charset.StandardCharsets.UTF_8);
            boolean had = !prefixes.isEmpty();
            if (event[0] == 1) {
                prefixes.add(prefix);
            } else {
                prefixes.remove(prefix);
            }
            if (!had && !prefixes.isEmpty()) {
                for (String export : config.exports()) {
                    exportSubscriptions.add(client.subscribe(export, this::fromConduitToSubscribers));
                }
            } else if (had && prefixes.isEmpty()) {
                exportSubscriptions.forEach(Subscription::unsubscribe);
                exportSubscriptions.clear();
            }
        }
        return true;
    }

    /** A REQ peer's [id][""][subject][payload](+[headers]), or a DEALER's without the empty part. */
    private boolean readRequests() {
        for (int i = 0; i < BATCH; i++) {
            List<byte[]> parts = receive(requestsIn, 6);
            if (parts == null) {
                return false;
            }
            meters.received("req");
            List<byte[]> envelope = new ArrayList<>(2);
            envelope.add(parts.get(0));
            int body = 1;
            if (parts.size() > 1 && parts.get(1) != null && parts.get(1).length == 0) {
                envelope.add(ZmqFrames.EMPTY);
                body = 2;
            }
            List<byte[]> rest = parts.subList(body, parts.size());
            try {
                if (rest.size() < 2 || rest.size() > 3 || rest.contains(null)) {
                    throw new ZmqFrames.Malformed("expected [subject][payload] or [subject][payload][headers]");
                }
                String subject = ZmqFrames.subject(rest.get(0), ZeroMqConfig.InvalidTopics.DROP, maxSubjectBytes);
                Headers headers = rest.size() == 3 ? ZmqFrames.headers(rest.get(2)) : Headers.EMPTY;
                if (requestsInFlight.incrementAndGet() > config.maxPendingRequests()) {
                    requestsInFlight.decrementAndGet();
                    meters.dropped("too_many_requests");
                    sendReply(new Reply(envelope, ZmqFrames.errorStatus(429, "too many requests in flight"),
                            ZmqFrames.EMPTY, Headers.EMPTY));
                    continue;
                }
                client.request(subject, headers, rest.get(1), config.requestTimeout()).whenComplete((reply, error) -> {
                    Reply r = error == null
                            ? new Reply(envelope, ZmqFrames.OK, reply.payload(), reply.headers())
                            : new Reply(envelope, ZmqFrames.errorStatus(error), ZmqFrames.EMPTY, Headers.EMPTY);
                    offer(replies, r, "reply_queue_full"); // cannot be full: one place per request in flight
                });
            } catch (ZmqFrames.Malformed e) {
                meters.invalid("REQ peer: " + e.getMessage());
                sendReply(new Reply(envelope, ZmqFrames.errorStatus(400, String.valueOf(e.getMessage())), ZmqFrames.EMPTY,
                        Headers.EMPTY));
            } catch (RuntimeException e) { // refused before it was sent: buffer full, closed
                requestsInFlight.decrementAndGet();
                sendReply(new Reply(envelope, ZmqFrames.errorStatus(e), ZmqFrames.EMPTY, Headers.EMPTY));
            }
        }
        return true;
    }

    private void drainOutbound() {
        for (Outbound o = replies.poll(); o != null; o = replies.poll()) {
            requestsInFlight.decrementAndGet();
            sendReply((Reply) o);
        }
        for (int i = 0; i < BATCH * 4; i++) {
            Outbound o = outbox.poll();
            if (o == null) {
                return;
            }
            if (o instanceof ToSubscribers m) {
                toSubscribers(m);
            } else if (o instanceof ToWorker w) {
                toWorker(w);
            }
        }
        if (!outbox.isEmpty()) {
            wake(); // more than a batch: come back after the sockets had their turn
        }
    }

    /**
     * Sends a reply to its requester. The ROUTER is mandatory: the first part (the requester's
     * routing id) fails if the requester has gone away (its connection closed: EHOSTUNREACH, which
     * JeroMQ throws) or has no room (at its high-water mark: false). Either way nothing of the reply
     * leaves (the rest is not sent, or it would be read as a new routing id) and the loss is counted.
     */
    private void sendReply(Reply r) {
        byte[] id = r.envelope().get(0);
        boolean sent;
        try {
            sent = requestsIn.send(id, ZMQ.SNDMORE | ZMQ.DONTWAIT);
        } catch (org.zeromq.ZMQException e) {
            if (e.getErrorCode() != zmq.ZError.EHOSTUNREACH) {
                throw e;
            }
            meters.replyLost("requester_gone", "reply to a requester that has gone away, dropped");
            return;
        }
        if (!sent) {
            meters.replyLost("slow_requester", "reply to a requester with no room (zeromq.highWaterMark), dropped");
            return;
        }
        // Once the routing id is accepted the whole message goes to that peer's pipe (room was checked).
        for (int i = 1; i < r.envelope().size(); i++) {
            requestsIn.send(r.envelope().get(i), ZMQ.SNDMORE);
        }
        byte[] headers = ZmqFrames.headersPart(r.headers());
        requestsIn.send(r.status(), ZMQ.SNDMORE);
        requestsIn.send(r.payload(), headers != null ? ZMQ.SNDMORE : 0);
        if (headers != null) {
            requestsIn.send(headers, 0);
        }
        meters.sent("req");
    }

    private void toSubscribers(ToSubscribers m) {
        byte[] headers = ZmqFrames.headersPart(m.headers());
        // XPUB_NODROP: if a matching peer has no room, the first part fails and nothing is sent.
        if (!subscribeOut.send(m.subject().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
            meters.dropped("slow_subscriber");
            return;
        }
        subscribeOut.send(m.payload(), headers != null ? ZMQ.SNDMORE : 0);
        if (headers != null) {
            subscribeOut.send(headers, 0);
        }
        meters.sent("sub");
    }

    private void toWorker(ToWorker w) {
        if (pendingWork.size() >= config.maxPendingRequests()) {
            meters.dropped("too_many_requests");
            return;
        }
        long id = nextWorkId++;
        byte[] headers = ZmqFrames.headersPart(w.headers());
        // The id and the empty delimiter are the REP worker's envelope: it sends them back with its reply.
        if (!workers.send(ByteBuffer.allocate(8).putLong(id).array(), ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
            meters.dropped("no_workers");
            return;
        }
        workers.send(ZmqFrames.EMPTY, ZMQ.SNDMORE);
        workers.send(w.subject().getBytes(java.nio.charset.StandardCharsets.UTF_8), ZMQ.SNDMORE);
        workers.send(w.payload(), headers != null ? ZMQ.SNDMORE : 0);
        if (headers != null) {
            workers.send(headers, 0);
        }
        Pending p = new Pending(id, w.replyTo(), clock.nanoTime() + config.requestTimeout().toNanos());
        pendingWork.put(id, p);
        workDeadlines.addLast(p);
        meters.sent("rep");
    }

    /** A REP worker's reply: [id][""][payload](+[headers]). */
    private boolean readWorkerReplies() {
        for (int i = 0; i < BATCH; i++) {
            List<byte[]> parts = receive(workers, 4);
            if (parts == null) {
                return false;
            }
            meters.received("rep");
            try {
                if (parts.size() < 3 || parts.contains(null) || parts.get(0).length != 8 || parts.get(1).length != 0) {
                    throw new ZmqFrames.Malformed("expected a reply [payload] or [payload][headers]");
                }
                Pending p = pendingWork.remove(ByteBuffer.wrap(parts.get(0)).getLong());
                if (p == null) {
                    meters.dropped("late_reply");
                    continue;
                }
                Headers headers = parts.size() == 4 ? ZmqFrames.headers(parts.get(3)) : Headers.EMPTY;
                publish(p.replyTo(), headers, parts.get(2));
            } catch (ZmqFrames.Malformed e) {
                meters.invalid("REP worker: " + e.getMessage());
            }
        }
        return true;
    }

    /** Forgets requests whose workers did not reply in time (their requesters have timed out too). */
    private void expireWork() {
        long now = clock.nanoTime();
        for (Pending p = workDeadlines.peekFirst(); p != null && p.deadlineNanos - now <= 0; p = workDeadlines.peekFirst()) {
            workDeadlines.pollFirst();
            if (pendingWork.remove(p.id()) != null) {
                meters.dropped("worker_timeout");
            }
        }
    }

    /** Stops the thread, closes the sockets and the gateway's client, and removes its meters. */
    @Override
    public void close() {
        running = false;
        wake();
        try {
            if (!ended.await(10, TimeUnit.SECONDS)) {
                log.warn("zeromq gateway thread did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            wakeup.sink().close();
            wakeup.source().close();
        } catch (IOException e) {
            // nothing to do
        }
        peers.close();
        client.close();
        meters.close();
    }
}
