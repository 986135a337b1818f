package dev.conduit.benchmarks;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A manual tool, not a test (not run by the build): measures the server-wide bounds of issue 11
 * against a server already running in its own process on 127.0.0.1, reading its RSS from /proc and
 * its meters from {@code /metrics}. Bounded in time and in connections by its arguments.
 *
 * <pre>
 * BoundsFigures slow PID PORT HTTP_PORT CONNECTIONS SECONDS
 *     CONNECTIONS raw sockets subscribe to "feed" and never read; one client publishes 1 KiB
 *     messages to "feed" as fast as the server takes them for SECONDS; a fresh client meanwhile
 *     sends a request every 10 ms to a responder on another connection. Prints the server's RSS
 *     (peak) against its budget, and the requests' latency percentiles.
 * BoundsFigures detached PID PORT HTTP_PORT SESSIONS [FEED]
 *     SESSIONS sessions are opened, subscribed to "feed" and dropped without a goodbye (100 at a
 *     time) while a client publishes 1 KiB to "feed" every millisecond (unless FEED is false);
 *     prints detached sessions, evictions and RSS as it goes.
 * </pre>
 *
 * Run against {@code ./conduit server} (see docs/operations.md, "Memory bounds", for the figures).
 */
public final class BoundsFigures {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private BoundsFigures() {
    }

    public static void main(String[] args) throws Exception {
        long pid = Long.parseLong(args[1]);
        int port = Integer.parseInt(args[2]);
        int httpPort = Integer.parseInt(args[3]);
        switch (args[0]) {
            case "slow" -> slow(pid, port, httpPort, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            case "detached" -> detached(pid, port, httpPort, Integer.parseInt(args[4]),
                    args.length < 6 || Boolean.parseBoolean(args[5]));
            default -> throw new IllegalArgumentException("slow or detached: " + args[0]);
        }
    }

    private static void slow(long pid, int port, int httpPort, int connections, int seconds) throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        List<Socket> stuck = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Socket s = new Socket();
            s.setReceiveBufferSize(16 << 10);
            s.connect(address);
            send(s, Frame.Hello.anonymous(1, "stuck-" + i), new Frame.Subscribe(1, "feed", null));
            readFrame(s); // WELCOME; then nothing is read again
            stuck.add(s);
        }
        System.out.printf("%d subscribers that never read; RSS %d MiB%n", connections, rssMiB(pid));
        String url = "tcp://127.0.0.1:" + port;
        ClientOptions options = ClientOptions.builder().endpoints(url).initialConnectJitter(Duration.ZERO).build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong published = new AtomicLong();
        long[] latencies = new long[seconds * 100 + 100];
        int done = 0;
        int failed = 0;
        long peakRss = 0;
        try (Client publisher = Client.connect(options); Client responder = Client.connect(options);
             Client requester = Client.connect(options)) {
            responder.subscribe("svc", m -> m.reply(m.payload()));
            responder.flush(Duration.ofSeconds(10)).join();
            byte[] payload = new byte[1024];
            Thread feed = Thread.ofPlatform().name("feed").start(() -> {
                while (running.get()) {
                    publisher.publish("feed", payload);
                    published.incrementAndGet();
                }
            });
            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            long nextSample = 0;
            while (System.nanoTime() < end && done < latencies.length) {
                long t0 = System.nanoTime();
                try {
                    requester.request("svc", new byte[16], Duration.ofSeconds(5)).join();
                    latencies[done++] = System.nanoTime() - t0;
                } catch (RuntimeException e) {
                    failed++;
                }
                if (t0 > nextSample) {
                    long rss = rssMiB(pid);
                    peakRss = Math.max(peakRss, rss);
                    System.out.printf("t+%ds RSS %d MiB, held %s of %s bytes, published %d%n",
                            seconds - (end - t0) / 1_000_000_000L, rss, meter(httpPort, "conduit_memory_held_bytes"),
                            meter(httpPort, "conduit_memory_max_bytes"), published.get());
                    nextSample = t0 + 5_000_000_000L;
                }
                long sleep = 10_000_000 - (System.nanoTime() - t0);
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
            running.set(false);
            feed.join(30_000);
        }
        long[] l = Arrays.copyOf(latencies, done);
        Arrays.sort(l);
        System.out.printf("published %d x 1 KiB in %d s; peak RSS %d MiB; budget %s bytes; GAP-skipped %s%n",
                published.get(), seconds, Math.max(peakRss, rssMiB(pid)), meter(httpPort, "conduit_memory_max_bytes"),
                meter(httpPort, "conduit_slow_consumer_dropped_total"));
        System.out.printf("requests: %d answered, %d failed; p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", done, failed,
                pct(l, 0.50), pct(l, 0.99), l.length == 0 ? 0 : l[l.length - 1] / 1e6);
        for (Socket s : stuck) {
            s.close();
        }
    }

    private static void detached(long pid, int port, int httpPort, int sessions, boolean feedOn) throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        AtomicBoolean running = new AtomicBoolean(true);
        long peakRss = 0;
        long peakDetached = 0;
        try (Client publisher = Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + port)
                .initialConnectJitter(Duration.ZERO).build())) {
            Thread feed = Thread.ofPlatform().name("feed").start(() -> {
                byte[] payload = new byte[1024];
                while (running.get() && feedOn) {
                    publisher.publish("feed", payload);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            long t0 = System.nanoTime();
            for (int opened = 0; opened < sessions; opened += 100) {
                List<Socket> batch = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    Socket s = new Socket();
                    s.connect(address);
                    send(s, Frame.Hello.anonymous(1, "d" + (opened + i)), new Frame.Subscribe(1, "feed", null));
                    batch.add(s);
                }
                for (Socket s : batch) {
                    readFrame(s);
                    s.close(); // no goodbye: the session detaches
                }
                if ((opened / 100) % 50 == 49) {
                    long rss = rssMiB(pid);
                    long det = (long) Double.parseDouble(meter(httpPort, "conduit_sessions{state=\"detached\""));
                    peakRss = Math.max(peakRss, rss);
                    peakDetached = Math.max(peakDetached, det);
                    System.out.printf("%d sessions in %.0f s: detached %d, evicted %s, detached bytes %s, RSS %d MiB%n",
                            opened + 100, (System.nanoTime() - t0) / 1e9, det,
                            meter(httpPort, "conduit_sessions_evicted_total"),
                            meter(httpPort, "conduit_sessions_detached_held_bytes"), rss);
                }
            }
            running.set(false);
            feed.join(10_000);
        }
        System.out.printf("%d sessions attempted: peak detached %d (cap %s), evicted %s, peak RSS %d MiB%n", sessions,
                peakDetached, meter(httpPort, "conduit_sessions_detached_max"),
                meter(httpPort, "conduit_sessions_evicted_total"), Math.max(peakRss, rssMiB(pid)));
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    private static void send(Socket s, Frame... frames) throws IOException {
        for (Frame f : frames) {
            ByteBuffer b = FrameCodec.encode(f);
            s.getOutputStream().write(b.array(), b.arrayOffset(), b.remaining());
        }
        s.getOutputStream().flush();
    }

    private static void readFrame(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readInt();
        in.readFully(new byte[length]);
    }

    private static long rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    /** The first sample of a meter in the server's {@code /metrics}, as text; "?" if absent. */
    private static String meter(int httpPort, String name) {
        try {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("#") || !line.startsWith(name)) {
                    continue;
                }
                String rest = line.substring(name.length());
                if (rest.startsWith(" ") || rest.startsWith("{") || name.contains("{")) {
                    String value = rest.substring(rest.lastIndexOf('}') + 1).trim();
                    return value.split(" ")[0];
                }
            }
            return "?";
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
