"""The model card's stability check: a 10 ps NVE run at 300 K of each molecule with painn4j.

    /usr/bin/python3 weights/recipe/nve.py "java -jar target/painn4j.jar" weights/data/test.npz OUT_DIR \
        [--device gpu] [--precision float64] [--steps 20000] [--equilibrate 4000]

For each of the ten molecules it starts from the first 300 K MD frame of the test split,
equilibrates it with Langevin dynamics at 300 K (friction 0.02/fs, seed 1), then runs NVE
(velocity Verlet, 0.5 fs) from the last equilibrated frame, its momenta included, with
`painn4j md` and the shipped model, and reads the energy drift (meV/atom/ps, a linear fit of the
total energy) and the mean temperature from the summary. "Stays bonded": every pair closer than 1.7 A at the start (the covalent bonds of these
molecules) is never stretched past 1.5 times its starting length, and no two atoms that were
not bonded come closer than 0.8 A. Prints a Markdown table.
"""

import argparse
import os
import re
import shlex
import subprocess

import numpy as np

import extxyz


def bonds_ok(frames):
    first = frames[0]["positions"]
    n = len(first)
    d0 = np.linalg.norm(first[:, None, :] - first[None, :, :], axis=-1)
    bonded = (d0 < 1.7) & ~np.eye(n, dtype=bool)
    worst_stretch, closest_other = 0.0, np.inf
    for fr in frames:
        p = fr["positions"]
        d = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)
        worst_stretch = max(worst_stretch, float((d[bonded] / d0[bonded]).max()))
        others = ~bonded & ~np.eye(n, dtype=bool)
        if others.any():
            closest_other = min(closest_other, float(d[others].min()))
    return worst_stretch, closest_other


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("java")
    ap.add_argument("npz")
    ap.add_argument("out")
    ap.add_argument("--device", default="gpu")
    ap.add_argument("--precision", default="float64")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--equilibrate", type=int, default=4000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    d = np.load(a.npz)
    names = [str(x) for x in d["names"]]
    off = np.concatenate([[0], np.cumsum(d["n_atoms"])])
    model = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "painn-xtb-organic.safetensors")
    rows = []
    for m, name in enumerate(names):
        c = next(k for k in range(len(d["energy"])) if d["molecule"][k] == m and d["source"][k] == 0)
        start = {"numbers": d["numbers"][off[c]:off[c + 1]],
                 "positions": d["positions"][off[c]:off[c + 1]].astype(np.float64), "info": {}}
        inp = os.path.join(a.out, name + "-start.extxyz")
        extxyz.write(inp, [start])
        common = shlex.split(a.java) + ["md", "--model", model, "--dt", "0.5", "--interval", "100",
                                        "--device", a.device, "--precision", a.precision]
        eq_log, eq_traj = os.path.join(a.out, name + "-eq.log"), os.path.join(a.out, name + "-eq.extxyz")
        run = subprocess.run(common + ["--input", inp, "--steps", str(a.equilibrate), "--thermostat", "langevin",
                                       "--temperature", "300", "--friction", "0.02", "--seed", "1",
                                       "--log", eq_log, "--trajectory", eq_traj], capture_output=True, text=True)
        if run.returncode != 0:
            rows.append((name, len(start["numbers"]), "equilibration failed: " + run.stderr.strip(), "", "", "", ""))
            continue
        # the last frame, momenta included, starts the NVE run
        with open(eq_traj) as f:
            lines = f.read().splitlines()
        n = len(start["numbers"])
        nve_in = os.path.join(a.out, name + "-nve-start.extxyz")
        with open(nve_in, "w") as f:
            f.write("\n".join(lines[-(n + 2):]) + "\n")
        log, traj = os.path.join(a.out, name + ".log"), os.path.join(a.out, name + ".extxyz")
        run = subprocess.run(common + ["--input", nve_in, "--steps", str(a.steps), "--log", log, "--trajectory", traj],
                             capture_output=True, text=True)
        if run.returncode != 0:
            rows.append((name, n, "failed: " + run.stderr.strip(), "", "", "", ""))
            continue
        drift = re.search(r"energy drift ([-+0-9.e]+) meV/atom/ps", run.stdout)
        temp = re.search(r"mean T ([0-9.]+) K", run.stdout)
        speed = re.search(r"([0-9.]+) steps/s", run.stdout)
        stretch, closest = bonds_ok(extxyz.read(traj))
        rows.append((name, n, drift.group(1) if drift else "?", temp.group(1) if temp else "?", "%.2f" % stretch,
                     "%.2f" % closest, speed.group(1) if speed else "?"))
    print("| molecule | atoms | drift (meV/atom/ps) | mean T (K) | largest bond stretch | closest non-bonded (A) | steps/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")


if __name__ == "__main__":
    main()
