package dev.nbdref.cli;

import dev.nbdref.bochs.BochsDisk;
import dev.nbdref.bochs.BochsFormatException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nbdref bochs check IMAGE [--strict]}: exit 0 when the image is readable under the mode's rules, else 1. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validate a Bochs image against the rules of spec/bochs-rules.json.",
                "Exit 0: valid (one line on stdout); 1: invalid (kind, rule and reason on stderr)."})
final class BochsCheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Mixin
    BochsCommand.Reading reading = new BochsCommand.Reading();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (BochsDisk disk = BochsDisk.open(image, reading.base, reading.options())) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(image + ": valid (" + reading.options().mode().name().toLowerCase(java.util.Locale.ROOT)
                    + "), " + disk.image().header().subtype().text() + ", " + disk.size() + " bytes, "
                    + disk.image().allocatedExtents() + " of " + disk.image().geometry().usedEntries()
                    + " extents allocated");
            for (String note : disk.image().notes()) out.println("  note: " + note);
            out.flush();
            return 0;
        } catch (BochsFormatException e) {
            return BochsCommand.invalid(spec.commandLine().getErr(), "check", image, e);
        }
    }
}
