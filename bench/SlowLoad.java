import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.RawFrameClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The client side of bench/slow-http.sh, for what slowhttptest and the conduit command line cannot
 * do: choose the source address (127.0.0.2, ...), so that the flood's per-address limit does not
 * also refuse the measuring client. Run as a single-file program with conduit-protocol and
 * conduit-testkit on the class path:
 *
 * <pre>
 * slow     HOST PORT LOCAL COUNT RATE HOLD_S   COUNT slow HTTP requests from LOCAL, opened at RATE/s:
 *                                              each sends a request line and then one header line
 *                                              every 5 s, never the end of its headers; prints how
 *                                              many the server refused (503 or closed at once) and
 *                                              how long it held the others. Stops HOLD_S seconds
 *                                              after the last one was opened.
 * probe    HOST PORT HTTP_PORT LOCAL           from LOCAL: the time to a WELCOME on the binary port
 *                                              and to a /healthz answer on the HTTP port
 * reqreply HOST PORT LOCAL COUNT               COUNT request/reply round trips, one at a time,
 *                                              between two sessions from LOCAL; prints p50/p99/max
 * </pre>
 */
public final class SlowLoad {
    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "slow" -> slow(args[1], Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Integer.parseInt(args[6]));
            case "probe" -> probe(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4]);
            case "reqreply" -> reqreply(args[1], Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]));
            default -> {
                System.err.println("usage: slow HOST PORT LOCAL COUNT RATE HOLD_S | probe HOST PORT HTTP_PORT LOCAL"
                        + " | reqreply HOST PORT LOCAL COUNT");
                System.exit(2);
            }
        }
    }

    /** One slow request: when it was opened, when it ended, and how. */
    private static final class Slow {
        final SocketChannel channel;
        final long opened = System.nanoTime();
        long closed;
        boolean refused;
        boolean connected;
        final StringBuilder answer = new StringBuilder();

        Slow(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private static void slow(String host, int port, String local, int count, int rate, int holdSeconds) throws Exception {
        Selector selector = Selector.open();
        List<Slow> all = new ArrayList<>();
        byte[] requestLine = ("GET /conduit HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] headerLine = "X-Slow: a\r\n".getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        long lastOpened = start;
        long nextTrickle = start + 5_000_000_000L;
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int connectFailures = 0;
        while (true) {
            long now = System.nanoTime();
            // Open at the rate asked for.
            long due = Math.min(count, (now - start) * rate / 1_000_000_000L + 1);
            while (all.size() < due) {
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                Slow s = new Slow(ch);
                all.add(s);
                try {
                    ch.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
                    if (ch.connect(new InetSocketAddress(host, port))) {
                        connected(s, requestLine);
                        ch.register(selector, SelectionKey.OP_READ, s);
                    } else {
                        ch.register(selector, SelectionKey.OP_CONNECT, s);
                    }
                } catch (IOException e) {
                    connectFailures++;
                    s.refused = true;
                    s.closed = System.nanoTime();
                    ch.close();
                }
                lastOpened = System.nanoTime();
            }
            if (all.size() == count && now - lastOpened > holdSeconds * 1_000_000_000L) {
                break;
            }
            if (now >= nextTrickle) {
                nextTrickle = now + 5_000_000_000L;
                for (Slow s : all) {
                    if (s.connected && s.closed == 0) {
                        try {
                            s.channel.write(ByteBuffer.wrap(headerLine));
                        } catch (IOException e) {
                            ended(s);
                        }
                    }
                }
            }
            selector.select(5);
            for (SelectionKey k : selector.selectedKeys()) {
                Slow s = (Slow) k.attachment();
                try {
                    if (k.isConnectable()) {
                        s.channel.finishConnect();
                        connected(s, requestLine);
                        k.interestOps(SelectionKey.OP_READ);
                    } else if (k.isReadable()) {
                        buf.clear();
                        int n = s.channel.read(buf);
                        if (n < 0) {
                            k.cancel();
                            ended(s);
                        } else if (s.answer.length() < 64) {
                            s.answer.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                        }
                    }
                } catch (IOException e) {
                    k.cancel();
                    if (!s.connected) {
                        connectFailures++;
                        s.refused = true;
                    }
                    ended(s);
                }
            }
            selector.selectedKeys().clear();
        }
        int refused503 = 0;
        int refusedAtOnce = 0;
        int held = 0;
        int stillOpen = 0;
        List<Double> heldSeconds = new ArrayList<>();
        for (Slow s : all) {
            if (s.answer.toString().startsWith("HTTP/1.1 503")) {
                refused503++;
            } else if (s.refused) {
                refusedAtOnce++;
            } else if (s.closed == 0) {
                stillOpen++;
            } else if (s.closed - s.opened < 1_000_000_000L) {
                refusedAtOnce++; // closed within a second without an answer: not held
            } else {
                held++;
                heldSeconds.add((s.closed - s.opened) / 1e9);
            }
            s.channel.close();
        }
        double[] h = heldSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "from %s: %d slow requests opened in %.1f s; refused: %d with 503, %d closed at once "
                        + "(%d failed to connect); held by the server and then closed: %d (held %s); still open at the end: %d%n",
                local, all.size(), (lastOpened - start) / 1e9, refused503, refusedAtOnce, connectFailures, held,
                h.length == 0 ? "-" : String.format(Locale.ROOT, "%.1f s to %.1f s, median %.1f s", h[0], h[h.length - 1],
                        h[h.length / 2]), stillOpen);
    }

    private static void connected(Slow s, byte[] requestLine) throws IOException {
        s.connected = true;
        s.channel.write(ByteBuffer.wrap(requestLine));
    }

    private static void ended(Slow s) {
        if (s.closed == 0) {
            s.closed = System.nanoTime();
        }
    }

    private static void probe(String host, int port, int httpPort, String local) throws Exception {
        InetAddress from = InetAddress.getByName(local);
        long t0 = System.nanoTime();
        String binary;
        try (RawFrameClient c = new RawFrameClient(new InetSocketAddress(host, port), from)) {
            c.send(Frame.Hello.anonymous(1, "slow-http-probe"));
            Frame f = c.read();
            binary = (f instanceof Frame.Welcome ? "WELCOME" : String.valueOf(f)) + String.format(Locale.ROOT,
                    " in %.1f ms", (System.nanoTime() - t0) / 1e6);
        } catch (IOException e) {
            binary = "failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e;
        }
        long t1 = System.nanoTime();
        String http;
        try (Socket s = new Socket(host, httpPort, from, 0)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /healthz HTTP/1.1\r\nHost: " + host + ":" + httpPort + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, head.length);
            http = "'" + new String(head, 0, n, StandardCharsets.ISO_8859_1) + "' in "
                    + String.format(Locale.ROOT, "%.1f ms", (System.nanoTime() - t1) / 1e6);
        } catch (IOException e) {
            http = "failed after " + (System.nanoTime() - t1) / 1_000_000 + " ms: " + e;
        }
        System.out.println("new client from " + local + ": binary port HELLO -> " + binary + "; HTTP port GET /healthz -> " + http);
    }

    private static void reqreply(String host, int port, String local, int count) throws Exception {
        InetAddress from = InetAddress.getByName(local);
        InetSocketAddress server = new InetSocketAddress(host, port);
        String subject = "bench.slowhttp.echo." + ProcessHandle.current().pid();
        try (RawFrameClient responder = new RawFrameClient(server, from);
             RawFrameClient requester = new RawFrameClient(server, from)) {
            responder.send(Frame.Hello.anonymous(1, "slow-http-responder"));
            if (!(responder.next() instanceof Frame.Welcome)) {
                throw new IllegalStateException("the responder was not welcomed");
            }
            responder.send(new Frame.Subscribe(1, subject, null, false));
            responder.sync();
            requester.send(Frame.Hello.anonymous(1, "slow-http-requester"));
            Frame w = requester.next();
            if (!(w instanceof Frame.Welcome welcome)) {
                throw new IllegalStateException("the requester was not welcomed: " + w);
            }
            String inbox = welcome.inboxPrefix();
            requester.send(new Frame.Subscribe(1, inbox + "*", null, false));
            requester.sync();
            Thread echo = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (Frame f = responder.read(); f != null; f = responder.read()) {
                        if (f instanceof Frame.Message m && m.body().replyTo() != null) {
                            responder.send(new Frame.Publish(0, false, MessageBody.of(m.body().replyTo(), null,
                                    Headers.EMPTY, m.body().payload())));
                        }
                    }
                } catch (IOException e) {
                    // the run is over
                }
            });
            double[] ms = new double[count];
            byte[] payload = new byte[16];
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                requester.send(new Frame.Publish(0, true, MessageBody.of(subject, inbox + "r" + i, Headers.EMPTY, payload)));
                Frame f;
                do {
                    f = requester.next();
                } while (!(f instanceof Frame.Message));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "request/reply from %s, %d round trips one at a time: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    local, count, ms[(int) Math.ceil(count * 0.50) - 1], ms[(int) Math.ceil(count * 0.99) - 1], ms[count - 1]);
            echo.interrupt();
        }
    }
}
