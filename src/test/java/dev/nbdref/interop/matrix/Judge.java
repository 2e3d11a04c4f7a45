package dev.nbdref.interop.matrix;

import dev.nbdref.interop.PeerResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Judges one cell against its scenario's expectations: the peer's exit status and output, the files it left in
 * the scratch directory, and nbdref's violation report (MUST and SHOULD as spec/requirements.json rates each rule;
 * see {@link ViolationTally}). Every failed check becomes one reason.
 */
final class Judge {

    record Verdict(List<String> reasons, CellResult.Violations violations, String violationDetail) {
    }

    private Judge() {
    }

    static Verdict judge(Scenario.Expect expect, PeerResult result, Path workdir, Path report) throws IOException {
        List<String> reasons = new ArrayList<>();
        if (result.timedOut()) {
            reasons.add("the peer timed out after " + result.elapsed().toSeconds() + " s");
        } else if (expect.exitStatus() != null && result.exitCode() != expect.exitStatus()) {
            reasons.add("exit status " + result.exitCode() + ", expected " + expect.exitStatus());
        }
        find(reasons, "stdout", result.stdout(), expect.stdout());
        find(reasons, "stderr", result.stderr(), expect.stderr());
        find(reasons, "output", result.stdout() + "\n" + result.stderr(), expect.output());
        for (String regex : expect.notOutput()) {
            Matcher m = pattern(regex).matcher(result.stdout() + "\n" + result.stderr());
            if (m.find()) {
                reasons.add("output contains /" + regex + "/: \"" + lineAround(m) + "\"");
            }
        }
        for (Scenario.FileCheck check : expect.files()) {
            checkFile(reasons, workdir, check);
        }
        StringBuilder detail = new StringBuilder();
        CellResult.Violations violations = violations(reasons, expect.violations(), report, detail);
        return new Verdict(reasons, violations, detail.toString());
    }

    private static void find(List<String> reasons, String stream, String text, List<String> patterns) {
        for (String regex : patterns) {
            if (!pattern(regex).matcher(text).find()) {
                reasons.add(stream + " lacks /" + regex + "/");
            }
        }
    }

    private static Pattern pattern(String regex) {
        return Pattern.compile(regex, Pattern.MULTILINE);
    }

    private static String lineAround(Matcher m) {
        String text = m.group();
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }

    private static void checkFile(List<String> reasons, Path workdir, Scenario.FileCheck check) throws IOException {
        Path file = workdir.resolve(check.path());
        if (!Files.isRegularFile(file)) {
            reasons.add("the peer left no file " + check.path());
            return;
        }
        if (check.size() != null && Files.size(file) != check.size()) {
            reasons.add(check.path() + " has " + Files.size(file) + " bytes, expected " + check.size());
        }
        String digest = check.sha256() != null || check.sameAs() != null ? sha256(file) : null;
        if (check.sha256() != null && !check.sha256().equals(digest)) {
            reasons.add(check.path() + " has SHA-256 " + digest + ", expected " + check.sha256());
        }
        if (check.sameAs() != null) {
            Path other = workdir.resolve(check.sameAs());
            if (!Files.isRegularFile(other)) {
                reasons.add("the peer left no file " + check.sameAs() + " to compare " + check.path() + " with");
            } else if (!digest.equals(sha256(other))) {
                reasons.add(check.path() + " (SHA-256 " + digest + ") differs from " + check.sameAs()
                        + " (SHA-256 " + sha256(other) + ")");
            }
        }
    }

    /** Applies the scenario's violation rule to nbdref's report. */
    private static CellResult.Violations violations(List<String> reasons, Scenario.ViolationRule rule, Path report,
                                                    StringBuilder detail) {
        ViolationTally tally = ViolationTally.read(report, rule);
        detail.append(tally.detail());
        reasons.addAll(tally.problems());
        if (tally.connections() < rule.minConnections()) {
            reasons.add("nbdref saw " + tally.connections() + " connection(s), expected at least " + rule.minConnections());
        }
        if (tally.must() > rule.maxMust()) {
            List<String> items = new ArrayList<>();
            tally.mustByRule().forEach((what, n) -> items.add(what + (n > 1 ? " (x" + n + ")" : "")));
            reasons.add(tally.must() + " MUST violation(s) in nbdref's report: " + String.join("; ", items));
        }
        if (rule.maxShould() != null && tally.should() > rule.maxShould()) {
            reasons.add(tally.should() + " SHOULD violation(s) in nbdref's report, at most " + rule.maxShould() + " expected");
        }
        return new CellResult.Violations(tally.connections(), tally.must(), tally.should(), tally.seen());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
