package org.painn4j.gpu;

import org.painn4j.calc.Precision;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;
import org.painn4j.model.RadialBasis;

/** A model's weights on the device, in the engine's precision; uploaded once. */
final class DeviceModel extends BufferSet {
    final PainnModel model;
    final int f;
    final int k;
    final int layers;
    final DeviceBuffer embedding;
    /** Gaussian centres, or bessel frequencies (the radial kernel reads them from one slot). */
    final DeviceBuffer mu;
    final DeviceBuffer sigma;
    final DeviceBuffer filterW;
    final DeviceBuffer filterB;
    final DeviceBuffer[] c1w;
    final DeviceBuffer[] c1b;
    final DeviceBuffer[] c2w;
    final DeviceBuffer[] c2b;
    final DeviceBuffer[] mixW;
    final DeviceBuffer[] m1w;
    final DeviceBuffer[] m1b;
    final DeviceBuffer[] m2w;
    final DeviceBuffer[] m2b;
    final DeviceBuffer[] outW;
    final DeviceBuffer[] outB;
    /** atomref[Z] + mean_per_atom, float64, [rows]. */
    final DeviceBuffer shift;
    /**
     * Layer 0's context net per element: s⁰ = embedding[Z] depends on Z alone, and so do
     * h⁰ = Dense₁(s⁰) [rows][F] and x⁰ = Dense₂(silu(h⁰)) [rows][3F]; computed once, by the same
     * dense kernels, and read through the atomic numbers.
     */
    final DeviceBuffer hTable;
    final DeviceBuffer xTable;

    DeviceModel(CudaContext cuda, PainnModel model, Precision p) {
        this.model = model;
        this.f = model.config.nAtomBasis();
        this.k = model.config.nRbf();
        this.layers = model.config.nInteractions();
        embedding = up(cuda, p, "embedding", model.embedding);
        boolean gaussian = model.config.radialBasis() == RadialBasis.GAUSSIAN;
        mu = up(cuda, p, "rbf centres", gaussian ? model.rbfOffsets : model.rbfFreqs);
        sigma = up(cuda, p, "rbf widths", gaussian ? model.rbfWidths : new double[k]);
        filterW = up(cuda, p, "filter weight", model.filter.weight());
        filterB = up(cuda, p, "filter bias", model.filter.bias());
        c1w = new DeviceBuffer[layers];
        c1b = new DeviceBuffer[layers];
        c2w = new DeviceBuffer[layers];
        c2b = new DeviceBuffer[layers];
        mixW = new DeviceBuffer[layers];
        m1w = new DeviceBuffer[layers];
        m1b = new DeviceBuffer[layers];
        m2w = new DeviceBuffer[layers];
        m2b = new DeviceBuffer[layers];
        for (int l = 0; l < layers; l++) {
            c1w[l] = up(cuda, p, "context 1 weight", model.context1[l].weight());
            c1b[l] = up(cuda, p, "context 1 bias", model.context1[l].bias());
            c2w[l] = up(cuda, p, "context 2 weight", model.context2[l].weight());
            c2b[l] = up(cuda, p, "context 2 bias", model.context2[l].bias());
            mixW[l] = up(cuda, p, "channel mix weight", model.channelMix[l].weight());
            m1w[l] = up(cuda, p, "mixing 1 weight", model.mixing1[l].weight());
            m1b[l] = up(cuda, p, "mixing 1 bias", model.mixing1[l].bias());
            m2w[l] = up(cuda, p, "mixing 2 weight", model.mixing2[l].weight());
            m2b[l] = up(cuda, p, "mixing 2 bias", model.mixing2[l].bias());
        }
        Dense[] out = model.outnet;
        outW = new DeviceBuffer[out.length];
        outB = new DeviceBuffer[out.length];
        for (int i = 0; i < out.length; i++) {
            outW[i] = up(cuda, p, "readout weight", out[i].weight());
            outB[i] = up(cuda, p, "readout bias", out[i].bias());
        }
        double[] sh = new double[model.embeddingRows];
        for (int z = 0; z < sh.length; z++) {
            sh[z] = model.energyShift(z);
        }
        shift = up(cuda, Precision.FLOAT64, "energy shifts", sh);
        long r = (long) model.embeddingRows * Real.bytes(p);
        hTable = add(cuda, "layer 0 context pre-activation", r * f);
        xTable = add(cuda, "layer 0 context features", r * 3 * f);
    }

    /** Fills the layer-0 tables; the dense kernels must exist first, so the calculator calls this. */
    void buildTables(DenseKernels dense, jcuda.driver.CUstream stream) {
        int rows = model.embeddingRows;
        dense.forward(stream, rows, f, f, embedding, false, c1w[0], c1b[0], null, hTable, null);
        dense.forward(stream, rows, 3 * f, f, hTable, true, c2w[0], c2b[0], null, xTable, null);
    }

    /** First filter row of layer l: shared filters reuse block 0. */
    int filterRow(int layer) {
        return model.config.sharedFilters() ? 0 : layer * 3 * f;
    }

    private DeviceBuffer up(CudaContext cuda, Precision p, String name, double[] values) {
        return keep(Real.upload(cuda, p, name, values));
    }
}
