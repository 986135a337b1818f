package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conduit.protocol.SequencedStreamModel.Item;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The golden vectors of {@link SequencedStream}, shared with the JavaScript client
 * ({@code clients/js/test/sequenced.test.js} replays the same file): each case is a list of
 * operations on a fresh stream and receiver, each with the result the reference model
 * ({@link SequencedStreamModel}) gives. The file is generated here, deterministically, and committed;
 * this test fails if the committed file is not what the generator makes, and then writes the new
 * one when run with {@code -Dconduit.writeVectors=true}.
 *
 * <p>Numbers that may be 2^63 or more ({@code n}, {@code stated}) are decimal strings, since a JSON
 * number that large is not exact in JavaScript; the others are JSON numbers. Items are named by
 * {@code item}: the count of send and offer steps so far in the case, from 1.
 */
class SequencedStreamVectorsTest {
    static final Path FILE = Path.of("src/test/resources/sequenced-stream-vectors.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theCommittedVectorsAreWhatTheModelSays() throws IOException {
        String generated = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(generate()) + "\n";
        if (Boolean.getBoolean("conduit.writeVectors")) {
            Files.writeString(FILE, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
                .as("%s is out of date: run this test with -Dconduit.writeVectors=true", FILE)
                .isEqualTo(generated);
    }

    @Test
    void theStreamPassesEveryVector() throws IOException {
        JsonNode root = JSON.readTree(FILE.toFile());
        int steps = 0;
        for (JsonNode c : root.get("cases")) {
            steps += replay(c);
        }
        assertThat(steps).isGreaterThan(500);
    }

    /** Runs one case against the real stream and receiver; returns the number of steps. */
    private static int replay(JsonNode c) {
        String name = c.get("name").asText();
        SequencedStream<Item> stream = new SequencedStream<>(c.get("maxHeldBytes").asLong(), Item::size);
        SequencedStream.Receiver receiver = new SequencedStream.Receiver();
        int items = 0;
        int i = 0;
        for (JsonNode s : c.get("steps")) {
            String where = name + " step " + i++ + ": " + s;
            List<Integer> seen = new ArrayList<>();
            switch (s.get("op").asText()) {
                case "send", "offer" -> {
                    Item item = new Item(++items, s.get("size").asInt());
                    assertThat(stream.fits(item.size())).as(where).isEqualTo(s.get("fits").asBoolean());
                    long n = s.get("op").asText().equals("send") ? stream.send(item) : stream.offer(item);
                    assertThat(n).as(where).isEqualTo(s.get("expect").asLong());
                }
                case "ack" -> {
                    assertThat(stream.acknowledge(number(s, "n"), x -> seen.add(x.tag())).name()).as(where)
                            .isEqualTo(s.get("expect").asText());
                    assertThat(seen).as(where).isEqualTo(ints(s.get("confirmed")));
                }
                case "replayAfter" -> {
                    List<Integer> confirmed = new ArrayList<>();
                    assertThat(stream.replayAfter(number(s, "n"), x -> confirmed.add(x.tag()), x -> seen.add(x.tag()))
                            .name()).as(where).isEqualTo(s.get("expect").asText());
                    assertThat(confirmed).as(where).isEqualTo(ints(s.get("confirmed")));
                    assertThat(seen).as(where).isEqualTo(ints(s.get("frames")));
                }
                case "reset" -> {
                    stream.reset(x -> seen.add(x.tag()));
                    assertThat(seen).as(where).isEqualTo(ints(s.get("unconfirmed")));
                }
                case "receive" -> assertThat(receiver.receive(number(s, "stated")).name()).as(where)
                        .isEqualTo(s.get("expect").asText());
                case "ackDue" -> assertThat(receiver.ackDue()).as(where).isEqualTo(s.get("expect").asLong());
                case "resetReceiver" -> receiver.reset();
                case "check" -> {
                    assertThat(stream.sent()).as(where).isEqualTo(s.get("sent").asLong());
                    assertThat(stream.acknowledged()).as(where).isEqualTo(s.get("acknowledged").asLong());
                    assertThat(stream.held()).as(where).isEqualTo(s.get("held").asInt());
                    assertThat(stream.heldBytes()).as(where).isEqualTo(s.get("heldBytes").asLong());
                    assertThat(receiver.lastReceived()).as(where).isEqualTo(s.get("lastReceived").asLong());
                }
                default -> throw new AssertionError("unknown op in " + where);
            }
        }
        return i;
    }

    private static long number(JsonNode step, String field) {
        return Long.parseUnsignedLong(step.get(field).asText());
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asInt()));
        return list;
    }

    // ---------------------------------------------------------------------------------------------
    // The generator: scripted cases for each rule, then seeded random ones; results from the model.

    /** Builds one case's steps, asking the model for each expected result. */
    private static final class CaseWriter {
        final ObjectNode node = JSON.createObjectNode();
        final ArrayNode steps;
        final SequencedStreamModel model;
        final Map<Item, Integer> names = new HashMap<>();
        int items;

        CaseWriter(String name, long maxHeldBytes) {
            node.put("name", name);
            node.put("maxHeldBytes", maxHeldBytes);
            steps = node.putArray("steps");
            model = new SequencedStreamModel(maxHeldBytes);
        }

        CaseWriter send(int size, boolean bounded) {
            Item item = new Item(++items, size);
            ObjectNode s = steps.addObject().put("op", bounded ? "offer" : "send").put("size", size)
                    .put("fits", model.fits(size));
            s.put("expect", bounded ? model.offer(item) : model.send(item));
            return this;
        }

        CaseWriter ack(long n) {
            SequencedStreamModel.AckResult r = model.acknowledge(n);
            ObjectNode s = steps.addObject().put("op", "ack").put("n", Long.toUnsignedString(n)).put("expect", r.outcome());
            tags(s.putArray("confirmed"), r.confirmed());
            return this;
        }

        CaseWriter replayAfter(long n) {
            SequencedStreamModel.ReplayResult r = model.replayAfter(n);
            ObjectNode s = steps.addObject().put("op", "replayAfter").put("n", Long.toUnsignedString(n))
                    .put("expect", r.outcome());
            tags(s.putArray("confirmed"), r.confirmed());
            tags(s.putArray("frames"), r.frames());
            return this;
        }

        CaseWriter reset() {
            tags(steps.addObject().put("op", "reset").putArray("unconfirmed"), model.reset());
            return this;
        }

        CaseWriter receive(long stated) {
            steps.addObject().put("op", "receive").put("stated", Long.toUnsignedString(stated))
                    .put("expect", model.receive(stated));
            return this;
        }

        CaseWriter ackDue() {
            steps.addObject().put("op", "ackDue").put("expect", model.ackDue());
            return this;
        }

        CaseWriter resetReceiver() {
            model.resetReceiver();
            steps.addObject().put("op", "resetReceiver");
            return this;
        }

        CaseWriter check() {
            steps.addObject().put("op", "check").put("sent", model.sent()).put("acknowledged", model.acknowledged)
                    .put("held", model.held().size()).put("heldBytes", model.heldBytes())
                    .put("lastReceived", model.lastReceived);
            return this;
        }

        private static void tags(ArrayNode into, List<Item> items) {
            items.forEach(i -> into.add(i.tag()));
        }
    }

    static ObjectNode generate() {
        ObjectNode root = JSON.createObjectNode();
        root.put("description", "Golden vectors of SequencedStream (conduit-protocol) and clients/js/src/sequenced.js,"
                + " generated by SequencedStreamVectorsTest from its reference model. Do not edit by hand.");
        ArrayNode cases = root.putArray("cases");
        long two63 = Long.MIN_VALUE;
        long max = -1L; // 2^64 - 1

        cases.add(new CaseWriter("numbering starts at 1; a cumulative ACK confirms everything up to it", 1000)
                .check().send(10, false).send(20, false).send(30, false).check()
                .ack(2).check().ack(3).check().send(5, false).check().node);
        cases.add(new CaseWriter("stale and repeated ACKs change nothing", 1000)
                .send(10, false).send(10, false).send(10, false).ack(2).ack(2).ack(1).ack(0).check().ack(3).ack(3)
                .check().node);
        cases.add(new CaseWriter("an ACK beyond what was sent is refused and changes nothing", 1000)
                .ack(1).send(7, false).ack(2).ack(1000).check().ack(1).check().node);
        cases.add(new CaseWriter("an ACK of 2^63 or more is invalid", 1000)
                .send(7, false).send(7, false).ack(two63).ack(two63 + 1).ack(max).check().ack(2).check().node);
        cases.add(new CaseWriter("offer keeps to the bound and says FULL; send holds regardless", 100)
                .send(60, true).send(40, true).send(1, true).check().send(1, false).check().ack(1).send(41, true)
                .send(40, true).check().ack(3).send(100, true).check().node);
        cases.add(new CaseWriter("a frame larger than the bound fits when nothing is held", 10)
                .send(500, true).send(1, true).ack(1).send(1, true).send(500, true).check().node);
        cases.add(new CaseWriter("zero-byte frames always fit", 0)
                .send(0, true).send(0, true).send(1, true).check().node);
        CaseWriter replay = new CaseWriter("replay after every point of one history", 1000);
        for (long point : new long[] {5, 4, 0, 6, 1, 2, 2, 3, 6, two63, max}) {
            if (replay.model.sent() == 0) {
                for (int i = 0; i < 5; i++) {
                    replay.send(3 + i, false);
                }
            }
            replay.replayAfter(point).check();
        }
        cases.add(replay.node);
        cases.add(new CaseWriter("a replayed frame is held until an ACK; reset reports what was held", 1000)
                .send(1, false).send(2, false).send(3, false).ack(1).replayAfter(1).check().replayAfter(2).ack(2)
                .check().reset().check().send(4, false).check().node);
        cases.add(new CaseWriter("the receiver: in order, unstated, duplicate, gap", 1000)
                .ackDue().receive(0).receive(2).receive(0).ackDue().ackDue().receive(3).receive(1).receive(4)
                .receive(6).receive(two63).receive(max).receive(5).ackDue().check().resetReceiver().receive(1)
                .receive(1).ackDue().check().node);

        Random random = new Random(20261206L);
        for (int c = 1; c <= 8; c++) {
            CaseWriter w = new CaseWriter("random " + c, 1 + random.nextInt(600));
            for (int step = 0; step < 80; step++) {
                int op = random.nextInt(100);
                long sent = w.model.sent();
                if (op < 35) {
                    w.send(random.nextInt(200), random.nextBoolean());
                } else if (op < 60) {
                    w.ack(sent == 0 ? 0 : random.nextInt((int) sent + 3));
                } else if (op < 65) {
                    w.ack(random.nextBoolean() ? two63 + random.nextInt(4) : max - random.nextInt(4));
                } else if (op < 72) {
                    w.replayAfter(random.nextInt((int) sent + 3));
                } else if (op < 85) {
                    long next = w.model.lastReceived + 1;
                    w.receive(random.nextInt(4) == 0 ? 0 : next - 2 + random.nextInt(4));
                } else if (op < 92) {
                    w.ackDue();
                } else if (op < 93) {
                    w.reset();
                } else {
                    w.check();
                }
            }
            cases.add(w.check().node);
        }
        return root;
    }
}
