// Molecular dynamics on the device (docs/md.md): the halves of a time step around the force
// call, as org.painn4j.md.VelocityVerlet and org.painn4j.md.Baoab write them, wrapping into the
// cell as org.painn4j.md.Wrap does, and the checks that keep a long run honest. Positions,
// momenta, forces and masses are float64 whatever the force precision. One thread per atom.
//
// Replicas advance together, their atoms one after another in the same arrays: atom a belongs
// to replica r = atomReplica[a], whose atoms start at replicaStart[r], and it draws its noise
// as atom a − replicaStart[r] of replica r's own Philox key, so that every replica gets the
// numbers it gets when it runs alone. Each replica has its own cell, energy and status word.
//
//   painn_md_first         p += ½dt F; x += dt p/m (velocity Verlet), or B A O A (BAOAB, with
//                          Philox4x32-10 normals keyed as org.painn4j.md.Philox); then wrap
//   painn_md_displacement  raises the rebuild flag when an atom has moved more than half the skin
//                          since the Verlet list was built
//   painn_md_reference     remembers the positions the Verlet list was built at
//   painn_md_last          p += ½dt F; records the first step with a non-finite value, per replica;
//                          then moves the step counter on (on the device, so that one graph
//                          serves every step)
//   painn_md_last_first    painn_md_last and the next step's painn_md_first in one kernel, where
//                          steps follow each other in one graph
#include "common.cuh"

PAINN_DEVICE uint4 philox(uint4 c, uint2 k) {
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k.x += 0x9E3779B9u;
            k.y += 0xBB67AE85u;
        }
        unsigned long long p0 = 0xD2511F53ull * c.x;
        unsigned long long p1 = 0xCD9E8D57ull * c.z;
        unsigned hi0 = (unsigned)(p0 >> 32), lo0 = (unsigned)p0;
        unsigned hi1 = (unsigned)(p1 >> 32), lo1 = (unsigned)p1;
        c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

PAINN_DEVICE double uniform(unsigned w) { return ((double)w + 0.5) * 0x1.0p-32; }

// Three standard normals for one atom at one step: two Box–Muller pairs, the last value dropped.
PAINN_DEVICE void gaussian3(unsigned long long seed, int stream, long long step, int atom, double out[3]) {
    uint4 w = philox(make_uint4((unsigned)atom, (unsigned)step, (unsigned)((unsigned long long)step >> 32), (unsigned)stream),
                     make_uint2((unsigned)seed, (unsigned)(seed >> 32)));
    const double twoPi = 6.283185307179586;
    double r0 = sqrt(-2 * log(uniform(w.x)));
    double r1 = sqrt(-2 * log(uniform(w.z)));
    double s0, c0, s1, c1;
    sincos(twoPi * uniform(w.y), &s0, &c0);
    sincos(twoPi * uniform(w.w), &s1, &c1);
    out[0] = r0 * c0;
    out[1] = r0 * s0;
    out[2] = r1 * c1;
}

// The first half of a step for atom a: noiseStep numbers the step's Langevin noise (the step
// counter + 1). seeds, cells [9], inverses [9], pbcs [3]: one per replica.
PAINN_DEVICE void first_half(int a, int langevin, double dt, double c1, double c2,
                             const unsigned long long* __restrict__ seeds, const int* __restrict__ atomReplica,
                             const int* __restrict__ replicaStart, long long noiseStep, double* __restrict__ x,
                             double* __restrict__ p, const double* __restrict__ f, const double* __restrict__ m,
                             const double* __restrict__ cells, const double* __restrict__ inverses,
                             const int* __restrict__ pbcs) {
    int r = atomReplica[a];
    const double* cell = cells + 9 * r;
    const double* inverse = inverses + 9 * r;
    const int* pbc = pbcs + 3 * r;
    double half = 0.5 * dt;
    double mass = m[a];
    if (langevin) {
        double xi[3];
        gaussian3(seeds[r], 0, noiseStep, a - replicaStart[r], xi);
        double noise = c2 * sqrt(mass);
        for (int k = 0; k < 3; k++) {
            int i = 3 * a + k;
            double pi = __dadd_rn(p[i], __dmul_rn(half, f[i]));
            double xa = __dadd_rn(x[i], __ddiv_rn(__dmul_rn(half, pi), mass));
            pi = __dadd_rn(__dmul_rn(c1, pi), __dmul_rn(noise, xi[k]));
            p[i] = pi;
            x[i] = __dadd_rn(xa, __ddiv_rn(__dmul_rn(half, pi), mass));
        }
    } else {
        for (int k = 0; k < 3; k++) {
            int i = 3 * a + k;
            double pi = __dadd_rn(p[i], __dmul_rn(half, f[i]));
            p[i] = pi;
            x[i] = __dadd_rn(x[i], __ddiv_rn(__dmul_rn(dt, pi), mass));
        }
    }
    // wrap along periodic axes: only an atom that left the cell moves, by whole lattice vectors
    double px = x[3 * a], py = x[3 * a + 1], pz = x[3 * a + 2];
    for (int k = 0; k < 3; k++) {
        if (!pbc[k]) continue;
        double sk = __dadd_rn(__dadd_rn(__dmul_rn(px, inverse[k]), __dmul_rn(py, inverse[3 + k])), __dmul_rn(pz, inverse[6 + k]));
        double shift = floor(sk);
        if (shift != 0) {
            for (int c = 0; c < 3; c++) x[3 * a + c] = __dsub_rn(x[3 * a + c], __dmul_rn(shift, cell[3 * k + c]));
        }
    }
}

extern "C" __global__ void painn_md_first(int nAtoms, int langevin, double dt, double c1, double c2,
                                          const unsigned long long* __restrict__ seeds,
                                          const int* __restrict__ atomReplica, const int* __restrict__ replicaStart,
                                          const long long* __restrict__ step,
                                          double* __restrict__ x, double* __restrict__ p,
                                          const double* __restrict__ f, const double* __restrict__ m,
                                          const double* __restrict__ cells, const double* __restrict__ inverses,
                                          const int* __restrict__ pbcs) {
    painn_grid_dependency();
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    if (a >= nAtoms) return;
    first_half(a, langevin, dt, c1, c2, seeds, atomReplica, replicaStart, *step + 1, x, p, f, m, cells, inverses,
               pbcs);
}

extern "C" __global__ void painn_md_displacement(int nAtoms, const double* __restrict__ x,
                                                 const double* __restrict__ reference, double limit,
                                                 int* __restrict__ rebuild) {
    painn_grid_dependency();
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    if (a >= nAtoms) return;
    double d2 = 0;
    for (int k = 0; k < 3; k++) {
        double dx = x[3 * a + k] - reference[3 * a + k];
        d2 += dx * dx;
    }
    if (!(d2 <= limit * limit)) *rebuild = 1;  // NaN too: a list built then fails loudly later
}

extern "C" __global__ void painn_md_reference(int nAtoms, const int* __restrict__ rebuild, const double* __restrict__ x,
                                              double* __restrict__ reference) {
    painn_grid_dependency();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < 3 * nAtoms && *rebuild) reference[i] = x[i];
}

// energies and badSteps: one per replica.
// The second half of a step for atom a: p += ½dt F, and the first step with a non-finite value
// (badStep) recorded for its replica.
PAINN_DEVICE void last_half(int a, double dt, double* __restrict__ p, const double* __restrict__ f,
                            const double* __restrict__ x, const double* __restrict__ energies,
                            const int* __restrict__ atomReplica, const int* __restrict__ replicaStart,
                            long long badStep, long long* __restrict__ badSteps) {
    int r = atomReplica[a];
    double half = 0.5 * dt;
    bool finite = a > replicaStart[r] || isfinite(energies[r]);
    for (int k = 0; k < 3; k++) {
        int i = 3 * a + k;
        double pi = __dadd_rn(p[i], __dmul_rn(half, f[i]));
        p[i] = pi;
        finite = finite && isfinite(pi) && isfinite(f[i]) && isfinite(x[i]);
    }
    if (!finite) atomicMin((unsigned long long*)(badSteps + r), (unsigned long long)badStep);
}

// The step counter moves on, and the rebuild flag drops until the next displacement check:
// done by the last block to finish, after every block has read the step (a kernel of its own
// would add a node to every step's graph).
PAINN_DEVICE void next_step(long long now, long long* step, int* rebuild, unsigned* blocksDone) {
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        if (atomicAdd(blocksDone, 1u) == gridDim.x - 1) {
            *step = now + 1;
            *rebuild = 0;
            *blocksDone = 0;
        }
    }
}

extern "C" __global__ void painn_md_last(int nAtoms, double dt, double* __restrict__ p, const double* __restrict__ f,
                                         const double* __restrict__ x, const double* __restrict__ energies,
                                         const int* __restrict__ atomReplica, const int* __restrict__ replicaStart,
                                         long long* step, int* rebuild, unsigned* blocksDone,
                                         long long* __restrict__ badSteps) {
    painn_grid_dependency();
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    long long now = *step;
    if (a < nAtoms) last_half(a, dt, p, f, x, energies, atomReplica, replicaStart, now + 1, badSteps);
    next_step(now, step, rebuild, blocksDone);
}

// painn_md_last of one step and painn_md_first of the next in one kernel, for steps that follow
// each other in one graph: each atom's two half kicks in the same order, so the same bits.
extern "C" __global__ void painn_md_last_first(int nAtoms, int langevin, double dt, double c1, double c2,
                                               const unsigned long long* __restrict__ seeds,
                                               const int* __restrict__ atomReplica,
                                               const int* __restrict__ replicaStart, long long* step,
                                               double* __restrict__ x, double* __restrict__ p,
                                               const double* __restrict__ f, const double* __restrict__ m,
                                               const double* __restrict__ cells, const double* __restrict__ inverses,
                                               const int* __restrict__ pbcs, const double* __restrict__ energies,
                                               int* rebuild, unsigned* blocksDone,
                                               long long* __restrict__ badSteps) {
    painn_grid_dependency();
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    long long now = *step;
    if (a < nAtoms) {
        last_half(a, dt, p, f, x, energies, atomReplica, replicaStart, now + 1, badSteps);
        // the next step's counter is now + 1, its noise numbered one more, as painn_md_first's
        first_half(a, langevin, dt, c1, c2, seeds, atomReplica, replicaStart, now + 2, x, p, f, m, cells, inverses,
                   pbcs);
    }
    next_step(now, step, rebuild, blocksDone);
}
