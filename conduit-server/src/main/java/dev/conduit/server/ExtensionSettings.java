package dev.conduit.server;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One extension's settings as {@link ServerConfig#extensions()} holds them: an unmodifiable map of
 * key to text whose {@code toString} hides the values of secrets (keys naming a token, secret,
 * password or credential, such as {@code zeromq.token} and {@code zeromq.curveSecretKey}), since a
 * config may end up in a log line.
 */
final class ExtensionSettings extends AbstractMap<String, String> {
    private static final Pattern SECRET = Pattern.compile("(?i)secret|password|token|credential");
    private final Map<String, String> settings;

    ExtensionSettings(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return settings.entrySet();
    }

    @Override
    public String get(Object key) {
        return settings.get(key);
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        settings.forEach((k, v) -> shown.put(k, SECRET.matcher(k).find() ? "(hidden)" : v));
        return shown.toString();
    }
}
