package org.painn4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.InputException;

/**
 * The container checks of the weights file (SPEC §2), on the shipped test model with its header
 * rewritten and on small files written by hand: every refusal is one line naming the file.
 */
class SafeTensorsTest {
    private static final Path SHIPPED = Path.of("weights/painn-test-random.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String E0 = "representation.interactions.0.interatomic_context_net.0.bias";
    private static final String E1 = "representation.interactions.1.interatomic_context_net.0.bias";

    @TempDir
    Path dir;

    /** The shipped file's header (in file order) and its data section. */
    private record Shipped(ObjectNode header, byte[] data) {
    }

    private static Shipped shipped() throws IOException {
        byte[] b = Files.readAllBytes(SHIPPED);
        int n = (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ObjectNode h = (ObjectNode) JSON.readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        return new Shipped(h, Arrays.copyOfRange(b, 8 + n, b.length));
    }

    private static byte[] file(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    private static byte[] file(String header, byte[] data) {
        return file(header.getBytes(StandardCharsets.UTF_8), data);
    }

    private static byte[] file(ObjectNode header, byte[] data) throws IOException {
        return file(JSON.writeValueAsString(header), data);
    }

    private Path save(byte[] bytes) throws IOException {
        Path p = dir.resolve("w.safetensors");
        Files.write(p, bytes);
        return p;
    }

    /** Loads the bytes as a model; asserts a one-line refusal naming the file and returns it. */
    private String refusal(byte[] bytes) throws IOException {
        Path p = save(bytes);
        InputException e = assertThrows(InputException.class, () -> PainnModel.load(p));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(p + ": "), msg);
        assertFalse(msg.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029),
                "one line, no control characters: " + msg);
        return msg;
    }

    private static void offsets(ObjectNode header, String tensor, long begin, long end) {
        ((ObjectNode) header.get(tensor)).putArray("data_offsets").add(begin).add(end);
    }

    private static long begin(ObjectNode header, String tensor) {
        return header.get(tensor).get("data_offsets").get(0).asLong();
    }

    private static long end(ObjectNode header, String tensor) {
        return header.get(tensor).get("data_offsets").get(1).asLong();
    }

    private static byte[] zeros(int n) {
        return new byte[n];
    }

    @Test
    void shippedFileLoadsUnchanged() throws IOException {
        Shipped s = shipped();
        assertEquals(128, PainnModel.load(save(file(s.header(), s.data()))).config.nAtomBasis());
    }

    // D1: data_offsets must tile the data section exactly.

    @Test
    void refusesTwoTensorsOnTheSameBytes() throws IOException {
        Shipped s = shipped();
        offsets(s.header(), E1, begin(s.header(), E0), end(s.header(), E0));
        String msg = refusal(file(s.header(), s.data()));
        assertTrue(msg.contains("overlap"), msg);
        assertTrue(msg.contains(E0) && msg.contains(E1), msg);
    }

    @Test
    void refusesATensorShiftedIntoTheNext() throws IOException {
        Shipped s = shipped();
        String emb = "representation.embedding.weight";
        offsets(s.header(), emb, begin(s.header(), emb) + 4, end(s.header(), emb) + 4);
        String msg = refusal(file(s.header(), s.data()));
        assertTrue(msg.contains("'" + emb + "'"), msg);
        assertTrue(msg.contains("overlap") || msg.contains("unused"), msg);
    }

    @Test
    void refusesAGapBetweenTensors() throws IOException {
        String msg = refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", zeros(16)));
        assertTrue(msg.contains("tensor 'b': data_offsets [12, 16] leave bytes [4, 12) unused after tensor 'a' [0, 4]"),
                msg);
        msg = refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", zeros(12)));
        assertTrue(msg.contains("tensor 'a': data_offsets [8, 12] leave bytes [0, 8) unused at the start"), msg);
    }

    @Test
    void refusesOverlapsInAHandWrittenFile() throws IOException {
        String msg = refusal(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", zeros(12)));
        assertTrue(msg.contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"), msg);
    }

    @Test
    void refusesTrailingBytesNoTensorUses() throws IOException {
        Shipped s = shipped();
        byte[] longer = Arrays.copyOf(s.data(), s.data().length + 64);
        String msg = refusal(file(s.header(), longer));
        String last = null;
        for (var it = s.header().fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("__metadata__") && end(s.header(), name) == s.data().length) {
                last = name;
            }
        }
        assertTrue(msg.endsWith(": 64 bytes at the end of the file belong to no tensor (the last, '" + last
                + "', ends at data offset " + s.data().length + " of " + longer.length + ")"), msg);
    }

    @Test
    void acceptsTensorsStoredInAnotherOrderThanListed() throws IOException {
        // a: bytes [4, 8), b: bytes [0, 4); zero-size tensors may sit anywhere the tiling allows
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2f).putFloat(1f).array();
        SafeTensors.Contents c = SafeTensors.parse("x", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[4,8]},\"z\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data));
        assertEquals(1.0, c.tensors().get("a").values()[0], 0.0);
        assertEquals(2.0, c.tensors().get("b").values()[0], 0.0);
        assertEquals(0, c.tensors().get("z").values().length);
    }

    // D2 (b): files of 2 GiB or more are refused before they are read.

    @Test
    void refusesAFileOverTwoGibWithOneLine() throws IOException {
        Path p = dir.resolve("big.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: takes no disk space
        }
        InputException e = assertThrows(InputException.class, () -> PainnModel.load(p));
        assertEquals(p + ": 3221225472 bytes, too large for a weights file (painn4j reads files under 2 GiB;"
                + " a PaiNN model takes a few MB)", e.getMessage());
    }

    // D4: the header is strict JSON with integer shapes and offsets.

    @Test
    void refusesTrailingTextAfterTheHeaderObject() throws IOException {
        Shipped s = shipped();
        String h = JSON.writeValueAsString(s.header());
        assertTrue(refusal(file(h + " trailing garbage ]]]", s.data())).contains("header is not valid JSON"));
        assertTrue(refusal(file(h + "{\"x\": 1}", s.data()))
                .endsWith(": header is not valid JSON (more JSON follows the header object)"));
        // blank padding after the object is what writers use to align the data: still accepted
        assertEquals(3, PainnModel.load(save(file(h + "       ", s.data()))).config.nInteractions());
    }

    @Test
    void refusesDuplicateKeys() throws IOException {
        Shipped s = shipped();
        String h = JSON.writeValueAsString(s.header());
        String dup = ",\"" + E0 + "\":{\"dtype\":\"F32\",\"shape\":[128],\"data_offsets\":["
                + begin(s.header(), E1) + "," + end(s.header(), E1) + "]}}";
        String msg = refusal(file(h.substring(0, h.length() - 1) + dup, s.data()));
        assertTrue(msg.contains("header is not valid JSON") && msg.contains(E0), msg);
        String mdDup = h.replaceFirst("\\{\"__metadata__\":\\{", "{\"__metadata__\":{\"n_rbf\":\"20\",");
        msg = refusal(file(mdDup, s.data()));
        assertTrue(msg.contains("n_rbf"), msg);
    }

    @Test
    void refusesOffsetsAndShapesThatAreNotIntegers() throws IOException {
        Shipped s = shipped();
        ObjectNode h = s.header().deepCopy();
        ArrayNode o = ((ObjectNode) h.get(E0)).putArray("data_offsets");
        o.add(Long.toString(begin(s.header(), E0))).add(Long.toString(end(s.header(), E0)));
        String msg = refusal(file(h, s.data()));
        assertTrue(msg.contains("tensor '" + E0 + "': data_offsets entry \"" + begin(s.header(), E0)
                + "\" is not a byte offset"), msg);

        String written = JSON.writeValueAsString(s.header());
        String frac = written.replace("[" + begin(s.header(), E0) + "," + end(s.header(), E0) + "]",
                "[" + begin(s.header(), E0) + ".75," + end(s.header(), E0) + ".75]");
        msg = refusal(file(frac, s.data()));
        assertTrue(msg.contains("data_offsets entry " + begin(s.header(), E0) + ".75 is not a byte offset"), msg);

        String shape = written.replace("\"shape\":[1152]", "\"shape\":[1152.7]");
        assertTrue(shape.contains("1152.7"));
        msg = refusal(file(shape, s.data()));
        assertTrue(msg.contains("'representation.filter_net.bias': shape entry 1152.7 is not a size"), msg);
    }

    @Test
    void quotesAnOutOfRangeOffsetAsWritten() throws IOException {
        String msg = refusal(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,1000000000000000000000000000000]}}", zeros(4)));
        assertTrue(msg.contains("data_offsets entry 1000000000000000000000000000000 is not a byte offset"), msg);
        msg = refusal(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e30]}}", zeros(4)));
        assertTrue(msg.contains("data_offsets entry 1E+30 is not a byte offset"), msg);
        msg = refusal(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
                zeros(4)));
        assertTrue(msg.contains("shape [4294967296, 4294967296] has more elements than a file can hold"), msg);
    }

    @Test
    void refusesAHeaderThatIsNotUtf8() throws IOException {
        Shipped s = shipped();
        byte[] h = JSON.writeValueAsString(s.header()).getBytes(StandardCharsets.UTF_8);
        byte[] marker = "for testing".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(h, marker);
        assertTrue(at > 0);
        h[at] = (byte) 0xff;
        h[at + 1] = (byte) 0xfe;
        String msg = refusal(file(h, s.data()));
        assertEquals(dir.resolve("w.safetensors") + ": header is not valid UTF-8 (byte " + at
                + " of the header, at file offset " + (8 + at) + ")", msg);
    }

    private static int indexOf(byte[] a, byte[] b) {
        outer:
        for (int i = 0; i + b.length <= a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // D6: text from the file is quoted on one line.

    @Test
    void escapesControlCharactersInTensorNamesAndKeys() throws IOException {
        String msg = refusal(file("{\"a\\nb\\u0000\\u2028\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}",
                zeros(2)));
        assertTrue(msg.endsWith(": tensor 'a\\nb\\u0000\\u2028': dtype F16 is not supported (F32 or F64)"), msg);
        msg = refusal(file("{\"a\":{\"dtype\":\"F3\\r2\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)));
        assertTrue(msg.endsWith(": tensor 'a': dtype F3\\r2 is not supported (F32 or F64)"), msg);
        msg = refusal(file("{\"__metadata__\":{\"k\\n\":1}}", zeros(0)));
        assertTrue(msg.endsWith(": __metadata__ key 'k\\n' is not a string"), msg);
    }

    @Test
    void printableEscapesOnlyWhatBreaksALine() {
        assertEquals("plain Å ✓ 😀", SafeTensors.printable("plain Å ✓ 😀"));
        assertEquals("a\\nb\\r\\tc\\u0000\\u001b\\u007f\\u0085\\u2028\\u202e\\\\", SafeTensors.printable(
                "a\nb\r\tc\u0000\u001b\u007f\u0085\u2028\u202e\\"));
        assertEquals("\\ud800x", SafeTensors.printable("\ud800x"));
    }

    // D8: a header length too small for any JSON object has its own message.

    @Test
    void headerLengthZeroOrNegativeIsNotReportedAsRunningPastTheEnd() throws IOException {
        Shipped s = shipped();
        byte[] b = file(s.header(), s.data());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0);
        assertTrue(refusal(b).endsWith(": header length 0 is too small for a JSON header (at least 2 bytes, '{}')"));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1);
        assertTrue(refusal(b).endsWith(": header length 1 is too small for a JSON header (at least 2 bytes, '{}')"));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -16);
        String msg = refusal(b);
        assertTrue(msg.endsWith(": header length 18446744073709551600 (unsigned 64-bit) is larger than the file ("
                + b.length + " bytes)"), msg);
    }
}
