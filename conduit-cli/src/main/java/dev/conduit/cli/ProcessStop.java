package dev.conduit.cli;

import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * Lets a client command stop cleanly when the process is told to stop (Ctrl-C's SIGINT, SIGTERM):
 * the signal interrupts the command's thread, the command closes its client (which says goodbye
 * with GOAWAY, so the server ends the session at once instead of keeping it for a resume and
 * counting it lost later), prints what it has to print, and the process then exits with the
 * signal's conventional status: 130 after SIGINT, 143 after SIGTERM. A command that found a loss
 * (exit 6 or 7) exits with that code instead, since that is what a script needs to know.
 *
 * <p>Java has no supported signal API; {@code sun.misc.Signal} (module jdk.unsupported) is the one
 * every JDK ships and the only way to tell SIGINT from SIGTERM. If the command has not ended
 * {@value #WAIT_SECONDS} seconds after the signal, the process halts with the signal's status.
 *
 * <p>Only {@link Main#main} makes an active one; in-process runs ({@link Main#run}) use {@link
 * #NONE}, which never touches the JVM.
 */
class ProcessStop {
    static final long WAIT_SECONDS = 10;

    /** For in-process runs: arming does nothing. */
    static final ProcessStop NONE = new ProcessStop();

    private ProcessStop() {
    }

    /** One that acts on the JVM, for the command running on the calling thread. */
    static ProcessStop forCurrentThread() {
        return new Active(Thread.currentThread());
    }

    /** From now on, SIGINT or SIGTERM interrupts the command's thread instead of ending the JVM outright. */
    void arm() {
    }

    /** The exit status for a command that ended with {@code code}: the signal's, if one stopped it. */
    int exitStatus(int code) {
        return code;
    }

    /** What a command's exit code becomes when a signal with this number stopped it. */
    static int afterSignal(int code, int signal) {
        if (code == ExitCode.SEQUENCE_ERRORS.code || code == ExitCode.UNCONFIRMED.code) {
            return code;
        }
        return 128 + signal;
    }

    private static final class Active extends ProcessStop {
        private final Thread command;
        private volatile int signal;
        private boolean armed;

        Active(Thread command) {
            this.command = command;
        }

        @Override
        synchronized void arm() {
            if (armed) {
                return;
            }
            armed = true;
            for (String name : new String[] {"INT", "TERM"}) {
                Signal.handle(new Signal(name), this::stopping);
            }
        }

        private void stopping(Signal s) {
            if (signal != 0) {
                return; // a second Ctrl-C while stopping: the watchdog below is already running
            }
            signal = s.getNumber();
            command.interrupt();
            Thread watchdog = new Thread(() -> {
                try {
                    TimeUnit.SECONDS.sleep(WAIT_SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                Runtime.getRuntime().halt(128 + signal); // the command did not end in time
            }, "conduit-stop-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        @Override
        int exitStatus(int code) {
            int s = signal;
            return s == 0 ? code : afterSignal(code, s);
        }
    }
}
