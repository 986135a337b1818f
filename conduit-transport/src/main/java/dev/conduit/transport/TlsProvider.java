package dev.conduit.transport;

import io.netty.handler.ssl.OpenSsl;

/** Which TLS implementation a {@link ServerTls} or {@link ClientTls} uses. */
public enum TlsProvider {
    /** OpenSSL (BoringSSL, through netty-tcnative) when it loads on this machine, the JDK's otherwise. */
    AUTO,
    /** OpenSSL through netty-tcnative; building a context fails if it does not load. */
    OPENSSL,
    /** The JDK's own TLS (SunJSSE). */
    JDK;

    /** Whether netty-tcnative's OpenSSL loaded on this machine. */
    public static boolean openSslAvailable() {
        return OpenSsl.isAvailable();
    }

    /** {@code auto}, {@code openssl} or {@code jdk}, in any case. */
    public static TlsProvider parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> AUTO;
            case "openssl" -> OPENSSL;
            case "jdk" -> JDK;
            default -> throw new IllegalArgumentException("expected one of auto, openssl, jdk");
        };
    }
}
