package org.painn4j.structure;

import java.util.Arrays;

/**
 * Atoms, and optionally a cell and periodic boundary conditions: what the model evaluates.
 * Positions in Å, row-major [N][3]. The cell holds the lattice vectors as rows
 * (a = cell[0..2], b = cell[3..5], c = cell[6..8]), as ASE and extended XYZ write them;
 * it is null for a frame without a lattice, which is then periodic along no axis.
 */
public final class Structure {
    private final int[] numbers;
    private final double[] positions;
    private final double[] cell;
    private final boolean[] pbc;

    public Structure(int[] numbers, double[] positions, double[] cell, boolean[] pbc) {
        if (positions.length != 3 * numbers.length) {
            throw new IllegalArgumentException("positions must have 3*N = " + 3 * numbers.length
                    + " entries, got " + positions.length);
        }
        if (cell != null && cell.length != 9) {
            throw new IllegalArgumentException("cell must have 9 entries, got " + cell.length);
        }
        if (pbc.length != 3) {
            throw new IllegalArgumentException("pbc must have 3 entries");
        }
        if (cell == null && (pbc[0] || pbc[1] || pbc[2])) {
            throw new IllegalArgumentException("periodic boundary conditions need a cell");
        }
        this.numbers = numbers.clone();
        this.positions = positions.clone();
        this.cell = cell == null ? null : cell.clone();
        this.pbc = pbc.clone();
    }

    /** A molecule: no cell, not periodic. */
    public static Structure molecule(int[] numbers, double[] positions) {
        return new Structure(numbers, positions, null, new boolean[3]);
    }

    public int size() {
        return numbers.length;
    }

    public int[] numbers() {
        return numbers.clone();
    }

    public int number(int atom) {
        return numbers[atom];
    }

    /** A copy of the positions, row-major [N][3]. */
    public double[] positions() {
        return positions.clone();
    }

    public double position(int atom, int axis) {
        return positions[3 * atom + axis];
    }

    /** A copy of the cell (lattice vectors as rows), or null when there is none. */
    public double[] cell() {
        return cell == null ? null : cell.clone();
    }

    public boolean hasCell() {
        return cell != null;
    }

    public boolean[] pbc() {
        return pbc.clone();
    }

    public boolean periodic(int axis) {
        return pbc[axis];
    }

    public boolean anyPeriodic() {
        return pbc[0] || pbc[1] || pbc[2];
    }

    public boolean fullyPeriodic() {
        return pbc[0] && pbc[1] && pbc[2];
    }

    /** |det(cell)| in Å³; NaN without a cell. */
    public double volume() {
        if (cell == null) {
            return Double.NaN;
        }
        return Math.abs(Mat3.det(cell));
    }

    /** The same atoms and cell with other positions. */
    public Structure withPositions(double[] newPositions) {
        return new Structure(numbers, newPositions, cell, pbc);
    }

    /** The same atoms with other positions and cell. */
    public Structure withPositionsAndCell(double[] newPositions, double[] newCell) {
        return new Structure(numbers, newPositions, newCell, pbc);
    }

    @Override
    public String toString() {
        return "Structure[" + numbers.length + " atoms, pbc=" + Arrays.toString(pbc) + "]";
    }
}
