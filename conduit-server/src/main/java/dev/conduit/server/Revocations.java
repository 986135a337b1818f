package dev.conduit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.conduit.server.spi.Principal;
import dev.conduit.transport.LogSafe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The deny list of the revocation file ({@code auth.revocationFile}, docs/security.md): token ids
 * (a JWT's {@code jti}, a static token's {@code sha256:} hash) and principals (a JWT's {@code sub},
 * a token's or certificate's principal) whose credentials are no longer accepted. The file is YAML
 * (or JSON):
 *
 * <pre>
 * tokenIds: [4f1c9e, "sha256:9f86d0..."]
 * subjects: [mallory]
 * </pre>
 *
 * Both keys are optional; any other key is refused, so that a misspelt one does not silently revoke
 * nothing. Immutable.
 */
record Revocations(Set<String> tokenIds, Set<String> subjects) {
    /** Nothing revoked. */
    static final Revocations NONE = new Revocations(Set.of(), Set.of());
    /** The most entries the file may hold, so that a wrong file cannot fill the heap. */
    static final int MAX_ENTRIES = 1_000_000;

    Revocations {
        tokenIds = Set.copyOf(tokenIds);
        subjects = Set.copyOf(subjects);
    }

    boolean isEmpty() {
        return tokenIds.isEmpty() && subjects.isEmpty();
    }

    /** Why {@code p}'s credentials are revoked, for the log and the ERROR; null if they are not. */
    String reasonFor(Principal p) {
        if (p.tokenId() != null && tokenIds.contains(p.tokenId())) {
            return "the credentials of " + LogSafe.quote(p.name()) + " are revoked (token id)";
        }
        if (subjects.contains(p.name())) {
            return "the credentials of " + LogSafe.quote(p.name()) + " are revoked (principal)";
        }
        return null;
    }

    /**
     * Reads the file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static Revocations read(Path file) {
        JsonNode root;
        try {
            if (Files.size(file) > 64L * 1024 * 1024) {
                throw new IllegalArgumentException(file + " is larger than 64 MiB: not a revocation file");
            }
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the revocation file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return NONE; // an empty file revokes nothing
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": a revocation file holds tokenIds and subjects lists");
        }
        Set<String> ids = new HashSet<>();
        Set<String> subjects = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Set<String> into = switch (e.getKey()) {
                case "tokenIds" -> ids;
                case "subjects" -> subjects;
                default -> throw new IllegalArgumentException(file + ": unknown key '" + e.getKey()
                        + "' (expected tokenIds, subjects)");
            };
            JsonNode list = e.getValue();
            if (list.isNull()) {
                continue;
            }
            if (!list.isArray()) {
                throw new IllegalArgumentException(file + ": " + e.getKey() + " must be a list");
            }
            for (JsonNode v : list) {
                if (!v.isValueNode() || v.isNull() || v.asText().isBlank()) {
                    throw new IllegalArgumentException(file + ": " + e.getKey() + " holds an entry that is not a name: " + v);
                }
                into.add(v.asText().trim());
                if (ids.size() + subjects.size() > MAX_ENTRIES) {
                    throw new IllegalArgumentException(file + ": more than " + MAX_ENTRIES + " entries");
                }
            }
        }
        return new Revocations(ids, subjects);
    }
}
