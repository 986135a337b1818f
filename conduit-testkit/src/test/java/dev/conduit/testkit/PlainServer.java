package dev.conduit.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A blocking TCP server on 127.0.0.1 for the proxy's tests, a virtual thread per connection. Each
 * connection optionally sends a greeting, then reads until the end, counting what it reads and
 * optionally echoing it.
 */
final class PlainServer implements AutoCloseable {

    /** One accepted connection, as the server sees it. */
    static final class Peer {
        final Socket socket;
        final AtomicLong received = new AtomicLong();
        /** Completes when reading ends: normally (end of stream) or with the exception it ended on. */
        final CompletableFuture<Long> ended = new CompletableFuture<>();

        Peer(Socket socket) {
            this.socket = socket;
        }
    }

    private final ServerSocket serverSocket;
    private final boolean echo;
    private final byte[] greeting;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final BlockingQueue<Peer> accepted = new LinkedBlockingQueue<>();
    private final List<Peer> all = new CopyOnWriteArrayList<>();

    private PlainServer(boolean echo, byte[] greeting) throws IOException {
        this.echo = echo;
        this.greeting = greeting;
        this.serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Sends back everything it reads. */
    static PlainServer echo() throws IOException {
        return new PlainServer(true, new byte[0]);
    }

    /** Reads and counts, never writes. */
    static PlainServer sink() throws IOException {
        return new PlainServer(false, new byte[0]);
    }

    /** Writes {@code greeting} to each connection, then reads and counts. */
    static PlainServer talker(byte[] greeting) throws IOException {
        return new PlainServer(false, greeting);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    /** The next connection accepted, waiting for it. */
    Peer nextPeer() throws InterruptedException {
        return accepted.take();
    }

    int acceptedCount() {
        return all.size();
    }

    private void acceptLoop() {
        while (!serverSocket.isClosed()) {
            try {
                Peer peer = new Peer(serverSocket.accept());
                all.add(peer);
                accepted.add(peer);
                threads.execute(() -> serve(peer));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Peer peer) {
        try (Socket s = peer.socket) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            out.write(greeting);
            out.flush();
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                peer.received.addAndGet(n);
                if (echo) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
            peer.ended.complete(peer.received.get());
        } catch (IOException e) {
            peer.ended.completeExceptionally(e);
        }
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Peer p : all) {
            p.socket.close();
        }
        threads.shutdownNow();
    }
}
