package dev.nbdref.cli;

import dev.nbdref.server.Profile;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Adapts the help of the shared server options to check-client, where three of them mean something else:
 * the listen address defaults to a free loopback port, the default export is smaller, and --report writes the
 * client report at the end rather than the server's violation log after each connection; --manage is left out.
 * Also lists the profiles with their descriptions, which only exist at run time.
 */
final class CheckClientHelp implements CommandLine.IModelTransformer {

    @Override
    public CommandSpec transform(CommandSpec spec) {
        describe(spec, "--listen", "Address to listen on (default 127.0.0.1:0: a free loopback port).");
        describe(spec, "--export", "An export (repeatable), NAME=SPEC[,ro][,description=TEXT] as for serve.",
                "Default: default=memory:64M. {export} is the first one.");
        describe(spec, "--report", "Write the client report as JSON (spec/schemas/client-report.schema.json).");
        // The server lives only as long as the client run: a management socket would have nothing to manage.
        OptionSpec manage = spec.findOption("--manage");
        if (manage != null) spec.remove(manage);
        StringBuilder profiles = new StringBuilder("%nProfiles (--profile):%n");
        for (Profile p : Profile.values()) {
            profiles.append("  ").append(p.cliName()).append("%n");
            for (String line : wrap(p.description, 72)) profiles.append("      ").append(line.replace("%", "%%")).append("%n");
        }
        spec.usageMessage().footer(profiles.toString());
        return spec;
    }

    private static java.util.List<String> wrap(String text, int width) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) line.append(' ');
            line.append(word);
        }
        if (line.length() > 0) lines.add(line.toString());
        return lines;
    }

    /** Replaces an option by a copy with another description; parsing and binding stay the same. */
    private static void describe(CommandSpec spec, String name, String... description) {
        OptionSpec old = spec.findOption(name);
        if (old == null) return; // the mixin no longer has it: keep the help as it comes
        spec.remove(old);
        spec.addOption(OptionSpec.builder(old).description(description).build());
    }
}
