package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ProtocolLimits validation and derived sizes (section 10), and version negotiation (section 6). */
class LimitsAndVersionTest {

    @ParameterizedTest(name = "({0}, {1}, {2})")
    @CsvSource({
            "-1, 0, 1, 'maxPayloadBytes must be between 0 and 67108864: -1'",
            "67108865, 0, 1, 'maxPayloadBytes must be between 0 and 67108864: 67108865'",
            "0, -1, 1, 'maxHeaderBytes must be between 0 and 1048576: -1'",
            "0, 1048577, 1, 'maxHeaderBytes must be between 0 and 1048576: 1048577'",
            "0, 0, 0, 'maxSubjectBytes must be between 1 and 65535: 0'",
            "0, 0, 65536, 'maxSubjectBytes must be between 1 and 65535: 65536'"})
    void invalidLimitsNameTheFieldAndTheBadValue(int payload, int header, int subject, String message) {
        assertThatThrownBy(() -> new ProtocolLimits(payload, header, subject))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theExtremesAreAccepted() {
        assertThat(new ProtocolLimits(0, 0, 1).maxFrameBytes()).isEqualTo(ProtocolLimits.MIN_FRAME_BYTES);
        ProtocolLimits widest = new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF);
        assertThat(widest.maxFrameBytes()).isEqualTo((64 << 20) + (1 << 20) + 2 * 0xFFFF + 64);
    }

    @Test
    void defaultsAndTheFrameFormula() {
        ProtocolLimits d = ProtocolLimits.DEFAULT;
        assertThat(d.maxPayloadBytes()).isEqualTo(1 << 20);
        assertThat(d.maxHeaderBytes()).isEqualTo(64 << 10);
        assertThat(d.maxSubjectBytes()).isEqualTo(512);
        assertThat(d.maxFrameBytes()).isEqualTo(1_115_200);
        assertThat(d.withMaxPayloadBytes(10)).isEqualTo(new ProtocolLimits(10, 64 << 10, 512));
        assertThatThrownBy(() -> d.withMaxPayloadBytes(-5)).hasMessageEndingWith(": -5");
    }

    @Test
    void aMessageWithEveryFieldAtItsLimitFitsTheMaximumFrame() {
        ProtocolLimits l = new ProtocolLimits(100_000, 3000, 40);
        String subject = "s".repeat(40);
        String value = "v".repeat(3000 - 2 - 2 - 1 - 2);
        MessageBody body = MessageBody.of(subject, subject, Headers.of("k", value), new byte[100_000]);
        assertThat(body.headers().encodedLength()).isEqualTo(3000);
        Frame.Message m = new Frame.Message(-1, -1, body);
        assertThat(FrameCodec.encodedLength(m) - FrameCodec.LENGTH_FIELD_BYTES).isLessThanOrEqualTo(l.maxFrameBytes());
        assertThat(new FrameCodec(l).decode(FrameCodec.encode(m))).isEqualTo(m);
    }

    @Test
    void aWelcomeCarriesItsLimits() {
        Frame.Welcome w = new Frame.Welcome(1, "s", "t", 0, false, 0, 10, 20, 30, 0, 0);
        assertThat(w.limits()).isEqualTo(new ProtocolLimits(10, 20, 30));
    }

    @ParameterizedTest(name = "negotiate({0}, {1}) = {2}")
    @CsvSource({"1, 1, 1", "1, 9, 1", "0, 1, 1", "0, 65535, 1", "2, 9, -1", "0, 0, -1", "2, 1, -1", "1, 0, -1",
            "65535, 65535, -1"})
    void negotiationPicksTheHighestCommonVersion(int min, int max, int expected) {
        assertThat(ProtocolVersion.negotiate(min, max)).isEqualTo(expected);
    }

    @Test
    void thisCodeSpeaksVersionOneOnly() {
        assertThat(ProtocolVersion.V1).isEqualTo(1);
        assertThat(ProtocolVersion.MIN).isEqualTo(ProtocolVersion.V1);
        assertThat(ProtocolVersion.MAX).isEqualTo(ProtocolVersion.V1);
        assertThat(Frame.Hello.anonymous(ProtocolVersion.V1, "x").minVersion()).isEqualTo(1);
    }
}
