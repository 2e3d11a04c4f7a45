package dev.nbdref.cli;

import dev.nbdref.bitmap.BitmapException;
import dev.nbdref.bitmap.BitmapInfo;
import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.BitmapStore;
import dev.nbdref.bitmap.Granularity;
import dev.nbdref.bitmap.ManagementClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code nbdref bitmap VERB ...}: manages the persistent dirty bitmaps stored beside an image at rest
 * ({@code IMAGE.nbdref-bitmaps}), or, with {@code --socket}, the bitmaps of a running server's export.
 * Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 bad usage.
 */
@Command(name = "bitmap", mixinStandardHelpOptions = true,
        description = {"Manage dirty bitmaps: those stored beside a raw image (IMAGE" + BitmapStore.SUFFIX + "),",
                "or with --socket those of a running server (serve --manage SOCKET); TARGET is then an export name."},
        subcommands = {BitmapCommand.Add.class, BitmapCommand.Remove.class, BitmapCommand.Clear.class,
                BitmapCommand.Enable.class, BitmapCommand.Disable.class, BitmapCommand.Merge.class,
                BitmapCommand.ListBitmaps.class})
final class BitmapCommand implements Callable<Integer> {

    @Option(names = "--socket", paramLabel = "PATH",
            description = "The management socket of a running server; the verbs then act on its export TARGET.")
    Path socket;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** What every verb shares: the target, --force, and the choice between a store at rest and a socket. */
    abstract static class Verb implements Callable<Integer> {
        @ParentCommand
        BitmapCommand parent;

        @Spec
        CommandSpec spec;

        @Option(names = "--force", description = {"Use a store whose in-use flag was left set by a killed server;",
                "its bitmaps then read as entirely dirty (images at rest only)."})
        boolean force;

        /** Built on first use: picocli instantiates every subcommand at start, and Jackson is slow to load. */
        private ObjectMapper jsonMapper;

        ObjectMapper json() {
            if (jsonMapper == null) jsonMapper = new ObjectMapper();
            return jsonMapper;
        }

        /** The image at rest, or the export with --socket. */
        abstract String target();

        /** Changes the bitmaps of an image at rest and returns the lines to print. */
        abstract List<String> atRest(BitmapStore store) throws IOException;

        /** Fills in the request for a running server. */
        abstract void request(ObjectNode request);

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                if (parent.socket == null) return runAtRest();
                if (force) {
                    err.println("nbdref bitmap: --force is for images at rest; a running server needs none");
                    return 2;
                }
                return runRemote();
            } catch (IOException | BitmapException e) {
                err.println("nbdref bitmap " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }

        private int runAtRest() throws IOException {
            if (target() == null) {
                spec.commandLine().getErr().println("nbdref bitmap " + spec.name() + ": IMAGE is required");
                return 2;
            }
            List<String> lines;
            try (BitmapStore store = BitmapStore.openAtRest(Path.of(target()), force)) {
                if (store.recoveredDirty()) {
                    spec.commandLine().getErr().println("nbdref bitmap: warning: " + store.file()
                            + " was left in use by a killed server or the image was resized; every bitmap reads as"
                            + " entirely dirty");
                }
                lines = atRest(store);
            }
            lines.forEach(spec.commandLine().getOut()::println);
            return 0;
        }

        private int runRemote() throws IOException {
            ObjectNode request = json().createObjectNode();
            request.put("id", 1);
            request.put("verb", spec.name());
            if (target() != null) request.put("export", target());
            request(request);
            JsonNode response;
            try (ManagementClient client = ManagementClient.connect(parent.socket)) {
                response = client.call(request);
            }
            if (!response.path("ok").asBoolean(false)) {
                spec.commandLine().getErr().println("nbdref bitmap " + spec.name() + ": "
                        + response.path("error").asString("no error message") + " (" + response.path("code").asString("?")
                        + ")");
                return 1;
            }
            remoteOutput(response).forEach(spec.commandLine().getOut()::println);
            return 0;
        }

        /** What to print for a successful response: the bitmap it describes, if any. */
        List<String> remoteOutput(JsonNode response) {
            JsonNode b = response.path("bitmap");
            return b.isMissingNode() ? List.of() : List.of(describe(info(b)));
        }
    }

    /** A verb on one bitmap: TARGET NAME. */
    abstract static class OneBitmap extends Verb {
        @Parameters(index = "0", paramLabel = "TARGET", description = "The image (or with --socket, the export).")
        String target;

        @Parameters(index = "1", paramLabel = "NAME", description = "The bitmap.")
        String name;

        @Override
        String target() {
            return target;
        }

        @Override
        void request(ObjectNode request) {
            request.put("bitmap", name);
        }

        @Override
        List<String> atRest(BitmapStore store) throws IOException {
            BitmapInfo info = change(store.bitmaps());
            return info == null ? List.of() : List.of(describe(info));
        }

        abstract BitmapInfo change(BitmapSet set) throws IOException;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an empty (clean) bitmap.")
    static final class Add extends OneBitmap {
        @Option(names = "--granularity", paramLabel = "N", defaultValue = "65536",
                description = "Bytes per bit: a power of two from 512 to 64M (default 65536; 64K also works).")
        String granularity;

        @Option(names = "--disabled", description = "Create it disabled: it records no writes until enabled.")
        boolean disabled;

        @Override
        BitmapInfo change(BitmapSet set) throws IOException {
            return set.add(name, Granularity.parse(granularity), !disabled);
        }

        @Override
        void request(ObjectNode request) {
            super.request(request);
            request.put("granularity", Granularity.parse(granularity));
            if (disabled) request.put("enabled", false);
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a bitmap.")
    static final class Remove extends OneBitmap {
        @Override
        BitmapInfo change(BitmapSet set) throws IOException {
            set.remove(name);
            return null;
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true,
            description = "Mark every granule clean (after a backup has copied the dirty ones).")
    static final class Clear extends OneBitmap {
        @Override
        BitmapInfo change(BitmapSet set) throws IOException {
            return set.clear(name);
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Record writes in the bitmap again.")
    static final class Enable extends OneBitmap {
        @Override
        BitmapInfo change(BitmapSet set) throws IOException {
            return set.enable(name);
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Stop recording writes in the bitmap; its bits are kept.")
    static final class Disable extends OneBitmap {
        @Override
        BitmapInfo change(BitmapSet set) throws IOException {
            return set.disable(name);
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Add the dirty granules of SRC to DST (same granularity).")
    static final class Merge extends Verb {
        @Parameters(index = "0", paramLabel = "TARGET", description = "The image (or with --socket, the export).")
        String target;

        @Parameters(index = "1", paramLabel = "SRC", description = "The bitmap to read.")
        String source;

        @Parameters(index = "2", paramLabel = "DST", description = "The bitmap to add to.")
        String destination;

        @Override
        String target() {
            return target;
        }

        @Override
        List<String> atRest(BitmapStore store) throws IOException {
            return List.of(describe(store.bitmaps().merge(source, destination)));
        }

        @Override
        void request(ObjectNode request) {
            request.put("bitmap", destination);
            request.put("source", source);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the bitmaps: name, granularity, enabled, dirty bytes.",
                    "With --socket, TARGET may be left out to list every export."})
    static final class ListBitmaps extends Verb {
        @Parameters(index = "0", arity = "0..1", paramLabel = "TARGET",
                description = "The image (or with --socket, the export).")
        String target;

        @Option(names = "--json", description = "Print JSON (at rest: image, size, bitmaps; with --socket: the"
                + " server's response, spec/schemas/management-response.schema.json).")
        boolean asJson;

        @Override
        String target() {
            return target;
        }

        @Override
        List<String> atRest(BitmapStore store) {
            List<BitmapInfo> infos = store.bitmaps().list();
            if (!asJson) return table(infos);
            ObjectNode root = json().createObjectNode();
            root.put("image", target);
            root.put("store", store.file().toString());
            root.put("size", store.bitmaps().deviceSize());
            root.put("recoveredDirty", store.recoveredDirty());
            ArrayNode list = root.putArray("bitmaps");
            for (BitmapInfo i : infos) list.add(node(json(), i));
            return List.of(json().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        }

        @Override
        void request(ObjectNode request) {
            // the export, if any, is all a list request needs
        }

        @Override
        List<String> remoteOutput(JsonNode response) {
            if (asJson) return List.of(json().writerWithDefaultPrettyPrinter().writeValueAsString(response));
            List<String> lines = new ArrayList<>();
            for (JsonNode export : response.path("exports")) {
                List<BitmapInfo> infos = new ArrayList<>();
                for (JsonNode b : export.path("bitmaps")) infos.add(info(b));
                lines.add("export " + export.path("export").asString() + " (" + export.path("size").asLong()
                        + " bytes, " + (export.path("persistent").asBoolean() ? "persistent" : "in memory") + "):");
                for (String row : table(infos)) lines.add("  " + row);
            }
            return lines;
        }
    }

    static List<String> table(List<BitmapInfo> infos) {
        List<String> rows = new ArrayList<>();
        if (infos.isEmpty()) {
            rows.add("no bitmaps");
            return rows;
        }
        int width = Math.max(4, infos.stream().mapToInt(i -> i.name().length()).max().orElse(4));
        String format = "%-" + width + "s  %11s  %-8s  %s";
        rows.add(String.format(format, "NAME", "GRANULARITY", "STATE", "DIRTY BYTES"));
        for (BitmapInfo i : infos) {
            rows.add(String.format(format, i.name(), i.granularity(), i.enabled() ? "enabled" : "disabled",
                    i.dirtyBytes()));
        }
        return rows;
    }

    static String describe(BitmapInfo i) {
        return i.name() + ": granularity " + i.granularity() + ", " + (i.enabled() ? "enabled" : "disabled") + ", "
                + i.dirtyBytes() + " dirty bytes";
    }

    static ObjectNode node(ObjectMapper json, BitmapInfo i) {
        ObjectNode b = json.createObjectNode();
        b.put("name", i.name());
        b.put("granularity", i.granularity());
        b.put("enabled", i.enabled());
        b.put("dirtyBytes", i.dirtyBytes());
        return b;
    }

    static BitmapInfo info(JsonNode b) {
        return new BitmapInfo(b.path("name").asString(), b.path("granularity").asLong(), b.path("enabled").asBoolean(),
                b.path("dirtyBytes").asLong());
    }
}
