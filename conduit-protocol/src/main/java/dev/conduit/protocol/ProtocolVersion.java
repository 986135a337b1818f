package dev.conduit.protocol;

/** The protocol versions this code speaks. */
public final class ProtocolVersion {
    /** The first and, so far, only version. */
    public static final int V1 = 1;
    /** Oldest version this code accepts. */
    public static final int MIN = V1;
    /** Newest version this code accepts. */
    public static final int MAX = V1;

    private ProtocolVersion() {
    }

    /**
     * The version to use when the peer speaks {@code [peerMin, peerMax]}: the highest both speak, or
     * -1 if the ranges do not meet.
     */
    public static int negotiate(int peerMin, int peerMax) {
        int v = Math.min(peerMax, MAX);
        return v >= Math.max(peerMin, MIN) ? v : -1;
    }
}
