package dev.conduit.cluster;

import dev.conduit.server.ClusterConfig;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A node of the cluster in a process of its own, so that a test can kill it as {@code kill -9}
 * does ({@link Process#destroyForcibly}: SIGKILL, nothing of it runs after). {@link #start} runs this
 * class's {@code main} with the test's class path.
 */
final class ChildNode implements AutoCloseable {
    private final Process process;
    final int port;

    private ChildNode(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts node {@code nodeId} on {@code port} and waits until it accepts connections. */
    static ChildNode start(String redisUri, String nodeId, int port, boolean durable) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED",
                ChildNode.class.getName(), redisUri, nodeId, Integer.toString(port), Boolean.toString(durable))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.equals("READY")) {
                Thread.ofPlatform().daemon().start(() -> drain(out)); // its log, so that its pipe never fills
                return new ChildNode(p, port);
            }
            System.out.println("[" + nodeId + "] " + line);
        }
        throw new IOException("node " + nodeId + " exited with " + waitFor(p) + " before it was ready");
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // dropped: the parent's log would be flooded
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private static int waitFor(Process p) {
        try {
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() {
        process.destroyForcibly();
        waitFor(process);
    }

    @Override
    public void close() {
        kill();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[2]);
        Server server = Server.create(ServerConfig.builder().port(port).httpPort(-1)
                .cluster(new ClusterConfig(URI.create(args[0]), args[1], "tcp://127.0.0.1:" + port,
                        Boolean.parseBoolean(args[3]))).build()).start();
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join(); // until killed
        server.close();
    }
}
