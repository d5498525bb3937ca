#!/usr/bin/python3
"""Teacher data from GFN2-xTB for the ten rMD17 molecules.

For each molecule: a starting geometry from SMILES (RDKit ETKDG + MMFF), an xtb
optimisation, two xtb MD runs (300 K and 600 K, Berendsen NVT, 0.5 fs steps, no
SHAKE, real hydrogen mass, a frame every 10 fs, the first 0.5 ps dropped), random
Gaussian displacements of MD frames, and GFN2-xTB energies and forces
(`xtb --grad`) for every configuration. Positions are rounded to float32 before
the single points, so the stored float32 positions are exactly the ones the
teacher saw.

Split by trajectory segment: the 800 kept frames of each trajectory form 20
contiguous segments of 40 frames (0.4 ps); segments 4 and 14 are the test set,
9 and 19 the validation set, the other 16 the training set. A displaced
configuration belongs to the segment of the frame it was made from.

Needs the Debian packages xtb and python3-rdkit. Usage (from the repository root):
    /usr/bin/python3 weights/recipe/make_data.py --workdir /tmp/xtb-work --jobs 2
writes weights/data/{train,val,test}.npz. The per-molecule work is cached in
--workdir, so an interrupted run picks up where it stopped.
"""

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HARTREE = 27.211386024367243    # eV
BOHR = 0.5291772105638411       # Angstrom

MOLECULES = [  # name, SMILES (rMD17's ten molecules)
    ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
    ("azobenzene", "c1ccc(cc1)/N=N/c1ccccc1"),
    ("benzene", "c1ccccc1"),
    ("ethanol", "CCO"),
    ("malonaldehyde", "O/C=C\\C=O"),
    ("naphthalene", "c1ccc2ccccc2c1"),
    ("paracetamol", "CC(=O)Nc1ccc(O)cc1"),
    ("salicylic_acid", "OC(=O)c1ccccc1O"),
    ("toluene", "Cc1ccccc1"),
    ("uracil", "O=c1cc[nH]c(=O)[nH]1"),
]
SYMBOLS = {1: "H", 6: "C", 7: "N", 8: "O"}
Z_OF = {v: k for k, v in SYMBOLS.items()}

TEMPERATURES = (300, 600)
DUMP_FS = 10.0          # one frame every 10 fs
SKIP_FRAMES = 50        # first 0.5 ps: equilibration
KEEP_FRAMES = 800       # 8 ps per trajectory
N_DISPLACED = 200       # per trajectory
DISPLACEMENT = 0.04     # Angstrom, standard deviation per Cartesian component
SEGMENT = 40            # frames per segment
TEST_SEGMENTS = (4, 14)
VAL_SEGMENTS = (9, 19)

XTB_ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMP_STACKSIZE="1G")


def write_xyz(path, numbers, pos, comment=""):
    with open(path, "w") as f:
        f.write("%d\n%s\n" % (len(numbers), comment))
        for z, p in zip(numbers, pos):
            f.write("%-2s %s\n" % (SYMBOLS[int(z)], " ".join(repr(float(x)) for x in p)))


def read_xyz_frames(path):
    """All frames of an xyz/trj file: list of (numbers, positions[N,3])."""
    frames = []
    with open(path) as f:
        lines = f.read().splitlines()
    k = 0
    while k < len(lines) and lines[k].strip():
        n = int(lines[k])
        rows = [lines[k + 2 + a].split() for a in range(n)]
        numbers = np.array([Z_OF[r[0].capitalize()] for r in rows])
        pos = np.array([[float(x) for x in r[1:4]] for r in rows])
        frames.append((numbers, pos))
        k += n + 2
    return frames


def xtb(args, cwd, log):
    with open(os.path.join(cwd, log), "w") as out:
        subprocess.run(["xtb"] + args, cwd=cwd, env=XTB_ENV, stdout=out,
                       stderr=subprocess.STDOUT, check=True)


def single_point(numbers, pos, cwd):
    """GFN2-xTB energy (eV) and forces (eV/A) at pos (float64 values of float32 numbers)."""
    for name in ("sp.engrad", "xtbrestart", "gradient", "energy", "charges", "wbo"):
        if os.path.exists(os.path.join(cwd, name)):
            os.remove(os.path.join(cwd, name))
    write_xyz(os.path.join(cwd, "sp.xyz"), numbers, pos)
    xtb(["sp.xyz", "--gfn", "2", "--grad", "--acc", "0.2", "--norestart"], cwd, "sp.log")
    with open(os.path.join(cwd, "sp.engrad")) as f:
        vals = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    n = int(vals[0])
    assert n == len(numbers)
    energy = float(vals[1]) * HARTREE
    grad = np.array([float(v) for v in vals[2:2 + 3 * n]]).reshape(n, 3)
    return energy, -grad * HARTREE / BOHR


def initial_geometry(smiles, seed):
    from rdkit import Chem
    from rdkit.Chem import AllChem
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    assert AllChem.EmbedMolecule(mol, params) == 0
    AllChem.MMFFOptimizeMolecule(mol)
    numbers = np.array([a.GetAtomicNum() for a in mol.GetAtoms()])
    pos = mol.GetConformer().GetPositions()
    return numbers, pos


def md_input(temp):
    return "\n".join(["$md", "   temp=%d" % temp,
                      "   time=%.3f" % ((SKIP_FRAMES + KEEP_FRAMES) * DUMP_FS / 1000.0),
                      "   dump=%.1f" % DUMP_FS, "   step=0.5", "   velo=false", "   nvt=true",
                      "   hmass=1", "   shake=0", "   sccacc=1.0", "$end", ""])


def molecule_data(task):
    """Runs everything for one molecule; returns the path of its npz."""
    index, (name, smiles), workdir, seed = task
    wd = os.path.join(workdir, name)
    done = os.path.join(wd, "data.npz")
    if os.path.exists(done):
        return done
    os.makedirs(wd, exist_ok=True)
    t0 = time.time()
    log = lambda msg: print("[%s %6.0fs] %s" % (name, time.time() - t0, msg), flush=True)

    # 1. Geometry: RDKit, then xtb tight optimisation.
    numbers, pos = initial_geometry(smiles, seed + index)
    opt_dir = os.path.join(wd, "opt")
    os.makedirs(opt_dir, exist_ok=True)
    write_xyz(os.path.join(opt_dir, "start.xyz"), numbers, pos)
    xtb(["start.xyz", "--gfn", "2", "--opt", "tight"], opt_dir, "opt.log")
    numbers, opt_pos = read_xyz_frames(os.path.join(opt_dir, "xtbopt.xyz"))[0]
    log("optimised, %d atoms" % len(numbers))

    # 2. MD at each temperature.
    rng = np.random.default_rng(seed * 1000 + index)
    configs = []  # (positions, source, segment, frame)
    for t_index, temp in enumerate(TEMPERATURES):
        md_dir = os.path.join(wd, "md%d" % temp)
        os.makedirs(md_dir, exist_ok=True)
        trj = os.path.join(md_dir, "xtb.trj")
        if not os.path.exists(os.path.join(md_dir, "xtbmdok")):
            shutil.copy(os.path.join(opt_dir, "xtbopt.xyz"), os.path.join(md_dir, "start.xyz"))
            with open(os.path.join(md_dir, "md.inp"), "w") as f:
                f.write(md_input(temp))
            xtb(["start.xyz", "--gfn", "2", "--md", "--input", "md.inp"], md_dir, "md.log")
        frames = read_xyz_frames(trj)[SKIP_FRAMES:SKIP_FRAMES + KEEP_FRAMES]
        assert len(frames) == KEEP_FRAMES, (name, temp, len(frames))
        for k, (z, p) in enumerate(frames):
            assert (z == numbers).all()
            configs.append((p, t_index, k // SEGMENT, k))
        # 3. Random displacements of randomly chosen frames of this trajectory.
        for k in np.sort(rng.choice(KEEP_FRAMES, N_DISPLACED, replace=False)):
            p = frames[k][1] + rng.normal(0.0, DISPLACEMENT, size=frames[k][1].shape)
            configs.append((p, 2 + t_index, k // SEGMENT, k))
        log("MD %d K done" % temp)

    # 4. Single points at float32-rounded positions.
    sp_dir = os.path.join(wd, "sp")
    os.makedirs(sp_dir, exist_ok=True)
    P, E, F = [], [], []
    for c, (p, _, _, _) in enumerate(configs):
        p32 = p.astype(np.float32)
        e, f = single_point(numbers, p32.astype(np.float64), sp_dir)
        P.append(p32)
        E.append(e)
        F.append(f.astype(np.float32))
        if (c + 1) % 500 == 0:
            log("%d / %d single points" % (c + 1, len(configs)))
    np.savez(done + ".tmp.npz", numbers=numbers.astype(np.int8), opt_positions=opt_pos,
             positions=np.array(P), forces=np.array(F), energy=np.array(E),
             source=np.array([c[1] for c in configs], dtype=np.int8),
             segment=np.array([c[2] for c in configs], dtype=np.int16),
             frame=np.array([c[3] for c in configs], dtype=np.int16))
    os.replace(done + ".tmp.npz", done)
    log("done: %d configurations" % len(configs))
    return done


def split_of(segment):
    if segment in TEST_SEGMENTS:
        return "test"
    if segment in VAL_SEGMENTS:
        return "val"
    return "train"


def assemble(paths, out_dir):
    """Concatenates the molecules into train/val/test npz files (flat atom arrays)."""
    names = [m[0] for m in MOLECULES]
    parts = {s: {k: [] for k in ("numbers", "positions", "forces", "energy", "n_atoms",
                                 "molecule", "source", "segment", "frame")}
             for s in ("train", "val", "test")}
    for mol_index, path in enumerate(paths):
        with np.load(path) as z:
            d = {k: z[k] for k in z.files}
        n = len(d["numbers"])
        for c in range(len(d["energy"])):
            s = parts[split_of(int(d["segment"][c]))]
            s["numbers"].append(d["numbers"])
            s["positions"].append(d["positions"][c])
            s["forces"].append(d["forces"][c])
            s["energy"].append(d["energy"][c])
            s["n_atoms"].append(n)
            s["molecule"].append(mol_index)
            for key in ("source", "segment", "frame"):
                s[key].append(d[key][c])
    os.makedirs(out_dir, exist_ok=True)
    for split, s in parts.items():
        np.savez_compressed(
            os.path.join(out_dir, split + ".npz"),
            names=np.array(names), numbers=np.concatenate(s["numbers"]).astype(np.int8),
            positions=np.concatenate(s["positions"]).astype(np.float32),
            forces=np.concatenate(s["forces"]).astype(np.float32),
            energy=np.array(s["energy"], dtype=np.float64),
            n_atoms=np.array(s["n_atoms"], dtype=np.int32),
            molecule=np.array(s["molecule"], dtype=np.int8),
            source=np.array(s["source"], dtype=np.int8),
            segment=np.array(s["segment"], dtype=np.int16),
            frame=np.array(s["frame"], dtype=np.int16))
        print("%-5s %6d configurations" % (split, len(s["energy"])))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/xtb-work")
    ap.add_argument("--out", default=os.path.join(here, "..", "data"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20250)
    ap.add_argument("--only", nargs="*", help="molecule names (default: all ten)")
    args = ap.parse_args()
    if shutil.which("xtb") is None:
        sys.exit("xtb not found (apt-get install xtb)")
    tasks = [(i, m, os.path.abspath(args.workdir), args.seed) for i, m in enumerate(MOLECULES)
             if not args.only or m[0] in args.only]
    # Largest molecules first so the two workers finish at about the same time.
    order = sorted(tasks, key=lambda t: -len(initial_geometry(t[1][1], 0)[0]))
    t0 = time.time()
    with multiprocessing.Pool(args.jobs) as pool:
        done = dict(zip([t[0] for t in order], pool.map(molecule_data, order, chunksize=1)))
    print("all molecules done in %.0f s" % (time.time() - t0))
    if len(done) == len(MOLECULES):
        assemble([done[i] for i in range(len(MOLECULES))], args.out)


if __name__ == "__main__":
    main()
