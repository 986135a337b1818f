package dev.conduit.transport;

/** Messages for TLS failures, which providers wrap ("General OpenSslEngine problem") around the real reason. */
public final class TlsErrors {
    private TlsErrors() {
    }

    /** The exception's message, followed by its root cause's when that says something more. */
    public static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return root == e || root.getMessage() == null || m.contains(root.getMessage()) ? m : m + ": " + root.getMessage();
    }
}
