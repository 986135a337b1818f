package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointParseTest {

    @Test
    void theFullFormParses() {
        Endpoint e = Endpoint.parse("tcp://broker.example.com:7000");
        assertThat(e.scheme()).isEqualTo("tcp");
        assertThat(e.host()).isEqualTo("broker.example.com");
        assertThat(e.port()).isEqualTo(7000);
    }

    @Test
    void hostAndPortWithoutAScheme() {
        assertThat(Endpoint.parse("127.0.0.1:7441")).isEqualTo(new Endpoint("tcp", "127.0.0.1", 7441));
        assertThat(Endpoint.parse("localhost:1")).isEqualTo(new Endpoint("tcp", "localhost", 1));
        assertThat(Endpoint.parse("localhost:65535").port()).isEqualTo(65535);
    }

    @Test
    void thePortDefaultsTo7440() {
        assertThat(Endpoint.parse("tcp://10.1.2.3")).isEqualTo(new Endpoint("tcp", "10.1.2.3", Endpoint.DEFAULT_PORT));
        assertThat(Endpoint.parse("localhost")).isEqualTo(new Endpoint("tcp", "localhost", 7440));
        assertThat(Endpoint.parse("tcp://host/")).isEqualTo(new Endpoint("tcp", "host", 7440));
        assertThat(Endpoint.parse(Endpoint.DEFAULT_URL)).isEqualTo(new Endpoint("tcp", "127.0.0.1", 7440));
    }

    @Test
    void theSchemeIsCaseInsensitive() {
        assertThat(Endpoint.parse("TCP://h:5")).isEqualTo(new Endpoint("tcp", "h", 5));
    }

    @Test
    void ipv6LiteralsAreBracketedInTheUrlButNotInTheHost() {
        assertThat(Endpoint.parse("tcp://[::1]:7440")).isEqualTo(new Endpoint("tcp", "::1", 7440));
        assertThat(Endpoint.parse("[::1]:7441")).isEqualTo(new Endpoint("tcp", "::1", 7441));
        assertThat(Endpoint.parse("tcp://[fe80::1:2]")).isEqualTo(new Endpoint("tcp", "fe80::1:2", 7440));
        assertThat(new Endpoint("tcp", "::1", 7440).toString()).isEqualTo("tcp://[::1]:7440");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://a.b:1", "tcp://[::1]:9", "tcp://h:65535", "tcp://10.0.0.1:7440"})
    void toStringParsesBackToTheSameEndpoint(String url) {
        Endpoint e = Endpoint.parse(url);
        assertThat(e.toString()).isEqualTo(url);
        assertThat(Endpoint.parse(e.toString())).isEqualTo(e);
    }

    @Test
    void anotherSchemeIsRejectedNamingTheUrlAndScheme() {
        assertThatThrownBy(() -> Endpoint.parse("http://h:80"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://h:80")
                .hasMessageContaining("'http'");
        assertThatThrownBy(() -> Endpoint.parse("udp://h:80")).hasMessageContaining("udp://h:80");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://h:0", "tcp://h:65536", "h:70000", "tcp://h:99999999"})
    void anOutOfRangePortIsRejectedNamingTheUrl(String url) {
        assertThatThrownBy(() -> Endpoint.parse(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://h:port", "h:12x", "tcp://", "", "tcp://:7440", "::1:7440", "tcp://h h:1"})
    void malformedUrlsAreRejectedNamingTheUrl(String url) {
        assertThatThrownBy(() -> Endpoint.parse(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + url + "'");
    }

    @Test
    void aPathIsRejectedNamingIt() {
        assertThatThrownBy(() -> Endpoint.parse("tcp://h:1/queue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tcp://h:1/queue")
                .hasMessageContaining("path /queue");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://h:1?x=1", "tcp://user:secret@h:1", "tcp://h:1#frag", "h:1?q",
            "tcp://h:1?", "tcp://h:1#", "tcp://@h:1", "tcp://h:1/?q", "tcp://[::1]:1?q"})
    void partsAnEndpointCannotHaveAreRejectedLikeAPath(String url) {
        assertThatThrownBy(() -> Endpoint.parse(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(url);
    }

    @Test
    void theRejectionSaysWhichPartIsUnexpected() {
        assertThatThrownBy(() -> Endpoint.parse("tcp://h:1?x=1")).hasMessageContaining("query ?x=1");
        assertThatThrownBy(() -> Endpoint.parse("tcp://h:1#frag")).hasMessageContaining("fragment #frag");
        assertThatThrownBy(() -> Endpoint.parse("tcp://u@h:1")).hasMessageContaining("user info");
    }

    @Test
    void theConstructorChecksItsFields() {
        assertThatThrownBy(() -> new Endpoint("tcp", "", 1)).hasMessageContaining("host");
        assertThatThrownBy(() -> new Endpoint("tcp", "h", -1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> new Endpoint("udp", "h", 1)).hasMessageContaining("udp");
        assertThatThrownBy(() -> new Endpoint("ws", "h", 1, "conduit")).hasMessageContaining("must start with '/'");
        assertThatThrownBy(() -> new Endpoint("tls", "h", 1, "/x")).hasMessageContaining("has no path");
    }

    @Test
    void webSocketAndTlsEndpointsHaveTheirOwnDefaults() {
        assertThat(Endpoint.parse("ws://h")).isEqualTo(new Endpoint("ws", "h", 7480, "/conduit"));
        assertThat(Endpoint.parse("wss://h:9/x/y")).isEqualTo(new Endpoint("wss", "h", 9, "/x/y"));
        assertThat(Endpoint.parse("tls://h")).isEqualTo(new Endpoint("tls", "h", 7440));
        assertThat(Endpoint.parse("ws://h:1").toString()).isEqualTo("ws://h:1/conduit");
        assertThat(Endpoint.parse("tls://h:1").secure()).isTrue();
        assertThat(Endpoint.parse("ws://h:1").secure()).isFalse();
        assertThat(Endpoint.parse("wss://h:1").webSocket()).isTrue();
        assertThat(Endpoint.parse("tcp://h:1").webSocket()).isFalse();
        assertThatThrownBy(() -> Endpoint.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
