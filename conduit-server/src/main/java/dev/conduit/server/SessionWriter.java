package dev.conduit.server;

import dev.conduit.transport.Queues;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of a session's outbound state ({@link SessionOutbound}, {@link SessionCredit}):
 * a serial executor whose tasks run one at a time, in the order handed over, on the thread of the
 * session's <em>owner</em> connection: the attached one, or while the session is detached the one
 * it was last attached to (whose event loop goes on running tasks after it closed).
 *
 * <p>Any thread hands it a task ({@link #execute}): the attached connection an ACK or a CREDIT, the
 * clock a stall check. A publisher's loop hands it a delivery ({@link #deliver}) as an item, a
 * {@link SessionOutbound.Delivery} (the subscription and the message) that the drain passes to
 * {@link SessionOutbound#deliverNow(SessionOutbound.Delivery)}, not as a task of its own: one
 * object per delivery instead of a capturing lambda. Tasks and items go into one multi-producer
 * queue, in the order handed over, and run in that order; whoever finds no drain scheduled
 * ({@link #scheduled}) hands one to the owner's thread. At most one drain exists at a time, so the tasks never run at once.
 * A delivery routed while its publisher's connection reads leaves that hand-off to the end of the
 * read ({@link ServerConnection#wakeAtReadEnd}): the drain stays claimed meanwhile, other producers
 * only queue, and the owner's thread is woken once per read.
 *
 * <p>Moving: a resume by a connection on another thread moves ownership from inside the drain
 * ({@link #moveTo}, the resume's own task, in order behind what was queued before it): the drain
 * stops on the old thread and goes on on the new owner's, starting with the step the move asked
 * for. A drain that finds it is not on the owner (handed over before a move) forwards itself,
 * running nothing. So the queue is never split and nothing is reordered.
 *
 * <p>The hand-off is bounded: the deliveries queued and not yet run count their payload bytes plus
 * {@value #OVERHEAD_BYTES} each ({@link #backlog}); past {@code maxPendingBytesPerSession} a
 * publisher that routes here stops reading ({@link ServerConnection#waitForCredit}, keyed by this
 * writer) until the drain has brought the backlog back under half of it.
 *
 * <p>{@link #check} is the test hook of the property: each use of the outbound state calls it, and
 * a use outside the drain is counted ({@link #offWriter}) and fails an assertion.
 */
final class SessionWriter {
    private static final Logger log = LoggerFactory.getLogger(SessionWriter.class);
    /** Tasks run per turn before the drain lets the owner's other connections have one. */
    private static final int BATCH = 1024;

    private final ServerSession session;
    /** Runnables, and deliveries ({@link SessionOutbound.Delivery}) for the session's outbound. */
    private final Queue<Object> tasks = Queues.mpsc();
    /** A drain is handed to a thread or running: only its holder polls {@link #tasks}. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Whose thread the drain runs on; written only inside the drain ({@link #moveTo}) and at construction. */
    private volatile ServerConnection owner;
    /** What the drain runs first on the new owner's thread after a move; inside the drain only. */
    private Runnable afterMove;
    /** The thread running the drain now, else null. */
    private volatile Thread writer;
    /** Test hooks: uses of the outbound state outside the drain, and changes of the drain's thread. */
    private final AtomicLong offWriter = new AtomicLong();
    private final AtomicLong threadChanges = new AtomicLong();
    private Thread lastThread;
    /** What a queued delivery counts for besides its payload. */
    static final int OVERHEAD_BYTES = 64;
    /** Bytes of deliveries queued and not yet run. */
    private final AtomicLong backlog = new AtomicLong();
    private final long maxBacklog;
    /** Publishers' connections not read until the backlog is back under half of {@link #maxBacklog}. */
    private final Set<ServerConnection> waiting = ConcurrentHashMap.newKeySet();
    /**
     * When the publish of a timed delivery sent in this turn was routed, else -1; inside the drain
     * only. Recorded as the delivery latency when the turn ends ({@link #timeDelivery}).
     */
    private long timedStart = -1;

    SessionWriter(ServerSession session, ServerConnection first) {
        this.session = session;
        this.owner = first;
        this.maxBacklog = session.config.maxPendingBytesPerSession();
    }

    /**
     * Hands over a delivery of {@code bytes} from {@code publisher}'s thread (null: the server's
     * own); past the bound, that publisher stops reading until the drain catches up.
     */
    void deliver(SessionOutbound.Delivery delivery, int bytes, ServerConnection publisher) {
        long queued = backlog.addAndGet(bytes + OVERHEAD_BYTES);
        tasks.offer(delivery);
        // One wake-up per read: while the publisher reads, the drain it would start is handed to
        // the end of its read (ServerConnection.wakeAtReadEnd), so the owner's thread is woken and
        // flushes once for the whole read instead of for whichever message came first.
        if (scheduled.compareAndSet(false, true) && (publisher == null || !publisher.wakeAtReadEnd(this))) {
            submit(owner);
        }
        if (queued > maxBacklog && publisher != null && waiting.add(publisher)) {
            publisher.waitForCredit(this);
            if (backlog.get() <= maxBacklog / 2 && waiting.remove(publisher)) {
                publisher.creditFreed(this); // the drain caught up meanwhile, perhaps before we were added
            }
        }
    }

    /** A delivery handed over with {@link #deliver} is run; in the drain. */
    void delivered(int bytes) {
        long queued = backlog.addAndGet(-(bytes + OVERHEAD_BYTES));
        if (queued <= maxBacklog / 2 && !waiting.isEmpty()) {
            for (ServerConnection c : waiting) {
                if (waiting.remove(c)) {
                    c.creditFreed(this);
                }
            }
        }
    }

    /**
     * Starts the drain that a {@link #deliver} left to the end of its publisher's read; called by
     * that publisher's connection once per read, holding {@link #scheduled} for it.
     */
    void wake() {
        submit(owner);
    }

    /** Hands {@code task} to the drain; any thread, never blocks. */
    void execute(Runnable task) {
        tasks.offer(task);
        if (scheduled.compareAndSet(false, true)) {
            submit(owner);
        }
    }

    private void submit(ServerConnection host) {
        try {
            host.connection.execute(() -> drain(host));
        } catch (RejectedExecutionException e) {
            // The owner's thread is shut down: the server is stopping, and its sessions with it.
            scheduled.set(false);
            log.debug("{}: outbound tasks not run, the owner's thread is shut down", session);
        }
    }

    private void drain(ServerConnection host) {
        if (owner != host) {
            submit(owner); // handed over before a move: run on the owner's thread instead
            return;
        }
        Thread t = Thread.currentThread();
        if (lastThread != t) {
            if (lastThread != null) {
                threadChanges.incrementAndGet();
            }
            lastThread = t;
        }
        ServerConnection next = null;
        writer = t;
        try {
            Runnable first = afterMove;
            if (first != null) {
                afterMove = null;
                run(first);
            }
            for (int i = 0; i < BATCH && next == null; i++) {
                Object task = tasks.poll();
                if (task == null) {
                    break;
                }
                run(task);
                if (owner != host) {
                    next = owner; // moved by that task: the rest runs on the new owner's thread
                }
            }
            if (timedStart >= 0) {
                // The turn's MESSAGEs are queued on the connection, which writes them next.
                session.server.metrics().delivered(session.config.clock().nanoTime() - timedStart);
                timedStart = -1;
            }
        } finally {
            writer = null;
        }
        if (next != null) {
            submit(next);
            return;
        }
        scheduled.set(false);
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
            submit(owner);
        }
    }

    private void run(Object task) {
        try {
            if (task instanceof Runnable r) {
                r.run();
            } else {
                session.outbound.deliverNow((SessionOutbound.Delivery) task);
            }
        } catch (RuntimeException | AssertionError e) {
            // Logged, and the drain goes on (an event loop does the same), so the session is not wedged.
            log.error("{}: outbound task failed", session, e);
        }
    }

    /**
     * Times a delivery whose MESSAGE this turn sent, for the publish routed at {@code startNanos}:
     * the latency is recorded when the turn ends, once, for the first such delivery; in the drain.
     * A clock read at the end of the turn instead of a task per sample.
     */
    void timeDelivery(long startNanos) {
        check();
        if (timedStart < 0) {
            timedStart = startNanos;
        }
    }

    /**
     * Makes {@code to} the owner; inside the drain. The drain goes on on its thread, first with
     * {@code then}.
     */
    void moveTo(ServerConnection to, Runnable then) {
        check();
        owner = to;
        afterMove = then;
    }

    /** Whether the caller is the drain: the one thread allowed to touch the outbound state now. */
    boolean inWriter() {
        return Thread.currentThread() == writer;
    }

    /** Counts (and, with assertions on, fails) a use of the outbound state outside the drain. */
    void check() {
        if (Thread.currentThread() != writer) {
            offWriter.incrementAndGet();
            assert false : "outbound state of " + session + " used outside its writer, on " + Thread.currentThread();
        }
    }

    /** Test hook: uses of the outbound state outside the drain (0 unless the design is broken). */
    long offWriterCount() {
        return offWriter.get();
    }

    /** Test hook: how often the drain ran on a different thread than the time before. */
    long threadChanges() {
        return threadChanges.get();
    }
}
