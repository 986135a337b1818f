package dev.conduit.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code conduit certs}: writes a throw-away CA, server and client certificate for local TLS testing. */
@Command(name = "certs", description = {
        "Write a throw-away PKI for local testing: a CA, a server and a client certificate, their keys "
                + "(PEM, unencrypted PKCS#8) and PKCS#12 stores. Not for production: the CA key is kept next to it."})
final class CertsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Directory to write ca.pem, ca-key.pem, server.pem, server-key.pem, server.p12, "
                    + "client.pem, client-key.pem and client.p12 to (created if missing).")
    Path out;

    @Option(names = "--host", paramLabel = "NAME",
            description = "DNS name or IP address for the server certificate; repeat for more. Replaces the "
                    + "defaults: localhost, 127.0.0.1, ::1.")
    List<String> hosts = List.of();

    @Option(names = "--client", paramLabel = "NAME", defaultValue = DevCertificates.Options.DEFAULT_CLIENT_NAME,
            description = "Common name of the client certificate, CN=NAME (default: ${DEFAULT-VALUE}).")
    String client;

    @Option(names = "--client-san", paramLabel = "TYPE:VALUE",
            description = "Subject alternative name for the client certificate: dns:NAME, uri:URI or "
                    + "email:ADDRESS; repeat for more (default: none).")
    List<String> clientSans = List.of();

    @Option(names = "--days", paramLabel = "N", defaultValue = "" + DevCertificates.Options.DEFAULT_DAYS,
            description = "Days the certificates are valid for (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "ec-p256",
            description = "Key type: ec-p256, ec-p384 or rsa-2048 (default: ${DEFAULT-VALUE}).")
    String keyType;

    @Option(names = "--p12-password", paramLabel = "PASSWORD",
            defaultValue = DevCertificates.Options.DEFAULT_P12_PASSWORD,
            description = "Password of server.p12 and client.p12 (default: ${DEFAULT-VALUE}).")
    String p12Password;

    @Option(names = "--force", description = "Replace files that already exist (without it, nothing is written "
            + "if any of them exists, and the exit code is 1).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        DevCertificates.Options.Builder builder = DevCertificates.Options.builder()
                .clientName(client).days(days).keyType(DevCertificates.KeyType.parse(keyType))
                .p12Password(p12Password).overwrite(force);
        if (!hosts.isEmpty()) {
            builder.hosts(hosts);
        }
        clientSans.forEach(builder::clientSan);
        if (days < 1) {
            throw new IllegalArgumentException("--days must be at least 1: " + days);
        }
        DevCertificates.Options options = builder.build(); // a bad value is an IllegalArgumentException: exit 2
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out is not a directory: " + out);
        }
        DevCertificates.Written written;
        try {
            written = DevCertificates.write(out, options);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("refusing to overwrite " + e.getFile() + " (" + e.getReason()
                    + "); use --force to replace them", e);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf("wrote %s (CA certificate: %s)%n", written.caCert(), DevCertificates.CA_SUBJECT);
        o.printf("wrote %s (CA private key)%n", written.caKey());
        o.printf("wrote %s (server certificate for %s)%n", written.serverCert(), String.join(", ", options.hosts()));
        o.printf("wrote %s (server private key)%n", written.serverKey());
        o.printf("wrote %s (server key and chain, PKCS#12, alias %s)%n", written.serverP12(),
                DevCertificates.SERVER_ALIAS);
        o.printf("wrote %s (client certificate for CN=%s)%n", written.clientCert(), options.clientName());
        o.printf("wrote %s (client private key)%n", written.clientKey());
        o.printf("wrote %s (client key and chain, PKCS#12, alias %s)%n", written.clientP12(),
                DevCertificates.CLIENT_ALIAS);
        o.printf("valid until %s; throw-away, for local testing only%n", options.validUntil());
        o.println(hint(written));
        o.flush();
        return ExitCode.OK.code;
    }

    /** One line saying where each file goes. */
    static String hint(DevCertificates.Written w) {
        return "use: server config tlsCert: " + w.serverCert() + ", tlsKey: " + w.serverKey() + ", tlsClientCa: "
                + w.caCert() + "; client --tls-ca " + w.caCert() + " --cert " + w.clientCert() + " --key "
                + w.clientKey();
    }
}
