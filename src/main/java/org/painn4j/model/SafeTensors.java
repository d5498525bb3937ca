package org.painn4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.painn4j.InputException;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * (tensor name → dtype, shape, data offsets; plus {@code __metadata__}), then raw little-endian
 * tensor data. Only F32 and F64 tensors are accepted; every value is returned as a double.
 */
public final class SafeTensors {
    /**
     * Strict JSON, as the reference implementation parses the header: nothing after the object
     * but blanks, no key twice, and numbers kept as written (exact decimals) so that a shape or
     * an offset that is not an integer can be refused and quoted as the file has it.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    /** Largest file read: what one Java array holds (a PaiNN model's file takes a few MB). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    /** A tensor with its values widened to double, row-major. */
    public record Tensor(String name, String dtype, long[] shape, double[] values) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** The parsed file: metadata (string → string) and tensors in header order. */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {
    }

    /** A header entry, checked, before its data is read. */
    private record Entry(String name, String dtype, int width, long[] shape, long count,
                         long begin, long end) {
        String offsets() {
            return "[" + begin + ", " + end + "]";
        }
    }

    private SafeTensors() {
    }

    public static Contents read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new InputException(file + ": " + size + " bytes, too large for a weights file "
                        + "(painn4j reads files under 2 GiB; a PaiNN model takes a few MB)");
            }
            return parse(file.toString(), Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + printable(e.getMessage()) + ")");
        } catch (OutOfMemoryError e) {
            throw new InputException(file + ": not enough memory to read it (Java heap "
                    + Runtime.getRuntime().maxMemory() + " bytes; raise it with -Xmx)");
        }
    }

    static Contents parse(String where, byte[] bytes) {
        if (bytes.length < 8) {
            throw new InputException(where + ": not a safetensors file (" + bytes.length
                    + " bytes, shorter than the 8-byte header length)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        if (headerLength < 0) {
            throw new InputException(where + ": header length " + Long.toUnsignedString(headerLength)
                    + " (unsigned 64-bit) is larger than the file (" + bytes.length + " bytes)");
        }
        if (headerLength < 2) {
            throw new InputException(where + ": header length " + headerLength
                    + " is too small for a JSON header (at least 2 bytes, '{}')");
        }
        if (headerLength > bytes.length - 8L) {
            throw new InputException(where + ": header length " + headerLength
                    + " runs past the end of the file (" + bytes.length + " bytes)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(utf8(where, bytes, 8, (int) headerLength));
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            if (why != null && why.startsWith("Trailing token")) {
                why = "more JSON follows the header object";
            }
            throw new InputException(where + ": header is not valid JSON (" + printable(why) + ")");
        }
        if (header == null || !header.isObject()) {
            throw new InputException(where + ": header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - (long) dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(where, field.getValue(), metadata);
            } else {
                entries.add(readEntry(where, field.getKey(), field.getValue(), dataLength));
            }
        }
        checkTiling(where, entries, dataLength);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name(), readValues(e, buf, dataStart));
        }
        return new Contents(metadata, tensors);
    }

    /** Decodes the header, refusing bytes that are not UTF-8 (no silent replacement characters). */
    private static String utf8(String where, byte[] bytes, int offset, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        CharBuffer out = CharBuffer.allocate(length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new InputException(where + ": header is not valid UTF-8 (byte " + (in.position() - offset)
                    + " of the header, at file offset " + in.position() + ")");
        }
        return out.flip().toString();
    }

    /**
     * The tensors' data must tile the data section exactly, as the reference implementation
     * requires: sorted by offsets, the first starts at 0, each where the previous one ends, and the
     * last ends at the end of the file. Overlaps, gaps and trailing bytes are refused.
     */
    private static void checkTiling(String where, List<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry previous = null;
        long next = 0;
        for (Entry e : sorted) {
            if (e.begin() < next) {
                throw new InputException(where + ": tensor '" + printable(e.name()) + "': data_offsets "
                        + e.offsets() + " overlap tensor '" + printable(previous.name()) + "' "
                        + previous.offsets());
            }
            if (e.begin() > next) {
                throw new InputException(where + ": tensor '" + printable(e.name()) + "': data_offsets "
                        + e.offsets() + " leave bytes [" + next + ", " + e.begin() + ") unused "
                        + (previous == null ? "at the start of the data"
                                : "after tensor '" + printable(previous.name()) + "' " + previous.offsets())
                        + " (tensors must tile the data)");
            }
            previous = e;
            next = e.end();
        }
        if (next != dataLength) {
            throw new InputException(where + ": " + (dataLength - next) + " bytes at the end of the file "
                    + (previous == null ? "belong to no tensor (the header lists none)"
                            : "belong to no tensor (the last, '" + printable(previous.name()) + "', ends at data offset "
                            + next + " of " + dataLength + ")"));
        }
    }

    private static void readMetadata(String where, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new InputException(where + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InputException(where + ": __metadata__ key '" + printable(e.getKey())
                        + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().asText());
        }
    }

    private static Entry readEntry(String where, String name, JsonNode node, long dataLength) {
        String at = where + ": tensor '" + printable(name) + "'";
        if (!node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("data_offsets")) {
            throw new InputException(at + ": header entry needs dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        String dtype = dtypeNode.isTextual() ? dtypeNode.asText() : dtypeNode.toString();
        int width;
        switch (dtype) {
            case "F32" -> width = 4;
            case "F64" -> width = 8;
            default -> throw new InputException(at + ": dtype " + printable(dtype)
                    + " is not supported (F32 or F64)");
        }
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new InputException(at + ": shape must be an array and data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        boolean overflow = false;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(shapeNode.get(i), at + ": shape entry ", " is not a size");
            long c = count * shape[i];
            if (shape[i] != 0 && (c / shape[i] != count || c < 0)) {
                overflow = true;
            }
            count = c;
        }
        long begin = nonNegativeLong(offsets.get(0), at + ": data_offsets entry ", " is not a byte offset");
        long end = nonNegativeLong(offsets.get(1), at + ": data_offsets entry ", " is not a byte offset");
        if (overflow) {
            throw new InputException(at + ": shape " + Arrays.toString(shape)
                    + " has more elements than a file can hold");
        }
        if (count > Long.MAX_VALUE / width || end < begin || end - begin != count * width) {
            throw new InputException(at + ": data_offsets [" + begin + ", " + end + "] do not hold "
                    + count + " " + dtype + " values");
        }
        if (end > dataLength) {
            throw new InputException(at + ": data is truncated (needs bytes up to " + end
                    + ", the file has " + dataLength + " after the header)");
        }
        if (count > Integer.MAX_VALUE) {
            throw new InputException(at + ": too large (" + count + " values)");
        }
        return new Entry(name, dtype, width, shape, count, begin, end);
    }

    /** A JSON integer from 0 to 2^63−1; anything else (a string, a fraction, 1e3) is refused as written. */
    private static long nonNegativeLong(JsonNode n, String before, String after) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new InputException(before + printable(String.valueOf(n)) + after);
        }
        return n.asLong();
    }

    private static Tensor readValues(Entry e, ByteBuffer buf, int dataStart) {
        double[] values = new double[(int) e.count()];
        int pos = dataStart + (int) e.begin();
        for (int i = 0; i < values.length; i++) {
            values[i] = e.width() == 4 ? buf.getFloat(pos + 4 * i) : buf.getDouble(pos + 8 * i);
        }
        return new Tensor(e.name(), e.dtype(), e.shape(), values);
    }

    /**
     * Text from a file made safe to quote in a one-line message: control characters (line breaks
     * included), Unicode format characters and lone surrogates are written as \n, \t, \r or
     * \\uXXXX, and a backslash as \\, so the message stays one line and cannot forge another.
     */
    public static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            String esc = null;
            if (pair) {
                if (b != null) {
                    b.append(c).append(s.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (c == '\\') {
                esc = "\\\\";
            } else if (c == '\n') {
                esc = "\\n";
            } else if (c == '\r') {
                esc = "\\r";
            } else if (c == '\t') {
                esc = "\\t";
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)
                    || Character.getType(c) == Character.FORMAT
                    || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                esc = String.format("\\u%04x", (int) c);
            }
            if (esc != null && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (esc != null) {
                    b.append(esc);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** Writes tensors in the given order with the given dtype ("F32" or "F64"). */
    public static void write(Path file, Map<String, String> metadata, Map<String, Tensor> tensors)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", metadata);
        long offset = 0;
        for (Tensor t : tensors.values()) {
            long size = t.elements() * (t.dtype().equals("F32") ? 4 : 8);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + size});
            header.put(t.name(), entry);
            offset += size;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keeps the data 8-byte aligned, as the format advises
        ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Tensor t : tensors.values()) {
            boolean f32 = t.dtype().equals("F32");
            for (double v : t.values()) {
                if (f32) {
                    out.putFloat((float) v);
                } else {
                    out.putDouble(v);
                }
            }
        }
        Files.write(file, out.array());
    }
}
