package dev.conduit.benchmarks;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.transport.ServerTls;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A Conduit server in its own process for the harness: {@code ServerMain [maxPendingBytesPerSession
 * [CERT.pem KEY.pem]]} listens on 127.0.0.1, a free port (TLS only, with that certificate, if given:
 * the TLS rows), prints {@code PORT n}, then answers commands on stdin, one a
 * line: {@code heap} (prints {@code HEAP <bytes used after System.gc()>}), {@code sessions}
 * (prints {@code SESSIONS n}), {@code allocated} (prints {@code ALLOCATED <bytes allocated on the heap by
 * all threads since the start>}), {@code record FILE} (starts a JFR recording with the {@code profile}
 * settings, prints {@code RECORDING 1}), {@code stop} (writes it to FILE, prints {@code RECORDED 1}),
 * {@code quit} (or end of input) stops it.
 */
public final class ServerMain {

    private ServerMain() {
    }

    public static void main(String[] args) throws Exception {
        // W8 holds 16,000 sessions, all from 127.0.0.1: above the default connection limits (10,000
        // in total, 1,000 per address), which are for servers facing many hosts.
        ServerConfig.Builder config = ServerConfig.builder().host("127.0.0.1").port(0)
                .maxConnections(50_000).maxConnectionsPerAddress(50_000);
        if (args.length > 0) {
            config.maxPendingBytesPerSession(Long.parseLong(args[0]));
        }
        if (args.length > 2) {
            config.tls(ServerTls.pem(Path.of(args[1]), Path.of(args[2])).build());
        }
        try (Server server = Server.create(config.build()).start()) {
            System.out.println("PORT " + server.address().getPort());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                if (line.equals("sessions")) {
                    System.out.println("SESSIONS " + server.sessionCount());
                    System.out.flush();
                } else {
                    answer(line);
                }
            }
        }
    }

    /** The admin commands every harness server process answers. */
    static void answer(String line) {
        if (line.equals("heap")) {
            System.out.println("HEAP " + usedHeapAfterGc());
        } else if (line.equals("allocated")) {
            System.out.println("ALLOCATED " + allocatedBytes());
        } else if (line.startsWith("record ")) {
            Profile.Recorder.start(Path.of(line.substring("record ".length())));
            System.out.println("RECORDING 1");
        } else if (line.equals("stop")) {
            Profile.Recorder.stop();
            System.out.println("RECORDED 1");
        } else {
            System.out.println("ERROR unknown command " + line);
        }
        System.out.flush();
    }

    /** Bytes allocated on the heap by all threads of this JVM so far, ended ones included. */
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
