package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The subject rules of docs/protocol.md section 8. The error messages are checked whole: they go
 * back to the peer in ERROR 422, and a client author reads them to find what was wrong.
 */
class SubjectsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "orders.eu.created", "ü.日本.😀", "_INBOX.x-y.1", "a-b_c.d", "#.$.%", "A.B",
            "a\u00a0b", "a\u0085b"}) // no-break space and NEL are not whitespace to Character.isWhitespace
    void validSubjects(String subject) {
        assertThat(Subjects.checkSubject(subject, 512)).isEqualTo(subject);
        assertThat(Subjects.checkPattern(subject, 512)).isEqualTo(subject);
        assertThat(Subjects.hasWildcard(subject)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", ">", "a.*", "a.>", "*.b.>", "a.*.c", "*.*", "ü.*.>"})
    void validPatterns(String pattern) {
        assertThat(Subjects.checkPattern(pattern, 512)).isEqualTo(pattern);
        assertThat(Subjects.hasWildcard(pattern)).isTrue();
    }

    @Test
    void invalidSubjectsSayExactlyWhatIsWrong() {
        assertSubject("", "subject must not be empty");
        assertSubject(null, "subject must not be empty");
        assertSubject("a..b", "invalid subject 'a..b': empty token at index 2");
        assertSubject(".a", "invalid subject '.a': empty token at index 0");
        assertSubject("a.", "invalid subject 'a.': empty token at index 2");
        assertSubject(".", "invalid subject '.': empty token at index 0");
        assertSubject("a b", "invalid subject 'a b': character ' ' at index 1 is not allowed");
        assertSubject("a\tb", "invalid subject 'a\tb': character '\\u0009' at index 1 is not allowed");
        assertSubject("a\u007fb", "invalid subject 'a\u007fb': character '\\u007f' at index 1 is not allowed");
        assertSubject("a\u3000b", "invalid subject 'a\u3000b': character '\u3000' at index 1 is not allowed");
        assertSubject("a.*", "invalid subject 'a.*': wildcard '*' is only allowed in subscription patterns");
        assertSubject("a.>", "invalid subject 'a.>': wildcard '>' is only allowed in subscription patterns");
        assertSubject("a.>.b", "invalid subject 'a.>.b': wildcard '>' is only allowed in subscription patterns");
        assertSubject("a*", "invalid subject 'a*': '*' at index 1 must be a whole token");
        assertSubject("abc", 2, "subject 'abc' is longer than 2 bytes");
        assertSubject("ü", 1, "subject 'ü' is longer than 1 bytes");
        String longSubject = "x".repeat(100);
        assertSubject(longSubject, 99, "subject '" + "x".repeat(77) + "...' is longer than 99 bytes");
    }

    @Test
    void invalidPatternsSayExactlyWhatIsWrong() {
        assertPattern("", "pattern must not be empty");
        assertPattern("a.>.b", "invalid pattern 'a.>.b': '>' must be the last token");
        assertPattern(">.a", "invalid pattern '>.a': '>' must be the last token");
        assertPattern("a*", "invalid pattern 'a*': '*' at index 1 must be a whole token");
        assertPattern("a.b>", "invalid pattern 'a.b>': '>' at index 3 must be a whole token");
        assertPattern("*a.b", "invalid pattern '*a.b': '*' at index 0 must be a whole token");
        assertPattern("a.*.", "invalid pattern 'a.*.': empty token at index 4");
        assertPattern("a. ", "invalid pattern 'a. ': character ' ' at index 2 is not allowed");
    }

    @Test
    void queueGroupNames() {
        assertThat(Subjects.checkQueueGroup("workers", 512)).isEqualTo("workers");
        assertThat(Subjects.checkQueueGroup("ü-1_x", 512)).isEqualTo("ü-1_x");
        // Documented difference from subjects: only ASCII whitespace and controls are refused.
        assertThat(Subjects.checkQueueGroup("a\u3000b", 512)).isEqualTo("a\u3000b");
        assertQueueGroup("", "queue group must not be empty");
        assertQueueGroup(null, "queue group must not be empty");
        assertQueueGroup("a.b", "invalid queue group 'a.b': character '.' at index 1 is not allowed");
        assertQueueGroup("a*", "invalid queue group 'a*': character '*' at index 1 is not allowed");
        assertQueueGroup(">", "invalid queue group '>': character '>' at index 0 is not allowed");
        assertQueueGroup("a b", "invalid queue group 'a b': character ' ' at index 1 is not allowed");
        assertQueueGroup("a\nb", "invalid queue group 'a\nb': character '\\u000a' at index 1 is not allowed");
        assertThatThrownBy(() -> Subjects.checkQueueGroup("abc", 2)).hasMessage("queue group 'abc' is longer than 2 bytes");
    }

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "a.b, a.b, true", "a.b, a, false", "a.b, a.b.c, false", "a.b, a.bb, false", "a.b, b.a, false",
            "a.*, a.b, true", "a.*, a.x, true", "a.*, a, false", "a.*, a.b.c, false",
            "*, a, true", "*, a.b, false",
            "*.b, a.b, true", "*.b, x.b, true", "*.b, b, false", "*.b, a.c, false", "*.b, a.b.c, false",
            "a.>, a.b, true", "a.>, a.b.c, true", "a.>, a, false", "a.>, b.a, false",
            ">, a, true", ">, a.b.c, true",
            "*.*.>, a.b.c, true", "*.*.>, a.b.c.d, true", "*.*.>, a.b, false",
            "a.*.c, a.b.c, true", "a.*.c, a.b.d, false", "a.*.c, a.c, false",
            "ü.>, ü.日本, true", "ü.>, u.x, false"})
    void matchingTruthTable(String pattern, String subject, boolean expected) {
        assertThat(Subjects.matches(pattern, subject)).isEqualTo(expected);
        assertThat(referenceMatch(pattern.split("\\."), 0, subject.split("\\."), 0)).isEqualTo(expected);
    }

    @Test
    void matchingAgreesWithATokenByTokenDefinitionOnRandomInputs() {
        Random random = new Random(3);
        String[] alphabet = {"a", "b", "c"};
        for (int i = 0; i < 50_000; i++) {
            String subject = join(random, alphabet, 1 + random.nextInt(5), false);
            String pattern = join(random, alphabet, 1 + random.nextInt(5), true);
            assertThat(Subjects.matches(pattern, subject)).as("%s ~ %s", pattern, subject)
                    .isEqualTo(referenceMatch(pattern.split("\\."), 0, subject.split("\\."), 0));
        }
    }

    @Test
    void hasWildcardLooksForWholeTokensOnly() {
        assertThat(Subjects.hasWildcard("a.b")).isFalse();
        assertThat(Subjects.hasWildcard("a.*")).isTrue();
        assertThat(Subjects.hasWildcard(">")).isTrue();
        assertThat(Subjects.hasWildcard("*.b")).isTrue();
    }

    /** Section 8 read literally: '*' consumes one token, '>' (last) one or more, others themselves. */
    private static boolean referenceMatch(String[] p, int pi, String[] s, int si) {
        if (pi == p.length) {
            return si == s.length;
        }
        if (p[pi].equals(">")) {
            return s.length - si >= 1;
        }
        if (si == s.length) {
            return false;
        }
        return (p[pi].equals("*") || p[pi].equals(s[si])) && referenceMatch(p, pi + 1, s, si + 1);
    }

    private static String join(Random random, String[] alphabet, int n, boolean wildcards) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            int r = random.nextInt(wildcards ? 5 : 3);
            sb.append(r < 3 ? alphabet[r] : r == 3 || i < n - 1 ? "*" : ">");
        }
        return sb.toString();
    }

    private static void assertSubject(String subject, String message) {
        assertSubject(subject, 512, message);
    }

    private static void assertSubject(String subject, int max, String message) {
        assertThatThrownBy(() -> Subjects.checkSubject(subject, max)).isInstanceOf(InvalidSubjectException.class)
                .hasMessage(message)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.INVALID_SUBJECT));
    }

    private static void assertPattern(String pattern, String message) {
        assertThatThrownBy(() -> Subjects.checkPattern(pattern, 512)).isInstanceOf(InvalidSubjectException.class)
                .hasMessage(message);
    }

    private static void assertQueueGroup(String group, String message) {
        assertThatThrownBy(() -> Subjects.checkQueueGroup(group, 512)).isInstanceOf(InvalidSubjectException.class)
                .hasMessage(message);
    }
}
