package dev.conduit.transport;

/**
 * I/O threads and socket implementation for a {@link Transport}.
 *
 * @param ioThreads number of event loops; each owns many connections
 * @param kind      which socket implementation to use
 * @param daemon    whether the I/O threads let the JVM exit (true for clients)
 * @param clock     times the periodic checks of listeners' TLS files ({@link ServerTls#reloadInterval()})
 */
public record TransportOptions(int ioThreads, Kind kind, boolean daemon, Clock clock) {

    /** Socket implementations. */
    public enum Kind {
        /** Native epoll if it loads on this machine, NIO otherwise. */
        AUTO,
        /** Native epoll (Linux); fails if it does not load. */
        EPOLL,
        /** Native io_uring (Linux 5.14+); fails if it does not load. */
        IO_URING,
        /** Java NIO: works everywhere. */
        NIO
    }

    public TransportOptions {
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be > 0: " + ioThreads);
        }
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (clock == null) {
            throw new IllegalArgumentException("clock must not be null");
        }
    }

    /** With the system clock. */
    public TransportOptions(int ioThreads, Kind kind, boolean daemon) {
        this(ioThreads, kind, daemon, Clock.system());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: one I/O thread per core, AUTO, non-daemon threads. */
    public static final class Builder {
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private Kind kind = Kind.AUTO;
        private boolean daemon;
        private Clock clock = Clock.system();

        private Builder() {
        }

        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("ioThreads must be > 0: " + threads);
            }
            this.ioThreads = threads;
            return this;
        }

        public Builder kind(Kind kind) {
            this.kind = kind;
            return this;
        }

        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        /** The clock that times the TLS file checks (a manual one in tests); the system clock unless set. */
        public Builder clock(Clock clock) {
            if (clock == null) {
                throw new IllegalArgumentException("clock must not be null");
            }
            this.clock = clock;
            return this;
        }

        public TransportOptions build() {
            return new TransportOptions(ioThreads, kind, daemon, clock);
        }
    }
}
