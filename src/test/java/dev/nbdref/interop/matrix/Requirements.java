package dev.nbdref.interop.matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Decides whether a scenario can run on a peer image; each unmet condition gives one reason. */
final class Requirements {

    private Requirements() {
    }

    static List<String> unmet(Scenario scenario, PeerImage peer, Map<String, String> versions, Set<String> serverCapabilities) {
        List<String> reasons = new ArrayList<>();
        for (Scenario.Requirement r : scenario.requires()) {
            if (r.server() != null && !serverCapabilities.contains(r.server())) {
                reasons.add(r.reason() + " (server capability '" + r.server() + "' not available)");
            }
            if (r.peers() != null && !r.peers().contains(peer.name())) {
                reasons.add(r.reason() + " (only on " + String.join(", ", r.peers()) + ")");
            }
            if (r.tool() != null) {
                String version = versions.getOrDefault(r.tool(), "");
                if (version.isEmpty()) {
                    reasons.add(r.reason() + " (" + r.tool() + " not found in " + peer.image() + ")");
                } else if (r.atLeast() != null && compare(version, r.atLeast()) < 0) {
                    reasons.add(r.reason() + " (" + r.tool() + " " + version + " < " + r.atLeast() + ")");
                } else if (r.below() != null && compare(version, r.below()) >= 0) {
                    reasons.add(r.reason() + " (" + r.tool() + " " + version + " >= " + r.below() + ")");
                }
            }
        }
        for (String capability : implied(scenario.server())) {
            if (!serverCapabilities.contains(capability)) {
                reasons.add("the scenario's server section needs server capability '" + capability + "'");
            }
        }
        return reasons;
    }

    /** Capabilities the server section itself calls for, so a scenario cannot forget to require them. */
    static Set<String> implied(Scenario.Server server) {
        Set<String> out = new TreeSet<>();
        if (server.tls() != null) {
            out.add(server.tls().x509() ? "tls-x509" : "tls-psk");
        }
        if (!server.bitmaps().isEmpty()) {
            out.add("dirty-bitmaps");
        }
        if (server.exports().stream().anyMatch(Scenario.Export::isBochs)) {
            out.add("bochs");
        }
        if (server.validatorProfile() != null) {
            out.add("validator");
        }
        return out;
    }

    /** Compares dotted version numbers segment by segment ("1.9" < "1.14"); missing segments count as 0. */
    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? parse(x[i]) : 0;
            long q = i < y.length ? parse(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    private static long parse(String segment) {
        String digits = segment.replaceAll("[^0-9].*$", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }
}
