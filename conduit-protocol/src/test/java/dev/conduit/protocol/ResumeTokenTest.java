package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResumeTokenTest {

    @Test
    void itsWireFormIsEpochSecretThenSessionId() {
        ResumeToken t = ResumeToken.issue(0x0102030405060708L, "s1", new Random(1));
        byte[] wire = t.encoded();
        assertThat(wire).hasSize(8 + ResumeToken.SECRET_BYTES + 2);
        assertThat(HexFormat.of().formatHex(wire, 0, 8)).isEqualTo("0102030405060708");
        assertThat(Arrays.copyOfRange(wire, 8 + ResumeToken.SECRET_BYTES, wire.length)).isEqualTo("s1".getBytes());
        ResumeToken back = ResumeToken.decode(wire);
        assertThat(back).isEqualTo(t);
        assertThat(back.epoch()).isEqualTo(0x0102030405060708L);
        assertThat(back.sessionId()).isEqualTo("s1");
    }

    @Test
    void twoTokensForOneSessionDifferInTheirSecret() {
        SecureRandom random = new SecureRandom();
        ResumeToken a = ResumeToken.issue(7, "s", random);
        ResumeToken b = ResumeToken.issue(7, "s", random);
        assertThat(a.sameSecret(b)).isFalse();
        assertThat(a).isNotEqualTo(b);
        assertThat(a.sameSecret(ResumeToken.decode(a.encoded()))).isTrue();
    }

    @Test
    void theSecretIsNeverShown() {
        ResumeToken t = ResumeToken.issue(7, "s9", new Random(3));
        byte[] wire = t.encoded();
        String secretHex = HexFormat.of().formatHex(wire, 8, 8 + ResumeToken.SECRET_BYTES);
        assertThat(t.toString()).contains("s9").doesNotContain(secretHex).contains("hidden");
        Frame.Welcome w = new Frame.Welcome(1, "CDT", "s9", 7, false, 0, 10, 10, 10, 0, 0, t, "_INBOX.a.", 0);
        assertThat(w.toString()).doesNotContain(secretHex).doesNotContain(secretHex.toUpperCase());
    }

    @Test
    void aShortOrMalformedTokenIsRefused() {
        assertThatThrownBy(() -> ResumeToken.decode(new byte[8 + ResumeToken.SECRET_BYTES]))
                .isInstanceOf(MalformedFrameException.class).hasMessageContaining("at least 41");
        byte[] badUtf8 = new byte[8 + ResumeToken.SECRET_BYTES + 1];
        badUtf8[badUtf8.length - 1] = (byte) 0xC0;
        assertThatThrownBy(() -> ResumeToken.decode(badUtf8)).isInstanceOf(MalformedFrameException.class);
    }

    @Test
    void aWelcomeCarriesTokenAndInboxPrefix() {
        ResumeToken t = ResumeToken.issue(7, "s9", new Random(3));
        Frame.Welcome w = new Frame.Welcome(1, "CDT", "s9", 7, true, 4, 1024, 512, 128, 5000, 3, t, "_INBOX.a.", 60_000);
        Frame back = new FrameCodec(ProtocolLimits.DEFAULT).decode(FrameCodec.encode(w));
        assertThat(back).isEqualTo(w);
        assertThat(((Frame.Welcome) back).resumeToken().sameSecret(t)).isTrue();
    }
}
