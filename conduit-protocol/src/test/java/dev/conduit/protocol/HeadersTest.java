package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The header rules of docs/protocol.md section 9, when building headers and when decoding them. */
class HeadersTest {

    @Test
    void orderIsKeptAndNamesMayRepeat() {
        Headers h = Headers.of("Trace", "1", "content-type", "text/plain", "trace", "2", "x", "");
        assertThat(h.size()).isEqualTo(4);
        assertThat(h.name(0)).isEqualTo("Trace");
        assertThat(h.value(1)).isEqualTo("text/plain");
        assertThat(h.names()).containsExactly("Trace", "content-type", "trace", "x");
        assertThat(h.all("trace")).containsExactly("1", "2");
        assertThat(h.first("x")).isEmpty();
        assertThat(h.toString()).isEqualTo("{Trace=1, content-type=text/plain, trace=2, x=}");
    }

    @Test
    void lookupIgnoresAsciiCaseButTheWireKeepsIt() {
        Headers h = Headers.of("Content-Type", "a", "CONTENT-TYPE", "b");
        assertThat(h.first("content-type")).isEqualTo("a");
        assertThat(h.all("Content-type")).containsExactly("a", "b");
        assertThat(h.first("missing")).isNull();
        assertThat(h.all("missing")).isEmpty();
        Headers decoded = roundTrip(h);
        assertThat(decoded.name(0)).isEqualTo("Content-Type");
        assertThat(decoded.name(1)).isEqualTo("CONTENT-TYPE");
        assertThat(decoded).isEqualTo(h);
    }

    @Test
    void setReplacesEveryValueOfANameAndAddKeepsThem() {
        Headers h = Headers.of("a", "1", "b", "2", "A", "3");
        assertThat(h.toBuilder().set("a", "9").build().names()).containsExactly("b", "a");
        assertThat(h.toBuilder().set("a", "9").build().all("A")).containsExactly("9");
        assertThat(h.toBuilder().add("a", "4").build().all("a")).containsExactly("1", "3", "4");
        assertThat(Headers.builder().build()).isSameAs(Headers.EMPTY);
        assertThat(Headers.EMPTY.isEmpty()).isTrue();
        assertThat(Headers.EMPTY.encodedLength()).isZero();
    }

    @Test
    void encodedLengthIsTheBlockFromCountOn() {
        // u16 count, then str16 name and str16 value per header: 2 + (2 + 1 + 2 + 1) + (2 + 4 + 2 + 3)
        assertThat(Headers.of("k", "v", "unit", "°C").encodedLength()).isEqualTo(2 + 6 + 11);
    }

    @Test
    void invalidNamesAreRefused() {
        assertBad(() -> Headers.of("", "v"), "header name must be 1 to 255 characters: ''");
        assertBad(() -> Headers.of("n".repeat(256), "v"), "header name must be 1 to 255 characters: '" + "n".repeat(256) + "'");
        assertBad(() -> Headers.of("a:b", "v"), "header name 'a:b' has a character that is not allowed at index 1");
        assertBad(() -> Headers.of("a b", "v"), "header name 'a b' has a character that is not allowed at index 1");
        assertBad(() -> Headers.of("ü", "v"), "header name 'ü' has a character that is not allowed at index 0");
        assertBad(() -> Headers.of("a\u007f", "v"), "header name 'a\u007f' has a character that is not allowed at index 1");
        assertThat(Headers.of("n".repeat(255), "v").size()).isEqualTo(1);
        assertThat(Headers.of("!#$%&'*+-.^_`|~", "v").size()).isEqualTo(1);
    }

    @Test
    void invalidValuesAreRefused() {
        assertBad(() -> Headers.of("k", "line\nbreak"), "header 'k' value has CR, LF or NUL at index 4");
        assertBad(() -> Headers.of("k", "a\rb"), "header 'k' value has CR, LF or NUL at index 1");
        assertBad(() -> Headers.of("k", "\0"), "header 'k' value has CR, LF or NUL at index 0");
        assertBad(() -> Headers.of("k", null), "header 'k' has a null value");
        assertBad(() -> Headers.of("k", "é".repeat(32768)), "header 'k' value is longer than 65535 bytes");
        assertThat(Headers.of("k", "x".repeat(65535)).value(0)).hasSize(65535);
        assertThatThrownBy(() -> Headers.of("k")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("names and values must come in pairs: 1 strings");
    }

    @Test
    void theHeaderLimitIsEnforcedOnDecodeExactlyAtTheBoundary() {
        Headers h = Headers.of("k", "v".repeat(994)); // 2 + 2 + 1 + 2 + 994 = 1001 bytes
        assertThat(h.encodedLength()).isEqualTo(1001);
        ByteBuffer frame = publishWith(h);
        assertThat(new FrameCodec(new ProtocolLimits(1024, 1001, 64)).decode(frame.duplicate())).isNotNull();
        assertThatThrownBy(() -> new FrameCodec(new ProtocolLimits(1024, 1000, 64)).decode(frame.duplicate()))
                .isInstanceOf(HeadersTooLargeException.class)
                .hasMessage("header block of 1001 bytes exceeds the maximum of 1000 bytes");
    }

    @Test
    void malformedHeaderBlocksAreRejectedOnDecode() {
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        // A name with a space, written by hand because the builder refuses it.
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(1, "a b", "v"))))
                .isInstanceOf(HeadersTooLargeException.class).hasMessageContaining("'a b'");
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(1, "k", "a\nb"))))
                .isInstanceOf(HeadersTooLargeException.class).hasMessageContaining("CR, LF or NUL");
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(0))))
                .isInstanceOf(MalformedFrameException.class).hasMessage("a non-empty header block must hold at least one header");
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(2, "k", "v", "x"))))
                .isInstanceOf(MalformedFrameException.class).hasMessage("header block ends inside a header");
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(1, "k", "v", "x", "y"))))
                .isInstanceOf(MalformedFrameException.class).hasMessage("header block has 6 bytes after its last header");
        assertThatThrownBy(() -> codec.decode(publishWithBlock(block(60000, "k", "v"))))
                .isInstanceOf(MalformedFrameException.class).hasMessage("header count 60000 overruns the header block");
    }

    private static Headers roundTrip(Headers h) {
        Frame f = new FrameCodec(ProtocolLimits.DEFAULT).decode(publishWith(h));
        return ((Frame.Publish) f).body().headers();
    }

    private static ByteBuffer publishWith(Headers h) {
        return FrameCodec.encode(new Frame.Publish(0, false, MessageBody.of("s", null, h, new byte[0])));
    }

    /** A header block: the given count, then the strings as str16, however many there are. */
    private static byte[] block(int count, String... strings) {
        ByteBuffer b = ByteBuffer.allocate(1024).putShort((short) count);
        for (String s : strings) {
            FrameCodec.putString(b, s);
        }
        byte[] out = new byte[b.flip().remaining()];
        b.get(out);
        return out;
    }

    /** A PUBLISH to "s" whose header block is exactly these bytes, and an empty payload. */
    private static ByteBuffer publishWithBlock(byte[] block) {
        ByteBuffer b = ByteBuffer.allocate(64 + block.length);
        b.putInt(0).put((byte) FrameType.PUBLISH.code()).put((byte) 0).putLong(0);
        FrameCodec.putString(b, "s");
        FrameCodec.putString(b, "");
        b.putInt(block.length).put(block).putInt(0);
        return b.putInt(0, b.position() - 4).flip();
    }

    private static void assertBad(Runnable r, String message) {
        assertThatThrownBy(r::run).isInstanceOf(HeadersTooLargeException.class).hasMessage(message)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.HEADERS_TOO_LARGE));
    }
}
