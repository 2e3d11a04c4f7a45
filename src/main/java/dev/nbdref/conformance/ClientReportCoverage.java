package dev.nbdref.conformance;

import dev.nbdref.spec.Party;
import dev.nbdref.spec.Requirement;
import dev.nbdref.spec.RequirementCatalog;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Spec coverage of one run: for each client rule of the catalog, whether the client's behaviour gave the server a
 * chance to check it (a rule about SET_META_CONTEXT is only checked when the client sends one), and whether it
 * passed. The table from rule to the behaviour that exercises it is data ({@value #RESOURCE}), so that rule IDs
 * appear in Java code only where the server really checks them; rules the server cannot observe are listed with
 * the reason, so a green report never suggests more was tested than was.
 */
public final class ClientReportCoverage {
    public static final String RESOURCE = "dev/nbdref/conformance/client-rule-coverage.json";

    public enum Status {
        /** Exercised and broken at least once. */
        VIOLATED,
        /** Exercised and never broken. */
        PASSED,
        /** The server checks it, but this client never did what it governs. */
        NOT_EXERCISED,
        /** No server can check it from one connection's bytes, or nbdref does not yet. */
        NOT_OBSERVABLE;

        /** As written in reports: violated, passed, not-exercised, not-observable. */
        public String jsonName() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    /**
     * One client rule in this run.
     *
     * @param exercisedWhen for rules the server checks, the behaviour that exercises them; else why it cannot check
     * @param violations    how many times it was broken (kept violations)
     */
    public record RuleStatus(Requirement rule, Status status, String exercisedWhen, long violations) {
        /** Passed or violated: the run really put this rule to the test. */
        public boolean checked() { return status == Status.PASSED || status == Status.VIOLATED; }
    }

    /** A rule's entry: when it is exercised (null predicate: never, and {@code text} says why). */
    private record Entry(String text, Predicate<ClientReportFacts> exercised) {
    }

    private static final Map<String, Entry> TABLE = load();

    private ClientReportCoverage() {
    }

    /** The rule IDs nbdref checks, i.e. those a client can exercise. */
    public static Set<String> checkableRules() {
        Set<String> ids = new java.util.TreeSet<>();
        TABLE.forEach((id, e) -> { if (e.exercised() != null) ids.add(id); });
        return Collections.unmodifiableSet(ids);
    }

    /** The rule IDs the table names at all (checkable or with a reason why not). */
    public static Set<String> describedRules() {
        return Collections.unmodifiableSet(TABLE.keySet());
    }

    /** Every client rule of the catalog, in catalog order, with its status in this run. */
    public static List<RuleStatus> of(RequirementCatalog catalog, List<ConnectionReport> connections,
                                      ClientReportFacts facts) {
        Map<String, Long> broken = new LinkedHashMap<>();
        for (ConnectionReport c : connections) {
            for (Violation v : c.violations()) broken.merge(v.requirementId(), 1L, Long::sum);
        }
        List<RuleStatus> out = new ArrayList<>();
        for (Requirement r : catalog.all()) {
            if (r.party() != Party.CLIENT) continue;
            long n = broken.getOrDefault(r.id(), 0L);
            Entry e = TABLE.getOrDefault(r.id(), new Entry("not checked by nbdref", null));
            if (n > 0) {
                // A violation proves the rule was exercised, whatever the table predicts.
                out.add(new RuleStatus(r, Status.VIOLATED, e.text(), n));
            } else if (e.exercised() == null) {
                out.add(new RuleStatus(r, Status.NOT_OBSERVABLE, e.text(), 0));
            } else {
                out.add(new RuleStatus(r, e.exercised().test(facts) ? Status.PASSED : Status.NOT_EXERCISED, e.text(), 0));
            }
        }
        return out;
    }

    private static Map<String, Entry> load() {
        try (InputStream in = ClientReportCoverage.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is not on the classpath");
            Map<String, Entry> table = new LinkedHashMap<>();
            JsonNode rules = new ObjectMapper().readTree(in).get("rules");
            for (Map.Entry<String, JsonNode> rule : rules.properties()) {
                table.put(rule.getKey(), entry(rule.getKey(), rule.getValue()));
            }
            return Collections.unmodifiableMap(table);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static Entry entry(String id, JsonNode n) {
        if (n.has("unobservable")) return new Entry(n.get("unobservable").asString(), null);
        if (!n.has("when") || !n.has("if")) {
            throw new IllegalStateException(RESOURCE + ": " + id + " needs \"when\" and \"if\", or \"unobservable\"");
        }
        Predicate<ClientReportFacts> all = f -> true;
        for (JsonNode c : n.get("if")) all = all.and(condition(id, c.asString()));
        return new Entry(n.get("when").asString(), all);
    }

    /** One condition of the table's small language (see its description). */
    static Predicate<ClientReportFacts> condition(String id, String text) {
        int colon = text.indexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        List<String> args = colon < 0 ? List.of() : Arrays.asList(text.substring(colon + 1).split("\\|"));
        switch (name) {
            case "connected": return ClientReportFacts::connected;
            case "clientFlags": return ClientReportFacts::sentFlags;
            case "anyOption": return ClientReportFacts::sentAnyOption;
            case "anyCommand": return ClientReportFacts::sentAnyCommand;
            case "shutdownAnnounced": return ClientReportFacts::shutdownAnnounced;
            case "goAskedBlockSize": return ClientReportFacts::goAskedBlockSize;
            case "option": return f -> f.sent(args.toArray(new String[0]));
            case "optionOtherThan": return f -> f.sentOptionOtherThan(Set.copyOf(args));
            case "acknowledged": return f -> args.stream().anyMatch(f::acknowledged);
            case "command": return f -> f.sentCommand(args.toArray(new String[0]));
            default: throw new IllegalStateException(RESOURCE + ": " + id + " has an unknown condition \"" + text + "\"");
        }
    }
}
