package dev.nbdref.fuzz;

import org.junit.jupiter.api.function.Executable;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The time bound of one fuzz input. While fuzzing, libFuzzer's {@code -timeout} (set by {@link FuzzCampaign})
 * reports a slow input as a finding; JUnit's {@code @Timeout} cannot be used there, as JUnit would also apply it to
 * the single invocation that runs the whole campaign and interrupt it. When the saved inputs are replayed
 * ({@code mvn test}), each runs under a preemptive timeout instead, so a hang fails the test instead of the build.
 */
final class TimeBound {
    static final Duration PER_INPUT = Duration.ofSeconds(10);
    static final boolean FUZZING = isSet(System.getenv("JAZZER_FUZZ")) || isSet(System.getProperty("JAZZER_FUZZ"));

    private TimeBound() {}

    private static boolean isSet(String v) {
        return v != null && !v.isEmpty() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }

    static void run(Executable body) throws Throwable {
        if (FUZZING) body.execute();
        else assertTimeoutPreemptively(PER_INPUT, body, "one input took longer than " + PER_INPUT.toSeconds() + " s");
    }
}
