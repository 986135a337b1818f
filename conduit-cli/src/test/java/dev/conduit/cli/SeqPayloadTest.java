package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeqPayloadTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void theNumberAloneWithoutData() {
        assertThat(text(SeqPayload.format(1, new byte[0]))).isEqualTo("1");
        assertThat(text(SeqPayload.format(42, new byte[0]))).isEqualTo("42");
    }

    @Test
    void theNumberThenOneSpaceThenTheDataUnchanged() {
        assertThat(text(SeqPayload.format(7, utf8("hello")))).isEqualTo("7 hello");
        assertThat(text(SeqPayload.format(8, utf8(" a b ")))).isEqualTo("8  a b ");
        byte[] binary = {0, (byte) 0xFF, ' ', 10};
        byte[] payload = SeqPayload.format(3, binary);
        assertThat(payload).containsExactly('3', ' ', 0, (byte) 0xFF, ' ', 10);
    }

    @Test
    void parseReadsWhatFormatWrites() {
        for (long seq : new long[] {1, 9, 10, 99, 1_000_000, Integer.MAX_VALUE + 1L, Long.MAX_VALUE - 1, Long.MAX_VALUE}) {
            assertThat(SeqPayload.parse(SeqPayload.format(seq, new byte[0]))).isEqualTo(seq);
            assertThat(SeqPayload.parse(SeqPayload.format(seq, utf8("data with 123 spaces")))).isEqualTo(seq);
        }
    }

    @Test
    void formatRejectsNumbersBelowOne() {
        assertThatThrownBy(() -> SeqPayload.format(0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SeqPayload.format(-1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", " 1", "x", "1x", "12a hello", "-1", "+1", "0", "00", "01", "0 data",
            "1.5", "9223372036854775808", "99999999999999999999 x", "١"})
    void parseRejectsWhatIsNotASequenceNumber(String payload) {
        assertThatThrownBy(() -> SeqPayload.parse(utf8(payload))).as(payload).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyTheFirstSpaceEndsTheNumber() {
        assertThat(SeqPayload.parse(utf8("5 6 7"))).isEqualTo(5);
        assertThat(SeqPayload.parse(utf8("5 "))).isEqualTo(5);
    }
}
