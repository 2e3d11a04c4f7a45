package dev.nbdref.interop.matrix;

import dev.nbdref.conformance.ClientReportText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Renders the interop report as one self-contained HTML page (inline CSS, no scripts, no external assets):
 * the features x peers matrix, then every scenario x peer cell with the reasons of failures and unsupported cells.
 */
final class MatrixHtml {

    private MatrixHtml() {
    }

    static String render(JsonNode report) {
        List<String> peers = new ArrayList<>();
        report.path("peers").forEach(p -> peers.add(p.path("name").asString()));
        Map<String, JsonNode> cells = new LinkedHashMap<>();
        report.path("cells").forEach(c -> cells.put(c.path("peer").asString() + "/" + c.path("scenario").asString(), c));

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<title>nbdref interop matrix</title>\n<style>\n")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;")
                .append("vertical-align:top;text-align:left}th{background:#f4f4f4}")
                .append(".pass{background:#d8f5d8}.fail{background:#f9d0d0}.unsupported{background:#eee;color:#555}")
                .append(".partial{background:#fff1c2}.none{color:#999}small{color:#555}code{font-size:12px}")
                .append("details pre{white-space:pre-wrap;max-width:60em;font-size:12px}\n")
                .append("</style></head><body>\n");
        h.append("<h1>nbdref interop matrix</h1>\n<p>Generated ").append(esc(report.path("generated").asString()))
                .append(" in ").append(report.path("durationSeconds").asDouble()).append(" s. ");
        JsonNode total = report.path("summary").path("total");
        h.append("Cells: ").append(total.path("pass").asInt()).append(" pass, ").append(total.path("fail").asInt())
                .append(" fail, ").append(total.path("unsupported").asInt()).append(" unsupported.</p>\n");
        JsonNode regressions = report.path("summary").path("regressions");
        if (regressions.size() > 0) {
            h.append("<p class=\"fail\"><strong>Regressions against the baseline:</strong> ");
            List<String> names = new ArrayList<>();
            regressions.forEach(r -> names.add(esc(r.asString())));
            h.append(String.join(", ", names)).append("</p>\n");
        }

        h.append("<h2>Peers</h2>\n<table><tr><th>peer</th><th>image</th><th>versions</th><th>cells</th></tr>\n");
        for (JsonNode p : report.path("peers")) {
            String name = p.path("name").asString();
            JsonNode counts = report.path("summary").path("byPeer").path(name);
            List<String> versions = new ArrayList<>();
            p.path("versions").properties().forEach(e -> versions.add(esc(e.getKey() + " " + e.getValue().asString())));
            h.append("<tr><th>").append(esc(name)).append("</th><td><code>").append(esc(p.path("image").asString()))
                    .append("</code><br><small>").append(esc(p.path("description").asString())).append("</small>");
            if (p.has("problem")) {
                h.append("<br><span class=\"fail\">").append(esc(p.path("problem").asString())).append("</span>");
            }
            h.append("</td><td>").append(String.join("<br>", versions)).append("</td><td>")
                    .append(counts.path("pass").asInt()).append(" pass, ").append(counts.path("fail").asInt())
                    .append(" fail, ").append(counts.path("unsupported").asInt()).append(" unsupported</td></tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>Features</h2>\n<table><tr><th>feature</th>");
        peers.forEach(p -> h.append("<th>").append(esc(p)).append("</th>"));
        h.append("</tr>\n");
        for (JsonNode f : report.path("features")) {
            String id = f.path("id").asString();
            h.append("<tr><th>").append(esc(f.path("title").asString())).append("<br><small>").append(esc(id))
                    .append("</small></th>");
            for (String peer : peers) {
                featureCell(h, report, cells, peer, id);
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");

        h.append("<h2>Scenarios</h2>\n<table><tr><th>scenario</th>");
        peers.forEach(p -> h.append("<th>").append(esc(p)).append("</th>"));
        h.append("</tr>\n");
        for (JsonNode s : report.path("scenarios")) {
            String id = s.path("id").asString();
            h.append("<tr><th>").append(esc(id)).append("<br><small>").append(esc(s.path("title").asString()))
                    .append("</small></th>");
            for (String peer : peers) {
                JsonNode c = cells.get(peer + "/" + id);
                if (c == null) {
                    h.append("<td class=\"none\">not run</td>");
                    continue;
                }
                String status = c.path("status").asString();
                h.append("<td class=\"").append(status).append("\"><strong>").append(status).append("</strong>");
                if (c.has("durationMs")) {
                    h.append(" <small>").append(c.path("durationMs").asLong()).append(" ms</small>");
                }
                for (JsonNode r : c.path("reasons")) {
                    h.append("<br><small>").append(esc(r.asString())).append("</small>");
                }
                if (c.has("log")) {
                    h.append("<details><summary>log</summary><pre>").append(esc(c.path("log").asString()))
                            .append("</pre></details>");
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }

    /** A feature passes on a peer when every scenario exercising it passes there; unsupported ones are listed. */
    private static void featureCell(StringBuilder h, JsonNode report, Map<String, JsonNode> cells, String peer,
                                    String feature) {
        int pass = 0;
        List<String> failed = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (JsonNode s : report.path("scenarios")) {
            if (!contains(s.path("features"), feature)) {
                continue;
            }
            JsonNode c = cells.get(peer + "/" + s.path("id").asString());
            if (c == null) {
                continue;
            }
            switch (c.path("status").asString()) {
                case "pass" -> pass++;
                case "fail" -> failed.add(s.path("id").asString());
                default -> {
                    List<String> why = new ArrayList<>();
                    c.path("reasons").forEach(r -> why.add(r.asString()));
                    unsupported.add(s.path("id").asString() + ": " + String.join("; ", why));
                }
            }
        }
        String css;
        String label;
        if (pass + failed.size() + unsupported.size() == 0) {
            css = "none";
            label = "no scenario run";
        } else if (!failed.isEmpty()) {
            css = pass > 0 ? "partial" : "fail";
            label = "fail " + failed.size() + "/" + (pass + failed.size());
        } else if (pass > 0) {
            css = "pass";
            label = "pass " + pass + "/" + pass;
        } else {
            css = "unsupported";
            label = "unsupported";
        }
        h.append("<td class=\"").append(css).append("\"><strong>").append(label).append("</strong>");
        if (!failed.isEmpty()) {
            h.append("<br><small>failed: ").append(esc(String.join(", ", failed))).append("</small>");
        }
        for (String u : unsupported) {
            h.append("<br><small>unsupported: ").append(esc(u)).append("</small>");
        }
        h.append("</td>");
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode item : array) {
            if (item.asString().equals(value)) {
                return true;
            }
        }
        return false;
    }

    static String esc(String text) {
        return ClientReportText.escapeMarkup(text);
    }
}
