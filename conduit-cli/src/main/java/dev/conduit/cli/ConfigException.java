package dev.conduit.cli;

/**
 * The server's configuration (file, environment variables or flags) is not valid: exit code 2,
 * whether the YAML does not parse or a setting is unknown or out of range.
 */
final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConfigException(Throwable cause) {
        super(cause.getMessage(), cause);
    }
}
