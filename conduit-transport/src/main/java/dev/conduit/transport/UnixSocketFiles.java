package dev.conduit.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The file side of a Unix socket listener: a stale file before the bind, the mode and owner after it. */
final class UnixSocketFiles {
    private static final Logger log = LoggerFactory.getLogger(UnixSocketFiles.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocketFiles() {
    }

    /**
     * Makes way for a bind at {@code path}: removes a socket file nothing accepts on (left by a
     * process that died); refuses a file that is not a socket, and a socket that is in use.
     */
    static void clearStale(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new UncheckedIOException(new IOException("cannot listen on unix socket " + path
                    + ": the file exists and its type cannot be read: " + e.getMessage(), e));
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new UncheckedIOException(new IOException("cannot listen on unix socket " + path
                    + ": the file exists and is not a socket (it is left alone)"));
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new UncheckedIOException(new IOException("cannot listen on unix socket " + path
                    + ": another process is accepting connections on it"));
        } catch (ConnectException refused) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new UncheckedIOException(new IOException("cannot remove the stale unix socket " + path
                        + ": " + e.getMessage(), e));
            }
            log.info("removed stale unix socket {} (nothing was accepting on it)", path);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot listen on unix socket " + path
                    + ": probing the existing socket failed: " + e.getMessage(), e));
        }
    }

    /** Applies the socket's mode, owner and group to its freshly bound file. */
    static void applyAttributes(UnixSocket socket) {
        Path path = socket.path();
        try {
            if (socket.permissions() != null) {
                Files.setPosixFilePermissions(path, socket.permissions());
            }
            if (socket.owner() != null || socket.group() != null) {
                PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
                UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
                if (socket.owner() != null) {
                    view.setOwner(users.lookupPrincipalByName(socket.owner()));
                }
                if (socket.group() != null) {
                    view.setGroup(users.lookupPrincipalByGroupName(socket.group()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot set the mode or owner of unix socket " + path
                    + ": " + e, e));
        }
    }

    /** Removes the socket file when the listener closes (the channel may have done it already). */
    static void remove(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove unix socket {}: {}", path, e.toString());
        }
    }
}
