package dev.conduit.server.spi;

import org.jspecify.annotations.Nullable;

/**
 * A part of the server that lives in a module of its own, such as the ZeroMQ gateway
 * (conduit-zeromq): the server finds each one on the class or module path with {@link
 * java.util.ServiceLoader} ({@code provides dev.conduit.server.spi.ServerExtension with ...} in its
 * module descriptor, and a {@code META-INF/services} entry for the class path).
 *
 * <p>An extension owns one section of the server's settings, named by {@link #section()}: the YAML
 * section {@code <section>:} with keys {@code port}, {@code host}, ..., and the flat keys {@code
 * <section>Port}, {@code <section>Host}, ... that environment variables ({@code
 * CONDUIT_<SECTION>_PORT}) and the CLI's flags set. {@link
 * dev.conduit.server.ServerConfig.Builder#set} hands each such setting to {@link #checkSetting},
 * so a bad value fails when the config is built, naming where it came from; the config keeps them
 * as text ({@link dev.conduit.server.ServerConfig#extensions()}).
 *
 * <p>Lifecycle: the server calls {@link #start} once, on the thread that starts the server, after
 * its listeners are bound; an extension that its settings leave off returns null. It calls {@link
 * Running#stop()} once, on the thread that stops the server, before the server closes its
 * connections (so what the extension still sends through its in-process session gets out). If
 * {@code start} throws, the server stops again (the extensions already started are stopped) and its
 * {@code start()} throws the same exception.
 *
 * <p>Implementations must be public with a public no-argument constructor (a {@link
 * java.util.ServiceLoader} rule) and are created once per server configuration built and per
 * server started; they hold no state between {@link #start} calls.
 */
public interface ServerExtension {
    /** The settings section this extension owns, such as {@code zeromq}: lower-case letters only. */
    String section();

    /**
     * Checks one of this extension's settings.
     *
     * @param key   the key within the section, such as {@code port} (from {@code zeromqPort} or
     *              {@code zeromq: {port: ...}})
     * @param value its text (a YAML list arrives as its items joined by commas)
     * @throws IllegalArgumentException if the key is unknown or the value not valid; the message
     *                                  says why, the caller adds the source, key and value
     */
    void checkSetting(String key, String value);

    /**
     * Starts the extension for a server that has bound its listeners.
     *
     * @return what stops it, or null if its settings leave it off (then nothing is stopped)
     * @throws RuntimeException if it cannot start (a port in use, say): the server start fails
     */
    @Nullable Running start(ServerContext context);

    /** A started extension. */
    @FunctionalInterface
    interface Running {
        /** Stops the extension and frees what it holds (threads, sockets, meters). Called once; must not throw. */
        void stop();
    }
}
