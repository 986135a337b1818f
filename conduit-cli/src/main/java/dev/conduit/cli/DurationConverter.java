package dev.conduit.cli;

import dev.conduit.server.ServerConfig;
import java.time.Duration;
import picocli.CommandLine;

/** Reads durations in the syntax the server's config uses ({@link ServerConfig#parseDuration}); positive only. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        Duration d;
        try {
            d = ServerConfig.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: " + e.getMessage());
        }
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.TypeConversionException("duration must be positive: '" + value + "'");
        }
        return d;
    }

    /** {@code 2m30s}, {@code 500ms}: a duration as the options take it. */
    static String format(Duration d) {
        if (d.toMillisPart() != 0 || d.isZero()) {
            return d.toMillis() + "ms";
        }
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }
}
