"""Writes a split (npz from make_data.py) as extended XYZ with the GFN2-xTB energy and forces.

    /usr/bin/python3 weights/recipe/to_extxyz.py weights/data/test.npz test.extxyz

Each frame carries molecule=<name>, source (md300, md600, displaced300,
displaced600), segment and frame (index in its trajectory) in its comment line.
"""

import sys

import numpy as np

import extxyz

SOURCES = ["md300", "md600", "displaced300", "displaced600"]


def main():
    src, dst = sys.argv[1:3]
    d = np.load(src)
    names = [str(x) for x in d["names"]]
    off = np.concatenate([[0], np.cumsum(d["n_atoms"])])
    frames = []
    for c in range(len(d["energy"])):
        a, b = off[c], off[c + 1]
        frames.append({"numbers": d["numbers"][a:b],
                       "positions": d["positions"][a:b].astype(np.float64),
                       "forces": d["forces"][a:b].astype(np.float64),
                       "energy": float(d["energy"][c]),
                       "info": {"molecule": names[d["molecule"][c]],
                                "source": SOURCES[d["source"][c]],
                                "segment": str(d["segment"][c]), "frame": str(d["frame"][c])}})
    extxyz.write(dst, frames)
    print("%d frames written to %s" % (len(frames), dst))


if __name__ == "__main__":
    main()
