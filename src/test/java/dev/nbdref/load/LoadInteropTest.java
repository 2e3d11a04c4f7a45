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
 * negotiator; 0 errors, every client progresses, data verified at the end; the server's RSS is printed. The server
 * runs with {@code --io-timeout 4}: the stalled reader and the slow writer must be cut off 4 s after they stall (the
 * run's problems list it otherwise). The 60 s run is conformance/load/load.sh.
 */
class LoadInteropTest {
    /** Well inside the 10 s run, so both cut-offs happen while the other clients are busy. */
    private static final Duration IO_BOUND = Duration.ofSeconds(4);

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sixtyFourClientsBesideStalledAndSlowOnes() throws Exception {
        int seconds = Integer.getInteger("nbdref.load.seconds", 10);
        LoadRun.Result r = LoadRun.runAgainstJar(ServerProcess.jar(), List.of(), 64, Duration.ofSeconds(seconds),
                IO_BOUND, System.out::println);
        System.out.println("load: " + r);
        assertEquals(0, r.errors(), "errors: " + r.problems());
        assertTrue(r.problems().isEmpty(), "problems: " + r.problems());
        assertTrue(r.peakRssKib() < 4L << 20, "server peak RSS " + r.peakRssKib() / 1024 + " MiB");
        assertTrue(!r.stalledStillOpen() && !r.slowWriterStillOpen(), "stalled or slow client not cut off: " + r);
        assertTrue(r.stalledCutOffMillis() >= 0 && r.slowWriterCutOffMillis() >= 0, "cut-offs not timed: " + r);
    }
}
