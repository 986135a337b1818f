package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A message's subject bytes: decoded from a direct buffer (as Netty hands them) by one codec that
 * caches subjects, and measured once ahead by a {@link CheckedSubject} or reused by {@link
 * MessageBody#withReplyTo}. Each must give what the plain path gives.
 */
class SubjectBytesTest {
    private static final String NON_ASCII = "größe.\u00fc.\uD83D\uDE00.x";

    @Test
    void messagesDecodedFromADirectBufferWithOneCodecRoundTrip() {
        FrameCodec codec = new FrameCodec(RandomFrames.LIMITS);
        RandomFrames frames = new RandomFrames(new Random(42));
        for (int i = 0; i < 5_000; i++) {
            // Subjects of every length and alphabet, repeating now and then so the subject cache hits too.
            Frame f = i % 3 == 0 ? new Frame.Publish(i, false, MessageBody.of(i % 2 == 0 ? "a.b" : NON_ASCII, null, null, new byte[1]))
                    : frames.next(i % 2 == 0 ? FrameType.PUBLISH : FrameType.MESSAGE);
            ByteBuffer heap = FrameCodec.encode(f);
            ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).put(heap).flip();
            assertThat(codec.decode(direct)).as("frame %d", i).isEqualTo(f);
            assertThat(direct.hasRemaining()).isFalse();
        }
    }

    @Test
    void aReceivedMessageKnowsItsSubjectsLengthFromTheWire() {
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        for (String subject : new String[] {"a.b", NON_ASCII}) {
            Frame.Message sent = new Frame.Message(7, 3, MessageBody.of(subject, "r." + subject, null, new byte[] {1, 2}));
            ByteBuffer wire = FrameCodec.encode(sent);
            Frame.Message got = (Frame.Message) codec.decode(wire.duplicate());
            // Its length is taken from the subject's length prefix, not measured: a wrong one would
            // misstate the body's size and its re-encoding.
            assertThat(got.body().encodedLength()).isEqualTo(sent.body().encodedLength());
            assertThat(FrameCodec.encode(got)).isEqualTo(wire);
            assertThat(got.body().withReplyTo(null).encodedLength())
                    .isEqualTo(MessageBody.of(subject, null, null, new byte[] {1, 2}).encodedLength());
        }
    }

    @Test
    void aLongerSubjectAfterShorterOnesIsDecodedWhole() {
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        String longer = "x".repeat(200) + ".y";
        for (String subject : new String[] {"a", "a.b.c", longer, "a"}) {
            Frame f = new Frame.Publish(1, false, MessageBody.of(subject, subject + ".reply", null, new byte[0]));
            ByteBuffer direct = ByteBuffer.allocateDirect(FrameCodec.encodedLength(f));
            FrameCodec.encode(f, direct);
            assertThat(codec.decode(direct.flip())).isEqualTo(f);
        }
    }

    @Test
    void malformedUtf8InASubjectIsStillRefused() {
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        Frame f = new Frame.Publish(1, false, MessageBody.of("ab", null, null, new byte[0]));
        ByteBuffer bytes = FrameCodec.encode(f);
        int subjectAt = FrameCodec.HEAD_BYTES + 8 + 2;
        assertThat(bytes.get(subjectAt)).isEqualTo((byte) 'a');
        bytes.put(subjectAt, (byte) 0xC3).put(subjectAt + 1, (byte) 0x28); // a lead byte and no continuation
        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("subject is not valid UTF-8");
    }

    @Test
    void aBodyToACheckedSubjectEqualsAndEncodesAsOneToItsString() {
        for (String subject : new String[] {"orders.eu.created", NON_ASCII}) {
            MessageBody plain = MessageBody.of(subject, "_INBOX.r.1", null, new byte[] {1, 2});
            MessageBody checked = MessageBody.of(CheckedSubject.of(subject, 256), "_INBOX.r.1", null, new byte[] {1, 2});
            assertThat(checked).isEqualTo(plain);
            assertThat(checked.encodedLength()).isEqualTo(plain.encodedLength())
                    .isEqualTo(2 + subject.getBytes(StandardCharsets.UTF_8).length + 2 + 10 + 4 + 4 + 2);
            assertThat(checked.encoded()).isEqualTo(plain.encoded());
        }
    }

    @Test
    void aCheckedSubjectIsChecked() {
        assertThatThrownBy(() -> CheckedSubject.of("a..b", 256)).isInstanceOf(InvalidSubjectException.class);
        assertThatThrownBy(() -> CheckedSubject.of("orders.*", 256)).isInstanceOf(InvalidSubjectException.class);
        assertThatThrownBy(() -> CheckedSubject.of("abcdef", 5)).isInstanceOf(InvalidSubjectException.class);
        assertThat(CheckedSubject.of("abcde", 5).subject()).isEqualTo("abcde");
    }

    @Test
    void withReplyToEqualsAndEncodesAsABodyBuiltWithThatReplySubject() {
        MessageBody request = MessageBody.of(CheckedSubject.of(NON_ASCII, 256), null, Headers.of("k", "v"), new byte[] {7});
        MessageBody withReply = request.withReplyTo("_INBOX.abc.17");
        MessageBody expected = MessageBody.of(NON_ASCII, "_INBOX.abc.17", Headers.of("k", "v"), new byte[] {7});
        assertThat(withReply).isEqualTo(expected);
        assertThat(withReply.encodedLength()).isEqualTo(expected.encodedLength());
        assertThat(withReply.encoded()).isEqualTo(expected.encoded());
        assertThat(withReply.withReplyTo(null).replyTo()).isNull();

        // A decoded body (its wire form kept: the server's) measures its subject for the new body.
        Frame.Publish decoded = (Frame.Publish) new FrameCodec(ProtocolLimits.DEFAULT)
                .decode(FrameCodec.encode(new Frame.Publish(1, false, request)));
        assertThat(decoded.body().withReplyTo("_INBOX.abc.17").encoded()).isEqualTo(expected.encoded());
    }
}
