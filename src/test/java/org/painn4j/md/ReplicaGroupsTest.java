package org.painn4j.md;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.structure.Structure;
import org.painn4j.testing.RandomStructures;

/** Which replicas the device engine advances together (no GPU needed to decide). */
class ReplicaGroupsTest {

    @Test
    void replicasOfOneClassShareABatchAndOthersGoAlone() {
        Structure small = RandomStructures.cluster(9, 0.08, 1);
        Structure medium = RandomStructures.cluster(40, 0.08, 2);
        Structure large = RandomStructures.cluster(300, 0.08, 3);
        Structure box = RandomStructures.periodic(24, new double[] {6.2, 0, 0, 0, 6.2, 0, 0, 0, 6.2},
                new boolean[] {true, true, true}, 4);
        // 40 atoms with 27 images each in reach: the binned search, a class apart from the 40-atom molecule
        Structure denseBox = RandomStructures.periodic(40, new double[] {8.5, 0, 0, 0, 8.5, 0, 0, 0, 8.5},
                new boolean[] {true, true, true}, 5);
        Structure huge = RandomStructures.cluster(GpuCalculator.BATCH_ATOMS + 1, 0.08, 6);
        Structure[] replicas = {small, large, medium, small, box, large, small, denseBox, large, huge};
        assertEquals(List.of(List.of(0, 3, 6), List.of(1, 5, 8), List.of(2, 4), List.of(7), List.of(9)),
                GpuMdEngine.groups(replicas, 5.0));
    }

    @Test
    void aBatchHoldsAtMostBatchAtomsAtoms() {
        Structure molecule = RandomStructures.cluster(128, 0.08, 1);
        int perBatch = GpuCalculator.BATCH_ATOMS / 128;
        Structure[] replicas = new Structure[perBatch + 3];
        java.util.Arrays.fill(replicas, molecule);
        List<List<Integer>> groups = GpuMdEngine.groups(replicas, 5.0);
        assertEquals(2, groups.size());
        assertEquals(perBatch, groups.get(0).size());
        assertEquals(List.of(perBatch, perBatch + 1, perBatch + 2), groups.get(1));
    }
}
