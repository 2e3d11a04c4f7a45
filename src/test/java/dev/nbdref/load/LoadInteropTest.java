package dev.nbdref.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short {@link LoadRun} against the built jar (failsafe sets {@code nbdref.jar}): 64 clients of mixed framings
 * for 10 s (system property {@code nbdref.load.seconds}) beside a stalled reader, a slow writer and a slow
 * negotiator; 0 errors, every client progresses, data verified at the end; the server's RSS is printed. The 60 s run
 * is conformance/load/load.sh.
 */
class LoadInteropTest {

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sixtyFourClientsBesideStalledAndSlowOnes() throws Exception {
        int seconds = Integer.getInteger("nbdref.load.seconds", 10);
        LoadRun.Result r = LoadRun.runAgainstJar(ServerProcess.jar(), List.of(), 64, Duration.ofSeconds(seconds), System.out::println);
        System.out.println("load: " + r);
        assertEquals(0, r.errors(), "errors: " + r.problems());
        assertTrue(r.problems().isEmpty(), "problems: " + r.problems());
        assertTrue(r.peakRssKib() < 4L << 20, "server peak RSS " + r.peakRssKib() / 1024 + " MiB");
    }
}
