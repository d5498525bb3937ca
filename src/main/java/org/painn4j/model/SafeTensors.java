package org.painn4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.painn4j.InputException;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * (tensor name → dtype, shape, data offsets; plus {@code __metadata__}), then raw little-endian
 * tensor data. Only F32 and F64 tensors are accepted; every value is returned as a double.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    private SafeTensors() {
    }

    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file.toString(), bytes);
    }

    static Contents parse(String where, byte[] bytes) {
        if (bytes.length < 8) {
            throw new InputException(where + ": not a safetensors file (" + bytes.length
                    + " bytes, shorter than the 8-byte header length)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        if (headerLength < 2 || headerLength > bytes.length - 8L) {
            throw new InputException(where + ": header length " + headerLength
                    + " runs past the end of the file (" + bytes.length + " bytes)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InputException(where + ": header is not valid JSON ("
                    + e.getOriginalMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw new InputException(where + ": header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - (long) dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(where, field.getValue(), metadata);
            } else {
                tensors.put(field.getKey(),
                        readTensor(where, field.getKey(), field.getValue(), buf, dataStart, dataLength));
            }
        }
        return new Contents(metadata, tensors);
    }

    private static void readMetadata(String where, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new InputException(where + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InputException(where + ": __metadata__ key '" + e.getKey()
                        + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().asText());
        }
    }

    private static Tensor readTensor(String where, String name, JsonNode node, ByteBuffer buf,
                                     int dataStart, long dataLength) {
        String at = where + ": tensor '" + name + "'";
        if (!node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("data_offsets")) {
            throw new InputException(at + ": header entry needs dtype, shape and data_offsets");
        }
        String dtype = node.get("dtype").asText();
        int width;
        switch (dtype) {
            case "F32" -> width = 4;
            case "F64" -> width = 8;
            default -> throw new InputException(at + ": dtype " + dtype
                    + " is not supported (F32 or F64)");
        }
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new InputException(at + ": shape must be an array and data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                throw new InputException(at + ": shape entry " + shapeNode.get(i) + " is not a size");
            }
            shape[i] = shapeNode.get(i).asLong();
            count *= shape[i];
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end - begin != count * width) {
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
        double[] values = new double[(int) count];
        int pos = dataStart + (int) begin;
        for (int i = 0; i < values.length; i++) {
            values[i] = width == 4 ? buf.getFloat(pos + 4 * i) : buf.getDouble(pos + 8 * i);
        }
        return new Tensor(name, dtype, shape, values);
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
