package dev.conduit.client;

/**
 * Whether the OpenTelemetry API is on the application's class path (or module path, and read by
 * this module), decided once when this class initialises. This class names no OpenTelemetry type,
 * so checking {@link #ENABLED} loads none: without the API, a publish, request or delivery costs one
 * constant test and no allocation. With it, the work is done by {@link OtelTracing}, which is loaded
 * only on first use.
 *
 * <p>What it does with the API is in docs/client.md ("Tracing"): W3C {@code traceparent} and
 * {@code tracestate} headers are written into what is published and requested and read from what
 * is delivered, and spans are made through {@code GlobalOpenTelemetry}.
 */
final class Tracing {
    /** True when {@code io.opentelemetry.api.GlobalOpenTelemetry} can be loaded by this module. */
    static final boolean ENABLED = available();

    private Tracing() {
    }

    private static boolean available() {
        try {
            Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, Tracing.class.getClassLoader());
            Class.forName("io.opentelemetry.context.Context", false, Tracing.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
