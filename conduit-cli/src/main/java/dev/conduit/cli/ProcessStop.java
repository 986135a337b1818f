package dev.conduit.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lets a command that ends cleanly when its thread is interrupted end the same way when the process
 * is told to stop (SIGINT, SIGTERM), and still choose the process's exit code.
 *
 * <p>Java offers no supported signal handler, only shutdown hooks, and a JVM stopped by a signal
 * exits with the signal's status (130, 143) whatever {@code System.exit} says afterwards. So a
 * command that cares calls {@link #arm()}: a shutdown hook then interrupts the command's thread,
 * waits up to {@value #WAIT_SECONDS} seconds for {@link Main#main} to report the exit code ({@link
 * #exit}), by which time everything the command prints has been printed, and halts the JVM with it.
 * Without a report in time the JVM exits as the signal would have it.
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

    /** The command has ended with this code: if the JVM is stopping, it exits with it now. */
    void exit(int code) {
    }

    private static final class Active extends ProcessStop {
        private final Thread command;
        private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        private final Thread hook;
        private boolean armed;

        Active(Thread command) {
            this.command = command;
            this.hook = new Thread(this::stopping, "conduit-stop");
        }

        private void stopping() {
            command.interrupt();
            try {
                int code = exitCode.get(WAIT_SECONDS, TimeUnit.SECONDS);
                Runtime.getRuntime().halt(code);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                // Not told in time: let the JVM exit as the signal would.
            }
        }

        @Override
        synchronized void arm() {
            if (!armed) {
                armed = true;
                Runtime.getRuntime().addShutdownHook(hook);
            }
        }

        @Override
        synchronized void exit(int code) {
            exitCode.complete(code);
            if (armed) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // The JVM is stopping: the hook has the code and halts with it.
                }
            }
        }
    }
}
