package org.painn4j.structure;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
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
 *
 * <p>This class is the entry point and holds the reader and writer; the work is done by
 * {@link ExtXyzParser} (one frame), {@link ExtXyzColumns} (the Properties spec),
 * {@link ExtXyzSyntax} (comment-line and atom-line text), {@link ExtXyzFormat} (writing a frame)
 * and {@link Utf8Lines} (decoding a file line by line).
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
        ExtXyzFormat.append(sb, frame);
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
            Frame frame = new ExtXyzParser(this, frameIndex, headerLine).parse(count);
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
                    // a byte order mark, as some editors write, is no part of the atom count
                    if (line == 1 && s.startsWith("\uFEFF")) {
                        s = s.substring(1);
                    }
                }
                return s;
            } catch (Utf8Lines.NotUtf8 e) {
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
            ExtXyzFormat.append(buffer, frame);
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

    /** The columns every frame has, and all a file without Properties has. */
    static final String DEFAULT_PROPERTIES = "species:S:1:pos:R:3";
}
