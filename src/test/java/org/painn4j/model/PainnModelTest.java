package org.painn4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.painn4j.InputException;
import org.painn4j.testing.RandomModels;

class PainnModelTest {
    @TempDir
    Path dir;

    private Map<String, String> md() {
        return RandomModels.metadata(8, 2, 6, 4.0, "gaussian");
    }

    private Path write(Map<String, String> md, Map<String, SafeTensors.Tensor> t) throws IOException {
        Path p = dir.resolve("m.safetensors");
        SafeTensors.write(p, md, t);
        return p;
    }

    private String refusal(Consumer<Map<String, String>> editMd, Consumer<Map<String, SafeTensors.Tensor>> edit)
            throws IOException {
        Map<String, String> md = md();
        Map<String, SafeTensors.Tensor> t = RandomModels.tensors(md, 1, "F32");
        editMd.accept(md);
        edit.accept(t);
        Path p = write(md, t);
        InputException e = assertThrows(InputException.class, () -> PainnModel.load(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void loadsF32AndF64FilesWithTheSameValues() throws IOException {
        Map<String, String> md = md();
        Path p32 = dir.resolve("a.safetensors");
        Path p64 = dir.resolve("b.safetensors");
        SafeTensors.write(p32, md, RandomModels.tensors(md, 1, "F32"));
        Map<String, SafeTensors.Tensor> wide = new LinkedHashMap<>();
        RandomModels.tensors(md, 1, "F32").forEach((k, t) ->
                wide.put(k, new SafeTensors.Tensor(k, "F64", t.shape(), t.values())));
        SafeTensors.write(p64, md, wide);
        assertTrue(Files.size(p64) > Files.size(p32) * 3 / 2);
        PainnModel a = PainnModel.load(p32);
        PainnModel b = PainnModel.load(p64);
        assertArrayEquals(a.filter.weight(), b.filter.weight(), 0.0);
        assertEquals(8, a.config.nAtomBasis());
        assertEquals(2, a.config.nInteractions());
        assertEquals(RadialBasis.GAUSSIAN, a.config.radialBasis());
        assertEquals(2, a.outnet.length);
        assertEquals(4, a.outnet[0].out());
        assertEquals(0.8, a.rbfWidths[0], 1e-15);
        assertEquals(4.0, a.rbfOffsets[5], 1e-15);
        // embedding 100·8 + filter 6·48+48 + 2·(8·8+8 + 8·24+24 + 16·8+8 + 8·24+24 + 8·16) + 8·4+4 + 4+1
        assertEquals(800 + 336 + 2 * (72 + 216 + 136 + 216 + 128) + 36 + 5, a.parameterCount());
    }

    @Test
    void acceptsOptionalBuffersAndShifts() throws IOException {
        Map<String, String> md = md();
        Map<String, SafeTensors.Tensor> t = RandomModels.tensors(md, 1, "F64");
        t.put("representation.cutoff_fn.cutoff", new SafeTensors.Tensor("representation.cutoff_fn.cutoff", "F32", new long[] {1}, new double[] {4.0}));
        t.put("energy.mean_per_atom", new SafeTensors.Tensor("energy.mean_per_atom", "F64", new long[] {1}, new double[] {-1.5}));
        PainnModel m = PainnModel.load(write(md, t));
        assertEquals(-1.5, m.energyShift(6), 0.0);
        assertTrue(m.hasMeanPerAtom);
    }

    @Test
    void loadsSharedFilters() throws IOException {
        Map<String, String> md = md();
        md.put("shared_filters", "true");
        PainnModel m = PainnModel.load(write(md, RandomModels.tensors(md, 1, "F32")));
        assertEquals(24, m.filter.out());
        assertEquals(1, m.config.filterBlocks());
    }

    @Test
    void refusesMissingTensor() throws IOException {
        String msg = refusal(m -> { }, t -> t.remove("representation.mixing.1.mu_channel_mix.weight"));
        assertTrue(msg.contains("missing tensor 'representation.mixing.1.mu_channel_mix.weight'"), msg);
    }

    @Test
    void refusesExtraTensor() throws IOException {
        String msg = refusal(m -> { }, t -> t.put("representation.foo", new SafeTensors.Tensor("representation.foo", "F32", new long[] {1}, new double[] {1})));
        assertTrue(msg.contains("unexpected tensor 'representation.foo'"), msg);
    }

    @Test
    void refusesWrongShape() throws IOException {
        String msg = refusal(m -> m.put("n_rbf", "7"), t -> { });
        assertTrue(msg.contains("'representation.filter_net.weight' has shape [48, 6], expected [48, 7]"), msg);
    }

    /** SPEC §2 fixes the embedding at [100, F] (schnetpack's max_z); a table of 119 rows is refused. */
    @Test
    void refusesAnEmbeddingTableOfOtherThan100Rows() throws IOException {
        for (int rows : new int[] {119, 50}) {
            String msg = refusal(m -> { }, t -> {
                String name = "representation.embedding.weight";
                t.put(name, new SafeTensors.Tensor(name, "F32", new long[] {rows, 8}, new double[rows * 8]));
            });
            assertTrue(msg.contains("'representation.embedding.weight' has shape [" + rows + ", 8], expected [100, 8]"), msg);
        }
    }

    @Test
    void refusesReadoutNotEndingInOneOutput() throws IOException {
        String msg = refusal(m -> { }, t -> {
            t.remove("output_modules.0.outnet.1.weight");
            t.remove("output_modules.0.outnet.1.bias");
        });
        assertTrue(msg.contains("readout must end in 1"), msg);
        // the last layer's weight gone, its bias kept: the weight is what is named
        msg = refusal(m -> { }, t -> t.remove("output_modules.0.outnet.1.weight"));
        assertTrue(msg.contains("missing tensor 'output_modules.0.outnet.1.weight'"), msg);
    }

    @Test
    void refusesNonFiniteWeights() throws IOException {
        String msg = refusal(m -> { }, t -> t.get("representation.interactions.0.interatomic_context_net.1.bias").values()[3] = Double.NaN);
        assertTrue(msg.contains("'representation.interactions.0.interatomic_context_net.1.bias' holds a non-finite value (NaN) at flat index 3"), msg);
    }

    @Test
    void refusesUnknownFormatAndMissingKeys() throws IOException {
        assertTrue(refusal(m -> m.put("format", "schnet"), t -> { }).contains("unknown format 'schnet'"));
        assertTrue(refusal(m -> m.remove("epsilon"), t -> { }).contains("lacks the key 'epsilon'"));
        assertTrue(refusal(m -> m.put("radial_basis", "chebyshev"), t -> { }).contains("radial_basis 'chebyshev'"));
        assertTrue(refusal(m -> m.put("cutoff", "-1"), t -> { }).contains("cutoff '-1' is not a positive number"));
    }

    /** Metadata numbers are plain decimals: not the spellings only Java's parser takes. */
    @Test
    void refusesNumbersThatAreNotPlainDecimals() throws IOException {
        String[][] cases = {{"cutoff", "5.0f"}, {"cutoff", "0x1.4p2"}, {"cutoff", "5d"}, {"cutoff", "NaN"},
            {"cutoff", "Infinity"}, {"cutoff", ""}, {"cutoff", "."}, {"cutoff", "1e"}, {"cutoff", "5,0"},
            {"cutoff", "\u0665"}, {"epsilon", "1e-8d"}, {"epsilon", "1e-8F"}, {"epsilon", "0x1p-27"},
            {"epsilon", "-Infinity"}};
        for (String[] c : cases) {
            String msg = refusal(m -> m.put(c[0], c[1]), t -> { });
            assertTrue(msg.endsWith(": __metadata__ " + c[0] + " '" + SafeTensors.printable(c[1])
                    + "' is not a decimal number"), msg);
        }
    }

    @Test
    void acceptsPlainDecimalsInEveryForm() throws IOException {
        for (String cutoff : new String[] {"4", "4.0", "+4.", "0.4e1", "40E-1", " 4.0 "}) {
            Map<String, String> md = md();
            Map<String, SafeTensors.Tensor> t = RandomModels.tensors(md, 1, "F32");
            md.put("cutoff", cutoff);
            md.put("epsilon", ".1e-7");
            PainnModel m = PainnModel.load(write(md, t));
            assertEquals(4.0, m.config.cutoff(), cutoff);
            assertEquals(1e-8, m.config.epsilon());
        }
    }

    @Test
    void refusesAnEpsilonThatIsNotFiniteAndPositive() throws IOException {
        assertTrue(refusal(m -> m.put("epsilon", "0"), t -> { }).endsWith("epsilon '0' is not a positive number"));
        assertTrue(refusal(m -> m.put("epsilon", "-1e-8"), t -> { }).endsWith("epsilon '-1e-8' is not a positive number"));
        assertTrue(refusal(m -> m.put("epsilon", "0e5"), t -> { }).endsWith("epsilon '0e5' is not a positive number"));
        assertTrue(refusal(m -> m.put("epsilon", "1e400"), t -> { }).endsWith("epsilon '1e400' is too large for a double"));
        assertTrue(refusal(m -> m.put("epsilon", "nan"), t -> { }).endsWith("epsilon 'nan' is not a decimal number"));
    }

    @Test
    void refusesCutoffBufferDisagreeingWithMetadata() throws IOException {
        String msg = refusal(m -> { }, t -> t.put("representation.cutoff_fn.cutoff",
                new SafeTensors.Tensor("representation.cutoff_fn.cutoff", "F32", new long[] {1}, new double[] {5.0})));
        assertTrue(msg.contains("but __metadata__ cutoff is 4.0"), msg);
    }

    /** A valid file's bytes with the header rewritten by hand. */
    private byte[] rawFile(String header, int dataBytes) {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private String rawRefusal(byte[] bytes) throws IOException {
        Path p = dir.resolve("raw.safetensors");
        Files.write(p, bytes);
        InputException e = assertThrows(InputException.class, () -> PainnModel.load(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesBrokenFiles() throws IOException {
        assertTrue(rawRefusal(new byte[] {1, 2, 3}).contains("not a safetensors file"));
        byte[] past = rawFile("{}", 0);
        ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertTrue(rawRefusal(past).contains("header length 1000 runs past the end of the file"));
        assertTrue(rawRefusal(rawFile("{not json", 0)).contains("not valid JSON"));
        assertTrue(rawRefusal(rawFile("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4))
                .contains("tensor 'x': dtype BF16 is not supported"));
        assertTrue(rawRefusal(rawFile("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8))
                .contains("tensor 'x': data is truncated"));
        assertTrue(rawRefusal(rawFile("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 12))
                .contains("do not hold 4 F32 values"));
        assertTrue(rawRefusal(rawFile("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4))
                .contains("lacks the key 'format'"));
    }

    @Test
    void missingFileIsOneLine() {
        Path p = dir.resolve("nope.safetensors");
        InputException e = assertThrows(InputException.class, () -> PainnModel.load(p));
        assertEquals(p + ": no such file", e.getMessage());
    }

    @Test
    void writtenMetadataRoundTrips() throws IOException {
        Map<String, String> md = new LinkedHashMap<>(md());
        md.put("name", "x y");
        Path p = write(md, RandomModels.tensors(md, 1, "F32"));
        assertEquals("x y", PainnModel.load(p).config.name());
    }

    // n_rbf sizes arrays derived from the metadata: a huge value must be refused, not allocated.
    @Test
    void refusesHugeNRbfWithOneLine() throws IOException {
        for (String basis : new String[] {"gaussian", "bessel"}) {
            String msg = refusal(m -> {
                m.put("radial_basis", basis);
                m.put("n_rbf", "2000000000");
            }, t -> { });
            assertTrue(msg.endsWith(": __metadata__ n_rbf '2000000000' is larger than painn4j accepts (at most "
                    + PainnConfig.MAX_RBF + ")"), msg);
        }
        assertTrue(refusal(m -> m.put("n_atom_basis", "99999999999999999999999"), t -> { })
                .contains("n_atom_basis '99999999999999999999999' is larger than painn4j accepts"));
        assertTrue(refusal(m -> m.put("n_atom_basis", "0"), t -> { }).contains("is not a positive integer"));
    }

    @Test
    void checksTheFilterNetAgainstNRbfBeforeTheRadialBasis() throws IOException {
        String msg = refusal(m -> m.put("n_rbf", "60000"), t -> t.put("representation.radial_basis.offsets",
                new SafeTensors.Tensor("representation.radial_basis.offsets", "F32", new long[] {6}, new double[6])));
        assertTrue(msg.contains("'representation.filter_net.weight' has shape [48, 6], expected [48, 60000]"), msg);
    }

    // 3·F·L computed in int wrapped round: 3·8·89478486 = 2147483664 ≡ 16 (mod 2^32).
    @Test
    void refusesNInteractionsWhoseFilterWidthWouldOverflow() throws IOException {
        String msg = refusal(m -> m.put("n_interactions", "89478486"), t -> { });
        assertTrue(msg.endsWith(": __metadata__ n_interactions '89478486' is larger than painn4j accepts (at most "
                + PainnConfig.MAX_INTERACTIONS + ")"), msg);
        msg = refusal(m -> m.put("n_interactions", "33554435"), t -> { });
        assertTrue(msg.contains("__metadata__ n_interactions '33554435'"), msg);
    }

    @Test
    void refusesANaNCutoffBuffer() throws IOException {
        String msg = refusal(m -> { }, t -> t.put("representation.cutoff_fn.cutoff",
                new SafeTensors.Tensor("representation.cutoff_fn.cutoff", "F32", new long[] {1}, new double[] {Double.NaN})));
        assertTrue(msg.endsWith(": tensor 'representation.cutoff_fn.cutoff' is NaN but __metadata__ cutoff is 4.0"), msg);
    }

    @Test
    void quotesFileTextOnOneLine() throws IOException {
        String msg = refusal(m -> m.put("n_atom_basis", "128\npainn4j: all good"), t -> { });
        assertTrue(msg.endsWith(": __metadata__ n_atom_basis '128\\npainn4j: all good' is not a positive integer"),
                msg);
        assertTrue(refusal(m -> m.put("cutoff", "5\u0000x"), t -> { }).contains("cutoff '5\\u0000x' is not a decimal number"));
        assertTrue(refusal(m -> m.put("format", "x\ry"), t -> { }).contains("unknown format 'x\\ry'"));
        assertTrue(refusal(m -> m.put("activation", "re\nlu"), t -> { }).contains("activation 're\\nlu'"));
        assertTrue(refusal(m -> m.put("radial_basis", "a\u2028b"), t -> { }).contains("radial_basis 'a\\u2028b'"));
        assertTrue(refusal(m -> m.put("shared_filters", "no\n"), t -> { }).contains("shared_filters 'no\\n'"));
        String bogus = "representation.bogus\npainn4j: all good";
        msg = refusal(m -> { }, t -> t.put(bogus, new SafeTensors.Tensor(bogus, "F32", new long[] {1}, new double[] {1})));
        assertTrue(msg.contains("unexpected tensor 'representation.bogus\\npainn4j: all good'"), msg);
        String readout = "output_modules.0.outnet.x\u2028.weight";
        msg = refusal(m -> { }, t -> t.put(readout, new SafeTensors.Tensor(readout, "F32", new long[] {1}, new double[] {1})));
        assertTrue(msg.contains("unexpected tensor 'output_modules.0.outnet.x\\u2028.weight'"), msg);
    }

    /** The tensors of a shared-interactions model as schnetpack's state_dict has them: layer 0 repeated. */
    private static Map<String, SafeTensors.Tensor> sharedCopies(Map<String, SafeTensors.Tensor> t, int layers) {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>(t);
        for (SafeTensors.Tensor x : t.values()) {
            for (String kind : new String[] {"interactions", "mixing"}) {
                String zero = "representation." + kind + ".0.";
                if (x.name().startsWith(zero)) {
                    for (int l = 1; l < layers; l++) {
                        String name = "representation." + kind + "." + l + "." + x.name().substring(zero.length());
                        out.put(name, new SafeTensors.Tensor(name, x.dtype(), x.shape(), x.values().clone()));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void loadsSharedInteractionsWithIdenticalCopiesAndCountsThemOnce() throws IOException {
        Map<String, String> md = md();
        md.put("shared_interactions", "true");
        PainnModel m = PainnModel.load(write(md, sharedCopies(RandomModels.tensors(md, 1, "F32"), 2)));
        assertTrue(m.config.sharedInteractions());
        assertArrayEquals(m.context1[0].weight(), m.context1[1].weight(), 0.0);
        assertArrayEquals(m.channelMix[0].weight(), m.channelMix[1].weight(), 0.0);
        assertEquals(800 + 336 + (72 + 216 + 136 + 216 + 128) + 36 + 5, m.parameterCount());
    }

    @Test
    void refusesSharedInteractionsWhoseCopiesDiffer() throws IOException {
        String mix = "representation.mixing.1.intraatomic_context_net.1.bias";
        String msg = refusal(m -> m.put("shared_interactions", "true"), t -> {
            Map<String, SafeTensors.Tensor> c = sharedCopies(t, 2);
            c.get(mix).values()[2] += 0.25;
            t.putAll(c);
        });
        assertTrue(msg.endsWith(": tensor '" + mix + "' differs from 'representation.mixing.0.intraatomic_context_net.1.bias',"
                + " but __metadata__ shared_interactions is true (every layer's copy must be the same)"), msg);
        // the layout a file with its own weights per layer has: refused, not run as an unshared model
        msg = refusal(m -> m.put("shared_interactions", "true"), t -> { });
        assertTrue(msg.contains("differs from 'representation.interactions.0.interatomic_context_net.0.weight'"), msg);
        assertTrue(msg.contains("shared_interactions"), msg);
    }

    @Test
    void missingSharedCopyNamesTheFlag() throws IOException {
        String msg = refusal(m -> m.put("shared_interactions", "true"), t -> {
            t.putAll(sharedCopies(t, 2));
            t.remove("representation.interactions.1.interatomic_context_net.1.bias");
        });
        assertTrue(msg.contains("missing tensor 'representation.interactions.1.interatomic_context_net.1.bias'"
                + " (__metadata__ shared_interactions is true"), msg);
    }
}
