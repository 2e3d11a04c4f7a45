package dev.nbdref.cli;

import dev.nbdref.bochs.fixtures.Category;
import dev.nbdref.bochs.fixtures.Fixture;
import dev.nbdref.bochs.fixtures.FixtureGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code nbdref bochs fixtures --seed S --count N --out DIR}: the deterministic fixture corpus. */
@Command(name = "fixtures", mixinStandardHelpOptions = true,
        description = {"Generate valid and malformed Bochs images with a manifest.json of expected outcomes",
                "(schema spec/schemas/bochs-manifest.schema.json). The same seed and count give the same bytes;",
                "fixture i uses recipe i mod the number of recipes, so a count of at least that many covers every rule."})
final class BochsFixturesCommand implements Callable<Integer> {

    @Option(names = "--seed", required = true, paramLabel = "S")
    long seed;

    @Option(names = "--count", paramLabel = "N", description = "How many fixtures (default: one per recipe).")
    Integer count;

    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        int n = count != null ? count : FixtureGenerator.recipeCount();
        List<Fixture> fixtures = FixtureGenerator.write(out, seed, n);
        spec.commandLine().getOut().println("wrote " + fixtures.size() + " fixtures (" + count(fixtures, Category.VALID)
                + " valid, " + count(fixtures, Category.TOLERATED) + " tolerated, " + count(fixtures, Category.MALFORMED)
                + " malformed) and " + FixtureGenerator.MANIFEST + " to " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static long count(List<Fixture> fixtures, Category category) {
        return fixtures.stream().filter(f -> f.category() == category).count();
    }
}
