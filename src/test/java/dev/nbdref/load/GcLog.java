package dev.nbdref.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a server run with {@code -Xlog:gc:file=PATH} says about its heap: every collection logs
 * "BEFORE->AFTER(COMMITTED)", so the largest BEFORE is the most the heap held; after a full collection only what is
 * still reachable remains, so the largest AFTER of those is the most that was live.
 *
 * @param collections   how many collections were logged
 * @param fullCollections how many of them were full collections
 * @param peakBeforeKib the most heap in use, seen just before a collection
 * @param peakLiveKib   the most heap in use just after a full collection, or -1 without one
 * @param committedKib  the largest heap the JVM committed
 */
record GcLog(int collections, int fullCollections, long peakBeforeKib, long peakLiveKib, long committedKib) {
    private static final Pattern SIZES = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    static GcLog read(Path log) throws IOException {
        int n = 0, full = 0;
        long before = 0, live = -1, committed = 0;
        for (String line : Files.readAllLines(log)) {
            Matcher m = SIZES.matcher(line);
            if (!m.find()) continue;
            n++;
            before = Math.max(before, kib(m.group(1), m.group(2)));
            committed = Math.max(committed, kib(m.group(5), m.group(6)));
            if (line.contains("Pause Full")) {
                full++;
                live = Math.max(live, kib(m.group(3), m.group(4)));
            }
        }
        return new GcLog(n, full, before, live, committed);
    }

    private static long kib(String value, String unit) {
        long v = Long.parseLong(value);
        return unit.equals("K") ? v : unit.equals("M") ? v << 10 : v << 20;
    }

    @Override
    public String toString() {
        return String.format("%d collections (%d full), heap at most %d MiB in use%s, %d MiB committed", collections,
                fullCollections, peakBeforeKib >> 10,
                peakLiveKib < 0 ? "" : ", at most " + (peakLiveKib >> 10) + " MiB live after a full collection",
                committedKib >> 10);
    }
}
