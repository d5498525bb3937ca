package org.painn4j.structure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.painn4j.InputException;

class NeighborListTest {

    // ---- reference ------------------------------------------------------------------------

    /** Edges in the documented order, found by trying every pair and every image in range. */
    private static final class Reference {
        final List<int[]> edges = new ArrayList<>(); // {i, j, na, nb, nc}
        final List<double[]> vectors = new ArrayList<>();
    }

    /**
     * O(N²·images) reference. For a pair, the image n can only reach when
     * |n_d + Δf_d| ≤ rc / h_d, with Δf the fractional difference of the positions and h_d the
     * distance between lattice planes; the loop covers that range plus one on each side.
     */
    private static Reference brute(Structure s, double rc) {
        int n = s.size();
        double[] pos = s.positions();
        double[] lat = new double[9];
        double[] inv = null;
        double[] reachFrac = new double[3];
        if (s.anyPeriodic()) {
            double[] cell = s.cell();
            for (int d = 0; d < 3; d++) {
                if (s.periodic(d)) {
                    System.arraycopy(cell, 3 * d, lat, 3 * d, 3);
                }
            }
            inv = Mat3.inverse(cell);
            for (int d = 0; d < 3; d++) {
                reachFrac[d] = rc * Math.sqrt(inv[d] * inv[d] + inv[3 + d] * inv[3 + d] + inv[6 + d] * inv[6 + d]);
            }
        }
        Reference ref = new Reference();
        int[] lo = new int[3];
        int[] hi = new int[3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int d = 0; d < 3; d++) {
                    if (!s.periodic(d)) {
                        lo[d] = 0;
                        hi[d] = 0;
                        continue;
                    }
                    double df = 0;
                    for (int k = 0; k < 3; k++) {
                        df += (pos[3 * j + k] - pos[3 * i + k]) * inv[3 * k + d];
                    }
                    lo[d] = (int) Math.floor(-df - reachFrac[d]) - 1;
                    hi[d] = (int) Math.ceil(-df + reachFrac[d]) + 1;
                }
                for (int a = lo[0]; a <= hi[0]; a++) {
                    for (int b = lo[1]; b <= hi[1]; b++) {
                        for (int c = lo[2]; c <= hi[2]; c++) {
                            if (i == j && a == 0 && b == 0 && c == 0) {
                                continue;
                            }
                            double[] v = vector(pos, lat, i, j, a, b, c);
                            double dist = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
                            if (dist < rc) {
                                ref.edges.add(new int[] {i, j, a, b, c});
                                ref.vectors.add(v);
                            }
                        }
                    }
                }
            }
        }
        return ref;
    }

    /** The documented formula: (pos[j] − pos[i]) + (n_a·a + n_b·b + n_c·c). */
    private static double[] vector(double[] pos, double[] lat, int i, int j, int a, int b, int c) {
        double[] v = new double[3];
        for (int k = 0; k < 3; k++) {
            v[k] = (pos[3 * j + k] - pos[3 * i + k]) + (a * lat[k] + b * lat[3 + k] + c * lat[6 + k]);
        }
        return v;
    }

    private static NeighborList checkAgainstBrute(Structure s, double rc) {
        NeighborList nl = NeighborList.build(s, rc);
        checkInvariants(nl, s);
        Reference ref = brute(s, rc);
        assertEquals(ref.edges.size(), nl.edges(), "edge count");
        for (int e = 0; e < nl.edges(); e++) {
            int[] r = ref.edges.get(e);
            assertEquals(r[0], nl.center(e), "center of edge " + e);
            assertEquals(r[1], nl.neighbor[e], "neighbor of edge " + e);
            assertArrayEquals(new int[] {r[2], r[3], r[4]},
                    new int[] {nl.image[3 * e], nl.image[3 * e + 1], nl.image[3 * e + 2]}, "image of edge " + e);
            double[] v = ref.vectors.get(e);
            for (int k = 0; k < 3; k++) {
                assertEquals(v[k], nl.vector[3 * e + k], 0.0, "vector of edge " + e);
            }
        }
        return nl;
    }

    /** What must hold of any list: CSR shape, order, formula, cutoff, reverse edges. */
    private static void checkInvariants(NeighborList nl, Structure s) {
        int n = s.size();
        double[] pos = s.positions();
        double[] lat = new double[9];
        if (s.hasCell()) {
            double[] cell = s.cell();
            for (int d = 0; d < 3; d++) {
                if (s.periodic(d)) {
                    System.arraycopy(cell, 3 * d, lat, 3 * d, 3);
                }
            }
        }
        int edges = nl.edges();
        assertEquals(n, nl.atoms);
        assertEquals(n + 1, nl.rowStart.length);
        assertEquals(0, nl.rowStart[0]);
        assertEquals(edges, nl.rowStart[n]);
        assertEquals(edges, nl.center.length);
        assertEquals(3 * edges, nl.image.length);
        assertEquals(3 * edges, nl.vector.length);
        assertEquals(edges, nl.distance.length);
        assertEquals(edges, nl.reverse.length);
        for (int i = 0; i < n; i++) {
            assertTrue(nl.rowStart[i] <= nl.rowStart[i + 1]);
            for (int e = nl.rowStart[i]; e < nl.rowStart[i + 1]; e++) {
                if (nl.center(e) != i) {
                    fail("center of edge " + e);
                }
                if (e > nl.rowStart[i] && compare(nl, e - 1, e) >= 0) {
                    fail("row " + i + " not strictly sorted at edge " + e);
                }
            }
        }
        // Plain checks per edge: a message string per assertion would dominate large cases.
        for (int e = 0; e < edges; e++) {
            int i = nl.center[e];
            int j = nl.neighbor[e];
            int a = nl.image[3 * e];
            int b = nl.image[3 * e + 1];
            int c = nl.image[3 * e + 2];
            if (i == j && a == 0 && b == 0 && c == 0) {
                fail("self edge " + e);
            }
            for (int d = 0; d < 3; d++) {
                if (!s.periodic(d) && nl.image[3 * e + d] != 0) {
                    fail("image along non-periodic axis " + d + " at edge " + e);
                }
            }
            double[] v = vector(pos, lat, i, j, a, b, c);
            for (int k = 0; k < 3; k++) {
                if (v[k] != nl.vector[3 * e + k]) {
                    fail("vector of edge " + e + " is not (pos[j] - pos[i]) + shift");
                }
            }
            double dist = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            if (dist != nl.distance[e] || !(dist < nl.cutoff)) {
                fail("distance of edge " + e);
            }
            int r = nl.reverse[e];
            if (nl.reverse[r] != e || nl.center[r] != j || nl.neighbor[r] != i) {
                fail("reverse of edge " + e);
            }
            for (int k = 0; k < 3; k++) {
                if (nl.image[3 * r + k] != -nl.image[3 * e + k] || nl.vector[3 * r + k] != -nl.vector[3 * e + k]) {
                    fail("reverse of edge " + e + " does not negate image and vector");
                }
            }
        }
    }

    private static int compare(NeighborList nl, int e, int f) {
        int c = Integer.compare(nl.neighbor[e], nl.neighbor[f]);
        for (int k = 0; c == 0 && k < 3; k++) {
            c = Integer.compare(nl.image[3 * e + k], nl.image[3 * f + k]);
        }
        return c;
    }

    // ---- structures -----------------------------------------------------------------------

    private static int[] hydrogens(int n) {
        return new int[n];
    }

    private static double[] randomBox(Random rnd, int n, double side) {
        double[] pos = new double[3 * n];
        for (int k = 0; k < pos.length; k++) {
            pos[k] = side * rnd.nextDouble();
        }
        return pos;
    }

    /** Positions at fractional coordinates drawn from [lo, hi) of the cell (rows a, b, c). */
    private static double[] randomFractional(Random rnd, int n, double[] cell, double lo, double hi) {
        double[] pos = new double[3 * n];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 3; d++) {
                double f = lo + (hi - lo) * rnd.nextDouble();
                for (int k = 0; k < 3; k++) {
                    pos[3 * i + k] += f * cell[3 * d + k];
                }
            }
        }
        return pos;
    }

    /** A triclinic cell whose off-diagonal shear is up to `shear` times the diagonal. */
    private static double[] skewedCell(Random rnd, double min, double max, double shear) {
        double a = min + (max - min) * rnd.nextDouble();
        double b = min + (max - min) * rnd.nextDouble();
        double c = min + (max - min) * rnd.nextDouble();
        return new double[] {
            a, 0, 0,
            shear * a * (2 * rnd.nextDouble() - 1), b, 0,
            shear * a * (2 * rnd.nextDouble() - 1), shear * b * (2 * rnd.nextDouble() - 1), c,
        };
    }

    private static double[] cubic(double side) {
        return new double[] {side, 0, 0, 0, side, 0, 0, 0, side};
    }

    private static boolean[] pbc(boolean a, boolean b, boolean c) {
        return new boolean[] {a, b, c};
    }

    // ---- tests ----------------------------------------------------------------------------

    @Test
    void molecule() {
        Random rnd = new Random(1);
        checkAgainstBrute(Structure.molecule(hydrogens(60), randomBox(rnd, 60, 8)), 3.0);
    }

    @Test
    void clusterOf1000Atoms() {
        Random rnd = new Random(2);
        NeighborList nl = checkAgainstBrute(Structure.molecule(hydrogens(1000), randomBox(rnd, 1000, 27)), 5.0);
        assertTrue(nl.edges() > 10000);
    }

    @Test
    void cubicCellSmallerThanCutoff() {
        Random rnd = new Random(3);
        double[] cell = cubic(4);
        Structure s = new Structure(hydrogens(6), randomBox(rnd, 6, 4), cell, pbc(true, true, true));
        NeighborList nl = checkAgainstBrute(s, 5.0);
        int selfImages = 0;
        for (int e = 0; e < nl.edges(); e++) {
            if (nl.center(e) == nl.neighbor[e]) {
                selfImages++;
            }
        }
        assertEquals(6 * 6, selfImages, "each atom sees its 6 face images at 4 Å");
    }

    @Test
    void oneAtomSimpleCubicCountsShells() {
        Structure s = new Structure(new int[] {1}, new double[] {0.3, -0.2, 0.1}, cubic(3), pbc(true, true, true));
        // Shells at 3 (6 images) and 3·√2 ≈ 4.243 (12); 3·√3 ≈ 5.196 is out.
        NeighborList nl = checkAgainstBrute(s, 4.3);
        assertEquals(18, nl.edges());
    }

    @Test
    void cellBetweenCutoffAndTwiceCutoff() {
        Random rnd = new Random(4);
        Structure s = new Structure(hydrogens(20), randomBox(rnd, 20, 7), cubic(7), pbc(true, true, true));
        checkAgainstBrute(s, 5.0);
    }

    @Test
    void largerCellSeveralBinsPerAxis() {
        Random rnd = new Random(5);
        double[] cell = {17, 0, 0, 3, 15, 0, -4, 2, 16};
        Structure s = new Structure(hydrogens(250), randomFractional(rnd, 250, cell, 0, 1), cell,
                pbc(true, true, true));
        checkAgainstBrute(s, 4.0);
    }

    @Test
    void stronglySkewedTriclinicCells() {
        Random rnd = new Random(6);
        for (int trial = 0; trial < 40; trial++) {
            double[] cell = skewedCell(rnd, 2.5, 9, 2.5);
            int n = 1 + rnd.nextInt(16);
            double rc = 2 + 4 * rnd.nextDouble();
            Structure s = new Structure(hydrogens(n), randomFractional(rnd, n, cell, 0, 1), cell,
                    pbc(true, true, true));
            checkAgainstBrute(s, rc);
        }
        // Cells several cutoffs across, so the grid has more than one bin along the sheared axes.
        int binnedAxes = 0;
        for (int trial = 0; trial < 4; trial++) {
            double[] cell = skewedCell(rnd, 12, 20, 1.5);
            double rc = 2 + 2 * rnd.nextDouble();
            double[] pos = randomFractional(rnd, 100, cell, 0, 1);
            checkAgainstBrute(new Structure(hydrogens(100), pos, cell, pbc(true, true, true)), rc);
            for (int bins : new CellBins(pos, cell, pbc(true, true, true), rc).count) {
                binnedAxes += bins > 1 ? 1 : 0;
            }
        }
        assertTrue(binnedAxes >= 6, "too few axes with several bins: " + binnedAxes);
    }

    @Test
    void everyMixOfPeriodicAxes() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 64; trial++) {
            int mask = trial % 8;
            boolean[] pbc = pbc((mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0);
            double[] cell = skewedCell(rnd, 3, 10, 1.5);
            int n = 1 + rnd.nextInt(20);
            double rc = 2 + 4 * rnd.nextDouble();
            // Non-periodic coordinates spread well beyond the cell.
            Structure s = new Structure(hydrogens(n), randomFractional(rnd, n, cell, -1, 2), cell, pbc);
            checkAgainstBrute(s, rc);
        }
    }

    @Test
    void slab() {
        Random rnd = new Random(8);
        double[] cell = {5, 0, 0, 2, 6, 0, 0, 0, 20};
        double[] pos = randomFractional(rnd, 40, cell, 0, 1);
        for (int i = 0; i < 40; i++) {
            pos[3 * i + 2] = 40 * rnd.nextDouble() - 10;
        }
        Structure s = new Structure(hydrogens(40), pos, cell, pbc(true, true, false));
        NeighborList nl = checkAgainstBrute(s, 6.0);

        // ASE writes slabs with a zero third row; it must not matter.
        double[] flat = {5, 0, 0, 2, 6, 0, 0, 0, 0};
        NeighborList same = NeighborList.build(new Structure(hydrogens(40), pos, flat, pbc(true, true, false)), 6.0);
        assertArrayEquals(nl.neighbor, same.neighbor);
        assertArrayEquals(nl.image, same.image);
        assertArrayEquals(nl.vector, same.vector, 0.0);
    }

    @Test
    void wire() {
        Random rnd = new Random(9);
        double[] cell = {3.5, 0.5, 0.2, 0, 30, 0, 0, 0, 30};
        double[] pos = randomFractional(rnd, 30, cell, 0, 0.3);
        Structure s = new Structure(hydrogens(30), pos, cell, pbc(true, false, false));
        checkAgainstBrute(s, 5.5);

        double[] bare = {3.5, 0.5, 0.2, 0, 0, 0, 0, 0, 0};
        NeighborList nl = NeighborList.build(s, 5.5);
        NeighborList same = NeighborList.build(new Structure(hydrogens(30), pos, bare, pbc(true, false, false)), 5.5);
        assertArrayEquals(nl.image, same.image);
        assertArrayEquals(nl.vector, same.vector, 0.0);
    }

    @Test
    void cellWithoutPeriodicityIsAMolecule() {
        Random rnd = new Random(10);
        double[] pos = randomBox(rnd, 50, 9);
        Structure inCell = new Structure(hydrogens(50), pos, cubic(4), pbc(false, false, false));
        NeighborList nl = checkAgainstBrute(inCell, 4.0);
        NeighborList molecule = NeighborList.build(Structure.molecule(hydrogens(50), pos), 4.0);
        assertArrayEquals(molecule.neighbor, nl.neighbor);
        assertArrayEquals(molecule.vector, nl.vector, 0.0);
        for (int v : nl.image) {
            assertEquals(0, v);
        }
    }

    @Test
    void unwrappedPositionsGiveTheSameEdges() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 12; trial++) {
            boolean[] pbc = trial % 2 == 0 ? pbc(true, true, true) : pbc(true, true, false);
            double[] cell = skewedCell(rnd, 3, 8, 1.5);
            int n = 2 + rnd.nextInt(15);
            double rc = 2.5 + 3 * rnd.nextDouble();
            double[] pos = randomFractional(rnd, n, cell, 0, 1);
            Structure wrapped = new Structure(hydrogens(n), pos, cell, pbc);

            // Move atoms by whole lattice vectors, many cells away, negative coordinates included.
            int[] t = new int[3 * n];
            double[] moved = pos.clone();
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < 3; d++) {
                    t[3 * i + d] = pbc[d] ? rnd.nextInt(13) - 6 : 0;
                    for (int k = 0; k < 3; k++) {
                        moved[3 * i + k] += t[3 * i + d] * cell[3 * d + k];
                    }
                }
            }
            Structure unwrapped = new Structure(hydrogens(n), moved, cell, pbc);
            NeighborList a = NeighborList.build(wrapped, rc);
            NeighborList b = checkAgainstBrute(unwrapped, rc);
            assertEquals(a.edges(), b.edges());
            assertArrayEquals(a.rowStart, b.rowStart);
            for (int i = 0; i < n; i++) {
                for (int e = a.rowStart[i]; e < a.rowStart[i + 1]; e++) {
                    int j = a.neighbor[e];
                    int[] want = new int[3];
                    for (int d = 0; d < 3; d++) {
                        want[d] = a.image[3 * e + d] + t[3 * i + d] - t[3 * j + d];
                    }
                    int f = find(b, i, j, want);
                    assertTrue(f >= 0, "edge " + e + " missing after moving atoms");
                    assertEquals(a.distance[e], b.distance[f], 1e-9);
                    for (int k = 0; k < 3; k++) {
                        assertEquals(a.vector[3 * e + k], b.vector[3 * f + k], 1e-9);
                    }
                }
            }
        }
    }

    private static int find(NeighborList nl, int i, int j, int[] image) {
        for (int e = nl.rowStart[i]; e < nl.rowStart[i + 1]; e++) {
            if (nl.neighbor[e] == j && nl.image[3 * e] == image[0] && nl.image[3 * e + 1] == image[1]
                    && nl.image[3 * e + 2] == image[2]) {
                return e;
            }
        }
        return -1;
    }

    @Test
    void sparseClustersFarApart() {
        Random rnd = new Random(12);
        int n = 1200;
        double[] pos = randomBox(rnd, n, 20);
        for (int i = n / 2; i < n; i++) {
            pos[3 * i] += 1e5;
            pos[3 * i + 2] -= 3e4;
        }
        checkAgainstBrute(Structure.molecule(hydrogens(n), pos), 4.5);
    }

    @Test
    void fewAtomsInALargeCellUseTheSparseGrid() {
        Random rnd = new Random(15);
        for (int mask : new int[] {7, 3, 1}) {
            boolean[] pbc = pbc((mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0);
            double[] cell = skewedCell(rnd, 80, 100, 0.8);
            double[] pos = randomFractional(rnd, 200, cell, -1, 2);
            assertTrue(new CellBins(pos, cell, pbc, 2.0).sparse());
            checkAgainstBrute(new Structure(hydrogens(200), pos, cell, pbc), 2.0);
        }
        Random again = new Random(16);
        double[] pos = randomBox(again, 300, 20);
        assertTrue(!new CellBins(pos, new double[9], pbc(false, false, false), 2.0).sparse());
    }

    @Test
    void emptyAndSingleAtom() {
        NeighborList none = NeighborList.build(Structure.molecule(new int[0], new double[0]), 5.0);
        assertEquals(0, none.edges());
        assertArrayEquals(new int[] {0}, none.rowStart);
        NeighborList nonePeriodic = NeighborList.build(
                new Structure(new int[0], new double[0], cubic(3), pbc(true, true, true)), 5.0);
        assertEquals(0, nonePeriodic.edges());

        NeighborList one = NeighborList.build(Structure.molecule(new int[] {8}, new double[] {1, 2, 3}), 5.0);
        assertEquals(0, one.edges());
        assertArrayEquals(new int[] {0, 0}, one.rowStart);

        Structure periodic = new Structure(new int[] {8}, new double[] {-7, 2, 30}, skewedCell(new Random(13), 2, 4, 1),
                pbc(true, true, true));
        assertTrue(checkAgainstBrute(periodic, 5.0).edges() > 0);
    }

    @Test
    void atomsAtTheSamePositionAreRefused() {
        double[] pos = {0, 0, 0, 1, 1, 1, 2, 0, 0, 3, 3, 3, 1, 1, 1 + 1e-6};
        InputException e = assertThrows(InputException.class,
                () -> NeighborList.build(Structure.molecule(hydrogens(5), pos), 3.0));
        assertTrue(e.getMessage().startsWith("atoms 1 and 4 are at the same position"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));

        // Atom 1 sits on the image of atom 0 one cell along a.
        double[] images = {1, 1, 1, 11, 1, 1};
        InputException p = assertThrows(InputException.class, () -> NeighborList.build(
                new Structure(hydrogens(2), images, cubic(10), pbc(true, true, true)), 3.0));
        assertTrue(p.getMessage().startsWith("atoms 0 and 1 are at the same position"), p.getMessage());

        double[] tiny = {5e-5, 0, 0, 0, 10, 0, 0, 0, 10};
        InputException self = assertThrows(InputException.class, () -> NeighborList.build(
                new Structure(hydrogens(1), new double[] {1, 2, 3}, tiny, pbc(true, true, true)), 0.5));
        assertTrue(self.getMessage().startsWith("atom 0 is at the same position as its periodic image"),
                self.getMessage());
    }

    @Test
    void badCellAndCutoff() {
        double[] flat = {1, 0, 0, 2, 0, 0, 0, 0, 5};
        assertThrows(InputException.class, () -> NeighborList.build(
                new Structure(hydrogens(2), new double[] {0, 0, 0, 1, 1, 1}, flat, pbc(true, true, true)), 3.0));
        double[] zero = {0, 0, 0, 0, 4, 0, 0, 0, 4};
        assertThrows(InputException.class, () -> NeighborList.build(
                new Structure(hydrogens(2), new double[] {0, 0, 0, 1, 1, 1}, zero, pbc(true, false, false)), 3.0));
        double[] thin = {1e-6, 0, 0, 0, 3, 0, 0, 0, 3};
        InputException t = assertThrows(InputException.class, () -> NeighborList.build(
                new Structure(hydrogens(1), new double[] {0, 0, 0}, thin, pbc(true, true, true)), 5.0));
        assertTrue(t.getMessage().startsWith("the periodic cell is too thin"), t.getMessage());
        Structure ok = Structure.molecule(hydrogens(2), new double[] {0, 0, 0, 1, 1, 1});
        assertThrows(IllegalArgumentException.class, () -> NeighborList.build(ok, 0));
        assertThrows(IllegalArgumentException.class, () -> NeighborList.build(ok, -1));
        assertThrows(IllegalArgumentException.class, () -> NeighborList.build(ok, Double.NaN));
    }

    @Test
    void fiftyThousandAtomsPeriodic() {
        Random rnd = new Random(14);
        int n = 50_000;
        double side = Math.cbrt(n / 0.08);
        // A jittered grid keeps atoms apart, as in a real liquid or solid.
        int perSide = (int) Math.ceil(Math.cbrt(n));
        double spacing = side / perSide;
        double[] pos = new double[3 * n];
        for (int i = 0; i < n; i++) {
            int x = i % perSide;
            int y = (i / perSide) % perSide;
            int z = i / (perSide * perSide);
            pos[3 * i] = (x + 0.5 + 0.3 * (rnd.nextDouble() - 0.5)) * spacing;
            pos[3 * i + 1] = (y + 0.5 + 0.3 * (rnd.nextDouble() - 0.5)) * spacing;
            pos[3 * i + 2] = (z + 0.5 + 0.3 * (rnd.nextDouble() - 0.5)) * spacing;
        }
        Structure s = new Structure(hydrogens(n), pos, cubic(side), pbc(true, true, true));
        NeighborList nl = NeighborList.build(s, 5.0);
        checkInvariants(nl, s);
        // About 0.08 · 4/3·π·5³ ≈ 42 neighbors per atom.
        double perAtom = nl.edges() / (double) n;
        assertTrue(perAtom > 35 && perAtom < 50, "neighbors per atom " + perAtom);
    }
}
