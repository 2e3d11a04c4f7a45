package dev.nbdref.fuzz;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * Fuzzes one target for a while: {@code FuzzCampaign CLASS#METHOD SECONDS CORPUS_DIR PROJECT_DIR}, in a JVM started
 * with {@code -DJAZZER_FUZZ=1} (Jazzer fuzzes only one test per JVM, so conformance/fuzz/run-campaign.sh starts one
 * per target). New coverage-increasing inputs go to CORPUS_DIR (kept between campaigns, never committed); findings
 * go to the target's inputs directory under PROJECT_DIR/src/test/resources, where every {@code mvn test} replays
 * them. Exit status 0 when the time ran out without a finding, 1 otherwise.
 */
public final class FuzzCampaign {
    private FuzzCampaign() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: FuzzCampaign CLASS#METHOD SECONDS CORPUS_DIR PROJECT_DIR");
            System.exit(2);
        }
        String target = args[0];
        String method = target.contains("(") ? target : target + "(byte[])";
        Path corpus = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(corpus);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(method))
                .configurationParameter("jazzer.max_duration", args[1] + "s")
                .configurationParameter("jazzer.internal.basedir", Path.of(args[3]).toAbsolutePath().toString())
                .configurationParameter("jazzer.internal.arg.0", "fuzz")
                .configurationParameter("jazzer.internal.arg.1", corpus.toString())
                .configurationParameter("jazzer.internal.arg.2", "-print_final_stats=1")
                .configurationParameter("jazzer.internal.arg.3", "-timeout=" + TimeBound.PER_INPUT.toSeconds())
                // Go on after a finding (up to this many distinct ones), so one known bug does not hide others.
                .configurationParameter("jazzer.keep_going", System.getProperty("nbdref.fuzz.keepGoing", "10"))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.printTo(new PrintWriter(System.out, true));
        summary.printFailuresTo(new PrintWriter(System.out, true), 40);
        boolean ok = summary.getTotalFailureCount() == 0 && summary.getTestsSucceededCount() > 0;
        System.exit(ok ? 0 : 1);
    }
}
