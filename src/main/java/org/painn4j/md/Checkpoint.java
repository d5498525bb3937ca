package org.painn4j.md;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.painn4j.InputException;
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
            throw new InputException(file + ": cannot write the checkpoint: " + why(e), e);
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
            throw new InputException(file + ": cannot write the checkpoint: " + why(e), e);
        }
    }

    /** An I/O failure in a few words, without repeating the file name. */
    private static String why(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return firstLine(e.getMessage());
    }

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

    static Checkpoint fromJson(JsonNode o) {
        if (!FORMAT.equals(o.path("format").asText())) {
            throw new IllegalArgumentException("format is not " + FORMAT);
        }
        if (o.path("version").asInt() != VERSION) {
            throw new IllegalArgumentException("version " + o.path("version").asText() + ", expected " + VERSION);
        }
        long step = need(o, "step").asLong();
        JsonNode cfg = need(o, "config");
        Thermostat th = Thermostat.of(need(cfg, "thermostat").asText());
        if (th == null) {
            throw new IllegalArgumentException("unknown thermostat " + cfg.get("thermostat"));
        }
        MdSettings settings = new MdSettings(unhex(need(cfg, "dt_fs")), th, unhex(need(cfg, "temperature_K")),
                unhex(need(cfg, "friction_per_fs")));
        JsonNode fr = need(cfg, "frames");
        int[] frames = new int[fr.size()];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = fr.get(i).asInt();
        }
        MdRunConfig config = new MdRunConfig(text(cfg, "model"), text(cfg, "model_sha256"), text(cfg, "input"),
                frames, settings, need(cfg, "seed").asLong(), need(cfg, "replicas").asInt(), need(cfg, "steps").asLong(),
                need(cfg, "interval").asInt(), need(cfg, "checkpoint_interval").asLong(), text(cfg, "log"),
                text(cfg, "trajectory"), text(cfg, "checkpoint"), text(cfg, "engine"));
        JsonNode reps = need(o, "replicas");
        if (reps.size() != config.replicas()) {
            throw new IllegalArgumentException(reps.size() + " replicas stored, configuration says " + config.replicas());
        }
        List<MdState> states = new ArrayList<>();
        long[] logBytes = new long[reps.size()];
        long[] trajBytes = new long[reps.size()];
        for (int r = 0; r < reps.size(); r++) {
            JsonNode rep = reps.get(r);
            JsonNode zn = need(rep, "numbers");
            int[] z = new int[zn.size()];
            for (int i = 0; i < z.length; i++) {
                z[i] = zn.get(i).asInt();
            }
            JsonNode pn = need(rep, "pbc");
            boolean[] pbc = {pn.get(0).asBoolean(), pn.get(1).asBoolean(), pn.get(2).asBoolean()};
            double[] cell = rep.path("cell").isNull() || rep.path("cell").isMissingNode() ? null : unhexArray(rep.get("cell"));
            Structure st = new Structure(z, unhexArray(need(rep, "positions")), cell, pbc);
            states.add(new MdState(step, st, unhexArray(need(rep, "masses")), unhexArray(need(rep, "momenta")),
                    unhexArray(need(rep, "forces")), unhex(need(rep, "energy")), need(rep, "seed").asLong()));
            logBytes[r] = need(rep, "log_bytes").asLong();
            trajBytes[r] = need(rep, "trajectory_bytes").asLong();
        }
        return new Checkpoint(config, step, states, logBytes, trajBytes);
    }

    private static JsonNode need(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("no '" + key + "'");
        }
        return v;
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    static String hex(double x) {
        return Double.toHexString(x);
    }

    static double unhex(JsonNode n) {
        return Double.parseDouble(n.asText());
    }

    private static void hexArray(ArrayNode a, double[] values) {
        for (double v : values) {
            a.add(hex(v));
        }
    }

    private static double[] unhexArray(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = unhex(a.get(i));
        }
        return v;
    }

    private static String firstLine(String s) {
        return s == null ? "unreadable" : s.lines().findFirst().orElse(s);
    }
}
