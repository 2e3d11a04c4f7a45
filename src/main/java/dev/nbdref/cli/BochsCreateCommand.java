package dev.nbdref.cli;

import dev.nbdref.bochs.BochsCreator;
import dev.nbdref.bochs.Geometry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nbdref bochs create --size SIZE [--from RAW] OUT.img}: a Growing image sized as bximage sizes it. */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Create a Growing image with bximage's catalog and extent sizing; with --from, holding",
                "a raw image's content (only non-zero sectors are stored, as bximage -func=convert does)."})
final class BochsCreateCommand implements Callable<Integer> {

    @Option(names = "--size", paramLabel = "SIZE",
            description = "Disk size, a multiple of 512 (e.g. 64M, 1G). Default with --from: the raw image's size.")
    String size;

    @Option(names = "--from", paramLabel = "RAW", description = "A raw image to copy into the new image.")
    Path from;

    @Parameters(index = "0", paramLabel = "OUT.img", description = "The image to create; it must not exist.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (size == null && from == null) {
            throw new IllegalArgumentException("give --size, --from, or both");
        }
        long bytes = size != null ? Sizes.parse(size) : Files.size(from);
        Geometry g = BochsCreator.create(out, bytes, from);
        spec.commandLine().getOut().println("created " + out + ": " + g.diskBytes() + " bytes, catalog "
                + g.catalogEntries() + ", bitmap " + g.bitmapBytes() + ", extent " + g.extentBytes());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
