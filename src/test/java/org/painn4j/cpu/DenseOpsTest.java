package org.painn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.painn4j.model.Dense;

class DenseOpsTest {

    @Test
    void smallProductByHand() {
        // W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1, 2]; x = [[1, -1], [2, 0.5]]
        Dense d = new Dense(2, 3, new double[] {1, 2, 3, 4, 5, 6}, new double[] {0.5, -1, 2});
        assertArrayEquals(new double[] {-0.5, -2, 1, 3.5, 7, 15}, DenseOps.forward(d, new double[] {1, -1, 2, 0.5}, 2));
        // gx = gy·W: gy = [[1, 0, -1], [0.5, 2, 1]]
        assertArrayEquals(new double[] {-4, -4, 11.5, 15},
                DenseOps.backward(d, new double[] {1, 0, -1, 0.5, 2, 1}, 2));
    }

    /**
     * Four rows at a time must give the same bits as the plain one-row loops (every output
     * summed in the same order), for every row count around the blocks of four, with and
     * without bias.
     */
    @Test
    void blockedRowsGiveTheBitsOfOneRowAtATime() {
        Random rnd = new Random(17);
        for (boolean bias : new boolean[] {true, false}) {
            Dense d = new Dense(37, 23, random(rnd, 37 * 23), bias ? random(rnd, 23) : null);
            for (int rows = 0; rows <= 9; rows++) {
                double[] x = random(rnd, rows * 37);
                double[] gy = random(rnd, rows * 23);
                assertBits(plainForward(d, x, rows), DenseOps.forward(d, x, rows), "forward, rows " + rows);
                assertBits(plainBackward(d, gy, rows), DenseOps.backward(d, gy, rows), "backward, rows " + rows);
            }
        }
    }

    private static void assertBits(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int t = 0; t < expected.length; t++) {
            assertEquals(Double.doubleToRawLongBits(expected[t]), Double.doubleToRawLongBits(actual[t]),
                    () -> what + ": output differs from the one-row loop");
        }
    }

    private static double[] plainForward(Dense d, double[] x, int rows) {
        double[] y = new double[rows * d.out()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d.out(); o++) {
                double acc = d.b(o);
                for (int i = 0; i < d.in(); i++) {
                    acc += x[r * d.in() + i] * d.w(o, i);
                }
                y[r * d.out() + o] = acc;
            }
        }
        return y;
    }

    private static double[] plainBackward(Dense d, double[] gy, int rows) {
        double[] gx = new double[rows * d.in()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d.out(); o++) {
                for (int i = 0; i < d.in(); i++) {
                    gx[r * d.in() + i] += gy[r * d.out() + o] * d.w(o, i);
                }
            }
        }
        return gx;
    }

    private static double[] random(Random rnd, int n) {
        double[] v = new double[n];
        for (int t = 0; t < n; t++) {
            v[t] = rnd.nextGaussian();
        }
        return v;
    }
}
