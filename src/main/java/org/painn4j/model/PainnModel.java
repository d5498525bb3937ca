package org.painn4j.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.painn4j.InputException;

/**
 * A PaiNN model: configuration and weights, in float64 whatever the file's dtype. Immutable
 * once loaded; the engines read it and never change it.
 */
public final class PainnModel {
    private static final String REP = "representation.";
    /** Rows of representation.embedding.weight (SPEC §2): atomic numbers 1..99, row 0 unused. */
    public static final int EMBEDDING_ROWS = 100;

    public final PainnConfig config;
    /** Embedding table [rows][F]; rows bounds the atomic numbers the model accepts. */
    public final double[] embedding;
    public final int embeddingRows;
    /** Gaussian centres μ_k and widths σ_k, or bessel frequencies ω_k (the other null). */
    public final double[] rbfOffsets;
    public final double[] rbfWidths;
    public final double[] rbfFreqs;
    /** Filter net K → 3F·B, B = config.filterBlocks(). */
    public final Dense filter;
    /** Interaction l: interatomic context net F → F (silu) → 3F. */
    public final Dense[] context1;
    public final Dense[] context2;
    /** Mixing l: channel mix F → 2F (no bias), intra-atomic context net 2F → F (silu) → 3F. */
    public final Dense[] channelMix;
    public final Dense[] mixing1;
    public final Dense[] mixing2;
    /** Readout layers, silu between them; the last has one output. */
    public final Dense[] outnet;
    /** energy.atomref [rows], or null. */
    public final double[] atomref;
    /** energy.mean_per_atom, or 0 when absent. */
    public final double meanPerAtom;
    public final boolean hasMeanPerAtom;

    private PainnModel(Builder b) {
        this.config = b.config;
        this.embedding = b.embedding;
        this.embeddingRows = b.embeddingRows;
        this.rbfOffsets = b.rbfOffsets;
        this.rbfWidths = b.rbfWidths;
        this.rbfFreqs = b.rbfFreqs;
        this.filter = b.filter;
        this.context1 = b.context1;
        this.context2 = b.context2;
        this.channelMix = b.channelMix;
        this.mixing1 = b.mixing1;
        this.mixing2 = b.mixing2;
        this.outnet = b.outnet;
        this.atomref = b.atomref;
        this.meanPerAtom = b.meanPerAtom;
        this.hasMeanPerAtom = b.hasMeanPerAtom;
    }

    public static PainnModel load(Path file) {
        return fromContents(file.toString(), SafeTensors.read(file));
    }

    /** Largest atomic number the embedding table holds a row for. */
    public int maxAtomicNumber() {
        return embeddingRows - 1;
    }

    /** Refuses atomic numbers the embedding table has no row for, naming the first such atom. */
    public void checkAtomicNumbers(int[] numbers) {
        for (int i = 0; i < numbers.length; i++) {
            int z = numbers[i];
            if (z < 1 || z > maxAtomicNumber()) {
                throw InputException.atAtoms("atom " + i + " has atomic number " + z
                        + ", outside the model's embedding table (1.." + maxAtomicNumber() + ")", i);
            }
        }
    }

    /** The per-atom energy shift of element z: atomref[z] + mean_per_atom. */
    public double energyShift(int z) {
        return (atomref == null ? 0.0 : atomref[z]) + meanPerAtom;
    }

    /** Parameters of the model; with shared interactions the layers' copies (equal, as loading checks) count once. */
    public long parameterCount() {
        long n = embedding.length + filter.parameters();
        for (int l = 0; l < config.nInteractions(); l++) {
            if (l == 0 || !config.sharedInteractions()) {
                n += context1[l].parameters() + context2[l].parameters() + channelMix[l].parameters()
                        + mixing1[l].parameters() + mixing2[l].parameters();
            }
        }
        for (Dense d : outnet) {
            n += d.parameters();
        }
        return n;
    }

    public static PainnModel fromContents(String where, SafeTensors.Contents contents) {
        PainnConfig cfg = PainnConfig.fromMetadata(where, contents.metadata());
        return new Loader(where, cfg, contents.tensors()).load();
    }

    private static final class Builder {
        PainnConfig config;
        double[] embedding;
        int embeddingRows;
        double[] rbfOffsets;
        double[] rbfWidths;
        double[] rbfFreqs;
        Dense filter;
        Dense[] context1;
        Dense[] context2;
        Dense[] channelMix;
        Dense[] mixing1;
        Dense[] mixing2;
        Dense[] outnet;
        double[] atomref;
        double meanPerAtom;
        boolean hasMeanPerAtom;
    }

    /** Takes tensors out of the file one name at a time, so that what is left is unexpected. */
    private static final class Loader {
        private final String where;
        private final PainnConfig cfg;
        private final Map<String, SafeTensors.Tensor> left;

        Loader(String where, PainnConfig cfg, Map<String, SafeTensors.Tensor> tensors) {
            this.where = where;
            this.cfg = cfg;
            this.left = new LinkedHashMap<>(tensors);
        }

        PainnModel load() {
            int f = cfg.nAtomBasis();
            int nl = cfg.nInteractions();
            int k = cfg.nRbf();
            Builder b = new Builder();
            b.config = cfg;

            SafeTensors.Tensor emb = take(REP + "embedding.weight");
            // schnetpack's max_z = 100: the contract fixes the table, so that every tool reads the same atoms
            if (emb.shape().length != 2 || emb.shape()[1] != f || emb.shape()[0] != EMBEDDING_ROWS) {
                throw bad(emb, "[" + EMBEDDING_ROWS + ", " + f + "]");
            }
            b.embeddingRows = (int) emb.shape()[0];
            b.embedding = emb.values();

            // The filter net's input width is n_rbf: checked before anything is sized from n_rbf.
            long filterOut = Math.multiplyExact(3L * f, (long) cfg.filterBlocks());
            b.filter = dense(REP + "filter_net", filterOut, k, true);

            if (cfg.radialBasis() == RadialBasis.GAUSSIAN) {
                double[] mu = new double[k];
                double[] sigma = new double[k];
                double spacing = cfg.cutoff() / (k - 1);
                for (int i = 0; i < k; i++) {
                    mu[i] = spacing * i;
                    sigma[i] = spacing;
                }
                b.rbfOffsets = optionalVector(REP + "radial_basis.offsets", k, mu);
                b.rbfWidths = optionalVector(REP + "radial_basis.widths", k, sigma);
                for (int i = 0; i < k; i++) {
                    if (!(b.rbfWidths[i] > 0)) {
                        throw new InputException(where + ": tensor '" + REP
                                + "radial_basis.widths' entry " + i + " is not positive");
                    }
                }
            } else {
                double[] w = new double[k];
                for (int i = 0; i < k; i++) {
                    w[i] = (i + 1) * Math.PI / cfg.cutoff();
                }
                b.rbfFreqs = optionalVector(REP + "radial_basis.freqs", k, w);
            }
            SafeTensors.Tensor rc = left.remove(REP + "cutoff_fn.cutoff");
            if (rc != null) {
                checkShape(rc, 1);
                // written so that NaN fails too: NaN equals no cutoff
                if (!(Math.abs(rc.values()[0] - cfg.cutoff()) <= 1e-6 * cfg.cutoff())) {
                    throw new InputException(where + ": tensor '" + name(rc) + "' is " + rc.values()[0]
                            + " but __metadata__ cutoff is " + cfg.cutoff());
                }
            }

            b.context1 = new Dense[nl];
            b.context2 = new Dense[nl];
            b.channelMix = new Dense[nl];
            b.mixing1 = new Dense[nl];
            b.mixing2 = new Dense[nl];
            for (int l = 0; l < nl; l++) {
                String in = REP + "interactions." + l + ".interatomic_context_net.";
                String mx = REP + "mixing." + l + ".";
                b.context1[l] = dense(in + "0", f, f, true);
                b.context2[l] = dense(in + "1", 3 * f, f, true);
                b.mixing1[l] = dense(mx + "intraatomic_context_net.0", f, 2 * f, true);
                b.mixing2[l] = dense(mx + "intraatomic_context_net.1", 3 * f, f, true);
                b.channelMix[l] = dense(mx + "mu_channel_mix", 2 * f, f, false);
                if (cfg.sharedInteractions() && l > 0) {
                    String in0 = REP + "interactions.0.interatomic_context_net.";
                    String mx0 = REP + "mixing.0.";
                    sameAsLayer0(in + "0", b.context1[l], in0 + "0", b.context1[0]);
                    sameAsLayer0(in + "1", b.context2[l], in0 + "1", b.context2[0]);
                    sameAsLayer0(mx + "intraatomic_context_net.0", b.mixing1[l],
                            mx0 + "intraatomic_context_net.0", b.mixing1[0]);
                    sameAsLayer0(mx + "intraatomic_context_net.1", b.mixing2[l],
                            mx0 + "intraatomic_context_net.1", b.mixing2[0]);
                    sameAsLayer0(mx + "mu_channel_mix", b.channelMix[l], mx0 + "mu_channel_mix", b.channelMix[0]);
                }
            }
            b.outnet = outnet(f);

            SafeTensors.Tensor ar = left.remove("energy.atomref");
            if (ar != null) {
                checkShape(ar, b.embeddingRows);
                b.atomref = finite(ar);
            }
            SafeTensors.Tensor mean = left.remove("energy.mean_per_atom");
            if (mean != null) {
                checkShape(mean, 1);
                b.meanPerAtom = finite(mean)[0];
                b.hasMeanPerAtom = true;
            }
            if (!left.isEmpty()) {
                throw new InputException(where + ": unexpected tensor '"
                        + SafeTensors.printable(left.keySet().iterator().next())
                        + "' (not part of a PaiNN model with this configuration)");
            }
            finiteAll(emb);
            return new PainnModel(b);
        }

        private Dense[] outnet(int f) {
            String prefix = "output_modules.0.outnet.";
            TreeSet<Integer> found = new TreeSet<>();
            // a bias counts too: the layer of a lone bias is missing its weight, and says so
            for (String name : left.keySet()) {
                String suffix = name.endsWith(".weight") ? ".weight" : name.endsWith(".bias") ? ".bias" : null;
                if (name.startsWith(prefix) && suffix != null) {
                    String idx = name.substring(prefix.length(), name.length() - suffix.length());
                    try {
                        found.add(Integer.parseInt(idx));
                    } catch (NumberFormatException e) {
                        throw new InputException(where + ": unexpected tensor '" + SafeTensors.printable(name)
                                + "' (readout layers are numbered 0, 1, 2, ...)");
                    }
                }
            }
            if (found.isEmpty()) {
                throw new InputException(where + ": missing tensor '" + prefix + "0.weight' (the readout)");
            }
            List<Dense> layers = new ArrayList<>();
            int in = f;
            for (int i = 0; i <= found.last(); i++) {
                String name = prefix + i;
                SafeTensors.Tensor w = left.get(name + ".weight");
                if (w == null) {
                    throw new InputException(where + ": missing tensor '" + name + ".weight' (readout layers must be numbered 0.." + found.last() + ")");
                }
                if (w.shape().length != 2 || w.shape()[1] != in || w.shape()[0] < 1) {
                    throw bad(w, "[out, " + in + "]");
                }
                int out = (int) w.shape()[0];
                layers.add(dense(name, out, in, true));
                in = out;
            }
            if (in != 1) {
                throw new InputException(where + ": tensor '" + prefix + found.last()
                        + ".weight' has " + in + " outputs; the readout must end in 1");
            }
            return layers.toArray(new Dense[0]);
        }

        private Dense dense(String name, long out, int in, boolean bias) {
            SafeTensors.Tensor w = take(name + ".weight");
            checkShape(w, out, in);
            double[] bv = null;
            if (bias) {
                SafeTensors.Tensor b = take(name + ".bias");
                checkShape(b, out);
                bv = finite(b);
            }
            // out fits an int here: the weight tensor [out, in] was read into one array
            return new Dense(in, (int) out, finite(w), bv);
        }

        /**
         * With shared interactions schnetpack's state_dict lists the one shared module under
         * every layer index; the copies must be the same, or the file is not what the flag says.
         */
        private void sameAsLayer0(String name, Dense layer, String name0, Dense layer0) {
            if (!Arrays.equals(layer.weight(), layer0.weight())) {
                throw new InputException(where + ": tensor '" + name + ".weight' differs from '" + name0
                        + ".weight', but __metadata__ shared_interactions is true (every layer's copy must"
                        + " be the same)");
            }
            if (!Arrays.equals(layer.bias(), layer0.bias())) {
                throw new InputException(where + ": tensor '" + name + ".bias' differs from '" + name0
                        + ".bias', but __metadata__ shared_interactions is true (every layer's copy must"
                        + " be the same)");
            }
        }

        private double[] optionalVector(String name, int k, double[] fallback) {
            SafeTensors.Tensor t = left.remove(name);
            if (t == null) {
                return fallback;
            }
            checkShape(t, k);
            return finite(t);
        }

        private SafeTensors.Tensor take(String name) {
            SafeTensors.Tensor t = left.remove(name);
            if (t == null) {
                String why = "";
                if (cfg.sharedInteractions() && !name.startsWith(REP + "interactions.0.")
                        && !name.startsWith(REP + "mixing.0.")
                        && (name.startsWith(REP + "interactions.") || name.startsWith(REP + "mixing."))) {
                    why = " (__metadata__ shared_interactions is true: like schnetpack's state_dict, the file"
                            + " holds the shared layer's copy under every index 0.." + (cfg.nInteractions() - 1)
                            + ")";
                }
                throw new InputException(where + ": missing tensor '" + name + "'" + why);
            }
            return t;
        }

        private void checkShape(SafeTensors.Tensor t, long... shape) {
            if (!Arrays.equals(t.shape(), shape)) {
                throw bad(t, Arrays.toString(shape));
            }
        }

        private InputException bad(SafeTensors.Tensor t, String expected) {
            return new InputException(where + ": tensor '" + name(t) + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + expected);
        }

        private static String name(SafeTensors.Tensor t) {
            return SafeTensors.printable(t.name());
        }

        private double[] finite(SafeTensors.Tensor t) {
            finiteAll(t);
            return t.values();
        }

        private void finiteAll(SafeTensors.Tensor t) {
            double[] v = t.values();
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new InputException(where + ": tensor '" + name(t) + "' holds a non-finite value ("
                            + v[i] + ") at flat index " + i);
                }
            }
        }
    }
}
