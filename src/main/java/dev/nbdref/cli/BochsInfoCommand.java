package dev.nbdref.cli;

import dev.nbdref.bochs.BochsDisk;
import dev.nbdref.bochs.BochsFormatException;
import dev.nbdref.bochs.BochsHeader;
import dev.nbdref.bochs.BochsImage;
import dev.nbdref.bochs.Geometry;
import dev.nbdref.bochs.Mode;
import dev.nbdref.bochs.ReadOptions;
import dev.nbdref.bochs.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code nbdref bochs info IMAGE [--json]}: the header, the layout, and whether strict mode accepts it. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a Bochs image: header fields, layout, allocation, and the strict verdict.",
                "The image is read as --strict asks (default lenient); exit 1 when that fails."})
final class BochsInfoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Mixin
    BochsCommand.Reading reading = new BochsCommand.Reading();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ObjectNode info;
        try (BochsImage opened = BochsImage.open(image, reading.options())) {
            info = describe(opened);
        } catch (BochsFormatException e) {
            return BochsCommand.invalid(spec.commandLine().getErr(), "info", image, e);
        }
        info.put("strictVerdict", strictVerdict());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(info));
        } else {
            for (Map.Entry<String, tools.jackson.databind.JsonNode> field : info.properties()) {
                out.println(field.getKey() + ": " + (field.getValue().isString() ? field.getValue().asString()
                        : field.getValue().toString()));
            }
        }
        out.flush();
        return 0;
    }

    private ObjectNode describe(BochsImage opened) {
        BochsHeader h = opened.header();
        Geometry g = opened.geometry();
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("file", image.toString());
        n.put("fileSize", opened.fileSize());
        n.put("subtype", h.subtype().text());
        n.put("version", h.version() == Version.V1 ? 1 : 2);
        n.put("headerSize", h.headerSize());
        n.put("catalogEntries", g.catalogEntries());
        n.put("bitmapBytes", g.bitmapBytes());
        n.put("extentBytes", g.extentBytes());
        n.put("diskBytes", g.diskBytes());
        n.put("diskOffset", h.diskOffset());
        n.put("virtualSize", g.virtualSize());
        n.put("dataOffset", g.dataOffset());
        n.put("strideBytes", g.strideBytes());
        n.put("usedEntries", g.usedEntries());
        n.put("allocatedExtents", opened.allocatedExtents());
        if (h.version() == Version.V2) n.put("timestamp", fatTime(h.timestamp()));
        n.put("bximageGeometry", g.diskBytes() <= Geometry.MAX_DISK
                && sameSizing(g, Geometry.forDisk(g.diskBytes())));
        n.put("mode", reading.options().mode().name().toLowerCase(java.util.Locale.ROOT));
        var notes = n.putArray("notes");
        opened.notes().forEach(notes::add);
        return n;
    }

    /** "valid", or the strict failure: a redolog is judged together with its base. */
    private String strictVerdict() throws IOException {
        try {
            BochsDisk.open(image, reading.base, new ReadOptions(Mode.STRICT, reading.v1Heuristic)).close();
            return "valid";
        } catch (BochsFormatException e) {
            return "invalid: " + e.describe();
        }
    }

    private static boolean sameSizing(Geometry a, Geometry b) {
        return a.catalogEntries() == b.catalogEntries() && a.bitmapBytes() == b.bitmapBytes()
                && a.extentBytes() == b.extentBytes();
    }

    /** The FAT date and time Bochs stamps (local time, two-second steps), or "0" when unset. */
    static String fatTime(long value) {
        if (value == 0) return "0";
        long date = value >>> 16;
        long time = value & 0xFFFF;
        return String.format("%04d-%02d-%02d %02d:%02d:%02d (0x%08x)", 1980 + (date >>> 9), date >>> 5 & 15,
                date & 31, time >>> 11, time >>> 5 & 63, 2 * (time & 31), value);
    }
}
