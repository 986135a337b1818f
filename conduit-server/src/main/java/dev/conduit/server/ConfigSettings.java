package dev.conduit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.conduit.transport.TransportOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Reads settings as text from a YAML file and environment variable names, for {@link ServerConfig}. */
final class ConfigSettings {
    static final String ENV_PREFIX = "CONDUIT_";
    /** Top-level YAML keys that hold structured settings (read by {@link #section}), not plain values. */
    static final java.util.Set<String> SECTIONS = java.util.Set.of("auth", "permissions", "tls", "cluster");

    private ConfigSettings() {
    }

    /**
     * The top-level scalar settings of a YAML file, in file order. A key with no value ({@code host:},
     * {@code host: ~}, {@code host: null}) is an error naming the file and key, not the word "null".
     */
    static Map<String, String> fromYaml(Path file) {
        return fromYaml(file, section -> false);
    }

    /** As {@link #fromYaml(Path)}, leaving out the mappings that {@code isExtensionSection} accepts. */
    static Map<String, String> fromYaml(Path file, java.util.function.Predicate<String> isExtensionSection) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return settings;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping of settings at the top level");
        }
        root.fields().forEachRemaining(e -> {
            if (SECTIONS.contains(e.getKey()) || (e.getValue().isObject() && isExtensionSection.test(e.getKey()))) {
                return; // structured: see section() and extensionSections()
            }
            if (e.getValue().isNull()) {
                throw new IllegalArgumentException(file + ": setting '" + e.getKey()
                        + "' has no value (remove the line to keep the default)");
            }
            if (!e.getValue().isValueNode()) {
                throw new IllegalArgumentException(file + ": setting '" + e.getKey() + "' must be a plain value");
            }
            settings.put(e.getKey(), e.getValue().asText());
        });
        return settings;
    }

    /**
     * The extension sections of a YAML file (top-level keys {@code isSection} accepts, such as
     * {@code zeromq}), each as its keys and their text: a list's items are joined by commas.
     */
    static Map<String, Map<String, String>> extensionSections(Path file, java.util.function.Predicate<String> isSection) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            return sections;
        }
        root.fields().forEachRemaining(e -> {
            if (!e.getValue().isObject() || SECTIONS.contains(e.getKey()) || !isSection.test(e.getKey())) {
                return; // a plain value, or a section of the server's own (fromYaml and section() read them)
            }
            Map<String, String> settings = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(f -> {
                JsonNode v = f.getValue();
                if (v.isArray()) {
                    java.util.List<String> items = new java.util.ArrayList<>();
                    v.forEach(item -> items.add(item.asText()));
                    settings.put(f.getKey(), String.join(",", items));
                } else if (v.isValueNode() && !v.isNull()) {
                    settings.put(f.getKey(), v.asText());
                } else {
                    throw new IllegalArgumentException(file + ": setting '" + e.getKey() + "." + f.getKey()
                            + "' must be a plain value or a list");
                }
            });
            sections.put(e.getKey(), settings);
        });
        return sections;
    }

    /** A structured top-level section of a YAML file ({@link #SECTIONS}), or null if it is absent. */
    static JsonNode section(Path file, String key) {
        try {
            JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            return root == null || !root.isObject() ? null : root.get(key);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code true} or {@code false}, nothing else. */
    static boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    /** {@code CONDUIT_MAX_PAYLOAD_BYTES} to {@code maxPayloadBytes}. */
    static String keyForEnvironmentName(String name) {
        String[] words = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).split("_");
        StringBuilder key = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            if (!words[i].isEmpty()) {
                key.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
            }
        }
        return key.toString();
    }

    /**
     * {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 such as {@code PT10S}.
     *
     * @throws IllegalArgumentException if the text is none of these, or too large for a {@link Duration}
     */
    static Duration duration(String text) {
        return dev.conduit.server.spi.SettingValues.duration(text);
    }

    static TransportOptions.Kind transportKind(String text) {
        try {
            return TransportOptions.Kind.valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected one of auto, epoll, io_uring, nio");
        }
    }
}
