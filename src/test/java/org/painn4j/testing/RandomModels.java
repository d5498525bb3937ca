package org.painn4j.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.painn4j.model.PainnModel;
import org.painn4j.model.SafeTensors;

/**
 * Random PaiNN models in the schnetpack layout, built through the same safetensors contents
 * a file would give: Glorot-scaled weights so activations stay O(1), and non-zero biases so
 * no bias path goes untested.
 */
public final class RandomModels {
    private RandomModels() {
    }

    public static Map<String, String> metadata(int f, int layers, int k, double cutoff, String basis) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", "painn");
        md.put("n_atom_basis", Integer.toString(f));
        md.put("n_interactions", Integer.toString(layers));
        md.put("n_rbf", Integer.toString(k));
        md.put("cutoff", Double.toString(cutoff));
        md.put("radial_basis", basis);
        md.put("cutoff_fn", "cosine");
        md.put("activation", "silu");
        md.put("epsilon", "1e-8");
        return md;
    }

    /** Tensors of a model with the given sizes; readout F → F/2 → 1. */
    public static Map<String, SafeTensors.Tensor> tensors(Map<String, String> md, long seed, String dtype) {
        int f = Integer.parseInt(md.get("n_atom_basis"));
        int layers = Integer.parseInt(md.get("n_interactions"));
        int k = Integer.parseInt(md.get("n_rbf"));
        boolean shared = Boolean.parseBoolean(md.getOrDefault("shared_filters", "false"));
        Random rnd = new Random(seed);
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        String rep = "representation.";
        put(t, rep + "embedding.weight", dtype, gauss(rnd, 100 * f, 1.0), 100, f);
        dense(t, rnd, rep + "filter_net", 3 * f * (shared ? 1 : layers), k, true, dtype);
        for (int l = 0; l < layers; l++) {
            dense(t, rnd, rep + "interactions." + l + ".interatomic_context_net.0", f, f, true, dtype);
            dense(t, rnd, rep + "interactions." + l + ".interatomic_context_net.1", 3 * f, f, true, dtype);
            dense(t, rnd, rep + "mixing." + l + ".intraatomic_context_net.0", f, 2 * f, true, dtype);
            dense(t, rnd, rep + "mixing." + l + ".intraatomic_context_net.1", 3 * f, f, true, dtype);
            dense(t, rnd, rep + "mixing." + l + ".mu_channel_mix", 2 * f, f, false, dtype);
        }
        int half = Math.max(1, f / 2);
        dense(t, rnd, "output_modules.0.outnet.0", half, f, true, dtype);
        dense(t, rnd, "output_modules.0.outnet.1", 1, half, true, dtype);
        return t;
    }

    /**
     * Replaces the readout by Dense layers of the given widths, the first the model's F and the
     * last 1 (silu between them, as schnetpack builds it).
     */
    public static void readout(Map<String, SafeTensors.Tensor> t, long seed, String dtype, int... widths) {
        if (widths.length < 2 || widths[widths.length - 1] != 1) {
            throw new IllegalArgumentException("a readout goes from F to 1");
        }
        t.keySet().removeIf(name -> name.startsWith("output_modules.0.outnet."));
        Random rnd = new Random(seed);
        for (int i = 0; i + 1 < widths.length; i++) {
            dense(t, rnd, "output_modules.0.outnet." + i, widths[i + 1], widths[i], true, dtype);
        }
    }

    public static PainnModel model(int f, int layers, int k, double cutoff, String basis, long seed) {
        Map<String, String> md = metadata(f, layers, k, cutoff, basis);
        return PainnModel.fromContents("random", new SafeTensors.Contents(md, tensors(md, seed, "F64")));
    }

    /** A random model with shared filters: the same filter block for every layer. */
    public static PainnModel sharedFilters(int f, int layers, int k, double cutoff, String basis, long seed) {
        Map<String, String> md = metadata(f, layers, k, cutoff, basis);
        md.put("shared_filters", "true");
        return PainnModel.fromContents(basis, new SafeTensors.Contents(md, tensors(md, seed, "F64")));
    }

    /** Adds energy.atomref and energy.mean_per_atom to a random model. */
    public static PainnModel modelWithShifts(int f, int layers, int k, double cutoff, String basis, long seed) {
        Map<String, String> md = metadata(f, layers, k, cutoff, basis);
        Map<String, SafeTensors.Tensor> t = tensors(md, seed, "F64");
        Random rnd = new Random(seed + 1);
        put(t, "energy.atomref", "F64", gauss(rnd, 100, 2.0), 100);
        put(t, "energy.mean_per_atom", "F64", new double[] {-3.25}, 1);
        return PainnModel.fromContents("random", new SafeTensors.Contents(md, t));
    }

    static void dense(Map<String, SafeTensors.Tensor> t, Random rnd, String name, int out, int in,
                      boolean bias, String dtype) {
        double limit = Math.sqrt(6.0 / (in + out));
        double[] w = new double[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (2 * rnd.nextDouble() - 1) * limit;
        }
        put(t, name + ".weight", dtype, w, out, in);
        if (bias) {
            double[] b = new double[out];
            for (int i = 0; i < out; i++) {
                b[i] = (2 * rnd.nextDouble() - 1) * 0.1;
            }
            put(t, name + ".bias", dtype, b, out);
        }
    }

    static double[] gauss(Random rnd, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextGaussian() * scale;
        }
        return v;
    }

    static void put(Map<String, SafeTensors.Tensor> t, String name, String dtype, double[] v, long... shape) {
        if (dtype.equals("F32")) {
            v = v.clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) v[i];
            }
        }
        t.put(name, new SafeTensors.Tensor(name, dtype, shape, v));
    }
}
