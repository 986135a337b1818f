package dev.conduit.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The headers of one message: an ordered list of name/value pairs, in which a name may repeat.
 * Immutable and safe to share between threads. Names are compared without regard to ASCII case, as
 * in HTTP, and keep the case they were given on the wire.
 *
 * <p>A name is 1 to 255 visible ASCII characters other than {@code ':'}; a value is any UTF-8 text
 * without CR, LF or NUL. The whole block, encoded, must fit the peer's {@code maxHeaderBytes}.
 */
public final class Headers {
    /** No headers. */
    public static final Headers EMPTY = new Headers(new String[0]);

    /** Name and value alternate: pairs[2i] is a name, pairs[2i + 1] its value. */
    private final String[] pairs;

    private Headers(String[] pairs) {
        this.pairs = pairs;
    }

    /** Headers from alternating names and values: {@code Headers.of("k1", "v1", "k2", "v2")}. */
    public static Headers of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must come in pairs: " + namesAndValues.length + " strings");
        }
        Builder b = builder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these headers, to add more. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.pairs.addAll(Arrays.asList(pairs));
        return b;
    }

    /** Number of name/value pairs. */
    public int size() {
        return pairs.length / 2;
    }

    public boolean isEmpty() {
        return pairs.length == 0;
    }

    public String name(int index) {
        return pairs[2 * index];
    }

    public String value(int index) {
        return pairs[2 * index + 1];
    }

    /** The first value of a name, or {@code null}. */
    public @Nullable String first(String name) {
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i].equalsIgnoreCase(name)) {
                return pairs[i + 1];
            }
        }
        return null;
    }

    /** Every value of a name, in order; empty if it has none. */
    public List<String> all(String name) {
        List<String> values = new ArrayList<>(2);
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i].equalsIgnoreCase(name)) {
                values.add(pairs[i + 1]);
            }
        }
        return Collections.unmodifiableList(values);
    }

    /** The distinct names, in the order they first appear. */
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < pairs.length; i += 2) {
            names.add(pairs[i]);
        }
        return Collections.unmodifiableSet(names);
    }

    public void forEach(BiConsumer<String, String> action) {
        for (int i = 0; i < pairs.length; i += 2) {
            action.accept(pairs[i], pairs[i + 1]);
        }
    }

    /**
     * Size of the encoded block without its 4-byte length prefix; 0 when empty. This is the size
     * that counts against the peer's {@code maxHeaderBytes}.
     */
    public int encodedLength() {
        if (pairs.length == 0) {
            return 0;
        }
        int len = 2;
        for (String s : pairs) {
            len += 2 + Utf8.length(s);
        }
        return len;
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            throw new HeadersTooLargeException("header name must be 1 to 255 characters: '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == ':') {
                throw new HeadersTooLargeException("header name '" + name + "' has a character that is not allowed at index " + i);
            }
        }
    }

    static void checkValue(String name, String value) {
        if (value == null) {
            throw new HeadersTooLargeException("header '" + name + "' has a null value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new HeadersTooLargeException("header '" + name + "' value has CR, LF or NUL at index " + i);
            }
        }
        if (value.length() > 0xFFFF || Utf8.length(value) > 0xFFFF) {
            throw new HeadersTooLargeException("header '" + name + "' value is longer than 65535 bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers h && Arrays.equals(pairs, h.pairs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pairs);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < pairs.length; i += 2) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(pairs[i]).append('=').append(pairs[i + 1]);
        }
        return sb.append('}').toString();
    }

    /** Collects headers in order. Not thread-safe. */
    public static final class Builder {
        private final List<String> pairs = new ArrayList<>();

        private Builder() {
        }

        /** Adds a pair after those already added, keeping any earlier values of the same name. */
        public Builder add(String name, String value) {
            checkName(name);
            checkValue(name, value);
            pairs.add(name);
            pairs.add(value);
            return this;
        }

        /** Removes every value of the name, then adds this one. */
        public Builder set(String name, String value) {
            checkName(name);
            checkValue(name, value);
            for (int i = pairs.size() - 2; i >= 0; i -= 2) {
                if (pairs.get(i).equalsIgnoreCase(name)) {
                    pairs.remove(i + 1);
                    pairs.remove(i);
                }
            }
            pairs.add(name);
            pairs.add(value);
            return this;
        }

        public Headers build() {
            if (pairs.size() / 2 > 0xFFFF) {
                throw new HeadersTooLargeException("more than 65535 headers: " + pairs.size() / 2);
            }
            return pairs.isEmpty() ? EMPTY : new Headers(pairs.toArray(new String[0]));
        }
    }

    /** Builds from already validated decoded pairs. */
    static Headers fromDecoded(String[] pairs) {
        return pairs.length == 0 ? EMPTY : new Headers(pairs);
    }
}
