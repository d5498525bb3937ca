#!/usr/bin/python3
"""Independent PyTorch reference for painn4j (SPEC.md sections 1 and 2).

Writes, next to this file:
  models/*.safetensors         small random PaiNN models
  structures/*.extxyz          input structures (ASE extended XYZ)
  cases/<model>_<struct>.json  energy, per-atom energies, forces, stress, edge count
and, in <repo>/weights/:
  painn-test-random.safetensors  the shipped random test model
  examples/*.extxyz              example inputs

Everything is computed in float64; forces and stress come from autograd.
Only torch, numpy and the standard library are used, so the check does not
depend on schnetpack or on any safetensors package.

Run from anywhere:  /usr/bin/python3 tests-gradcheck/reference/painn_reference.py
The output is deterministic (fixed seeds, single thread), so running it twice
must leave the tree unchanged.
"""

import itertools
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

torch.set_default_dtype(torch.float64)
# One thread: summation order inside matmuls then cannot vary from run to run.
torch.set_num_threads(1)

# Chemical symbols, index = atomic number (0 is a placeholder).
SYMBOLS = """X H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni
Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce
Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra
Ac Th Pa U Np Pu Am Cm Bk Cf Es""".split()
Z_OF = {s: z for z, s in enumerate(SYMBOLS)}
MAX_Z = 100  # rows of the embedding table, as in schnetpack (max_z=100)


# --------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header, raw data
# --------------------------------------------------------------------------

NP_DTYPE = {"F32": "<f4", "F64": "<f8"}


def write_safetensors(path, tensors, metadata, dtype):
    """tensors: name -> numpy array (any float type), stored as dtype F32 or F64."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        data = np.ascontiguousarray(arr, dtype=NP_DTYPE[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces so the data starts 8-byte aligned (what the Rust writer does).
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Returns (metadata dict, name -> float64 torch tensor)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        arr = np.frombuffer(raw[base + begin:base + end], dtype=NP_DTYPE[info["dtype"]])
        # F32 files are evaluated in float64 from the stored float32 values.
        tensors[name] = torch.from_numpy(arr.astype(np.float64).reshape(info["shape"]))
    return metadata, tensors


# --------------------------------------------------------------------------
# Random "schnetpack-shaped" weights
# --------------------------------------------------------------------------

def random_weights(seed, F, L, K, rc, radial_basis, outnet_sizes,
                   atomref=False, mean_per_atom=None, basis_tensors=True):
    """State dict with schnetpack's names and shapes (W stored [out, in]).

    Dense weights are glorot/xavier-uniform as in schnetpack's Dense, so the
    activations stay O(1). schnetpack initialises biases to zero; here they are
    uniform in [-0.1, 0.1] so that a missing or misplaced bias is visible.
    basis_tensors=False leaves out the optional radial-basis/cutoff buffers, so
    the loader must derive them from the metadata.
    """
    rng = np.random.default_rng(seed)
    w = {}

    def dense(prefix, n_in, n_out, bias=True):
        a = math.sqrt(6.0 / (n_in + n_out))
        w[prefix + ".weight"] = rng.uniform(-a, a, size=(n_out, n_in))
        if bias:
            w[prefix + ".bias"] = rng.uniform(-0.1, 0.1, size=n_out)

    # nn.Embedding(100, F) init: N(0, 1)
    w["representation.embedding.weight"] = rng.standard_normal((MAX_Z, F))
    dense("representation.filter_net", K, 3 * F * L)
    for l in range(L):
        p = "representation.interactions.%d.interatomic_context_net" % l
        dense(p + ".0", F, F)
        dense(p + ".1", F, 3 * F)
    for l in range(L):
        p = "representation.mixing.%d" % l
        dense(p + ".intraatomic_context_net.0", 2 * F, F)
        dense(p + ".intraatomic_context_net.1", F, 3 * F)
        dense(p + ".mu_channel_mix", F, 2 * F, bias=False)
    for k in range(len(outnet_sizes) - 1):
        dense("output_modules.0.outnet.%d" % k, outnet_sizes[k], outnet_sizes[k + 1])
    if atomref:
        ref = rng.uniform(-5.0, -0.5, size=MAX_Z)
        ref[0] = 0.0
        w["energy.atomref"] = ref
    if mean_per_atom is not None:
        w["energy.mean_per_atom"] = np.array([mean_per_atom])
    if basis_tensors:
        # The buffers schnetpack keeps in its state_dict.
        if radial_basis == "gaussian":
            offsets = np.linspace(0.0, rc, K)
            w["representation.radial_basis.offsets"] = offsets
            w["representation.radial_basis.widths"] = np.full(K, offsets[1] - offsets[0])
        else:
            w["representation.radial_basis.freqs"] = np.arange(1, K + 1) * math.pi / rc
        w["representation.cutoff_fn.cutoff"] = np.array([rc])
    return w


def model_metadata(F, L, K, rc, radial_basis, epsilon=1e-8, extra=None):
    meta = {"format": "painn", "n_atom_basis": str(F), "n_interactions": str(L),
            "n_rbf": str(K), "cutoff": repr(float(rc)), "radial_basis": radial_basis,
            "cutoff_fn": "cosine", "activation": "silu", "epsilon": repr(float(epsilon))}
    meta.update(extra or {})
    return meta


def load_model(path):
    meta, w = read_safetensors(path)
    assert meta["format"] == "painn" and meta["cutoff_fn"] == "cosine"
    assert meta["activation"] == "silu"
    m = {"F": int(meta["n_atom_basis"]), "L": int(meta["n_interactions"]),
         "K": int(meta["n_rbf"]), "rc": float(meta["cutoff"]),
         "basis": meta["radial_basis"], "eps": float(meta["epsilon"]), "w": w}
    K, rc = m["K"], m["rc"]
    # Optional buffers: use the stored values when present, else derive them.
    if m["basis"] == "gaussian":
        if "representation.radial_basis.offsets" not in w:
            w["representation.radial_basis.offsets"] = torch.linspace(0.0, rc, K)
        if "representation.radial_basis.widths" not in w:
            w["representation.radial_basis.widths"] = torch.full((K,), rc / (K - 1))
    elif m["basis"] == "bessel":
        if "representation.radial_basis.freqs" not in w:
            w["representation.radial_basis.freqs"] = torch.arange(1, K + 1) * math.pi / rc
    else:
        raise ValueError("unknown radial_basis " + m["basis"])
    if "representation.cutoff_fn.cutoff" in w:
        assert float(w["representation.cutoff_fn.cutoff"][0]) == rc
    k = 0
    while "output_modules.0.outnet.%d.weight" % k in w:
        k += 1
    m["n_out_layers"] = k
    return m


# --------------------------------------------------------------------------
# Neighbor list: brute force over periodic images
# --------------------------------------------------------------------------

def neighbor_list(pos, cell, pbc, rc):
    """All (i, j, n) with |pos[j] - pos[i] + n @ cell| < rc, except (i, i, 0).

    n is an integer image vector; it is 0 along non-periodic axes. Positions
    need not be wrapped: the image range is worked out per pair from the
    fractional coordinates of pos[j] - pos[i].
    """
    pos = np.asarray(pos, dtype=np.float64)
    N = len(pos)
    periodic = cell is not None and any(pbc)
    if periodic:
        cell = np.asarray(cell, dtype=np.float64)
        inv = np.linalg.inv(cell)
        # Component k of (f + n) equals r . inv[:, k], so |f_k + n_k| <= |r| |inv[:, k]|.
        reach = rc * np.linalg.norm(inv, axis=0)
    idx_i, idx_j, shifts = [], [], []
    for i in range(N):
        for j in range(N):
            r0 = pos[j] - pos[i]
            if periodic:
                f = r0 @ inv
                ranges = [range(math.floor(-reach[k] - f[k]) - 1, math.ceil(reach[k] - f[k]) + 2)
                          if pbc[k] else range(0, 1) for k in range(3)]
            else:
                ranges = [range(0, 1)] * 3
            for n in itertools.product(*ranges):
                if i == j and n == (0, 0, 0):
                    continue
                r = r0 + np.array(n, dtype=np.float64) @ cell if periodic else r0
                if math.sqrt(float(r @ r)) < rc:
                    idx_i.append(i)
                    idx_j.append(j)
                    shifts.append(n)
    return (torch.tensor(idx_i, dtype=torch.int64), torch.tensor(idx_j, dtype=torch.int64),
            torch.tensor(shifts, dtype=torch.float64).reshape(-1, 3))


# --------------------------------------------------------------------------
# The model (SPEC section 1)
# --------------------------------------------------------------------------

def dense(x, w, prefix):
    y = x @ w[prefix + ".weight"].T
    b = w.get(prefix + ".bias")
    return y if b is None else y + b


def silu(x):
    return x * torch.sigmoid(x)


def atom_energies(m, numbers, pos, cell, idx_i, idx_j, shifts):
    """Per-atom energies y_i + atomref[Z_i] + mean_per_atom (shape [N])."""
    w, F, L, rc = m["w"], m["F"], m["L"], m["rc"]
    N = pos.shape[0]

    r = pos[idx_j] - pos[idx_i]
    if cell is not None:
        r = r + shifts @ cell
    d = torch.sqrt((r * r).sum(dim=1))
    u = r / d[:, None]

    if m["basis"] == "gaussian":
        mu = w["representation.radial_basis.offsets"]
        sigma = w["representation.radial_basis.widths"]
        phi = torch.exp(-0.5 * (d[:, None] - mu) ** 2 / sigma ** 2)
    else:
        freqs = w["representation.radial_basis.freqs"]
        phi = torch.sin(d[:, None] * freqs) / d[:, None]
    fc = 0.5 * (torch.cos(d * math.pi / rc) + 1.0)  # every edge has d < rc
    W = dense(phi, w, "representation.filter_net") * fc[:, None]  # [E, 3F*L]

    s = w["representation.embedding.weight"][numbers]  # [N, F]
    v = torch.zeros(N, 3, F)                            # [N, xyz, F]
    for l in range(L):
        # interaction
        p = "representation.interactions.%d.interatomic_context_net" % l
        x = dense(silu(dense(s, w, p + ".0")), w, p + ".1")    # [N, 3F]
        x = W[:, 3 * F * l:3 * F * (l + 1)] * x[idx_j]         # [E, 3F]
        a, b, c = x[:, :F], x[:, F:2 * F], x[:, 2 * F:]
        ds = torch.zeros(N, F).index_add(0, idx_i, a)
        dv_edge = b[:, None, :] * u[:, :, None] + c[:, None, :] * v[idx_j]
        dv = torch.zeros(N, 3, F).index_add(0, idx_i, dv_edge)
        s, v = s + ds, v + dv
        # mixing
        p = "representation.mixing.%d" % l
        mix = dense(v, w, p + ".mu_channel_mix")                # [N, 3, 2F], no bias
        V, U = mix[..., :F], mix[..., F:]
        n = torch.sqrt((V * V).sum(dim=1) + m["eps"])           # [N, F]
        ctx = torch.cat([s, n], dim=1)                          # [N, 2F]
        x = dense(silu(dense(ctx, w, p + ".intraatomic_context_net.0")),
                  w, p + ".intraatomic_context_net.1")          # [N, 3F]
        dp, dq, dr = x[:, :F], x[:, F:2 * F], x[:, 2 * F:]
        s = s + dp + dr * (V * U).sum(dim=1)
        v = v + dq[:, None, :] * U

    y = s
    for k in range(m["n_out_layers"]):
        if k > 0:
            y = silu(y)
        y = dense(y, w, "output_modules.0.outnet.%d" % k)
    e = y[:, 0]
    if "energy.atomref" in w:
        e = e + w["energy.atomref"][numbers]
    if "energy.mean_per_atom" in w:
        e = e + w["energy.mean_per_atom"][0]
    return e


def fully_periodic(cell, pbc):
    return cell is not None and all(pbc)


def evaluate(m, numbers, positions, cell, pbc):
    """Energy, per-atom energies, forces = -dE/dpos, stress = (1/V) dE/deps."""
    numbers_t = torch.tensor(numbers, dtype=torch.int64)
    pos0 = torch.tensor(positions, requires_grad=True)
    # Symmetric strain: pos' = pos (I + eps), cell' = cell (I + eps), at eps = 0.
    strain = torch.zeros(3, 3, requires_grad=True)
    eps = 0.5 * (strain + strain.T)
    pos = pos0 + pos0 @ eps
    cell_t = None
    periodic = cell is not None and any(pbc)
    if periodic:
        cell0 = torch.tensor(cell)
        cell_t = cell0 + cell0 @ eps
    idx_i, idx_j, shifts = neighbor_list(positions, cell if periodic else None, pbc, m["rc"])
    e = atom_energies(m, numbers_t, pos, cell_t, idx_i, idx_j, shifts)
    E = e.sum()
    g_pos, g_strain = torch.autograd.grad(E, [pos0, strain], allow_unused=True)
    stress = None
    if fully_periodic(cell, pbc):
        volume = abs(float(np.linalg.det(np.asarray(cell))))
        sg = g_strain / volume
        stress = 0.5 * (sg + sg.T)
    return {"energy": float(E), "energies": e.detach(), "forces": -g_pos,
            "stress": stress, "edges": int(idx_i.shape[0])}


def energy_only(m, numbers, positions, cell, pbc):
    with torch.no_grad():
        periodic = cell is not None and any(pbc)
        idx_i, idx_j, shifts = neighbor_list(positions, cell if periodic else None, pbc, m["rc"])
        e = atom_energies(m, torch.tensor(numbers, dtype=torch.int64), torch.tensor(positions),
                          torch.tensor(cell) if periodic else None, idx_i, idx_j, shifts)
        return float(e.sum())


# --------------------------------------------------------------------------
# Structures
# --------------------------------------------------------------------------

def molecule(name, rows, cell=None, pbc=(False, False, False)):
    return {"name": name, "numbers": [Z_OF[r[0]] for r in rows],
            "positions": [[float(x) for x in r[1:]] for r in rows],
            "cell": cell, "pbc": list(pbc)}


ETHANOL = [  # ASE g2 'CH3CH2OH'
    ("C", 1.168181, -0.400382, 0.0), ("C", 0.0, 0.559462, 0.0),
    ("O", -1.190083, -0.227669, 0.0), ("H", -1.946623, 0.381525, 0.0),
    ("H", 0.042557, 1.207508, 0.886933), ("H", 0.042557, 1.207508, -0.886933),
    ("H", 2.115891, 0.1448, 0.0), ("H", 1.128599, -1.037234, 0.885881),
    ("H", 1.128599, -1.037234, -0.885881),
]

ASPIRIN = [  # 2-acetoxybenzoic acid, idealised: ring C-C 1.39, C-H 1.08, acetyl out of plane
    ("C", 0.1232, -0.9928, -0.5142), ("C", -0.5718, 0.2110, -0.5142),
    ("C", -1.9618, 0.2110, -0.5142), ("C", -2.6568, -0.9928, -0.5142),
    ("C", -1.9618, -2.1965, -0.5142), ("C", -0.5718, -2.1965, -0.5142),
    ("H", -2.5018, 1.1463, -0.5142), ("H", -3.7368, -0.9928, -0.5142),
    ("H", -2.5018, -3.1319, -0.5142), ("H", -0.0318, -3.1319, -0.5142),
    ("C", 1.6032, -0.9928, -0.5142), ("O", 2.2082, -2.0407, -0.5142),
    ("O", 2.2732, 0.1677, -0.5142), ("H", 3.2432, 0.1677, -0.5142),
    ("O", 0.1282, 1.4234, -0.5142), ("C", 0.2547, 2.0634, 0.6792),
    ("O", -0.7091, 2.5472, 1.2057), ("C", 1.5988, 2.1644, 1.3373),
    ("H", 1.6963, 1.3790, 2.0868), ("H", 1.6963, 3.1384, 1.8168),
    ("H", 2.3805, 2.0491, 0.5865),
]

WATER_DIMER = [  # S22 water dimer
    ("O", -1.551007, -0.114520, 0.0), ("H", -1.934259, 0.762503, 0.0),
    ("H", -0.599677, 0.040712, 0.0), ("O", 1.350625, 0.111469, 0.0),
    ("H", 1.680398, -0.373741, -0.758561), ("H", 1.680398, -0.373741, 0.758561),
]

MESYL_CHLORIDE = [  # CH3SO2Cl on ideal tetrahedral directions: S-C 1.76, S=O 1.43, S-Cl 2.05
    ("S", 0.0, 0.0, 0.0), ("C", 1.0161, 1.0161, 1.0161),
    ("O", 0.8256, -0.8256, -0.8256), ("O", -0.8256, 0.8256, -0.8256),
    ("Cl", -1.1836, -1.1836, 1.1836), ("H", 0.3868, 1.6454, 1.6454),
    ("H", 1.6454, 0.3868, 1.6454), ("H", 1.6454, 1.6454, 0.3868),
]


def r6(x):
    """Round to 6 decimals so that the extxyz files stay readable."""
    return [[round(float(c), 6) for c in row] for row in np.atleast_2d(x)]


def min_image_distances(frac, cell, pbc):
    """Minimum distances between all pairs, over images -1..1 on periodic axes."""
    cell = np.asarray(cell)
    best = np.full((len(frac), len(frac)), np.inf)
    for n in itertools.product(*[(-1, 0, 1) if p else (0,) for p in pbc]):
        d = np.linalg.norm((frac[None, :, :] - frac[:, None, :] + n) @ cell, axis=-1)
        best = np.minimum(best, d)
    np.fill_diagonal(best, np.inf)
    return best


def reference_structures():
    rng = np.random.default_rng(20240601)
    out = [molecule("ethanol", ETHANOL), molecule("aspirin", ASPIRIN),
           molecule("water_dimer", WATER_DIMER), molecule("mesyl_chloride", MESYL_CHLORIDE)]

    # Same dimer with a Lattice but pbc F F F: must be treated as not periodic.
    box = [[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]]
    out.append(molecule("water_dimer_lattice_nopbc", WATER_DIMER, cell=box))

    # Rocksalt NaCl compressed into a 4.5 A cube (side < 2 rc), rattled so forces are non-zero.
    a = 4.5
    fcc = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    frac = np.vstack([fcc, fcc + [.5, 0, 0]])
    pos = frac * a + rng.normal(0.0, 0.1, size=(8, 3))
    out.append({"name": "nacl_cubic", "numbers": [11] * 4 + [17] * 4, "positions": r6(pos),
                "cell": [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]], "pbc": [True] * 3})

    # Skewed triclinic cell with random atoms (min distance 1.6 A), several heavy
    # elements including Z = 99, the last row of the embedding table.
    # |a| is kept off 5.0 so that no distance ties with the 5.0 cutoff of model A.
    cell = [[5.05, 0.0, 0.0], [1.7, 4.8, 0.0], [0.9, 1.1, 5.3]]
    numbers = [3, 7, 8, 8, 15, 16, 26, 56, 92, 99]
    while True:
        frac = rng.uniform(0.0, 1.0, size=(10, 3))
        if min_image_distances(frac, cell, [True] * 3).min() > 1.6:
            break
    tri_pos = np.array(r6(frac @ np.array(cell)))
    out.append({"name": "triclinic", "numbers": numbers, "positions": tri_pos.tolist(),
                "cell": cell, "pbc": [True] * 3})

    # The same atoms moved by whole lattice vectors: energy must not change.
    jumps = rng.integers(-2, 3, size=(10, 3))
    unwrapped = tri_pos + jumps @ np.array(cell)
    out.append({"name": "triclinic_unwrapped", "numbers": numbers,
                "positions": unwrapped.tolist(), "cell": cell, "pbc": [True] * 3})

    # Slab: two hexagonal Pt layers with CO on top, periodic in a and b only.
    d = 2.77
    a1, a2 = np.array([2 * d, 0, 0]), np.array([d, d * math.sqrt(3), 0])
    cell = [r6(a1)[0], r6(a2)[0], [0.0, 0.0, 18.0]]
    layer = [i * a1 / 2 + j * a2 / 2 for i in (0, 1) for j in (0, 1)]
    pos = [p + [0, 0, 5.0] for p in layer] + [p + (a1 + a2) / 6 + [0, 0, 7.26] for p in layer]
    top = pos[-1]
    pos += [top + [0, 0, 1.85], top + [0, 0, 3.0]]
    pos = np.array(pos) + rng.normal(0.0, 0.05, size=(10, 3))
    out.append({"name": "slab_pt_co", "numbers": [78] * 8 + [6, 8], "positions": r6(pos),
                "cell": cell, "pbc": [True, True, False]})

    # Polyethylene chain periodic along c only (c = 2.55 A, shorter than rc).
    pos = np.array([[0, 0.42, 0], [0.89, 1.05, 0], [-0.89, 1.05, 0],
                    [0, -0.42, 1.275], [0.89, -1.05, 1.275], [-0.89, -1.05, 1.275]])
    pos = pos + [4.0, 4.0, 0.3] + rng.normal(0.0, 0.05, size=(6, 3))
    out.append({"name": "polyethylene_wire", "numbers": [6, 1, 1, 6, 1, 1], "positions": r6(pos),
                "cell": [[8.0, 0.0, 0.0], [0.0, 8.0, 0.0], [0.0, 0.0, 2.55]],
                "pbc": [False, False, True]})

    # Cell smaller than the cutoff: each atom sees many images of itself.
    out.append({"name": "tiny_cell", "numbers": [26, 28],
                "positions": [[0.0, 0.0, 0.0], [1.43, 1.58, 1.51]],
                "cell": [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]], "pbc": [True] * 3})
    return out


def water_box(seed=7, side=6.2, n=2):
    """n^3 water molecules (O-H 0.9572 A, H-O-H 104.52 deg) in a cube, random orientations."""
    rng = np.random.default_rng(seed)
    half = math.radians(104.52) / 2
    local = np.array([[0, 0, 0], [0.9572 * math.sin(half), 0, 0.9572 * math.cos(half)],
                      [-0.9572 * math.sin(half), 0, 0.9572 * math.cos(half)]])
    spacing = side / n
    sites = [(np.array(ijk) + 0.5) * spacing for ijk in itertools.product(range(n), repeat=3)]
    cell = np.eye(3) * side
    while True:
        pos = []
        for site in sites:
            q, r = np.linalg.qr(rng.standard_normal((3, 3)))
            rot = q * np.sign(np.diag(r))
            pos.extend(site + rng.uniform(-0.15, 0.15, 3) + local @ rot.T)
        pos = np.array(r6(pos))
        dist = min_image_distances(pos / side, cell, [True] * 3)
        for k in range(len(sites)):  # ignore distances inside one molecule
            dist[3 * k:3 * k + 3, 3 * k:3 * k + 3] = np.inf
        o = np.arange(len(pos)) % 3 == 0
        if dist[np.ix_(o, o)].min() > 2.6 and dist[np.ix_(o, ~o)].min() > 1.6 \
                and dist[np.ix_(~o, ~o)].min() > 1.5:
            break
    return {"name": "water-box", "numbers": [8, 1, 1] * len(sites), "positions": pos.tolist(),
            "cell": cell.tolist(), "pbc": [True] * 3}


def write_extxyz(path, st):
    """One frame the way ase.io.write does it, with round-tripping numbers (repr)."""
    fmt = lambda x: repr(float(x))
    head = []
    if st["cell"] is not None:
        head.append('Lattice="%s"' % " ".join(fmt(x) for row in st["cell"] for x in row))
    head.append("Properties=species:S:1:pos:R:3")
    head.append('pbc="%s"' % " ".join("T" if p else "F" for p in st["pbc"]))
    lines = [str(len(st["numbers"])), " ".join(head)]
    for z, p in zip(st["numbers"], st["positions"]):
        lines.append("%-2s %s" % (SYMBOLS[z], " ".join("%24s" % fmt(x) for x in p)))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# Case files
# --------------------------------------------------------------------------

def dump_case(path, case):
    """JSON with one array row per line; floats via repr, so they round-trip."""
    items = list(case.items())
    lines = ["{"]
    for k, (key, val) in enumerate(items):
        end = "," if k < len(items) - 1 else ""
        if isinstance(val, list) and val and isinstance(val[0], list):
            lines.append(" %s: [" % json.dumps(key))
            for m, row in enumerate(val):
                lines.append("  " + json.dumps(row) + ("," if m < len(val) - 1 else ""))
            lines.append(" ]" + end)
        else:
            lines.append(" %s: %s%s" % (json.dumps(key), json.dumps(val), end))
    lines.append("}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_case(model_name, model_path, m, st, structure_path):
    res = evaluate(m, st["numbers"], st["positions"], st["cell"], st["pbc"])
    case = {
        "model": os.path.relpath(model_path, HERE),
        "structure": os.path.relpath(structure_path, HERE),
        "numbers": st["numbers"],
        "positions": st["positions"],
        "cell": st["cell"],
        "pbc": st["pbc"],
        "energy": res["energy"],
        "energies": res["energies"].tolist(),
        "forces": res["forces"].tolist(),
        "stress": None if res["stress"] is None else res["stress"].tolist(),
        "edges": res["edges"],
    }
    dump_case(os.path.join(HERE, "cases", "%s_%s.json" % (model_name, st["name"])), case)
    return res


# --------------------------------------------------------------------------
# Self-checks
# --------------------------------------------------------------------------

def check_finite_differences(m, st, h=1e-5):
    res = evaluate(m, st["numbers"], st["positions"], st["cell"], st["pbc"])
    pos = np.array(st["positions"])
    fd = np.zeros_like(pos)
    for a in range(pos.shape[0]):
        for k in range(3):
            p, q = pos.copy(), pos.copy()
            p[a, k] += h
            q[a, k] -= h
            ep = energy_only(m, st["numbers"], p.tolist(), st["cell"], st["pbc"])
            em = energy_only(m, st["numbers"], q.tolist(), st["cell"], st["pbc"])
            fd[a, k] = -(ep - em) / (2 * h)
    err_f = np.abs(fd - res["forces"].numpy()).max()
    print("  forces  FD (h=%.0e) vs autograd (%s): max |diff| = %.3e eV/A, max |F| = %.3f"
          % (h, st["name"], err_f, np.abs(fd).max()))
    if res["stress"] is not None:
        cell = np.array(st["cell"])
        volume = abs(np.linalg.det(cell))
        fd_s = np.zeros((3, 3))
        for a, b in itertools.product(range(3), repeat=2):
            e = np.zeros((3, 3))
            e[a, b] = e[b, a] = h  # symmetric strain; diagonal gets h, off-diagonal pair h each
            vals = []
            for sign in (1, -1):
                t = np.eye(3) + sign * e
                vals.append(energy_only(m, st["numbers"], (pos @ t).tolist(),
                                        (cell @ t).tolist(), st["pbc"]))
            # d/dh of E(eps) along e: diagonal -> dE/deps_aa, off-diagonal -> 2 dE/deps_ab
            fd_s[a, b] = (vals[0] - vals[1]) / (2 * h) / (1.0 if a == b else 2.0) / volume
        err_s = np.abs(fd_s - res["stress"].numpy()).max()
        print("  stress  FD (h=%.0e) vs autograd (%s): max |diff| = %.3e eV/A^3, max |s| = %.3e"
              % (h, st["name"], err_s, np.abs(fd_s).max()))


def check_invariance(m, st):
    res = evaluate(m, st["numbers"], st["positions"], st["cell"], st["pbc"])
    rng = np.random.default_rng(1)
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    rot = q * np.sign(np.diag(r))
    if np.linalg.det(rot) < 0:
        rot[:, 0] = -rot[:, 0]
    pos = np.array(st["positions"])
    cell = None if st["cell"] is None else np.array(st["cell"])
    # Row vectors: x' = x R^T for positions and lattice vectors, plus a translation.
    shift = rng.uniform(-3, 3, 3)
    res2 = evaluate(m, st["numbers"], (pos @ rot.T + shift).tolist(),
                    None if cell is None else (cell @ rot.T).tolist(), st["pbc"])
    de = abs(res2["energy"] - res["energy"])
    df = np.abs(res2["forces"].numpy() - res["forces"].numpy() @ rot.T).max()
    msg = "  rotation+translation (%s): |dE| = %.3e, max |dF| = %.3e" % (st["name"], de, df)
    if res["stress"] is not None:
        s_rot = rot @ res["stress"].numpy() @ rot.T
        msg += ", max |dstress| = %.3e" % np.abs(res2["stress"].numpy() - s_rot).max()
    print(msg)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main():
    print("torch", torch.__version__, "numpy", np.__version__)
    models_dir = os.path.join(HERE, "models")

    # Model A: gaussian, F64, atomref and mean, stores the optional buffers.
    F, L, K, rc = 32, 3, 20, 5.0
    path_a = os.path.join(models_dir, "model_a.safetensors")
    write_safetensors(path_a,
                      random_weights(101, F, L, K, rc, "gaussian", [F, F // 2, 1],
                                     atomref=True, mean_per_atom=-1.5),
                      model_metadata(F, L, K, rc, "gaussian", extra={
                          "shared_filters": "false", "shared_interactions": "false",
                          "name": "model_a", "description": "random reference model A"}),
                      "F64")
    # Model B: bessel, F32, three-layer outnet, no atomref/mean, no optional buffers.
    F, L, K, rc = 16, 2, 12, 4.0
    path_b = os.path.join(models_dir, "model_b.safetensors")
    write_safetensors(path_b,
                      random_weights(202, F, L, K, rc, "bessel", [F, F // 2, F // 4, 1],
                                     basis_tensors=False),
                      model_metadata(F, L, K, rc, "bessel"),
                      "F32")

    # Shipped test model.
    F, L, K, rc = 128, 3, 20, 5.0
    path_t = os.path.join(REPO, "weights", "painn-test-random.safetensors")
    write_safetensors(path_t,
                      random_weights(303, F, L, K, rc, "gaussian", [F, 64, 1],
                                     mean_per_atom=-10.0),
                      model_metadata(F, L, K, rc, "gaussian", extra={
                          "shared_filters": "false", "shared_interactions": "false",
                          "name": "painn-test-random",
                          "description": "PaiNN with random weights, for testing painn4j only; "
                                         "not a physical model, its energies and forces mean nothing"}),
                      "F32")

    structures = reference_structures()
    struct_paths = {}
    for st in structures:
        struct_paths[st["name"]] = os.path.join(HERE, "structures", st["name"] + ".extxyz")
        write_extxyz(struct_paths[st["name"]], st)
    examples = [molecule("ethanol", ETHANOL), molecule("aspirin", ASPIRIN), water_box()]
    for st in examples:
        write_extxyz(os.path.join(REPO, "weights", "examples", st["name"] + ".extxyz"), st)

    models = {"model_a": (path_a, load_model(path_a)), "model_b": (path_b, load_model(path_b))}
    results = {}
    for name, (path, m) in models.items():
        print("%s (%s):" % (name, os.path.relpath(path, HERE)))
        for st in structures:
            res = run_case(name, path, m, st, struct_paths[st["name"]])
            results[name, st["name"]] = res
            print("  %-26s N=%3d edges=%5d E=% .10f  max|F|=%.4f%s"
                  % (st["name"], len(st["numbers"]), res["edges"], res["energy"],
                     float(res["forces"].abs().max()),
                     "" if res["stress"] is None else "  max|stress|=%.3e"
                     % float(res["stress"].abs().max())))
    m_t = load_model(path_t)
    print("painn-test-random on the examples:")
    for st in examples:
        p = os.path.join(REPO, "weights", "examples", st["name"] + ".extxyz")
        res = run_case("test_random", path_t, m_t, st, p)
        print("  %-26s N=%3d edges=%5d E=% .10f  max|F|=%.4f"
              % (st["name"], len(st["numbers"]), res["edges"], res["energy"],
                 float(res["forces"].abs().max())))

    print("self-checks:")
    by_name = {st["name"]: st for st in structures}
    # Where the O(h^2) truncation error dominates (aspirin, bessel basis), halving h
    # divides the FD error by about 4; elsewhere rounding (~1e-16 |E| / h) dominates.
    for h in (1e-5, 5e-6):
        check_finite_differences(models["model_a"][1], by_name["triclinic"], h)
    check_finite_differences(models["model_b"][1], by_name["tiny_cell"])
    for h in (1e-5, 5e-6):
        check_finite_differences(models["model_b"][1], by_name["aspirin"], h)
    check_invariance(models["model_a"][1], by_name["aspirin"])
    check_invariance(models["model_a"][1], by_name["triclinic"])
    check_invariance(models["model_b"][1], by_name["slab_pt_co"])
    for name in models:
        print("  %s: |E(unwrapped) - E(wrapped)| = %.3e, |E(lattice, pbc F F F) - E(molecule)| = %.3e"
              % (name, abs(results[name, "triclinic_unwrapped"]["energy"]
                           - results[name, "triclinic"]["energy"]),
                 abs(results[name, "water_dimer_lattice_nopbc"]["energy"]
                     - results[name, "water_dimer"]["energy"])))


if __name__ == "__main__":
    main()
