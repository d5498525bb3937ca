package org.painn4j.model;

/**
 * A dense layer y = x·Wᵀ + b as schnetpack stores it: weight row-major [out][in], bias [out]
 * or null for a layer without bias.
 */
public record Dense(int in, int out, double[] weight, double[] bias) {
    public Dense {
        if (weight.length != in * out || (bias != null && bias.length != out)) {
            throw new IllegalArgumentException("dense layer shapes disagree");
        }
    }

    public double w(int o, int i) {
        return weight[o * in + i];
    }

    public double b(int o) {
        return bias == null ? 0.0 : bias[o];
    }

    public long parameters() {
        return weight.length + (bias == null ? 0 : bias.length);
    }
}
