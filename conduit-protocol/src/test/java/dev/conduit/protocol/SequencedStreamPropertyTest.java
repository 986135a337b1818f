package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.SequencedStreamModel.Item;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SequencedStream} against {@link SequencedStreamModel}, over random runs of one direction of a
 * session: sends (within and past the bound), frames dropped, duplicated and reordered in flight,
 * ACKs that are stale, repeated, reordered, beyond what was sent or 2^63 and more, connections lost
 * and resumed, sessions lost. Each run has its own seed, named in every failure; the counts bound the
 * time (a few hundred milliseconds in all).
 */
class SequencedStreamPropertyTest {
    private static final long SEED = 20261206L;
    private static final int RUNS = 200;
    private static final int STEPS = 2_000;

    /** One run: the stream and its model, a receiver and its model, and what is in flight. */
    private static final class Run {
        final Random random;
        final long seed;
        final SequencedStreamModel model;
        final SequencedStream<Item> stream;
        final SequencedStream.Receiver receiver = new SequencedStream.Receiver();
        /** Frames on the wire, by number, in the order sent. */
        final List<long[]> inFlight = new ArrayList<>();
        /** ACKs on the way back; delivered in any order, some more than once. */
        final List<Long> acks = new ArrayList<>();
        /** What the receiver took in order, by tag: must be exactly the sender's items 1..lastReceived. */
        final List<Integer> received = new ArrayList<>();
        /**
         * Whether every frame states its number. Only then may frames be lost, repeated or reordered
         * within a connection: a frame without a number (SUBSCRIBE, GAP, ...) relies on the ordered
         * link, and in runs that send them the only fault is a lost connection, as over TCP.
         */
        final boolean allStated;
        int nextTag;
        int step;

        Run(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
            long max = 1 + random.nextInt(4000);
            this.model = new SequencedStreamModel(max);
            this.stream = new SequencedStream<>(max, Item::size);
            this.allStated = random.nextBoolean();
        }

        String where() {
            return "seed " + seed + " step " + step;
        }

        void sendOne() {
            Item item = new Item(++nextTag, random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(300));
            boolean bounded = random.nextBoolean();
            assertThat(stream.fits(item.size())).as(where()).isEqualTo(model.fits(item.size()));
            long expected = bounded ? model.offer(item) : model.send(item);
            long n = bounded ? stream.offer(item) : stream.send(item);
            assertThat(n).as(where() + (bounded ? " offer" : " send")).isEqualTo(expected);
            if (n != SequencedStream.FULL) {
                inFlight.add(new long[] {n, item.tag()});
            }
        }

        /** The first frame in flight arrives, or is lost, duplicated, or overtaken by a later one. */
        void deliver() {
            if (inFlight.isEmpty()) {
                return;
            }
            int roll = allStated ? random.nextInt(20) : 19;
            int index = roll == 0 && inFlight.size() > 1 ? 1 + random.nextInt(inFlight.size() - 1) : 0;
            long[] frame = roll == 1 ? inFlight.get(0) : inFlight.remove(index); // roll 1: it arrives twice
            if (roll == 2) {
                return; // dropped
            }
            // Some frames state their number (PUBLISH, MESSAGE), others do not (0).
            boolean stated = allStated || random.nextBoolean();
            String expected = model.receive(stated ? frame[0] : 0);
            SequencedStream.Receiver.Received got = receiver.receive(stated ? frame[0] : 0);
            assertThat(got.name()).as(where() + " receive " + frame[0]).isEqualTo(expected);
            if (got == SequencedStream.Receiver.Received.IN_ORDER) {
                if (stated) {
                    received.add((int) frame[1]);
                } else {
                    // Unstated numbers are taken on trust: the receiver counts whatever comes next.
                    received.add(model.sentItems.get((int) model.lastReceived - 1).tag());
                }
            } else if (got == SequencedStream.Receiver.Received.GAP) {
                connectionLost(); // over one connection a gap is a protocol error: the link goes
            }
        }

        void readComplete() {
            long due = receiver.ackDue();
            assertThat(due).as(where() + " ackDue").isEqualTo(model.ackDue());
            if (due != 0) {
                acks.add(due);
            }
        }

        void deliverAck() {
            long n;
            int roll = random.nextInt(30);
            if (roll == 0) {
                n = model.sent() + 1 + random.nextInt(5); // never sent
            } else if (roll == 1) {
                n = Long.MIN_VALUE + random.nextInt(3); // 2^63 and more
            } else if (roll == 2) {
                n = -1; // 2^64 - 1
            } else if (acks.isEmpty()) {
                return;
            } else {
                int i = random.nextInt(acks.size());
                n = random.nextInt(4) == 0 ? acks.get(i) : acks.remove(i); // some arrive twice
            }
            SequencedStreamModel.AckResult expected = model.acknowledge(n);
            List<Item> confirmed = new ArrayList<>();
            SequencedStream.Ack got = stream.acknowledge(n, confirmed::add);
            assertThat(got.name()).as(where() + " ack " + Long.toUnsignedString(n)).isEqualTo(expected.outcome());
            assertThat(confirmed).as(where() + " confirmed").isEqualTo(expected.confirmed());
        }

        /** The link drops: what was in flight is lost; the sender replays after what the receiver has. */
        void connectionLost() {
            inFlight.clear();
            acks.clear();
            long lastReceived = receiver.lastReceived();
            SequencedStreamModel.ReplayResult expected = model.replayAfter(lastReceived);
            assertThat(expected.outcome()).as(where() + " the receiver never has less than was acknowledged")
                    .isEqualTo("REPLAYED");
            List<Item> confirmed = new ArrayList<>();
            List<Item> replayed = new ArrayList<>();
            assertThat(stream.replayAfter(lastReceived, confirmed::add, replayed::add)).as(where())
                    .isEqualTo(SequencedStream.Replay.REPLAYED);
            assertThat(confirmed).as(where() + " confirmed by the resume").isEqualTo(expected.confirmed());
            assertThat(replayed).as(where() + " replayed after " + lastReceived).isEqualTo(expected.frames());
            long n = lastReceived;
            for (Item i : replayed) {
                inFlight.add(new long[] {++n, i.tag()});
            }
        }

        /** The session is lost: both ends start again; what was held is reported. */
        void sessionLost() {
            inFlight.clear();
            acks.clear();
            List<Item> unconfirmed = new ArrayList<>();
            List<Item> expected = model.reset();
            stream.reset(unconfirmed::add);
            assertThat(unconfirmed).as(where() + " unconfirmed").isEqualTo(expected);
            receiver.reset();
            model.resetReceiver();
            received.clear();
        }

        void checkState() {
            assertThat(stream.sent()).as(where() + " sent").isEqualTo(model.sent());
            assertThat(stream.acknowledged()).as(where() + " acknowledged").isEqualTo(model.acknowledged);
            assertThat(stream.held()).as(where() + " held").isEqualTo(model.held().size());
            assertThat(stream.heldBytes()).as(where() + " heldBytes").isEqualTo(model.heldBytes());
            assertThat(receiver.lastReceived()).as(where() + " lastReceived").isEqualTo(model.lastReceived);
            // Nothing lost, nothing twice: the receiver has exactly the sender's first lastReceived items.
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < model.lastReceived; i++) {
                expected.add(model.sentItems.get(i).tag());
            }
            assertThat(received).as(where() + " received in order").isEqualTo(expected);
            assertThat(model.acknowledged).as(where()).isLessThanOrEqualTo(model.lastReceived);
        }
    }

    @Test
    void randomRunsAgreeWithTheModelAndLoseNothing() {
        Random seeds = new Random(SEED);
        long totalReceived = 0;
        for (int r = 0; r < RUNS; r++) {
            Run run = new Run(seeds.nextLong());
            for (run.step = 0; run.step < STEPS; run.step++) {
                int op = run.random.nextInt(100);
                if (op < 30) {
                    run.sendOne();
                } else if (op < 65) {
                    run.deliver();
                } else if (op < 78) {
                    run.readComplete();
                } else if (op < 95) {
                    run.deliverAck();
                } else if (op < 99) {
                    run.connectionLost();
                } else if (run.random.nextInt(5) == 0) {
                    run.sessionLost();
                }
                run.checkState();
            }
            totalReceived += run.received.size();
        }
        assertThat(totalReceived).as("the runs exercise delivery").isGreaterThan(RUNS * 100L);
    }

    /** For every history (sent, acknowledged) up to a size, a resume at every point, valid or not. */
    @Test
    void aResumeAtEveryPointReplaysExactlyWhatIsHeldAfterIt() {
        for (int sent = 0; sent <= 12; sent++) {
            for (int acked = 0; acked <= sent; acked++) {
                for (long point : points(sent)) {
                    SequencedStreamModel model = new SequencedStreamModel(Long.MAX_VALUE);
                    SequencedStream<Item> stream = new SequencedStream<>(Long.MAX_VALUE, Item::size);
                    for (int i = 1; i <= sent; i++) {
                        Item item = new Item(i, i * 3);
                        model.send(item);
                        stream.send(item);
                    }
                    model.acknowledge(acked);
                    stream.acknowledge(acked);
                    SequencedStreamModel.ReplayResult expected = model.replayAfter(point);
                    List<Item> confirmed = new ArrayList<>();
                    List<Item> replayed = new ArrayList<>();
                    SequencedStream.Replay got = stream.replayAfter(point, confirmed::add, replayed::add);
                    String where = "sent " + sent + " acked " + acked + " resume after " + Long.toUnsignedString(point);
                    assertThat(got.name()).as(where).isEqualTo(expected.outcome());
                    assertThat(confirmed).as(where).isEqualTo(expected.confirmed());
                    assertThat(replayed).as(where).isEqualTo(expected.frames());
                    assertThat(stream.acknowledged()).as(where).isEqualTo(model.acknowledged);
                    assertThat(stream.heldBytes()).as(where).isEqualTo(model.heldBytes());
                }
            }
        }
    }

    private static long[] points(int sent) {
        long[] points = new long[sent + 5];
        for (int i = 0; i <= sent + 2; i++) {
            points[i] = i;
        }
        points[sent + 3] = Long.MIN_VALUE; // 2^63
        points[sent + 4] = -1; // 2^64 - 1
        return points;
    }
}
