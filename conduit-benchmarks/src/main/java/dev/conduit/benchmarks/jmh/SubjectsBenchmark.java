package dev.conduit.benchmarks.jmh;

import dev.conduit.protocol.Subjects;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Subjects}: the syntax checks that every publish and subscribe goes through (on the client
 * before sending, on the server when decoding), and the reference matcher {@link Subjects#matches}
 * (not what the server routes with: that is its package-private trie, measured end to end by {@link
 * SubjectMatchBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SubjectsBenchmark {
    // Fields, not constants, so that the JIT cannot fold the checks away.
    public String subject = "orders.eu.west.created.12345";
    public String pattern = "orders.*.west.>";
    public String queueGroup = "order-workers";
    public int maxBytes = 512;

    @Benchmark
    public String checkSubject() {
        return Subjects.checkSubject(subject, maxBytes);
    }

    @Benchmark
    public String checkPattern() {
        return Subjects.checkPattern(pattern, maxBytes);
    }

    @Benchmark
    public String checkQueueGroup() {
        return Subjects.checkQueueGroup(queueGroup, maxBytes);
    }

    @Benchmark
    public boolean hasWildcard() {
        return Subjects.hasWildcard(pattern);
    }

    /** The reference definition of matching (splits both strings with a regular expression). */
    @Benchmark
    public boolean referenceMatches() {
        return Subjects.matches(pattern, subject);
    }
}
