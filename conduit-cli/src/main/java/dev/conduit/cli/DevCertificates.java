package dev.conduit.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A throw-away PKI for local testing: a self-signed CA, a server certificate and a client
 * certificate signed by it, as PEM files and PKCS#12 stores ({@code conduit certs}), or in memory.
 *
 * <p>One file on purpose: the options, the generation and the writing share the names and defaults
 * that {@code conduit certs}, its tests and the system tests rely on; about half of it is the
 * options record and its builder.
 *
 * <p>Nothing here is fit for production: the CA's key sits next to its certificate, unencrypted.
 * Certificates are built with BouncyCastle's lightweight API and signed with the JDK's providers;
 * no provider is registered.
 *
 * <pre>{@code
 * DevCertificates.Written files = DevCertificates.write(dir, DevCertificates.Options.defaults());
 * DevCertificates.Pki pki = DevCertificates.generate(
 *         DevCertificates.Options.builder().hosts("localhost").days(1).build());
 * }</pre>
 *
 * <p>Past 600 lines because the options builder, the BouncyCastle certificate building and the
 * file writing with their modes are one small PKI that is read and changed together.
 */
public final class DevCertificates {
    /** Subject of the CA certificate. */
    public static final String CA_SUBJECT = "CN=Conduit dev CA (throw-away)";
    /** Subject of the server certificate; its host names and addresses are in the SAN. */
    public static final String SERVER_SUBJECT = "CN=Conduit dev server (throw-away)";

    /** File names written by {@link #write(Path, Options)}. */
    public static final String CA_CERT = "ca.pem";
    public static final String CA_KEY = "ca-key.pem";
    public static final String SERVER_CERT = "server.pem";
    public static final String SERVER_KEY = "server-key.pem";
    public static final String SERVER_P12 = "server.p12";
    public static final String CLIENT_CERT = "client.pem";
    public static final String CLIENT_KEY = "client-key.pem";
    public static final String CLIENT_P12 = "client.p12";

    /** Alias of the key entry in {@code server.p12}. */
    public static final String SERVER_ALIAS = "server";
    /** Alias of the key entry in {@code client.p12}. */
    public static final String CLIENT_ALIAS = "client";

    /** How far before "now" certificates become valid, for clocks a little behind this one. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final SecureRandom RANDOM = new SecureRandom();

    private DevCertificates() {
    }

    /** The type of every key in the PKI, and the signature algorithm that goes with it. */
    public enum KeyType {
        /** ECDSA on NIST P-256 (secp256r1), signed with SHA-256: the default. */
        EC_P256("EC", "secp256r1", 0, "SHA256withECDSA"),
        /** ECDSA on NIST P-384 (secp384r1), signed with SHA-384. */
        EC_P384("EC", "secp384r1", 0, "SHA384withECDSA"),
        /** RSA, 2048 bits, signed with SHA-256. */
        RSA_2048("RSA", null, 2048, "SHA256withRSA");

        private final String algorithm;
        private final String curve;
        private final int bits;
        private final String signatureAlgorithm;

        KeyType(String algorithm, String curve, int bits, String signatureAlgorithm) {
            this.algorithm = algorithm;
            this.curve = curve;
            this.bits = bits;
            this.signatureAlgorithm = signatureAlgorithm;
        }

        /** The JCA signature algorithm certificates are signed with, e.g. {@code SHA256withECDSA}. */
        public String signatureAlgorithm() {
            return signatureAlgorithm;
        }

        /** The name used on the command line: {@code ec-p256}, {@code ec-p384} or {@code rsa-2048}. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Reads {@code ec-p256}, {@code EC_P256} and the like. */
        public static KeyType parse(String text) {
            for (KeyType type : values()) {
                if (type.cliName().equalsIgnoreCase(text.strip()) || type.name().equalsIgnoreCase(text.strip())) {
                    return type;
                }
            }
            throw new IllegalArgumentException("key type must be ec-p256, ec-p384 or rsa-2048: '" + text + "'");
        }

        KeyPair generate() {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
                if (curve != null) {
                    generator.initialize(new ECGenParameterSpec(curve), RANDOM);
                } else {
                    generator.initialize(bits, RANDOM);
                }
                return generator.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot generate a " + cliName() + " key", e);
            }
        }
    }

    /**
     * What to generate, and how to write it.
     *
     * @param hosts DNS names and IP addresses put in the server certificate's SAN (IPv6 with or without brackets)
     * @param clientName the client certificate's common name (its whole subject is {@code CN=<clientName>})
     * @param clientDnsNames DNS names for the client certificate's SAN
     * @param clientUris URIs for the client certificate's SAN (e.g. a SPIFFE id)
     * @param clientEmails email addresses (rfc822Name) for the client certificate's SAN
     * @param days validity in days from now (from the clock), ignored when {@code notBefore} and {@code notAfter} are set
     * @param keyType type of every key
     * @param clock "now", for certificates that should already have expired or not yet be valid
     * @param notBefore explicit start of validity, or {@code null}: {@code now - 5 minutes}
     * @param notAfter explicit end of validity, or {@code null}: {@code now + days}
     * @param p12Password password of the PKCS#12 stores (store and key)
     * @param overwrite whether {@link #write(Path, Options)} may replace existing files
     */
    public record Options(List<String> hosts, String clientName, List<String> clientDnsNames,
                          List<String> clientUris, List<String> clientEmails, int days, KeyType keyType,
                          Clock clock, Instant notBefore, Instant notAfter, String p12Password, boolean overwrite) {
        public static final List<String> DEFAULT_HOSTS = List.of("localhost", "127.0.0.1", "::1");
        public static final String DEFAULT_CLIENT_NAME = "conduit-client";
        public static final int DEFAULT_DAYS = 30;
        public static final String DEFAULT_P12_PASSWORD = "changeit";

        public Options {
            hosts = normalizeHosts(hosts);
            Objects.requireNonNull(clientName, "clientName");
            if (clientName.isBlank()) {
                throw new IllegalArgumentException("client name must not be empty");
            }
            clientDnsNames = List.copyOf(clientDnsNames).stream().map(n -> dnsName(n, "client DNS name")).toList();
            clientUris = List.copyOf(clientUris).stream().map(Options::checkUri).toList();
            clientEmails = List.copyOf(clientEmails).stream().map(Options::checkEmail).toList();
            Objects.requireNonNull(keyType, "keyType");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(p12Password, "p12Password");
            if ((notBefore == null) != (notAfter == null)) {
                throw new IllegalArgumentException("set both notBefore and notAfter, or neither");
            }
            if (notBefore != null && !notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("notAfter must be after notBefore: " + notBefore + " .. " + notAfter);
            }
            if (notBefore == null && days < 1) {
                throw new IllegalArgumentException("days must be at least 1: " + days);
            }
        }

        /** localhost, 127.0.0.1 and ::1; client {@code conduit-client}; 30 days; EC P-256; password changeit. */
        public static Options defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        /** The first instant the certificates are valid at (to the second). */
        public Instant validFrom() {
            // Certificates hold whole seconds.
            return (notBefore != null ? notBefore : clock.instant().minus(BACKDATE)).truncatedTo(ChronoUnit.SECONDS);
        }

        /** The last instant the certificates are valid at (to the second). */
        public Instant validUntil() {
            return (notAfter != null ? notAfter : clock.instant().plus(Duration.ofDays(days)))
                    .truncatedTo(ChronoUnit.SECONDS);
        }

        private static String checkUri(String uri) {
            try {
                URI parsed = new URI(uri);
                if (!parsed.isAbsolute()) {
                    throw new IllegalArgumentException("client URI must be absolute (have a scheme): '" + uri + "'");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("client URI is not a URI: '" + uri + "'");
            }
        }

        private static String checkEmail(String email) {
            int at = email.indexOf('@');
            if (at < 1 || at != email.lastIndexOf('@') || at == email.length() - 1 || email.contains(" ")) {
                throw new IllegalArgumentException("client email is not an address: '" + email + "'");
            }
            return email;
        }

        /** Builds {@link Options}; every setting starts at its default. */
        public static final class Builder {
            private List<String> hosts = DEFAULT_HOSTS;
            private String clientName = DEFAULT_CLIENT_NAME;
            private final List<String> clientDnsNames = new ArrayList<>();
            private final List<String> clientUris = new ArrayList<>();
            private final List<String> clientEmails = new ArrayList<>();
            private int days = DEFAULT_DAYS;
            private KeyType keyType = KeyType.EC_P256;
            private Clock clock = Clock.systemUTC();
            private Instant notBefore;
            private Instant notAfter;
            private String p12Password = DEFAULT_P12_PASSWORD;
            private boolean overwrite;

            private Builder() {
            }

            /** Replaces the server's host names and addresses (default localhost, 127.0.0.1, ::1). */
            public Builder hosts(String... hosts) {
                return hosts(List.of(hosts));
            }

            /** Replaces the server's host names and addresses (default localhost, 127.0.0.1, ::1). */
            public Builder hosts(List<String> hosts) {
                this.hosts = List.copyOf(hosts);
                return this;
            }

            public Builder clientName(String clientName) {
                this.clientName = clientName;
                return this;
            }

            /** Adds a DNS name to the client certificate's SAN. */
            public Builder clientDnsName(String name) {
                clientDnsNames.add(name);
                return this;
            }

            /** Adds a URI to the client certificate's SAN, e.g. {@code spiffe://dev/client}. */
            public Builder clientUri(String uri) {
                clientUris.add(uri);
                return this;
            }

            /** Adds an email address to the client certificate's SAN. */
            public Builder clientEmail(String email) {
                clientEmails.add(email);
                return this;
            }

            /**
             * Adds a client SAN written {@code dns:NAME}, {@code uri:URI} or {@code email:ADDRESS}
             * (the {@code conduit certs --client-san} syntax).
             */
            public Builder clientSan(String typed) {
                int colon = typed.indexOf(':');
                String type = colon < 0 ? "" : typed.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = colon < 0 ? "" : typed.substring(colon + 1);
                return switch (type) {
                    case "dns" -> clientDnsName(value);
                    case "uri" -> clientUri(value);
                    case "email" -> clientEmail(value);
                    default -> throw new IllegalArgumentException(
                            "client SAN must be dns:NAME, uri:URI or email:ADDRESS: '" + typed + "'");
                };
            }

            /** Validity in days, counted from the clock's now (default 30). */
            public Builder days(int days) {
                this.days = days;
                return this;
            }

            public Builder keyType(KeyType keyType) {
                this.keyType = keyType;
                return this;
            }

            /** The clock that says "now" (default the system clock); a past one makes expired certificates. */
            public Builder clock(Clock clock) {
                this.clock = clock;
                return this;
            }

            /** Exact validity, instead of now - 5 minutes .. now + days. */
            public Builder validity(Instant notBefore, Instant notAfter) {
                this.notBefore = Objects.requireNonNull(notBefore, "notBefore");
                this.notAfter = Objects.requireNonNull(notAfter, "notAfter");
                return this;
            }

            public Builder p12Password(String p12Password) {
                this.p12Password = p12Password;
                return this;
            }

            /** Whether {@link DevCertificates#write} may replace existing files (default false). */
            public Builder overwrite(boolean overwrite) {
                this.overwrite = overwrite;
                return this;
            }

            public Options build() {
                return new Options(hosts, clientName, clientDnsNames, clientUris, clientEmails, days, keyType,
                        clock, notBefore, notAfter, p12Password, overwrite);
            }
        }
    }

    /** A certificate and its private key, with the chain up to (and including) the CA. */
    public record Issued(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain) {
        public Issued {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(privateKey, "privateKey");
            chain = List.copyOf(chain);
        }
    }

    /** The CA (self-signed), and the server and client certificates it signed. */
    public record Pki(Issued ca, Issued server, Issued client) {
    }

    /** The files {@link #write(Path, Options)} wrote, and what is in them. */
    public record Written(Path dir, Path caCert, Path caKey, Path serverCert, Path serverKey, Path serverP12,
                          Path clientCert, Path clientKey, Path clientP12, Pki pki) {
        /** Every file, in the order they were written. */
        public List<Path> files() {
            return List.of(caCert, caKey, serverCert, serverKey, serverP12, clientCert, clientKey, clientP12);
        }
    }

    /** Generates the CA, server and client certificates and keys in memory; {@code p12Password} and {@code overwrite} play no part. */
    public static Pki generate(Options options) {
        try {
            Date from = Date.from(options.validFrom());
            Date until = Date.from(options.validUntil());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            KeyType type = options.keyType();

            KeyPair caKeys = type.generate();
            X500Name caName = new X500Name(CA_SUBJECT);
            X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(), from, until, caName,
                    caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509Certificate caCert = sign(ca, caKeys.getPrivate(), type);

            KeyPair serverKeys = type.generate();
            List<GeneralName> serverNames = new ArrayList<>();
            for (String host : options.hosts()) {
                serverNames.add(IPAddress.isValid(host)
                        ? new GeneralName(GeneralName.iPAddress, host)
                        : new GeneralName(GeneralName.dNSName, host));
            }
            X509Certificate serverCert = sign(leaf(caCert, new X500Name(SERVER_SUBJECT), serverKeys.getPublic(),
                    from, until, KeyPurposeId.id_kp_serverAuth, serverNames, extensions), caKeys.getPrivate(), type);

            KeyPair clientKeys = type.generate();
            List<GeneralName> clientNames = new ArrayList<>();
            options.clientDnsNames().forEach(n -> clientNames.add(new GeneralName(GeneralName.dNSName, n)));
            options.clientUris().forEach(u -> clientNames.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
            options.clientEmails().forEach(e -> clientNames.add(new GeneralName(GeneralName.rfc822Name, e)));
            X500Name clientSubject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, options.clientName()).build();
            X509Certificate clientCert = sign(leaf(caCert, clientSubject, clientKeys.getPublic(), from, until,
                    KeyPurposeId.id_kp_clientAuth, clientNames, extensions), caKeys.getPrivate(), type);

            return new Pki(new Issued(caCert, caKeys.getPrivate(), List.of(caCert)),
                    new Issued(serverCert, serverKeys.getPrivate(), List.of(serverCert, caCert)),
                    new Issued(clientCert, clientKeys.getPrivate(), List.of(clientCert, caCert)));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate the development certificates: " + e.getMessage(), e);
        }
    }

    /**
     * Generates a PKI and writes it to {@code dir} (created if missing): {@value #CA_CERT}, {@value #CA_KEY},
     * {@value #SERVER_CERT}, {@value #SERVER_KEY}, {@value #SERVER_P12}, {@value #CLIENT_CERT},
     * {@value #CLIENT_KEY} and {@value #CLIENT_P12}. Certificates are PEM, keys unencrypted PKCS#8 PEM,
     * the PKCS#12 stores hold the key and the chain (leaf, CA) under the alias {@value #SERVER_ALIAS}
     * or {@value #CLIENT_ALIAS}. Keys and stores are made readable by their owner only where the file
     * system has POSIX permissions.
     *
     * @throws FileAlreadyExistsException if one of the files exists and {@link Options#overwrite()} is false;
     *         nothing is written then
     */
    public static Written write(Path dir, Options options) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir.toString());
        }
        Path d = dir.toAbsolutePath().normalize();
        Written written = new Written(d, d.resolve(CA_CERT), d.resolve(CA_KEY), d.resolve(SERVER_CERT),
                d.resolve(SERVER_KEY), d.resolve(SERVER_P12), d.resolve(CLIENT_CERT), d.resolve(CLIENT_KEY),
                d.resolve(CLIENT_P12), null);
        if (!options.overwrite()) {
            List<Path> existing = written.files().stream().filter(Files::exists).toList();
            if (!existing.isEmpty()) {
                throw new FileAlreadyExistsException(existing.getFirst().toString(), null,
                        existing.size() == 1 ? "already exists"
                                : "already exists, as do " + (existing.size() - 1) + " more of the files");
            }
        }
        Pki pki = generate(options);
        char[] password = options.p12Password().toCharArray();
        byte[] serverP12 = pkcs12(SERVER_ALIAS, pki.server(), password);
        byte[] clientP12 = pkcs12(CLIENT_ALIAS, pki.client(), password);
        Files.createDirectories(d);
        boolean replace = options.overwrite();
        put(written.caCert(), pem(pki.ca().certificate()), false, replace);
        put(written.caKey(), pem(pki.ca().privateKey()), true, replace);
        put(written.serverCert(), pem(pki.server().certificate()), false, replace);
        put(written.serverKey(), pem(pki.server().privateKey()), true, replace);
        put(written.serverP12(), serverP12, true, replace);
        put(written.clientCert(), pem(pki.client().certificate()), false, replace);
        put(written.clientKey(), pem(pki.client().privateKey()), true, replace);
        put(written.clientP12(), clientP12, true, replace);
        return new Written(d, written.caCert(), written.caKey(), written.serverCert(), written.serverKey(),
                written.serverP12(), written.clientCert(), written.clientKey(), written.clientP12(), pki);
    }

    /** A certificate as PEM ({@code BEGIN CERTIFICATE}). */
    public static String pem(X509Certificate certificate) {
        return pemOf(certificate);
    }

    /** A private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
    public static String pem(PrivateKey key) {
        try {
            return pemOf(new JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot encode the key: " + e.getMessage(), e);
        }
    }

    private static String pemOf(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return text.toString();
    }

    private static X509v3CertificateBuilder leaf(X509Certificate ca, X500Name subject, PublicKey key, Date from,
                                                 Date until, KeyPurposeId purpose, List<GeneralName> names,
                                                 JcaX509ExtensionUtils extensions)
            throws IOException, GeneralSecurityException {
        // Issued by the CA certificate: its subject, encoded exactly as it is there, becomes the issuer.
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(), from, until, subject, key)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(key))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(ca.getPublicKey()));
        if (!names.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        return builder;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey, KeyType type)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(type.signatureAlgorithm()).build(issuerKey)));
    }

    /** A positive, non-zero random serial of at most 20 octets (RFC 5280). */
    private static BigInteger serial() {
        return new BigInteger(159, RANDOM).setBit(0);
    }

    private static byte[] pkcs12(String alias, Issued issued, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, issued.privateKey(), password, issued.chain().toArray(Certificate[]::new));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            store.store(bytes, password);
            return bytes.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the PKCS#12 store: " + e.getMessage(), e);
        }
    }

    private static void put(Path target, String text, boolean secret, boolean replace) throws IOException {
        put(target, text.getBytes(StandardCharsets.US_ASCII), secret, replace);
    }

    /** Writes a temporary file next to the target, owner-only until done, then moves it into place. */
    private static void put(Path target, byte[] content, boolean secret, boolean replace) throws IOException {
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + "-", ".tmp", attributes);
        try {
            Files.write(temp, content);
            if (posix) {
                Files.setPosixFilePermissions(temp, secret ? OWNER_ONLY : PUBLIC);
            }
            if (!replace) {
                Files.move(temp, target); // fails if the target appeared meanwhile
            } else {
                try {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static List<String> normalizeHosts(List<String> hosts) {
        Set<String> normalized = new LinkedHashSet<>();
        for (String host : List.copyOf(hosts)) {
            String h = host.strip();
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            if (IPAddress.isValid(h)) {
                normalized.add(h);
            } else if (DOTTED_NUMBERS.matcher(h).matches() || h.contains(":")) {
                throw new IllegalArgumentException("host is not a valid IP address: '" + host + "'");
            } else {
                normalized.add(dnsName(h, "host"));
            }
        }
        if (normalized.isEmpty()) {
            throw new IllegalArgumentException("the server certificate needs at least one host name or address");
        }
        return List.copyOf(normalized);
    }

    private static String dnsName(String name, String what) {
        String lower = name.strip().toLowerCase(Locale.ROOT);
        if (lower.length() > 253 || !DNS_NAME.matcher(lower).matches()) {
            throw new IllegalArgumentException(what + " is not a valid DNS name: '" + name + "'");
        }
        return lower;
    }
}
