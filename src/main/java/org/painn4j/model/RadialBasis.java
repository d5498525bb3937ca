package org.painn4j.model;

/** The two radial bases of SPEC §1. */
public enum RadialBasis {
    /** φ_k(d) = exp(−(d − μ_k)² / (2 σ_k²)), μ = linspace(0, rc, K), σ = rc/(K−1). */
    GAUSSIAN,
    /** φ_k(d) = sin(ω_k d) / d with ω_k = k π / rc, k = 1..K. */
    BESSEL;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
