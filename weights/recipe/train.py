"""Trains the PaiNN student on the GFN2-xTB data and exports it (SPEC section 2).

Loss = w_E * MSE(energy per atom) + w_F * MSE(force components), forces by
autograd. Per-element energies (atomref) are fitted by least squares on the
training set and rounded to float32 before the targets are formed, so the
exported file holds exactly the offsets the network was trained with. Adam,
linear warm-up then cosine decay of the learning rate per step, gradient
clipping, an exponential moving average (EMA) of the weights that is what gets
validated and exported.

A run stops by itself when --time-budget seconds of training have passed (at an
epoch boundary), writing <out>/checkpoint.pt, <out>/painn-xtb-organic.safetensors
and <out>/history.json; --resume <checkpoint> carries on. With --epochs 0 the
number of epochs is chosen after the first epochs from the measured speed so
that the schedule ends within --plan-seconds of training in all; it is stored
in the checkpoint and printed, so that a rerun can pass it with --epochs.

    python3 train.py --data ../data --out OUT [--resume OUT/checkpoint.pt]
"""

import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import painn  # noqa: E402

NAME = "painn-xtb-organic"
DESCRIPTION = ("PaiNN (F=128, L=3, K=20, rc=5 A) distilled from GFN2-xTB energies and forces "
               "of the ten rMD17 molecules (300 K and 600 K xtb MD plus random displacements); "
               "small neutral organic molecules of H, C, N, O only. eV and eV/A.")


class Dataset:
    """A split on the device: flat atom arrays, per-molecule offsets, edge lists."""

    def __init__(self, path, cutoff, device):
        d = np.load(path)
        self.names = [str(x) for x in d["names"]]
        n_atoms = d["n_atoms"].astype(np.int64)
        atom_off = np.concatenate([[0], np.cumsum(n_atoms)[:-1]])
        li, lj, n_edges = [], [], []
        pos = d["positions"]
        for c in range(len(n_atoms)):
            i, j = painn.neighbor_pairs(pos[atom_off[c]:atom_off[c] + n_atoms[c]], cutoff)
            li.append(i)
            lj.append(j)
            n_edges.append(len(i))
        n_edges = np.array(n_edges, dtype=np.int64)
        self.count = len(n_atoms)
        self.numbers_np = d["numbers"].astype(np.int64)
        self.energy = d["energy"]                       # float64, eV, total
        self.n_atoms_np = n_atoms
        self.atom_off_np = atom_off
        t = lambda x, dt: torch.as_tensor(np.asarray(x), dtype=dt, device=device)
        self.numbers = t(self.numbers_np, torch.long)
        self.positions = t(pos, torch.float32)
        self.forces = t(d["forces"], torch.float32)
        self.molecule = t(d["molecule"], torch.long)
        self.n_atoms = t(n_atoms, torch.long)
        self.atom_off = t(atom_off, torch.long)
        self.n_edges = t(n_edges, torch.long)
        self.edge_off = t(np.concatenate([[0], np.cumsum(n_edges)[:-1]]), torch.long)
        self.li = t(np.concatenate(li), torch.long)
        self.lj = t(np.concatenate(lj), torch.long)
        self.device = device
        self.target = None

    def composition(self, elements):
        counts = np.zeros((self.count, len(elements)))
        mol = np.repeat(np.arange(self.count), self.n_atoms_np)
        for k, z in enumerate(elements):
            np.add.at(counts[:, k], mol, self.numbers_np == z)
        return counts

    def set_atomref(self, atomref):
        """Training targets: E - sum_i atomref[Z_i], formed in float64."""
        mol = np.repeat(np.arange(self.count), self.n_atoms_np)
        ref = np.zeros(self.count)
        np.add.at(ref, mol, atomref[self.numbers_np])
        self.target = torch.as_tensor(self.energy - ref, dtype=torch.float32, device=self.device)

    def batch(self, cfg):
        """The molecules cfg (LongTensor on the device) as one graph."""
        dev = self.device
        na, ne = self.n_atoms[cfg], self.n_edges[cfg]
        B = cfg.shape[0]
        b_atom = torch.cumsum(na, 0) - na
        b_edge = torch.cumsum(ne, 0) - ne
        n_at, n_ed = (int(x) for x in torch.stack([na.sum(), ne.sum()]).tolist())
        mol_a = torch.repeat_interleave(torch.arange(B, device=dev), na)
        atoms = self.atom_off[cfg][mol_a] + torch.arange(n_at, device=dev) - b_atom[mol_a]
        mol_e = torch.repeat_interleave(torch.arange(B, device=dev), ne)
        edges = self.edge_off[cfg][mol_e] + torch.arange(n_ed, device=dev) - b_edge[mol_e]
        return {"numbers": self.numbers[atoms], "pos": self.positions[atoms],
                "forces": self.forces[atoms], "target": self.target[cfg], "n_atoms": na,
                "idx_i": self.li[edges] + b_atom[mol_e], "idx_j": self.lj[edges] + b_atom[mol_e],
                "batch": mol_a, "B": B, "molecule": self.molecule[cfg]}


def fit_atomref(train):
    """Least-squares per-element energies (eV) over the training set, rounded to float32."""
    elements = sorted(set(train.numbers_np.tolist()))
    counts = train.composition(elements)
    coef, *_ = np.linalg.lstsq(counts, train.energy, rcond=None)
    atomref = np.zeros(painn.MAX_Z)
    atomref[elements] = coef
    return atomref.astype(np.float32).astype(np.float64)


def evaluate(model, data, batch_size=512):
    """Per-molecule energy MAE (eV/atom) and force MAE (eV/A, per component)."""
    n_mol = len(data.names)
    e_err = torch.zeros(n_mol, dtype=torch.float64, device=data.device)
    f_err = torch.zeros(n_mol, dtype=torch.float64, device=data.device)
    count = torch.zeros(n_mol, dtype=torch.float64, device=data.device)
    comps = torch.zeros(n_mol, dtype=torch.float64, device=data.device)
    for start in range(0, data.count, batch_size):
        cfg = torch.arange(start, min(start + batch_size, data.count), device=data.device)
        b = data.batch(cfg)
        e, f = painn.energy_and_forces(model, b["numbers"], b["pos"], b["idx_i"], b["idx_j"],
                                       b["batch"], b["B"], atomref=False)
        de = ((e.detach() - b["target"]).abs() / b["n_atoms"]).double()
        df = (f.detach() - b["forces"]).abs().sum(dim=1).double()
        e_err.index_add_(0, b["molecule"], de)
        count.index_add_(0, b["molecule"], torch.ones_like(de))
        f_err.index_add_(0, b["molecule"][b["batch"]], df)
        comps.index_add_(0, b["molecule"][b["batch"]], torch.full_like(df, 3.0))
    e_mae = (e_err / count.clamp(min=1)).tolist()
    f_mae = (f_err / comps.clamp(min=1)).tolist()
    return {"energy_mae_per_atom": dict(zip(data.names, e_mae)),
            "force_mae": dict(zip(data.names, f_mae)),
            "energy_mae_per_atom_all": float(e_err.sum() / count.sum()),
            "force_mae_all": float(f_err.sum() / comps.sum())}


def learning_rate(step, args, total_steps):
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    if total_steps is None:
        return args.lr
    x = min(1.0, (step - args.warmup_steps) / max(1, total_steps - args.warmup_steps))
    return args.lr_min + 0.5 * (args.lr - args.lr_min) * (1.0 + math.cos(math.pi * x))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Trains the PaiNN student (see the file header).")
    ap.add_argument("--data", default=os.path.join(here, "..", "data"))
    ap.add_argument("--out", default="out")
    ap.add_argument("--resume", default=None, help="checkpoint.pt to continue from")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128, help="molecules per step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--warmup-steps", type=int, default=1000)
    ap.add_argument("--w-energy", type=float, default=0.01)
    ap.add_argument("--w-forces", type=float, default=0.99)
    ap.add_argument("--clip", type=float, default=10.0, help="gradient norm clip")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--epochs", type=int, default=0, help="0: choose from the measured speed")
    ap.add_argument("--plan-seconds", type=float, default=1040.0,
                    help="with --epochs 0: training seconds the whole schedule should take")
    ap.add_argument("--time-budget", type=float, default=530.0,
                    help="training seconds for this run; then checkpoint and stop")
    ap.add_argument("--val-every", type=int, default=5)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    t_start = time.time()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    if args.threads:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.out, exist_ok=True)
    log_file = open(os.path.join(args.out, "train.log"), "a")

    def log(msg):
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    log("torch %s on %s%s" % (torch.__version__, device,
                              " (%s)" % torch.cuda.get_device_name(device) if device.type == "cuda" else ""))
    torch.manual_seed(args.seed)
    model = painn.PaiNN(F=128, L=3, K=20, cutoff=5.0, readout=(64,)).to(device)
    train = Dataset(os.path.join(args.data, "train.npz"), model.cutoff, device)
    val = Dataset(os.path.join(args.data, "val.npz"), model.cutoff, device)
    log("train %d molecules (%d atoms, %d edges), val %d; loaded in %.1f s"
        % (train.count, train.positions.shape[0], train.li.shape[0], val.count, time.time() - t_start))

    atomref = fit_atomref(train)
    model.energy.atomref.copy_(torch.as_tensor(atomref, dtype=torch.float32))
    train.set_atomref(atomref)
    val.set_atomref(atomref)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator()
    gen.manual_seed(args.seed)
    state = {"epoch": 0, "step": 0, "total_epochs": args.epochs or None, "elapsed": 0.0,
             "history": [], "epoch_times": []}
    if args.resume:
        try:
            ck = torch.load(args.resume, map_location=device, weights_only=False)
        except TypeError:  # torch < 1.13
            ck = torch.load(args.resume, map_location=device)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["optimizer"])
        gen.set_state(ck["generator"].cpu())
        state = ck["state"]
        if args.epochs:
            state["total_epochs"] = args.epochs
        assert np.array_equal(np.asarray(ck["atomref"]), atomref), "different training data"
        log("resumed from %s at epoch %d, step %d, %.0f s trained"
            % (args.resume, state["epoch"], state["step"], state["elapsed"]))
    log("atomref (eV): " + ", ".join("Z=%d %.6f" % (z, atomref[z]) for z in np.nonzero(atomref)[0]))

    steps_per_epoch = train.count // args.batch
    params = list(model.parameters())
    ema_params = list(ema.parameters())
    run_start = time.time()
    val_time = 0.0
    while True:
        total = state["total_epochs"]
        if total is not None and state["epoch"] >= total:
            break
        t0 = time.time()
        perm = torch.randperm(train.count, generator=gen).to(device)
        total_steps = None if total is None else total * steps_per_epoch
        sums = torch.zeros(4, dtype=torch.float64, device=device)
        model.train()
        for k in range(steps_per_epoch):
            b = train.batch(perm[k * args.batch:(k + 1) * args.batch])
            for group in opt.param_groups:
                group["lr"] = learning_rate(state["step"], args, total_steps)
            e, f = painn.energy_and_forces(model, b["numbers"], b["pos"], b["idx_i"], b["idx_j"],
                                           b["batch"], b["B"], atomref=False, create_graph=True)
            de = (e - b["target"]) / b["n_atoms"]
            df = f - b["forces"]
            loss = args.w_energy * (de * de).mean() + args.w_forces * (df * df).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, args.clip)
            opt.step()
            with torch.no_grad():
                torch._foreach_mul_(ema_params, args.ema)
                torch._foreach_add_(ema_params, params, alpha=1.0 - args.ema)
                sums += torch.stack([loss.double(), de.abs().mean().double(),
                                     df.abs().mean().double(), torch.ones((), dtype=torch.float64, device=device)])
            state["step"] += 1
            if args.max_steps and state["step"] >= args.max_steps:
                break
        state["epoch"] += 1
        s = (sums / sums[3]).tolist()
        t_epoch = time.time() - t0
        state["epoch_times"].append(t_epoch)
        entry = {"epoch": state["epoch"], "step": state["step"],
                 "time": state["elapsed"] + time.time() - run_start,
                 "lr": opt.param_groups[0]["lr"], "train_loss": s[0],
                 "train_energy_mae_per_atom": s[1], "train_force_mae": s[2]}
        last = (total is not None and state["epoch"] >= total) or args.max_steps
        if state["epoch"] % args.val_every == 0 or last or state["epoch"] == 1:
            tv = time.time()
            ema.eval()
            r = evaluate(ema, val)
            val_time = time.time() - tv
            entry.update({"val_energy_mae_per_atom": r["energy_mae_per_atom_all"],
                          "val_force_mae": r["force_mae_all"], "val": r})
        state["history"].append(entry)
        log("epoch %4d step %6d  %6.1fs (%.2fs/epoch)  lr %.2e  loss %.3e  train E %.4f eV/atom"
            " F %.4f eV/A%s" % (entry["epoch"], entry["step"], entry["time"], t_epoch, entry["lr"],
                                s[0], s[1], s[2],
                                "  | val(EMA) E %.4f F %.4f" % (entry["val_energy_mae_per_atom"],
                                                                 entry["val_force_mae"])
                                if "val_force_mae" in entry else ""))
        if args.max_steps:
            break
        # Fix the schedule once the speed is known (epochs 2-3: no start-up costs).
        if total is None and state["epoch"] == 3:
            per_epoch = float(np.mean(state["epoch_times"][1:3])) + val_time / args.val_every
            left = args.plan_seconds - (state["elapsed"] + time.time() - run_start)
            state["total_epochs"] = state["epoch"] + int(0.97 * left / per_epoch)
            log("schedule: %d epochs of %d steps (%.2f s per epoch measured)"
                % (state["total_epochs"], steps_per_epoch, per_epoch))
        run_time = time.time() - run_start
        if run_time + 1.3 * t_epoch + val_time > args.time_budget:
            log("time budget of this run reached after %.0f s" % run_time)
            break

    state["elapsed"] += time.time() - run_start
    ck = {"model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
          "generator": gen.get_state(), "state": state, "atomref": atomref.tolist(),
          "args": vars(args)}
    torch.save(ck, os.path.join(args.out, "checkpoint.pt.tmp"))
    os.replace(os.path.join(args.out, "checkpoint.pt.tmp"), os.path.join(args.out, "checkpoint.pt"))
    painn.export(ema, os.path.join(args.out, NAME + ".safetensors"), NAME, DESCRIPTION)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"args": vars(args), "total_epochs": state["total_epochs"],
                   "steps_per_epoch": steps_per_epoch, "atomref": {int(z): atomref[z] for z in np.nonzero(atomref)[0]},
                   "history": state["history"]}, f, indent=1)
    done = state["total_epochs"] is not None and state["epoch"] >= state["total_epochs"]
    log("%s: epoch %d of %s, %.0f s of training in all; wall %.0f s this run"
        % ("finished" if done else "stopped", state["epoch"], state["total_epochs"],
           state["elapsed"], time.time() - t_start))


if __name__ == "__main__":
    main()
