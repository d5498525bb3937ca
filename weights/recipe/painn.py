"""PaiNN as specified in SPEC.md section 1 (schnetpack 2.x), batched, for training.

Module and buffer names follow schnetpack's NeuralNetworkPotential.state_dict(),
so the state dict is the safetensors file of SPEC section 2 as it is. Several
molecules are evaluated at once: their atoms are concatenated, `batch` gives each
atom's molecule, and (idx_i, idx_j) are edges between atoms of one molecule.
Forces are -dE/dpos by autograd. Works with torch 1.13 and 2.x.
"""

import json
import math
import struct

import numpy as np
import torch
from torch import nn

MAX_Z = 100
NP_DTYPE = {"F32": "<f4", "F64": "<f8"}


class GaussianRBF(nn.Module):
    def __init__(self, n_rbf, cutoff):
        super().__init__()
        offsets = torch.linspace(0.0, cutoff, n_rbf)
        self.register_buffer("offsets", offsets)
        self.register_buffer("widths", torch.full((n_rbf,), float(offsets[1] - offsets[0])))

    def forward(self, d):
        return torch.exp(-0.5 * (d[:, None] - self.offsets) ** 2 / self.widths ** 2)


class CosineCutoff(nn.Module):
    def __init__(self, cutoff):
        super().__init__()
        self.register_buffer("cutoff", torch.tensor([float(cutoff)]))

    def forward(self, d):
        rc = self.cutoff
        return 0.5 * (torch.cos(d * math.pi / rc) + 1.0) * (d < rc).to(d.dtype)


def dense(n_in, n_out, bias=True):
    """schnetpack's Dense initialisation: xavier-uniform weights, zero biases."""
    layer = nn.Linear(n_in, n_out, bias=bias)
    nn.init.xavier_uniform_(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


class Interaction(nn.Module):
    def __init__(self, F):
        super().__init__()
        self.interatomic_context_net = nn.ModuleList([dense(F, F), dense(F, 3 * F)])


class Mixing(nn.Module):
    def __init__(self, F):
        super().__init__()
        self.intraatomic_context_net = nn.ModuleList([dense(2 * F, F), dense(F, 3 * F)])
        self.mu_channel_mix = dense(F, 2 * F, bias=False)


class Representation(nn.Module):
    def __init__(self, F, L, K, cutoff):
        super().__init__()
        self.embedding = nn.Embedding(MAX_Z, F, padding_idx=0)
        self.radial_basis = GaussianRBF(K, cutoff)
        self.cutoff_fn = CosineCutoff(cutoff)
        self.filter_net = dense(K, 3 * F * L)
        self.interactions = nn.ModuleList([Interaction(F) for _ in range(L)])
        self.mixing = nn.ModuleList([Mixing(F) for _ in range(L)])


class Atomwise(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.outnet = nn.ModuleList([dense(a, b) for a, b in zip(sizes[:-1], sizes[1:])])


class EnergyOffsets(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("atomref", torch.zeros(MAX_Z))


class PaiNN(nn.Module):
    def __init__(self, F=128, L=3, K=20, cutoff=5.0, readout=(64,), epsilon=1e-8):
        super().__init__()
        self.F, self.L, self.K, self.cutoff, self.epsilon = F, L, K, float(cutoff), epsilon
        self.representation = Representation(F, L, K, cutoff)
        self.output_modules = nn.ModuleList([Atomwise([F] + list(readout) + [1])])
        self.energy = EnergyOffsets()

    def config(self):
        return {"format": "painn", "n_atom_basis": str(self.F), "n_interactions": str(self.L),
                "n_rbf": str(self.K), "cutoff": repr(self.cutoff), "radial_basis": "gaussian",
                "cutoff_fn": "cosine", "activation": "silu", "epsilon": repr(self.epsilon),
                "shared_filters": "false", "shared_interactions": "false"}

    def atom_energies(self, numbers, pos, idx_i, idx_j):
        """y_i of SPEC section 1 (without atomref), shape [N]."""
        rep, F = self.representation, self.F
        N = pos.shape[0]
        r = pos[idx_j] - pos[idx_i]
        d = torch.sqrt((r * r).sum(dim=1))
        u = r / d[:, None]
        W = rep.filter_net(rep.radial_basis(d)) * rep.cutoff_fn(d)[:, None]   # [E, 3FL]

        s = rep.embedding(numbers)                                              # [N, F]
        v = torch.zeros(N, 3, F, dtype=pos.dtype, device=pos.device)          # [N, 3, F]
        for l in range(self.L):
            net = rep.interactions[l].interatomic_context_net
            x = net[1](nn.functional.silu(net[0](s)))                          # [N, 3F]
            x = W[:, 3 * F * l:3 * F * (l + 1)] * x[idx_j]                     # [E, 3F]
            a, b, c = torch.split(x, F, dim=1)
            ds = torch.zeros_like(s).index_add(0, idx_i, a)
            dv = torch.zeros_like(v).index_add(
                0, idx_i, b[:, None, :] * u[:, :, None] + c[:, None, :] * v[idx_j])
            s, v = s + ds, v + dv

            mix = rep.mixing[l]
            V, U = torch.split(mix.mu_channel_mix(v), F, dim=2)               # [N, 3, F] each
            n = torch.sqrt((V * V).sum(dim=1) + self.epsilon)
            net = mix.intraatomic_context_net
            x = net[1](nn.functional.silu(net[0](torch.cat([s, n], dim=1))))
            dp, dq, dr = torch.split(x, F, dim=1)
            s = s + dp + dr * (V * U).sum(dim=1)
            v = v + dq[:, None, :] * U

        y = s
        layers = self.output_modules[0].outnet
        for k, layer in enumerate(layers):
            if k > 0:
                y = nn.functional.silu(y)
            y = layer(y)
        return y[:, 0]

    def forward(self, numbers, pos, idx_i, idx_j, batch, n_molecules, atomref=True):
        """Energy per molecule [n_molecules]; atomref=False leaves out sum_i atomref[Z_i]."""
        e = self.atom_energies(numbers, pos, idx_i, idx_j)
        if atomref:
            e = e + self.energy.atomref[numbers]
        return torch.zeros(n_molecules, dtype=e.dtype, device=e.device).index_add(0, batch, e)


def energy_and_forces(model, numbers, pos, idx_i, idx_j, batch, n_molecules,
                      atomref=True, create_graph=False):
    pos = pos.detach().requires_grad_(True)
    with torch.enable_grad():
        e = model(numbers, pos, idx_i, idx_j, batch, n_molecules, atomref=atomref)
        (g,) = torch.autograd.grad(e.sum(), pos, create_graph=create_graph)
    return e, -g


def neighbor_pairs(pos, cutoff):
    """All ordered pairs (i, j), i != j, of one molecule with |pos_j - pos_i| < cutoff."""
    pos = np.asarray(pos, dtype=np.float64)
    d = np.linalg.norm(pos[None, :, :] - pos[:, None, :], axis=2)
    np.fill_diagonal(d, np.inf)
    i, j = np.nonzero(d < cutoff)
    return i, j


# ---- safetensors (SPEC section 2), written and read by hand ----

def write_safetensors(path, tensors, metadata, dtype="F32"):
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
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """(metadata, name -> float64 numpy array)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        arr = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=NP_DTYPE[info["dtype"]])
        tensors[name] = arr.astype(np.float64).reshape(info["shape"])
    return metadata, tensors


def export(model, path, name, description, dtype="F32"):
    """The model's state dict as a SPEC section 2 file."""
    tensors = {k: v.detach().cpu().double().numpy() for k, v in model.state_dict().items()}
    meta = dict(model.config(), name=name, description=description)
    write_safetensors(path, tensors, meta, dtype)


def load(path, dtype=torch.float64):
    """A PaiNN module with the weights of a SPEC section 2 file (gaussian basis)."""
    meta, w = read_safetensors(path)
    assert meta["format"] == "painn" and meta["radial_basis"] == "gaussian"
    k = 0
    while "output_modules.0.outnet.%d.weight" % k in w:
        k += 1
    readout = [w["output_modules.0.outnet.%d.weight" % i].shape[0] for i in range(k - 1)]
    model = PaiNN(int(meta["n_atom_basis"]), int(meta["n_interactions"]), int(meta["n_rbf"]),
                  float(meta["cutoff"]), readout, float(meta["epsilon"]))
    model = model.to(dtype)
    state = model.state_dict()
    for key in state:
        if key in w:
            state[key] = torch.from_numpy(w[key]).to(dtype)
        elif key == "energy.atomref":
            state[key] = torch.zeros(MAX_Z, dtype=dtype)
    extra = set(w) - set(state) - {"energy.mean_per_atom"}
    assert not extra, extra
    model.load_state_dict(state)
    if "energy.mean_per_atom" in w:   # fold a mean into the atomrefs
        model.energy.atomref += float(w["energy.mean_per_atom"][0])
    return model, meta
