package dev.conduit.server.spi;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * How the server's settings write values, for extensions that parse their own section ({@link
 * ServerExtension#checkSetting}) the way the server parses its own.
 */
public final class SettingValues {
    private SettingValues() {
    }

    /**
     * {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 such as {@code PT10S}.
     *
     * @throws IllegalArgumentException if the text is none of these, or too large for a {@link Duration}
     */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new IllegalArgumentException("expected a duration such as 500ms, 10s, 2m or PT10S");
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 10s, 2m or PT10S");
        } catch (ArithmeticException e) {
            // Duration.ofHours(Long.MAX_VALUE) and the like: a number that parses but does not fit.
            throw new IllegalArgumentException("duration out of range: '" + text.trim() + "'");
        }
    }
}
