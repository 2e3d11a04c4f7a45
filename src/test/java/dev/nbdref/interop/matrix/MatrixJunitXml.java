package dev.nbdref.interop.matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * The interop report as JUnit XML, one test suite per peer and one test case per scenario, named as the matrix
 * names them (failsafe's own XML only knows the dynamic tests by index). Unsupported cells are skipped with
 * their reason; failed cells carry their reasons and log.
 */
final class MatrixJunitXml {

    private MatrixJunitXml() {
    }

    static String render(JsonNode report) {
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        JsonNode total = report.path("summary").path("total");
        int all = total.path("pass").asInt() + total.path("fail").asInt() + total.path("unsupported").asInt();
        x.append("<testsuites name=\"nbdref interop matrix\" tests=\"").append(all).append("\" failures=\"")
                .append(total.path("fail").asInt()).append("\" skipped=\"").append(total.path("unsupported").asInt())
                .append("\" time=\"").append(report.path("durationSeconds").asDouble()).append("\">\n");
        for (JsonNode peer : report.path("peers")) {
            String name = peer.path("name").asString();
            List<JsonNode> cells = new ArrayList<>();
            report.path("cells").forEach(c -> {
                if (c.path("peer").asString().equals(name)) {
                    cells.add(c);
                }
            });
            JsonNode counts = report.path("summary").path("byPeer").path(name);
            long ms = cells.stream().mapToLong(c -> c.path("durationMs").asLong(0)).sum();
            x.append("  <testsuite name=\"interop.").append(esc(name)).append("\" tests=\"").append(cells.size())
                    .append("\" failures=\"").append(counts.path("fail").asInt()).append("\" errors=\"0\" skipped=\"")
                    .append(counts.path("unsupported").asInt()).append("\" time=\"").append(seconds(ms))
                    .append("\" timestamp=\"").append(esc(report.path("generated").asString())).append("\">\n");
            x.append("    <properties>\n");
            x.append("      <property name=\"image\" value=\"").append(esc(peer.path("image").asString())).append("\"/>\n");
            peer.path("versions").properties().forEach(e -> x.append("      <property name=\"").append(esc(e.getKey()))
                    .append("\" value=\"").append(esc(e.getValue().asString())).append("\"/>\n"));
            x.append("    </properties>\n");
            for (JsonNode c : cells) {
                x.append("    <testcase classname=\"interop.").append(esc(name)).append("\" name=\"")
                        .append(esc(c.path("scenario").asString())).append("\" time=\"")
                        .append(seconds(c.path("durationMs").asLong(0))).append("\"");
                List<String> reasons = new ArrayList<>();
                c.path("reasons").forEach(r -> reasons.add(r.asString()));
                switch (c.path("status").asString()) {
                    case "fail" -> x.append(">\n      <failure message=\"").append(esc(String.join("; ", reasons)))
                            .append("\" type=\"interop\">").append(esc(String.join("\n", reasons) + "\n\n"
                                    + c.path("log").asString(""))).append("</failure>\n    </testcase>\n");
                    case "unsupported" -> x.append(">\n      <skipped message=\"unsupported: ")
                            .append(esc(String.join("; ", reasons))).append("\"/>\n    </testcase>\n");
                    default -> x.append("/>\n");
                }
            }
            x.append("  </testsuite>\n");
        }
        return x.append("</testsuites>\n").toString();
    }

    private static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }

    /** XML text and attribute escaping; control characters other than tab and newline are dropped. */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\n' -> out.append("&#10;");
                case '\t' -> out.append("&#9;");
                default -> {
                    if (ch >= 0x20 && ch != 0xFFFE && ch != 0xFFFF) {
                        out.append(ch);
                    }
                }
            }
        }
        return out.toString();
    }
}
