"""Training curve from history.json (train.py) as a PNG.

    /usr/bin/python3 weights/recipe/plot_curve.py history.json weights/training-curve.png
"""

import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        h = json.load(f)["history"]
    ep = [e["epoch"] for e in h]
    val = [e for e in h if "val_force_mae" in e]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.semilogy(ep, [e["train_force_mae"] for e in h], label="train (running, per epoch)", lw=1)
    ax1.semilogy([e["epoch"] for e in val], [e["val_force_mae"] for e in val], "o-", ms=3,
                 label="validation (EMA weights)")
    ax1.axhline(0.05, color="gray", ls=":", lw=1, label="target 0.05 eV/Å")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("force MAE (eV/Å)")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.grid(True, which="both", alpha=0.3)
    lr = ax1.twinx()
    lr.semilogy(ep, [e["lr"] for e in h], color="gray", lw=0.8, alpha=0.6)
    lr.set_ylabel("learning rate", color="gray")
    ax2.semilogy(ep, [1000 * e["train_energy_mae_per_atom"] for e in h], label="train (running)", lw=1)
    ax2.semilogy([e["epoch"] for e in val], [1000 * e["val_energy_mae_per_atom"] for e in val],
                 "o-", ms=3, label="validation (EMA weights)")
    ax2.axhline(10, color="gray", ls=":", lw=1, label="target 10 meV/atom")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("energy MAE (meV/atom)")
    ax2.legend(loc="upper right", fontsize=8)
    ax2.grid(True, which="both", alpha=0.3)
    fig.suptitle("painn-xtb-organic: training against GFN2-xTB (10 molecules)")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
