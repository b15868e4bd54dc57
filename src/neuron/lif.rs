//! Conductance-based leaky integrate-and-fire populations (Diehl & Cook 2015).
//!
//! Membrane: `τ_m dv/dt = (v_rest − v) + ge·(E_exc − v) + gi·(E_inh − v)`;
//! conductances decay, `dge/dt = −ge/τ_ge`, `dgi/dt = −gi/τ_gi`, and an
//! incoming spike adds its weight to `ge` or `gi`. Units: mV and ms;
//! conductances are dimensionless (in units of the leak conductance).
//!
//! # Integration
//!
//! Each step first advances the state, then tests the threshold, then resets
//! (Brian 1's order). The membrane step is one of [`Integrator`]:
//!
//! - `Euler` (the default): forward Euler, what the original Brian 1 code
//!   ran, and on the Diehl & Cook network the more accurate classifier of the
//!   two (`results/grids/grid_dc_integrator/`: +2.8 points at 100 neurons,
//!   +0.5 at 400, mean of three seeds on validation images). It is
//!   unstable once `dt/τ_m · (1 + ge + gi) > 2` (a few dozen inhibitory
//!   spikes within a step or two at `dt = 0.5 ms`); the membrane would then
//!   oscillate without bound. Here `v` is clamped to `[E_inh, E_exc]` (or
//!   to `v`'s own value when it starts outside: the original starts at
//!   `v_rest − 40 mV`, below `E_inh`, from where the exact solution only
//!   rises) and the step is counted as an overshoot (the return value of [`LifPopulation::step`]), so that a
//!   run stays finite and says how often Euler left the physical range.
//! - `ExponentialEuler`: with the step's conductances frozen the equation is
//!   linear in `v`, and its exact solution over `dt` is
//!   `v ← v∞ + (v − v∞)·exp(−dt·(1 + ge + gi)/τ_m)`, with
//!   `v∞ = (v_rest + ge·E_exc + gi·E_inh)/(1 + ge + gi)`. It cannot leave
//!   `[E_inh, E_exc]` whatever the conductances.
//!
//! Conductances decay by the Euler factor `1 − dt/τ` as in the original code
//! (exact for the exponential when τ ≫ dt; at τ_ge = 1 ms, dt = 0.5 ms it
//! halves `ge` per step, as Brian 1's Euler update did), and become exactly 0
//! below [`FLUSH_FLOOR`](crate::math::flush::FLUSH_FLOOR) instead of turning
//! subnormal. θ is held and decayed in f64, as the original's is
//! ([`theta_decay_rate`]; `docs/numerics.md`).
//!
//! # Refractoriness, as Brian 1 ran the original code
//!
//! The original declares both populations with `refractory=` and a reset;
//! Brian 1 (`NeuronGroup.__init__`, `brian/neurongroup.py` and
//! `brian/reset.py`) treats the two differently ([`Refractory`]):
//!
//! - the inhibitory reset is a value (`reset = v_reset_i`), which Brian 1
//!   turns into `Refractoriness`: after the threshold test of each step, `v`
//!   is clamped to the reset value for every neuron that spiked in the last
//!   `int(refrac/dt) + 1` steps, the spike step included ([`Refractory::Clamp`]);
//! - the excitatory reset is a string (`'v = v_reset_e; theta += …; timer =
//!   0*ms'`), a `StringReset` without refractoriness: `v` is **not** held, it
//!   integrates freely from `v_reset` ([`Refractory::Free`]).
//!
//! In both cases Brian 1 refuses new spikes until `t ≥ t_spike + refrac −
//! dt/2` (its `_next_allowed_spiketime`), i.e. for `ceil(refrac/dt − 1/2)`
//! steps (10 for the excitatory 5 ms, 4 for the inhibitory 2 ms at 0.5 ms).
//!
//! Excitatory neurons add an adaptive threshold `θ` (spike when
//! `v > θ − θ_offset + v_thresh`, `θ += θ_plus` per spike, `dθ/dt = −θ/τ_θ`,
//! frozen when not learning) and the original's `timer`: reset to 0 by a
//! spike, a spike needs `timer > 5 ms`. The original declares
//! `dtimer/dt = 100.0 : ms`, which in Brian 1's SI units is 100 ms per ms:
//! the timer passes 5 ms one step after a spike, so it never adds to the
//! refractory period ([`AdaptiveThreshold::DC`]). The Brian 2 ports write
//! `dtimer/dt = 0.1 : second` (0.1 ms per ms, a 50 ms lock-out) and hold `v`
//! during the refractory period; that variant is
//! [`AdaptiveThreshold::BRIAN2_PORT`] with [`Refractory::Hold`].

use crate::math::expf::exp_with;
use crate::math::flush::decay_flushed;

/// How a population's membrane is advanced over one step (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// Forward Euler, clamped to `[E_inh, E_exc]` (overshoots counted).
    #[default]
    Euler,
    /// Exact for the step's frozen conductances.
    ExponentialEuler,
}

/// What happens to `v` after a spike (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refractory {
    /// Brian 1 with a string reset: `v` integrates freely; only spikes are
    /// refused for `ceil(refrac/dt − 1/2)` steps.
    Free,
    /// Brian 1 with a value reset: as `Free`, and after each threshold test
    /// `v` is clamped to `v_reset` for `int(refrac/dt) + 1` steps from the
    /// spike step on.
    Clamp,
    /// The Brian 2 ports (`unless refractory`): `v` is held at `v_reset`
    /// for `refrac/dt` steps after the spike, before the threshold test.
    Hold,
}

/// Parameters of one population.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifParams {
    /// Resting potential, mV.
    pub v_rest: f32,
    /// Reset potential, mV.
    pub v_reset: f32,
    /// Threshold, mV.
    pub v_thresh: f32,
    /// Membrane time constant, ms.
    pub tau_m: f32,
    /// Excitatory reversal potential, mV.
    pub e_exc: f32,
    /// Inhibitory reversal potential, mV.
    pub e_inh: f32,
    /// Excitatory conductance time constant, ms.
    pub tau_ge: f32,
    /// Inhibitory conductance time constant, ms.
    pub tau_gi: f32,
    /// Refractory period, ms.
    pub refrac_ms: f32,
    /// What `v` does during the refractory period.
    pub refractory: Refractory,
    /// Initial membrane potential, mV (`v_rest − 40` in the original).
    pub v_init: f32,
}

impl LifParams {
    /// Excitatory neurons of Diehl & Cook (2015): rest/reset −65, threshold −52,
    /// τ_m 100 ms, E_exc 0, E_inh −100 mV, refractory 5 ms (string reset in
    /// the original: `v` not held).
    pub const DC_EXCITATORY: LifParams = LifParams {
        v_rest: -65.0,
        v_reset: -65.0,
        v_thresh: -52.0,
        tau_m: 100.0,
        e_exc: 0.0,
        e_inh: -100.0,
        tau_ge: 1.0,
        tau_gi: 2.0,
        refrac_ms: 5.0,
        refractory: Refractory::Free,
        v_init: -105.0,
    };

    /// Inhibitory neurons of Diehl & Cook (2015): rest −60, reset −45,
    /// threshold −40, τ_m 10 ms, E_exc 0, E_inh −85 mV, refractory 2 ms
    /// (value reset in the original: `v` clamped).
    pub const DC_INHIBITORY: LifParams = LifParams {
        v_rest: -60.0,
        v_reset: -45.0,
        v_thresh: -40.0,
        tau_m: 10.0,
        e_exc: 0.0,
        e_inh: -85.0,
        tau_ge: 1.0,
        tau_gi: 2.0,
        refrac_ms: 2.0,
        refractory: Refractory::Clamp,
        v_init: -100.0,
    };
}

/// The adaptive threshold of excitatory neurons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveThreshold {
    /// Initial θ, mV (20 in the original when training from scratch).
    pub theta_init: f64,
    /// Increment per spike, mV.
    pub theta_plus: f64,
    /// Decay time constant, ms.
    pub tau_theta: f64,
    /// Subtracted from θ in the threshold, mV.
    pub offset: f64,
    /// Growth of the spike timer, ms per ms (100 in the original code).
    pub timer_rate: f64,
    /// The timer must exceed this before a spike, ms (5 in the original code).
    pub timer_lockout: f64,
}

impl AdaptiveThreshold {
    /// The original code's values: θ₀ 20 mV, +0.05 mV, τ_θ 1e7 ms, offset
    /// 20 mV, timer at 100 ms/ms against 5 ms (no lock-out beyond the
    /// refractory period).
    pub const DC: AdaptiveThreshold = AdaptiveThreshold {
        theta_init: 20.0,
        theta_plus: 0.05,
        tau_theta: 1e7,
        offset: 20.0,
        timer_rate: 100.0,
        timer_lockout: 5.0,
    };

    /// The θ at which the threshold `v_thresh − offset + θ` of a neuron
    /// with membrane `p` equals its resting potential `v_rest`, mV (7 mV
    /// with the original's values: −65 + 52 + 20). Once θ stops growing
    /// (the frozen phases), a neuron with θ below this fires with no input
    /// at all, and one just above it on almost any input.
    pub fn theta_at_rest(&self, p: &LifParams) -> f64 {
        f64::from(p.v_rest) - f64::from(p.v_thresh) + self.offset
    }

    /// As [`DC`](Self::DC) with the Brian 2 ports' timer, 0.1 ms/ms: a 50 ms
    /// lock-out after each spike.
    pub const BRIAN2_PORT: AdaptiveThreshold = AdaptiveThreshold {
        timer_rate: 0.1,
        ..Self::DC
    };
}

/// A neuron that never spiked: steps since its last spike.
pub const NEVER_SPIKED: u32 = u32::MAX;

/// State of a population of `n` neurons.
#[derive(Clone, Debug)]
pub struct LifPopulation {
    /// Parameters.
    pub params: LifParams,
    /// Adaptive threshold, for excitatory populations.
    pub adaptive: Option<AdaptiveThreshold>,
    /// Membrane potentials, mV.
    pub v: Vec<f32>,
    /// Excitatory conductances.
    pub ge: Vec<f32>,
    /// Inhibitory conductances.
    pub gi: Vec<f32>,
    /// Adaptive thresholds θ, mV (zero without adaptation), held in f64 as
    /// the original integrates it: its per-step decay `1 − dt/τ_θ = 1 − 5·10⁻⁸`
    /// is below half an f32 ulp of θ (see `docs/numerics.md`).
    pub theta: Vec<f64>,
    /// Spike timers, ms.
    pub timer: Vec<f32>,
    /// Steps since each neuron's last spike ([`NEVER_SPIKED`] before the first).
    pub since_spike: Vec<u32>,
    /// Per block of [`QUIET_BLOCK`] neurons, for [`LifSlice::step_quiet`]:
    /// [`ACTIVE`] while the block is stepped, else the first step it skipped
    /// (its ages lag by the steps skipped since; [`LifPopulation::catch_up`]).
    quiet_since: Vec<u64>,
    /// The threshold passes' constants (frozen, learning) at the last `dt`
    /// stepped with, so that a step does not derive them again.
    rules: Option<(f32, [ThresholdRule; 2])>,
}

/// The variables of a [`LifPopulation`] that evolve (checkpoints): what
/// [`LifPopulation::state`] takes and [`LifPopulation::restore`] puts back.
#[derive(Clone, Debug, PartialEq)]
pub struct LifState {
    /// Membrane potentials, mV.
    pub v: Vec<f32>,
    /// Excitatory conductances.
    pub ge: Vec<f32>,
    /// Inhibitory conductances.
    pub gi: Vec<f32>,
    /// Spike timers, ms.
    pub timer: Vec<f32>,
    /// Adaptive thresholds θ, mV (f64, see [`LifPopulation::theta`]).
    pub theta: Vec<f64>,
    /// Steps since each neuron's last spike.
    pub since_spike: Vec<u32>,
}

/// Neurons per block of [`LifSlice::step_quiet`] (ranges of a split start at
/// multiples of it).
pub const QUIET_BLOCK: usize = 64;

/// A block of [`LifSlice::step_quiet`] that is stepped.
const ACTIVE: u64 = u64::MAX;

/// One step of the membrane and the conductances, by exponential Euler
/// (`exponential`: `v ← v∞ + (v − v∞)·e^(−dt(1+ge+gi)/τ_m)`) or forward
/// Euler; `v` is then clamped to `[min(E_inh, v), max(E_exc, v)]`, which
/// the exact solution never leaves. Returns how many neurons needed the
/// clamp (Euler overshoots; rounding at most with the exponential step).
#[inline(always)]
fn integrate_body<const FMA: bool>(
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    p: &LifParams,
    dt: f32,
    exponential: bool,
) -> u32 {
    let (kge, kgi) = (1.0 - dt / p.tau_ge, 1.0 - dt / p.tau_gi);
    let k_m = dt / p.tau_m;
    let n = v.len();
    let (ge, gi) = (&mut ge[..n], &mut gi[..n]);
    let mut clamped = 0u32;
    for k in 0..n {
        let vn = if exponential {
            let g = 1.0 + ge[k] + gi[k];
            let v_inf = (p.v_rest + ge[k] * p.e_exc + gi[k] * p.e_inh) / g;
            v_inf + (v[k] - v_inf) * exp_with::<FMA>(-k_m * g)
        } else {
            let dv = (p.v_rest - v[k]) + ge[k] * (p.e_exc - v[k]) + gi[k] * (p.e_inh - v[k]);
            v[k] + k_m * dv
        };
        let vc = vn.max(p.e_inh.min(v[k])).min(p.e_exc.max(v[k]));
        clamped += u32::from(vc != vn);
        v[k] = vc;
        ge[k] = decay_flushed(ge[k], kge);
        gi[k] = decay_flushed(gi[k], kgi);
    }
    clamped
}

crate::math::simd::dispatch!(fn integrate(v: &mut [f32], ge: &mut [f32], gi: &mut [f32], p: &LifParams, dt: f32, exponential: bool) -> u32 => integrate_body);

/// Neurons per chunk of [`LifSlice::step`]: the chunk's six state arrays
/// (12 KB) stay in L1 between the membrane and the threshold pass.
const STEP_CHUNK: usize = 512;

/// Constants of one threshold pass.
#[derive(Clone, Copy, Debug)]
struct ThresholdRule {
    /// `v_thresh − offset`, mV (the threshold is `v_thresh + θ − offset`).
    base: f64,
    v_reset: f32,
    /// `dt/τ_θ` (0 when frozen).
    decay_theta: f64,
    timer_step: f32,
    /// The f32 timer passes the lock-out exactly when the original's f64
    /// timer does ([`TimerLockout`]).
    lockout: f32,
    /// The timer stops growing here (past the lock-out it is never read).
    timer_cap: f32,
    grow: f64,
    allowed: u32,
    hold: u32,
    clamp: u32,
}

/// After the membrane step: ages, θ decay, timers, the threshold test and the
/// resets of every neuron, branch-free; a neuron that fired has age 0
/// afterwards. Returns how many fired. Per neuron, in order: `age += 1`; `Hold`
/// sets `v = v_reset` while `age <= hold`; `θ ← θ − θ·dt/τ_θ` (in f64), `timer += dt·rate`;
/// it fires when `age >= allowed`, `v > (v_thresh − offset) + θ` (in f64) and
/// `timer > lockout` (then `v = v_reset`, `age = 0`, `timer = 0`,
/// `θ += θ_plus`); `Clamp` sets `v = v_reset` while `age < clamp`.
#[inline(always)]
fn threshold_generic<const ADAPTIVE: bool>(
    v: &mut [f32],
    since: &mut [u32],
    theta: &mut [f64],
    timer: &mut [f32],
    c: &ThresholdRule,
) -> u32 {
    let n = v.len();
    let (since, timer) = (&mut since[..n], &mut timer[..n]);
    // Without adaptation θ is never read (a population without it keeps its
    // zeros), and the test is `v > v_thresh` in f32: the same comparison,
    // with no f64 lanes in the loop.
    let theta = if ADAPTIVE {
        &mut theta[..n]
    } else {
        &mut [][..]
    };
    // Constants as locals: selecting between a value behind `c` and `v[k]`
    // would otherwise compile to a select of addresses, which does not vectorise.
    let ThresholdRule {
        base,
        v_reset,
        decay_theta,
        timer_step,
        lockout,
        timer_cap,
        grow,
        allowed,
        hold,
        clamp,
    } = *c;
    let v_thresh = base as f32;
    let mut fired = 0u32;
    for k in 0..n {
        let age = since[k].saturating_add(1);
        let v0 = v[k];
        let vk = if age <= hold { v_reset } else { v0 };
        let tm = (timer[k] + timer_step).min(timer_cap);
        // `&` and `|`, not `&&` and `||`: no branches, so the loop vectorises.
        let spike = if ADAPTIVE {
            let th = theta[k] - theta[k] * decay_theta;
            let spike = (age >= allowed) & (f64::from(vk) > base + th) & (tm > lockout);
            theta[k] = if spike { th + grow } else { th };
            spike
        } else {
            (age >= allowed) & (vk > v_thresh) & (tm > lockout)
        };
        v[k] = if spike | (age < clamp) { v_reset } else { vk };
        since[k] = if spike { 0 } else { age };
        timer[k] = if spike { 0.0 } else { tm };
        fired += u32::from(spike);
    }
    fired
}

#[inline(always)]
fn threshold_adaptive_body<const FMA: bool>(
    v: &mut [f32],
    since: &mut [u32],
    theta: &mut [f64],
    timer: &mut [f32],
    c: &ThresholdRule,
) -> u32 {
    threshold_generic::<true>(v, since, theta, timer, c)
}

#[inline(always)]
fn threshold_fixed_body<const FMA: bool>(
    v: &mut [f32],
    since: &mut [u32],
    timer: &mut [f32],
    c: &ThresholdRule,
) -> u32 {
    threshold_generic::<false>(v, since, &mut [], timer, c)
}

crate::math::simd::dispatch!(fn threshold_adaptive(v: &mut [f32], since: &mut [u32], theta: &mut [f64], timer: &mut [f32], c: &ThresholdRule) -> u32 => threshold_adaptive_body);
crate::math::simd::dispatch!(fn threshold_fixed(v: &mut [f32], since: &mut [u32], timer: &mut [f32], c: &ThresholdRule) -> u32 => threshold_fixed_body);

/// θ's per-step decay rate `dt/τ_θ` of the forward Euler step
/// `θ ← θ − θ·(dt/τ_θ)`, in f64 as the original (Brian 1, float64) computes
/// it: in f32 the factor `1 − 5·10⁻⁸` would round to `1 − 2⁻²⁴`, and θ would
/// lose exactly one ulp per step, 1.2-2.4x the true decay
/// (`docs/numerics.md`). Written as a subtraction rather than a product with
/// `1 − dt/τ_θ`, whose f64 rounding (3·10⁻¹⁷ per step) would add up to
/// 3·10⁻¹⁰ over 10⁷ steps; this form stays near 10⁻¹³.
pub fn theta_decay_rate(dt_ms: f32, tau_theta_ms: f64) -> f64 {
    f64::from(dt_ms) / tau_theta_ms
}

/// The spike timer's lock-out in f32, equal step for step to the original's
/// float64 timer: Brian 1 (and the Brian 2 ports) add `dt·rate` to `timer`
/// every step in f64 and require `timer > lockout`. The f32 timer is reset to
/// exactly 0 by a spike and then takes the values `S₃₂(k)` (k f32 additions
/// of the step), so comparing it with a threshold between `S₃₂(n − 1)` and
/// `S₃₂(n)`, where `n` is the first step count at which the f64 sum exceeds
/// the lock-out, passes exactly when the original's does (the plain f32
/// comparison passed one step early with the Brian 2 ports' 0.05 ms steps:
/// 100 f32 additions give 5.000001). Past the lock-out the timer is capped
/// at `S₃₂(n)`: it is never read again, and an unbounded f32 sum would only
/// lose resolution (`docs/numerics.md`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct TimerLockout {
    step: f32,
    threshold: f32,
    cap: f32,
}

impl TimerLockout {
    /// No lock-out (populations without the timer).
    const NONE: TimerLockout = TimerLockout {
        step: 0.0,
        threshold: f32::NEG_INFINITY,
        cap: 0.0,
    };

    /// Steps of `step` ms (f64, as the original adds them) against `lockout` ms.
    fn new(step: f64, lockout: f64) -> Self {
        if lockout.is_nan() || lockout < 0.0 {
            return Self::NONE;
        }
        if step.is_nan() || step <= 0.0 {
            // The timer never grows: never past a lock-out ≥ 0.
            return TimerLockout {
                step: 0.0,
                threshold: f32::INFINITY,
                cap: 0.0,
            };
        }
        // The first n with Σₙ step > lockout in f64 (bounded: the lock-outs
        // used are a few hundred steps at most).
        let (mut sum64, mut n) = (0.0f64, 0u64);
        while sum64 <= lockout && n < 10_000_000 {
            sum64 += step;
            n += 1;
        }
        let step32 = step as f32;
        let (mut prev, mut sum32) = (0.0f32, 0.0f32);
        for _ in 0..n {
            prev = sum32;
            sum32 += step32;
        }
        TimerLockout {
            step: step32,
            threshold: prev + 0.5 * (sum32 - prev),
            cap: sum32,
        }
    }
}

/// Step counts of the refractory rules at `dt` (see the module docs).
#[derive(Clone, Copy, Debug)]
struct RefractorySteps {
    /// A spike needs at least this many steps since the last one.
    allowed: u32,
    /// `Hold`: `v = v_reset` while `since_spike <= hold`.
    hold: u32,
    /// `Clamp`: `v = v_reset` after the test while `since_spike < clamp`.
    clamp: u32,
}

impl RefractorySteps {
    fn new(p: &LifParams, dt: f32) -> Self {
        let ratio = f64::from(p.refrac_ms) / f64::from(dt);
        match p.refractory {
            Refractory::Free | Refractory::Clamp => RefractorySteps {
                allowed: (ratio - 0.5).ceil().max(0.0) as u32,
                hold: 0,
                clamp: if p.refractory == Refractory::Clamp {
                    ratio.floor() as u32 + 1
                } else {
                    0
                },
            },
            Refractory::Hold => {
                let hold = ratio.round() as u32;
                RefractorySteps {
                    allowed: hold + 1,
                    hold,
                    clamp: 0,
                }
            }
        }
    }
}

impl LifPopulation {
    /// `n` neurons at `v_init`, conductances zero, θ at its initial value,
    /// timers at 0, no spike yet.
    pub fn new(n: usize, params: LifParams, adaptive: Option<AdaptiveThreshold>) -> Self {
        let theta0 = adaptive.map_or(0.0, |a| a.theta_init);
        LifPopulation {
            params,
            adaptive,
            v: vec![params.v_init; n],
            ge: vec![0.0; n],
            gi: vec![0.0; n],
            theta: vec![theta0; n],
            timer: vec![0.0; n],
            since_spike: vec![NEVER_SPIKED; n],
            quiet_since: vec![ACTIVE; n.div_ceil(QUIET_BLOCK)],
            rules: None,
        }
    }

    /// Derives the threshold passes' constants for steps of `dt` once
    /// (a step at another `dt` derives its own).
    pub fn prepare(&mut self, dt: f32) {
        let rules = [
            threshold_rule(&self.params, self.adaptive, dt, false),
            threshold_rule(&self.params, self.adaptive, dt, true),
        ];
        self.rules = Some((dt, rules));
    }

    /// Brings the ages of the quiet blocks of [`LifSlice::step_quiet`] up to
    /// `t`, the number of steps taken so far (the blocks stay quiet), so that
    /// every state variable is exact (checkpoints, inspection).
    pub fn catch_up(&mut self, t: u64) {
        for (b, q) in self.quiet_since.iter_mut().enumerate() {
            if *q != ACTIVE {
                let r = quiet_block(b, self.since_spike.len());
                age_by(&mut self.since_spike[r], t - *q);
                *q = t;
            }
        }
    }

    /// Steps every block from the next step on, taking the ages as they are
    /// (after the state was set from outside, e.g. restored from a checkpoint).
    pub fn wake_all(&mut self) {
        self.quiet_since.fill(ACTIVE);
    }

    /// The variables that evolve, for checkpoints (taken at an example
    /// boundary, where every block is stepped and every age exact).
    pub fn state(&self) -> LifState {
        LifState {
            v: self.v.clone(),
            ge: self.ge.clone(),
            gi: self.gi.clone(),
            timer: self.timer.clone(),
            theta: self.theta.clone(),
            since_spike: self.since_spike.clone(),
        }
    }

    /// Puts back a [`state`](Self::state) of a population of the same size,
    /// then steps every block from the next step on; on a length that does
    /// not fit, nothing changes and the variable's name is returned.
    pub fn restore(&mut self, s: LifState) -> std::result::Result<(), &'static str> {
        let n = self.len();
        let lengths = [
            ("v", s.v.len()),
            ("ge", s.ge.len()),
            ("gi", s.gi.len()),
            ("timer", s.timer.len()),
            ("theta", s.theta.len()),
            ("since_spike", s.since_spike.len()),
        ];
        if let Some((name, _)) = lengths.iter().find(|(_, len)| *len != n) {
            return Err(name);
        }
        self.v = s.v;
        self.ge = s.ge;
        self.gi = s.gi;
        self.timer = s.timer;
        self.theta = s.theta;
        self.since_spike = s.since_spike;
        self.wake_all();
        Ok(())
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Advances one step of `dt` ms with `integrator` and appends the indices
    /// of the neurons that spiked to `spikes`. `learning` lets θ decay and grow.
    /// Returns how many membranes left `[E_inh, E_exc]` and were clamped
    /// back (Euler overshoots; 0 with the exponential integrator).
    pub fn step(
        &mut self,
        dt: f32,
        integrator: Integrator,
        learning: bool,
        spikes: &mut Vec<u32>,
    ) -> u32 {
        self.whole().step(dt, integrator, learning, spikes)
    }

    /// Every neuron as one [`LifSlice`] (no allocation: the one-thread path).
    pub fn whole(&mut self) -> LifSlice<'_> {
        LifSlice {
            params: self.params,
            adaptive: self.adaptive,
            first: 0,
            v: &mut self.v,
            ge: &mut self.ge,
            gi: &mut self.gi,
            theta: &mut self.theta,
            timer: &mut self.timer,
            since_spike: &mut self.since_spike,
            quiet_since: &mut self.quiet_since,
            rules: self.rules,
        }
    }

    /// The neurons in `bounds[k]..bounds[k + 1]` as disjoint mutable views
    /// (`bounds` ascending from 0 to [`len`](Self::len)), to step ranges of
    /// one population on different threads. Each neuron's arithmetic does
    /// not depend on the ranges, so any split gives the same state as
    /// [`step`](Self::step).
    pub fn split(&mut self, bounds: &[usize]) -> Vec<LifSlice<'_>> {
        let (params, adaptive, rules) = (self.params, self.adaptive, self.rules);
        let n = self.v.len();
        let v = split_ranges(&mut self.v, bounds);
        let ge = split_ranges(&mut self.ge, bounds);
        let gi = split_ranges(&mut self.gi, bounds);
        let theta = split_ranges(&mut self.theta, bounds);
        let timer = split_ranges(&mut self.timer, bounds);
        let since = split_ranges(&mut self.since_spike, bounds);
        assert!(
            bounds
                .iter()
                .all(|&b| b == n || b.is_multiple_of(QUIET_BLOCK)),
            "ranges start at whole quiet blocks"
        );
        let block_bounds: Vec<usize> = bounds.iter().map(|b| b.div_ceil(QUIET_BLOCK)).collect();
        let quiet = split_ranges(&mut self.quiet_since, &block_bounds);
        v.into_iter()
            .zip(ge)
            .zip(gi)
            .zip(theta)
            .zip(timer)
            .zip(since)
            .zip(quiet)
            .zip(bounds)
            .map(
                |(((((((v, ge), gi), theta), timer), since_spike), quiet_since), &first)| {
                    LifSlice {
                        params,
                        adaptive,
                        first,
                        v,
                        ge,
                        gi,
                        theta,
                        timer,
                        since_spike,
                        quiet_since,
                        rules,
                    }
                },
            )
            .collect()
    }
}

/// Splits `x` at the ascending `bounds` (first 0, last `x.len()`) into
/// `bounds.len() − 1` disjoint mutable slices.
pub fn split_ranges<'a, T>(x: &'a mut [T], bounds: &[usize]) -> Vec<&'a mut [T]> {
    assert!(
        bounds.first() == Some(&0) && bounds.last() == Some(&x.len()),
        "bounds cover the slice"
    );
    let mut rest = x;
    let mut out = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
        out.push(head);
        rest = tail;
    }
    out
}

/// A contiguous range of a [`LifPopulation`]'s neurons, stepped on its own
/// (see [`LifPopulation::split`]).
#[derive(Debug)]
pub struct LifSlice<'a> {
    params: LifParams,
    adaptive: Option<AdaptiveThreshold>,
    /// Index of the range's first neuron in the population.
    pub first: usize,
    /// Membrane potentials, mV.
    pub v: &'a mut [f32],
    /// Excitatory conductances.
    pub ge: &'a mut [f32],
    /// Inhibitory conductances.
    pub gi: &'a mut [f32],
    /// Adaptive thresholds θ, mV (f64, see [`LifPopulation::theta`]).
    pub theta: &'a mut [f64],
    /// Spike timers, ms.
    pub timer: &'a mut [f32],
    /// Steps since each neuron's last spike.
    pub since_spike: &'a mut [u32],
    /// The range's blocks' [`LifPopulation::quiet_since`].
    quiet_since: &'a mut [u64],
    rules: Option<(f32, [ThresholdRule; 2])>,
}

/// The neurons of quiet block `blk` in a range of `n`.
fn quiet_block(blk: usize, n: usize) -> std::ops::Range<usize> {
    blk * QUIET_BLOCK..((blk + 1) * QUIET_BLOCK).min(n)
}

/// `age += steps` for every age, saturating as the step's `age + 1` does.
fn age_by(ages: &mut [u32], steps: u64) {
    let k = u32::try_from(steps).unwrap_or(u32::MAX);
    for a in ages {
        *a = a.saturating_add(k);
    }
}

impl LifSlice<'_> {
    /// The constants of a threshold pass at `dt` (see [`threshold_generic`]).
    fn threshold_rule(&self, dt: f32, learning: bool) -> ThresholdRule {
        match self.rules {
            Some((d, r)) if d == dt => r[usize::from(learning)],
            _ => threshold_rule(&self.params, self.adaptive, dt, learning),
        }
    }

    /// Neurons `a..b` of the range, one step: the membrane pass then the
    /// threshold pass, spikes appended as population indices. Returns the
    /// clamped count and the spike count.
    fn step_chunk(
        &mut self,
        a: usize,
        b: usize,
        dt: f32,
        exponential: bool,
        c: &ThresholdRule,
        spikes: &mut Vec<u32>,
    ) -> (u32, u32) {
        let v = &mut self.v[a..b];
        let clamped = integrate(
            v,
            &mut self.ge[a..b],
            &mut self.gi[a..b],
            &self.params,
            dt,
            exponential,
        );
        let since = &mut self.since_spike[a..b];
        let fired = if self.adaptive.is_some() {
            threshold_adaptive(v, since, &mut self.theta[a..b], &mut self.timer[a..b], c)
        } else {
            threshold_fixed(v, since, &mut self.timer[a..b], c)
        };
        if fired > 0 {
            let first = (self.first + a) as u32;
            spikes.extend(
                since
                    .iter()
                    .enumerate()
                    .filter(|&(_, &age)| age == 0)
                    .map(|(k, _)| first + k as u32),
            );
        }
        (clamped, fired)
    }

    /// [`LifPopulation::step`] for this range; spikes are appended as
    /// population indices.
    pub fn step(
        &mut self,
        dt: f32,
        integrator: Integrator,
        learning: bool,
        spikes: &mut Vec<u32>,
    ) -> u32 {
        let exponential = integrator == Integrator::ExponentialEuler;
        let c = self.threshold_rule(dt, learning);
        // Both passes chunk by chunk, so that a chunk's state is still in
        // L1 for the threshold pass (the same per-neuron arithmetic as two
        // passes over the whole range).
        let mut clamped = 0;
        let n = self.v.len();
        for a in (0..n).step_by(STEP_CHUNK) {
            let b = (a + STEP_CHUNK).min(n);
            clamped += self.step_chunk(a, b, dt, exponential, &c, spikes).0;
        }
        clamped
    }

    /// Step `t` (the steps taken before it) of the range as [`step`](Self::step)
    /// does, skipping the blocks of [`QUIET_BLOCK`] neurons that are quiet: a
    /// block whose last step changed nothing but its neurons' ages (no
    /// conductance, every membrane at the fixed point of its f32 update, θ
    /// and timers unchanged, every neuron past its refractory rules) would
    /// map its state to itself on every step until an input arrives, so
    /// skipping it is exact; its ages are caught up when it wakes
    /// ([`wake`](Self::wake)) or on [`LifPopulation::catch_up`]. Any write
    /// to a neuron's state from outside must go through `wake` first. The
    /// inhibitory population of the Diehl & Cook network is quiet except
    /// for the few hundred steps after each excitatory spike.
    pub fn step_quiet(
        &mut self,
        dt: f32,
        integrator: Integrator,
        learning: bool,
        t: u64,
        spikes: &mut Vec<u32>,
    ) -> u32 {
        let exponential = integrator == Integrator::ExponentialEuler;
        let c = self.threshold_rule(dt, learning);
        // Past this age every refractory rule lets the neuron be.
        let settled_age = c.allowed.max(c.clamp).max(c.hold.saturating_add(1)).max(1);
        let n = self.v.len();
        let mut clamped = 0;
        let mut before_v = [0f32; QUIET_BLOCK];
        let mut before_timer = [0f32; QUIET_BLOCK];
        let mut before_theta = [0f64; QUIET_BLOCK];
        for blk in 0..self.quiet_since.len() {
            if self.quiet_since[blk] != ACTIVE {
                continue;
            }
            let std::ops::Range { start: a, end: b } = quiet_block(blk, n);
            let w = b - a;
            // Only a block without conductance can be quiet after the step
            // (a conductance decays to 0 only through the flush floor, which
            // the next step then sees): the state is kept for the check only then.
            let candidate = no_bits(&self.ge[a..b]) && no_bits(&self.gi[a..b]);
            if !candidate {
                clamped += self.step_chunk(a, b, dt, exponential, &c, spikes).0;
                continue;
            }
            before_v[..w].copy_from_slice(&self.v[a..b]);
            before_timer[..w].copy_from_slice(&self.timer[a..b]);
            let adaptive = self.adaptive.is_some();
            if adaptive {
                before_theta[..w].copy_from_slice(&self.theta[a..b]);
            }
            let (cl, fired) = self.step_chunk(a, b, dt, exponential, &c, spikes);
            clamped += cl;
            let quiet = fired == 0
                && cl == 0
                && self.since_spike[a..b].iter().all(|&s| s >= settled_age)
                && same_bits(&self.v[a..b], &before_v[..w])
                && same_bits(&self.timer[a..b], &before_timer[..w])
                && (!adaptive
                    || self.theta[a..b]
                        .iter()
                        .zip(&before_theta[..w])
                        .all(|(x, y)| x.to_bits() == y.to_bits()));
            if quiet {
                self.quiet_since[blk] = t + 1;
            }
        }
        clamped
    }

    /// Before step `t`'s input reaches neuron `local` (an index into the
    /// range) from outside: its block is stepped again from step `t + 1`,
    /// with its ages caught up over the steps it skipped ([`step_quiet`](Self::step_quiet)).
    #[inline]
    pub fn wake(&mut self, local: usize, t: u64) {
        let blk = local / QUIET_BLOCK;
        let q = self.quiet_since[blk];
        if q != ACTIVE {
            let r = quiet_block(blk, self.v.len());
            age_by(&mut self.since_spike[r], t + 1 - q);
            self.quiet_since[blk] = ACTIVE;
        }
    }
}

/// The constants of a threshold pass at `dt` (see [`threshold_generic`]).
fn threshold_rule(
    p: &LifParams,
    adaptive: Option<AdaptiveThreshold>,
    dt: f32,
    learning: bool,
) -> ThresholdRule {
    let r = RefractorySteps::new(p, dt);
    let (decay_theta, offset, timer, grow) = match adaptive {
        Some(a) => (
            if learning {
                theta_decay_rate(dt, a.tau_theta)
            } else {
                0.0
            },
            a.offset,
            TimerLockout::new(f64::from(dt) * a.timer_rate, a.timer_lockout),
            if learning { a.theta_plus } else { 0.0 },
        ),
        None => (0.0, 0.0, TimerLockout::NONE, 0.0),
    };
    ThresholdRule {
        base: f64::from(p.v_thresh) - offset,
        v_reset: p.v_reset,
        decay_theta,
        timer_step: timer.step,
        lockout: timer.threshold,
        timer_cap: timer.cap,
        grow,
        allowed: r.allowed,
        hold: r.hold,
        clamp: r.clamp,
    }
}

/// Whether every value of `x` is +0.0 (one pass, no early exit, so it vectorises).
fn no_bits(x: &[f32]) -> bool {
    x.iter().fold(0u32, |acc, v| acc | v.to_bits()) == 0
}

/// Whether two f32 slices hold the same bits.
fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drive(pop: &mut LifPopulation, ge: f32, steps: usize, integrator: Integrator) -> Vec<usize> {
        let mut times = Vec::new();
        for t in 0..steps {
            pop.ge.fill(ge);
            let mut s = Vec::new();
            pop.step(0.5, integrator, true, &mut s);
            if !s.is_empty() {
                times.push(t);
            }
        }
        times
    }

    #[test]
    fn skipping_quiet_blocks_gives_the_state_of_stepping_every_neuron() {
        // Sparse kicks, as excitatory spikes give the inhibitory population,
        // and dense ones, for both populations and both integrators: after
        // every step (ages caught up) the state equals the fully stepped one
        // bit for bit, and the spikes are the same.
        use rand::{Rng, SeedableRng};
        for (params, adaptive, rate) in [
            (LifParams::DC_INHIBITORY, None, 0.002),
            (LifParams::DC_INHIBITORY, None, 0.2),
            (LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC), 0.01),
        ] {
            for integrator in [Integrator::Euler, Integrator::ExponentialEuler] {
                let n = 200;
                let mut full = LifPopulation::new(n, params, adaptive);
                let mut quiet = full.clone();
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
                let mut skipped = 0usize;
                for t in 0..3000u64 {
                    let learning = t % 1000 < 700;
                    let (mut s1, mut s2) = (Vec::new(), Vec::new());
                    let c1 = full.step(0.5, integrator, learning, &mut s1);
                    let c2 = quiet
                        .whole()
                        .step_quiet(0.5, integrator, learning, t, &mut s2);
                    assert_eq!((c1, &s1), (c2, &s2), "step {t}");
                    skipped += quiet.quiet_since.iter().filter(|&&q| q != ACTIVE).count();
                    for j in 0..n {
                        if rng.random::<f64>() < rate {
                            let g = 12.0 * rng.random::<f32>();
                            full.ge[j] += g;
                            quiet.whole().wake(j, t);
                            quiet.ge[j] += g;
                        }
                    }
                    let mut caught = quiet.clone();
                    caught.catch_up(t + 1);
                    assert_eq!(caught.v, full.v, "step {t}");
                    assert_eq!(caught.ge, full.ge);
                    assert_eq!(caught.theta, full.theta);
                    assert_eq!(caught.timer, full.timer);
                    assert_eq!(caught.since_spike, full.since_spike, "step {t}");
                }
                if rate < 0.01 && adaptive.is_none() {
                    assert!(skipped > 0, "{integrator:?}: quiet blocks were skipped");
                }
            }
        }
    }

    #[test]
    fn without_input_the_membrane_relaxes_to_rest_without_spiking() {
        for integrator in [Integrator::Euler, Integrator::ExponentialEuler] {
            let mut pop =
                LifPopulation::new(3, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
            let mut spikes = Vec::new();
            let mut overshoots = 0;
            for _ in 0..20_000 {
                overshoots += pop.step(0.5, integrator, true, &mut spikes);
            }
            assert!(spikes.is_empty());
            // 10 s = 100 τ_m: at rest to float precision.
            assert!(
                pop.v.iter().all(|&v| (v + 65.0).abs() < 1e-3),
                "{integrator:?}: {:?}",
                pop.v
            );
            assert_eq!(overshoots, 0);
        }
    }

    #[test]
    fn euler_step_matches_the_equation() {
        let mut pop = LifPopulation::new(1, LifParams::DC_INHIBITORY, None);
        pop.v[0] = -50.0;
        pop.ge[0] = 0.2;
        pop.gi[0] = 0.1;
        pop.step(0.5, Integrator::Euler, false, &mut Vec::new());
        let dv = (-60.0 + 50.0) + 0.2 * (0.0 + 50.0) + 0.1 * (-85.0 + 50.0);
        assert!((pop.v[0] - (-50.0 + 0.05 * dv)).abs() < 1e-5);
        assert!(
            (pop.ge[0] - 0.1).abs() < 1e-7,
            "τ_ge = 1 ms at dt 0.5: halves"
        );
        assert!((pop.gi[0] - 0.075).abs() < 1e-7);
    }

    #[test]
    fn exponential_step_is_the_exact_solution_for_frozen_conductances() {
        let mut pop = LifPopulation::new(1, LifParams::DC_INHIBITORY, None);
        pop.v[0] = -50.0;
        pop.ge[0] = 0.2;
        pop.gi[0] = 0.1;
        pop.step(0.5, Integrator::ExponentialEuler, false, &mut Vec::new());
        let g = 1.3f64;
        let v_inf = (-60.0 + 0.2 * 0.0 + 0.1 * -85.0) / g;
        let exact = v_inf + (-50.0 - v_inf) * (-0.5 * g / 10.0).exp();
        assert!(
            (f64::from(pop.v[0]) - exact).abs() < 1e-4,
            "{} vs {exact}",
            pop.v[0]
        );
    }

    #[test]
    fn driven_hard_an_excitatory_neuron_fires_every_refractory_period() {
        // Original (Brian 1) rules: the timer passes 5 ms one step after a
        // spike, spikes are refused for ceil(5/0.5 − 1/2) = 10 steps, and `v`
        // is free meanwhile: a saturating drive fires every 10 steps.
        let mut pop = LifPopulation::new(1, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
        let times = drive(&mut pop, 50.0, 400, Integrator::ExponentialEuler);
        let gaps: Vec<usize> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(times.len() > 30, "{times:?}");
        assert!(gaps.iter().all(|&g| g == 10), "{gaps:?}");
        let expected_theta = 20.0 * (1.0 - 0.5f64 / 1e7).powi(400) + 0.05 * times.len() as f64;
        assert!(
            (pop.theta[0] - expected_theta).abs() < 1e-3,
            "θ grows 0.05 mV per spike"
        );
    }

    #[test]
    fn the_brian2_port_timer_locks_out_for_50_ms_and_holds_v() {
        let params = LifParams {
            refractory: Refractory::Hold,
            ..LifParams::DC_EXCITATORY
        };
        let mut pop = LifPopulation::new(1, params, Some(AdaptiveThreshold::BRIAN2_PORT));
        pop.v[0] = -65.0;
        let mut times = Vec::new();
        let mut held = true;
        for t in 0..400 {
            pop.ge[0] = 5.0;
            let mut s = Vec::new();
            pop.step(0.5, Integrator::Euler, true, &mut s);
            if !s.is_empty() {
                times.push(t);
            }
            let age = pop.since_spike[0];
            if (1..=10).contains(&age) {
                held &= pop.v[0] == -65.0;
            }
        }
        assert!(times.len() >= 2, "{times:?}");
        assert!(held, "v is held at v_reset for 5 ms after a spike");
        let gaps: Vec<usize> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g >= 100), "{gaps:?}");
    }

    #[test]
    fn the_f32_timer_passes_the_lockout_at_the_step_the_f64_timer_does() {
        // The original's timer: f64 additions of dt·rate, `timer > lockout`.
        for (step, lockout) in [
            (0.05, 5.0),
            (50.0, 5.0),
            (0.1, 5.0),
            (0.05, 2.5),
            (0.3, 7.0),
        ] {
            let mut t64 = 0.0f64;
            let n64 = (1..).find(|_| {
                t64 += step;
                t64 > lockout
            });
            let l = TimerLockout::new(step, lockout);
            let mut t32 = 0.0f32;
            let n32 = (1..100_000).find(|_| {
                t32 = (t32 + l.step).min(l.cap);
                t32 > l.threshold
            });
            assert_eq!(n32, n64, "step {step} ms against {lockout} ms");
        }
        // The Brian 2 ports' 0.05 ms steps: 100 f32 additions exceed 5 ms
        // (5.000001), 100 f64 additions do not; the lock-out lasts 101 steps.
        let mut t = 0.0f32;
        for _ in 0..100 {
            t += 0.05f64 as f32;
        }
        assert!(t > 5.0);
        let l = TimerLockout::new(0.05, 5.0);
        let (mut t, mut n) = (0.0f32, 0);
        while t <= l.threshold {
            t = (t + l.step).min(l.cap);
            n += 1;
        }
        assert_eq!(n, 101);
    }

    #[test]
    fn inhibitory_neurons_are_clamped_and_refire_after_four_steps() {
        // Value reset: v clamped for int(2/0.5) + 1 = 5 steps from the spike
        // step; a spike is allowed again 4 steps later, tested before the clamp.
        let mut pop = LifPopulation::new(1, LifParams::DC_INHIBITORY, None);
        let mut times = Vec::new();
        for t in 0..100 {
            pop.ge[0] = 50.0;
            let mut s = Vec::new();
            pop.step(0.5, Integrator::ExponentialEuler, false, &mut s);
            if !s.is_empty() {
                times.push(t);
            } else if times.last().is_some_and(|&l| t - l < 5) {
                assert_eq!(pop.v[0], -45.0, "step {t}: clamped");
            }
        }
        let gaps: Vec<usize> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(times.len() > 10 && gaps.iter().all(|&g| g == 4), "{gaps:?}");
    }

    #[test]
    fn sixty_inhibitory_spikes_leave_the_membrane_finite_and_in_range() {
        for integrator in [Integrator::ExponentialEuler, Integrator::Euler] {
            let mut pop =
                LifPopulation::new(8, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
            for (k, v) in pop.v.iter_mut().enumerate() {
                *v = -100.0 + 12.0 * k as f32;
            }
            pop.gi.fill(60.0 * 17.0);
            pop.ge.fill(3.0);
            let mut overshoots = 0;
            for _ in 0..50 {
                overshoots += pop.step(0.5, integrator, true, &mut Vec::new());
                assert!(
                    pop.v
                        .iter()
                        .all(|v| v.is_finite() && (-100.0..=0.0).contains(v)),
                    "{integrator:?}: {:?}",
                    pop.v
                );
            }
            match integrator {
                Integrator::Euler => assert!(overshoots > 0, "Euler overshoots are counted"),
                Integrator::ExponentialEuler => assert_eq!(overshoots, 0),
            }
        }
    }
}
