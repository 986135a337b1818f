package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.testing.ConduitServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConduitWithUsersJUnitTest {
    @RegisterExtension
    static ConduitServerExtension conduit = ConduitServerExtension.create();

    @Test
    void requestAndReplyThroughTheExtensionsServer() {
        Client client = conduit.connect();
        client.subscribe("svc.echo", m -> m.reply(m.payloadAsString() + "!"));
        client.flush(Duration.ofSeconds(30)).join();
        Message reply = client.requestAndWait("svc.echo", "hi", Duration.ofSeconds(30));
        assertEquals("hi!", reply.payloadAsString());
        // The JUnit on the class path is the one this project chose.
        Package jupiter = Test.class.getPackage();
        assertNotNull(jupiter);
        System.out.println("JUnit Jupiter " + jupiter.getImplementationVersion());
        assertEquals(System.getProperty("expected.junit", jupiter.getImplementationVersion()),
                jupiter.getImplementationVersion());
    }
}
