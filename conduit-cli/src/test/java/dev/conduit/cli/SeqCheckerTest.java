package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeqCheckerTest {
    private final SeqChecker checker = new SeqChecker();

    private void receive(long... seqs) {
        for (long s : seqs) {
            checker.record(SeqPayload.format(s, new byte[0]));
        }
    }

    private SeqChecker.Summary summary() {
        return checker.summary();
    }

    @Test
    void nothingReceivedIsNothingWrong() {
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(0, 0, 0, 0, 0, 0, 0));
        assertThat(summary().failed()).isFalse();
        assertThat(summary().toString()).isEqualTo("received=0 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");
    }

    @Test
    void oneToNInOrderIsClean() {
        for (long i = 1; i <= 10_000; i++) {
            receive(i);
        }
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(10_000, 0, 0, 0, 0, 0, 0));
        assertThat(summary().failed()).isFalse();
    }

    @Test
    void gapsBelowTheHighestAreLost() {
        receive(1, 2, 5, 6, 10);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(5, 5, 0, 0, 0, 0, 0)); // 3, 4, 7, 8, 9
        assertThat(summary().failed()).isTrue();
        assertThat(summary().toString()).isEqualTo("received=5 lost=5 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");
    }

    @Test
    void numbersMissingAtTheStartAreLostToo() {
        receive(4, 5);
        assertThat(summary().lost()).isEqualTo(3);
    }

    @Test
    void nothingAfterTheHighestCountsAsLost() {
        // A subscriber stopped early cannot know how many more were sent.
        receive(1, 2, 3);
        assertThat(summary().lost()).isZero();
    }

    @Test
    void duplicatesAreCountedOnceEachAndNotAsOutOfOrder() {
        receive(1, 2, 2, 3, 1, 3, 3);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(7, 0, 4, 0, 0, 0, 0));
        assertThat(summary().failed()).isTrue();
    }

    @Test
    void aLateMessageIsOutOfOrderAndFillsItsGap() {
        receive(1, 3);
        assertThat(summary().lost()).isEqualTo(1);
        receive(2);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(3, 0, 0, 1, 0, 0, 0));
        assertThat(summary().failed()).isTrue();
    }

    @Test
    void reorderingCountsEachMessageBelowTheHighestSeenBeforeIt() {
        receive(3, 1, 2, 4, 6, 5);
        // 1 and 2 arrive after 3; 5 after 6.
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(6, 0, 0, 3, 0, 0, 0));
    }

    @Test
    void aDuplicateOfALateMessageIsADuplicate() {
        receive(2, 1, 1);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(3, 0, 1, 1, 0, 0, 0));
    }

    @Test
    void aShuffledCompleteRunLosesNothingAndDuplicatesNothing() {
        List<Long> seqs = new ArrayList<>();
        for (long i = 1; i <= 5_000; i++) {
            seqs.add(i);
        }
        Collections.shuffle(seqs, new Random(7));
        seqs.forEach(this::receive);
        SeqChecker.Summary s = summary();
        assertThat(s.received()).isEqualTo(5_000);
        assertThat(s.lost()).isZero();
        assertThat(s.duplicated()).isZero();
        assertThat(s.outOfOrder()).isPositive();
    }

    @Test
    void everyGapShapeMergesBackIntoNothingLost() {
        // Arrivals that fill a gap from below, from above, and exactly in the middle of two ranges.
        receive(1, 5, 9, 2, 8, 4, 6, 3, 7);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(9, 0, 0, 6, 0, 0, 0));
        receive(5, 1, 9);
        assertThat(summary().duplicated()).isEqualTo(3);
    }

    @Test
    void numbersUpToLongMaxDoNotWrap() {
        receive(Long.MAX_VALUE - 2, Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MAX_VALUE);
        SeqChecker.Summary s = summary();
        assertThat(s.received()).isEqualTo(4);
        assertThat(s.duplicated()).isEqualTo(1);
        assertThat(s.outOfOrder()).isEqualTo(1);
        assertThat(s.lost()).isEqualTo(Long.MAX_VALUE - 3); // 1 .. MAX-3 never arrived
    }

    @Test
    void aPayloadWithoutASequenceNumberIsReceivedAndInvalid() {
        receive(1);
        checker.record("hello".getBytes(StandardCharsets.UTF_8));
        checker.record(new byte[0]);
        checker.record("0".getBytes(StandardCharsets.UTF_8));
        checker.record("-3 x".getBytes(StandardCharsets.UTF_8));
        receive(2);
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(6, 0, 0, 0, 4, 0, 0));
        assertThat(summary().failed()).isTrue();
    }

    @Test
    void theDataAfterTheNumberIsIgnored() {
        checker.record(SeqPayload.format(1, "same".getBytes(StandardCharsets.UTF_8)));
        checker.record(SeqPayload.format(2, "different".getBytes(StandardCharsets.UTF_8)));
        assertThat(summary()).isEqualTo(new SeqChecker.Summary(2, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void recordingANumberBelowOneDirectlyIsAProgrammingError() {
        assertThatThrownBy(() -> checker.record(0L)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gapsAndLostSessionsReportedByTheLibraryFailTheCheckEvenWithNoNumberMissing() {
        for (long seq = 1; seq <= 3; seq++) {
            checker.record(seq);
        }
        assertThat(checker.summary(0, 0).failed()).isFalse();
        assertThat(checker.summary(85_461, 0).failed()).isTrue();
        assertThat(checker.summary(0, 1).failed()).isTrue();
        assertThat(checker.summary(7, 2).toString())
                .isEqualTo("received=3 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=7 session_lost=2");
    }
}
