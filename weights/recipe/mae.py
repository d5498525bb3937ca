"""Per-molecule errors of a model against the teacher, from two extended-XYZ files.

    /usr/bin/python3 weights/recipe/mae.py test.extxyz out.extxyz

test.extxyz holds the GFN2-xTB energies and forces (to_extxyz.py), out.extxyz the
same frames as written by `painn4j energy`. Prints a Markdown table: energy MAE
per atom (meV/atom), energy MAE per molecule (meV), force MAE over Cartesian
components (eV/A), force RMSE (eV/A), and the frame count.
"""

import sys

import numpy as np

import extxyz


def main():
    ref, pred = extxyz.read(sys.argv[1]), extxyz.read(sys.argv[2])
    assert len(ref) == len(pred), "frame counts differ"
    rows = {}
    for r, p in zip(ref, pred):
        assert np.array_equal(r["numbers"], p["numbers"])
        assert np.abs(r["positions"] - p["positions"]).max() < 1e-9, "positions differ"
        n = len(r["numbers"])
        acc = rows.setdefault(r["info"].get("molecule", "all"), {"de": [], "dea": [], "df": []})
        acc["de"].append(abs(p["energy"] - r["energy"]))
        acc["dea"].append(abs(p["energy"] - r["energy"]) / n)
        acc["df"].append((p["forces"] - r["forces"]).ravel())
    print("| molecule | frames | energy MAE (meV/atom) | energy MAE (meV) | force MAE (eV/Å) | force RMSE (eV/Å) |")
    print("|---|---:|---:|---:|---:|---:|")
    total = {"de": [], "dea": [], "df": []}
    for name in sorted(rows) + ["all"]:
        acc = total if name == "all" else rows[name]
        df = np.concatenate(acc["df"])
        print("| %s | %d | %.2f | %.1f | %.4f | %.4f |"
              % (name, len(acc["de"]), 1000 * np.mean(acc["dea"]), 1000 * np.mean(acc["de"]),
                 np.mean(np.abs(df)), np.sqrt(np.mean(df * df))))
        if name != "all":
            for k in total:
                total[k] += acc[k]


if __name__ == "__main__":
    main()
