package dev.conduit.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where a failure becomes the line a person reads: the library's and the operating
 * system's wording (errno numbers, Netty method names, Jackson's source dumps) is replaced by plain
 * language with a hint at what to do. Messages never carry secret values: the server's
 * configuration leaves them out, and nothing here adds any.
 */
final class Errors {
    private Errors() {
    }

    /** A fragment of a library's message, and what a person is told instead. */
    private record Rule(Pattern pattern, String replacement) {
        Rule(String regex, String replacement) {
            this(Pattern.compile(regex), replacement);
        }
    }

    private static final List<Rule> RULES = List.of(
            // Netty's native transport (errno 111) and the JDK's NIO say "refused" each their own way.
            new Rule("(?:finishConnect\\(\\.\\.\\) failed with error\\(-111\\): )?Connection refused(?:: \\S+)?",
                    "connection refused (is a server running there? start one with 'conduit server', or point "
                            + "--server or CONDUIT_SERVER at one)"),
            new Rule("Invalid handshake response getStatus: 404[^;]*",
                    "the server answered HTTP 404: nothing takes WebSocket connections at that path (a Conduit "
                            + "server's is /conduit: ws://HOST:PORT/conduit)"),
            new Rule("Invalid handshake response getStatus: (\\d+)[^;]*",
                    "the server answered HTTP $1 instead of accepting the WebSocket connection"),
            new Rule("(?:bind\\(\\.\\.\\) failed with error\\(-98\\): )?Address already in use(?: \\S+)?",
                    "the address is already in use (is another server running? choose another port, or 0 "
                            + "for any free one)"),
            // The TLS files are read when the listener starts: it is the file, not the address, at fault.
            new Rule("^cannot listen on \\S+: (cannot set up TLS from )", "$1"),
            new Rule("For input string: \"([^\"]*)\"(?:, under radix \\d+)?", "not a whole number: '$1'"),
            new Rule("(no WELCOME[^;]*)",
                    "$1 (if that is a server's HTTP port, connect with ws://HOST:PORT/conduit instead)"));

    /** The message for a failure a command let escape, in plain language. */
    static String describe(Throwable failure) {
        String message = firstMessage(failure);
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof NoSuchFileException missing) {
                return "file not found: " + missing.getFile() + context(failure, missing);
            }
        }
        for (Rule rule : RULES) {
            message = rule.pattern().matcher(message).replaceAll(rule.replacement());
        }
        return message;
    }

    /** A YAML file that does not parse: {@code file:line:column: problem}, without Jackson's source dump. */
    static String yaml(Path file, JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? file.toString()
                : file + ":" + at.getLineNr() + ":" + at.getColumnNr();
        String problem = e.getOriginalMessage() == null ? "not valid YAML" : withoutSnippets(e.getOriginalMessage());
        return where + ": " + problem;
    }

    /**
     * The YAML parser's problem without its quotes of the source: each {@code in 'reader', line L,
     * column C:} is followed by the line and a caret under the column, which the location says already.
     */
    private static String withoutSnippets(String message) {
        List<String> kept = new java.util.ArrayList<>();
        String[] lines = message.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith("in '")) {
                i += 2; // the quoted source line and its caret
            } else if (!line.isEmpty()) {
                kept.add(line);
            }
        }
        return kept.isEmpty() ? oneLine(message) : String.join(": ", kept);
    }

    private static String firstMessage(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return failure.getClass().getSimpleName();
    }

    /** What the top-level message said besides the missing file, when it says more. */
    private static String context(Throwable top, NoSuchFileException missing) {
        String m = top.getMessage();
        if (top == missing || m == null || m.isBlank() || m.contains(String.valueOf(missing.getFile()))) {
            return "";
        }
        Matcher rest = Pattern.compile("^([^:]+):").matcher(m);
        return rest.find() ? " (" + rest.group(1).strip() + ")" : "";
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
