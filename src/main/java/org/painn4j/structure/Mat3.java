package org.painn4j.structure;

/** 3x3 matrices stored row-major in a double[9]; just what cells and strains need. */
public final class Mat3 {
    private Mat3() {
    }

    public static double det(double[] m) {
        return m[0] * (m[4] * m[8] - m[5] * m[7])
                - m[1] * (m[3] * m[8] - m[5] * m[6])
                + m[2] * (m[3] * m[7] - m[4] * m[6]);
    }

    /** The inverse; throws IllegalArgumentException for a singular matrix. */
    public static double[] inverse(double[] m) {
        double d = det(m);
        if (d == 0 || !Double.isFinite(d)) {
            throw new IllegalArgumentException("singular 3x3 matrix");
        }
        double[] r = new double[9];
        r[0] = (m[4] * m[8] - m[5] * m[7]) / d;
        r[1] = (m[2] * m[7] - m[1] * m[8]) / d;
        r[2] = (m[1] * m[5] - m[2] * m[4]) / d;
        r[3] = (m[5] * m[6] - m[3] * m[8]) / d;
        r[4] = (m[0] * m[8] - m[2] * m[6]) / d;
        r[5] = (m[2] * m[3] - m[0] * m[5]) / d;
        r[6] = (m[3] * m[7] - m[4] * m[6]) / d;
        r[7] = (m[1] * m[6] - m[0] * m[7]) / d;
        r[8] = (m[0] * m[4] - m[1] * m[3]) / d;
        return r;
    }

    public static double[] multiply(double[] a, double[] b) {
        double[] r = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += a[3 * i + k] * b[3 * k + j];
                }
                r[3 * i + j] = s;
            }
        }
        return r;
    }

    public static double[] transpose(double[] m) {
        return new double[] {m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]};
    }

    public static double[] identity() {
        return new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1};
    }
}
