package dev.nbdref.load;

import dev.nbdref.model.NbdClient;
import dev.nbdref.model.NbdClient.Framing;
import dev.nbdref.spec.CommandFlag;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The durability fault test: a client writes through nbdref (the real jar, as a process) to a file export with
 * random FUA and FLUSH, the server is killed with SIGKILL at a random moment, restarted on the same file, and
 * every block is read back. A block must hold the data of its last durable write (acknowledged with FUA, or
 * acknowledged before a FLUSH that was acknowledged) or of a write issued after it; anything older, or a block
 * that is neither zero nor one write's intact pattern, is a loss. Writes acknowledged but never flushed are
 * expected to survive too (SIGKILL keeps the page cache) and are counted separately, for information.
 *
 * <p>{@code java ... dev.nbdref.load.DurabilityTrials [--trials N] [--seed S] [--jar PATH] [--dir DIR]}
 * (conformance/fault/durability.sh); {@link DurabilityInteropTest} runs a few in CI.
 */
public final class DurabilityTrials {
    static final int BLOCK = 4096;
    static final int BLOCKS = 4096; // a 16 MiB file
    private static final long MAGIC = 0x4E42_4452_4546_4455L; // "NBDREFDU"

    private DurabilityTrials() {}

    /** What the trials found. */
    public record Summary(int trials, long issued, long acknowledged, long durable, long blocksChecked, long losses,
                          long corrupt, long ackedButUnflushedLost, List<String> problems) {
        boolean ok() { return losses == 0 && corrupt == 0; }

        @Override public String toString() {
            return String.format("%d trials: %d writes issued, %d acknowledged, %d durable at the kill; %d blocks"
                            + " checked after restart: %d lost, %d corrupt; %d acknowledged-but-unflushed writes lost"
                            + " (expected 0 for SIGKILL)", trials, issued, acknowledged, durable, blocksChecked, losses,
                    corrupt, ackedButUnflushedLost);
        }
    }

    public static void main(String[] args) throws Exception {
        int trials = 100;
        long seed = System.nanoTime();
        Path jar = null;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--trials": trials = Integer.parseInt(args[++i]); break;
                case "--seed": seed = Long.parseLong(args[++i]); break;
                case "--jar": jar = Path.of(args[++i]); break;
                case "--dir": dir = Path.of(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("nbdref-durability");
        System.out.println("durability: " + trials + " trials, seed " + seed + ", files in " + work);
        Summary s = run(jar != null ? jar : ServerProcess.jar(), work, trials, seed, System.out::println);
        System.out.println("durability: " + s);
        s.problems().forEach(p -> System.out.println("  " + p));
        System.exit(s.ok() ? 0 : 1);
    }

    /** One write (or WRITE_ZEROES) or FLUSH, in issue order. */
    private static final class Op {
        final int seq;
        final boolean flush;
        final boolean zeroes;
        final boolean fua;
        final int first;
        final int count;
        volatile boolean acked;

        Op(int seq, boolean flush, boolean zeroes, boolean fua, int first, int count) {
            this.seq = seq;
            this.flush = flush;
            this.zeroes = zeroes;
            this.fua = fua;
            this.first = first;
            this.count = count;
        }

        boolean covers(int block) { return !flush && block >= first && block < first + count; }
    }

    public static Summary run(Path jar, Path dir, int trials, long seed, Consumer<String> log) throws Exception {
        long issued = 0, acked = 0, durable = 0, checked = 0, losses = 0, corrupt = 0, unflushedLost = 0;
        List<String> problems = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
            Random rng = new Random(seed + t);
            Path file = dir.resolve("durability-" + t + ".raw");
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength((long) BLOCK * BLOCKS);
            }
            Framing framing = Framing.values()[rng.nextInt(3)];
            List<Op> ops = new CopyOnWriteArrayList<>();
            ServerProcess server = ServerProcess.start(jar, List.of(), 1, "--export", "d=file:" + file);
            CountDownLatch firstAck = new CountDownLatch(1);
            Thread writer = new Thread(() -> write(server.port(), framing, new Random(rng.nextLong()), ops, firstAck),
                    "durability-writer");
            writer.start();
            firstAck.await(20, TimeUnit.SECONDS);
            Thread.sleep(20 + rng.nextInt(600));
            server.kill();
            writer.join(20_000);
            ServerProcess again = ServerProcess.start(jar, List.of(), 1, "--export", "d=file:" + file);
            byte[] disk;
            try (NbdClient c = NbdClient.connect("127.0.0.1", again.port(), "d", Framing.STRUCTURED, List.of(), 30_000)) {
                NbdClient.Reply r = c.read(0, BLOCK * BLOCKS, 0);
                if (!r.ok()) throw new IOException("reading back failed: error " + r.error());
                disk = r.data();
                c.disconnect();
            } finally {
                again.stop();
            }
            int lastAckedFlush = -1;
            for (Op op : ops) if (op.flush && op.acked) lastAckedFlush = op.seq;
            int trialLosses = 0;
            for (Op op : ops) {
                if (op.flush) continue;
                issued++;
                if (op.acked) acked++;
                if (isDurable(op, lastAckedFlush)) durable++;
            }
            for (int b = 0; b < BLOCKS; b++) {
                checked++;
                long found = decode(disk, b);
                List<Op> covering = new ArrayList<>();
                for (Op op : ops) if (op.covers(b)) covering.add(op);
                int lastDurable = -1;
                int lastAcked = -1;
                for (int i = 0; i < covering.size(); i++) {
                    if (isDurable(covering.get(i), lastAckedFlush)) lastDurable = i;
                    if (covering.get(i).acked) lastAcked = i;
                }
                if (found == CORRUPT) {
                    corrupt++;
                    trialLosses++;
                    problems.add("trial " + t + " block " + b + ": neither zero nor an intact write");
                    continue;
                }
                int at = -2; // the position in covering of the write found; -1 for the initial zeroes
                if (found == ZERO) {
                    at = -1;
                    for (int i = covering.size() - 1; i >= 0; i--) {
                        if (covering.get(i).zeroes) { at = i; break; }
                    }
                } else {
                    for (int i = 0; i < covering.size(); i++) if (covering.get(i).seq == found) at = i;
                    if (at == -2) {
                        corrupt++;
                        trialLosses++;
                        problems.add("trial " + t + " block " + b + ": holds write " + found + ", which never covered it");
                        continue;
                    }
                }
                if (at < lastDurable) {
                    losses++;
                    trialLosses++;
                    problems.add("trial " + t + " block " + b + ": holds " + (at < 0 ? "its initial zeroes" : "write "
                            + covering.get(at).seq) + ", but write " + covering.get(lastDurable).seq + " was durable");
                } else if (at < lastAcked) {
                    unflushedLost++;
                }
            }
            log.accept(String.format("trial %d (%s): %d operations, killed; %s", t, framing, ops.size(),
                    trialLosses == 0 ? "no loss" : trialLosses + " LOST"));
            Files.deleteIfExists(file);
        }
        return new Summary(trials, issued, acked, durable, checked, losses, corrupt, unflushedLost,
                problems.subList(0, Math.min(problems.size(), 50)));
    }

    private static boolean isDurable(Op op, int lastAckedFlush) {
        return !op.flush && op.acked && (op.fua || op.seq < lastAckedFlush);
    }

    /** Issues random writes, zeroes and flushes, one at a time, until the connection dies. */
    private static void write(int port, Framing framing, Random rng, List<Op> ops, CountDownLatch firstAck) {
        try (NbdClient c = NbdClient.connect("127.0.0.1", port, "d", framing, List.of(), 30_000)) {
            for (int seq = 0; ; seq++) {
                int kind = rng.nextInt(10);
                int count = 1 + rng.nextInt(8);
                int first = rng.nextInt(BLOCKS - count + 1);
                boolean fua = rng.nextInt(4) == 0;
                Op op = new Op(seq, kind == 0, kind == 1, fua, first, count);
                ops.add(op);
                NbdClient.Reply r;
                if (op.flush) {
                    r = c.flush();
                } else if (op.zeroes) {
                    int flags = (fua ? CommandFlag.FUA.bit : 0) | (rng.nextBoolean() ? CommandFlag.NO_HOLE.bit : 0);
                    r = c.writeZeroes((long) first * BLOCK, (long) count * BLOCK, flags);
                } else {
                    byte[] data = new byte[count * BLOCK];
                    for (int i = 0; i < count; i++) pattern(seq, first + i, data, i * BLOCK);
                    r = c.write((long) first * BLOCK, data, fua ? CommandFlag.FUA.bit : 0);
                }
                if (!r.ok()) throw new IOException("request " + seq + " failed with error " + r.error());
                op.acked = true;
                firstAck.countDown();
            }
        } catch (IOException e) {
            // the server was killed: the request in flight stays unacknowledged
        } finally {
            firstAck.countDown();
        }
    }

    static final long ZERO = -1;
    static final long CORRUPT = -2;

    /** Block {@code block}'s contents as written by operation {@code seq}: a header, then seeded noise. */
    static void pattern(int seq, int block, byte[] into, int at) {
        ByteBuffer b = ByteBuffer.wrap(into, at, BLOCK);
        b.putLong(MAGIC).putInt(seq).putInt(block);
        long x = (((long) seq) << 32 | block) * 0x9E3779B97F4A7C15L | 1;
        while (b.hasRemaining()) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.put((byte) x);
        }
    }

    /** Which operation's pattern block {@code block} holds: its sequence number, {@link #ZERO} or {@link #CORRUPT}. */
    static long decode(byte[] disk, int block) {
        int at = block * BLOCK;
        boolean zero = true;
        for (int i = at; i < at + BLOCK && zero; i++) zero = disk[i] == 0;
        if (zero) return ZERO;
        ByteBuffer b = ByteBuffer.wrap(disk, at, 16);
        if (b.getLong() != MAGIC) return CORRUPT;
        int seq = b.getInt();
        if (b.getInt() != block || seq < 0) return CORRUPT;
        byte[] expected = new byte[BLOCK];
        pattern(seq, block, expected, 0);
        return Arrays.equals(disk, at, at + BLOCK, expected, 0, BLOCK) ? seq : CORRUPT;
    }
}
