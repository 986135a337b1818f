package dev.conduit.transport;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A Unix domain socket for a server to listen on: its file, and who may connect.
 *
 * <p>Binding creates the file. One left behind by a process that died (nothing accepts on it) is
 * removed first; a file that is not a socket, or a socket another process still accepts on, is
 * left alone and the bind fails, naming it. Closing the listener removes the file. The mode,
 * owner and group are set right after the bind, so for that moment the file has the mode the
 * process's umask gives; put the socket in a directory only the intended users can reach when that
 * moment matters.
 *
 * @param path        the socket file
 * @param permissions its mode; null to keep what the umask gives
 * @param owner       user name to give the file; null to keep the process's
 * @param group       group name to give the file; null to keep the process's
 */
public record UnixSocket(Path path, @Nullable Set<PosixFilePermission> permissions, @Nullable String owner,
                         @Nullable String group) {

    public UnixSocket {
        Objects.requireNonNull(path, "path");
        if (path.toString().isEmpty()) {
            throw new IllegalArgumentException("a unix socket needs a file name");
        }
        permissions = permissions == null ? null : Set.copyOf(permissions);
        if (owner != null && owner.isBlank()) {
            throw new IllegalArgumentException("owner must not be blank");
        }
        if (group != null && group.isBlank()) {
            throw new IllegalArgumentException("group must not be blank");
        }
    }

    /** The socket file with the mode, owner and group the umask and the process give. */
    public static UnixSocket at(Path path) {
        return new UnixSocket(path, null, null, null);
    }

    /** This socket with the given mode, as octal text ({@code 660}, {@code 0600}). */
    public UnixSocket withMode(String octal) {
        return new UnixSocket(path, parseMode(octal), owner, group);
    }

    /** This socket with the given owner and group (either null to keep it). */
    public UnixSocket withOwner(@Nullable String owner, @Nullable String group) {
        return new UnixSocket(path, permissions, owner, group);
    }

    /**
     * Reads a file mode in octal, three or four digits ({@code 660}, {@code 0660}); the set-id and
     * sticky bits are not file permissions and are refused.
     *
     * @throws IllegalArgumentException naming the text
     */
    public static Set<PosixFilePermission> parseMode(String octal) {
        String t = octal == null ? "" : octal.trim();
        if (!t.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException("expected an octal file mode such as 660 or 0600: '" + octal + "'");
        }
        int mode = Integer.parseInt(t, 8);
        StringBuilder rwx = new StringBuilder(9);
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            rwx.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(rwx.toString());
    }
}
