package org.painn4j.structure;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.painn4j.InputException;

/**
 * Extended XYZ files as ASE reads and writes them ({@code ase.io.extxyz}, ASE 3.22).
 *
 * <p>Reading follows ASE where ASE is well defined (comment-line quoting and escapes, the
 * default {@code Properties}, pbc T T T when only a Lattice is given, the first columns found by
 * name) and refuses, with one line naming file, frame and line, what ASE would read wrongly or
 * not at all. Writing produces what {@code ase.io.write(format="extxyz")} produces for the same
 * atoms and SinglePointCalculator results, with every number written so that it reads back to
 * the same double.
 */
public final class ExtXyz {
    private ExtXyz() {
    }

    /** Every frame of a file; InputException when it is missing, has no frames or is malformed. */
    public static List<Frame> read(Path file) {
        try (FrameReader reader = open(file)) {
            List<Frame> frames = new ArrayList<>();
            while (reader.hasNext()) {
                frames.add(reader.next());
            }
            return frames;
        }
    }

    /** A reader that parses one frame at a time, so that a long trajectory need not fit in memory. */
    public static FrameReader open(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputException(file + ": is a directory, not an extended XYZ file");
        }
        try {
            return new FrameReader(new Utf8Lines(Files.newInputStream(file)), file.toString());
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new InputException(file + ": permission denied");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** A reader over any text; {@code name} stands for the file in error messages. */
    public static FrameReader open(java.io.Reader in, String name) {
        BufferedReader buffered = in instanceof BufferedReader b ? b : new BufferedReader(in);
        return new FrameReader(new Lines() {
            @Override
            public String readLine() throws IOException {
                return buffered.readLine();
            }

            @Override
            public void close() throws IOException {
                buffered.close();
            }
        }, name);
    }

    /** Writes the frames to a new file, replacing any file of that name. */
    public static void write(Path file, List<Frame> frames) {
        try (FrameWriter writer = create(file)) {
            for (Frame frame : frames) {
                writer.write(frame);
            }
        }
    }

    /** Writes the frames to a stream, which stays open. */
    public static void write(java.io.Writer out, List<Frame> frames) throws IOException {
        for (Frame frame : frames) {
            out.write(format(frame));
        }
        out.flush();
    }

    /** A writer for a new file (replacing any file of that name), one frame at a time. */
    public static FrameWriter create(Path file) {
        return openWriter(file, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** A writer that adds frames to the end of a file, creating it when it does not exist. */
    public static FrameWriter append(Path file) {
        return openWriter(file, StandardOpenOption.APPEND);
    }

    /** A writer onto a stream (standard output, say), which closing the writer closes. */
    public static FrameWriter writer(java.io.Writer out, String name) {
        return new FrameWriter(out, name);
    }

    /** One frame as extended XYZ text: the atom count, the comment line and one line per atom. */
    public static String format(Frame frame) {
        StringBuilder sb = new StringBuilder();
        append(sb, frame);
        return sb.toString();
    }

    private static FrameWriter openWriter(Path file, StandardOpenOption mode) {
        try {
            java.io.Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
            return new FrameWriter(out, file.toString());
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": cannot write: no such directory");
        } catch (AccessDeniedException e) {
            throw new InputException(file + ": cannot write: permission denied");
        } catch (IOException e) {
            throw new InputException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * Frames one at a time. {@link #hasNext()} throws InputException ("no frames") for a file
     * without any frame, and {@link #next()} throws it for a malformed frame; an I/O failure
     * in the middle of a file is an InputException too, since the CLI reports it the same way.
     * A file is decoded as UTF-8 line by line, so a line that is not UTF-8 is reported with its
     * frame and line, and every frame before it can still be read.
     */
    public static final class FrameReader implements Iterator<Frame>, Closeable {
        private final Lines in;
        private final String name;
        private int line;
        private int frameIndex;
        private String header;
        private int headerLine;
        private boolean done;

        private FrameReader(Lines in, String name) {
            this.in = in;
            this.name = name;
        }

        @Override
        public boolean hasNext() {
            if (header != null) {
                return true;
            }
            if (done) {
                return false;
            }
            // Blank lines between frames and at the end are skipped (ASE stops at the first
            // one, silently dropping whatever follows).
            String s;
            while ((s = readLine()) != null) {
                if (!s.isBlank()) {
                    header = s;
                    headerLine = line;
                    return true;
                }
            }
            done = true;
            if (frameIndex == 0) {
                throw new InputException(name + ": no frames");
            }
            return false;
        }

        @Override
        public Frame next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String count = header;
            header = null;
            Frame frame = new FrameParser(this, frameIndex, headerLine).parse(count);
            frameIndex++;
            return frame;
        }

        /** The number of frames returned so far. */
        public int framesRead() {
            return frameIndex;
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                throw new InputException(name + ": cannot close: " + e.getMessage(), e);
            }
        }

        String name() {
            return name;
        }

        int lineNumber() {
            return line;
        }

        String readLine() {
            try {
                String s = in.readLine();
                if (s != null) {
                    line++;
                }
                return s;
            } catch (NotUtf8 e) {
                line++;
                // The frame being read, or the next one when the line would start it.
                throw new InputException(String.format(java.util.Locale.ROOT,
                        "%s: frame %d (line %d): not valid UTF-8 text (byte 0x%02X at column %d)",
                        name, frameIndex, line, e.value, e.column), e);
            } catch (IOException e) {
                throw new InputException(name + ": cannot read after line " + line + ": " + e.getMessage(), e);
            }
        }
    }

    /** The lines of a text, without their line breaks (\n, \r\n or \r); null at the end. */
    private interface Lines extends Closeable {
        String readLine() throws IOException;
    }

    /** A line that is not valid UTF-8: the 1-based column (in bytes) and value of its first bad byte. */
    private static final class NotUtf8 extends IOException {
        final int column;
        final int value;

        NotUtf8(int column, int value) {
            super("not valid UTF-8");
            this.column = column;
            this.value = value;
        }
    }

    /**
     * The lines of a UTF-8 byte stream, each decoded on its own when it is asked for: a decoder
     * reading ahead in blocks would fail a whole block, far from the bad line and before the
     * lines ahead of it are read.
     */
    private static final class Utf8Lines implements Lines {
        private final InputStream in;
        private final byte[] block = new byte[1 << 16];
        private int at;
        private int end;
        private byte[] line = new byte[256];
        /** The last line ended with \r: a \n right after it belongs to the same line break. */
        private boolean skipNewline;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        Utf8Lines(InputStream in) {
            this.in = in;
        }

        @Override
        public String readLine() throws IOException {
            int length = 0;
            boolean ascii = true;
            boolean any = false;
            while (true) {
                if (at == end) {
                    end = in.read(block, 0, block.length);
                    at = 0;
                    if (end <= 0) {
                        end = 0;
                        if (!any) {
                            return null;
                        }
                        break;
                    }
                }
                byte b = block[at++];
                if (skipNewline) {
                    skipNewline = false;
                    if (b == '\n') {
                        continue;
                    }
                }
                any = true;
                if (b == '\n') {
                    break;
                }
                if (b == '\r') {
                    skipNewline = true;
                    break;
                }
                if (length == line.length) {
                    line = Arrays.copyOf(line, 2 * length);
                }
                line[length++] = b;
                ascii &= b >= 0;
            }
            if (ascii) {
                return new String(line, 0, length, StandardCharsets.ISO_8859_1);
            }
            ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
            // UTF-8 never takes fewer bytes than UTF-16 takes chars.
            CharBuffer chars = CharBuffer.allocate(length);
            decoder.reset();
            CoderResult r = decoder.decode(bytes, chars, true);
            if (!r.isError()) {
                r = decoder.flush(chars);
            }
            if (r.isError()) {
                int bad = bytes.position();
                throw new NotUtf8(bad + 1, line[bad] & 0xff);
            }
            return chars.flip().toString();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * Frames one at a time, each flushed as soon as it is written so that a crash loses none. A
     * failure to write (a full disk, say) is an InputException naming the file, as for one that
     * cannot be opened.
     */
    public static final class FrameWriter implements Closeable, Flushable {
        private final java.io.Writer out;
        private final String name;
        private final StringBuilder buffer = new StringBuilder();

        private FrameWriter(java.io.Writer out, String name) {
            this.out = out;
            this.name = name;
        }

        public void write(Frame frame) {
            buffer.setLength(0);
            append(buffer, frame);
            try {
                out.append(buffer);
                out.flush();
            } catch (IOException e) {
                throw cannotWrite(e);
            }
        }

        @Override
        public void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                throw cannotWrite(e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw cannotWrite(e);
            }
        }

        /** A full disk or a lost file system is the user's to fix, so one line as for a bad path. */
        private InputException cannotWrite(IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new InputException(name + ": cannot write: " + why, e);
        }
    }

    /** The frame being parsed: everything an error message needs to say where it is. */
    private static final class FrameParser {
        private final FrameReader source;
        private final int index;
        private final int headerLine;

        FrameParser(FrameReader source, int index, int headerLine) {
            this.source = source;
            this.index = index;
            this.headerLine = headerLine;
        }

        Frame parse(String countLine) {
            int n = atomCount(countLine);
            String comment = source.readLine();
            if (comment == null) {
                throw error(headerLine, "file ends before the comment line");
            }
            int commentLine = source.lineNumber();
            Map<String, String> keys;
            try {
                keys = parseComment(comment);
            } catch (IllegalArgumentException e) {
                throw error(commentLine, "comment line: " + e.getMessage());
            }
            Header h = new Header(keys, commentLine);
            Columns columns = columns(keys.getOrDefault("Properties", DEFAULT_PROPERTIES), commentLine);
            return atoms(n, h, columns);
        }

        private int atomCount(String s) {
            String t = s.trim();
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n <= 0) {
                throw error(headerLine, "expected the atom count (a positive integer), got '" + clip(t) + "'");
            }
            if (n > Integer.MAX_VALUE / 3) {
                throw error(headerLine, "atom count " + n + " is too large");
            }
            return n;
        }

        /** The comment-line keys the frame itself uses, checked; the rest become info. */
        private final class Header {
            final double[] cell;
            final boolean[] pbc;
            final Double energy;
            final double[] stress;
            final Map<String, String> info = new LinkedHashMap<>();

            Header(Map<String, String> keys, int lineNo) {
                String lattice = keys.get("Lattice");
                String pbcText = keys.get("pbc");
                cell = lattice == null ? null : lattice(lattice, lineNo);
                if (pbcText != null) {
                    pbc = pbc(pbcText, lineNo);
                } else {
                    // ASE's rule: a Lattice alone means periodic along all three axes.
                    pbc = new boolean[] {cell != null, cell != null, cell != null};
                }
                boolean periodic = pbc[0] || pbc[1] || pbc[2];
                if (cell == null && periodic) {
                    throw error(lineNo, "pbc=\"" + pbcText + "\" without Lattice");
                }
                if (cell != null && periodic) {
                    periodicRows(cell, pbc, lineNo);
                }
                String e = keys.get("energy");
                energy = e == null ? null : energy(e, lineNo);
                String s = keys.get("stress");
                stress = s == null ? null : stress(s, lineNo);
                for (Map.Entry<String, String> kv : keys.entrySet()) {
                    // ASE itself cannot write an empty value so that it reads back, so drop it.
                    if (!Frame.RESERVED_KEYS.contains(kv.getKey()) && !kv.getValue().isEmpty()) {
                        info.put(kv.getKey(), kv.getValue());
                    }
                }
            }
        }

        /**
         * Only the cell rows of periodic axes must span a lattice: ASE writes slabs and wires with
         * the rows of their open axes zero, and the neighbor search never uses those rows.
         */
        private void periodicRows(double[] cell, boolean[] pbc, int lineNo) {
            int[] p = new int[3];
            int np = 0;
            for (int d = 0; d < 3; d++) {
                if (pbc[d]) {
                    if (length(cell, d) == 0) {
                        throw error(lineNo, "Lattice vector " + "abc".charAt(d) + " is zero but pbc is "
                                + pbcString(pbc) + " (a periodic axis needs a non-zero cell vector)");
                    }
                    p[np++] = d;
                }
            }
            if (np == 3 && singular(cell)) {
                throw error(lineNo, "Lattice is singular (zero volume) but pbc is " + pbcString(pbc));
            }
            if (np == 2) {
                int a = 3 * p[0];
                int b = 3 * p[1];
                double x = cell[a + 1] * cell[b + 2] - cell[a + 2] * cell[b + 1];
                double y = cell[a + 2] * cell[b] - cell[a] * cell[b + 2];
                double z = cell[a] * cell[b + 1] - cell[a + 1] * cell[b];
                if (Math.sqrt(x * x + y * y + z * z) <= 1e-12 * length(cell, p[0]) * length(cell, p[1])) {
                    throw error(lineNo, "Lattice vectors " + "abc".charAt(p[0]) + " and " + "abc".charAt(p[1])
                            + " are parallel (zero area) but pbc is " + pbcString(pbc));
                }
            }
        }

        private double[] lattice(String text, int lineNo) {
            String[] t = values(text);
            if (t.length != 9) {
                throw error(lineNo, "Lattice needs 9 numbers (three cell vectors), got " + t.length);
            }
            double[] cell = new double[9];
            for (int i = 0; i < 9; i++) {
                cell[i] = number(t[i], lineNo, "Lattice");
                if (!Double.isFinite(cell[i])) {
                    throw error(lineNo, "Lattice has a NaN or infinite entry '" + t[i] + "'");
                }
            }
            return cell;
        }

        private boolean[] pbc(String text, int lineNo) {
            String[] t = values(text);
            if (t.length != 1 && t.length != 3) {
                throw error(lineNo, "pbc needs 3 flags like \"T T F\", got \"" + clip(text) + "\"");
            }
            boolean[] pbc = new boolean[3];
            for (int i = 0; i < 3; i++) {
                String f = t[t.length == 1 ? 0 : i];
                switch (f.toLowerCase()) {
                    case "t", "true", "1" -> pbc[i] = true;
                    case "f", "false", "0" -> pbc[i] = false;
                    default -> throw error(lineNo, "pbc flag '" + clip(f) + "' is not T or F");
                }
            }
            return pbc;
        }

        private double energy(String text, int lineNo) {
            String[] t = values(text);
            if (t.length != 1) {
                throw error(lineNo, "energy needs one number, got \"" + clip(text) + "\"");
            }
            return number(t[0], lineNo, "energy");
        }

        /** A 3x3 stress, row-major. */
        private double[] stress(String text, int lineNo) {
            String[] t = values(text);
            double[] v = new double[t.length];
            for (int i = 0; i < t.length; i++) {
                v[i] = number(t[i], lineNo, "stress");
            }
            if (v.length == 9) {
                // Fortran order as ASE writes it: the transpose of reading the values row by row.
                return Mat3.transpose(v);
            }
            if (v.length == 6) {
                // Voigt order xx yy zz yz xz xy.
                return new double[] {v[0], v[5], v[4], v[5], v[1], v[3], v[4], v[3], v[2]};
            }
            throw error(lineNo, "stress needs 9 numbers (or 6 in Voigt order), got " + v.length);
        }

        private Columns columns(String properties, int lineNo) {
            try {
                return Columns.parse(properties);
            } catch (IllegalArgumentException e) {
                throw error(lineNo, "Properties=" + clip(properties) + ": " + e.getMessage());
            }
        }

        private Frame atoms(int n, Header h, Columns c) {
            int capacity = Math.min(n, 1 << 16);
            int[] numbers = new int[capacity];
            double[] pos = new double[3 * capacity];
            double[] forces = c.forces < 0 ? null : new double[3 * capacity];
            double[] momenta = c.momenta < 0 ? null : new double[3 * capacity];
            String[][] extra = new String[c.extras.size()][];
            for (int e = 0; e < extra.length; e++) {
                extra[e] = new String[c.extras.get(e).count() * capacity];
            }
            int[] start = new int[c.width];
            int[] end = new int[c.width];
            for (int a = 0; a < n; a++) {
                String s = source.readLine();
                if (s == null) {
                    throw error(headerLine, "expected " + n + " atom lines, file ends after " + a);
                }
                int lineNo = source.lineNumber();
                if (a == capacity) {
                    // Grown as lines arrive, so that a wrong count cannot ask for a huge array.
                    capacity = (int) Math.min(n, 2L * capacity);
                    numbers = Arrays.copyOf(numbers, capacity);
                    pos = Arrays.copyOf(pos, 3 * capacity);
                    forces = forces == null ? null : Arrays.copyOf(forces, 3 * capacity);
                    momenta = momenta == null ? null : Arrays.copyOf(momenta, 3 * capacity);
                    for (int e = 0; e < extra.length; e++) {
                        extra[e] = Arrays.copyOf(extra[e], c.extras.get(e).count() * capacity);
                    }
                }
                int found = split(s, start, end);
                if (found < c.width) {
                    throw error(lineNo, "atom " + a + " has " + found + " columns, Properties needs "
                            + c.width + " (" + c.spec + ")");
                }
                numbers[a] = c.z >= 0 ? atomicNumber(s.substring(start[c.z], end[c.z]), a, lineNo)
                        : element(s.substring(start[c.species], end[c.species]), a, lineNo);
                for (int k = 0; k < 3; k++) {
                    String t = s.substring(start[c.pos + k], end[c.pos + k]);
                    double x = number(t, lineNo, "atom " + a + " position");
                    if (!Double.isFinite(x)) {
                        throw error(lineNo, "atom " + a + " position is NaN or infinite ('" + t + "')");
                    }
                    pos[3 * a + k] = x;
                    if (forces != null) {
                        forces[3 * a + k] = number(s.substring(start[c.forces + k], end[c.forces + k]),
                                lineNo, "atom " + a + " force");
                    }
                    if (momenta != null) {
                        momenta[3 * a + k] = number(s.substring(start[c.momenta + k], end[c.momenta + k]),
                                lineNo, "atom " + a + " momentum");
                    }
                }
                for (int e = 0; e < extra.length; e++) {
                    Columns.Extra x = c.extras.get(e);
                    for (int k = 0; k < x.count(); k++) {
                        String t = s.substring(start[x.at() + k], end[x.at() + k]);
                        if (!Frame.Column.valid(x.type(), t)) {
                            throw error(lineNo, "atom " + a + " " + x.name() + " '" + clip(t) + "' is not "
                                    + Frame.Column.what(x.type()) + " (" + x.name() + ":" + x.type() + ":" + x.count() + ")");
                        }
                        extra[e][a * x.count() + k] = t;
                    }
                }
            }
            Structure structure = new Structure(Arrays.copyOf(numbers, n),
                    Arrays.copyOf(pos, 3 * n), h.cell, h.pbc);
            List<Frame.Column> columns = new ArrayList<>(extra.length);
            for (int e = 0; e < extra.length; e++) {
                Columns.Extra x = c.extras.get(e);
                columns.add(new Frame.Column(x.name(), x.type(), x.count(), Arrays.copyOf(extra[e], x.count() * n)));
            }
            return new Frame(structure, h.energy, forces == null ? null : Arrays.copyOf(forces, 3 * n),
                    h.stress, momenta == null ? null : Arrays.copyOf(momenta, 3 * n), h.info, headerLine,
                    columns, c.momentaAt);
        }

        private int element(String symbol, int atom, int lineNo) {
            // ASE capitalises species ("CL" and "cl" are chlorine), so do the same.
            String s = symbol.isEmpty() ? symbol
                    : symbol.substring(0, 1).toUpperCase() + symbol.substring(1).toLowerCase();
            int z = Elements.number(s);
            if (z < 0) {
                throw error(lineNo, "atom " + atom + " has unknown element '" + clip(symbol) + "'");
            }
            return z;
        }

        private int atomicNumber(String text, int atom, int lineNo) {
            int z;
            try {
                z = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw error(lineNo, "atom " + atom + " has atomic number '" + clip(text) + "', not an integer");
            }
            if (z < 1 || z > Elements.MAX_Z) {
                throw error(lineNo, "atom " + atom + " has atomic number " + z + ", outside 1.." + Elements.MAX_Z);
            }
            return z;
        }

        private double number(String text, int lineNo, String what) {
            try {
                return parseReal(text);
            } catch (NumberFormatException e) {
                throw error(lineNo, what + " '" + clip(text) + "' is not a number");
            }
        }

        private InputException error(int lineNo, String message) {
            return new InputException(source.name() + ": frame " + index + " (line " + lineNo + "): " + message);
        }
    }

    /** Where the columns this library uses sit on an atom line, found by name in Properties. */
    private static final class Columns {
        String spec;
        int width;
        int species = -1;
        int z = -1;
        int pos = -1;
        int forces = -1;
        int momenta = -1;
        /** The other columns, kept as text, in file order. */
        final List<Extra> extras = new ArrayList<>();
        /** How many of the extras come before momenta. */
        int momentaAt;

        record Extra(String name, char type, int count, int at) {
        }

        static Columns parse(String spec) {
            Columns c = new Columns();
            c.spec = spec;
            String[] f = spec.split(":", -1);
            if (f.length % 3 != 0) {
                throw new IllegalArgumentException("not a list of name:type:count triples");
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < f.length; i += 3) {
                String name = f[i];
                String type = f[i + 1];
                int count;
                try {
                    count = Integer.parseInt(f[i + 2]);
                } catch (NumberFormatException e) {
                    count = -1;
                }
                if (name.isEmpty() || count < 1) {
                    throw new IllegalArgumentException("bad entry '" + name + ":" + type + ":" + f[i + 2] + "'");
                }
                if (!type.equals("R") && !type.equals("I") && !type.equals("S") && !type.equals("L")) {
                    throw new IllegalArgumentException(name + " has unknown type '" + type + "' (R, I, S or L)");
                }
                if (!seen.add(name)) {
                    throw new IllegalArgumentException(name + " appears twice");
                }
                // ASE's own names (positions, numbers, symbols) work as well as the file's.
                switch (name) {
                    case "species", "symbols" -> c.species = c.place(name, type, count, "S", 1);
                    case "Z", "numbers" -> c.z = c.place(name, type, count, "I", 1);
                    case "pos", "positions" -> c.pos = c.place(name, type, count, "R", 3);
                    case "forces" -> c.forces = c.place(name, type, count, "R", 3);
                    case "momenta" -> {
                        c.momenta = c.place(name, type, count, "R", 3);
                        c.momentaAt = c.extras.size();
                    }
                    default -> {
                        if (!Frame.Column.validName(name)) {
                            throw new IllegalArgumentException("column name '" + name + "' has one of "
                                    + Frame.Column.NOT_IN_NAMES);
                        }
                        c.extras.add(new Extra(name, type.charAt(0), count, c.width));
                        c.width += count;
                    }
                }
            }
            if (c.species < 0 && c.z < 0) {
                throw new IllegalArgumentException("no species:S:1 or Z:I:1 column");
            }
            if (c.pos < 0) {
                throw new IllegalArgumentException("no pos:R:3 column");
            }
            if (c.species >= 0 && c.z >= 0) {
                // ASE lets Z override species; one source of truth is enough.
                c.species = -1;
            }
            return c;
        }

        private int place(String name, String type, int count, String wantType, int wantCount) {
            if (!type.equals(wantType) || count != wantCount) {
                throw new IllegalArgumentException(name + " must be " + name + ":" + wantType + ":" + wantCount
                        + ", got " + name + ":" + type + ":" + count);
            }
            int at = width;
            width += count;
            return at;
        }
    }

    private static boolean singular(double[] cell) {
        // Relative to the lengths of the cell vectors, so that tiny and huge cells are judged alike.
        double scale = length(cell, 0) * length(cell, 1) * length(cell, 2);
        return scale == 0 || Math.abs(Mat3.det(cell)) <= 1e-12 * scale;
    }

    private static double length(double[] cell, int row) {
        return Math.sqrt(cell[3 * row] * cell[3 * row] + cell[3 * row + 1] * cell[3 * row + 1]
                + cell[3 * row + 2] * cell[3 * row + 2]);
    }

    // ---- writing ----

    static void append(StringBuilder sb, Frame frame) {
        Structure s = frame.structure();
        int n = s.size();
        sb.append(n).append('\n');
        double[] cell = s.cell();
        if (cell != null) {
            // Rows a, b, c: ASE writes the transpose of its cell in Fortran order, which is this.
            sb.append("Lattice=\"");
            joinNumbers(sb, cell);
            sb.append("\" ");
        }
        sb.append("Properties=").append(DEFAULT_PROPERTIES);
        double[] momenta = frame.momenta();
        double[] forces = frame.forces();
        List<Frame.Column> columns = frame.columns();
        // ASE's column order: species, pos, its other arrays in the order they were read (momenta
        // among them), then calculator results (forces).
        int momentaAt = momenta == null ? -1 : frame.momentaAt();
        for (int i = 0; i <= columns.size(); i++) {
            if (i == momentaAt) {
                sb.append(":momenta:R:3");
            }
            if (i < columns.size()) {
                Frame.Column c = columns.get(i);
                sb.append(':').append(c.name()).append(':').append(c.type()).append(':').append(c.count());
            }
        }
        if (forces != null) {
            sb.append(":forces:R:3");
        }
        // ASE's key order: info, then results, then pbc.
        for (Map.Entry<String, String> kv : frame.info().entrySet()) {
            sb.append(' ').append(quote(kv.getKey())).append('=').append(quote(kv.getValue()));
        }
        if (frame.energy() != null) {
            sb.append(" energy=").append(number(frame.energy()));
        }
        double[] stress = frame.stress();
        if (stress != null) {
            // Fortran order, as ASE writes its 3x3 stress; the same as row order when symmetric.
            sb.append(" stress=\"");
            joinNumbers(sb, Mat3.transpose(stress));
            sb.append('"');
        }
        sb.append(" pbc=\"").append(pbcString(s.pbc())).append("\"\n");
        double[] pos = s.positions();
        for (int a = 0; a < n; a++) {
            String symbol = Elements.symbol(s.number(a));
            sb.append(symbol);
            if (symbol.length() == 1) {
                sb.append(' ');
            }
            column(sb, pos, a);
            for (int i = 0; i <= columns.size(); i++) {
                if (i == momentaAt) {
                    column(sb, momenta, a);
                }
                if (i < columns.size()) {
                    Frame.Column c = columns.get(i);
                    // Right-aligned like ASE's %16.8f and %8d, so that columns line up.
                    int width = c.type() == 'R' ? NUMBER_WIDTH : c.type() == 'I' ? 8 : 0;
                    for (int k = 0; k < c.count(); k++) {
                        String t = c.value(a, k);
                        sb.append(' ');
                        for (int pad = t.length(); pad < width; pad++) {
                            sb.append(' ');
                        }
                        sb.append(t);
                    }
                }
            }
            if (forces != null) {
                column(sb, forces, a);
            }
            sb.append('\n');
        }
    }

    private static void column(StringBuilder sb, double[] values, int atom) {
        for (int k = 0; k < 3; k++) {
            String t = number(values[3 * atom + k]);
            sb.append(' ');
            for (int pad = t.length(); pad < NUMBER_WIDTH; pad++) {
                sb.append(' ');
            }
            sb.append(t);
        }
    }

    private static void joinNumbers(StringBuilder sb, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(number(values[i]));
        }
    }

    /**
     * The shortest text Java gives that reads back to the same double, spelled so that Python's
     * float() and numpy read it too (lower-case exponent, nan and inf as Python writes them).
     */
    static String number(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        return Double.toString(x).replace('E', 'e');
    }

    /** A key or value as ASE's comment-line parser will read it back: quoted and escaped when needed. */
    private static String quote(String s) {
        boolean plain = !s.isEmpty();
        for (int i = 0; i < s.length() && plain; i++) {
            char ch = s.charAt(i);
            plain = !Character.isWhitespace(ch) && "\"'{}[]=\\".indexOf(ch) < 0;
        }
        if (plain) {
            return s;
        }
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    // ---- reading ----

    static final String DEFAULT_PROPERTIES = "species:S:1:pos:R:3";

    /** Wide enough for most doubles, so that the columns of a file line up. */
    private static final int NUMBER_WIDTH = 22;

    /**
     * The key=value pairs of a comment line, raw values unquoted, the way ASE's
     * key_val_str_to_dict splits them: values in "", '', {} or [], backslash escapes, spaces
     * around '=' allowed, a bare key meaning T. ASE reads an unclosed quote to the end of the
     * line, swallowing pbc and whatever else follows; that is refused here.
     */
    static Map<String, String> parseComment(String line) {
        List<List<StringBuilder>> pairs = new ArrayList<>();
        pairs.add(newPair());
        char closing = 0;
        boolean escaped = false;
        String s = line.strip();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            List<StringBuilder> pair = pairs.get(pairs.size() - 1);
            StringBuilder part = pair.get(pair.size() - 1);
            if (escaped) {
                part.append(ch);
                escaped = false;
            } else if (ch == '\\') {
                escaped = true;
            } else if (closing != 0) {
                if (ch == closing) {
                    closing = 0;
                } else {
                    part.append(ch);
                }
            } else if ("\"'{[".indexOf(ch) >= 0) {
                closing = "\"'}]".charAt("\"'{[".indexOf(ch));
            } else if (Character.isWhitespace(ch)) {
                if (part.length() > 0) {
                    pairs.add(newPair());
                }
            } else if (ch == '=') {
                if (pair.size() == 1 && part.length() == 0) {
                    // "key = value": the space opened a new pair that '=' now closes again.
                    pairs.remove(pairs.size() - 1);
                    if (pairs.isEmpty()) {
                        throw new IllegalArgumentException("'=' without a key");
                    }
                }
                pairs.get(pairs.size() - 1).add(new StringBuilder());
            } else {
                part.append(ch);
            }
        }
        if (closing != 0) {
            throw new IllegalArgumentException("unclosed " + closing + " quote");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (List<StringBuilder> pair : pairs) {
            String key = pair.get(0).toString();
            if (pair.size() == 1) {
                if (!key.isEmpty()) {
                    keys.put(key, "T");
                }
                continue;
            }
            StringBuilder value = new StringBuilder(pair.get(1));
            for (int p = 2; p < pair.size(); p++) {
                value.append('=').append(pair.get(p));
            }
            keys.put(key, value.toString());
        }
        return keys;
    }

    private static List<StringBuilder> newPair() {
        List<StringBuilder> pair = new ArrayList<>(2);
        pair.add(new StringBuilder());
        return pair;
    }

    /** The items of a multi-valued key, split on spaces and commas as ASE does. */
    static String[] values(String text) {
        List<String> items = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean sep = i == text.length() || Character.isWhitespace(text.charAt(i)) || text.charAt(i) == ',';
            if (sep && start >= 0) {
                items.add(text.substring(start, i));
                start = -1;
            } else if (!sep && start < 0) {
                start = i;
            }
        }
        return items.toArray(new String[0]);
    }

    /**
     * Finds the first start.length whitespace-separated columns of an atom line; returns how
     * many it found. Columns past those are never looked at, as in ASE.
     */
    static int split(String s, int[] start, int[] end) {
        int found = 0;
        int n = s.length();
        int i = 0;
        while (found < start.length) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            start[found] = i;
            while (i < n && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            end[found++] = i;
        }
        return found;
    }

    /**
     * A decimal number as Python's float() reads it, nan and inf included; NumberFormatException
     * for anything else, including the hexadecimal and 'd'/'f'-suffixed forms Java alone accepts.
     */
    static double parseReal(String t) {
        if (t.isEmpty()) {
            throw new NumberFormatException("empty");
        }
        for (int i = 0; i < t.length(); i++) {
            char ch = t.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-')) {
                String word = t.toLowerCase();
                boolean negative = word.startsWith("-");
                if (negative || word.startsWith("+")) {
                    word = word.substring(1);
                }
                switch (word) {
                    case "nan":
                        return Double.NaN;
                    case "inf", "infinity":
                        return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    default:
                        throw new NumberFormatException(t);
                }
            }
        }
        return Double.parseDouble(t);
    }

    static String pbcString(boolean[] pbc) {
        return (pbc[0] ? "T" : "F") + " " + (pbc[1] ? "T" : "F") + " " + (pbc[2] ? "T" : "F");
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
