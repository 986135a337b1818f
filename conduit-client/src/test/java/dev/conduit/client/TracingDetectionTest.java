package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * {@link Tracing} decides once whether the OpenTelemetry API is there: it is in this module's tests
 * (an optional dependency), and not for the same class loaded where only the client's own classes
 * are. The client at work without the API is conduit-testing's NoTracingTest; with the SDK,
 * conduit-system-tests' TracingTest.
 */
class TracingDetectionTest {

    @Test
    void enabledWhenTheApiIsOnTheClassPath() {
        assertThat(Tracing.ENABLED).isTrue();
    }

    @Test
    void disabledWhereTheApiCannotBeLoaded() throws Exception {
        URL clientClasses = Tracing.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader withoutApi = new URLClassLoader(new URL[] {clientClasses}, ClassLoader.getPlatformClassLoader())) {
            Class<?> isolated = Class.forName(Tracing.class.getName(), true, withoutApi);
            assertThat(isolated).isNotSameAs(Tracing.class);
            Field enabled = isolated.getDeclaredField("ENABLED");
            enabled.setAccessible(true);
            assertThat(enabled.getBoolean(null)).isFalse();
        }
    }
}
