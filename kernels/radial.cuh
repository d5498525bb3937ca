// The radial basis and cosine cutoff of one edge (derivation.md §2), for kernels that form them
// on their own: φ_k(d), φ'_k(d) (2.1)/(2.2) and fc(d), fc'(d) (2.3).
#pragma once

#include "common.cuh"

enum { BASIS_GAUSSIAN = 0, BASIS_BESSEL = 1 };

// The k-th basis function and its derivative at d. mu holds the gaussian centres or the bessel
// frequencies (one slot for both), sigma the gaussian widths.
template <typename T>
PAINN_DEVICE void radial_basis(int basis, int k, T d, const T* __restrict__ mu, const T* __restrict__ sigma, T& p,
                               T& dp) {
    if (basis == BASIS_GAUSSIAN) {
        T s = sigma[k];
        T diff = d - mu[k];
        p = painn_exp(-diff * diff / (T(2) * s * s));
        dp = -diff / (s * s) * p;
    } else {
        T w = mu[k];
        T sn, cs;
        painn_sincos(w * d, &sn, &cs);
        p = sn / d;
        dp = (w * cs - p) / d;
    }
}

// fc and fc' at d (zero from rc on).
template <typename T>
PAINN_DEVICE void cosine_cutoff(double dd, double rc, T& f, T& df) {
    T d = (T)dd;
    T a = T(3.14159265358979323846) / (T)rc;
    f = T(0);
    df = T(0);
    if (dd < rc) {
        T sn, cs;
        painn_sincos(a * d, &sn, &cs);
        f = T(0.5) * (cs + T(1));
        df = T(-0.5) * a * sn;
    }
}
