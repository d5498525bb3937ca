"""Compares painn4j's output with the recipe's own model evaluated in float64.

    /usr/bin/python3 weights/recipe/check_consistency.py MODEL.safetensors in.extxyz painn4j_out.extxyz [N]

Loads the exported (float32) weights into the recipe's PaiNN module in float64,
computes energies and autograd forces for N frames (default 20) spread evenly over
in.extxyz, and prints the largest differences from the painn4j results. Where the
repository's independent reference (tests-gradcheck/reference/painn_reference.py)
is present, it is compared too.
"""

import os

import sys

import numpy as np
import torch

import extxyz
import painn


def main():
    model_path, inp, out = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    model, _ = painn.load(model_path, torch.float64)
    frames, results = extxyz.read(inp), extxyz.read(out)
    picks = np.unique(np.linspace(0, len(frames) - 1, n).round().astype(int))
    frames, results = [frames[k] for k in picks], [results[k] for k in picks]
    de_max = df_max = f_max = 0.0
    for fr, res in zip(frames, results):
        pos = torch.tensor(fr["positions"], dtype=torch.float64)
        i, j = painn.neighbor_pairs(fr["positions"], model.cutoff)
        z = torch.tensor(fr["numbers"], dtype=torch.long)
        e, f = painn.energy_and_forces(model, z, pos, torch.tensor(i), torch.tensor(j),
                                       torch.zeros(len(z), dtype=torch.long), 1)
        de_max = max(de_max, abs(float(e[0]) - res["energy"]))
        df_max = max(df_max, float(np.abs(f.numpy() - res["forces"]).max()))
        f_max = max(f_max, float(np.abs(res["forces"]).max()))
    print("%d frames: max |E_recipe - E_painn4j| = %.3e eV, max |F_recipe - F_painn4j| = %.3e eV/A"
          " (max |F| = %.2f eV/A)" % (len(frames), de_max, df_max, f_max))

    ref_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                           "tests-gradcheck", "reference")
    if os.path.exists(os.path.join(ref_dir, "painn_reference.py")):
        sys.path.insert(0, ref_dir)
        import painn_reference as ref
        m = ref.load_model(model_path)
        de_max = df_max = 0.0
        for fr, res in zip(frames, results):
            r = ref.evaluate(m, fr["numbers"].tolist(), fr["positions"].tolist(), None, [False] * 3)
            de_max = max(de_max, abs(r["energy"] - res["energy"]))
            df_max = max(df_max, float(np.abs(r["forces"].numpy() - res["forces"]).max()))
        print("%d frames: max |E_reference - E_painn4j| = %.3e eV, max |F_reference - F_painn4j| = %.3e eV/A"
              % (len(frames), de_max, df_max))


if __name__ == "__main__":
    main()
