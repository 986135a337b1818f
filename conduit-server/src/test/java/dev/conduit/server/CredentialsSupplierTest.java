package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.Credentials;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's credentials supplier is user code: it is asked on the client's executor, never on
 * an I/O thread, and one that throws fails the connect attempt at once, with its cause, instead of
 * leaving the connection silent until the server's handshake deadline.
 */
class CredentialsSupplierTest {
    private Server server;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "user-executor"));

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        executor.shutdownNow();
    }

    private ClientOptions.Builder options() {
        server = Server.create(ServerConfig.builder().port(0).ioThreads(1).handshakeTimeout(Duration.ofHours(1))
                .drainTimeout(Duration.ofSeconds(1)).build()).start();
        return ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .initialConnectJitter(Duration.ZERO).connectTimeout(Duration.ofSeconds(30)).executor(executor);
    }

    @Test
    void theSupplierRunsOnTheClientsExecutorNotOnAnIoThread() {
        List<String> threads = new CopyOnWriteArrayList<>();
        try (Client c = Client.connect(options().credentials(() -> {
            threads.add(Thread.currentThread().getName());
            return Credentials.NONE;
        }).build())) {
            assertThat(c.serverInfo().sessionId()).isNotBlank();
        }
        assertThat(threads).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("user-executor"));
    }

    @Test
    void aSupplierThatThrowsFailsTheConnectAtOnceWithItsCause() {
        IllegalStateException vaultDown = new IllegalStateException("the vault is down");
        Throwable t = catchThrowable(() -> Client.connect(options().credentials(() -> {
            throw vaultDown;
        }).build()));
        assertThat(t).isInstanceOf(ConnectFailedException.class).hasMessageContaining("the vault is down")
                .hasRootCause(vaultDown);
    }
}
