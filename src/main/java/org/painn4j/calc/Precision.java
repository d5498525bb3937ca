package org.painn4j.calc;

/** The floating-point type an engine computes in. */
public enum Precision {
    FLOAT32, FLOAT64;

    public String label() {
        return this == FLOAT32 ? "float32" : "float64";
    }
}
