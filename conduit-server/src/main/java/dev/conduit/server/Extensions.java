package dev.conduit.server;

import dev.conduit.server.spi.ServerExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The {@link ServerExtension}s on the class or module path, found with {@link ServiceLoader}, and
 * how a setting's key names one: {@code zeromqPort} is the key {@code port} of the section {@code
 * zeromq}. Settings of a known extension whose module is absent (see {@link #MODULES}) are refused
 * with a message naming the module, so configuring the ZeroMQ gateway without conduit-zeromq fails at
 * once instead of starting a server without it. Immutable; thread-safe.
 */
final class Extensions {
    /** Sections of the extensions Conduit ships, and the artifact that holds each: for error messages only. */
    static final Map<String, String> MODULES = Map.of("zeromq", "conduit-zeromq (dev.conduit:conduit-zeromq)");

    private final Map<String, ServerExtension> bySection;

    private Extensions(Map<String, ServerExtension> bySection) {
        this.bySection = bySection;
    }

    /** The extensions the class loader of the server (or the module layer) provides. */
    static Extensions load() {
        Map<String, ServerExtension> found = new LinkedHashMap<>();
        for (ServerExtension e : ServiceLoader.load(ServerExtension.class, Extensions.class.getClassLoader())) {
            String section = e.section();
            if (!section.matches("[a-z]+")) {
                throw new IllegalStateException("server extension " + e.getClass().getName()
                        + " names an invalid settings section (lower-case letters only): " + section);
            }
            ServerExtension before = found.putIfAbsent(section, e);
            if (before != null && before.getClass() != e.getClass()) {
                throw new IllegalStateException("two server extensions own the settings section " + section + ": "
                        + before.getClass().getName() + " and " + e.getClass().getName());
            }
        }
        return new Extensions(Map.copyOf(found));
    }

    List<ServerExtension> all() {
        return List.copyOf(bySection.values());
    }

    /** Sections whose YAML mapping is read for an extension: the present extensions' and the known ones'. */
    boolean isSection(String name) {
        return bySection.containsKey(name) || MODULES.containsKey(name);
    }

    /**
     * The section {@code key} belongs to ({@code zeromq} for {@code zeromqPort}), or null if it
     * names none. Throws if it names a known extension that is not on the path.
     */
    String sectionOf(String key) {
        for (String section : bySection.keySet()) {
            if (startsSection(key, section)) {
                return section;
            }
        }
        for (Map.Entry<String, String> known : MODULES.entrySet()) {
            if (startsSection(key, known.getKey())) {
                throw new IllegalArgumentException("the " + known.getKey() + " settings need the module "
                        + known.getValue() + " on the class or module path; this server does not have it");
            }
        }
        return null;
    }

    /** {@code port} for {@code zeromqPort} in section {@code zeromq}. */
    static String keyWithin(String key, String section) {
        return Character.toLowerCase(key.charAt(section.length())) + key.substring(section.length() + 1);
    }

    /** The flat key of {@code key} in {@code section}: {@code zeromqPort} for {@code port}. */
    static String flatKey(String section, String key) {
        return section + Character.toUpperCase(key.charAt(0)) + key.substring(1);
    }

    ServerExtension get(String section) {
        return bySection.get(section);
    }

    private static boolean startsSection(String key, String section) {
        return key.length() > section.length() && key.startsWith(section)
                && Character.isUpperCase(key.charAt(section.length()));
    }
}
