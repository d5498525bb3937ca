// The neighbor list on the GPU, in the CPU list's exact CSR order (NeighborList javadoc): rows by
// center i, then neighbor j, then image (n_a, n_b, n_c) lexicographically; the same pairs, since
// the membership test d < rc runs on the same float64 operations (geometry.cuh).
//
// Atoms are binned in a search frame B whose rows are the cell rows along periodic axes and unit
// vectors orthogonal to them along the others (built on the host, which passes B⁻¹ and the
// spacing h_a of the lattice planes): t = pos·B⁻¹. Periodic axes wrap t into [0, 1) and cut it
// into nb_a bins at least rc thick where the cell allows; non-periodic axes cut [min t, max t]
// into bins at least rc wide. Atom i then looks at the bins within `reach` of its own, where a
// bin index past the grid of a periodic axis stands for an image: each (bin, image) pair is
// visited once. Everything runs on the device — no host round trip — with fixed capacities:
// when the list outgrows its capacity the kernels say so in status[0] (the edge count) and
// write nothing past it, and the host grows the buffers and runs again.
//
//   painn_neighbors_grid     one block: min/max of t on non-periodic axes, bin counts, reaches
//   painn_neighbors_bin      per atom: its bin and wrap count; counts atoms per bin
//   painn_scan               one block: exclusive prefix sums (bins, then rows)
//   painn_neighbors_place    per atom: its slot in the bin-sorted atom array
//   painn_neighbors_count    per atom: how many neighbors (and coincident atoms, an error)
//   painn_neighbors_total    the edge count into status[0]; painn_neighbors_clamp empties every
//                            row when the count exceeds the capacity
//   painn_neighbors_fill     per atom: the row's edges, then sorted in place
//   painn_neighbors_reverse  per edge: the index of (j, i, −n), by binary search in row j
#include "geometry.cuh"

#define MAX_BINS_PER_AXIS 1024

struct Grid {
    int nb[3];
    int reach[3];
    int nbins;
    int pad;
    double lo[3];
    double width[3];
};

PAINN_DEVICE double frac(const double* __restrict__ pos, const double* __restrict__ binv, int i, int a) {
    return pos[3 * i] * binv[a] + pos[3 * i + 1] * binv[3 + a] + pos[3 * i + 2] * binv[6 + a];
}

// binv: B⁻¹ row-major; h: plane spacings; pbc: 0/1 per axis; maxBins: capacity of the bin arrays.
extern "C" __global__ void painn_neighbors_grid(int nAtoms, const double* __restrict__ pos,
                                                const double* __restrict__ binv, const double* __restrict__ h,
                                                const int* __restrict__ pbc, double rc, int maxBins,
                                                Grid* __restrict__ grid) {
    __shared__ double lo[3][512], hi[3][512];  // launched with 512 threads
    int t = threadIdx.x;
    double l[3] = {1e300, 1e300, 1e300}, u[3] = {-1e300, -1e300, -1e300};
    for (int i = t; i < nAtoms; i += blockDim.x)
        for (int a = 0; a < 3; a++) {
            double x = frac(pos, binv, i, a);
            l[a] = fmin(l[a], x);
            u[a] = fmax(u[a], x);
        }
    for (int a = 0; a < 3; a++) {
        lo[a][t] = l[a];
        hi[a][t] = u[a];
    }
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            for (int a = 0; a < 3; a++) {
                lo[a][t] = fmin(lo[a][t], lo[a][t + s]);
                hi[a][t] = fmax(hi[a][t], hi[a][t + s]);
            }
        __syncthreads();
    }
    if (t != 0) return;
    Grid g;
    int nb[3];
    double extent[3];
    for (int a = 0; a < 3; a++) {
        extent[a] = pbc[a] ? h[a] : fmax(hi[a][0] - lo[a][0], 0.0);
        nb[a] = (int)fmin(fmax(floor(extent[a] / rc), 1.0), (double)MAX_BINS_PER_AXIS);
    }
    while ((long long)nb[0] * nb[1] * nb[2] > maxBins) {
        int a = (nb[0] >= nb[1] && nb[0] >= nb[2]) ? 0 : (nb[1] >= nb[2] ? 1 : 2);
        nb[a] = (nb[a] + 1) / 2;
    }
    for (int a = 0; a < 3; a++) {
        g.nb[a] = nb[a];
        // one bin is extent/nb thick; a neighbor can be floor(rc/thickness)+1 bins away
        // (the +1 covers rounding at bin edges)
        double thick = extent[a] / nb[a];
        int reach = thick > 0 ? (int)floor(rc / thick) + 1 : 0;
        if (!pbc[a]) reach = min(reach, nb[a] - 1);
        g.reach[a] = reach;
        g.lo[a] = pbc[a] ? 0.0 : lo[a][0];
        g.width[a] = pbc[a] ? 1.0 / nb[a] : (extent[a] > 0 ? extent[a] / nb[a] : 1.0);
    }
    g.nbins = nb[0] * nb[1] * nb[2];
    g.pad = 0;
    *grid = g;
}

extern "C" __global__ void painn_neighbors_bin(int nAtoms, const double* __restrict__ pos,
                                               const double* __restrict__ binv, const int* __restrict__ pbc,
                                               const Grid* __restrict__ grid, int* __restrict__ atomBin,
                                               int* __restrict__ wrap, int* __restrict__ binCount) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    Grid g = *grid;
    int b[3];
    for (int a = 0; a < 3; a++) {
        double x = frac(pos, binv, i, a);
        int w = 0;
        if (pbc[a]) {
            double fl = floor(x);
            w = (int)fl;
            x -= fl;
        }
        int k = (int)floor((x - g.lo[a]) / g.width[a]);
        b[a] = min(max(k, 0), g.nb[a] - 1);
        wrap[3 * i + a] = w;
    }
    int bin = (b[0] * g.nb[1] + b[1]) * g.nb[2] + b[2];
    atomBin[i] = bin;
    atomicAdd(&binCount[bin], 1);
}

// Exclusive prefix sum of n ints into out[0..n] (out[n] = total), one block of 1024 threads:
// each thread scans a contiguous chunk, the chunk totals are scanned in shared memory.
extern "C" __global__ void painn_scan(int n, const int* __restrict__ in, int* __restrict__ out) {
    __shared__ int part[1024];
    int t = threadIdx.x, T = blockDim.x;
    int chunk = (n + T - 1) / T;
    int begin = min(t * chunk, n), end = min(begin + chunk, n);
    int s = 0;
    for (int k = begin; k < end; k++) s += in[k];
    part[t] = s;
    __syncthreads();
    for (int off = 1; off < T; off <<= 1) {
        int v = t >= off ? part[t - off] : 0;
        __syncthreads();
        part[t] += v;
        __syncthreads();
    }
    int run = part[t] - s;
    for (int k = begin; k < end; k++) {
        out[k] = run;
        run += in[k];
    }
    if (t == T - 1) out[n] = part[T - 1];
}

extern "C" __global__ void painn_neighbors_place(int nAtoms, const int* __restrict__ atomBin,
                                                 const int* __restrict__ binStart, int* __restrict__ cursor,
                                                 int* __restrict__ binAtoms) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    int bin = atomBin[i];
    binAtoms[binStart[bin] + atomicAdd(&cursor[bin], 1)] = i;
}

// Visits every candidate (j, n) of atom i within the cutoff; fn(j, na, nb, nc, d).
template <typename Fn>
PAINN_DEVICE void for_each_neighbor(int i, const double* __restrict__ pos, const double* __restrict__ cell,
                                    const int* __restrict__ pbc, const Grid& g, double rc,
                                    const int* __restrict__ atomBin, const int* __restrict__ wrap,
                                    const int* __restrict__ binStart, const int* __restrict__ binAtoms, Fn fn) {
    int bin = atomBin[i];
    int bi[3] = {bin / (g.nb[1] * g.nb[2]), (bin / g.nb[2]) % g.nb[1], bin % g.nb[2]};
    int wi[3] = {wrap[3 * i], wrap[3 * i + 1], wrap[3 * i + 2]};
    for (int d0 = -g.reach[0]; d0 <= g.reach[0]; d0++) {
        int x0 = bi[0] + d0, s0 = 0;
        if (pbc[0]) {
            s0 = (x0 >= 0 ? x0 : x0 - g.nb[0] + 1) / g.nb[0];
            x0 -= s0 * g.nb[0];
        } else if (x0 < 0 || x0 >= g.nb[0]) continue;
        for (int d1 = -g.reach[1]; d1 <= g.reach[1]; d1++) {
            int x1 = bi[1] + d1, s1 = 0;
            if (pbc[1]) {
                s1 = (x1 >= 0 ? x1 : x1 - g.nb[1] + 1) / g.nb[1];
                x1 -= s1 * g.nb[1];
            } else if (x1 < 0 || x1 >= g.nb[1]) continue;
            for (int d2 = -g.reach[2]; d2 <= g.reach[2]; d2++) {
                int x2 = bi[2] + d2, s2 = 0;
                if (pbc[2]) {
                    s2 = (x2 >= 0 ? x2 : x2 - g.nb[2] + 1) / g.nb[2];
                    x2 -= s2 * g.nb[2];
                } else if (x2 < 0 || x2 >= g.nb[2]) continue;
                int b = (x0 * g.nb[1] + x1) * g.nb[2] + x2;
                for (int p = binStart[b]; p < binStart[b + 1]; p++) {
                    int j = binAtoms[p];
                    // the bins hold wrapped atoms: the image relative to the given positions
                    int n0 = s0 + wi[0] - wrap[3 * j];
                    int n1 = s1 + wi[1] - wrap[3 * j + 1];
                    int n2 = s2 + wi[2] - wrap[3 * j + 2];
                    if (j == i && n0 == 0 && n1 == 0 && n2 == 0) continue;
                    double r[3];
                    edge_vector(pos, cell, i, j, n0, n1, n2, r);
                    double d = __dsqrt_rn(norm_squared(r));
                    if (d < rc) fn(j, n0, n1, n2, d);
                }
            }
        }
    }
}

#define NEIGHBOR_SEARCH_PARAMS                                                                       \
    int nAtoms, const double *__restrict__ pos, const double *__restrict__ cell, const int *__restrict__ pbc, \
        const Grid *__restrict__ grid, double rc, const int *__restrict__ atomBin, const int *__restrict__ wrap, \
        const int *__restrict__ binStart, const int *__restrict__ binAtoms

// Counts row lengths; atoms closer than minDistance raise the error, reporting the pair with the
// smallest (i, j) so that the message does not depend on thread timing.
extern "C" __global__ void painn_neighbors_count(NEIGHBOR_SEARCH_PARAMS, double minDistance,
                                                 int* __restrict__ rowCount,
                                                 unsigned long long* __restrict__ errorPair) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    Grid g = *grid;
    int count = 0;
    for_each_neighbor(i, pos, cell, pbc, g, rc, atomBin, wrap, binStart, binAtoms,
                      [&](int j, int, int, int, double d) {
                          count++;
                          if (d < minDistance) {
                              int lo = min(i, j), hi = max(i, j);
                              atomicMin(errorPair, ((unsigned long long)lo << 32) | (unsigned)hi);
                          }
                      });
    rowCount[i] = count;
}

PAINN_DEVICE bool key_less(int j, const int* n, int k, const int* m) {
    if (j != k) return j < k;
    if (n[0] != m[0]) return n[0] < m[0];
    if (n[1] != m[1]) return n[1] < m[1];
    return n[2] < m[2];
}

// status[0] = the edge count, which the host reads back with the results.
extern "C" __global__ void painn_neighbors_total(int nAtoms, const int* __restrict__ rowStart, int* __restrict__ status) {
    status[0] = rowStart[nAtoms];
}

// When the list does not fit, every row is emptied, so that the kernels after it run on an empty
// list instead of reading past the edge arrays; the host sees status[0] > capacity, grows the
// buffers and evaluates again.
extern "C" __global__ void painn_neighbors_clamp(int nAtoms, int capacity, const int* __restrict__ status,
                                                 int* __restrict__ rowStart) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= nAtoms && status[0] > capacity) rowStart[i] = 0;
}

// Writes row i (when the list fits), then sorts it by (j, n) with an insertion sort: rows are
// short.
extern "C" __global__ void painn_neighbors_fill(NEIGHBOR_SEARCH_PARAMS, int capacity, const int* __restrict__ status,
                                                const int* __restrict__ rowStart, int* __restrict__ center,
                                                int* __restrict__ neighbor, int* __restrict__ image) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms || status[0] > capacity) return;
    Grid g = *grid;
    int begin = rowStart[i];
    int at = begin;
    for_each_neighbor(i, pos, cell, pbc, g, rc, atomBin, wrap, binStart, binAtoms,
                      [&](int j, int n0, int n1, int n2, double) {
                          center[at] = i;
                          neighbor[at] = j;
                          image[3 * at] = n0;
                          image[3 * at + 1] = n1;
                          image[3 * at + 2] = n2;
                          at++;
                      });
    for (int e = begin + 1; e < at; e++) {
        int j = neighbor[e];
        int n[3] = {image[3 * e], image[3 * e + 1], image[3 * e + 2]};
        int q = e - 1;
        while (q >= begin && key_less(j, n, neighbor[q], image + 3 * q)) {
            neighbor[q + 1] = neighbor[q];
            for (int c = 0; c < 3; c++) image[3 * (q + 1) + c] = image[3 * q + c];
            q--;
        }
        neighbor[q + 1] = j;
        for (int c = 0; c < 3; c++) image[3 * (q + 1) + c] = n[c];
    }
}

extern "C" __global__ void painn_neighbors_reverse(int nAtoms, int capacity, const int* __restrict__ rowStart,
                                                   const int* __restrict__ center, const int* __restrict__ neighbor,
                                                   const int* __restrict__ image, int* __restrict__ reverse) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    int edges = rowStart[nAtoms];
    if (e >= edges || edges > capacity) return;
    int i = center[e], j = neighbor[e];
    int m[3] = {-image[3 * e], -image[3 * e + 1], -image[3 * e + 2]};
    int lo = rowStart[j], hi = rowStart[j + 1];
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (key_less(neighbor[mid], image + 3 * mid, i, m)) lo = mid + 1;
        else hi = mid;
    }
    reverse[e] = lo;
}
