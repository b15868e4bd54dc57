#!/usr/bin/env python3
"""Resting-edge figures of finished Diehl & Cook runs, from `result.h5` alone.

    ~/.cache/stdp-py/bin/python scripts/label_spike_share.py RUN_DIR [RUN_DIR ...]

Per run: the share of the labelling responses fired by the most active 1 %
of the excitatory neurons, from `label_rates` (mean spikes per labelling
example of each class, summed over the classes: close to, not exactly, the
spike share that summaries written from commit cfc173e on hold as
`label_spike_share_top1pct`), the share of the top ten neurons, θ's 1st
percentile and the neurons at the resting edge (θ <= 11 mV). For runs
whose summaries predate those keys. Needs numpy and h5py.
"""

import sys

import h5py
import numpy as np


def main(dirs):
    for d in dirs:
        with h5py.File(f"{d}/result.h5", "r") as f:
            totals = f["label_rates"][:].sum(axis=1)
            theta = f["theta"][:]
        top = max(1, -(-len(totals) // 100))
        ranked = np.sort(totals)[::-1]
        print(f"{d}: top 1 % share {ranked[:top].sum() / totals.sum():.2f}, "
              f"top 10 share {ranked[:10].sum() / totals.sum():.2f}, "
              f"theta 1st percentile {np.percentile(theta, 1):.1f} mV, "
              f"{int((theta <= 11.0).sum())} neurons at theta <= 11 mV")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
