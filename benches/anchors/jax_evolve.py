"""Times the ExpSTDPSynapse rule in JAX/XLA on this machine, next to our criterion benches.

The rule is written from its specification (tests/golden/expstdp/README.md), in
the seed's order: three batch products, two exponentials, elementwise update,
optional row normalisation, clip. Inputs follow the same statistics as
benches/evolve.rs (spikes at 1 % pre / 0.5 % post, traces 1 on a spike, else
uniform in [0, 1) for 30 % of units). Prints one markdown row per case with the
median over repeated calls.

Usage (one XLA thread, as in ANCHORS.md):
    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        python benches/anchors/jax_evolve.py
"""
import time

import jax
import jax.numpy as jnp
import numpy as np


def evolve(pre, x_pre, post, x_post, W, w_bound, eta, x_tar, beta, a_plus, a_minus):
    P = x_pre.T @ post
    Q = (x_tar * jnp.ones_like(x_pre)).T @ post
    R = pre.T @ x_post
    e = jnp.exp(-beta * W)
    e2 = jnp.exp(-beta * (w_bound - W))
    dW = a_plus * (e * P - e2 * Q)
    dW = jnp.where(a_minus > 0, dW - a_minus * e * R, dW)
    return jnp.clip(W + eta * dW, 0.01, w_bound)


def layer(pre, W):
    return pre @ W


def inputs(rng, b, n, rate, spikes=True):
    if not spikes:
        u = rng.random((b, n), dtype=np.float32)
        return u, rng.random((b, n), dtype=np.float32)
    s = (rng.random((b, n)) < rate).astype(np.float32)
    x = np.where(rng.random((b, n)) < 0.3, rng.random((b, n)), 0.0).astype(np.float32)
    return s, np.where(s > 0, 1.0, x).astype(np.float32)


def median_ms(f, args, reps):
    out = f(*args)
    jax.block_until_ready(out)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        jax.block_until_ready(f(*args))
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def main():
    rng = np.random.default_rng(0)
    ev = jax.jit(evolve)
    ly = jax.jit(layer)
    print("| case | JAX evolve (ms) | JAX compute_layer (ms) |")
    print("| --- | --- | --- |")
    cases = [(784, n, b, "", 0.0, True) for n in (100, 400, 1600, 6400) for b in (1, 64)]
    cases += [(784, 6400, 1, "/aminus", 0.5, True), (784, 6400, 1, "/analog", 0.0, False)]
    for n_in, n_out, b, tag, a_minus, spikes in cases:
        pre, x_pre = inputs(rng, b, n_in, 0.01, spikes)
        post, x_post = inputs(rng, b, n_out, 0.005, spikes)
        W = rng.uniform(0.025, 0.8, (n_in, n_out)).astype(np.float32)
        args = [jnp.asarray(a) for a in (pre, x_pre, post, x_post, W)]
        params = [jnp.float32(v) for v in (1.0, 5e-5, 0.7, 1.0, 1.0, a_minus)]
        reps = 200 if n_out <= 400 else 50
        t_ev = median_ms(ev, args + params, reps)
        t_ly = median_ms(ly, [args[0], args[4]], reps)
        print(f"| {n_in}x{n_out}/b{b}{tag} | {t_ev:.3f} | {t_ly:.3f} |")


if __name__ == "__main__":
    main()
