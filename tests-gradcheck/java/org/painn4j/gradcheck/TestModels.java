package org.painn4j.gradcheck;

import java.util.Map;
import org.painn4j.model.PainnModel;
import org.painn4j.model.SafeTensors;
import org.painn4j.testing.RandomModels;
import org.painn4j.testing.TestWeights;

/** The models the suite checks: the shipped schnetpack-shaped test model and a bessel one. */
final class TestModels {
    private TestModels() {
    }

    /** weights/painn-test-random.safetensors: F=128, L=3, K=20, rc=5 Å, gaussian. */
    static PainnModel shipped() {
        return TestWeights.testRandom();
    }

    /** Bessel basis, shared filters, a three-layer readout (16 → 8 → 4 → 1): the other code paths. */
    static PainnModel besselShared() {
        Map<String, String> md = RandomModels.metadata(16, 2, 12, 4.0, "bessel");
        md.put("shared_filters", "true");
        Map<String, SafeTensors.Tensor> t = RandomModels.tensors(md, 99, "F64");
        RandomModels.readout(t, 100, "F64", 16, 8, 4, 1);
        return PainnModel.fromContents("bessel-shared", new SafeTensors.Contents(md, t));
    }
}
