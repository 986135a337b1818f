package dev.conduit.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 without intermediate arrays: the codec sizes a frame exactly, then writes strings straight
 * into the output buffer. Unpaired surrogates are written as '?', as {@link String#getBytes} does.
 */
final class Utf8 {
    private Utf8() {
    }

    static int length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // 4 bytes for the pair, counted as 2 chars already
                i++;
            } else if (Character.isSurrogate(c)) {
                // written as '?': one byte, already counted
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }

    static void write(String s, ByteBuffer out) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out.put((byte) c);
            } else if (c < 0x800) {
                out.put((byte) (0xC0 | (c >> 6)));
                out.put((byte) (0x80 | (c & 0x3F)));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out.put((byte) (0xF0 | (cp >> 18)));
                out.put((byte) (0x80 | ((cp >> 12) & 0x3F)));
                out.put((byte) (0x80 | ((cp >> 6) & 0x3F)));
                out.put((byte) (0x80 | (cp & 0x3F)));
            } else if (Character.isSurrogate(c)) {
                out.put((byte) '?');
            } else {
                out.put((byte) (0xE0 | (c >> 12)));
                out.put((byte) (0x80 | ((c >> 6) & 0x3F)));
                out.put((byte) (0x80 | (c & 0x3F)));
            }
        }
    }

    /**
     * Decodes the first {@code len} bytes of {@code bytes}, rejecting malformed UTF-8 as {@link
     * #read(ByteBuffer, int, String)} does.
     */
    static String read(byte[] bytes, int len, String field) {
        if (len == 0) {
            return "";
        }
        for (int i = 0; i < len; i++) {
            if (bytes[i] < 0) {
                return read(ByteBuffer.wrap(bytes, 0, len), len, field);
            }
        }
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    /**
     * Decodes {@code len} bytes at the buffer's position and advances past them. Malformed UTF-8 is
     * rejected rather than replaced, so that two peers never disagree about a subject.
     */
    static String read(ByteBuffer in, int len, String field) {
        if (len == 0) {
            return ""; // an absent reply subject, in every message: no arrays for nothing
        }
        int pos = in.position();
        boolean ascii = true;
        for (int i = 0; i < len; i++) {
            if (in.get(pos + i) < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            byte[] bytes = new byte[len];
            in.get(bytes);
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        ByteBuffer slice = in.slice(pos, len);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice);
            in.position(pos + len);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFrameException(field + " is not valid UTF-8");
        }
    }
}
