package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * An allocation map (base:allocation as a peer printed it) and the checks that it agrees with what a test
 * wrote. Both peers print the same information: qemu-img map's "data" is NBD_STATE_HOLE clear and "zero" is
 * NBD_STATE_ZERO; nbdinfo --map prints the raw flags (0 = data, 2 = zero, 3 = hole,zero).
 */
final class AllocationMap {

    /** One run of bytes with the same status. */
    record Extent(long offset, long length, boolean data, boolean zero) {
        long end() {
            return offset + length;
        }
    }

    /** A byte range a test wrote (or zeroed). */
    record Range(long offset, long length) {
        long end() {
            return offset + length;
        }

        boolean overlaps(long start, long stop) {
            return offset < stop && start < end();
        }
    }

    private static final Pattern NBDINFO_LINE = Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*(.*)$");

    private final List<Extent> extents;
    private final String printed;

    private AllocationMap(List<Extent> extents, String printed) {
        this.extents = List.copyOf(extents);
        this.printed = printed;
    }

    /** Parses {@code qemu-img map --output=json}. */
    static AllocationMap fromQemuImgJson(String json) {
        List<Extent> extents = new ArrayList<>();
        JsonNode array = new ObjectMapper().readTree(json);
        for (JsonNode e : array) {
            extents.add(new Extent(e.get("start").asLong(), e.get("length").asLong(),
                    e.get("data").asBoolean(), e.get("zero").asBoolean()));
        }
        return new AllocationMap(extents, json);
    }

    /** Parses {@code nbdinfo --map} lines: offset, length, flags, description. */
    static AllocationMap fromNbdinfo(String text) {
        List<Extent> extents = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = NBDINFO_LINE.matcher(line);
            if (!m.matches()) {
                fail("unexpected nbdinfo --map line: '" + line + "' in\n" + text);
            }
            int flags = Integer.parseInt(m.group(3));
            extents.add(new Extent(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    (flags & 1) == 0, (flags & 2) != 0));
        }
        return new AllocationMap(extents, text);
    }

    List<Extent> extents() {
        return extents;
    }

    /** The extents are consecutive, non-empty, and cover exactly {@code [0, size)}. */
    AllocationMap assertCovers(long size) {
        long next = 0;
        for (Extent e : extents) {
            if (e.offset() != next || e.length() <= 0) {
                fail("extent " + e + " does not continue at " + next + "\n" + printed);
            }
            next = e.end();
        }
        if (next != size) {
            fail("the map ends at " + next + ", the export at " + size + "\n" + printed);
        }
        return this;
    }

    /**
     * Checks the map against what was written: every written byte is data and not reported as zero (it holds
     * non-zero patterns); every zeroed byte is reported as zero; and every byte farther than {@code granule}
     * from anything written or zeroed is a hole that reads as zero. The granule allows a server that tracks
     * allocation in blocks (nbdref's memory export uses 64 KiB pages; file systems use 4 KiB blocks).
     */
    AllocationMap assertAgrees(List<Range> written, List<Range> zeroed, long granule) {
        for (Extent e : extents) {
            for (Range w : written) {
                if (w.overlaps(e.offset(), e.end()) && (!e.data() || e.zero())) {
                    fail("written range " + w + " overlaps " + describe(e) + ", expected data\n" + printed);
                }
            }
            for (Range z : zeroed) {
                if (z.overlaps(e.offset(), e.end()) && !e.zero()) {
                    fail("zeroed range " + z + " overlaps " + describe(e) + ", expected zero\n" + printed);
                }
            }
            if ((e.data() || !e.zero()) && !nearAny(e, written, zeroed, granule)) {
                fail(describe(e) + " lies outside everything written (give or take " + granule
                        + " bytes), expected hole,zero\n" + printed);
            }
        }
        return this;
    }

    private static boolean nearAny(Extent e, List<Range> written, List<Range> zeroed, long granule) {
        List<Range> all = new ArrayList<>(written);
        all.addAll(zeroed);
        for (Range r : all) {
            long start = Math.floorDiv(r.offset(), granule) * granule;
            long stop = Math.floorDiv(r.end() + granule - 1, granule) * granule;
            if (e.offset() >= start && e.end() <= stop) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Extent e) {
        return "extent [" + e.offset() + ", " + e.end() + ") " + (e.data() ? "data" : "hole")
                + (e.zero() ? ",zero" : "");
    }
}
