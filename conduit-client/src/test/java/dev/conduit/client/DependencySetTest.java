package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.transport.TlsProvider;
import org.junit.jupiter.api.Test;

/**
 * The client's own class path (its test class path has exactly its dependencies plus test tools)
 * holds no netty-tcnative: it is optional in conduit-transport, and the client's TLS falls back to
 * the JDK's. If this fails, something made tcnative a transitive dependency of the client again.
 */
class DependencySetTest {
    @Test
    void netty_tcnativeIsNotOnTheClientsClassPath() {
        assertThat(getClass().getClassLoader().getResource("io/netty/internal/tcnative/SSL.class")).isNull();
        assertThat(TlsProvider.openSslAvailable()).isFalse();
    }
}
