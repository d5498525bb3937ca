package org.painn4j.gpu;

import org.painn4j.calc.Precision;

/** What a precision means on the device: element size, kernel suffix, conversions. */
final class Real {
    private Real() {
    }

    static int bytes(Precision p) {
        return p == Precision.FLOAT32 ? 4 : 8;
    }

    static String suffix(Precision p) {
        return p == Precision.FLOAT32 ? "f32" : "f64";
    }

    /** A device buffer of n reals, filled with the values (converted to float for float32). */
    static DeviceBuffer upload(CudaContext cuda, Precision p, String name, double[] values) {
        DeviceBuffer b = new DeviceBuffer(cuda, name, (long) values.length * bytes(p));
        if (p == Precision.FLOAT32) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            b.upload(f);
        } else {
            b.upload(values);
        }
        return b;
    }

    /** The first n reals of a buffer, widened to double. */
    static double[] download(Precision p, DeviceBuffer b, int n) {
        double[] out = new double[n];
        if (n == 0) {
            return out;
        }
        if (p == Precision.FLOAT32) {
            float[] f = new float[n];
            b.download(f);
            for (int i = 0; i < n; i++) {
                out[i] = f[i];
            }
        } else {
            b.download(out);
        }
        return out;
    }

    /** A 32-bit pattern that reads as NaN in float32 and in float64 (0x7FC00000 7FC00000). */
    static final int NAN_PATTERN = 0x7FC00000;
}
