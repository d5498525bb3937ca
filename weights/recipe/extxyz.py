"""Minimal extended-XYZ reading and writing (ASE's layout) for the recipe's scripts."""

import shlex

import numpy as np

SYMBOLS = {1: "H", 6: "C", 7: "N", 8: "O"}
Z_OF = {v: k for k, v in SYMBOLS.items()}


def read(path):
    """List of frames: dict(info=..., numbers, positions, forces or None, energy or None)."""
    frames = []
    with open(path) as f:
        lines = f.read().splitlines()
    k = 0
    while k < len(lines) and lines[k].strip():
        n = int(lines[k])
        info = {}
        for item in shlex.split(lines[k + 1]):
            key, _, value = item.partition("=")
            info[key] = value
        props = info.get("Properties", "species:S:1:pos:R:3").split(":")
        cols, c = {}, 0
        for name, _, count in zip(props[0::3], props[1::3], props[2::3]):
            cols[name] = (c, c + int(count))
            c += int(count)
        rows = [lines[k + 2 + a].split() for a in range(n)]
        get = lambda name: np.array([[float(x) for x in r[cols[name][0]:cols[name][1]]]
                                     for r in rows])
        frames.append({"info": info,
                       "numbers": np.array([Z_OF[r[cols["species"][0]]] for r in rows]),
                       "positions": get("pos"),
                       "forces": get("forces") if "forces" in cols else None,
                       "energy": float(info["energy"]) if "energy" in info else None})
        k += n + 2
    return frames


def write(path, frames):
    """frames: dicts with numbers, positions, optional forces, energy, info (str -> str)."""
    fmt = lambda x: repr(float(x))
    with open(path, "w") as f:
        for fr in frames:
            forces = fr.get("forces")
            head = ["Properties=species:S:1:pos:R:3" + (":forces:R:3" if forces is not None else "")]
            head += ["%s=%s" % (k, v) for k, v in fr.get("info", {}).items()]
            if fr.get("energy") is not None:
                head.append("energy=" + fmt(fr["energy"]))
            head.append('pbc="F F F"')
            f.write("%d\n%s\n" % (len(fr["numbers"]), " ".join(head)))
            for a, z in enumerate(fr["numbers"]):
                cols = [fmt(x) for x in fr["positions"][a]]
                if forces is not None:
                    cols += [fmt(x) for x in forces[a]]
                f.write("%-2s %s\n" % (SYMBOLS[int(z)], " ".join("%24s" % c for c in cols)))
