// The neighbor list on the GPU, in the CPU list's exact CSR order (NeighborList javadoc): rows by
// center i, then neighbor j, then image (n_a, n_b, n_c) lexicographically; the same pairs, since
// the membership test d < rc runs on the same float64 operations (geometry.cuh).
//
// Atoms are binned in a search frame B whose rows are the cell rows along periodic axes and unit
// vectors orthogonal to them along the others (built on the host, which passes B⁻¹ and the
// spacing h_a of the lattice planes): t = pos·B⁻¹. Periodic axes wrap t into [0, 1) and cut it
// into nb_a bins at least rc thick where the cell allows; non-periodic axes cut [min t, max t]
// into bins at least rc wide (or, where such a grid would be crowded, the range without the
// outermost atoms, which are clamped into the end bins: painn_neighbors_grid). Atom i then looks at the bins within `reach` of its own, where a
// bin index past the grid of a periodic axis stands for an image: each (bin, image) pair is
// visited once. Every kernel takes a `rebuild` flag (null: always): in molecular dynamics the list
// is built with a skin and kept until an atom has moved half of it, which a kernel decides on
// the device. Everything runs on the device — no host round trip — with fixed capacities:
// when the list outgrows its capacity the kernels say so in status[0] (the edge count) and
// write nothing past it, and the host grows the buffers and runs again.
//
//   painn_neighbors_grid     one block: min/max of t on non-periodic axes, bin counts, reaches;
//                            clears the per-bin counters
//   painn_neighbors_bin      per atom: its bin and wrap count; counts atoms per bin
//   painn_scan               one block: exclusive prefix sums (the bins)
//   painn_neighbors_place    per atom: its slot in the bin-sorted atom array
//   painn_neighbors_count    one warp per atom: how many neighbors (and coincident atoms, an error);
//                            a row of at most KEPT_KEYS edges is kept, sorted, for the fill
//   painn_scan_rows          one block: the rows' starts, the edge count into status[0], and
//                            every row emptied when the count exceeds the capacity
//   painn_neighbors_fill     one warp per atom: the row's edges (kept rows written out; longer
//                            ones searched again and sorted in shared memory)
//   painn_neighbors_reverse  per edge: the index of (j, i, −n), by binary search in row j (only
//                            the forces read it: launched apart, beside the model)
//   painn_neighbors_small    all of the above in one block, without bins, for small structures
//   painn_neighbors_pairs_count/_fill   without bins over the whole grid, every atom against
//                            every atom, for structures past one block with few candidate pairs;
//                            the filling pass sums each row's start itself: two kernels
//   painn_neighbors_batch_count/_fill   the same for a batch of small structures, a block each
//   painn_neighbors_batch_edges         each structure's edge count, for a batch of larger ones,
//                            whose binned search runs the kernels above structure by structure
//                            (their atom arrays offset to the structure) and scans the rows once
//   painn_verlet_count/_fill the exact list for rc filtered out of a Verlet list (molecular dynamics)
#include "geometry.cuh"

#define MAX_BINS_PER_AXIS 1024
#define HISTOGRAM 256
#define HISTOGRAM_PASSES 4
#define ZOOM_FROM 8
#define OUTLIER_SHARE 16

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
                                                Grid* __restrict__ grid, int* __restrict__ binCount,
                                                int* __restrict__ cursor, unsigned long long* __restrict__ errorPair,
                                                int clearError,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    // clearError: coincident atoms found before are forgotten (a memset node fewer; the count
    // kernel, which raises them, comes later)
    if (clearError && threadIdx.x == 0) *errorPair = ~0ull;
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ double lo[3][512], hi[3][512];  // launched with 512 threads
    int t = threadIdx.x;
    // the bin counters the next kernels count into start at zero: cleared here rather than by
    // two memset nodes of their own
    for (int k = t; k < maxBins; k += blockDim.x) {
        binCount[k] = 0;
        cursor[k] = 0;
    }
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
    // A few atoms far from the rest (an atom leaving a hot cluster, a structure blowing apart)
    // would stretch a grid over the bounding box until the bins, capped in number, hold nearly
    // every atom, and each atom's search becomes a scan of all others. So where a grid over the
    // box would not fit maxBins at bins rc wide, non-periodic axes get a grid over the range that
    // leaves out the farthest nAtoms/OUTLIER_SHARE atoms at either end, found by histograms of
    // HISTOGRAM buckets, each pass zooming into the last one's range (a few passes: an atom may
    // be very far away). Atoms outside the range are clamped into the end bins. That is exact:
    // clamping does not lengthen the bin distance of any pair, so every pair within rc stays
    // within reach. A compact structure, or one of fewer than OUTLIER_SHARE atoms, gets the grid
    // over its bounding box.
    __shared__ int hist[3][HISTOGRAM];
    __shared__ int zoom[3];
    int skip = nAtoms / OUTLIER_SHARE;
    // only where the grid over the whole box would not fit maxBins at bins rc wide
    auto crowded = [&]() {
        double bins = 1;
        for (int a = 0; a < 3; a++) bins *= pbc[a] ? fmax(floor(h[a] / rc), 1.0) : fmax(floor((hi[a][0] - lo[a][0]) / rc), 1.0);
        return bins > maxBins;
    };
    if (t < 3) zoom[t] = skip > 0 && !pbc[t] && hi[t][0] - lo[t][0] > ZOOM_FROM * rc && crowded();
    for (int pass = 0; pass < HISTOGRAM_PASSES; pass++) {
        for (int k = t; k < 3 * HISTOGRAM; k += blockDim.x) hist[k / HISTOGRAM][k % HISTOGRAM] = 0;
        __syncthreads();
        if (!zoom[0] && !zoom[1] && !zoom[2]) break;
        for (int i = t; i < nAtoms; i += blockDim.x)
            for (int a = 0; a < 3; a++) {
                if (!zoom[a]) continue;
                double x = frac(pos, binv, i, a);
                int k = (int)floor((x - lo[a][0]) / (hi[a][0] - lo[a][0]) * HISTOGRAM);
                atomicAdd(&hist[a][min(max(k, 0), HISTOGRAM - 1)], 1);
            }
        __syncthreads();
        if (t < 3 && zoom[t]) {
            // the edges of the buckets that hold the (skip+1)-th lowest and highest atom
            int a = t, below = 0, above = 0, k0 = 0, k1 = HISTOGRAM - 1;
            while (below + hist[a][k0] <= skip) below += hist[a][k0++];
            while (above + hist[a][k1] <= skip) above += hist[a][k1--];
            double l = lo[a][0], range = hi[a][0] - l, bucket = range / HISTOGRAM;
            if (k0 > 0) lo[a][0] = l + k0 * bucket;
            if (k1 < HISTOGRAM - 1) hi[a][0] = l + (k1 + 1) * bucket;
            // another pass only where this one cut the range by more than half (a far atom
            // left the bulk in a few buckets, to be resolved)
            double now = hi[a][0] - lo[a][0];
            zoom[a] = now < 0.5 * range && now > ZOOM_FROM * rc;
        }
        __syncthreads();
        // the three ranges are final now: another pass only while the grid would still be crowded
        if (t < 3 && zoom[t] && !crowded()) zoom[t] = 0;
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
                                               int* __restrict__ wrap, int* __restrict__ binCount,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
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

// Exclusive prefix sum of n ints into out[0..n] (out[n] = total), one block (a multiple of 32
// threads, at most 1024): tiles of SCAN_ITEMS consecutive ints per thread, read and written
// coalesced, each tile scanned by warp shuffles and its warps' totals, with a running carry.
// Returns the total to every thread.
#define SCAN_ITEMS 4
PAINN_DEVICE int block_scan(int n, const int* __restrict__ in, int* __restrict__ out) {
    __shared__ int warpSum[32];
    int t = threadIdx.x, lane = t & 31, warp = t >> 5, warps = blockDim.x >> 5;
    int carry = 0;
    for (int base = 0; base < n; base += SCAN_ITEMS * blockDim.x) {
        int v[SCAN_ITEMS];
#pragma unroll
        for (int q = 0; q < SCAN_ITEMS; q++) {
            int k = base + q * blockDim.x + t;
            v[q] = k < n ? in[k] : 0;
        }
        // thread t owns the items t, t + T, ... of the tile: scanned as SCAN_ITEMS rows of T
        int rowTotal[SCAN_ITEMS], excl[SCAN_ITEMS];
#pragma unroll
        for (int q = 0; q < SCAN_ITEMS; q++) {
            int x = v[q];
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                int y = __shfl_up_sync(0xffffffffu, x, o);
                if (lane >= o) x += y;
            }
            if (lane == 31) warpSum[warp] = x;
            __syncthreads();
            if (warp == 0) {
                int w = lane < warps ? warpSum[lane] : 0;
#pragma unroll
                for (int o = 1; o < 32; o <<= 1) {
                    int y = __shfl_up_sync(0xffffffffu, w, o);
                    if (lane >= o) w += y;
                }
                warpSum[lane] = w;
            }
            __syncthreads();
            excl[q] = (warp > 0 ? warpSum[warp - 1] : 0) + x - v[q];
            rowTotal[q] = warpSum[warps - 1];
            __syncthreads();
        }
#pragma unroll
        for (int q = 0; q < SCAN_ITEMS; q++) {
            int k = base + q * blockDim.x + t;
            if (k < n) out[k] = carry + excl[q];
            carry += rowTotal[q];
        }
    }
    if (t == 0) out[n] = carry;
    return carry;
}

extern "C" __global__ void painn_scan(int n, const int* __restrict__ in, int* __restrict__ out,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    block_scan(n, in, out);
}

// The smallest of a warp's values, on every lane.
PAINN_DEVICE unsigned long long warp_min(unsigned long long v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = min(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// The rows' starts from their counts (block_scan), then in the same block the edge count into
// status[0] (which the host reads back with the results) and status[1] (the largest count since
// the host cleared it: a Verlet list in molecular dynamics rebuilds many times between two
// read-backs, and any one of them may have overflowed). When the list does not fit, every row is
// emptied, so that the kernels after it run on an empty list instead of reading past the edge
// arrays; the host sees status[0] > capacity, grows the buffers and evaluates again.
extern "C" __global__ void painn_scan_rows(int nAtoms, const int* __restrict__ rowCount, int* __restrict__ rowStart,
                                           int capacity, int* __restrict__ status, const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    int edges = block_scan(nAtoms, rowCount, rowStart);
    if (threadIdx.x == 0) {
        status[0] = edges;
        status[1] = max(status[1], edges);  // the largest count since the host last cleared it
    }
    if (edges > capacity) {
        __syncthreads();  // every start written before any is emptied
        for (int i = threadIdx.x; i <= nAtoms; i += blockDim.x) rowStart[i] = 0;
    }
}

extern "C" __global__ void painn_neighbors_place(int nAtoms, const int* __restrict__ atomBin,
                                                 const int* __restrict__ binStart, int* __restrict__ cursor,
                                                 int* __restrict__ binAtoms,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nAtoms) return;
    int bin = atomBin[i];
    binAtoms[binStart[bin] + atomicAdd(&cursor[bin], 1)] = i;
}

// Row order is (j, n) lexicographic. Within a row, the images of one neighbor j differ only by
// the bin-wrap shift s (n = s + wrap_i − wrap_j, the last two fixed for that j), so rows are
// sorted by the 64-bit key (j, s_a, s_b, s_c), each s biased into 8 bits: the host keeps
// |s| ≤ 127 by refusing cells thinner than rc/100.
PAINN_DEVICE unsigned long long row_key(int j, int s0, int s1, int s2) {
    return ((unsigned long long)j << 24) | ((unsigned long long)(s0 + 128) << 16) |
           ((unsigned long long)(s1 + 128) << 8) | (unsigned long long)(s2 + 128);
}

PAINN_DEVICE int key_neighbor(unsigned long long k) { return (int)(k >> 24); }
PAINN_DEVICE int key_shift(unsigned long long k, int axis) { return (int)((k >> (16 - 8 * axis)) & 255) - 128; }

// The membership test d < rc, d = sqrt_rn(d²) as the CPU list takes it, mostly without the
// square root: d is monotonic in d², so d² below rc²(1 − 1e-12) gives d < rc and d² above
// rc²(1 + 1e-12) gives d ≥ rc, whatever the rounding (the bounds' own rounding is some 1e-16);
// between them, and below minDistance²(1 + 1e-12) where a refusal names the pair, d is taken.
// A pair's d is passed on only where it is within the cutoff and may be closer than
// minDistance; else rc.
struct Cutoff {
    double rc, inside, outside, near;

    PAINN_DEVICE Cutoff(double rc, double minDistance)
        : rc(rc), inside(rc * rc * (1 - 1e-12)), outside(rc * rc * (1 + 1e-12)),
          near(minDistance * minDistance * (1 + 1e-12)) {}

    PAINN_DEVICE bool test(double x, double& d) const {
        d = rc;
        if (x < inside) {
            if (x < near) d = __dsqrt_rn(x);
            return true;
        }
        if (x < outside) {
            d = __dsqrt_rn(x);
            return d < rc;
        }
        return false;
    }
};

// edge_vector, but for the zero image, whose shift is ±0 and leaves pos[j] − pos[i] as it is
// (but for the sign of a zero, which d² does not see): a molecule's every pair, without the
// shift's six products and sums.
PAINN_DEVICE void pair_vector(const double* __restrict__ pos, const double* __restrict__ cell, int i, int j, int n0,
                              int n1, int n2, double r[3]) {
    if (n0 | n1 | n2) {
        edge_vector(pos, cell, i, j, n0, n1, n2, r);
    } else {
        for (int c = 0; c < 3; c++) r[c] = __dsub_rn(pos[3 * j + c], pos[3 * i + c]);
    }
}

// Every candidate (j, s) of atom i, 32 at a time across the warp: fn(ok, j, s0, s1, s2, n0, n1, n2, d)
// is called by all 32 lanes together (ok false for lanes without a candidate within the cutoff),
// so that it may use warp votes.
template <typename Fn>
PAINN_DEVICE void warp_candidates(int i, const double* __restrict__ pos, const double* __restrict__ cell,
                                  const int* __restrict__ pbc, const Grid& g, const Cutoff& cutoff,
                                  const int* __restrict__ atomBin, const int* __restrict__ wrap,
                                  const int* __restrict__ binStart, const int* __restrict__ binAtoms, Fn fn) {
    int lane = threadIdx.x & 31;
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
            // along the last axis, neighboring bins of one image are neighbors in binAtoms: a
            // run of them is one range of candidates, which the warp takes 32 at a time, instead
            // of a pass per bin with a third of its lanes busy (bins are about rc wide)
            for (int d2 = -g.reach[2]; d2 <= g.reach[2];) {
                int x2 = bi[2] + d2, s2 = 0;
                if (pbc[2]) {
                    s2 = (x2 >= 0 ? x2 : x2 - g.nb[2] + 1) / g.nb[2];
                    x2 -= s2 * g.nb[2];
                } else if (x2 < 0) {
                    d2 = -bi[2];
                    continue;
                } else if (x2 >= g.nb[2]) {
                    break;
                }
                // the bins x2 .. x2 + len − 1: the same image, no wrap
                int len = 1 + min(g.reach[2] - d2, g.nb[2] - 1 - x2);
                d2 += len;
                int b = (x0 * g.nb[1] + x1) * g.nb[2] + x2;
                int end = binStart[b + len];
                for (int p0 = binStart[b]; p0 < end; p0 += 32) {
                    int p = p0 + lane;
                    bool ok = false;
                    int j = 0, n0 = 0, n1 = 0, n2 = 0;
                    double d = 0;
                    if (p < end) {
                        j = binAtoms[p];
                        // the bins hold wrapped atoms: the image relative to the given positions
                        n0 = s0 + wi[0] - wrap[3 * j];
                        n1 = s1 + wi[1] - wrap[3 * j + 1];
                        n2 = s2 + wi[2] - wrap[3 * j + 2];
                        if (!(j == i && n0 == 0 && n1 == 0 && n2 == 0)) {
                            double r[3];
                            pair_vector(pos, cell, i, j, n0, n1, n2, r);
                            ok = cutoff.test(norm_squared(r), d);
                        }
                    }
                    fn(ok, j, s0, s1, s2, n0, n1, n2, d);
                }
            }
        }
    }
}

#define NEIGHBOR_SEARCH_PARAMS                                                                       \
    int nAtoms, const double *__restrict__ pos, const double *__restrict__ cell, const int *__restrict__ pbc, \
        const Grid *__restrict__ grid, double rc, const int *__restrict__ atomBin, const int *__restrict__ wrap, \
        const int *__restrict__ binStart, const int *__restrict__ binAtoms

#define NEIGHBOR_WARPS 4
#define ROW_CAPACITY 512
// Rows of up to KEPT_KEYS edges leave the counting pass sorted, as keys (rowKeys[i][KEPT_KEYS]),
// so that the filling pass only writes them out instead of searching the bins again; longer rows
// (dense systems, long cutoffs) are searched again by the filling pass. NeighborBuffers.KEPT_KEYS.
#define KEPT_KEYS 128

// Sorts the keys of one row in place, in shared memory, by the warp (bitonic; `padded` a power
// of two ≥ the row length, the tail filled with the largest key).
PAINN_DEVICE void warp_sort(unsigned long long* keys, int padded) {
    int lane = threadIdx.x & 31;
    for (int k = 2; k <= padded; k <<= 1) {
        for (int jj = k >> 1; jj > 0; jj >>= 1) {
            for (int t = lane; t < padded; t += 32) {
                int u = t ^ jj;
                if (u > t) {
                    unsigned long long a = keys[t], b = keys[u];
                    bool up = (t & k) == 0;
                    if ((a > b) == up) {
                        keys[t] = b;
                        keys[u] = a;
                    }
                }
            }
            __syncwarp();
        }
    }
}

// A row's `count` keys in the warp's shared buffer, sorted by the warp: the buffer is padded
// with the largest key to the next power of two (at least 32), which it must have room for.
PAINN_DEVICE void sort_row(unsigned long long* keys, int count) {
    int padded = 32;
    while (padded < count) padded <<= 1;
    for (int t = count + (threadIdx.x & 31); t < padded; t += 32) keys[t] = ~0ull;
    __syncwarp();
    warp_sort(keys, padded);
}

// Atom i's row, counted by the warp from visit(fn), which calls fn as warp_candidates does: the
// edge count is returned and its first KEPT_KEYS keys are left in `keys` (the warp's shared
// buffer); each pair (i, j) closer than minDistance goes to atomicMin(raise, min(i, j) << 32 |
// max(i, j)), so that the smallest is reported whatever the thread timing. (Atomics on a rare
// error path: a minimum reduced by the warp instead cost registers and spills.)
template <typename Visit>
PAINN_DEVICE int count_row(int i, Visit visit, double minDistance, unsigned long long* keys,
                           unsigned long long* raise) {
    int lane = threadIdx.x & 31;
    int count = 0;
    visit([&](bool ok, int j, int s0, int s1, int s2, int, int, int, double d) {
        unsigned m = __ballot_sync(0xffffffffu, ok);
        if (ok) {
            int slot = count + __popc(m & ((1u << lane) - 1));
            if (slot < KEPT_KEYS) keys[slot] = row_key(j, s0, s1, s2);
            if (d < minDistance) atomicMin(raise, ((unsigned long long)min(i, j) << 32) | (unsigned)max(i, j));
        }
        count += __popc(m);
    });
    return count;
}

// A row of at most KEPT_KEYS edges, its keys in `keys`, sorted by the warp and kept in rowKeys
// for the filling pass.
PAINN_DEVICE void keep_row(int i, int count, unsigned long long* keys, unsigned long long* __restrict__ rowKeys) {
    if (count > KEPT_KEYS) return;
    sort_row(keys, count);
    for (int t = threadIdx.x & 31; t < count; t += 32) rowKeys[(size_t)i * KEPT_KEYS + t] = keys[t];
}

// One warp per atom: counts its row and, when it has at most KEPT_KEYS edges, keeps it sorted
// in rowKeys; atoms closer than minDistance raise the error (count_row).
extern "C" __global__ void painn_neighbors_count(NEIGHBOR_SEARCH_PARAMS, double minDistance,
                                                 int* __restrict__ rowCount,
                                                 unsigned long long* __restrict__ errorPair,
                                                 unsigned long long* __restrict__ rowKeys,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ unsigned long long buffer[NEIGHBOR_WARPS][KEPT_KEYS];
    int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    if (i >= nAtoms) return;
    Grid g = *grid;
    Cutoff cutoff(rc, minDistance);
    unsigned long long* keys = buffer[(threadIdx.x >> 5) % NEIGHBOR_WARPS];
    int count = count_row(
        i, [&](auto fn) { warp_candidates(i, pos, cell, pbc, g, cutoff, atomBin, wrap, binStart, binAtoms, fn); },
        minDistance, keys, errorPair);
    keep_row(i, count, keys, rowKeys);
    if ((threadIdx.x & 31) == 0) rowCount[i] = count;
}

// The edge count of each structure of a batch: the rows of its atoms.
extern "C" __global__ void painn_neighbors_batch_edges(int structures, const int* __restrict__ atomStart,
                                                       const int* __restrict__ rowStart, int* __restrict__ edgeCounts) {
    painn_grid_dependency();
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b < structures) edgeCounts[b] = rowStart[atomStart[b + 1]] - rowStart[atomStart[b]];
}

// Writes one row from its sorted keys: neighbor, image n = s + wrap_i − wrap_j, center. i, j and
// wrap are local to a structure whose atom 0 is atom `first` of the list (0 but in a batch).
PAINN_DEVICE void write_row(int i, int first, int begin, int count, const unsigned long long* keys,
                            const int* __restrict__ wrap, int* __restrict__ center, int* __restrict__ neighbor,
                            int* __restrict__ image) {
    for (int t = threadIdx.x & 31; t < count; t += 32) {
        unsigned long long k = keys[t];
        int j = key_neighbor(k);
        int e = begin + t;
        center[e] = first + i;
        neighbor[e] = first + j;
        for (int c = 0; c < 3; c++) image[3 * e + c] = key_shift(k, c) + wrap[3 * i + c] - wrap[3 * j + c];
    }
}

PAINN_DEVICE bool key_less(int j, const int* n, int k, const int* m) {
    if (j != k) return j < k;
    if (n[0] != m[0]) return n[0] < m[0];
    if (n[1] != m[1]) return n[1] < m[1];
    return n[2] < m[2];
}

// A row longer than a warp's shared buffer (dense systems, long cutoffs): sorted in global
// memory by one thread. Slow, and rare.
PAINN_DEVICE void sort_row_slowly(int begin, int count, int* __restrict__ neighbor, int* __restrict__ image) {
    for (int e = begin + 1; e < begin + count; e++) {
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

// Atom i's row into [begin, begin + count), sorted. Where it fits the warp's shared buffer `keys`
// of `room` keys, its keys are found by visit(fn) (as count_row's) unless `found` says they are
// there already, then sorted and written out; a longer row goes straight to global memory and is
// sorted there. wrap: the wrap counts write_row reads.
template <typename Visit>
PAINN_DEVICE void collect_row(int i, int first, int begin, int count, Visit visit, unsigned long long* keys,
                              int room, bool found, const int* __restrict__ wrap, int* __restrict__ center,
                              int* __restrict__ neighbor, int* __restrict__ image) {
    int lane = threadIdx.x & 31;
    bool fits = count <= room;
    if (!(found && fits)) {
        int at = 0;
        visit([&](bool ok, int j, int s0, int s1, int s2, int n0, int n1, int n2, double) {
            unsigned m = __ballot_sync(0xffffffffu, ok);
            if (ok) {
                int slot = at + __popc(m & ((1u << lane) - 1));
                if (fits) {
                    keys[slot] = row_key(j, s0, s1, s2);
                } else {
                    int e = begin + slot;
                    center[e] = first + i;
                    neighbor[e] = first + j;
                    image[3 * e] = n0;
                    image[3 * e + 1] = n1;
                    image[3 * e + 2] = n2;
                }
            }
            at += __popc(m);
        });
    }
    if (fits) {
        sort_row(keys, count);
        write_row(i, first, begin, count, keys, wrap, center, neighbor, image);
    } else if (lane == 0) {
        sort_row_slowly(begin, count, neighbor, image);
    }
}

// Atom i's row from [begin, begin + count): written out from rowKeys when the counting pass kept
// it, else found again (collect_row) in the warp's shared buffer of ROW_CAPACITY keys.
template <typename Visit>
PAINN_DEVICE void fill_row(int i, int first, int begin, int count, Visit visit, unsigned long long* keys,
                           const unsigned long long* __restrict__ rowKeys, const int* __restrict__ wrap,
                           int* __restrict__ center, int* __restrict__ neighbor, int* __restrict__ image) {
    if (count <= KEPT_KEYS) {
        // sorted by the counting pass
        write_row(i, first, begin, count, rowKeys + (size_t)i * KEPT_KEYS, wrap, center, neighbor, image);
        return;
    }
    collect_row(i, first, begin, count, visit, keys, ROW_CAPACITY, false, wrap, center, neighbor, image);
}

// One warp per atom: the row's edges (when the list fits its capacity), sorted.
// first: the list index of the structure's atom 0 (a structure of a batch; else 0). Every other
// argument is the structure's own, its atom arrays and rowStart offset to that atom.
extern "C" __global__ void painn_neighbors_fill(NEIGHBOR_SEARCH_PARAMS, int capacity, const int* __restrict__ status,
                                                const int* __restrict__ rowStart,
                                                const unsigned long long* __restrict__ rowKeys,
                                                int* __restrict__ center, int* __restrict__ neighbor,
                                                int* __restrict__ image, int first, const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ unsigned long long buffer[NEIGHBOR_WARPS][ROW_CAPACITY];
    int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    if (i >= nAtoms || status[0] > capacity) return;
    int begin = rowStart[i];
    Grid g = *grid;
    Cutoff cutoff(rc, 0);
    fill_row(
        i, first, begin, rowStart[i + 1] - begin,
        [&](auto fn) { warp_candidates(i, pos, cell, pbc, g, cutoff, atomBin, wrap, binStart, binAtoms, fn); },
        buffer[(threadIdx.x >> 5) % NEIGHBOR_WARPS], rowKeys, wrap, center, neighbor, image);
}

// Structures past the single-block search whose candidate pairs are still few
// (NeighborKernels.PAIRS_CANDIDATES): every atom j in every image within reach, as the
// single-block search tries them, over the whole grid. No bins to build, and each row's start
// summed by its own warp: counting and filling are two kernels on the chain instead of the
// binned search's seven. The same keys (j, s), s relative to the wrapped positions, so the same
// rows.

// An atom's wrap counts along the periodic axes (the bins' t is wrapped into [0, 1)).
PAINN_DEVICE void wrap_of(const double* __restrict__ pos, const double* __restrict__ binv, const int pbc[3], int i,
                          int w[3]) {
    for (int a = 0; a < 3; a++) w[a] = pbc[a] ? (int)floor(frac(pos, binv, i, a)) : 0;
}

// wrap_of as pairs_visit's wrapOf: the wrap counts from the positions (the search by all pairs;
// the single-block search keeps them in shared memory).
struct WrapOfPositions {
    const double* __restrict__ pos;
    const double* __restrict__ binv;
    const int* pbc;

    PAINN_DEVICE void operator()(int j, int w[3]) const { wrap_of(pos, binv, pbc, j, w); }
};

// What a search by all pairs (this one and the single-block one below) needs of the frame: the
// periodic axes, the images in reach along each (h: the distances between the cell's opposite
// faces; none along an open axis), the cutoff.
struct PairsFrame {
    int pbc[3], reach[3];
    Cutoff cutoff;

    PAINN_DEVICE PairsFrame(const double* __restrict__ h, const int* __restrict__ pbcG, double rc, double minDistance)
        : cutoff(rc, minDistance) {
        for (int a = 0; a < 3; a++) {
            pbc[a] = pbcG[a];
            reach[a] = pbc[a] ? (int)floor(rc / h[a]) + 1 : 0;
        }
    }
};

// Every candidate (j, s) of atom i, 32 atoms at a time from atom j0 on, every `stride` atoms,
// each in every image in reach; wrapOf(j, w) gives atom j's wrap counts, wi are atom i's; fn as
// warp_candidates calls it. (The order of the candidates does not matter: rows are sorted by
// their keys.)
template <typename WrapOf, typename Fn>
PAINN_DEVICE void pairs_visit(int nAtoms, int i, int j0, int stride, const int wi[3], const PairsFrame& f,
                              const double* __restrict__ pos, const double* __restrict__ cell, WrapOf wrapOf,
                              Fn fn) {
    int lane = threadIdx.x & 31;
    for (; j0 < nAtoms; j0 += stride) {
        int j = j0 + lane;
        bool in = j < nAtoms;
        int wj[3] = {0, 0, 0};
        if (in) wrapOf(j, wj);
        for (int s0 = -f.reach[0]; s0 <= f.reach[0]; s0++)
            for (int s1 = -f.reach[1]; s1 <= f.reach[1]; s1++)
                for (int s2 = -f.reach[2]; s2 <= f.reach[2]; s2++) {
                    int n0 = s0 + wi[0] - wj[0], n1 = s1 + wi[1] - wj[1], n2 = s2 + wi[2] - wj[2];
                    bool ok = false;
                    double d = f.cutoff.rc;
                    if (in && !(j == i && n0 == 0 && n1 == 0 && n2 == 0)) {
                        double r[3];
                        pair_vector(pos, cell, i, j, n0, n1, n2, r);
                        ok = f.cutoff.test(norm_squared(r), d);
                    }
                    fn(ok, j, s0, s1, s2, n0, n1, n2, d);
                }
    }
}

#define PAIRS_SEARCH_PARAMS                                                                          \
    int nAtoms, const double *__restrict__ pos, const double *__restrict__ cell,                     \
        const double *__restrict__ binv, const double *__restrict__ h, const int *__restrict__ pbc, double rc

// Warps per atom in the counting pass (its block): at a thousand atoms a warp per atom leaves
// the multiprocessors a few warps each, waiting on one chain of loads and float64 operations.
#define PAIRS_WARPS 4

// A block per atom, its warps over every PAIRS_WARPS-th group of 32 atoms: the row counted,
// kept sorted where it has at most KEPT_KEYS edges, the atom's wrap counts for the filling pass,
// and its smallest coincident pair into rowError, which the filling pass reduces (a kernel of
// many blocks cannot clear errorPair before the others raise it).
extern "C" __global__ void __launch_bounds__(32 * PAIRS_WARPS)
painn_neighbors_pairs_count(PAIRS_SEARCH_PARAMS, double minDistance, int* __restrict__ rowCount,
                            int* __restrict__ wrap, unsigned long long* __restrict__ rowError,
                            unsigned long long* __restrict__ rowKeys, const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ unsigned long long buffer[PAIRS_WARPS][KEPT_KEYS];
    __shared__ unsigned long long row[KEPT_KEYS];
    __shared__ int counts[PAIRS_WARPS];
    __shared__ unsigned long long least[PAIRS_WARPS];  // each warp's smallest coincident pair
    int i = blockIdx.x;
    if (i >= nAtoms) return;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    PairsFrame f(h, pbc, rc, minDistance);
    int wi[3];
    wrap_of(pos, binv, f.pbc, i, wi);
    if (lane == 0) least[warp] = ~0ull;
    __syncwarp();
    int count = count_row(
        i,
        [&](auto fn) {
            pairs_visit(nAtoms, i, 32 * warp, 32 * PAIRS_WARPS, wi, f, pos, cell, WrapOfPositions{pos, binv, f.pbc},
                        fn);
        },
        minDistance, buffer[warp], &least[warp]);
    if (lane == 0) counts[warp] = count;
    __syncthreads();
    if (warp != 0) return;
    int total = 0;
    unsigned long long worst = ~0ull;
    for (int w = 0; w < PAIRS_WARPS; w++) {
        // a row of at most KEPT_KEYS edges has all its keys in the warps' buffers
        if (total + counts[w] <= KEPT_KEYS)
            for (int t = lane; t < counts[w]; t += 32) row[total + t] = buffer[w][t];
        total += counts[w];
        worst = min(worst, least[w]);
    }
    keep_row(i, total, row, rowKeys);
    if (lane == 0) {
        rowCount[i] = total;
        rowError[i] = worst;
        for (int a = 0; a < 3; a++) wrap[3 * i + a] = wi[a];
    }
}

// The sum of v[k] over k < i and over all k, by the warp (every lane gets both): a row's start
// and the edge count, each warp summing in the same order. The pairs search's rows are few
// (NeighborKernels.PAIRS_CANDIDATES), so N loads per warp cost less than a scanning kernel.
PAINN_DEVICE void warp_prefix(int n, int i, const int* __restrict__ v, int& before, int& total) {
    int lane = threadIdx.x & 31;
    int b = 0, t = 0;
    for (int k = lane; k < n; k += 32) {
        int x = v[k];
        t += x;
        if (k < i) b += x;
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        b += __shfl_xor_sync(0xffffffffu, b, o);
        t += __shfl_xor_sync(0xffffffffu, t, o);
    }
    before = b;
    total = t;
}

// One warp per atom: the row's start (its own sum of the counts before it) and its edges,
// sorted. The warp of atom 0 also does what painn_scan_rows does for the binned search — the
// edge count into status[0], the largest count into status[1], rowStart[n] — and puts the rows'
// smallest coincident pair into errorPair, emptied first when clearError. A list past its
// capacity leaves every row empty, as painn_scan_rows does, every warp knowing the total.
extern "C" __global__ void painn_neighbors_pairs_fill(PAIRS_SEARCH_PARAMS, int capacity,
                                                      const int* __restrict__ rowCount, int* __restrict__ rowStart,
                                                      int* __restrict__ status,
                                                      const unsigned long long* __restrict__ rowError,
                                                      unsigned long long* __restrict__ errorPair, int clearError,
                                                      const unsigned long long* __restrict__ rowKeys,
                                                      const int* __restrict__ wrap, int* __restrict__ center,
                                                      int* __restrict__ neighbor, int* __restrict__ image,
                                                      const int* __restrict__ rebuild) {
    painn_grid_dependency();
    int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (i == 0 && clearError && lane == 0) *errorPair = ~0ull;
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ unsigned long long buffer[NEIGHBOR_WARPS][ROW_CAPACITY];
    if (i >= nAtoms) return;
    int begin, total;
    warp_prefix(nAtoms, i, rowCount, begin, total);
    bool fits = total <= capacity;
    if (lane == 0) rowStart[i] = fits ? begin : 0;
    if (i == 0) {
        unsigned long long m = ~0ull;
        for (int k = lane; k < nAtoms; k += 32) m = min(m, rowError[k]);
        m = warp_min(m);
        if (lane == 0) {
            status[0] = total;
            status[1] = max(status[1], total);  // the largest count since the host last cleared it
            rowStart[nAtoms] = fits ? total : 0;
            *errorPair = min(*errorPair, m);
        }
    }
    if (!fits) return;
    int wi[3] = {wrap[3 * i], wrap[3 * i + 1], wrap[3 * i + 2]};
    PairsFrame f(h, pbc, rc, 0);
    fill_row(
        i, 0, begin, rowCount[i],
        [&](auto fn) {
            pairs_visit(nAtoms, i, 0, 32, wi, f, pos, cell, WrapOfPositions{pos, binv, f.pbc}, fn);
        },
        buffer[(threadIdx.x >> 5) % NEIGHBOR_WARPS], rowKeys, wrap, center, neighbor, image);
}

// Small structures, one block: the whole list in one kernel, without bins: each warp takes atoms
// in turn and tries every atom j (32 at a time) in every image within reach (pairs_visit, as the
// search by all pairs); then the rows are counted, scanned, filled, sorted and their reverse
// edges found, separated by block barriers. Up to 32 atoms, a warp per atom, each row's keys stay
// in its warp's buffer from the count to the fill instead of being found twice. The same pairs
// in the same order as the binned kernels; used when N ≤ SMALL_ATOMS and the candidates are few,
// where one launch costs less than the ten of the binned search.
//
// A batch of small structures (GpuCalculator.compute(List), replicas in molecular dynamics) runs
// the same steps with one block per structure, in two kernels since a structure's edges start
// after those of all structures before it: painn_neighbors_batch_count counts every row, and
// painn_neighbors_batch_fill places each structure's rows behind the earlier structures' edges,
// fills, sorts and pairs them. Atoms are numbered through the whole batch and an edge never
// joins two structures, so the list is the concatenation of the structures' own lists (each
// shifted by the atoms and edges before it), row for row.
#define SMALL_ATOMS 128
#define SMALL_THREADS 1024
// count_row keeps up to KEPT_KEYS keys in a warp's buffer of SMALL_ATOMS, and small_fill takes a
// row of up to SMALL_ATOMS edges from there
static_assert(KEPT_KEYS == SMALL_ATOMS, "the single-block search keeps whole rows");

// One structure as the single-block search sees it: its n atoms start at atom `first` of the
// batch; pos points at that atom, so that the helpers below work in local indices, and they
// write global ones.
struct SmallFrame {
    int n;
    int first;
    const double* __restrict__ pos;
    const double* __restrict__ cell;
    const double* __restrict__ binv;
    const double* __restrict__ h;
    const int* __restrict__ pbc;
};

struct SmallShared {
    int wrap[SMALL_ATOMS * 3];
    int count[SMALL_ATOMS];
    int start[SMALL_ATOMS + 1];  // edge offsets of the rows, global
    unsigned long long keys[SMALL_THREADS / 32][SMALL_ATOMS];
};

// structure b of a batch: atoms [atomStart[b], atomStart[b + 1]), lattice and search frame b
PAINN_DEVICE SmallFrame batch_frame(int b, const int* __restrict__ atomStart, const double* __restrict__ pos,
                                    const double* __restrict__ cells, const double* __restrict__ binvs,
                                    const double* __restrict__ hs, const int* __restrict__ pbcs) {
    int first = atomStart[b];
    return SmallFrame{atomStart[b + 1] - first, first, pos + 3 * first, cells + 9 * b, binvs + 9 * b, hs + 3 * b,
                      pbcs + 3 * b};
}

// Each atom's wrap counts into shared memory.
PAINN_DEVICE void small_setup(const SmallFrame& f, SmallShared& sh) {
    for (int i = threadIdx.x; i < f.n; i += blockDim.x)
        for (int a = 0; a < 3; a++) sh.wrap[3 * i + a] = f.pbc[a] ? (int)floor(frac(f.pos, f.binv, i, a)) : 0;
}

// Every candidate of atom i (local), 32 at a time across the warp, as the pairs search visits
// them, with the wrap counts from shared memory.
template <typename Fn>
PAINN_DEVICE void small_visit(const SmallFrame& f, const PairsFrame& pf, const int* wrapS, int i, Fn fn) {
    pairs_visit(f.n, i, 0, 32, wrapS + 3 * i, pf, f.pos, f.cell,
                [&](int j, int w[3]) {
                    for (int a = 0; a < 3; a++) w[a] = wrapS[3 * j + a];
                },
                fn);
}

// Each row's length into sh.count, its first keys into the warp's sh.keys (count_row; the last
// row the warp counted stays there for small_fill); coincident atoms raise *errorPair (local
// indices, the smallest pair, so that the message does not depend on thread timing).
PAINN_DEVICE void small_count(const SmallFrame& f, SmallShared& sh, double rc, double minDistance,
                              unsigned long long* __restrict__ errorPair) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    PairsFrame pf(f.h, f.pbc, rc, minDistance);
    for (int i = warp; i < f.n; i += warps) {
        int count = count_row(
            i, [&](auto fn) { small_visit(f, pf, sh.wrap, i, fn); }, minDistance, sh.keys[warp], errorPair);
        if (lane == 0) sh.count[i] = count;
    }
}

// The rows, at the offsets in sh.start, sorted; global atom indices. kept: small_count of the
// same block left each row's keys in its warp's buffer (a warp per atom), so they need not be
// found again.
PAINN_DEVICE void small_fill(const SmallFrame& f, SmallShared& sh, double rc, bool kept, int* __restrict__ center,
                             int* __restrict__ neighbor, int* __restrict__ image) {
    int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    unsigned long long* keys = sh.keys[warp];
    PairsFrame pf(f.h, f.pbc, rc, 0);
    for (int i = warp; i < f.n; i += warps) {
        collect_row(
            i, f.first, sh.start[i], sh.count[i], [&](auto fn) { small_visit(f, pf, sh.wrap, i, fn); }, keys,
            SMALL_ATOMS, kept, sh.wrap, center, neighbor, image);
        __syncwarp();
    }
}

// The reverse of every edge of the structure, by binary search in the row of its neighbor.
PAINN_DEVICE void small_reverse(const SmallFrame& f, const SmallShared& sh, const int* __restrict__ center,
                                const int* __restrict__ neighbor, const int* __restrict__ image,
                                int* __restrict__ reverse) {
    for (int e = sh.start[0] + threadIdx.x; e < sh.start[f.n]; e += blockDim.x) {
        int i = center[e], j = neighbor[e];
        int m[3] = {-image[3 * e], -image[3 * e + 1], -image[3 * e + 2]};
        int lo = sh.start[j - f.first], hi = sh.start[j - f.first + 1];
        while (lo < hi) {
            int mid = (lo + hi) >> 1;
            if (key_less(neighbor[mid], image + 3 * mid, i, m)) lo = mid + 1;
            else hi = mid;
        }
        reverse[e] = lo;
    }
}

// sh.start from sh.count, beginning at edge `offset`; thread 0 alone (at most SMALL_ATOMS rows).
PAINN_DEVICE int small_scan(const SmallFrame& f, SmallShared& sh, int offset) {
    int run = offset;
    for (int i = 0; i < f.n; i++) {
        sh.start[i] = run;
        run += sh.count[i];
    }
    sh.start[f.n] = run;
    return run;
}

extern "C" __global__ void __launch_bounds__(SMALL_THREADS)
painn_neighbors_small(int nAtoms, const double* __restrict__ pos, const double* __restrict__ cell,
                      const double* __restrict__ binv, const double* __restrict__ h, const int* __restrict__ pbc,
                      double rc, double minDistance, int capacity, int* __restrict__ rowStart,
                      int* __restrict__ status, unsigned long long* __restrict__ errorPair,
                      int* __restrict__ center, int* __restrict__ neighbor, int* __restrict__ image,
                      int* __restrict__ reverse, int clearError,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    // clearError: coincident atoms found before are forgotten (a memset node fewer)
    if (clearError && threadIdx.x == 0) *errorPair = ~0ull;  // before small_count's barrier
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
    __shared__ SmallShared sh;
    SmallFrame f{nAtoms, 0, pos, cell, binv, h, pbc};
    int t = threadIdx.x;
    small_setup(f, sh);
    __syncthreads();
    small_count(f, sh, rc, minDistance, errorPair);
    __syncthreads();
    if (t == 0) {
        int run = small_scan(f, sh, 0);
        status[0] = run;
        status[1] = max(status[1], run);  // the largest count since the host last cleared it
    }
    __syncthreads();
    int total = sh.start[nAtoms];
    bool fits = total <= capacity;
    for (int i = t; i <= nAtoms; i += blockDim.x) rowStart[i] = fits ? sh.start[i] : 0;
    if (!fits) return;
    // a warp per atom: small_count left every row's keys in its warp's buffer
    small_fill(f, sh, rc, nAtoms <= SMALL_THREADS / 32, center, neighbor, image);
    __syncthreads();
    small_reverse(f, sh, center, neighbor, image, reverse);
}

// One block per structure: every row's length into rowCount (global atom index), the structure's
// edge count into edgeCount[b], and its coincident atoms (local indices) into errorPairs[b].
extern "C" __global__ void __launch_bounds__(SMALL_THREADS)
painn_neighbors_batch_count(const int* __restrict__ atomStart, const double* __restrict__ pos,
                            const double* __restrict__ cells, const double* __restrict__ binvs,
                            const double* __restrict__ hs, const int* __restrict__ pbcs, double rc,
                            double minDistance, int* __restrict__ rowCount, int* __restrict__ edgeCount,
                            unsigned long long* __restrict__ errorPairs) {
    painn_grid_dependency();
    __shared__ SmallShared sh;
    int b = blockIdx.x;
    SmallFrame f = batch_frame(b, atomStart, pos, cells, binvs, hs, pbcs);
    small_setup(f, sh);
    __syncthreads();
    small_count(f, sh, rc, minDistance, errorPairs + b);
    __syncthreads();
    for (int i = threadIdx.x; i < f.n; i += blockDim.x) rowCount[f.first + i] = sh.count[i];
    if (threadIdx.x == 0) {
        int total = 0;
        for (int i = 0; i < f.n; i++) total += sh.count[i];
        edgeCount[b] = total;
    }
}

// One block per structure: its rows start after the edges of structures 0..b−1 (an integer sum,
// exact in any order); the total goes to status as for a single structure, and when it exceeds
// the capacity every row is left empty.
extern "C" __global__ void __launch_bounds__(SMALL_THREADS)
painn_neighbors_batch_fill(int nStructures, const int* __restrict__ atomStart, const double* __restrict__ pos,
                           const double* __restrict__ cells, const double* __restrict__ binvs,
                           const double* __restrict__ hs, const int* __restrict__ pbcs, double rc, int capacity,
                           const int* __restrict__ rowCount, const int* __restrict__ edgeCount,
                           int* __restrict__ rowStart, int* __restrict__ status, int* __restrict__ center,
                           int* __restrict__ neighbor, int* __restrict__ image, int* __restrict__ reverse) {
    painn_grid_dependency();
    __shared__ SmallShared sh;
    __shared__ int partBefore[SMALL_THREADS / 32], partAll[SMALL_THREADS / 32];
    __shared__ int totalS;
    int b = blockIdx.x, t = threadIdx.x, lane = t & 31, warp = t >> 5;
    int before = 0, all = 0;
    for (int q = t; q < nStructures; q += blockDim.x) {
        int c = edgeCount[q];
        all += c;
        if (q < b) before += c;
    }
    before = warp_sum(before);
    all = warp_sum(all);
    if (lane == 0) {
        partBefore[warp] = before;
        partAll[warp] = all;
    }
    SmallFrame f = batch_frame(b, atomStart, pos, cells, binvs, hs, pbcs);
    for (int i = t; i < f.n; i += blockDim.x) sh.count[i] = rowCount[f.first + i];
    __syncthreads();
    if (t == 0) {
        int o = 0, a = 0;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++) {
            o += partBefore[w];
            a += partAll[w];
        }
        totalS = a;
        small_scan(f, sh, o);
        if (b == 0) {
            status[0] = a;
            status[1] = max(status[1], a);  // the largest count since the host last cleared it
        }
    }
    __syncthreads();
    int total = totalS;
    bool fits = total <= capacity;
    for (int i = t; i < f.n; i += blockDim.x) rowStart[f.first + i] = fits ? sh.start[i] : 0;
    if (b == nStructures - 1 && t == 0) rowStart[atomStart[nStructures]] = fits ? total : 0;
    if (!fits) return;
    small_setup(f, sh);
    __syncthreads();
    small_fill(f, sh, rc, false, center, neighbor, image);
    __syncthreads();
    small_reverse(f, sh, center, neighbor, image, reverse);
}

// Molecular dynamics keeps a Verlet list, built for rc + skin and rebuilt only when an atom has
// moved half the skin, and takes from it at every step the exact list for rc at the current
// positions: the same rows in the same (j, n) order, filtered. Every kernel after it then sees
// exactly the list a fresh search would give, so results do not depend on when the Verlet list
// was last rebuilt (a restarted run repeats an uninterrupted one bit for bit). One warp per atom.
// A batch (atomStructure not null): atom i takes the cell of its structure b, and reports a
// coincident pair to errorPair[b] in the structure's own atom numbers (atomStart[b] subtracted).
extern "C" __global__ void painn_verlet_count(int nAtoms, const double* __restrict__ pos,
                                              const double* __restrict__ cells, const int* __restrict__ atomStructure,
                                              const int* __restrict__ atomStart, double rc, double minDistance,
                                              const int* __restrict__ vRowStart, const int* __restrict__ vNeighbor,
                                              const int* __restrict__ vImage, int* __restrict__ rowCount,
                                              unsigned long long* __restrict__ errorPairs) {
    painn_grid_dependency();
    int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    if (i >= nAtoms) return;
    int b = atomStructure ? atomStructure[i] : 0;
    const double* cell = cells + 9 * b;
    unsigned long long* errorPair = errorPairs + b;
    int first = atomStructure ? atomStart[b] : 0;
    int lane = threadIdx.x & 31;
    int count = 0;
    Cutoff cutoff(rc, minDistance);
    for (int e0 = vRowStart[i]; e0 < vRowStart[i + 1]; e0 += 32) {
        int e = e0 + lane;
        bool ok = false;
        if (e < vRowStart[i + 1]) {
            double r[3], d;
            int j = vNeighbor[e];
            pair_vector(pos, cell, i, j, vImage[3 * e], vImage[3 * e + 1], vImage[3 * e + 2], r);
            ok = cutoff.test(norm_squared(r), d);
            if (ok && d < minDistance) {
                int lo = min(i, j) - first, hi = max(i, j) - first;
                atomicMin(errorPair, ((unsigned long long)lo << 32) | (unsigned)hi);
            }
        }
        count += __popc(__ballot_sync(0xffffffffu, ok));
    }
    if (lane == 0) rowCount[i] = count;
}

extern "C" __global__ void painn_verlet_fill(int nAtoms, const double* __restrict__ pos,
                                             const double* __restrict__ cells, const int* __restrict__ atomStructure,
                                             double rc, int capacity,
                                             const int* __restrict__ status, const int* __restrict__ vRowStart,
                                             const int* __restrict__ vNeighbor, const int* __restrict__ vImage,
                                             const int* __restrict__ rowStart, int* __restrict__ center,
                                             int* __restrict__ neighbor, int* __restrict__ image) {
    painn_grid_dependency();
    int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    if (i >= nAtoms || status[0] > capacity) return;
    const double* cell = cells + 9 * (atomStructure ? atomStructure[i] : 0);
    int lane = threadIdx.x & 31;
    int at = rowStart[i];
    Cutoff cutoff(rc, 0);
    for (int e0 = vRowStart[i]; e0 < vRowStart[i + 1]; e0 += 32) {
        int e = e0 + lane;
        bool ok = false;
        if (e < vRowStart[i + 1]) {
            double r[3], d;
            pair_vector(pos, cell, i, vNeighbor[e], vImage[3 * e], vImage[3 * e + 1], vImage[3 * e + 2], r);
            ok = cutoff.test(norm_squared(r), d);
        }
        unsigned m = __ballot_sync(0xffffffffu, ok);
        if (ok) {
            int q = at + __popc(m & ((1u << lane) - 1));
            center[q] = i;
            neighbor[q] = vNeighbor[e];
            for (int c = 0; c < 3; c++) image[3 * q + c] = vImage[3 * e + c];
        }
        at += __popc(m);
    }
}

extern "C" __global__ void painn_neighbors_reverse(int nAtoms, int capacity, const int* __restrict__ rowStart,
                                                   const int* __restrict__ center, const int* __restrict__ neighbor,
                                                   const int* __restrict__ image, int* __restrict__ reverse,
        const int* __restrict__ rebuild) {
    painn_grid_dependency();
    if (rebuild && *rebuild == 0) return;  // a Verlet list still valid: keep it
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
