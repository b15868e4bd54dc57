#!/usr/bin/env python3
"""Precision audit of the per-step factors and accumulators held in float32.

Regenerates every number in docs/numerics.md:

    python3 scripts/numerics_audit.py            # full run (about a minute)
    python3 scripts/numerics_audit.py --quick    # 10^5 instead of 10^6 steps in the
                                                 # driven simulations (same tables,
                                                 # smaller N where it says so)

Needs numpy (`pip install numpy`). Every float32 computation is done with
numpy float32 scalars or arrays, one IEEE operation at a time in the order the
Rust code does it (numpy does not set flush-to-zero, so subnormals behave as
in the Rust code without the floor; the floor itself, FLUSH_FLOOR = 1e-15, is
applied where the Rust code applies it). "Exact" means the same recursion in exact
real arithmetic (decimal.Decimal at 50 digits, or float64 where float64's own
error is at least 10^6 times smaller than the float32 error being measured).
`f32::exp` is taken from the C library's `expf` through ctypes (what Rust's
`f32::exp` calls on Linux); `exp_with` (src/math/expf.rs) is reproduced
operation by operation, with and without fused multiply-adds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import math
import os
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

try:
    import numpy as np
except ImportError:  # pragma: no cover
    sys.exit("numerics_audit.py needs numpy: pip install numpy (e.g. in a venv)")

getcontext().prec = 50
f32 = np.float32
U = 2.0**-24  # unit roundoff of float32
FLOOR = f32(1e-15)  # FLUSH_FLOOR, src/math/flush.rs
FLOOR_LABEL = "10⁻¹⁵"
FLOOR_OLD = f32(1e-30)  # the floor of the draft, kept for the census of "Subnormal floats"
TINY = float(np.finfo(np.float32).tiny)  # 1.18e-38, smallest normal
DENORM_MIN = float(np.finfo(np.float32).smallest_subnormal)  # 2^-149
QUICK = "--quick" in sys.argv
N = 10**6
N_DRIVEN = 10**5 if QUICK else 10**6
rng = np.random.default_rng(20150801)

# ---------------------------------------------------------------------------
# float32 building blocks


def _libm_expf():
    name = ctypes.util.find_library("m")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        fn = lib.expf
        fn.restype = ctypes.c_float
        fn.argtypes = [ctypes.c_float]
        return fn
    except (OSError, AttributeError):
        return None


_EXPF = _libm_expf()
EXPF_SOURCE = "libm expf (ctypes)" if _EXPF else "correctly rounded exp (no libm found)"


def expf(x) -> np.float32:
    """Rust's `f32::exp` (libm expf) of a float32."""
    if _EXPF:
        return f32(_EXPF(float(f32(x))))
    return rn32(Fraction(Decimal(float(f32(x))).exp()))


def rn32(q: Fraction) -> np.float32:
    """Correctly rounded float32 of an exact rational (ties to even)."""
    c = f32(float(q))
    best = None
    for cand in (np.nextafter(c, f32(-np.inf)), c, np.nextafter(c, f32(np.inf))):
        d = abs(Fraction(float(cand)) - q)
        key = (d, int(np.array(cand, dtype=f32).view(np.uint32)) & 1)
        if best is None or key < best[0]:
            best = (key, cand)
    return f32(best[1])


def fma32(a, b, c) -> np.float32:
    return rn32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


LOG2E = f32(1.4426950408889634)
ROUND_MAGIC = f32(12582912.0)
LN2_HI = f32(355.0 / 512.0)
LN2_LO = f32(-2.1219444e-4)
P = [f32(1.9875691e-4), f32(1.3981999e-3), f32(8.333452e-3), f32(4.1665796e-2),
     f32(1.6666665e-1), f32(0.5)]


def exp_with(x, fma: bool) -> np.float32:
    """src/math/expf.rs::exp_with, operation by operation."""
    xc = f32(min(max(f32(x), f32(-87.0)), f32(88.0)))
    madd = (lambda a, b, c: fma32(a, b, c)) if fma else (lambda a, b, c: f32(f32(a * b) + c))
    t = madd(xc, LOG2E, ROUND_MAGIC)
    n_bits = int(np.array(t, dtype=f32).view(np.int32)) - int(
        np.array(ROUND_MAGIC, dtype=f32).view(np.int32))
    n = f32(t - ROUND_MAGIC)
    if fma:
        r = fma32(n, -LN2_LO, fma32(n, -LN2_HI, xc))
    else:
        r = f32(f32(xc - f32(n * LN2_HI)) - f32(n * LN2_LO))
    p = madd(madd(madd(madd(madd(P[0], r, P[1]), r, P[2]), r, P[3]), r, P[4]), r, P[5])
    er = f32(madd(p, f32(r * r), r) + f32(1.0))
    scale = np.array((n_bits + 127) << 23, dtype=np.uint32).view(np.float32)
    return f32(er * scale)


def seq_product(x0, k, n, dtype):
    """x_j = x_{j-1} * k, j = 1..n, one rounding per step (sequential)."""
    a = np.empty(n + 1, dtype=dtype)
    a[0] = x0
    a[1:] = k
    return np.multiply.accumulate(a, dtype=dtype)


def seq_sum(x0, inc, n, dtype):
    a = np.empty(n + 1, dtype=dtype)
    a[0] = x0
    a[1:] = inc
    return np.add.accumulate(a, dtype=dtype)


def g(x, digits=3):
    """Compact scientific formatting."""
    if x == 0:
        return "0"
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    ax = abs(x)
    if 1e-3 <= ax < 1e5:
        return f"{x:.{digits + 1}g}"
    return f"{x:.{digits - 1}e}"


def full(x) -> str:
    """Shortest repr that round-trips in its own precision."""
    if isinstance(x, np.float32):
        return np.format_float_positional(x, unique=True, precision=None) if 1e-4 < abs(x) < 1e6 \
            else np.format_float_scientific(x, unique=True)
    return repr(float(x))


def table(header, rows):
    """A Markdown table; a `|` inside a cell is escaped."""
    cell = lambda c: str(c).replace("|", "\\|")
    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(cell(c) for c in r) + " |")
    return "\n".join(out)


def section(title):
    print()
    print(f"### {title}")
    print()


# ---------------------------------------------------------------------------
# Parameters of the shipped configs (src/neuron/lif.rs, src/synapse/dc_original.rs
# defaults, src/experiment/dc_config.rs, experiments/*.toml, src/config/raw.rs)

DT = f32(0.5)  # ms, DcParams::original
DT_HARNESS = 1.0  # ms, experiments/smoke.toml and the default of src/config/raw.rs

# ---------------------------------------------------------------------------
# 1. Multiplicative factors


class Decay:
    def __init__(self, where, qty, written, exact, k32, x0, label_x0):
        self.where, self.qty, self.written = where, qty, written
        self.exact = exact  # Decimal
        self.k32 = k32
        self.x0 = x0
        self.label_x0 = label_x0


def dec_exp(x: Decimal) -> Decimal:
    return x.exp()


decays = []
# lif.rs::integrate_body: `(1.0 - dt / p.tau_ge, 1.0 - dt / p.tau_gi)` in f32
for pop, tau_ge, tau_gi in (("exc/inh", 1.0, 2.0),):
    k_ge = f32(f32(1.0) - f32(DT / f32(tau_ge)))
    k_gi = f32(f32(1.0) - f32(DT / f32(tau_gi)))
    decays.append(Decay("`neuron/lif.rs::integrate_body`", "`ge` (both populations)",
                        "`1.0 - dt / p.tau_ge`, τ_ge 1 ms",
                        Decimal(1) - Decimal("0.5") / Decimal(1), k_ge, 1.0, "1 (a few input spikes)"))
    decays.append(Decay("`neuron/lif.rs::integrate_body`", "`gi` (excitatory population)",
                        "`1.0 - dt / p.tau_gi`, τ_gi 2 ms",
                        Decimal(1) - Decimal("0.5") / Decimal(2), k_gi, 17.0, "17 (one inhibitory spike, w_ie)"))
# dc_original.rs::DcStdp::new: `(-dt_ms / tau).exp()` in f32
for name, tau in (("`pre`", 20.0), ("`post1`", 20.0), ("`post2`", 40.0)):
    arg = f32(-DT / f32(tau))
    decays.append(Decay("`synapse/dc_original.rs::DcStdp::new` (applied in `DcStdp::begin_step`, `RuleColumns::learn`, `DcStdp::decay`)",
                        f"{name} trace (τ {tau:g} ms)", "`(-dt_ms / tau).exp()` (f32)",
                        dec_exp(-Decimal("0.5") / Decimal(tau)), expf(arg), 1.0, "1 (set on a spike)"))
# diehl_cook.rs::DiehlCook::with_weights: exp_stdp traces, f32 exp
for name, tau in (("`x_pre`", 20.0), ("`x_post`", 20.0)):
    arg = f32(-DT / f32(tau))
    decays.append(Decay("`network/diehl_cook.rs::DiehlCook::with_weights` (applied in `DiehlCook::learn_exp`)",
                        f"exp_stdp {name} trace (τ {tau:g} ms)", "`(-params.dt_ms / tau).exp()` (f32)",
                        dec_exp(-Decimal("0.5") / Decimal(tau)), expf(arg), 1.0, "1 (set on a spike)"))
# config/plan.rs::input_plan: `(-dt_ms / raw.tau_pre_ms).exp() as f32` (f64 exp, then rounded)
for name, tau in (("`x_pre`", 20.0), ("`x_post`", 20.0)):
    decays.append(Decay("`config/plan.rs::input_plan` (applied in `harness/instance.rs::Instance::draw`)",
                        f"harness {name} trace (dt 1 ms, τ {tau:g} ms)", "`(-dt_ms / tau).exp() as f32` (f64 exp)",
                        dec_exp(-Decimal(DT_HARNESS) / Decimal(tau)),
                        f32(math.exp(-DT_HARNESS / tau)), 1.0, "1 (set on a spike)"))


def factor_rows():
    rows = []
    for d in decays:
        exact = d.exact
        k32 = d.k32
        delta = float((Decimal(float(k32)) - exact) / exact)
        rows.append((d, delta))
    return rows


def lifetime(k32, exact: Decimal, x0: float, flush: bool, floor=FLOOR):
    """Iterates x <- x*k in float32 from x0 (flushing below `floor` when
    `flush`, as math/flush.rs::decay_flushed); returns (steps until the value
    is flushed to 0 / stops, max |x32 - x_exact| / x0, last value)."""
    x = f32(x0)
    n = 0
    worst = 0.0
    ex = Decimal(x0)
    while True:
        y = f32(x * k32)
        n += 1
        if flush and abs(y) < floor:
            y = f32(0.0)
        ex = ex * exact
        worst = max(worst, abs(float(Decimal(float(y)) - ex)) / x0)
        if y == 0 or y == x:
            return n, worst, y
        x = y


def subnormal_fate(k32, x0):
    x = f32(x0)
    n = 0
    first_sub = None
    while True:
        y = f32(x * k32)
        n += 1
        if first_sub is None and 0 < abs(y) < TINY:
            first_sub = n
        if y == 0:
            return first_sub, n, "reaches 0"
        if y == x:
            m = round(float(y) / DENORM_MIN)
            return first_sub, n, f"stops at {m}·2⁻¹⁴⁹ = {float(y):.1e}"
        x = y


def decay_table():
    section("Table 5. Multiplicative per-step factors (decays)")
    rows = []
    for d, delta in factor_rows():
        nd = N * delta
        n_floor, worst, _ = lifetime(d.k32, d.exact, 1.0, flush=True)
        rows.append([d.where, d.qty, d.written, full(float(d.exact)), full(d.k32), g(delta),
                     g(nd), f"n/a: < {FLOOR_LABEL} after {n_floor:,} steps from 1", g(worst)])
    kx = Decimal(1) - Decimal("0.5") / Decimal(10**7)
    k32 = f32(f32(1.0) - f32(DT / f32(1e7)))
    r64 = float(DT) / 1e7  # theta_decay_rate
    exact_n = Decimal(20) * kx**N
    s32 = seq_product(f32(20.0), k32, N, np.float32)[-1]
    x = 20.0
    for _ in range(N):
        x = x - x * r64
    d32 = float((Decimal(float(k32)) - kx) / kx)
    # the factor 1 − r64 that θ − θ·r64 applies before its own two roundings
    d64 = float((1 - Decimal(r64) - kx) / kx)
    rows.insert(0, ["`neuron/lif.rs::threshold_generic` (before the fix: f32 product)", "θ (τ_θ 10⁷ ms)",
                    "`θ·(1.0 - dt / a.tau_theta)` (f32)",
                    full(float(kx)), full(k32), g(d32), g(N * d32),
                    f"{g(float((Decimal(float(s32)) - exact_n) / exact_n))} (θ₀ = 20 mV)", "–"])
    rows.insert(1, ["`neuron/lif.rs::threshold_generic` (now, f64)", "θ (τ_θ 10⁷ ms)",
                    "`θ − θ·theta_decay_rate(dt, τ_θ)`, rate `f64::from(dt_ms) / tau_theta_ms` (f64)",
                    full(float(kx)), f"1 − {r64!r} (f64 rate)", g(d64),
                    g(N * d64), f"{g(float((Decimal(x) - exact_n) / exact_n))} (θ₀ = 20 mV)", "–"])
    print(table(["Where", "Quantity", "Factor as written", "Exact (f64)", "f32", "Rel. error of f32 factor δ",
                 "N·δ (N = 10⁶)", "Rel. error of state after 10⁶ steps",
                 "Max abs. error over the life / x₀ (from x₀ = 1, with the floor)"], rows))
    print()
    print("For the decaying quantities (all rows but θ) the state after 10⁶ steps is 0 in float32 and far")
    print(f"below {FLOOR_LABEL} in exact arithmetic, so its relative error is not meaningful; the last column")
    print("is the meaningful bound (closed form for the systematic part: δ/(e·|ln k|)).")
    closed = []
    for d, delta in factor_rows():
        closed.append(f"{d.qty}: δ/(e·|ln k|) = {g(abs(delta) / (math.e * abs(float(d.exact.ln()))))}")
    print()
    print("Closed forms: " + "; ".join(closed) + ".")


# ---------------------------------------------------------------------------
# 2. The adaptive threshold θ


THETA_TEST_GRID = (0.01, 0.5, 3.0, 16.5, 17.0, 18.9, 20.0, 25.0, 31.9, 40.0, 60.0)  # tests/numerics.rs
THETA_TEST_STEPS = (1_000, 100_000, 1_000_000, 10_000_000)
THETA_TEST_TOL = 1e-9


def theta_runs(theta0s, checkpoints):
    """θ without spikes, every θ0 at once, in the three forms: the old float32
    product θ·k32, the float64 product θ·k64 (k64 = 1 − dt/τ_θ), and the float64
    step θ − θ·r (r = dt/τ_θ, `threshold_generic` with `theta_decay_rate`).
    Returns {n: (f32 array, f64 product array, f64 step array)}."""
    k32 = f32(f32(1.0) - f32(DT / f32(1e7)))  # old: `1.0 - dt / a.tau_theta` in f32
    k64 = 1.0 - float(DT) / 1e7
    r64 = float(DT) / 1e7  # theta_decay_rate: `f64::from(dt_ms) / tau_theta_ms`
    last = max(checkpoints)
    out = {n: [[], [], None] for n in checkpoints}
    for th0 in theta0s:  # products: sequential accumulate, one rounding per step
        a32 = seq_product(f32(th0), k32, last, np.float32)
        a64 = seq_product(th0, k64, last, np.float64)
        for n in checkpoints:
            out[n][0].append(a32[n])
            out[n][1].append(a64[n])
        del a32, a64
    s = np.array(theta0s, dtype=np.float64)
    t = np.empty_like(s)
    done = 0
    for n in sorted(checkpoints):
        for _ in range(n - done):
            np.multiply(s, r64, out=t)  # θ·r, rounded
            np.subtract(s, t, out=s)  # θ − θ·r, rounded
        done = n
        out[n][2] = s.copy()
    return {n: (np.array(v[0], dtype=np.float32), np.array(v[1]), v[2]) for n, v in out.items()}


def theta_section():
    section("Table 1. Decay of the adaptive threshold θ without spikes (neuron/lif.rs::threshold_generic), "
            "τ_θ = 10⁷ ms, dt = 0.5 ms")
    tau = 1e7
    k32 = f32(f32(1.0) - f32(DT / f32(tau)))
    k64 = 1.0 - 0.5 / tau
    r64 = 0.5 / tau
    k_exact = Decimal(1) - Decimal("0.5") / Decimal(10**7)
    print(f"k_θ exact = 1 − 5·10⁻⁸ = {k_exact}; f32 `1.0 - dt / tau` = {full(k32)} = 1 − {1 - float(k32):.6e} "
          f"(= 1 − 2⁻²⁴: δ = {float((Decimal(float(k32)) - k_exact) / k_exact):.3e}, the decrement "
          f"{(1 - float(k32)) / 5e-8:.4f}× too large); f64 `1.0 - dt / tau` = {k64!r}, "
          f"δ = {float((Decimal(k64) - k_exact) / k_exact):.3e} "
          f"(the decrement {float((1 - Decimal(k64)) / (1 - k_exact)):.12f}× exact); f64 rate dt/τ_θ = {r64!r}, "
          f"rel. error {float((Decimal(r64) - Decimal('5e-8')) / Decimal('5e-8')):.2e}.")
    print()
    grid = sorted(set(THETA_TEST_GRID) | {20.0, 25.0, 40.0})
    runs = theta_runs(grid, THETA_TEST_STEPS)
    rows = []
    for th0 in (20.0, 25.0, 40.0):
        j = grid.index(th0)
        for n in (10**6, 10**7):
            exact = Decimal(th0) * k_exact**n
            s32, p64, s64 = (float(a[j]) for a in runs[n])
            rel = lambda x: float((Decimal(x) - exact) / exact)
            drop_ratio = float((Decimal(th0) - Decimal(s32)) / (Decimal(th0) - exact))
            rows.append([g(th0), f"{n:,}", f"{float(exact):.6f}", f"{s32:.6f}", g(rel(s32)),
                         f"{drop_ratio:.3f}", g(rel(p64)), g(rel(s64)), g(float(Decimal(s64) - exact))])
    print(table(["θ₀ (mV)", "steps", "exact θ (mV)", "old f32 θ (mV)", "old f32 rel. error",
                 "old f32 decay ÷ exact decay", "f64 θ·(1 − dt/τ) rel. error",
                 "f64 θ − θ·(dt/τ) rel. error (now)", "now abs. error (mV)"], rows))
    print()
    # the grid and tolerance of tests/numerics.rs, in its loop order (steps, then θ0)
    first_old, worst = None, [0.0, 0.0, 0.0]
    fails_old = 0
    for n in THETA_TEST_STEPS:
        for th0 in THETA_TEST_GRID:
            j = grid.index(th0)
            want = th0 * (1.0 - 0.5 / tau) ** n  # the test's reference, f64
            exact = Decimal(th0) * k_exact**n
            for f, a in enumerate(runs[n]):
                got = float(a[j])
                worst[f] = max(worst[f], abs(float((Decimal(got) - exact) / exact)))
                if f == 0 and abs(got - want) / want > THETA_TEST_TOL:
                    fails_old += 1
                    if first_old is None:
                        first_old = (th0, n, abs(got - want) / want)
    npts = len(THETA_TEST_STEPS) * len(THETA_TEST_GRID)
    print(f"Grid of `tests/numerics.rs::without_spikes_theta_decays_as_the_original_float64_theta_for_ten_million_steps` "
          f"(θ₀ in {{{', '.join(f'{x:g}' for x in THETA_TEST_GRID)}}} mV, after "
          f"{', '.join(f'{n:,}' for n in THETA_TEST_STEPS)} steps; tolerance {THETA_TEST_TOL:g} against "
          f"θ₀·(1 − dt/τ_θ)^N in f64): old f32 fails {fails_old} of {npts} points, first θ₀ = {first_old[0]:g} mV "
          f"after {first_old[1]:,} steps, rel. error {first_old[2]:.3g}; largest rel. error against exact "
          f"arithmetic over the grid: old f32 {worst[0]:.2g}, f64 product form {worst[1]:.2g}, "
          f"f64 θ − θ·(dt/τ) (now) {worst[2]:.2g}.")
    print()
    # one-ulp-per-step argument
    lines = []
    for th0 in (16.0, 17.0, 19.0, 20.0, 25.0, 31.9, 40.0):
        s = seq_product(f32(th0), k32, 1000, np.float32)
        per_step = (th0 - float(s[-1])) / 1000
        ulp = float(np.spacing(f32(th0)))
        lines.append(f"θ₀ = {th0:g}: loses {per_step / ulp:.3f} ulp/step, "
                     f"{per_step / (th0 * 5e-8):.2f}× the exact rate")
    print("Old f32 decay over the first 1,000 steps: " + "; ".join(lines) + ".")
    # increments θ += θ_plus
    section("Table 2. The increment θ += θ_plus (neuron/lif.rs::threshold_generic, `th + grow`)")
    rows = []
    for tp in (0.05, 0.1, 0.2, 0.4):
        tp32 = f32(tp)  # old: raw.theta_plus was f32 in dc_config.rs; now f64
        dec = Decimal(str(tp))
        rep32 = float((Decimal(float(tp32)) - dec) / dec)
        rep64 = float((Decimal(tp) - dec) / dec)
        worst32 = []
        for th in (20.0, 40.0):
            th32 = f32(th)
            err = abs(float(f32(th32 + tp32)) - float(th32) - float(tp32)) / float(tp32)
            worst32.append(f"{err:.1e} at θ = {th:g}")
        rows.append([g(tp), repr(float(tp32)), g(rep32), repr(tp), g(rep64), ", ".join(worst32),
                     g(0.5 * float(np.spacing(f32(40.0))) / float(tp32)),
                     g(0.5 * math.ulp(40.0) / tp)])
    print(table(["θ_plus (mV)", "old: as configured (f32)", "old representation error",
                 "now: as configured (f64)", "now representation error",
                 "old f32 `th + grow` rel. error of the increment", "old f32 bound (½ulp(40)/θ_plus)",
                 "f64 bound (½ulp(40)/θ_plus)"], rows))


def theta_spiking():
    """θ with spikes: 10^6 steps, Poisson spikes, old f32 vs f64 (now) vs exact (Decimal)."""
    section("Table 3. θ with spikes, 10⁶ steps, θ₀ = 20 mV (old f32 vs f64 vs exact)")
    n = N
    rows = []
    for tp, rate in ((0.05, 1e-3), (0.4, 1e-3)):
        spikes = rng.random(n) < rate
        k32 = f32(f32(1.0) - f32(DT / f32(1e7)))
        r64 = float(DT) / 1e7
        kd = Decimal(1) - Decimal("0.5") / Decimal(10**7)
        tpd = Decimal(str(tp))  # the model's increment, exactly
        t32, t64, td = f32(20.0), 20.0, Decimal(20)
        g32, g64 = f32(tp), tp  # old: f32 θ_plus; now: f64 θ_plus
        for s in spikes:
            t32 = f32(t32 * k32)
            t64 = t64 - t64 * r64
            td = td * kd
            if s:
                t32 = f32(t32 + g32)
                t64 = t64 + g64
                td = td + tpd
        rows.append([g(tp), f"{rate:g}", f"{int(spikes.sum()):,}", f"{float(td):.6f}",
                     g(float((Decimal(float(t32)) - td) / td)), g(float((Decimal(t64) - td) / td))])
    print(table(["θ_plus", "spike prob./step", "spikes", "exact θ after 10⁶ steps (mV)",
                 "old f32 rel. error", "f64 rel. error (now)"], rows))


# ---------------------------------------------------------------------------
# 3. Additive accumulators


def timer_section():
    section("Table 7. Spike timer (neuron/lif.rs::threshold_generic, `timer[k] + timer_step`)")
    rows = []
    for name, rate, lock in (("original (`AdaptiveThreshold::DC`)", 100.0, 5.0),
                             ("Brian 2 port (`BRIAN2_PORT`)", 0.1, 5.0)):
        step32 = f32(DT * f32(rate))  # `dt * a.timer_rate`
        exact_step = Decimal("0.5") * Decimal(str(rate))
        delta = float((Decimal(float(step32)) - exact_step) / exact_step)
        acc = seq_sum(f32(0.0), step32, N, np.float32)
        exact_n = exact_step * N
        rel = float((Decimal(float(acc[-1])) - exact_n) / exact_n)
        first32 = int(np.argmax(acc > f32(lock)))
        # exact: first n with n*step > lock
        first_exact = int(lock / float(exact_step)) + 1
        x = 0.0
        first64 = None
        for j in range(1, 1000):
            x += float(exact_step)
            if x > lock:
                first64 = j
                break
        # where does it stop growing?
        stall = None
        v = f32(2.0**10)
        while f32(v + step32) != v:
            v = f32(v * 2)
        stall = float(v)
        rows.append([name, f"`dt * a.timer_rate` = {float(exact_step):g} ms", repr(float(step32)), g(delta),
                     f"{float(exact_n):,.0f}", f"{float(acc[-1]):,.3f}", g(rel), g((N - 1) * U + abs(delta)),
                     f"{first32} (exact: {first_exact}, f64: {first64})", f"≥ {stall:.3g} ms"])
    print(table(["Variant", "Increment as written", "f32 increment", "Rel. error of increment",
                 "exact after 10⁶ steps (ms)", "f32 after 10⁶ steps (ms)", "Rel. error after 10⁶ steps",
                 "bound (N−1)·u + δ", "first step with `timer > 5 ms` after a spike",
                 "stops growing (silent neuron)"], rows))


def driven(name, where, inc_desc, inc_exact, inc32, k_written, k32, k_exact, draw, n, width=32):
    """x <- decay(x) + increments, in float32 (with the floor) and exactly
    (float64 of the same float32 increments; float64's error is ~10^-16)."""
    x32 = np.zeros(width, dtype=np.float32)
    x64 = np.zeros(width, dtype=np.float64)
    worst_abs = 0.0
    peak = 0.0
    chunk = 10_000
    kx = float(k_exact)
    for c0 in range(0, n, chunk):
        incs = draw(min(chunk, n - c0), width)  # list of float32 arrays (added one after another)
        for t in range(min(chunk, n - c0)):
            y = x32 * k32
            y[np.abs(y) < FLOOR] = 0.0
            x32 = y
            x64 = x64 * kx
            for a in incs[t]:
                x32 = (x32 + a).astype(np.float32)
                x64 = x64 + a.astype(np.float64)
            peak = max(peak, float(x64.max()))
            worst_abs = max(worst_abs, float(np.abs(x32 - x64).max()))
    pos = x64 > 1e-6
    final_rel = float(np.max(np.abs(x32[pos] - x64[pos]) / x64[pos])) if pos.any() else float("nan")
    if inc_exact is None:
        inc_cols = ["(weights, already f32)", "–", "0"]
        delta = 0.0
    else:
        delta = (float(inc32) - inc_exact) / inc_exact
        inc_cols = [f"{inc_exact:g}", repr(float(inc32)), g(delta)]
    bound = U / (1 - float(k_exact)) + abs(delta)
    return [where, name, inc_desc] + inc_cols + [k_written, g(final_rel), g(worst_abs / peak), g(bound), g(peak)]


def draw_ge(n, width):
    # ~3 input spikes per step (MNIST at intensity 2), weights U(0, 0.25) as after
    # normalisation to 78 over 784 inputs; each spike one f32 add (axpy).
    out = []
    counts = rng.poisson(3.0, size=(n,))
    for c in counts:
        out.append([rng.uniform(0, 0.25, size=width).astype(np.float32) for _ in range(c)])
    return out


def draw_gi(n, width):
    # inhibitory spikes: bursts, 0.05 per step on average, each adds w_ie = 17
    out = []
    counts = rng.poisson(0.05, size=(n,))
    w = np.full(width, 17.0, dtype=np.float32)
    for c in counts:
        out.append([w] * int(c))
    return out


def draw_inh_ge(n, width):
    # the partner's spikes: at most one per step, 0.02 per step, each adds w_ei = 10.4
    out = []
    w = np.full(width, f32(10.4), dtype=np.float32)
    for _ in range(n):
        m = rng.random(width) < 0.02
        out.append([np.where(m, w, f32(0.0)).astype(np.float32)])
    return out


def accumulators_section():
    section(f"Table 8. Decaying accumulators under a steady drive ({N_DRIVEN:,} steps, float32 with the floor vs exact)")
    rows = []
    rows.append(driven("`ge` (excitatory)", "`network/diehl_cook.rs::Tile::run` (axpy), `network/delays.rs::DelayRing::propagate`",
                       "`ge += W[i, :]`, ~3 inputs/step, w ~ U(0, 0.25)", None, None, "×0.5",
                       f32(0.5), Decimal("0.5"), draw_ge, N_DRIVEN))
    rows.append(driven("`gi` (excitatory)", "`network/diehl_cook.rs::apply_inhibition` (`add_scalar`)",
                       "`gi += w_ie`, 0.05 spikes/step", 17.0, f32(17.0), "×0.75",
                       f32(0.75), Decimal("0.75"), draw_gi, N_DRIVEN))
    rows.append(driven("`ge` (inhibitory)", "`network/diehl_cook.rs::Tile::run`",
                       "`inh.ge[j] += p.w_ei`, 0.02 spikes/step", 10.4, f32(10.4), "×0.5",
                       f32(0.5), Decimal("0.5"), draw_inh_ge, N_DRIVEN))
    print(table(["Where", "Quantity", "Increment as written", "exact", "f32", "rel. error δ", "Decay",
                 f"Rel. error after {N_DRIVEN:,} steps", "Max abs. error over the run / peak",
                 "scale u/(1−k) + |δ|", "peak"], rows))


def membrane_section():
    section("Table 6. Membrane potential: per-step rate dt/τ_m and the exponential-Euler factor")
    rows = []
    for pop, vr, tau_m, ee, ei in (("excitatory", -65.0, 100.0, 0.0, -100.0),
                                   ("inhibitory", -60.0, 10.0, 0.0, -85.0)):
        km32 = f32(DT / f32(tau_m))
        km_exact = Decimal("0.5") / Decimal(tau_m)
        delta = float((Decimal(float(km32)) - km_exact) / km_exact)
        for ge in (0.0, 0.2):
            ge32, gi32 = f32(ge), f32(0.0)
            v_inf = (vr + float(ge32) * ee) / (1.0 + float(ge32))
            # forward Euler, as integrate_body (ge, gi held constant)
            v = f32(vr - 40.0)
            vr32, ee32, ei32 = f32(vr), f32(ee), f32(ei)
            for _ in range(20_000):
                dv = f32(f32(f32(vr32 - v) + f32(ge32 * f32(ee32 - v))) + f32(gi32 * f32(ei32 - v)))
                v = f32(v + f32(km32 * dv))
            v_euler = v
            # the rest of the 10^6 steps cannot move v once k_m·dv < ½ulp: check it is a fixed point
            dv = f32(f32(f32(vr32 - v) + f32(ge32 * f32(ee32 - v))) + f32(gi32 * f32(ei32 - v)))
            assert f32(v + f32(km32 * dv)) == v
            # exponential Euler, as integrate_body with exp_with (FMA path)
            gg = f32(f32(f32(1.0) + ge32) + gi32)
            vinf32 = f32(f32(f32(vr32 + f32(ge32 * ee32)) + f32(gi32 * ei32)) / gg)
            e_fma = exp_with(f32(-km32 * gg), True)
            e_nofma = exp_with(f32(-km32 * gg), False)
            v = f32(vr - 40.0)
            for _ in range(20_000):
                v = f32(vinf32 + f32(f32(v - vinf32) * e_fma))
            v_exp = v
            assert f32(vinf32 + f32(f32(v - vinf32) * e_fma)) == v
            e_exact = dec_exp(-km_exact * (1 + Decimal(float(ge32))))
            rows.append([pop, g(ge), full(km32), g(delta), f"{v_inf:.6f}", f"{float(v_euler):.6f}",
                         g((float(v_euler) - v_inf) / abs(v_inf)),
                         f"{full(e_fma)} / {full(e_nofma)}",
                         g(float((Decimal(float(e_fma)) - e_exact) / e_exact)),
                         f"{float(v_exp):.6f}", g((float(v_exp) - v_inf) / abs(v_inf)),
                         g(0.5 * float(np.spacing(f32(abs(v_inf)))) / (float(km32) * (1 + float(ge32))))])
    print(table(["population", "ge (held)", "f32 dt/τ_m", "rel. error of dt/τ_m", "exact equilibrium (mV)",
                 "Euler f32 after 10⁶ steps", "Euler rel. error", "f32 exp factor (FMA / no FMA)",
                 "rel. error of exp factor", "exp. Euler f32 after 10⁶ steps", "exp. Euler rel. error",
                 "Euler stall band ½ulp/(dt/τ_m·(1+ge)) (mV)"], rows))
    print()
    print("The membrane is a contraction towards its equilibrium, so rounding errors do not")
    print("accumulate: after 20,000 steps both integrators sit at a float32 fixed point (checked),")
    print("which is therefore also their state after 10⁶ steps.")


def delay_factor_section():
    section("Table 11. One-shot factors")
    rows = []
    b32 = expf(f32(-DT / f32(20.0)))
    worst_step = 0.0
    worst_kd = 0.0
    for d in range(20):
        kd32 = f32(math.exp(-d * 0.5 / 20.0))  # DcStdp::with_delays, f64 exp then `as f32`
        exact = math.exp(-d * 0.5 / 20.0)
        stepped = f32(1.0)
        for _ in range(d):
            stepped = f32(stepped * b32)
        worst_step = max(worst_step, abs(float(stepped) - float(kd32)) / exact)
        worst_kd = max(worst_kd, abs(float(kd32) - exact) / exact)
    rows.append(["`synapse/dc_original.rs::DcStdp::with_delays`", "`k_d` = post1's decay over a delay of d = 0..19 steps",
                 "`(-d·dt/τ_post1).exp() as f32` (f64 exp)", g(worst_kd),
                 f"{g(worst_step)} (vs stepping post1 d times in f32)"])
    e_wb = expf(f32(-1.0))
    rows.append(["`synapse/exp_stdp/elementwise.rs::RuleConsts::new`", "`e^(−β·w_b)`, β = 1, w_b = 1",
                 "`(-p.exp_beta * p.w_bound).exp()` (f32)",
                 g(float((Decimal(float(e_wb)) - Decimal(-1).exp()) / Decimal(-1).exp())), "per update, not iterated"])
    print(table(["Where", "Quantity", "As written", "Rel. error of the f32 value", "Note"], rows))


def normalise_section():
    section("Table 10. Column sums of the weight normalisation (network/diehl_cook.rs::DiehlCook::normalise)")
    rows = []
    n_in, n = 784, 100
    for label, w in (
        ("initial `(U[0,1) + 0.01)·0.3`", ((rng.random((n_in, n)) + 0.01) * 0.3).astype(np.float32)),
        ("trained-like: 85 % below 10⁻³, 15 % U(0, 1)",
         np.where(rng.random((n_in, n)) < 0.85, rng.random((n_in, n)) * 1e-3, rng.random((n_in, n))).astype(np.float32)),
    ):
        target = f32(78.0)
        w32 = w.copy()
        first = None
        worst_sum = 0.0
        worst_after = 0.0
        for it in range(200):
            sums = np.zeros(n, dtype=np.float32)
            for row in w32:  # axpy row by row, in input order
                sums = (sums + row).astype(np.float32)
            exact = w32.astype(np.float64).sum(axis=0)
            err = np.abs(sums.astype(np.float64) - exact) / exact
            worst_sum = max(worst_sum, float(err.max()))
            scale = (target / sums).astype(np.float32)
            w32 = (w32 * scale).astype(np.float32)
            after = np.abs(w32.astype(np.float64).sum(axis=0) - 78.0) / 78.0
            worst_after = max(worst_after, float(after.max()))
            if first is None:
                first = float(after.max())
        rows.append([label, g(worst_sum), g(first), g(worst_after), g((n_in - 1) * U)])
    print(table(["W", "max rel. error of the f32 column sum", "max |Σw − 78|/78 after one normalisation",
                 "the same, worst over 200 repeated normalisations", "bound (n−1)·u"], rows))


def weight_section():
    section(f"Table 9. Weights as accumulators of small increments ({N_DRIVEN:,} steps, one synapse, float32 vs exact)")
    rows = []
    n = N_DRIVEN
    # dc_original: depression only (nu_pre·post1 on each presynaptic spike), post1 reset
    # to 1 on postsynaptic spikes. Increments computed in f32 as the code does; applied
    # in f32 (w − d, clamped) and exactly.
    b = expf(f32(-DT / f32(20.0)))
    for w0, p_post in ((0.9, 3e-4), (0.9, 3e-3), (0.4, 3e-4), (0.05, 3e-4)):
        pre = rng.random(n) < 0.031875  # 63.75 Hz at dt 0.5 ms (pixel 255, intensity 2)
        post = rng.random(n) < p_post
        post1 = f32(0.0)
        w32 = f32(w0)
        wx = Fraction(w0)
        nu = f32(1e-4)
        lost = 0
        small = 0
        for t in range(n):
            post1 = f32(post1 * b)
            if abs(post1) < FLOOR:
                post1 = f32(0.0)
            if pre[t]:
                dlt = f32(nu * post1)
                neww = f32(min(max(f32(w32 - dlt), f32(0.0)), f32(1.0)))
                if dlt > 0 and neww == w32:
                    lost += 1
                if dlt > 0:
                    small += 1
                w32 = neww
                wx = wx - Fraction(float(dlt))
            if post[t]:
                post1 = f32(1.0)
        change_exact = float(wx) - w0
        rel = (float(w32) - float(wx)) / abs(change_exact) if change_exact else float("nan")
        half_ulp = 0.5 * float(np.spacing(f32(w0)))
        rows.append(["`synapse/dc_original.rs::depress_body` (and `depress_factored_body`, `RuleColumns::learn`)",
                     f"w₀ = {w0:g}, post p = {p_post:g}/step", "`w − ν_pre·post1`, ν_pre = 10⁻⁴ (f32 9.99999975e-05)",
                     f"{change_exact:.4e}", g(rel), g(half_ulp / float(nu)), f"{lost:,} of {small:,}"])
    # exp_stdp: potentiation on postsynaptic spikes
    eta, beta, xtar = f32(0.02), f32(1.0), f32(0.3)
    ewb = expf(f32(-1.0))
    bexp = expf(f32(-DT / f32(20.0)))
    pre = rng.random(n) < 0.031875
    post = rng.random(n) < 3e-3
    x_pre = f32(0.0)
    w32 = f32(0.5)
    w64 = 0.5
    total = 0.0
    for t in range(n):
        x_pre = f32(x_pre * bexp)
        if abs(x_pre) < FLOOR:
            x_pre = f32(0.0)
        if pre[t]:
            x_pre = f32(1.0)
        if post[t]:
            e = exp_with(f32(-beta * w32), True)
            ltp = f32(f32(e * x_pre) - f32(f32(ewb / e) * xtar))
            new = f32(w32 + f32(eta * ltp))
            w32 = f32(min(max(new, f32(0.01)), f32(1.0)))
            e64 = math.exp(-w64)
            new64 = w64 + 0.02 * (e64 * float(x_pre) - math.exp(-1.0) / e64 * 0.3)
            total += abs(new64 - w64)
            w64 = min(max(new64, 0.01), 1.0)
    rows.append(["`synapse/exp_stdp/elementwise.rs::updated` (events and fused paths)",
                 "w₀ = 0.5, post p = 3·10⁻³/step, η 0.02, β 1, x_tar 0.3",
                 "`w + η·A+·(e^(−βw)·x_pre − e^(−β(w_b−w))·x_tar)`",
                 f"Σ|Δw| = {total:.3g}", g((float(w32) - w64) / total), "–", "–"])
    print(table(["Where", "Case", "Update as written", "Exact total change", "f32 error / |exact change|",
                 "closed form ½ulp(w)/ν_pre", "depressions lost entirely (below ½ulp of w)"], rows))


NU_PRE, NU_POST = 1e-4, 1e-2  # DcStdpParams::default


def unaffected_weights_from(change):
    """Smallest power of two p such that every float32 weight w >= p has half
    an ulp above `change` (so that a change below it leaves w unchanged)."""
    p = 2.0**-149
    while 0.5 * float(np.spacing(f32(p))) <= change:
        p *= 2
    return p


def membrane_flush_check(n=10**6):
    """A conductance below the floor against 0 in its place, in one membrane
    step (neuron/lif.rs::integrate_body, one rounding per operation): how
    often `dv` (Euler), `v` (Euler), and `1 + ge + gi` or the numerator of
    v∞ (exponential Euler, which fix the step) differ."""
    out = []
    for pop, vr, vreset, ee, ei, tau_m in (("excitatory", -65.0, -65.0, 0.0, -100.0, 100.0),
                                           ("inhibitory", -60.0, -45.0, 0.0, -85.0, 10.0)):
        vr32, ee32, ei32, km32 = f32(vr), f32(ee), f32(ei), f32(DT / f32(tau_m))
        # v: a fifth exactly at rest, a fifth exactly at reset, the rest uniform in [−80, −40] mV
        v = rng.uniform(-80.0, -40.0, n).astype(np.float32)
        pick = rng.random(n)
        v[pick < 0.2] = vr32
        v[(pick >= 0.2) & (pick < 0.4)] = f32(vreset)
        # the other conductance: 0, O(1), or small but above the floor
        kind = rng.integers(0, 3, n)
        other = np.where(kind == 0, 0.0, np.where(kind == 1, rng.uniform(0, 5, n),
                                                  float(FLOOR) * 10 ** rng.uniform(0, 12, n))).astype(np.float32)
        sub = (float(FLOOR) * 10 ** rng.uniform(-15, 0, n)).astype(np.float32)
        sub = np.minimum(sub, np.nextafter(FLOOR, f32(0)))
        zero = np.zeros(n, dtype=np.float32)
        for which in ("ge", "gi"):
            res = []
            for tiny in (sub, zero):
                ge, gi = (tiny, other) if which == "ge" else (other, tiny)
                dv = ((vr32 - v) + ge * (ee32 - v)) + gi * (ei32 - v)
                vn = v + km32 * dv
                gsum = (f32(1.0) + ge) + gi
                num = (vr32 + ge * ee32) + gi * ei32
                res.append((dv, vn, gsum, num))
            (dv1, vn1, g1, n1), (dv0, vn0, g0, n0) = res
            out.append((pop, which, int(np.sum(dv1 != dv0)), int(np.sum(vn1 != vn0)),
                        int(np.sum((g1 != g0) | (n1 != n0)))))
    return n, out


def product_census():
    """Lower bounds of every product formed from a flushed value, with the
    draft's floor and with FLUSH_FLOOR (f64 of the f32 operands)."""
    kd_min = float(f32(math.exp(-19 * 0.5 / 20.0)))  # DcStdp::with_delays, d <= 19
    ewb = float(expf(f32(-1.0)))
    nu_pre, nu_post = float(f32(NU_PRE)), float(f32(NU_POST))
    rows = []
    cases = [
        ("a decay x·k (`decay_flushed`), k ≥ 0.5", lambda F: F * 0.5),
        ("depression ν_pre·post1 (`depress_body`, `on_pre`, `RuleColumns::learn`)", lambda F: nu_pre * F),
        ("depression ν_pre·(post1·k_d), k_d ≥ 0.62 (`depress_factored_body`)", lambda F: nu_pre * F * kd_min),
        ("potentiation gain ν_post·post2 (`on_post`, `RuleColumns::learn`)", lambda F: nu_post * F),
        ("potentiation gain·pre = ν_post·post2·pre (same)", lambda F: nu_post * F * F),
        ("exp_stdp e^(−βw)·x_pre ≥ e^(−β·w_b)·x_pre (`elementwise.rs::updated`)", lambda F: ewb * F),
        ("normalise w·(78/Σw), 78/Σw ≥ 78/784, w ≥ smallest potentiation from 0", lambda F: nu_post * F * F * 78 / 784),
    ]
    for name, f in cases:
        cells = []
        for F in (float(FLOOR_OLD), float(FLOOR)):
            x = f(F)
            cells.append(f"{x:.1e} ({'normal' if x >= TINY else 'subnormal or 0'})")
        rows.append([name] + cells)
    print(table(["product", "lower bound, floor 10⁻³⁰ (draft)", f"lower bound, floor {FLOOR_LABEL} (now)"], rows))
    print()
    F = float(FLOOR)
    print(f"ν_post·post2·pre stays normal for every rate ν_post ≥ {TINY:.3g}/FLUSH_FLOOR² = {TINY / F / F:.2g} "
          f"(shipped: 0.01); with the floor 10⁻³⁰ it needed ν_post ≥ {TINY / float(FLOOR_OLD) ** 2:.2g}.")
    m_min = math.log(TINY / NU_POST / float(FLOOR_OLD)) / -0.0125
    print(f"With the floor 10⁻³⁰ and ν_post = 0.01 the product is below the normal range when post2·pre < {TINY / NU_POST:.3g}: "
          f"at the first spike of a neuron silent for more than {math.ceil(m_min):,} steps "
          f"(post2 < {TINY / NU_POST / float(FLOOR_OLD):.3g}), for the inputs whose `pre` is small enough.")


def subnormal_section():
    section(f"Table 4. Decaying state: steps to the floor ({FLOOR_LABEL}), and what happens without it")
    rows = []
    cases = [
        ("`ge` (×0.5)", f32(0.5), Decimal("0.5"), [1.0, 10.0]),
        ("`gi` (×0.75)", f32(0.75), Decimal("0.75"), [17.0, 1700.0]),
        ("inhibitory `ge` (×0.5)", f32(0.5), Decimal("0.5"), [10.4]),
        ("`pre`, `post1`, exp_stdp traces (e^(−0.5/20))", expf(f32(-DT / f32(20.0))), dec_exp(Decimal("-0.025")), [1.0]),
        ("`post2` (e^(−0.5/40))", expf(f32(-DT / f32(40.0))), dec_exp(Decimal("-0.0125")), [1.0]),
        ("harness traces, dt 1 ms (e^(−1/20))", f32(math.exp(-1 / 20)), dec_exp(Decimal("-0.05")), [1.0]),
    ]
    for name, k32, kx, x0s in cases:
        for x0 in x0s:
            n_floor = lifetime(k32, kx, x0, flush=True)[0]
            first_sub, n_end, fate = subnormal_fate(k32, x0)
            rows.append([name, g(x0), f"{n_floor:,} ({n_floor * 0.5 if 'harness' not in name else n_floor:g} ms)",
                         f"{first_sub:,}", f"{fate} after {n_end:,} steps"])
    print(table(["Quantity (factor)", "x₀", f"steps to < {FLOOR_LABEL} (then flushed to 0)",
                 "without the floor: first subnormal at step", "without the floor"], rows))
    # effects
    print()
    F = float(FLOOR)
    ulp_v = float(np.spacing(f32(65.0)))
    print(f"f32 ulp of v near −65 mV: {ulp_v:.3g} mV (half: {ulp_v / 2:.3g}); near −40 mV: "
          f"{float(np.spacing(f32(40.0))):.3g} mV.")
    eff = []
    for name, km, gmax_life, span in (
        ("excitatory v, ge", 0.005, 2.0, 105.0),
        ("excitatory v, gi", 0.005, 4.0, 100.0),
        ("inhibitory v, ge", 0.05, 2.0, 100.0),
    ):
        per_step = km * F * span
        eff.append(f"{name}: ≤ {per_step:.1e} mV per step, ≤ {per_step * gmax_life:.1e} mV over the value's remaining life")
    print(f"Largest effect of a conductance below {FLOOR_LABEL} on the membrane (Euler, `dt/τ_m · g · |E − v|`): "
          + "; ".join(eff) + ".")
    print()
    n, res = membrane_flush_check()
    print(f"One membrane step with a conductance below the floor against 0 in its place ({n:,} random states per "
          f"row: v exactly at rest, exactly at reset, or uniform in [−80, −40] mV; the other conductance 0, "
          f"U(0, 5) or in [{FLOOR_LABEL}, 10⁻³]):")
    print()
    print(table(["population", "conductance below the floor", "Euler `dv` differs", "Euler `v` differs",
                 "exponential Euler `1 + ge + gi` or v∞ numerator differs"],
                [[p, f"`{w}`", f"{a:,}", f"{b_:,}", f"{c:,}"] for p, w, a, b_, c in res]))
    print()
    b = float(expf(f32(-DT / f32(20.0))))
    dep, pot = NU_PRE * F, NU_POST * F
    print(f"Largest effect on a weight: depression ν_pre·post1 < 10⁻⁴·{FLOOR_LABEL} = {dep:.0e} per presynaptic spike, "
          f"< {dep / (1 - b):.1e} over the trace's remaining life (one spike every step); potentiation "
          f"ν_post·post2·pre with either trace below the floor < 10⁻²·{FLOOR_LABEL} = {pot:.0e} per postsynaptic spike. "
          f"Weights from {unaffected_weights_from(pot):.2g} up have half an ulp above {pot:.0e}; for exp_stdp "
          f"(w ≥ 0.01) half an ulp is {0.5 * float(np.spacing(f32(0.01))):.1e}.")
    print()
    section("Table 4b. Products formed from flushed values: lower bounds")
    product_census()
    print()
    input_trace_census()


def load_mnist_train(count):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist")
    path = os.path.join(root, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        return None
    with gzip.open(path, "rb") as f:
        data = f.read(16 + 784 * count)
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(count, 784)


def input_trace_census():
    """Input traces during real MNIST presentations (training images 0-299 in
    order, intensity 2, 700 steps shown + 300 rest, dt 0.5 ms): for a
    postsynaptic neuron silent for m steps, how many of the 784 products
    ν_post·post2·pre of its next spike are below the normal range (subnormal
    or 0 in float32), with the draft's floor
    and with FLUSH_FLOOR; and how many `pre` traces would be subnormal
    without any floor."""
    images = load_mnist_train(300)
    if images is None:
        print("(data/mnist/train-images-idx3-ubyte.gz not found: census skipped)")
        return
    p = images.astype(np.float64) / 8.0 * 2.0 * 0.5 / 1000.0
    last = np.full(784, -np.inf)
    t0 = 0
    a20, a40 = expf(f32(-DT / f32(20.0))), expf(f32(-DT / f32(40.0)))
    floors = {}
    for label, F in (("old", FLOOR_OLD), ("now", FLOOR)):
        # a trace set to 1 is nonzero for fewer than this many steps
        floors[label] = (lifetime(a20, dec_exp(Decimal("-0.025")), 1.0, True, F)[0],
                         lifetime(a40, dec_exp(Decimal("-0.0125")), 1.0, True, F)[0])
    first_sub = subnormal_fate(a20, 1.0)[0]
    ms = (1000, 1500, 2000, 3000, 4000, 5000)
    counts = {(m, f): [] for m in ms for f in floors}
    stuck = []
    burn_in = 10  # examples before sampling, so that old traces exist
    for e, pe in enumerate(p):
        spikes = rng.random((700, 784)) < pe
        steps = np.where(spikes, np.arange(700)[:, None] + t0, -np.inf)
        running = np.maximum.accumulate(steps, axis=0)
        if e >= burn_in:
            for s in range(0, 700, 50):
                age = (t0 + s) - np.maximum(last, running[s])
                fired = np.isfinite(age)
                for f, (n_pre, n_post2) in floors.items():
                    pre = np.where(fired & (age < n_pre), np.exp(-0.025 * np.where(fired, age, 0)), 0.0)
                    for m in ms:
                        post2 = math.exp(-0.0125 * m) if m < n_post2 else 0.0
                        prod = NU_POST * post2 * pre
                        counts[(m, f)].append(int(np.sum((prod > 0) & (prod < TINY))))
                stuck.append(int(np.sum(fired & (age >= first_sub))))
        last = np.maximum(last, running[-1])
        t0 += 1000
    print(f"Census over {len(stuck):,} sampled steps of real MNIST presentations (training images "
          f"{burn_in}–299 in order, sampled every 50 steps of each presentation); traces are nonzero for "
          f"{floors['old'][0]:,} (`pre`) and {floors['old'][1]:,} (`post2`) steps with the floor 10⁻³⁰, "
          f"{floors['now'][0]:,} and {floors['now'][1]:,} with {FLOOR_LABEL}:")
    print()
    rows = []
    for m in ms:
        c_old, c_now = np.array(counts[(m, "old")]), np.array(counts[(m, "now")])
        rows.append([f"{m:,}", f"{c_old.mean():.1f}", f"{int(c_old.max())}", f"{c_now.mean():.1f}",
                     f"{int(c_now.max())}"])
    print(table(["postsynaptic neuron silent for (steps)",
                 f"`gain·pre` below {TINY:.3g} (of 784), floor 10⁻³⁰: mean", "max",
                 f"floor {FLOOR_LABEL}: mean", "max"], rows))
    st = np.array(stuck)
    print()
    print(f"Without any floor, `pre` traces that are subnormal (decayed ≥ {first_sub:,} steps since a spike): "
          f"mean {st.mean():.0f}, max {st.max()} of 784 at any step.")


def integer_section():
    section("Table 12. Counters, clocks and sums outside float32")
    rows = [
        ["`network/diehl_cook.rs::DiehlCook::step`", "clock `t`, `stats.steps`, `stats.overshoot_steps`", "u64, +1", "exact to 1.8·10¹⁹"],
        ["`network/diehl_cook.rs::Tile::run`", "spike counts per showing (with `count_window = \"original\"` starting from the preceding rest's)", "u32, +1",
         "exact to 4.3·10⁹ (at most 100 per showing)"],
        ["`neuron/lif.rs::threshold_generic`", "`since_spike`", "u32, saturating +1", "saturates at 4.3·10⁹ steps (= NEVER_SPIKED)"],
        ["`network/readout.rs::ClassRates::add`", "class-rate sums, example counts", "f64 += u32 count; u64 +1",
         "integers below 2⁵³ = 9·10¹⁵: exact"],
        ["`network/readout.rs::classify`", "per-class vote sums", "f64 += u32", "exact"],
        ["`network/ridge.rs::normal_equations`", "Gram matrix XᵀX, right-hand side XᵀY", "f64 += u32·u32 (counts), f64 += u32",
         "integers below 2⁵³: exact"],
        ["`network/diehl_cook.rs::DiehlCook::present`", "intensity", "f64 += 1.0", "exact"],
        ["`neuron/poisson.rs::encode`", "per-step probability, gap clock", "f64 `rate·dt/1000`; usize += gap",
         "p to 1.1·10⁻¹⁶ relative; the clock is an integer"],
        ["`harness/instance.rs::Instance::advance`", "`window.pre_spikes`, `post_spikes`, `steps`; `out_sum`; `step`",
         "u64/usize +n; f64 += f32 mean", "exact; out_sum reset every record stride"],
        ["`harness/instance.rs::Instance::draw`", "spike probability", "f64 `rate·dt/1000` (`random_bool`)", "1.1·10⁻¹⁶ relative"],
        ["`experiment/dc_run.rs::run_dc`", "`showings`, `done`, `labelled`, `tested`", "u64/usize +1", "exact"],
    ]
    print(table(["Where", "Quantity", "Type and update", "Precision"], rows))
    # Poisson p check
    p = 255 / 8 * 2 * 0.5 / 1000
    print()
    print(f"Poisson probability of a pixel of 255 at intensity 2: {p!r} (exact 0.031875, "
          f"rel. error {float(abs(Fraction(p) - Fraction(31875, 10**6)) / Fraction(31875, 10**6)):.1e}).")


def main():
    print("# Numerics audit tables (generated by scripts/numerics_audit.py)")
    print()
    print(f"exp source: {EXPF_SOURCE}; numpy {np.__version__}; driven simulations: {N_DRIVEN:,} steps.")
    theta_section()
    theta_spiking()
    subnormal_section()
    decay_table()
    membrane_section()
    timer_section()
    accumulators_section()
    weight_section()
    normalise_section()
    delay_factor_section()
    integer_section()


if __name__ == "__main__":
    main()
