#!/usr/bin/env python3
"""Latency of energy + forces against atom count: painn4j on the H100, the machine the targets name
(bench/h100-latency-final.json, written by `painn4j bench --json`), the same code on an H200
(bench/h200-latency.json; the same chip, with faster memory), its first version
(bench/h100-latency-first.json, H100) and the PyTorch numbers measured on the H100.
Writes performance.png.
Run from docs/: python3 plot_performance.py (needs matplotlib)."""
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

with open("bench/h100-latency-final.json") as f:
    now = json.load(f)["results"]
with open("bench/h200-latency.json") as f:
    h200 = json.load(f)["results"]
with open("bench/h100-latency-first.json") as f:
    first = json.load(f)["results"]

# PyTorch 2.11, schnetpack formulas, F=128, L=3, K=20, rc=5 Å, float32, energy+forces (µs)
torch_atoms = [21, 1024, 16384]
torch = {
    "PyTorch eager autograd (H100)": [8048, 7180, 68681],
    "PyTorch CUDA graph (H100)": [862, 4354, 64066],
    "torch.compile (reduce-overhead, H100)": [1400, 2069, None],
}

fig, ax = plt.subplots(figsize=(7, 4.5))
for label, rows, style in [("painn4j float32 (H100)", now, "o-"), ("painn4j float64 (H100)", now, "s-"),
                           ("painn4j float32 (H200)", h200, "x:"),
                           ("painn4j float32, first version (H100)", first, "o:")]:
    precision = "float64" if "float64" in label else "float32"
    pts = [(r["atoms"], r["median_us"]) for r in rows if r["precision"] == precision]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
for label, values in torch.items():
    pts = [(a, v) for a, v in zip(torch_atoms, values) if v is not None]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "^--", label=label)
ax.plot([21, 1024, 16384], [30, 200, 6000], "k*", markersize=10, label="targets")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("atoms (random H/C/N/O clusters, 0.08 atoms/Å³)")
ax.set_ylabel("energy + forces, median µs per call")
ax.set_title("One H100: latency of one evaluation")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig("performance.png", dpi=120)
print("wrote performance.png")
