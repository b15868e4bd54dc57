#!/usr/bin/env python3
"""Rows of the Diehl & Cook table from run summaries alone.

    python3 scripts/dc_table.py DIR [DIR ...]

Finds every `summary.json` under the given directories (run directories,
grid output directories, or `results/`), groups the runs by the settings
that define a row (rule, neurons, θ_plus, w_ie, τ_θ, integrator, count
window, training examples, evaluation set) and prints one Markdown row per
group: mean ± sample std over seeds of the vote's and the ridge readout's
accuracy, with the spikes and showings per example, θ after training and
the neurons at the resting edge (θ ≤ 11 mV) with the share of the labelling
spikes fired by the most active 1 % of neurons ("—" in summaries written
before these existed).
Standard library only.
"""

import json
import statistics
import sys
from pathlib import Path

KEY = ("rule", "n_exc", "theta_plus_mv", "w_ie", "tau_theta_ms", "integrator",
       "count_window", "train_examples", "evaluated_on")


def mean_std(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    if len(xs) == 1:
        return f"{xs[0]:.2f}"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}"


def edge(g, key, fmt):
    xs = [s[key] for s in g if key in s]
    return fmt.format(statistics.mean(xs)) if len(xs) == len(g) else "—"


def main(dirs):
    runs = []
    for d in dirs:
        for p in sorted(Path(d).rglob("summary.json")):
            s = json.loads(p.read_text())
            if "theta_plus_mv" not in s:
                continue  # written before the settings were recorded
            runs.append(s)
    groups = {}
    for s in runs:
        groups.setdefault(tuple(s.get(k) for k in KEY), []).append(s)
    print("| rule | neurons | θ_plus (mV) | w_ie | τ_θ (ms) | integrator | count window | training | on | seeds "
          "| vote accuracy (%) | ridge accuracy (%) | spikes / example | showings / example "
          "| θ mean / median / min / max (mV) | at the resting edge | top 1 % spike share |")
    print("| " + " | ".join(["---"] * 17) + " |")
    for key, g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        seeds = sorted(s["seed"] for s in g)
        theta = " / ".join(f"{statistics.mean(s[k] for s in g):.1f}" for k in
                           ("theta_mean_mv", "theta_median_mv", "theta_min_mv", "theta_max_mv"))
        print("| " + " | ".join(str(x) for x in key) + f" | {','.join(map(str, seeds))} | "
              f"{mean_std([s['accuracy_percent'] for s in g])} | "
              f"{mean_std([s.get('ridge_accuracy_percent') for s in g])} | "
              f"{statistics.mean(s['spikes_per_example'] for s in g):.1f} | "
              f"{statistics.mean(s['showings_per_example'] for s in g):.2f} | {theta} | "
              f"{edge(g, 'theta_edge_neurons', '{:.0f}')} | "
              f"{edge(g, 'label_spike_share_top1pct', '{:.2f}')} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
