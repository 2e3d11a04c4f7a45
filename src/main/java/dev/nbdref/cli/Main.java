package dev.nbdref.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The nbdref command line. */
@Command(name = "nbdref", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "A spec-driven NBD reference server and conformance kit.",
        subcommands = {ServeCommand.class, CheckClientCommand.class, BitmapCommand.class, PkiCommand.class, BochsCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        // Bad input is reported in one line, not as a stack trace.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("nbdref: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 2;
        });
        System.exit(cli.execute(args));
    }
}
