package dev.conduit.zeromq;

import org.jspecify.annotations.Nullable;
import dev.conduit.client.NoRespondersException;
import dev.conduit.client.RequestTimeoutException;
import dev.conduit.client.ServerErrorException;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.Subjects;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;

/**
 * How the ZeroMQ gateway reads and writes the parts of a ZeroMQ message (docs/zeromq.md): topics
 * as subjects, the optional headers part, and the status part of a reply. Pure functions.
 *
 * <pre>
 *   message   [subject][payload]            or [subject][payload][headers]
 *   headers   UTF-8 lines "name: value", separated by '\n' (no line may hold '\n'; names no ':')
 *   reply     [status][payload]             or [status][payload][headers]
 *   status    "OK" | "ERROR &lt;code&gt; &lt;reason&gt;"   e.g. "ERROR 503 no responders"
 * </pre>
 */
final class ZmqFrames {
    static final byte[] OK = "OK".getBytes(StandardCharsets.US_ASCII);
    static final byte[] EMPTY = new byte[0];

    private ZmqFrames() {
    }

    /** Thrown for a part that does not follow the mapping; the message is dropped and counted. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Strict UTF-8, or {@link Malformed}. */
    static String utf8(byte[] bytes, String what) throws Malformed {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed(what + " is not UTF-8");
        }
    }

    /**
     * The subject a topic is published to: the topic itself if it is a valid subject; with {@link
     * ZeroMqConfig.InvalidTopics#REPLACE}, the topic with what a subject may not hold replaced.
     */
    static String subject(byte[] topic, ZeroMqConfig.InvalidTopics policy, int maxSubjectBytes) throws Malformed {
        String text = utf8(topic, "topic");
        try {
            return Subjects.checkSubject(text, maxSubjectBytes);
        } catch (ConduitException invalid) {
            if (policy == ZeroMqConfig.InvalidTopics.DROP) {
                throw new Malformed(String.valueOf(invalid.getMessage()));
            }
        }
        String replaced = replace(text);
        try {
            return Subjects.checkSubject(replaced, maxSubjectBytes);
        } catch (ConduitException invalid) {
            throw new Malformed(String.valueOf(invalid.getMessage()));
        }
    }

    /** Each token's forbidden characters (and wildcards) as {@code _}; an empty token as {@code _}. */
    static String replace(String topic) {
        StringBuilder b = new StringBuilder(topic.length() + 2);
        for (String token : topic.split("\\.", -1)) {
            if (!b.isEmpty()) {
                b.append('.');
            }
            if (token.isEmpty()) {
                b.append('_');
                continue;
            }
            for (int i = 0; i < token.length(); i++) {
                char c = token.charAt(i);
                boolean bad = c <= ' ' || c == 0x7f || Character.isWhitespace(c) || c == '*' || c == '>';
                b.append(bad ? '_' : c);
            }
        }
        return b.toString();
    }

    /** Reads a headers part. */
    static Headers headers(byte[] part) throws Malformed {
        if (part.length == 0) {
            return Headers.EMPTY;
        }
        Headers.Builder b = Headers.builder();
        for (String line : utf8(part, "headers part").split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new Malformed("headers part: expected 'name: value', got '" + abbreviate(line) + "'");
            }
            try {
                b.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new Malformed("headers part: " + e.getMessage());
            }
        }
        return b.build();
    }

    /** Writes a headers part; null if there are none (then no part is sent). */
    static byte @Nullable [] headersPart(Headers headers) {
        if (headers.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        headers.forEach((name, value) -> b.append(name).append(": ")
                .append(value.replace('\n', ' ').replace('\r', ' ')).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The status part for a request that failed with {@code error}. */
    static byte[] errorStatus(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String status;
        if (e instanceof NoRespondersException) {
            status = "ERROR 503 no responders";
        } else if (e instanceof RequestTimeoutException) {
            status = "ERROR 408 request timed out";
        } else if (e instanceof ServerErrorException s) {
            status = "ERROR " + s.code() + " " + oneLine(String.valueOf(s.getMessage()));
        } else {
            status = "ERROR 500 " + oneLine(String.valueOf(e.getMessage()));
        }
        return status.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] errorStatus(int code, String reason) {
        return ("ERROR " + code + " " + oneLine(reason)).getBytes(StandardCharsets.UTF_8);
    }

    private static String oneLine(String s) {
        return abbreviate(s.replace('\n', ' ').replace('\r', ' '));
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 197) + "...";
    }
}
