package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where the reads go ({@link Reader}) follows {@link Sender#steadyLoop}: the loop the send rounds keep running on. */
class SenderSteadyLoopTest {
    @SuppressWarnings("unchecked")
    private static final RedisAsyncCommands<String, byte[]> UNUSED = (RedisAsyncCommands<String, byte[]>)
            Proxy.newProxyInstance(SenderSteadyLoopTest.class.getClassLoader(),
                    new Class<?>[] {RedisAsyncCommands.class}, (proxy, method, args) -> {
                        throw new UnsupportedOperationException(method.getName());
                    });

    private final Thread a = new Thread(() -> { }, "loop-a");
    private final Thread b = new Thread(() -> { }, "loop-b");
    private final Thread control = new Thread(() -> { }, "control");

    private Sender sender() {
        Sender sender = new Sender("n1", 1, ClusterTuning.DEFAULT, UNUSED,
                new ClusterMetrics(new SimpleMeterRegistry(), System::nanoTime), System::nanoTime, () -> true);
        sender.onLoops(Map.of(a, UNUSED, b, UNUSED));
        return sender;
    }

    @Test
    void aLoopIsSteadyOnceTheLastRoundsAllRanOnIt() {
        Sender sender = sender();
        assertThat(sender.steadyLoop()).isNull();
        for (int i = 1; i < Sender.STEADY_ROUNDS; i++) {
            sender.noteLoop(a);
        }
        assertThat(sender.steadyLoop()).isNull();
        sender.noteLoop(a);
        assertThat(sender.steadyLoop()).isSameAs(a);
        for (int i = 0; i < 100; i++) {
            sender.noteLoop(a);
        }
        assertThat(sender.steadyLoop()).isSameAs(a);
    }

    @Test
    void aRoundOnAnotherLoopStartsTheCountAgain() {
        Sender sender = sender();
        for (int i = 0; i < Sender.STEADY_ROUNDS; i++) {
            sender.noteLoop(a);
        }
        sender.noteLoop(b);
        assertThat(sender.steadyLoop()).isNull();
        for (int i = 1; i < Sender.STEADY_ROUNDS; i++) {
            sender.noteLoop(b);
        }
        assertThat(sender.steadyLoop()).isSameAs(b);
    }

    @Test
    void roundsOffTheLoopsLeaveItAsItWas() {
        Sender sender = sender();
        for (int i = 0; i < Sender.STEADY_ROUNDS; i++) {
            sender.noteLoop(a);
        }
        sender.noteLoop(control); // the control thread's rounds (a session move's steps) have no loop
        assertThat(sender.steadyLoop()).isSameAs(a);
        Sender fresh = sender();
        for (int i = 0; i < 2 * Sender.STEADY_ROUNDS; i++) {
            fresh.noteLoop(control);
        }
        assertThat(fresh.steadyLoop()).isNull();
    }
}
