package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.server.spi.Principal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/security.md cannot drift from the code: every YAML block in it loads with {@link
 * ServerConfig#load}, every row of its table of permission outcomes is what the server decides for
 * the example above the table, and the defaults it states are the code's.
 */
class SecurityDocExampleTest {
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern PUBLIC_KEY = Pattern.compile("(?m)^\\s*publicKey:\\s*(\\S+)");
    private static final Pattern JWKS = Pattern.compile("(?m)^\\s*jwks:\\s*(\\S+)");
    private static final Pattern ALGORITHM = Pattern.compile("(?m)^\\s*algorithm:\\s*(\\S+)");
    private static final String OUTCOME_TABLE = "| principal | operation | subject or pattern | outcome |";

    private record Block(int offset, String yaml) {
    }

    @Test
    void everyYamlBlockLoads(@TempDir Path dir) throws Exception {
        List<Block> blocks = yamlBlocks(doc());
        assertThat(blocks).as("YAML blocks in docs/security.md").hasSizeGreaterThanOrEqualTo(4);
        for (int i = 0; i < blocks.size(); i++) {
            String yaml = blocks.get(i).yaml();
            ServerConfig config = load(dir.resolve("block" + i), yaml);
            if (yaml.contains("auth:")) {
                assertThat(config.auth().authenticationConfigured()).as("block %d configures authentication:%n%s", i, yaml)
                        .isTrue();
            }
            if (yaml.contains("host: 0.0.0.0")) {
                // Each example that binds every address would start: authentication is configured.
                assertThatCode(() -> config.auth().checkExposure(config.host())).as("block %d", i)
                        .doesNotThrowAnyException();
            }
        }
    }

    @Test
    void theFirstExampleHasTheTokensAndJwtSettingsItShows(@TempDir Path dir) throws Exception {
        ServerConfig config = load(dir, yamlBlocks(doc()).getFirst().yaml());
        AuthConfig auth = config.auth();
        assertThat(auth.tokens()).extracting(java.util.Map.Entry::getKey).containsExactly("billing", "ops");
        assertThat(auth.jwt().algorithm()).isEqualTo("ES256");
        assertThat(auth.jwt().issuer()).isEqualTo("https://login.example.com");
        assertThat(auth.jwt().audience()).isEqualTo("conduit");
        assertThat(auth.failedAuthDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(auth.anonymousAllowed()).as("anonymous once authentication is configured").isFalse();
    }

    @Test
    void everyRowOfTheOutcomeTableIsWhatTheServerDecides(@TempDir Path dir) throws Exception {
        String doc = doc();
        int table = doc.indexOf(OUTCOME_TABLE);
        assertThat(table).as("the table of permission outcomes").isPositive();
        Block example = null;
        for (Block b : yamlBlocks(doc)) {
            if (b.offset() < table) {
                example = b;
            }
        }
        assertThat(example).isNotNull();
        assertThat(example.yaml()).contains("permissions:");
        ServerConfig config = load(dir, example.yaml());
        Authentication authentication = new Authentication(config.auth(), config.clock());

        List<String> rows = new ArrayList<>();
        for (String line : doc.substring(table).split("\n")) {
            if (!line.startsWith("|")) {
                break;
            }
            rows.add(line);
        }
        List<String> body = rows.subList(2, rows.size()); // header and separator
        assertThat(body).hasSizeGreaterThanOrEqualTo(10);
        for (String row : body) {
            String[] cells = row.split("\\|");
            String principal = firstCode(cells[1]);
            String operation = cells[2].trim();
            String subject = firstCode(cells[3]);
            String outcome = cells[4].trim();
            SessionAccess access = authentication.accessFor(Principal.named(principal));
            String denied = switch (operation) {
                case "publish" -> access.checkPublish(subject);
                case "subscribe" -> access.checkSubscribe(subject);
                default -> throw new AssertionError("unknown operation in row " + row);
            };
            if (outcome.startsWith("allowed")) {
                assertThat(denied).as(row).isNull();
            } else {
                assertThat(outcome).as(row).startsWith("403");
                assertThat(denied).as(row).isNotNull().startsWith("permission denied: " + operation + " to '" + subject + "'");
            }
        }
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        ServerConfig config = ServerConfig.builder().build();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        AuthConfig auth = config.auth();
        assertThat(auth.failedAuthDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(auth.authenticationConfigured()).isFalse();
        assertThat(auth.anonymousAllowed()).isTrue();
        assertThat(auth.anonymousExplicit()).isFalse();
        assertThat(auth.permissions()).isEmpty();

        // The refusal to start on a non-loopback address with anonymous access, and what lifts it.
        assertThatCode(() -> auth.checkExposure("127.0.0.1")).doesNotThrowAnyException();
        assertThatThrownBy(() -> auth.checkExposure("0.0.0.0")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start: the server binds 0.0.0.0")
                .hasMessageContaining("allowAnonymous");
        assertThatCode(() -> AuthConfig.builder().allowAnonymous(true).build().checkExposure("0.0.0.0"))
                .doesNotThrowAnyException();
        assertThatCode(() -> AuthConfig.builder().token("t", TokenHashes.hash("x")).build().checkExposure("0.0.0.0"))
                .doesNotThrowAnyException();
        assertThat(AuthConfig.builder().token("t", TokenHashes.hash("x")).build().anonymousAllowed()).isFalse();
        assertThat(AuthConfig.builder().token("t", TokenHashes.hash("x")).allowAnonymous(true).build()
                .anonymousAllowed()).isTrue();

        // The anonymous sessions of a default server may read $SYS; nobody publishes there.
        Authentication authentication = new Authentication(auth, config.clock());
        SessionAccess anonymous = authentication.accessFor(Principal.named(Principal.ANONYMOUS));
        assertThat(anonymous.checkSubscribe("$SYS.stats")).isNull();
        assertThat(anonymous.checkPublish("$SYS.stats")).isNotNull();
        assertThat(anonymous.checkPublish("anything")).isNull();
    }

    /** Writes the block as {@code server.yaml} in {@code dir}, with a fresh public key or key set wherever it names one. */
    private static ServerConfig load(Path dir, String yaml) throws Exception {
        Files.createDirectories(dir);
        Matcher key = PUBLIC_KEY.matcher(yaml);
        if (key.find()) {
            Matcher alg = ALGORITHM.matcher(yaml);
            assertThat(alg.find()).as("a publicKey needs an algorithm:%n%s", yaml).isTrue();
            Path pem = dir.resolve(key.group(1));
            Files.createDirectories(pem.getParent());
            Files.writeString(pem, publicKeyPem(alg.group(1)));
        }
        Matcher jwks = JWKS.matcher(yaml);
        if (jwks.find()) {
            Matcher alg = ALGORITHM.matcher(yaml);
            assertThat(alg.find()).as("a jwks needs an algorithm:%n%s", yaml).isTrue();
            Path set = dir.resolve(jwks.group(1));
            Files.createDirectories(set.getParent());
            com.nimbusds.jose.jwk.JWK k = alg.group(1).equals("ES256")
                    ? new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("a").generate()
                    : new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("a").generate();
            Files.writeString(set, new com.nimbusds.jose.jwk.JWKSet(k).toString());
        }
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, yaml);
        try {
            return ServerConfig.load(file).build();
        } catch (RuntimeException e) {
            throw new AssertionError("docs/security.md: this YAML block does not load: " + e.getMessage() + "\n" + yaml, e);
        }
    }

    private static String publicKeyPem(String algorithm) throws Exception {
        KeyPairGenerator g;
        switch (algorithm) {
            case "ES256" -> {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
            }
            case "RS256" -> {
                g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
            }
            default -> throw new AssertionError("no public key for " + algorithm);
        }
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(g.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static String firstCode(String cell) {
        Matcher m = Pattern.compile("`([^`]+)`").matcher(cell);
        if (!m.find()) {
            throw new AssertionError("no `code` in table cell '" + cell + "'");
        }
        return m.group(1);
    }

    private static List<Block> yamlBlocks(String doc) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = YAML_BLOCK.matcher(doc);
        while (m.find()) {
            blocks.add(new Block(m.start(), m.group(1)));
        }
        return blocks;
    }

    private static String doc() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/security.md"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("docs/security.md not found above " + System.getProperty("user.dir"));
        }
        try {
            return Files.readString(p.resolve("docs/security.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
