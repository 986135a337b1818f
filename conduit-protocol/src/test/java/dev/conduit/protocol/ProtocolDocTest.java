package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/protocol.md is the specification a client in another language is written from, so the facts
 * in it that the code also states are checked here: drawings, type codes, error codes, limits.
 */
class ProtocolDocTest {

    @Test
    void frameCodecJavadocDrawsExactlyTheDiagramsOfTheDocument() {
        List<String> doc = ProtocolDoc.diagrams(ProtocolDoc.text());
        List<String> javadoc = ProtocolDoc.javadocDiagrams();
        assertThat(doc).hasSizeGreaterThanOrEqualTo(FrameType.values().length);
        assertThat(javadoc).containsExactlyElementsOf(doc);
    }

    @Test
    void everyFrameTypeIsDrawnWithItsCodeAndListedInTheTable() {
        String doc = ProtocolDoc.text();
        List<String> diagrams = ProtocolDoc.diagrams(doc);
        for (FrameType t : FrameType.values()) {
            String code = String.format("0x%02X", t.code());
            assertThat(diagrams).as("a diagram titled with %s %s", t, code)
                    .anyMatch(d -> d.lines().findFirst().orElseThrow().contains(t.name() + " " + code));
            assertThat(doc).contains("| `" + code + "` | " + t.name() + " |");
        }
    }

    @Test
    void everyErrorCodeIsInTheErrorTable() {
        String errors = ProtocolDoc.section(11);
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(errors).contains("| " + c.code() + " | " + c.name() + " |");
        }
        long rows = errors.lines().filter(l -> l.matches("\\| \\d{3} \\| [A-Z_]+ \\|.*")).count();
        assertThat(rows).as("rows of the error table").isEqualTo(ErrorCode.values().length);
    }

    @Test
    void theDocumentedDefaultsAreTheCodesDefaults() {
        String limits = ProtocolDoc.section(10);
        ProtocolLimits d = ProtocolLimits.DEFAULT;
        assertThat(limits).contains("| 1 MiB (" + d.maxPayloadBytes() + " bytes) |")
                .contains("| 64 KiB (" + d.maxHeaderBytes() + " bytes) |")
                .contains("| " + d.maxSubjectBytes() + " bytes |")
                .contains("| " + d.maxFrameBytes() + " bytes, derived |")
                .contains("max frame = max(" + ProtocolLimits.MIN_FRAME_BYTES
                        + ", max payload + max header + 2 * max subject + 64)");
        assertThat(ProtocolDoc.text()).contains("version 1 client sends `1`, `1`");
        assertThat(ProtocolVersion.MIN).isEqualTo(1);
        assertThat(ProtocolVersion.MAX).isEqualTo(1);
    }

    @Test
    void theDocumentedFrameFormulaIsTheCodes() {
        for (ProtocolLimits l : List.of(ProtocolLimits.DEFAULT, new ProtocolLimits(0, 0, 1),
                new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF), new ProtocolLimits(60_000, 4000, 700))) {
            long formula = Math.max(65536, (long) l.maxPayloadBytes() + l.maxHeaderBytes() + 2L * l.maxSubjectBytes() + 64);
            assertThat(l.maxFrameBytes()).as("%s", l).isEqualTo(formula);
        }
    }
}
