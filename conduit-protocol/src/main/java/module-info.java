/**
 * The Conduit wire protocol: frame types, the codec, subject and header rules, and the error codes a
 * peer may send. Pure code over {@link java.nio.ByteBuffer}: no threads, no sockets, no I/O.
 */
module dev.conduit.protocol {
    requires static org.jspecify;
    exports dev.conduit.protocol;
}
