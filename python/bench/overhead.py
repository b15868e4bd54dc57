"""Per-call cost of ExpStdpSynapse.advance_state and .evolve from Python,
beside the same component calls made from Rust on the same inputs
(examples/component_timing.rs), at 784x400 and 784x6400, B = 1 and 64.

    OPENBLAS_NUM_THREADS=1 ~/.cache/stdp-py/bin/python python/bench/overhead.py DIR
    OPENBLAS_NUM_THREADS=1 cargo run --release --example component_timing -- DIR

Inputs as benches/evolve.rs draws them: spikes at 1 % (pre) and 0.5 % (post),
traces 1 on a spike else uniform [0, 1) for 30 % of the units; 16 draws,
cycled. The script writes them to DIR/<case>.npz for the Rust side and
prints a Markdown table of medians (µs per call).
"""
import pathlib
import sys
import time

import numpy as np

import stdp_harness as sh

CASES = [(400, 1), (400, 64), (6400, 1), (6400, 64)]
DRAWS = 16


def draw(rng, b, n, rate):
    s = (rng.random((b, n)) < rate).astype(np.float32)
    tr = np.where(rng.random((b, n)) < 0.3, rng.random((b, n)), 0.0).astype(np.float32)
    return s, np.where(s > 0, np.float32(1.0), tr)


def median_us(f, calls):
    times = []
    for k in range(calls):
        t0 = time.perf_counter_ns()
        f(k)
        times.append(time.perf_counter_ns() - t0)
    return np.median(times) / 1e3


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, b in CASES:
        rng = np.random.default_rng(n * 1000 + b)
        pre, x_pre = zip(*(draw(rng, b, 784, 0.01) for _ in range(DRAWS)))
        post, x_post = zip(*(draw(rng, b, n, 0.005) for _ in range(DRAWS)))
        name = f"784x{n}_b{b}"
        np.savez(out / f"{name}.npz", pre=np.stack(pre), x_pre=np.stack(x_pre),
                 post=np.stack(post), x_post=np.stack(x_post))
        syn = sh.ExpStdpSynapse("exc", (784, n), eta=1e-3, seed=0)
        calls = 2000 if n == 400 else 300

        def advance(k):
            syn.advance_state(pre[k % DRAWS])

        def evolve(k):
            syn.set("out", post[k % DRAWS])
            syn.evolve(x_pre=x_pre[k % DRAWS], x_post=x_post[k % DRAWS])

        syn.set("in", pre[0])
        median_us(advance, calls // 10)  # warm-up
        adv = median_us(advance, calls)
        evo = median_us(evolve, calls)
        rows.append((name, adv, evo))
    print("| case | advance_state (µs) | evolve (µs) |")
    print("| --- | --- | --- |")
    for name, adv, evo in rows:
        print(f"| {name} | {adv:.1f} | {evo:.1f} |")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/stdp-overhead"))
