package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class SubjectsAndHeadersTest {

    @Test
    void validSubjectsAndPatterns() {
        for (String s : new String[] {"a", "orders.eu.created", "ü.日本", "_INBOX.x-y.1", "a-b_c.d"}) {
            assertThat(Subjects.checkSubject(s, 512)).isEqualTo(s);
        }
        for (String p : new String[] {"*", ">", "a.*", "a.>", "*.b.>", "a.*.c"}) {
            assertThat(Subjects.checkPattern(p, 512)).isEqualTo(p);
        }
    }

    @Test
    void invalidSubjectsSayWhatIsWrong() {
        assertInvalid(() -> Subjects.checkSubject("", 512), "must not be empty");
        assertInvalid(() -> Subjects.checkSubject("a..b", 512), "empty token at index 2");
        assertInvalid(() -> Subjects.checkSubject(".a", 512), "empty token at index 0");
        assertInvalid(() -> Subjects.checkSubject("a.", 512), "empty token at index 2");
        assertInvalid(() -> Subjects.checkSubject("a b", 512), "at index 1");
        assertInvalid(() -> Subjects.checkSubject("a\tb", 512), "\\u0009");
        assertInvalid(() -> Subjects.checkSubject("a.*", 512), "only allowed in subscription patterns");
        assertInvalid(() -> Subjects.checkSubject("a.>", 512), "only allowed in subscription patterns");
        assertInvalid(() -> Subjects.checkSubject("abc", 2), "longer than 2 bytes");
        assertInvalid(() -> Subjects.checkSubject("ü", 1), "longer than 1 bytes");
        assertInvalid(() -> Subjects.checkPattern("a.>.b", 512), "'>' must be the last token");
        assertInvalid(() -> Subjects.checkPattern("a*", 512), "must be a whole token");
        assertInvalid(() -> Subjects.checkPattern("a.b>", 512), "must be a whole token");
        assertInvalid(() -> Subjects.checkQueueGroup("a.b", 512), "'.'");
        assertInvalid(() -> Subjects.checkQueueGroup("", 512), "must not be empty");
    }

    @Test
    void matchingTruthTable() {
        assertThat(Subjects.matches("a.*", "a.b")).isTrue();
        assertThat(Subjects.matches("a.*", "a")).isFalse();
        assertThat(Subjects.matches("a.*", "a.b.c")).isFalse();
        assertThat(Subjects.matches("a.>", "a.b")).isTrue();
        assertThat(Subjects.matches("a.>", "a.b.c")).isTrue();
        assertThat(Subjects.matches("a.>", "a")).isFalse();
        assertThat(Subjects.matches(">", "a")).isTrue();
        assertThat(Subjects.matches("*.b", "a.b")).isTrue();
        assertThat(Subjects.matches("*.b", "a.c")).isFalse();
        assertThat(Subjects.matches("a.b", "a.b")).isTrue();
        assertThat(Subjects.matches("a.b", "a.bb")).isFalse();
        assertThat(Subjects.hasWildcard("a.*")).isTrue();
        assertThat(Subjects.hasWildcard("a.b")).isFalse();
    }

    @Test
    void headersKeepOrderRepeatAndCompareNamesWithoutCase() {
        Headers h = Headers.of("Trace", "1", "content-type", "text/plain", "trace", "2");
        assertThat(h.size()).isEqualTo(3);
        assertThat(h.first("TRACE")).isEqualTo("1");
        assertThat(h.all("trace")).containsExactly("1", "2");
        assertThat(h.names()).containsExactly("Trace", "content-type", "trace");
        assertThat(h.toBuilder().set("TRACE", "3").build().all("trace")).containsExactly("3");
        assertThat(h.first("missing")).isNull();
    }

    @Test
    void badHeadersAreRefusedAtTheBuilder() {
        assertThatThrownBy(() -> Headers.of("", "v")).isInstanceOf(HeadersTooLargeException.class);
        assertThatThrownBy(() -> Headers.of("a:b", "v")).isInstanceOf(HeadersTooLargeException.class).hasMessageContaining("a:b");
        assertThatThrownBy(() -> Headers.of("a b", "v")).isInstanceOf(HeadersTooLargeException.class);
        assertThatThrownBy(() -> Headers.of("k", "line\nbreak")).isInstanceOf(HeadersTooLargeException.class).hasMessageContaining("'k'");
        assertThatThrownBy(() -> Headers.of("k")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHeaderBlockOverTheLimitIsRejectedOnDecode() {
        Headers big = Headers.of("k", "v".repeat(2000));
        ByteBuffer bytes = FrameCodec.encode(new Frame.Publish(0, false, MessageBody.of("s", null, big, new byte[0])));
        assertThat(new FrameCodec(ProtocolLimits.DEFAULT).decode(bytes.duplicate()).type()).isEqualTo(FrameType.PUBLISH);
        assertThatThrownBy(() -> new FrameCodec(new ProtocolLimits(1024, 1000, 64)).decode(bytes.duplicate()))
                .isInstanceOf(HeadersTooLargeException.class).hasMessageContaining("1000");
    }

    @Test
    void limitsAndVersions() {
        assertThatThrownBy(() -> new ProtocolLimits(-1, 0, 1)).hasMessageContaining(": -1");
        assertThatThrownBy(() -> new ProtocolLimits(1, 0, 0)).hasMessageContaining("maxSubjectBytes").hasMessageContaining(": 0");
        assertThat(ProtocolLimits.DEFAULT.maxFrameBytes()).isEqualTo((1 << 20) + (64 << 10) + 2 * 512 + 64);
        assertThat(new ProtocolLimits(10, 0, 1).maxFrameBytes()).isEqualTo(ProtocolLimits.MIN_FRAME_BYTES);
        assertThat(ProtocolVersion.negotiate(1, 1)).isEqualTo(1);
        assertThat(ProtocolVersion.negotiate(1, 9)).isEqualTo(1);
        assertThat(ProtocolVersion.negotiate(2, 9)).isEqualTo(-1);
        assertThat(ProtocolVersion.negotiate(0, 0)).isEqualTo(-1);
    }

    private static void assertInvalid(Runnable check, String reason) {
        assertThatThrownBy(check::run).isInstanceOf(InvalidSubjectException.class).hasMessageContaining(reason);
    }
}
