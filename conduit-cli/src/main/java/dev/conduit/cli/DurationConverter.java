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
}
