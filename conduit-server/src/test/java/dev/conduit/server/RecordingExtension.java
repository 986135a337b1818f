package dev.conduit.server;

import dev.conduit.server.spi.ServerContext;
import dev.conduit.server.spi.ServerExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ServerExtension} for ServerExtensionTest, registered in the test resources' {@code
 * META-INF/services}: it owns the section {@code recorder} (keys {@code mode} and {@code peers}),
 * runs only when {@code mode} is set, and records what happened to it in {@link #EVENTS}. With
 * {@code mode} {@code fail} its start throws.
 */
public final class RecordingExtension implements ServerExtension {
    /** What the extensions did, across servers: "start <mode>", "stop". Tests clear it. */
    static final List<String> EVENTS = new CopyOnWriteArrayList<>();
    /** The context of the last start, for the test to drive. */
    static volatile ServerContext lastContext;

    @Override
    public String section() {
        return "recorder";
    }

    @Override
    public void checkSetting(String key, String value) {
        switch (key) {
            case "mode" -> {
                if (!List.of("run", "fail").contains(value)) {
                    throw new IllegalArgumentException("expected run or fail");
                }
            }
            case "peers" -> Integer.parseInt(value.trim());
            default -> throw new IllegalArgumentException("unknown setting");
        }
    }

    @Override
    public Running start(ServerContext context) {
        String mode = context.settings().get("mode");
        if (mode == null) {
            return null;
        }
        EVENTS.add("start " + mode);
        if (mode.equals("fail")) {
            throw new IllegalStateException("recorder refuses to start");
        }
        lastContext = context;
        int peers = Integer.parseInt(context.settings().getOrDefault("peers", "0"));
        context.countConnections("recorder", () -> peers);
        return () -> {
            context.uncountConnections("recorder");
            EVENTS.add("stop");
        };
    }
}
