package dev.nbdref.cli;

import dev.nbdref.bochs.BochsDisk;
import dev.nbdref.bochs.BochsFormatException;
import dev.nbdref.bochs.RawExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nbdref bochs convert IMAGE OUT.raw}: the virtual disk as a raw (sparse) file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Write the disk a Bochs image holds to a raw file (unallocated sectors become holes).",
                "Exit 1 when the image breaks a rule; nothing is left behind then."})
final class BochsConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Parameters(index = "1", paramLabel = "OUT.raw")
    Path out;

    @Mixin
    BochsCommand.Reading reading = new BochsCommand.Reading();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (BochsDisk disk = BochsDisk.open(image, reading.base, reading.options())) {
            refuseToOverwrite(disk.image().path());
            if (disk.basePath() != null) refuseToOverwrite(disk.basePath());
            RawExporter.export(disk, out);
            return 0;
        } catch (BochsFormatException e) {
            Files.deleteIfExists(out);
            return BochsCommand.invalid(spec.commandLine().getErr(), "convert", image, e);
        }
    }

    /** Converting onto the image itself (or its base) would truncate what is being read. */
    private void refuseToOverwrite(Path input) throws IOException {
        if (Files.exists(out) && Files.isSameFile(out, input)) {
            throw new IllegalArgumentException(out + " is the image being converted; choose another output");
        }
    }
}
