package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchTest {

    @Test
    void recordsComeBackAsWritten() {
        Batch batch = new Batch();
        MessageBody plain = MessageBody.of("orders.eu", null, null, new byte[] {1, 2, 3});
        MessageBody request = MessageBody.of("svc.echo", "_INBOX.abc.7", Headers.of("trace", "t-1", "k", "v"),
                "hé".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        batch.add(new Batch.Item(Batch.MESSAGE, plain, false, false, Set.of()));
        batch.add(new Batch.Item(Batch.MESSAGE, request, true, true, Set.of("workers", "audit")));
        batch.add(Batch.Item.noResponders("_INBOX.abc.8"));
        batch.add(Batch.Item.lost("orders.us", 42));
        batch.add(Batch.Item.lost(null, 7_000_000_000L));

        List<Batch.Item> read = Batch.read(batch.toBytes());

        assertThat(read).hasSize(5);
        assertThat(read.get(0).body()).isEqualTo(plain);
        assertThat(read.get(0).request()).isFalse();
        assertThat(read.get(0).groups()).isEmpty();
        assertThat(read.get(1).body()).isEqualTo(request);
        assertThat(read.get(1).request()).isTrue();
        assertThat(read.get(1).sole()).isTrue();
        assertThat(read.get(1).groups()).containsExactlyInAnyOrder("workers", "audit");
        assertThat(read.get(2).kind()).isEqualTo(Batch.NO_RESPONDERS);
        assertThat(read.get(2).body().subject()).isEqualTo("_INBOX.abc.8");
        assertThat(read.get(3).kind()).isEqualTo(Batch.LOST);
        assertThat(read.get(3).lostSubject()).isEqualTo("orders.us");
        assertThat(read.get(3).count()).isEqualTo(42);
        assertThat(read.get(4).kind()).isEqualTo(Batch.LOST);
        assertThat(read.get(4).lostSubject()).isNull();
        assertThat(read.get(4).count()).isEqualTo(7_000_000_000L);
    }

    @Test
    void aLostRecordTruncatedOrWithoutACountIsRefused() {
        Batch batch = new Batch();
        batch.add(Batch.Item.lost("a.b", 3));
        byte[] whole = batch.toBytes();
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            assertThatThrownBy(() -> Batch.read(cut)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] zero = whole.clone();
        java.nio.ByteBuffer.wrap(zero, zero.length - 8, 8).putLong(0);
        assertThatThrownBy(() -> Batch.read(zero)).hasMessageContaining("lost count 0");
    }

    @Test
    void everyTruncationIsRefusedWithoutAllocatingPastTheInput() {
        Batch batch = new Batch();
        batch.add(new Batch.Item(Batch.MESSAGE, MessageBody.of("a.b", "r", Headers.of("h", "v"), new byte[100]),
                true, false, Set.of("g")));
        byte[] whole = batch.toBytes();
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            assertThatThrownBy(() -> Batch.read(cut)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = Arrays.copyOf(whole, whole.length + 1);
        assertThatThrownBy(() -> Batch.read(longer)).hasMessageContaining("after the last record");
    }

    @Test
    void aHugeLengthIsRefused() {
        Batch batch = new Batch();
        batch.add(new Batch.Item(Batch.MESSAGE, MessageBody.of("a", null, null, new byte[4]), false, false, Set.of()));
        byte[] b = batch.toBytes();
        b[b.length - 5] = 0x7f; // the payload length's first byte: about 2 GB
        assertThatThrownBy(() -> Batch.read(b)).hasMessageContaining("length");
        byte[] version = batch.toBytes();
        version[0] = 9;
        assertThatThrownBy(() -> Batch.read(version)).hasMessageContaining("version 9");
    }

    @Test
    void aSubjectReadAgainIsTheSameStringAndReplySubjectsAreNotKept() {
        Batch batch = new Batch(16); // grows past its first capacity
        for (int i = 0; i < 300; i++) {
            batch.add(new Batch.Item(Batch.MESSAGE, MessageBody.of(i % 2 == 0 ? "orders.eu" : "orders.us",
                    "_INBOX.r." + i, null, new byte[] {(byte) i}), true, false, Set.of()));
        }
        Batch.Strings subjects = new Batch.Strings();

        List<Batch.Item> first = Batch.read(batch.toBytes(), subjects);
        List<Batch.Item> again = Batch.read(batch.toBytes(), subjects);

        assertThat(first).hasSize(300);
        for (int i = 0; i < 300; i++) {
            assertThat(first.get(i).body().subject()).isEqualTo(i % 2 == 0 ? "orders.eu" : "orders.us");
            assertThat(first.get(i).body().replyTo()).isEqualTo("_INBOX.r." + i);
            assertThat(first.get(i).body().payload()).containsExactly((byte) i);
            assertThat(again.get(i).body().subject()).isSameAs(first.get(0 + i % 2).body().subject());
        }
        assertThat(subjects.decode("_INBOX.x".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 8))
                .isNotSameAs(subjects.decode("_INBOX.x".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, 8));
    }

    @Test
    void subjectsThatShareTheirEndAndLengthAreStillToldApart() {
        // Same length and same last 16 bytes: one slot of the cache for all of them, in turn.
        Batch.Strings subjects = new Batch.Strings();
        for (int round = 0; round < 3; round++) {
            for (int i = 10; i < 100; i++) {
                String subject = "p" + i + ".the.same.long.suffix";
                byte[] framed = ("xx" + subject + "yy").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                assertThat(subjects.decode(framed, 2, framed.length - 4)).isEqualTo(subject);
                assertThat(subjects.decode(framed, 2, framed.length - 4)).isEqualTo(subject);
            }
        }
        byte[] empty = new byte[0];
        assertThat(subjects.decode(empty, 0, 0)).isEmpty();
    }
}
