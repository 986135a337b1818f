package dev.conduit.benchmarks;

/** The workloads both clients run the same way (Conduit's and jnats's), so a profile can run either. */
interface Workloads {
    /** W1, W2, W5: a one-way stream to {@code subscribers} (a queue group if {@code queue} is not null). */
    double[] stream(int count, int size, int subscribers, String queue, Deadline deadline) throws Exception;

    /** W3: one request in flight at a time. */
    double[] pingPong(int count, int size, Deadline deadline) throws Exception;

    /** W4: {@code inflight} requests in flight. */
    double[] pipelined(int count, int inflight, int size, Deadline deadline) throws Exception;
}
