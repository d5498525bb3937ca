package org.painn4j.md;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.painn4j.InputException;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;

/**
 * Drives an {@link MdEngine} to the configured step: asks it for as many steps at a time as fit
 * before the next output, writes the log and trajectory every interval (step 0 included, as ASE
 * does), checkpoints, and reports progress. Knows nothing about how steps are taken.
 */
public final class MdRun {
    /** Progress after each chunk of steps; called on the running thread. */
    public interface Listener {
        void progress(Progress p);
    }

    /**
     * @param step        the step reached
     * @param steps       the step the run ends at
     * @param stepsRun    steps taken by this invocation
     * @param seconds     wall time of this invocation so far
     * @param temperature temperature of replica 0 at the last output, NaN before any
     */
    public record Progress(long step, long steps, long stepsRun, double seconds, double temperature) {
        public double stepsPerSecond() {
            return seconds > 0 ? stepsRun / seconds : Double.NaN;
        }
    }

    /**
     * What a run did. Drift and fluctuation come from a straight line fitted to the total energy
     * at every output of this invocation, per replica; meaningful for NVE only.
     *
     * @param drift           meV/atom/ps, per replica
     * @param fluctuation     RMS deviation from the fitted line, meV/atom, per replica
     * @param meanTemperature K over the outputs, per replica
     */
    public record Summary(long stepsRun, long finalStep, double seconds, double dtFs, double[] drift,
                          double[] fluctuation, double[] meanTemperature) {
        public double stepsPerSecond() {
            return seconds > 0 ? stepsRun / seconds : Double.NaN;
        }

        public double nsPerDay() {
            return MdUnits.nsPerDay(stepsPerSecond(), dtFs);
        }
    }

    /** Where a restarted run's files stood at the checkpoint; null arrays start fresh files. */
    public record Resume(long[] logBytes, long[] trajectoryBytes) {
    }

    private final MdEngine engine;
    private final MdRunConfig config;
    private final List<Path> logs = new ArrayList<>();
    private final List<Path> trajectories = new ArrayList<>();

    // Per-run output state; an MdRun is used for one run.
    private Writer[] logOut;
    private MdLog[] log;
    private ExtXyz.FrameWriter[] traj;
    private EnergyFit[] fits;
    private double[] temperatureSum;
    private long outputs;
    private double lastTemperature = Double.NaN;
    /** The last step in the trajectory, -1 before any. */
    private long written;
    /** Length of each replica's log and trajectory after the last complete output; -1 while unknown. */
    private long[] logKept;
    private long[] trajectoryKept;

    public MdRun(MdEngine engine, MdRunConfig config) {
        if (engine.replicas() != config.replicas()) {
            throw new IllegalArgumentException("engine has " + engine.replicas() + " replicas, configuration "
                    + config.replicas());
        }
        if (config.interval() < 1 || config.checkpoint() != null && config.checkpointInterval() < 1) {
            throw new IllegalArgumentException("intervals must be positive");
        }
        this.engine = engine;
        this.config = config;
        for (int r = 0; r < config.replicas(); r++) {
            logs.add(config.log() == null ? null : ReplicaFiles.path(Path.of(config.log()), r, config.replicas()));
            trajectories.add(config.trajectory() == null ? null
                    : ReplicaFiles.path(Path.of(config.trajectory()), r, config.replicas()));
        }
    }

    /** The log file of each replica; empty when there is no log. */
    public List<Path> logs() {
        return logs.contains(null) ? List.of() : List.copyOf(logs);
    }

    /** The trajectory file of each replica; empty when there is none. */
    public List<Path> trajectories() {
        return trajectories.contains(null) ? List.of() : List.copyOf(trajectories);
    }

    /**
     * Runs to config.steps(); resume is null for a fresh run. A file that cannot be written, at
     * the start or later (a full disk, say), is an {@link InputException} of one line that names
     * the file and says up to which step the trajectory is kept; the log and trajectory are cut
     * back to their last complete output, so that no half-written frame is left behind.
     */
    public Summary run(Resume resume, Listener listener) {
        int replicas = config.replicas();
        logOut = new Writer[replicas];
        log = new MdLog[replicas];
        traj = new ExtXyz.FrameWriter[replicas];
        fits = new EnergyFit[replicas];
        temperatureSum = new double[replicas];
        logKept = new long[replicas];
        trajectoryKept = new long[replicas];
        Arrays.fill(logKept, -1);
        Arrays.fill(trajectoryKept, -1);
        // The last step in the trajectory; a resumed run wrote its last multiple of the interval.
        written = resume == null ? -1 : engine.step() / config.interval() * config.interval();
        if (config.checkpoint() != null) {
            // before any file is touched, and not only when the first checkpoint is due
            Checkpoint.checkWritable(Path.of(config.checkpoint()));
        }
        try {
            for (int r = 0; r < replicas; r++) {
                fits[r] = new EnergyFit();
                int atoms = engine.state(r).size();
                if (logs.get(r) != null) {
                    long keep = resume == null || resume.logBytes() == null ? -1 : resume.logBytes()[r];
                    logOut[r] = openText(logs.get(r), keep);
                    log[r] = new MdLog(logOut[r], logs.get(r).toString(), atoms);
                    if (keep < 0) {
                        logKept[r] = 0;
                        try {
                            log[r].header();
                        } catch (InputException | UncheckedIOException e) {
                            throw writeFailed(e);
                        }
                    }
                    logKept[r] = size(logs.get(r));
                }
                if (trajectories.get(r) != null) {
                    long keep = resume == null || resume.trajectoryBytes() == null ? -1 : resume.trajectoryBytes()[r];
                    traj[r] = keep < 0 ? ExtXyz.create(trajectories.get(r))
                            : ExtXyz.append(truncate(trajectories.get(r), keep));
                    trajectoryKept[r] = size(trajectories.get(r));
                }
            }
            long step = engine.step();
            long startStep = step;
            long t0 = System.nanoTime();
            if (resume == null) {
                output();
            }
            while (step < config.steps()) {
                long next = Math.min(config.steps(), nextMultiple(step, config.interval()));
                if (config.checkpoint() != null) {
                    next = Math.min(next, nextMultiple(step, config.checkpointInterval()));
                }
                if (listener != null) {
                    // Come back about five times a second, so that progress shows between outputs too.
                    double elapsed = (System.nanoTime() - t0) * 1e-9;
                    long chunk = step == startStep ? 1 : Math.max(1, (long) ((step - startStep) / elapsed * 0.2));
                    next = Math.min(next, step + chunk);
                }
                try {
                    engine.advance(Math.toIntExact(next - step));
                } catch (UnstableException e) {
                    throw new InputException(e.getMessage() + "; atoms flew apart or overlap, or --dt is too long"
                            + kept(written), e);
                }
                step = next;
                if (step % config.interval() == 0) {
                    output();
                }
                if (config.checkpoint() != null && (step % config.checkpointInterval() == 0 || step == config.steps())) {
                    checkpoint(step);
                }
                if (listener != null) {
                    listener.progress(new Progress(step, config.steps(), step - startStep,
                            (System.nanoTime() - t0) * 1e-9, lastTemperature));
                }
            }
            double seconds = (System.nanoTime() - t0) * 1e-9;
            double[] drift = new double[replicas];
            double[] fluct = new double[replicas];
            double[] meanT = new double[replicas];
            for (int r = 0; r < replicas; r++) {
                int atoms = engine.state(r).size();
                drift[r] = fits[r].slope() * 1000 / atoms;
                fluct[r] = fits[r].fluctuation() * 1000 / atoms;
                meanT[r] = outputs == 0 ? Double.NaN : temperatureSum[r] / outputs;
            }
            return new Summary(step - startStep, step, seconds, config.settings().dtFs(), drift, fluct, meanT);
        } finally {
            for (int r = 0; r < replicas; r++) {
                closeQuietly(logOut[r]);
                if (traj[r] != null) {
                    try {
                        traj[r].close();
                    } catch (RuntimeException e) {
                        // the frames are flushed one by one; nothing is lost here
                    }
                }
            }
        }
    }

    private String kept(long written) {
        if (written < 0 || trajectories.get(0) == null) {
            return "";
        }
        String where = config.replicas() == 1 ? trajectories.get(0).toString()
                : trajectories.get(0) + " … " + trajectories.get(config.replicas() - 1);
        return "; the trajectory up to step " + written + " is kept in " + where;
    }

    /**
     * A log or trajectory that cannot be written to: every file is closed and cut back to its last
     * complete output (best effort), and the failure becomes one line that says what is kept.
     */
    private InputException writeFailed(RuntimeException e) {
        for (int r = 0; r < config.replicas(); r++) {
            closeQuietly(logOut[r]);
            logOut[r] = null;
            log[r] = null;
            if (traj[r] != null) {
                try {
                    traj[r].close();
                } catch (RuntimeException ignored) {
                    // what could not be written is cut off below
                }
                traj[r] = null;
            }
            cutBack(logs.get(r), logKept[r]);
            cutBack(trajectories.get(r), trajectoryKept[r]);
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
        return new InputException(message + kept(written), e);
    }

    /** Cuts a regular file back to length, when known; quietly does nothing when it cannot. */
    private static void cutBack(Path p, long length) {
        if (p == null || length < 0 || !Files.isRegularFile(p)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            if (ch.size() > length) {
                ch.truncate(length);
            }
        } catch (IOException | RuntimeException e) {
            // the message still says which step the trajectory is complete up to
        }
    }

    /** Log line and trajectory frame of every replica at the engine's current step. */
    private void output() {
        double dtFs = config.settings().dtFs();
        for (int r = 0; r < config.replicas(); r++) {
            MdState s = engine.state(r);
            try {
                if (log[r] != null) {
                    log[r].write(s, dtFs);
                }
                if (traj[r] != null) {
                    traj[r].write(frame(s, dtFs, config.masses()));
                }
            } catch (InputException | UncheckedIOException e) {
                throw writeFailed(e);
            }
            fits[r].add(s.step() * dtFs * 1e-3, s.totalEnergy());
            double t = s.temperature();
            temperatureSum[r] += t;
            if (r == 0) {
                lastTemperature = t;
            }
        }
        outputs++;
        written = engine.step();
        for (int r = 0; r < config.replicas(); r++) {
            if (log[r] != null) {
                logKept[r] = size(logs.get(r));
            }
            if (traj[r] != null) {
                trajectoryKept[r] = size(trajectories.get(r));
            }
        }
    }

    /**
     * A trajectory frame: positions, momenta (ASE units), forces, energy, and step and time in
     * info. Masses from the input are written too, since ASE would otherwise divide the momenta
     * by its table's masses; they go before the momenta, where ASE writes atoms that were read
     * with masses and then given momenta. Table masses are left out, as ASE leaves them out.
     */
    public static Frame frame(MdState s, double dtFs, MassSource masses) {
        Map<String, String> info = new java.util.LinkedHashMap<>();
        info.put("step", Long.toString(s.step()));
        info.put("time_fs", Double.toString(s.step() * dtFs));
        if (masses == MassSource.INPUT) {
            return new Frame(s.structure(), s.energy(), s.forces(), null, s.momenta(), info, 0,
                    List.of(Masses.toColumn(s.masses())), 1);
        }
        return new Frame(s.structure(), s.energy(), s.forces(), null, s.momenta(), info, 0);
    }

    private void checkpoint(long step) {
        int replicas = config.replicas();
        List<MdState> states = new ArrayList<>(replicas);
        long[] logBytes = new long[replicas];
        long[] trajBytes = new long[replicas];
        for (int r = 0; r < replicas; r++) {
            states.add(engine.state(r));
            logBytes[r] = size(logs.get(r));
            trajBytes[r] = size(trajectories.get(r));
        }
        try {
            new Checkpoint(config, step, states, logBytes, trajBytes).write(Path.of(config.checkpoint()));
        } catch (InputException | UncheckedIOException e) {
            throw writeFailed(e);
        }
    }

    private static long size(Path p) {
        if (p == null) {
            return -1;
        }
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    static long nextMultiple(long step, long interval) {
        return (step / interval + 1) * interval;
    }

    /** A text file opened for writing: new when keep < 0, else cut to keep bytes and appended to. */
    private static Writer openText(Path p, long keep) {
        try {
            if (keep < 0) {
                return Files.newBufferedWriter(p, StandardCharsets.UTF_8);
            }
            truncate(p, keep);
            return Files.newBufferedWriter(p, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (NoSuchFileException e) {
            throw new InputException(p + ": cannot write: no such directory");
        } catch (IOException e) {
            throw new InputException(p + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * Cuts a file back to what it held at the checkpoint, which ends with a whole line: a file
     * that is gone, shorter, or whose line breaks do not fall there was changed since.
     */
    private static Path truncate(Path p, long keep) {
        String cannot = " so the run cannot continue it (give another file name to start a new one)";
        long size = size(p);
        if (size < 0 && keep > 0) {
            throw new InputException(p + ": is gone, but held " + keep + " bytes at the checkpoint;" + cannot);
        }
        if (size >= 0 && size < keep) {
            throw new InputException(p + ": holds " + size + " bytes, fewer than the " + keep
                    + " it had at the checkpoint; it was changed since," + cannot);
        }
        // a file that was empty at the checkpoint and is gone starts again empty
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            if (keep > 0 && !endsALine(ch, keep)) {
                throw new InputException(p + ": its first " + keep + " bytes, its length at the checkpoint, do not end"
                        + " with a whole line; the file or the checkpoint was changed since," + cannot);
            }
            ch.truncate(keep);
        } catch (IOException e) {
            throw new InputException(p + ": cannot write: " + e.getMessage(), e);
        }
        return p;
    }

    private static boolean endsALine(FileChannel ch, long length) throws IOException {
        ByteBuffer last = ByteBuffer.allocate(1);
        return ch.read(last, length - 1) == 1 && last.get(0) == '\n';
    }

    private static void closeQuietly(Writer w) {
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                // every line was flushed as it was written
            }
        }
    }
}
