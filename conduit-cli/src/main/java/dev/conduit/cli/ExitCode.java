package dev.conduit.cli;

import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.NoRespondersException;
import dev.conduit.client.RequestTimeoutException;
import dev.conduit.protocol.InvalidSubjectException;
import dev.conduit.protocol.ProtocolException;

/** The exit codes of every command, in one place so that scripts can rely on them. */
enum ExitCode {
    OK(0, "success"),
    FAILED(1, "failure: denied by the server's permissions, connection closed, server error, or anything else"),
    USAGE(2, "bad usage, bad argument (such as an invalid subject) or bad server configuration"),
    CANNOT_CONNECT(3, "cannot connect to the server"),
    TIMEOUT(4, "no reply within the timeout"),
    NO_RESPONDERS(5, "nothing subscribes to the request's subject"),
    SEQUENCE_ERRORS(6, "sub --check-seq: messages lost (missing numbers, skipped by the server, or a lost session), "
            + "duplicated, out of order or unnumbered"),
    UNCONFIRMED(7, "pub: publishes the server did not confirm (session lost, or gave up reconnecting); "
            + "the count is printed"),
    SIGINT(130, "stopped by SIGINT (Ctrl-C), after closing cleanly; 6 or 7 instead if a loss was found"),
    SIGTERM(143, "stopped by SIGTERM, after closing cleanly; 6 or 7 instead if a loss was found");

    final int code;
    final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The code for a failure a command let escape. */
    static ExitCode of(Throwable failure) {
        return switch (failure) {
            case ConfigException e -> USAGE;
            case ConnectFailedException e -> CANNOT_CONNECT;
            case RequestTimeoutException e -> TIMEOUT;
            case NoRespondersException e -> NO_RESPONDERS;
            case InvalidSubjectException e -> USAGE;
            case ProtocolException e -> USAGE; // sizes checked before sending: the argument is at fault
            case IllegalArgumentException e -> USAGE;
            default -> FAILED;
        };
    }

    /** The table shown at the foot of {@code conduit --help}. */
    static String[] helpFooter() {
        ExitCode[] all = values();
        String[] lines = new String[all.length + 2];
        lines[0] = "";
        lines[1] = "Exit codes:";
        for (int i = 0; i < all.length; i++) {
            lines[i + 2] = "  " + all[i].code + "  " + all[i].meaning;
        }
        return lines;
    }
}
