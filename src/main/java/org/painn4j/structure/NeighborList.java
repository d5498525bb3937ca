package org.painn4j.structure;

import java.util.ArrayList;
import java.util.List;

/** TEMPORARY brute force (replaced by the cell-list version). */
public final class NeighborList {
    public final int atoms;
    public final double cutoff;
    public final int[] rowStart;
    public final int[] neighbor;
    public final int[] center;
    public final int[] image;
    public final double[] vector;
    public final double[] distance;
    public final int[] reverse;

    private NeighborList(int atoms, double cutoff, List<double[]> rows) {
        this.atoms = atoms; this.cutoff = cutoff;
        int e = rows.size();
        rowStart = new int[atoms + 1]; neighbor = new int[e]; center = new int[e]; image = new int[3 * e];
        vector = new double[3 * e]; distance = new double[e]; reverse = new int[e];
        for (int k = 0; k < e; k++) {
            double[] r = rows.get(k);
            center[k] = (int) r[0]; neighbor[k] = (int) r[1];
            for (int a = 0; a < 3; a++) { image[3 * k + a] = (int) r[2 + a]; vector[3 * k + a] = r[5 + a]; }
            distance[k] = r[8];
            rowStart[center[k] + 1]++;
        }
        for (int i = 0; i < atoms; i++) rowStart[i + 1] += rowStart[i];
        for (int k = 0; k < e; k++) {
            for (int m = rowStart[neighbor[k]]; m < rowStart[neighbor[k] + 1]; m++) {
                if (neighbor[m] == center[k] && image[3 * m] == -image[3 * k] && image[3 * m + 1] == -image[3 * k + 1] && image[3 * m + 2] == -image[3 * k + 2]) reverse[k] = m;
            }
        }
    }

    public int edges() { return neighbor.length; }

    public static NeighborList build(Structure s, double rc) {
        int n = s.size();
        double[] cell = s.hasCell() ? s.cell() : new double[9];
        int[] reps = new int[3];
        for (int a = 0; a < 3; a++) if (s.periodic(a)) reps[a] = 8;
        List<double[]> rows = new ArrayList<>();
        double[] p = s.positions();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++)
            for (int x = -reps[0]; x <= reps[0]; x++) for (int y = -reps[1]; y <= reps[1]; y++) for (int z = -reps[2]; z <= reps[2]; z++) {
                if (i == j && x == 0 && y == 0 && z == 0) continue;
                double[] v = new double[3];
                for (int a = 0; a < 3; a++) v[a] = p[3 * j + a] - p[3 * i + a] + x * cell[a] + y * cell[3 + a] + z * cell[6 + a];
                double d = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
                if (d < 1e-4) throw new org.painn4j.InputException("atoms " + i + " and " + j + " are at the same position");
                if (d < rc) rows.add(new double[] {i, j, x, y, z, v[0], v[1], v[2], d});
            }
        return new NeighborList(n, rc, rows);
    }
}
