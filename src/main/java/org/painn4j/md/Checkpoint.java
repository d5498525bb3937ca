package org.painn4j.md;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.painn4j.InputException;
import org.painn4j.IoReason;
import org.painn4j.structure.Elements;
import org.painn4j.structure.Structure;

/**
 * A run frozen at one step: configuration, every replica's positions, momenta and forces, and how
 * long the log and trajectory files were then, so a restart cuts off whatever a crashed run wrote
 * after the checkpoint and the files come out as an uninterrupted run's would.
 *
 * <p>JSON, every double written as Java's hexadecimal literal ({@code Double.toHexString},
 * e.g. {@code "0x1.3c0ca428c59fbp-2"}), which reads back to the same bits in Java
 * ({@code Double.parseDouble}) and Python ({@code float.fromhex}). There is no random generator
 * state to save: the Langevin noise is a function of (seed, step, atom). Written to a temporary
 * file beside the target and renamed over it, so a crash leaves the previous checkpoint whole.
 *
 * @param logBytes        length of each replica's log file at this step, -1 when there is none
 * @param trajectoryBytes length of each replica's trajectory file at this step, -1 when there is none
 */
public record Checkpoint(MdRunConfig config, long step, List<MdState> states, long[] logBytes,
                         long[] trajectoryBytes) {
    public static final String FORMAT = "painn4j-md-checkpoint";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Checkpoint {
        states = List.copyOf(states);
        logBytes = logBytes.clone();
        trajectoryBytes = trajectoryBytes.clone();
    }

    @Override
    public long[] logBytes() {
        return logBytes.clone();
    }

    @Override
    public long[] trajectoryBytes() {
        return trajectoryBytes.clone();
    }

    /** The temporary file beside the target that {@link #write} renames over it. */
    static Path temporary(Path file) {
        return file.toAbsolutePath().getParent().resolve(file.getFileName() + ".tmp");
    }

    /**
     * Checks before a run that its checkpoints can be written: the target is no directory, and
     * the temporary file {@link #write} uses can be created beside it (and is deleted again).
     * Refuses with the message a failing {@link #write} would give.
     */
    public static void checkWritable(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputException(file + ": cannot write the checkpoint: it is a directory");
        }
        Path tmp = temporary(file);
        try {
            FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            throw new InputException(file + ": cannot write the checkpoint: " + IoReason.of(e), e);
        }
    }

    /** Writes atomically: a temporary file, forced to disk, then renamed over the target. */
    public void write(Path file) {
        Path tmp = temporary(file);
        if (Files.isDirectory(file)) {
            throw new InputException(file + ": cannot write the checkpoint: it is a directory");
        }
        try {
            byte[] bytes = JSON.writeValueAsBytes(toJson());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException ignored) {
                // the message below is what matters
            }
            throw new InputException(file + ": cannot write the checkpoint: " + IoReason.of(e), e);
        }
    }

    /** An I/O failure in a few words, without repeating the file name. */
    public static Checkpoint read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such checkpoint file");
        } catch (IOException e) {
            throw new InputException(file + ": not a painn4j checkpoint (" + firstLine(e.getMessage()) + ")");
        }
        try {
            return fromJson(root);
        } catch (RuntimeException e) {
            throw new InputException(file + ": not a valid painn4j checkpoint (" + firstLine(e.getMessage()) + ")");
        }
    }

    ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("step", step);
        MdRunConfig c = config;
        ObjectNode cfg = o.putObject("config");
        cfg.put("model", c.model());
        cfg.put("model_sha256", c.modelSha256());
        cfg.put("input", c.input());
        ArrayNode frames = cfg.putArray("frames");
        for (int f : c.frames()) {
            frames.add(f);
        }
        cfg.put("dt_fs", hex(c.settings().dtFs()));
        cfg.put("thermostat", c.settings().thermostat().key());
        cfg.put("temperature_K", hex(c.settings().temperatureK()));
        cfg.put("friction_per_fs", hex(c.settings().frictionPerFs()));
        cfg.put("masses", c.masses().key());
        cfg.put("seed", c.seed());
        cfg.put("replicas", c.replicas());
        cfg.put("steps", c.steps());
        cfg.put("interval", c.interval());
        cfg.put("checkpoint_interval", c.checkpointInterval());
        cfg.put("log", c.log());
        cfg.put("trajectory", c.trajectory());
        cfg.put("checkpoint", c.checkpoint());
        cfg.put("engine", c.engine());
        ArrayNode reps = o.putArray("replicas");
        for (int r = 0; r < states.size(); r++) {
            MdState s = states.get(r);
            Structure st = s.structure();
            ObjectNode rep = reps.addObject();
            rep.put("seed", s.seed());
            rep.put("log_bytes", logBytes[r]);
            rep.put("trajectory_bytes", trajectoryBytes[r]);
            rep.put("energy", hex(s.energy()));
            ArrayNode z = rep.putArray("numbers");
            for (int n : st.numbers()) {
                z.add(n);
            }
            if (st.hasCell()) {
                hexArray(rep.putArray("cell"), st.cell());
            } else {
                rep.putNull("cell");
            }
            ArrayNode pbc = rep.putArray("pbc");
            for (boolean b : st.pbc()) {
                pbc.add(b);
            }
            hexArray(rep.putArray("masses"), s.masses());
            hexArray(rep.putArray("positions"), st.positions());
            hexArray(rep.putArray("momenta"), s.momenta());
            hexArray(rep.putArray("forces"), s.forces());
        }
        return o;
    }

    /**
     * The checkpoint a JSON tree holds, checked field by field: a checkpoint that is inconsistent
     * or out of range is refused (IllegalArgumentException saying what), never run.
     */
    static Checkpoint fromJson(JsonNode o) {
        if (!FORMAT.equals(o.path("format").asText())) {
            throw new IllegalArgumentException("format is not " + FORMAT);
        }
        JsonNode version = o.path("version");
        if (!version.isIntegralNumber() || version.asLong() != VERSION) {
            throw new IllegalArgumentException("version " + version + ", expected " + VERSION);
        }
        long step = integer(o, "step", 0, Long.MAX_VALUE);
        JsonNode cfg = need(o, "config");
        Thermostat th = Thermostat.of(need(cfg, "thermostat").asText());
        if (th == null) {
            throw new IllegalArgumentException("unknown thermostat " + cfg.get("thermostat"));
        }
        MdSettings settings = new MdSettings(unhex(cfg, "dt_fs"), th, unhex(cfg, "temperature_K"),
                unhex(cfg, "friction_per_fs"));
        MassSource masses = masses(cfg);
        int replicas = (int) integer(cfg, "replicas", 1, Integer.MAX_VALUE);
        JsonNode fr = array(cfg, "frames", replicas);
        int[] frames = new int[fr.size()];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = (int) whole(fr.get(i), "frames[" + i + "]", 0, Integer.MAX_VALUE);
        }
        long seed = integer(cfg, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        MdRunConfig config = new MdRunConfig(string(cfg, "model"), string(cfg, "model_sha256"), text(cfg, "input"),
                frames, settings, masses, seed, replicas, integer(cfg, "steps", 1, Long.MAX_VALUE),
                (int) integer(cfg, "interval", 1, Integer.MAX_VALUE),
                integer(cfg, "checkpoint_interval", 1, Long.MAX_VALUE), string(cfg, "log"), string(cfg, "trajectory"),
                text(cfg, "checkpoint"), string(cfg, "engine"));
        JsonNode reps = need(o, "replicas");
        if (!reps.isArray() || reps.size() != config.replicas()) {
            throw new IllegalArgumentException(reps.size() + " replicas stored, configuration says " + config.replicas());
        }
        List<MdState> states = new ArrayList<>();
        long[] logBytes = new long[reps.size()];
        long[] trajBytes = new long[reps.size()];
        for (int r = 0; r < reps.size(); r++) {
            JsonNode rep = reps.get(r);
            String where = "replica " + r + ": ";
            try {
                states.add(state(rep, step, seed + r, masses));
                logBytes[r] = integer(rep, "log_bytes", 0, Long.MAX_VALUE);
                trajBytes[r] = integer(rep, "trajectory_bytes", 0, Long.MAX_VALUE);
            } catch (IllegalArgumentException | InputException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
        return new Checkpoint(config, step, states, logBytes, trajBytes);
    }

    /**
     * Where the run's masses came from; a checkpoint written before runs could take the input's
     * masses has no such field, and its masses are the table's.
     */
    private static MassSource masses(JsonNode cfg) {
        String key = text(cfg, "masses");
        if (key == null) {
            return MassSource.TABLE;
        }
        MassSource source = MassSource.of(key);
        if (source == null) {
            throw new IllegalArgumentException("masses is \"" + key + "\", not table or input");
        }
        return source;
    }

    /**
     * One replica's state, every number finite; the masses must be the table's, or with masses
     * from the input, positive.
     */
    private static MdState state(JsonNode rep, long step, long seed, MassSource source) {
        long stored = integer(rep, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (stored != seed) {
            throw new IllegalArgumentException("seed " + stored + ", but the run's seed plus the replica is " + seed);
        }
        JsonNode zn = need(rep, "numbers");
        if (!zn.isArray() || zn.size() == 0) {
            throw new IllegalArgumentException("numbers is not a list of atomic numbers");
        }
        int n = zn.size();
        int[] z = new int[n];
        for (int i = 0; i < n; i++) {
            z[i] = (int) whole(zn.get(i), "numbers[" + i + "]", 1, Elements.MAX_Z);
        }
        JsonNode pn = array(rep, "pbc", 3);
        boolean[] pbc = new boolean[3];
        for (int k = 0; k < 3; k++) {
            if (!pn.get(k).isBoolean()) {
                throw new IllegalArgumentException("pbc[" + k + "] is " + pn.get(k) + ", not true or false");
            }
            pbc[k] = pn.get(k).asBoolean();
        }
        JsonNode cn = rep.path("cell");
        double[] cell = cn.isNull() || cn.isMissingNode() ? null : finite(rep, "cell", 9);
        if (cell == null && (pbc[0] || pbc[1] || pbc[2])) {
            throw new IllegalArgumentException("pbc is periodic but there is no cell");
        }
        double[] masses = finite(rep, "masses", n);
        checkMasses(masses, z, source);
        Structure st = new Structure(z, finite(rep, "positions", 3 * n), cell, pbc);
        double energy = unhex(rep, "energy");
        if (!Double.isFinite(energy)) {
            throw new IllegalArgumentException("energy is " + energy);
        }
        return new MdState(step, st, masses, finite(rep, "momenta", 3 * n), finite(rep, "forces", 3 * n), energy,
                seed);
    }

    private static void checkMasses(double[] masses, int[] z, MassSource source) {
        if (source == MassSource.INPUT) {
            for (int i = 0; i < masses.length; i++) {
                if (!(masses[i] > 0)) {
                    throw new IllegalArgumentException("masses[" + i + "] is " + masses[i] + ", not a positive mass");
                }
            }
            return;
        }
        double[] table = Masses.of(z);
        for (int i = 0; i < masses.length; i++) {
            if (Double.compare(masses[i], table[i]) != 0) {
                throw new IllegalArgumentException("masses[" + i + "] is " + masses[i] + ", not " + table[i]
                        + ", the mass of atomic number " + z[i] + " (the run's masses are the table's)");
            }
        }
    }

    private static JsonNode need(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("no '" + key + "'");
        }
        return v;
    }

    /** An integer field in [min, max]; text, fractions and other types are refused. */
    private static long integer(JsonNode o, String key, long min, long max) {
        return whole(need(o, key), key, min, max);
    }

    private static long whole(JsonNode v, String what, long min, long max) {
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new IllegalArgumentException(what + " is " + v + ", not a whole number"
                    + (min == Long.MIN_VALUE ? "" : max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                    ? " of at least " + min : " from " + min + " to " + max));
        }
        return v.asLong();
    }

    /** A list field of the given length. */
    private static JsonNode array(JsonNode o, String key, int length) {
        JsonNode v = need(o, key);
        if (!v.isArray() || v.size() != length) {
            throw new IllegalArgumentException(key + " must be a list of " + length + ", got " + v);
        }
        return v;
    }

    /** A list of the given length of finite doubles. */
    private static double[] finite(JsonNode o, String key, int length) {
        JsonNode a = need(o, key);
        if (!a.isArray() || a.size() != length) {
            throw new IllegalArgumentException(key + " must be a list of " + length + " numbers, got "
                    + (a.isArray() ? a.size() : a.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        double[] v = new double[length];
        for (int i = 0; i < length; i++) {
            v[i] = toDouble(a.get(i), key + "[" + i + "]");
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(key + "[" + i + "] is " + v[i]);
            }
        }
        return v;
    }

    /** A text field, required. */
    private static String string(JsonNode o, String key) {
        JsonNode v = need(o, key);
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + " is " + v + ", not text");
        }
        return v.asText();
    }

    /** A text field, or null. */
    private static String text(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + " is " + v + ", not text");
        }
        return v.asText();
    }

    static String hex(double x) {
        return Double.toHexString(x);
    }

    /** A double field written as text (hexadecimal, as {@link #hex} writes it, or decimal) or as a JSON number. */
    private static double unhex(JsonNode o, String key) {
        return toDouble(need(o, key), key);
    }

    private static double toDouble(JsonNode n, String what) {
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(what + " is " + n + ", not a number");
        }
        try {
            return Double.parseDouble(n.asText().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is " + n + ", not a number");
        }
    }

    private static void hexArray(ArrayNode a, double[] values) {
        for (double v : values) {
            a.add(hex(v));
        }
    }

    private static String firstLine(String s) {
        return s == null ? "unreadable" : s.lines().findFirst().orElse(s);
    }
}
