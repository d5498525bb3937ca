package org.painn4j.bench;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.painn4j.structure.Structure;

/**
 * The benchmark structures: random clusters of H, C, N and O at a given density (0.08 atoms/Å³,
 * that of organic matter). The N sites of a cubic lattice nearest its centre make a roughly
 * spherical cluster of the right density; each site is jittered by up to 0.3 spacings, so no
 * two atoms come closer than 0.4 spacings (0.9 Å at that density). Any size is made quickly.
 */
public final class Clusters {
    private static final int[] ORGANIC = {1, 6, 7, 8};

    private Clusters() {
    }

    /**
     * About `atoms` atoms as copies of one molecule, translated onto a lattice whose spacing
     * along each axis is the molecule's extent plus `gap` (the copies nearest the centre, the
     * count rounded to whole molecules). For timing molecular dynamics: a random cluster is no
     * molecule the model knows, and its dynamics blows it apart within a few hundred steps;
     * copies of a training molecule stay intact, their atoms at least `gap` from other copies.
     */
    public static Structure molecules(Structure molecule, int atoms, double gap) {
        int m = molecule.size();
        int count = Math.max(1, (int) Math.round((double) atoms / m));
        double[] lo = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        double[] hi = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < 3; c++) {
                lo[c] = Math.min(lo[c], molecule.position(i, c));
                hi[c] = Math.max(hi[c], molecule.position(i, c));
            }
        }
        double[] spacing = new double[3];
        for (int c = 0; c < 3; c++) {
            spacing[c] = hi[c] - lo[c] + gap;
        }
        int[][] sites = nearestSites(count, spacing);
        int[] z = new int[count * m];
        double[] pos = new double[3 * count * m];
        for (int k = 0; k < count; k++) {
            int[] idx = sites[k];
            for (int i = 0; i < m; i++) {
                z[k * m + i] = molecule.number(i);
                for (int c = 0; c < 3; c++) {
                    pos[3 * (k * m + i) + c] = molecule.position(i, c) + idx[c] * spacing[c];
                }
            }
        }
        return Structure.molecule(z, pos);
    }

    public static Structure random(int atoms, double density, long seed) {
        Random rnd = new Random(seed);
        double spacing = Math.cbrt(1.0 / density);
        int[][] sites = nearestSites(atoms, new double[] {1, 1, 1});
        int[] z = new int[atoms];
        double[] pos = new double[3 * atoms];
        for (int a = 0; a < atoms; a++) {
            int[] idx = sites[a];
            for (int c = 0; c < 3; c++) {
                pos[3 * a + c] = (idx[c] + 0.3 * (2 * rnd.nextDouble() - 1)) * spacing;
            }
            z[a] = ORGANIC[rnd.nextInt(ORGANIC.length)];
        }
        return Structure.molecule(z, pos);
    }

    /**
     * The lattice indices of the `count` sites nearest the centre of a cube of sites a little
     * larger than needed, distances scaled by each axis's spacing, ties broken by site number.
     */
    private static int[][] nearestSites(int count, double[] spacing) {
        int side = (int) Math.ceil(Math.cbrt(count)) + 2;
        double mid = (side - 1) / 2.0;
        Integer[] sites = new Integer[side * side * side];
        for (int i = 0; i < sites.length; i++) {
            sites[i] = i;
        }
        Arrays.sort(sites, Comparator.comparingDouble((Integer s) -> {
            double x = (s % side - mid) * spacing[0];
            double y = (s / side % side - mid) * spacing[1];
            double z = (s / (side * side) - mid) * spacing[2];
            return x * x + y * y + z * z;
        }).thenComparingInt(s -> s));
        int[][] idx = new int[count][];
        for (int k = 0; k < count; k++) {
            int s = sites[k];
            idx[k] = new int[] {s % side, s / side % side, s / (side * side)};
        }
        return idx;
    }
}
