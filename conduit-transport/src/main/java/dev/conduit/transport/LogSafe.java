package dev.conduit.transport;

/**
 * Makes text a peer sent (a client name, a subject, a header, a token's claims) safe to put in a
 * log line: it cannot start a new line, forge one, move the cursor of a terminal, or fill the log.
 */
public final class LogSafe {
    /** Characters of a peer's text kept in a log line; the rest is cut and counted. */
    public static final int MAX_CHARS = 200;

    private LogSafe() {
    }

    /**
     * {@code text} in double quotes, with {@code "} and {@code \} escaped, control characters
     * (newlines, escape sequences, DEL, the C1 range, and the Unicode line and paragraph
     * separators) written as {@code \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX}, and cut
     * after {@value #MAX_CHARS} characters with the number cut; {@code null} for null.
     */
    public static String quote(String text) {
        if (text == null) {
            return "null";
        }
        return escape(new StringBuilder(Math.min(text.length(), MAX_CHARS) + 8).append('"'), text, MAX_CHARS, true);
    }

    /**
     * A whole log message that holds a peer's text among the server's own: control characters
     * escaped as by {@link #quote} (quotes and backslashes left alone), cut after {@code maxChars}.
     */
    public static String escape(String text, int maxChars) {
        if (text == null) {
            return "null";
        }
        return escape(new StringBuilder(Math.min(text.length(), maxChars) + 8), text, maxChars, false);
    }

    private static String escape(StringBuilder out, String text, int maxChars, boolean quoted) {
        int n = Math.min(text.length(), maxChars);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append(quoted ? "\\\"" : "\"");
                case '\\' -> out.append(quoted ? "\\\\" : "\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (quoted) {
            out.append('"');
        }
        if (text.length() > n) {
            out.append("...(").append(text.length() - n).append(" more chars)");
        }
        return out.toString();
    }
}
