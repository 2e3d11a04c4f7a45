package dev.nbdref.interop.matrix;

import dev.nbdref.spec.Level;
import dev.nbdref.spec.Requirement;
import dev.nbdref.spec.RequirementCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * What nbdref's violation report ({@code serve --report}, the validator's report) says about one cell, counted
 * by the level spec/requirements.json gives each rule rather than by the severity the report states, so a
 * report that calls a MUST rule a warning cannot pass a cell. Violations the scenario allows are listed but not
 * counted.
 *
 * @param seen       every rule the report names, sorted
 * @param mustByRule counted MUST violations as "ID title" to how often each occurred
 * @param problems   report entries that contradict the catalog (unknown rule, wrong severity)
 */
record ViolationTally(int connections, int must, int should, List<String> seen, Map<String, Integer> mustByRule,
                      List<String> problems, String detail) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A missing report means no connection ended. */
    static ViolationTally read(Path report, Scenario.ViolationRule rule) {
        JsonNode root;
        try {
            root = Files.isRegularFile(report) ? JSON.readTree(Files.readString(report)) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Counter counter = new Counter(rule);
        if (root != null) {
            for (JsonNode c : root.path("connections")) {
                for (JsonNode v : c.path("violations")) {
                    counter.add(c.path("id").asString(), v);
                }
                counter.dropped(c.path("id").asString(), c.path("dropped").asInt(0));
            }
        }
        return counter.tally(root == null ? 0 : root.path("connections").size());
    }

    /** Accumulates one report's violations. */
    private static final class Counter {
        private final Scenario.ViolationRule rule;
        private final TreeSet<String> seen = new TreeSet<>();
        private final Map<String, Integer> mustByRule = new TreeMap<>();
        private final TreeSet<String> problems = new TreeSet<>();
        private final StringBuilder detail = new StringBuilder();
        private int must;
        private int should;

        Counter(Scenario.ViolationRule rule) {
            this.rule = rule;
        }

        void add(String connection, JsonNode v) {
            String id = v.path("requirement").asString();
            String stated = v.path("severity").asString();
            Level level = RequirementCatalog.standard().find(id).map(Requirement::level).orElse(null);
            seen.add(id);
            detail.append("violation ").append(id).append(' ').append(stated).append(" (connection ").append(connection)
                    .append(", ").append(v.path("phase").asString()).append(" #").append(v.path("sequence").asInt())
                    .append("): ").append(v.path("title").asString()).append(" - ").append(v.path("detail").asString())
                    .append(rule.allows(id) ? " [allowed by the scenario]" : "").append('\n');
            if (level == null) {
                problems.add("nbdref's report names rule " + id + ", which spec/requirements.json does not have");
                return;
            }
            if (!level.name().equals(stated)) {
                problems.add("nbdref's report calls " + id + " " + stated + ", spec/requirements.json says " + level);
            }
            if (rule.allows(id)) {
                return;
            }
            if (level == Level.MUST) {
                must++;
                mustByRule.merge(id + " " + v.path("title").asString(), 1, Integer::sum);
            } else if (level == Level.SHOULD) {
                should++;
            }
        }

        /** The recorder keeps 1000 violations per connection and only counts the rest: their rules are unknown. */
        void dropped(String connection, int count) {
            if (count > 0) {
                problems.add("connection " + connection + " had " + count + " more violation(s) than nbdref's report"
                        + " keeps; their rules are unknown");
            }
        }

        ViolationTally tally(int connections) {
            return new ViolationTally(connections, must, should, List.copyOf(seen),
                    Collections.unmodifiableMap(new TreeMap<>(mustByRule)), List.copyOf(problems), detail.toString());
        }
    }
}
