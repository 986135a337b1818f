package dev.conduit.server;

import dev.conduit.protocol.FrameCodec;
import dev.conduit.transport.Endpoint;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint URLs a server names to its clients as ALTERNATES (docs/protocol.md, WELCOME and
 * GOAWAY): the configured {@code alternates} first, then the cluster's other live nodes as its
 * {@link dev.conduit.server.spi.Backplane#alternates} reports them. Each URL is named once; one a
 * client could not use (not an endpoint) or longer than {@value #MAX_URL_BYTES} bytes is left out,
 * for a backplane's list comes from other processes; at most {@link FrameCodec#MAX_ALTERNATES} are
 * named, the first ones. So the list takes at most 64 x 514 bytes, and a WELCOME or GOAWAY
 * carrying it still fits the smallest maximum frame (64 KiB, docs/protocol.md section 10).
 *
 * <p>Threads: called on event loops for every WELCOME, so the cleaned list is kept for the
 * backplane's list it came from (one volatile read and an identity check while the cluster does
 * not change); any thread may call it.
 */
final class Alternates {
    /** The longest URL named; a real endpoint URL is far shorter. */
    static final int MAX_URL_BYTES = 512;

    private final List<String> configured;
    private volatile Cached cached = new Cached(null, List.of());

    private record Cached(@Nullable List<String> from, List<String> clean) {
    }

    /** @param configured the server's own {@code alternates}, already checked by its config */
    Alternates(List<String> configured) {
        this.configured = List.copyOf(configured);
    }

    /** The cluster's other nodes alone: what WELCOME names. */
    List<String> cluster(List<String> fromBackplane) {
        Cached c = cached;
        if (c.from() != fromBackplane) {
            c = new Cached(fromBackplane, clean(List.of(), fromBackplane));
            cached = c;
        }
        return c.clean();
    }

    /** The configured ones, then the cluster's other nodes: what the GOAWAY of a stop names. */
    List<String> withConfigured(List<String> fromBackplane) {
        return clean(configured, fromBackplane);
    }

    /** {@code first} then {@code second}, without repeats or unusable URLs, at most 64. */
    static List<String> clean(List<String> first, List<String> second) {
        Set<String> out = new LinkedHashSet<>();
        for (List<String> list : List.of(first, second)) {
            for (String url : list) {
                if (out.size() == FrameCodec.MAX_ALTERNATES) {
                    return List.copyOf(out);
                }
                if (usable(url)) {
                    out.add(url);
                }
            }
        }
        return List.copyOf(out);
    }

    private static boolean usable(@Nullable String url) {
        if (url == null || url.isEmpty() || url.getBytes(StandardCharsets.UTF_8).length > MAX_URL_BYTES) {
            return false;
        }
        try {
            Endpoint.parse(url);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
