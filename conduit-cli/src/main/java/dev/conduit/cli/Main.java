package dev.conduit.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code conduit} command. */
// scope INHERIT: every subcommand gets -h/--help too, which the one-line errors point to.
@Command(name = "conduit", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Conduit: messaging that keeps the parts of a distributed system talking.",
        subcommands = {ServerCommand.class, PubCommand.class, SubCommand.class, ReqCommand.class,
                ReplyCommand.class, BenchCommand.class, CertsCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // Client commands print payloads on stdout; keep their logs to warnings. Set before any logger exists.
        boolean server = args.length > 0 && args[0].equals("server");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", server ? "info" : "warn");
        }
        if (!server && System.getProperty("org.slf4j.simpleLogger.log.dev.conduit.client") == null) {
            // The commands report what the client library warns of (gaps, lost sessions, denials) in
            // their own words, once; the library's log lines would say it again, with internals.
            System.setProperty("org.slf4j.simpleLogger.log.dev.conduit.client", "error");
        }
        ProcessStop stop = ProcessStop.forCurrentThread();
        if (!server) {
            stop.arm(); // SIGINT and SIGTERM now stop the command cleanly: see ProcessStop
        }
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), stop,
                Progress.stderrIsTerminal());
        code = stop.exitStatus(code);
        if (!server || code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command line with the given streams and returns its exit code; never exits the JVM. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, ProcessStop.NONE);
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter)}; commands that stop on a signal use {@code stop}. */
    static int run(String[] args, PrintWriter out, PrintWriter err, ProcessStop stop) {
        return run(args, out, err, stop, false);
    }

    /**
     * As {@link #run(String[], PrintWriter, PrintWriter, ProcessStop)}; {@code errIsTerminal} says
     * whether {@code err} is a terminal, where {@code bench} shows its progress bar by default.
     */
    static int run(String[] args, PrintWriter out, PrintWriter err, ProcessStop stop, boolean errIsTerminal) {
        CommandLine cli = new CommandLine(new Main());
        for (CommandLine mode : cli.getSubcommands().get("bench").getSubcommands().values()) {
            if (mode.getCommand() instanceof BenchCommand.Mode m) {
                m.errIsTerminal = errIsTerminal;
            }
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.getCommandSpec().usageMessage().footer(ExitCode.helpFooter());
        // Every failure is one line on stderr, so that scripts and people see the reason, not a trace.
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine command = e.getCommandLine();
            String message = oneLine(String.valueOf(e.getMessage())).replaceFirst("^Error: ", "");
            fail(command, message + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
            return ExitCode.USAGE.code;
        });
        cli.setExecutionExceptionHandler((e, command, parseResult) -> {
            fail(command, oneLine(Errors.describe(e)));
            return ExitCode.of(e).code;
        });
        return cli.execute(args);
    }

    private static void fail(CommandLine command, String message) {
        command.getErr().println("conduit: " + message);
        command.getErr().flush();
    }

    private static String oneLine(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** The version from the jar's manifest, written by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"conduit " + (v == null ? "(development build)" : v)};
        }
    }
}
