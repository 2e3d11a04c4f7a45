package dev.nbdref.cli;

import dev.nbdref.bochs.BochsFormatException;
import dev.nbdref.bochs.Mode;
import dev.nbdref.bochs.ReadOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code nbdref bochs VERB ...}: Bochs Growing images and redologs. Exit status: 0 done (or valid), 1 the
 * image breaks a rule (the kind, rule ID and reason on stderr), 2 bad usage or an I/O failure.
 */
@Command(name = "bochs", mixinStandardHelpOptions = true,
        description = {"Inspect, check, convert and create Bochs images (Growing, Undoable and Volatile redologs),",
                "and generate the fuzzed fixture corpus. Rules: spec/bochs-rules.json."},
        subcommands = {BochsInfoCommand.class, BochsCheckCommand.class, BochsConvertCommand.class,
                BochsCreateCommand.class, BochsFixturesCommand.class})
final class BochsCommand implements Callable<Integer> {

    /** An image that breaks a rule. */
    static final int INVALID = 1;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** Reports a broken rule in one line, without a stack trace, and returns {@link #INVALID}. */
    static int invalid(PrintWriter err, String verb, Path image, BochsFormatException e) {
        err.println("nbdref bochs " + verb + ": " + image + ": invalid: " + e.describe());
        err.flush();
        return INVALID;
    }

    /** The options every reading verb shares. */
    static final class Reading {
        @Option(names = "--strict", description = "Accept only images as Bochs writes them (default: lenient, as qemu reads).")
        boolean strict;

        @Option(names = "--base", paramLabel = "FILE",
                description = "The flat base image of an Undoable or Volatile redolog (default: the redolog's name without .redolog).")
        Path base;

        @Option(names = "--v1-heuristic",
                description = "For version 1 headers, read the disk size at offset 88 when offset 84 cannot be right.")
        boolean v1Heuristic;

        ReadOptions options() {
            return new ReadOptions(strict ? Mode.STRICT : Mode.LENIENT, v1Heuristic);
        }
    }
}
