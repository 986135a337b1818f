package dev.conduit.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.conduit.client.Client;
import dev.conduit.client.ConnectionState;
import dev.conduit.server.Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * When the extension starts and stops servers and closes clients. The classes below are run through
 * the JUnit launcher (not by the build: surefire skips nested classes), and what they saw is checked
 * after they have finished, when every after-callback has run.
 */
class ConduitServerExtensionLifecycleTest {

    static final List<Server> servers = new CopyOnWriteArrayList<>();
    static final List<Client> clients = new CopyOnWriteArrayList<>();
    /** Set while {@link #run} runs a class, so that the classes below do nothing when run any other way. */
    private static volatile boolean launching;

    static boolean launching() {
        return launching;
    }

    @Test
    void aStaticExtensionSharesOneServerAcrossTestsAndStopsItAfterAll() {
        servers.clear();
        clients.clear();

        run(SharedServer.class, 3);

        assertThat(servers).hasSize(3);
        assertThat(servers.get(0)).isSameAs(servers.get(1));
        assertThat(servers.get(2)).as("a new server after the second test stopped the first").isNotSameAs(servers.get(1));
        assertThat(servers.get(2).address().getPort()).isEqualTo(servers.get(0).address().getPort());
        servers.forEach(ConduitServerExtensionLifecycleTest::assertStopped);
        assertThat(clients).allSatisfy(c -> assertThat(c.state()).isEqualTo(ConnectionState.CLOSED));
    }

    @Test
    void anInstanceExtensionGivesEachTestItsOwnServer() {
        servers.clear();
        clients.clear();

        run(ServerPerTest.class, 2);

        assertThat(servers).hasSize(2);
        assertThat(servers.get(0)).isNotSameAs(servers.get(1));
        servers.forEach(ConduitServerExtensionLifecycleTest::assertStopped);
        assertThat(clients).allSatisfy(c -> assertThat(c.state()).isEqualTo(ConnectionState.CLOSED));
    }

    private static void assertStopped(Server server) {
        assertThatThrownBy(server::localConnector).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("STOPPED");
    }

    private static void run(Class<?> testClass, int tests) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launching = true;
        try {
            LauncherFactory.create().execute(request, listener);
        } finally {
            launching = false;
        }
        TestExecutionSummary summary = listener.getSummary();
        StringWriter failures = new StringWriter();
        summary.printFailuresTo(new PrintWriter(failures), 20);
        assertThat(summary.getTotalFailureCount()).as(failures.toString()).isZero();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(tests);
    }

    @EnabledIf("dev.conduit.testing.ConduitServerExtensionLifecycleTest#launching")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class SharedServer {
        @RegisterExtension
        static ConduitServerExtension server = ConduitServerExtension.create();
        static Client fromBeforeAll;
        static Client fromFirstTest;

        @BeforeAll
        static void connectOnce() {
            fromBeforeAll = server.connect();
            clients.add(fromBeforeAll);
        }

        @Test
        @Order(1)
        void first() {
            servers.add(server.server());
            fromFirstTest = server.connect();
            clients.add(fromFirstTest);
        }

        @Test
        @Order(2)
        void second() {
            servers.add(server.server());
            assertThat(fromFirstTest.state()).as("closed after the test that opened it").isEqualTo(ConnectionState.CLOSED);
            assertThat(fromBeforeAll.state()).as("kept until after all tests").isEqualTo(ConnectionState.OPEN);
            server.stop();
        }

        @Test
        @Order(3)
        void third() {
            servers.add(server.server());
            clients.add(server.connect());
        }
    }

    @EnabledIf("dev.conduit.testing.ConduitServerExtensionLifecycleTest#launching")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class ServerPerTest {
        @RegisterExtension
        final ConduitServerExtension server = ConduitServerExtension.create();

        @Test
        @Order(1)
        void first() {
            servers.add(server.server());
            clients.add(server.connect());
        }

        @Test
        @Order(2)
        void second() {
            servers.add(server.server());
            assertStopped(servers.get(0));
            assertThat(clients.get(0).state()).isEqualTo(ConnectionState.CLOSED);
            clients.add(server.connect());
        }
    }
}
