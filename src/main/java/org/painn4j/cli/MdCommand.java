package org.painn4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.md.Checkpoint;
import org.painn4j.md.CpuMdEngine;
import org.painn4j.md.GpuMdEngine;
import org.painn4j.md.MassSource;
import org.painn4j.md.Masses;
import org.painn4j.md.MaxwellBoltzmann;
import org.painn4j.md.MdEngine;
import org.painn4j.md.MdRun;
import org.painn4j.md.MdRunConfig;
import org.painn4j.md.MdSettings;
import org.painn4j.md.MdState;
import org.painn4j.md.MdUnits;
import org.painn4j.md.RefusedException;
import org.painn4j.md.ReplicaFiles;
import org.painn4j.md.Thermostat;
import org.painn4j.md.UnstableException;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Frame;
import org.painn4j.structure.Structure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j md: molecular dynamics, NVE (velocity Verlet) or Langevin (BAOAB); docs/md.md. */
@Command(name = "md", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Molecular dynamics with a PaiNN model: velocity Verlet (NVE) or Langevin (BAOAB).",
                "Writes an ASE-style log and an extended XYZ trajectory every --interval steps.",
                "With no options: 200 steps of the example molecule at 300 K with the shipped model."})
final class MdCommand implements Callable<Integer> {
    static final String EXAMPLE = "ethanol.extxyz";
    static final double DEFAULT_TEMPERATURE = 300;
    /**
     * The hottest start or bath accepted. At 10⁶ K a hydrogen atom's mean speed is about 1.6 Å/fs,
     * so a molecule comes apart within a few steps; far above it the kinetic energy outgrows
     * what a double holds, and the log would print Infinity or digits that mean nothing.
     */
    static final double MAX_TEMPERATURE = 1e6;

    @Mixin
    ModelOption model;

    @Option(names = "--input", paramLabel = "in.extxyz",
            description = "Starting structure. Default: the example molecule weights/examples/" + EXAMPLE + ".")
    Path input;

    @Option(names = "--frame", paramLabel = "K", defaultValue = "0",
            description = "Frame of --input to start from (0-based). Default: ${DEFAULT-VALUE}.")
    int frame;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "200",
            description = "Number of steps; with --restart, the step to run up to. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--dt", paramLabel = "fs", defaultValue = "0.5",
            description = "Time step in fs. Default: ${DEFAULT-VALUE}.")
    double dt;

    @Option(names = "--temperature", paramLabel = "K",
            description = "Initial Maxwell-Boltzmann momenta at this temperature (zero total momentum) and the "
                    + "Langevin bath temperature. Without it, momenta in --input are used if present, else 300 K; "
                    + "the bath is at 300 K.")
    Double temperature;

    @Option(names = "--thermostat", paramLabel = "none|langevin", defaultValue = "none",
            description = "none: NVE, velocity Verlet; langevin: NVT, BAOAB. Default: ${DEFAULT-VALUE}.")
    String thermostat;

    @Option(names = "--friction", paramLabel = "1/fs", defaultValue = "0.01",
            description = "Langevin friction γ in 1/fs. Default: ${DEFAULT-VALUE}.")
    double friction;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the initial momenta and the Langevin noise; replica r uses S + r. "
                    + "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--masses", paramLabel = "table|input", defaultValue = "table",
            description = "table: ASE's standard atomic masses; input: the masses column of --input (isotopes, as "
                    + "ASE writes atoms whose masses were set), which the trajectory then carries too. "
                    + "Default: ${DEFAULT-VALUE}.")
    String masses;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Independent copies run together, each with its own seed and files NAME.rR.EXT. "
                    + "Replica r starts from frame r when --input has at least N frames. Default: ${DEFAULT-VALUE}.")
    int replicas;

    @Option(names = "--log", paramLabel = "FILE", defaultValue = "md.log",
            description = "Log in ASE's MDLogger format. Default: ${DEFAULT-VALUE}.")
    Path log;

    @Option(names = "--trajectory", paramLabel = "FILE", defaultValue = "md.extxyz",
            description = "Extended XYZ trajectory: positions, momenta, forces, energy. Default: ${DEFAULT-VALUE}.")
    Path trajectory;

    @Option(names = "--interval", paramLabel = "N", defaultValue = "10",
            description = "Log and trajectory every N steps, step 0 included. Default: ${DEFAULT-VALUE}.")
    int interval;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Checkpoint written every --checkpoint-interval steps and at the end (for --restart).")
    Path checkpoint;

    @Option(names = "--checkpoint-interval", paramLabel = "N", defaultValue = "1000",
            description = "Steps between checkpoints. Default: ${DEFAULT-VALUE}.")
    long checkpointInterval;

    @Option(names = "--restart", paramLabel = "FILE",
            description = "Continue the run of a checkpoint exactly; its log and trajectory are cut back to the "
                    + "checkpoint and continued.")
    Path restart;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        validate();
        return restart == null ? fresh() : resume();
    }

    private void validate() {
        if (steps < 1) {
            throw new InputException("--steps must be a positive number of steps, got " + steps);
        }
        if (!(dt > 0) || Double.isInfinite(dt)) {
            throw new InputException("--dt must be a positive number of fs, got " + dt);
        }
        if (Thermostat.of(thermostat) == null) {
            throw new InputException("--thermostat: unknown thermostat '" + thermostat + "' (none or langevin)");
        }
        if (MassSource.of(masses) == null) {
            throw new InputException("--masses: unknown source of masses '" + masses + "' (table or input)");
        }
        if (!(friction >= 0) || Double.isInfinite(friction)) {
            throw new InputException("--friction must be a non-negative number per fs, got " + friction);
        }
        if (temperature != null && !(temperature >= 0)) {
            throw new InputException("--temperature must be a non-negative number of K, got " + temperature);
        }
        if (temperature != null && temperature > MAX_TEMPERATURE) {  // Infinity too
            throw new InputException("--temperature must be at most " + (long) MAX_TEMPERATURE + " K, got " + temperature);
        }
        if (replicas < 1) {
            throw new InputException("--replicas must be at least 1, got " + replicas);
        }
        if (frame < 0) {
            throw new InputException("--frame must be 0 or more, got " + frame);
        }
        if (interval < 1) {
            throw new InputException("--interval must be at least 1, got " + interval);
        }
        if (checkpointInterval < 1) {
            throw new InputException("--checkpoint-interval must be at least 1, got " + checkpointInterval);
        }
        EngineOptions.checkThreads(engine.threads);
    }

    private int fresh() {
        refuseOptionsThatDoNothing();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Path modelPath = model.path();
        Path in = input != null ? input : example();
        outputs(replicas, log, trajectory, checkpoint).reads("--input", in).reads("--model", modelPath).check();
        PainnModel m = PainnModel.load(modelPath);
        List<Frame> frames = readFrames(in, Math.max(frame + 1, replicas));
        boolean framePerReplica = replicas > 1 && frames.size() >= replicas;
        if (!framePerReplica && frame >= frames.size()) {
            throw new InputException(in + ": has " + frames.size() + " frame" + (frames.size() == 1 ? "" : "s")
                    + ", --frame " + frame + " asks for frame " + frame + " (0-based)");
        }
        Thermostat th = Thermostat.of(thermostat);
        double bath = temperature != null ? temperature : DEFAULT_TEMPERATURE;
        boolean langevin = th == Thermostat.LANGEVIN;
        MdSettings settings = new MdSettings(dt, th, langevin ? bath : 0, langevin ? friction : 0);
        MassSource source = MassSource.of(masses);
        List<MdState> start = new ArrayList<>();
        int[] used = new int[replicas];
        boolean fromFile = false;
        for (int r = 0; r < replicas; r++) {
            used[r] = framePerReplica ? r : frame;
            Frame f = frames.get(used[r]);
            Structure s = f.structure();
            double[] atomMasses;
            try {
                atomMasses = source == MassSource.INPUT ? Masses.fromInput(f) : Masses.of(s.numbers());
                // here, so that a replica's frame is named whichever engine and batch refuses it
                m.checkAtomicNumbers(s.numbers());
            } catch (InputException e) {
                throw new InputException(in + ": " + f.location(used[r], e.atoms()) + ": " + e.getMessage(), e);
            }
            double[] p;
            if (temperature == null && f.hasMomenta()) {
                p = f.momenta();
                fromFile = true;
            } else {
                p = MaxwellBoltzmann.momenta(atomMasses, bath, seed + r);
            }
            start.add(MdState.start(s, atomMasses, p, seed + r));
        }
        try (Calculator calc = engine.open(m, err)) {
            MdEngine md = openEngine(calc, settings, start, in, frames, used);
            // Absolute paths, so that a restart from another directory finds the same files.
            MdRunConfig config = new MdRunConfig(absolute(modelPath), sha256(modelPath), absolute(in), used, settings,
                    source, seed, replicas, steps, interval, checkpointInterval, absolute(log), absolute(trajectory),
                    checkpoint == null ? null : absolute(checkpoint), calc.describe());
            int atoms = start.get(0).size();
            out.printf(Locale.ROOT, "painn4j: md: %d atoms from %s (frame %s), %s, dt %s fs, %d steps, %s%s%s%n",
                    atoms, in, framePerReplica ? "0.." + (replicas - 1) : Integer.toString(frame),
                    th == Thermostat.NONE ? "NVE" : "Langevin " + bath + " K, γ " + friction + "/fs", dt, steps,
                    fromFile ? "momenta from the input" : "initial momenta at " + bath + " K (seed " + seed + ")",
                    source == MassSource.INPUT ? ", masses from the input" : "",
                    replicas > 1 ? ", " + replicas + " replicas" : "");
            if (source == MassSource.TABLE && otherMasses(frames, used, start)) {
                out.println("painn4j: md: the input's masses column is not used, the masses are ASE's table's;"
                        + " give --masses input to use the column (docs/md.md)");
            }
            MdRun run;
            try {
                run = new MdRun(md, config);
            } catch (IllegalArgumentException e) {
                md.close();
                throw new InputException(e.getMessage(), e);
            }
            return execute(run, md, config, null);
        }
    }

    private int resume() {
        PrintWriter err = spec.commandLine().getErr();
        Checkpoint cp = Checkpoint.read(restart);
        MdRunConfig c = cp.config();
        ParseResult given = spec.commandLine().getParseResult();
        MdSettings s = c.settings();
        same(given, "--dt", dt, s.dtFs());
        same(given, "--thermostat", thermostat, s.thermostat().key());
        if (s.thermostat() == Thermostat.LANGEVIN) {
            same(given, "--temperature", temperature, s.temperatureK());
            same(given, "--friction", friction, s.frictionPerFs());
        } else {
            // An NVE run has no bath: its momenta come from the checkpoint and nothing else uses these.
            for (String option : new String[] {"--temperature", "--friction"}) {
                if (given.hasMatchedOption(option)) {
                    throw new InputException(option + " " + given.matchedOptionValue(option, (Object) null)
                            + " cannot be given to continue an NVE run, which has no bath; --restart continues the same run");
                }
            }
        }
        same(given, "--seed", seed, c.seed());
        same(given, "--masses", masses, c.masses().key());
        same(given, "--replicas", replicas, c.replicas());
        if (given.hasMatchedOption("--input") || given.hasMatchedOption("--frame")) {
            throw new InputException("--restart continues from the checkpoint's atoms; "
                    + "--input and --frame cannot be given with it");
        }
        Path modelPath = model.model != null ? model.model : Path.of(c.model());
        if (!Files.isRegularFile(modelPath)) {
            throw new InputException(restart + ": the run's model " + modelPath
                    + " is gone; give --model with the same file");
        }
        if (!sha256(modelPath).equals(c.modelSha256())) {
            throw new InputException(restart + ": " + modelPath + " is not the model the run started with (SHA-256 differs)");
        }
        long target = given.hasMatchedOption("--steps") ? steps : c.steps();
        if (target <= cp.step()) {
            throw new InputException(restart + ": the run is at step " + cp.step()
                    + " already; give --steps beyond it to go on");
        }
        String logName = given.hasMatchedOption("--log") ? absolute(log) : c.log();
        String trajName = given.hasMatchedOption("--trajectory") ? absolute(trajectory) : c.trajectory();
        String ckName = checkpoint != null ? absolute(checkpoint)
                : c.checkpoint() != null ? c.checkpoint() : absolute(restart);
        // the checkpoint may be written over the one it continues from: that is the default
        outputs(c.replicas(), path(logName), path(trajName), path(ckName)).reads("--model", modelPath)
                .reads("--restart", path(ckName).equals(restart.toAbsolutePath().normalize()) ? null : restart)
                .check();
        int every = given.hasMatchedOption("--interval") ? interval : c.interval();
        long ckEvery = given.hasMatchedOption("--checkpoint-interval") ? checkpointInterval : c.checkpointInterval();
        PainnModel m = PainnModel.load(modelPath);
        try (Calculator calc = engine.open(m, err)) {
            if (!calc.describe().equals(c.engine())) {
                err.println("painn4j: warning: the checkpoint was computed on " + c.engine() + ", this run computes on "
                        + calc.describe() + "; it will not repeat the uninterrupted run bit for bit");
            }
            MdRunConfig config = c.withSteps(target).withOutput(every, ckEvery, logName, trajName, ckName, calc.describe());
            // Files of the original run are cut back and continued; other names start fresh.
            MdRun.Resume resume = new MdRun.Resume(Objects.equals(logName, c.log()) ? cp.logBytes() : null,
                    Objects.equals(trajName, c.trajectory()) ? cp.trajectoryBytes() : null);
            MdEngine md;
            try {
                md = openEngine(calc, s, cp.states());
            } catch (IllegalArgumentException e) {
                throw new InputException(restart + ": not a valid painn4j checkpoint (" + e.getMessage() + ")", e);
            } catch (InputException e) {
                throw new InputException(restart + ": " + e.getMessage(), e);
            }
            MdRun run;
            try {
                run = new MdRun(md, config);
            } catch (IllegalArgumentException e) {
                md.close();
                throw new InputException(restart + ": not a valid painn4j checkpoint (" + e.getMessage() + ")", e);
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "painn4j: md: continuing from step %d of %s up to step %d%n",
                    cp.step(), restart, target);
            return execute(run, md, config, resume);
        }
    }

    /** Runs to the end; the summary goes to standard output, so that standard error holds only problems. */
    private int execute(MdRun run, MdEngine md, MdRunConfig config, MdRun.Resume resume) {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Progress progress = stderrIsTerminal() ? new Progress(err, config.settings().dtFs()) : null;
        MdRun.Summary sum;
        try {
            sum = run.run(resume, progress);
        } finally {
            if (progress != null) {
                progress.clear();
            }
            md.close();
        }
        double worstDrift = 0;
        double meanT = 0;
        for (int r = 0; r < sum.drift().length; r++) {
            if (!(Math.abs(sum.drift()[r]) < Math.abs(worstDrift))) {
                worstDrift = sum.drift()[r];
            }
            meanT += sum.meanTemperature()[r] / sum.drift().length;
        }
        // A thermostat exchanges energy with the bath, so only NVE has a drift worth reporting.
        String drift = config.settings().thermostat() != Thermostat.NONE ? ""
                : Double.isNaN(worstDrift) ? "; energy drift n/a (fewer than two outputs)"
                : String.format(Locale.ROOT, "; energy drift %+.3g meV/atom/ps%s", worstDrift,
                        config.replicas() > 1 ? " (largest over replicas)" : "");
        // An invocation that wrote no output (a restart that stops before the next interval) has no mean.
        String temperature = Double.isNaN(meanT) ? "n/a (no output written)"
                : String.format(Locale.ROOT, "%.1f K", meanT);
        out.printf(Locale.ROOT,
                "painn4j: md: %d steps (%.4g ps) in %.2f s: %.1f steps/s, %.3g ns/day on %s%s; mean T %s%n",
                sum.stepsRun(), sum.stepsRun() * sum.dtFs() * 1e-3, sum.seconds(), sum.stepsPerSecond(), sum.nsPerDay(),
                md.describe(), drift, temperature);
        out.printf("painn4j: md: log in %s, trajectory in %s%s%n", names(run.logs()), names(run.trajectories()),
                config.checkpoint() == null ? "" : ", checkpoint in " + config.checkpoint());
        return 0;
    }

    private static String names(List<Path> files) {
        if (files.size() <= 3) {
            return String.join(", ", files.stream().map(Path::toString).toList());
        }
        return files.get(0) + " … " + files.get(files.size() - 1);
    }

    /**
     * The one place that picks how steps are taken. A GPU-resident {@link MdEngine} plugs in here
     * when --device selects the GPU; until then the Java integrators drive whichever calculator
     * --device chose.
     */
    /** On the GPU the whole step stays on the device; elsewhere the Java integrators drive the calculator. */
    private MdEngine openEngine(Calculator calc, MdSettings settings, List<MdState> start) {
        if (calc instanceof GpuCalculator g) {
            return new GpuMdEngine(g, () -> new GpuCalculator(g.model(), g.precision()), settings, start);
        }
        return new CpuMdEngine(calc, settings, start);
    }

    /** A fresh start, whose first force call is the first look at the input's atoms. */
    private MdEngine openEngine(Calculator calc, MdSettings settings, List<MdState> start, Path in, List<Frame> frames,
                                int[] used) {
        try {
            return openEngine(calc, settings, start);
        } catch (InputException e) {
            int r = e instanceof UnstableException u && u.replica() >= 0 ? u.replica()
                    : e instanceof RefusedException refused ? refused.replica() : 0;
            // the frame names the replica, and no step has run yet (the GPU engine says step 0)
            String what = e instanceof UnstableException u ? u.what() : e.getMessage();
            throw new InputException(in + ": " + frames.get(used[r]).location(used[r], InputException.atomsOf(e)) + ": " + what, e);
        }
    }

    /**
     * Whether standard error, where the progress line goes, is a terminal: on Linux, where
     * /proc/self/fd/2 points (a pseudo-terminal or a console); elsewhere the JDK's guess, which
     * looks at standard input and output.
     */
    static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.isDirectory(fd.getParent())) {
            try {
                return isTerminal(Files.readSymbolicLink(fd).toString());
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }
        return System.console() != null;
    }

    /** Whether a file descriptor's link target (/proc/self/fd/N) is a terminal device. */
    static boolean isTerminal(String target) {
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    }

    /** An option that would change nothing is a mistake of the command line, said before the run. */
    private void refuseOptionsThatDoNothing() {
        ParseResult given = spec.commandLine().getParseResult();
        if (given.hasMatchedOption("--friction") && Thermostat.of(thermostat) != Thermostat.LANGEVIN) {
            throw new InputException("--friction " + friction + " applies to --thermostat langevin; this run is NVE");
        }
        if (given.hasMatchedOption("--checkpoint-interval") && checkpoint == null) {
            throw new InputException("--checkpoint-interval " + checkpointInterval
                    + " needs --checkpoint FILE, the file to write the checkpoints to");
        }
    }

    /** Every file the run writes, each replica's included. */
    private static OutputFiles outputs(int replicas, Path logFile, Path trajectoryFile, Path checkpointFile) {
        OutputFiles files = new OutputFiles();
        for (int r = 0; r < replicas; r++) {
            files.writes("--log", logFile == null ? null : ReplicaFiles.path(logFile, r, replicas))
                    .writes("--trajectory", trajectoryFile == null ? null : ReplicaFiles.path(trajectoryFile, r, replicas));
        }
        return files.writes("--checkpoint", checkpointFile);
    }

    private static Path path(String name) {
        return name == null ? null : Path.of(name);
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static void same(ParseResult given, String option, Object value, Object stored) {
        if (!given.hasMatchedOption(option)) {
            return;
        }
        boolean equal;
        if (value instanceof Double || stored instanceof Double) {
            equal = ((Number) value).doubleValue() == ((Number) stored).doubleValue();
        } else if (value instanceof Number a && stored instanceof Number b) {
            equal = a.longValue() == b.longValue();
        } else {
            equal = Objects.equals(value, stored);
        }
        if (!equal) {
            throw new InputException(option + " " + value + " differs from the checkpoint's " + stored
                    + "; --restart continues the same run");
        }
    }

    /** The first n frames of a file (fewer when it has fewer). */
    private static List<Frame> readFrames(Path file, int n) {
        List<Frame> frames = new ArrayList<>();
        try (ExtXyz.FrameReader reader = ExtXyz.open(file)) {
            while (frames.size() < n && reader.hasNext()) {
                frames.add(reader.next());
            }
        }
        return frames;
    }

    /** weights/examples/ethanol.extxyz beside the shipped model. */
    static Path example() {
        try {
            return example(EXAMPLE);
        } catch (InputException e) {
            throw new InputException("no --input given and " + e.getMessage());
        }
    }

    /** An example structure of weights/examples/, beside the shipped model. */
    static Path example(String name) {
        Path p;
        try {
            p = ModelOption.shipped().resolveSibling("examples").resolve(name);
        } catch (InputException e) {
            p = Path.of("weights", "examples", name);
        }
        if (!Files.isRegularFile(p)) {
            throw new InputException("the example molecule " + p + " is not there");
        }
        return p;
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            MessageDigest md = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The progress line on a terminal, rewritten in place at most a few times a second. */
    private static final class Progress implements MdRun.Listener {
        private final PrintWriter err;
        private final double dtFs;
        private long last;
        private int width;

        Progress(PrintWriter err, double dtFs) {
            this.err = err;
            this.dtFs = dtFs;
        }

        @Override
        public void progress(MdRun.Progress p) {
            long now = System.nanoTime();
            if (now - last < 250_000_000L && p.step() < p.steps()) {
                return;
            }
            last = now;
            double rate = p.stepsPerSecond();
            String line = String.format(Locale.ROOT, "step %d/%d  %.1f steps/s  %.3g ns/day  T %.1f K  %s left",
                    p.step(), p.steps(), rate, MdUnits.nsPerDay(rate, dtFs), p.temperature(),
                    duration((p.steps() - p.step()) / rate));
            StringBuilder sb = new StringBuilder("\r").append(line);
            for (int i = line.length(); i < width; i++) {
                sb.append(' ');
            }
            width = line.length();
            err.print(sb);
            err.flush();
        }

        static String duration(double seconds) {
            if (!Double.isFinite(seconds)) {
                return "?";
            }
            long s = Math.round(seconds);
            if (s < 60) {
                return s + " s";
            }
            return s < 3600 ? s / 60 + " min " + s % 60 + " s" : s / 3600 + " h " + s % 3600 / 60 + " min";
        }

        void clear() {
            if (width > 0) {
                err.print("\r" + " ".repeat(width) + "\r");
                err.flush();
            }
        }
    }

    /**
     * Whether a frame in use has a masses column (isotopes, as ASE writes atoms whose masses were
     * set) that differs from the table's masses, which the run uses.
     */
    static boolean otherMasses(List<Frame> frames, int[] used, List<MdState> start) {
        for (int r = 0; r < used.length; r++) {
            double[] table = start.get(r).masses();
            Frame.Column c = Masses.column(frames.get(used[r]));
            if (c != null && c.type() == 'R' && c.count() == 1) {
                for (int i = 0; i < table.length; i++) {
                    if (c.real(i, 0) != table[i]) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
