package dev.nbdref.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A handful of {@link DurabilityTrials} against the built jar (failsafe sets {@code nbdref.jar}): writes with random
 * FUA and FLUSH to a file export, SIGKILL at a random moment, restart, and not one durable write may be missing.
 * The 100-trial run is conformance/fault/durability.sh.
 */
class DurabilityInteropTest {

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyDurableWriteSurvivesSigkill(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("nbdref.durability.seed", 20261125L);
        int trials = Integer.getInteger("nbdref.durability.trials", 5);
        DurabilityTrials.Summary s = DurabilityTrials.run(ServerProcess.jar(), dir, trials, seed, System.out::println);
        System.out.println("durability (seed " + seed + "): " + s);
        assertTrue(s.durable() > 0, "some writes were durable before the kill: " + s);
        assertEquals(0, s.losses(), "durable writes lost: " + s.problems());
        assertEquals(0, s.corrupt(), "corrupt blocks: " + s.problems());
    }
}
