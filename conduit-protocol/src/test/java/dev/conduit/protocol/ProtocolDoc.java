package dev.conduit.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads docs/protocol.md and FrameCodec's source, so that tests can hold the specification, the
 * Javadoc and the code to the same bytes and drawings.
 */
final class ProtocolDoc {
    /** One line of a worked example: hex bytes, then optionally two or more spaces and a comment. */
    private static final Pattern EXAMPLE_LINE = Pattern.compile("((?:[0-9a-f]{2} )*[0-9a-f]{2})(?: {2,}\\S.*)?");

    private ProtocolDoc() {
    }

    static String text() {
        return read(repoRoot().resolve("docs/protocol.md"));
    }

    /** The text of the section whose heading starts with {@code "## " + number + "."}, without the heading. */
    static String section(int number) {
        String doc = text();
        String heading = "\n## " + number + ". ";
        int start = doc.indexOf(heading);
        if (start < 0) {
            throw new AssertionError("docs/protocol.md has no section " + number);
        }
        int bodyStart = doc.indexOf('\n', start + 1);
        int end = doc.indexOf("\n## ", bodyStart);
        return doc.substring(bodyStart + 1, end < 0 ? doc.length() : end);
    }

    /** The contents of every fenced code block in the text, in order. */
    static List<String> codeBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^( *)```[a-z]*\\n(.*?)^\\1```$", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            String indent = m.group(1);
            blocks.add(m.group(2).stripTrailing().replaceAll("(?m)^" + indent, ""));
        }
        return blocks;
    }

    /** The box drawings: code blocks with a line that starts a border ("+-"). */
    static List<String> diagrams(String markdown) {
        return codeBlocks(markdown).stream().filter(ProtocolDoc::isDiagram).toList();
    }

    static boolean isDiagram(String block) {
        return block.lines().anyMatch(l -> l.startsWith("+-"));
    }

    /** The bytes of a worked example block; fails on any line that is not hex plus a comment. */
    static byte[] exampleBytes(String block) {
        StringBuilder hex = new StringBuilder();
        for (String line : block.split("\n")) {
            Matcher m = EXAMPLE_LINE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a line of hex bytes and a comment: '" + line + "'");
            }
            hex.append(m.group(1).replace(" ", ""));
        }
        return HexFormat.of().parseHex(hex);
    }

    /**
     * The preformatted blocks of FrameCodec's class Javadoc, with the comment's leading "* "
     * removed, split into groups at blank lines.
     */
    static List<String> javadocDiagrams() {
        String source = read(repoRoot().resolve("conduit-protocol/src/main/java/dev/conduit/protocol/FrameCodec.java"));
        String javadoc = source.substring(source.indexOf("/**"), source.indexOf("*/", source.indexOf("/**")));
        List<String> groups = new ArrayList<>();
        Matcher pre = Pattern.compile("<pre>\\n(.*?)\\n\\s*\\*\\s*</pre>", Pattern.DOTALL).matcher(javadoc);
        while (pre.find()) {
            String text = pre.group(1).replaceAll("(?m)^\\s*\\* ?", "");
            for (String group : text.split("\\n\\s*\\n")) {
                if (isDiagram(group)) {
                    groups.add(group.stripTrailing());
                }
            }
        }
        return groups;
    }

    private static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/protocol.md"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("docs/protocol.md not found above " + System.getProperty("user.dir"));
        }
        return p;
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
