package dev.nbdref.tls;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.GeneralName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code nbdref pki init}: a CA, a server certificate, client certificates and a PSK keys file, in the layout the
 * NBD peers read directly: the directory serves as qemu's {@code tls-creds-x509,dir=} (server and client
 * endpoint), nbdkit's and nbdref's {@code --tls-x509/--tls-certificates}, libnbd's {@code tls-certificates=} and
 * {@code tls-psk-file=}, nbd-client's {@code -A/-F/-K}, and qemu's {@code tls-creds-psk,dir=} (keys.psk).
 * Everything is generated in memory first and nothing is written if any target exists (unless forced), so a
 * failed run never leaves a half-replaced PKI.
 */
public final class PkiGenerator {

    public enum KeyType { RSA, EC }

    /** The client every PKI has, at the top of the directory: CN=client. */
    public static final String DEFAULT_CLIENT = "client";
    public static final String DEFAULT_PSK_IDENTITY = "client";
    public static final String PSK_FILE = "keys.psk";
    /** Per extra client: DIR/clients/NAME/ holds that client's credentials and the CA, a complete client dir. */
    public static final String CLIENTS_DIR = "clients";

    private static final int PSK_BYTES = 32;
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /**
     * @param serverNames  extra DNS names or IP addresses for the server certificate (localhost, 127.0.0.1 and ::1
     *                     are always there); the first becomes its CN, else localhost
     * @param extraClients names of further client certificates (CN=name), each in clients/NAME/
     * @param pskIdentity  the identity in keys.psk
     * @param caName       the CA's common name, or null for "nbdref CA" and a random suffix (which tells two PKIs
     *                     apart in error messages; a shared name makes an impostor CA for rejection tests)
     * @param days         validity of every certificate
     * @param force        replace existing files
     */
    public record Options(List<String> serverNames, List<String> extraClients, String pskIdentity, String caName,
                          KeyType keyType, int days, boolean force) {
        public Options {
            serverNames = List.copyOf(serverNames);
            extraClients = List.copyOf(extraClients);
        }
    }

    /** One file written, and what it is for. */
    public record WrittenFile(Path path, String description) {
    }

    private record PlannedFile(Path path, String content, Set<PosixFilePermission> permissions, String description) {
    }

    private PkiGenerator() {
    }

    public static List<WrittenFile> init(Path dir, Options options) throws IOException {
        validate(options);
        List<PlannedFile> plan = plan(dir, options);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IOException(dir + " exists and is not a directory");
        List<String> existing = new ArrayList<>();
        for (PlannedFile f : plan) if (Files.exists(f.path())) existing.add(f.path().toString());
        if (!existing.isEmpty() && !options.force()) {
            throw new IOException("refusing to overwrite " + String.join(", ", existing) + " (use --force to replace them)");
        }
        List<WrittenFile> written = new ArrayList<>();
        for (PlannedFile f : plan) {
            Files.createDirectories(f.path().getParent());
            PemFiles.write(f.path(), f.content(), f.permissions(), options.force());
            written.add(new WrittenFile(f.path(), f.description()));
        }
        return written;
    }

    private static List<PlannedFile> plan(Path dir, Options options) throws IOException {
        CertificateIssuer issuer = new CertificateIssuer(Instant.now(), Duration.ofDays(options.days()));
        CertificateIssuer.KeyType keyType = CertificateIssuer.KeyType.valueOf(options.keyType().name());
        List<PlannedFile> plan = new ArrayList<>();

        KeyPair caKeys = issuer.newKeyPair(keyType);
        String caName = options.caName() != null ? options.caName() : "nbdref CA " + HexFormat.of().formatHex(randomBytes(4));
        X509Certificate ca = issuer.certificateAuthority(caKeys, caName);
        String caPem = certPem(ca);
        plan.add(new PlannedFile(dir.resolve(X509Credentials.CA_CERT), caPem, PemFiles.PUBLIC,
                "CA certificate CN=" + caName + " (clients trust it; the server checks client certificates with it)"));
        plan.add(keyFile(dir.resolve("ca-key.pem"), caKeys, "CA private key (signs certificates; keep it safe)"));

        List<String> names = serverNames(options.serverNames());
        String serverCn = options.serverNames().isEmpty() ? "localhost" : options.serverNames().get(0);
        KeyPair serverKeys = issuer.newKeyPair(keyType);
        X509Certificate server = issuer.server(serverKeys.getPublic(), serverCn, altNames(names), ca, caKeys.getPrivate());
        plan.add(new PlannedFile(dir.resolve(X509Credentials.SERVER_CERT), certPem(server), PemFiles.PUBLIC,
                "server certificate CN=" + serverCn + ", names " + String.join(" ", names)));
        plan.add(keyFile(dir.resolve(X509Credentials.SERVER_KEY), serverKeys, "server private key"));

        addClient(plan, dir, DEFAULT_CLIENT, issuer, keyType, ca, caKeys.getPrivate(), null);
        for (String name : options.extraClients()) {
            addClient(plan, dir.resolve(CLIENTS_DIR).resolve(name), name, issuer, keyType, ca, caKeys.getPrivate(), caPem);
        }

        String psk = options.pskIdentity() + ":" + HexFormat.of().formatHex(randomBytes(PSK_BYTES)) + "\n";
        plan.add(new PlannedFile(dir.resolve(PSK_FILE), psk, PemFiles.SECRET,
                "PSK keys file, identity " + options.pskIdentity()));
        return plan;
    }

    /** @param caPem written beside the client's files when non-null, so that directory is a complete client dir */
    private static void addClient(List<PlannedFile> plan, Path dir, String name, CertificateIssuer issuer,
                                  CertificateIssuer.KeyType keyType, X509Certificate ca, PrivateKey caKey, String caPem)
            throws IOException {
        KeyPair keys = issuer.newKeyPair(keyType);
        X509Certificate cert = issuer.client(keys.getPublic(), name, ca, caKey);
        String dn = cert.getSubjectX500Principal().getName();
        plan.add(new PlannedFile(dir.resolve("client-cert.pem"), certPem(cert), PemFiles.PUBLIC,
                "client certificate " + dn + " (its DN is what --tls-authz lists)"));
        plan.add(keyFile(dir.resolve("client-key.pem"), keys, "client private key for " + dn));
        if (caPem != null) {
            plan.add(new PlannedFile(dir.resolve(X509Credentials.CA_CERT), caPem, PemFiles.PUBLIC, "CA certificate (copy)"));
        }
    }

    private static void validate(Options o) throws IOException {
        for (String name : o.serverNames()) {
            if (!isIpLiteral(name) && !DNS_NAME.matcher(name).matches()) {
                throw new IOException("--name " + name + " is neither a DNS name nor an IP address");
            }
        }
        Set<String> clients = new LinkedHashSet<>();
        for (String client : o.extraClients()) {
            if (!CLIENT_NAME.matcher(client).matches()) {
                throw new IOException("--client " + client + ": use letters, digits, '.', '_' and '-' (it names a directory)");
            }
            if (client.equals(DEFAULT_CLIENT)) {
                throw new IOException("--client " + client + ": that client is always generated (client-cert.pem)");
            }
            if (!clients.add(client)) throw new IOException("--client " + client + " is given twice");
        }
        String id = o.pskIdentity();
        if (id == null || id.isEmpty() || id.contains(":") || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IOException("--psk-identity must be printable ASCII without spaces or ':' (the keys file separator)");
        }
        if (o.caName() != null && (o.caName().isBlank() || !o.caName().chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
            throw new IOException("--ca-name must be printable ASCII and not blank");
        }
        if (o.days() < 1 || o.days() > 36500) throw new IOException("--days must be between 1 and 36500");
    }

    /** localhost, 127.0.0.1 and ::1 first (what the tests and the printed nbds:// URIs use), then the given ones. */
    private static List<String> serverNames(List<String> given) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        names.addAll(given);
        return new ArrayList<>(names);
    }

    private static List<GeneralName> altNames(List<String> names) throws IOException {
        List<GeneralName> out = new ArrayList<>();
        for (String name : names) {
            out.add(isIpLiteral(name)
                    ? new GeneralName(GeneralName.iPAddress, new DEROctetString(ipBytes(name)))
                    : new GeneralName(GeneralName.dNSName, name));
        }
        return out;
    }

    /**
     * Decided without a DNS lookup: InetAddress parses (and never looks up) strings that start with a hex digit
     * or ':', so only strings made of hex digits, '.' and ':' reach it.
     */
    private static boolean isIpLiteral(String name) {
        if (IPV4.matcher(name).matches()) {
            for (String octet : name.split("\\.")) if (Integer.parseInt(octet) > 255) return false;
            return true;
        }
        if (!name.contains(":") || !IPV6_CHARS.matcher(name).matches()) return false;
        try {
            ipBytes(name);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] ipBytes(String literal) throws IOException {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IOException(literal + " is not an IP address", e);
        }
    }

    private static PlannedFile keyFile(Path path, KeyPair keys, String description) {
        return new PlannedFile(path, PemFiles.privateKeyPem(keys), PemFiles.SECRET, description);
    }

    private static String certPem(X509Certificate cert) throws IOException {
        try {
            return PemFiles.pem("CERTIFICATE", cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IOException("cannot encode a certificate: " + e, e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
