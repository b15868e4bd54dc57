//! ngclearn's trace-based STDP (`TraceSTDPSynapse`, the rule of
//! ngc-museum's Diehl & Cook exhibit), config section `[trace_stdp]`.
//!
//! Per step, with `s` the spikes of the step and `z` set-to-1 traces
//! (`z ← 1` on a spike, else `z ← z·e^(−dt/τ)`; [`SetTrace`]) already
//! advanced by them, every weight moves by
//!
//! ```text
//! dW_ij = A+ · (z_pre_i − x_tar) · s_post_j · (w_b − W_ij)^μ
//!       − A− · s_pre_i · z_post_j · W_ij^μ
//! W_ij ← clip(W_ij + η·dW_ij − W_ij/τ_w, 0, w_b)
//! ```
//!
//! (`TraceSTDPSynapse._compute_update` and `evolve` in ngclearn,
//! `ngclearn/components/synapses/hebbian/traceSTDPSynapse.py`; Morrison,
//! Aertsen & Diesmann 2007). The power terms are 1 when `μ = 0` (as
//! ngclearn's branch without them); `−W/τ_w` is left out when `τ_w = 0`;
//! the lower clip is ngclearn's `w_eps = 0`. One difference: the base of
//! `(w_b − W)^μ` is taken as at least 0, where ngclearn's `jnp.power` gives
//! NaN for a weight above `w_b` (possible here after normalisation) and a
//! fractional `μ`.
//!
//! The defaults are the exhibit's (`exhibits/diehl_cook_snn/dcsnn_model.py`):
//! `A+ = 1e-2`, `A− = 1e-4`, `η = 1`, `μ = 0`, `x_tar = 0`, `w_b = 1`,
//! `τ_w = 0`, trace time constants 20 ms.
//!
//! It learns on column tiles. Only the rows of the step's input spikes and
//! the columns of its postsynaptic spikes change, unless `τ_w > 0` (every
//! weight decays: one dense pass) or the weights were replaced since the
//! last update (normalisation: every weight is clipped once, as ngclearn
//! clips the whole matrix at each update).

use ndarray::ArrayViewMut2;
use serde::{Deserialize, Serialize};

use super::{ColumnLearner, ColumnStep, InputPlasticity, RuleContext, state_fits};
use crate::error::Result;
use crate::neuron::lif::split_ranges;
use crate::synapse::trace::SetTrace;

/// Parameters of the rule (`[trace_stdp]`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TraceStdpParams {
    /// Potentiation strength `A+` (ngclearn's `A_plus`).
    pub a_plus: f32,
    /// Depression strength `A−` (`A_minus`; 0 turns depression off).
    pub a_minus: f32,
    /// Global learning rate `η`.
    pub eta: f32,
    /// Power of the weight dependence `μ` (0: none).
    pub mu: f32,
    /// Presynaptic trace target `x_tar` (`pretrace_target`).
    pub pretrace_target: f32,
    /// Upper weight bound `w_b` (`w_bound`).
    pub w_bound: f32,
    /// Weight decay: `W/τ_w` is subtracted every step (`tau_w`, in steps;
    /// 0 turns it off).
    pub tau_w: f32,
    /// Presynaptic trace time constant, ms.
    pub tau_pre_ms: f32,
    /// Postsynaptic trace time constant, ms.
    pub tau_post_ms: f32,
}

impl Default for TraceStdpParams {
    fn default() -> Self {
        TraceStdpParams {
            a_plus: 1e-2,
            a_minus: 1e-4,
            eta: 1.0,
            mu: 0.0,
            pretrace_target: 0.0,
            w_bound: 1.0,
            tau_w: 0.0,
            tau_pre_ms: 20.0,
            tau_post_ms: 20.0,
        }
    }
}

impl TraceStdpParams {
    /// The first key whose value is out of range, with the value and what
    /// was expected.
    pub fn check(&self) -> std::result::Result<(), (&'static str, f32, &'static str)> {
        let finite_min = |v: f32, min: f32, strict: bool| {
            v.is_finite() && if strict { v > min } else { v >= min }
        };
        for (key, v, ok, expected) in [
            (
                "a_plus",
                self.a_plus,
                finite_min(self.a_plus, 0.0, false),
                "a finite value >= 0",
            ),
            (
                "a_minus",
                self.a_minus,
                finite_min(self.a_minus, 0.0, false),
                "a finite value >= 0",
            ),
            (
                "eta",
                self.eta,
                finite_min(self.eta, 0.0, false),
                "a finite value >= 0",
            ),
            (
                "mu",
                self.mu,
                finite_min(self.mu, 0.0, false),
                "a finite value >= 0",
            ),
            (
                "pretrace_target",
                self.pretrace_target,
                self.pretrace_target.is_finite(),
                "a finite value",
            ),
            (
                "w_bound",
                self.w_bound,
                finite_min(self.w_bound, 0.0, true),
                "a finite value > 0",
            ),
            (
                "tau_w",
                self.tau_w,
                finite_min(self.tau_w, 0.0, false),
                "0 (off) or a finite value > 0",
            ),
            (
                "tau_pre_ms",
                self.tau_pre_ms,
                finite_min(self.tau_pre_ms, 0.0, true),
                "a time constant > 0 (ms)",
            ),
            (
                "tau_post_ms",
                self.tau_post_ms,
                finite_min(self.tau_post_ms, 0.0, true),
                "a time constant > 0 (ms)",
            ),
        ] {
            if !ok {
                return Err((key, v, expected));
            }
        }
        Ok(())
    }
}

/// The per-weight update of the module docs: `ltp` is
/// `z_pre_i − x_tar` where neuron `j` spiked (else `None`), `ltd` is
/// `z_post_j` where input `i` spiked (else `None`).
#[inline]
fn update(w: f32, ltp: Option<f32>, ltd: Option<f32>, p: &TraceStdpParams) -> f32 {
    let mut dw = 0.0;
    if let Some(x) = ltp {
        let shift = if p.mu > 0.0 {
            (p.w_bound - w).max(0.0).powf(p.mu)
        } else {
            1.0
        };
        dw += p.a_plus * x * shift;
    }
    if let Some(z) = ltd
        && p.a_minus > 0.0
    {
        let shift = if p.mu > 0.0 { w.powf(p.mu) } else { 1.0 };
        dw -= p.a_minus * z * shift;
    }
    let decay = if p.tau_w > 0.0 { w / p.tau_w } else { 0.0 };
    (w + p.eta * dw - decay).clamp(0.0, p.w_bound)
}

/// The rule's state in the network.
#[derive(Clone, Debug)]
pub struct TraceStdp {
    params: TraceStdpParams,
    z_pre: Vec<f32>,
    z_post: Vec<f32>,
    trace_pre: SetTrace,
    trace_post: SetTrace,
    /// The weights were replaced since the last update: clip them all.
    clip_all: bool,
}

impl TraceStdp {
    /// Zero traces for a connection of `ctx`'s shape.
    pub fn new(params: TraceStdpParams, ctx: &RuleContext) -> Self {
        TraceStdp {
            params,
            z_pre: vec![0.0; ctx.n_in],
            z_post: vec![0.0; ctx.n_out],
            trace_pre: SetTrace::new(params.tau_pre_ms, ctx.dt_ms),
            trace_post: SetTrace::new(params.tau_post_ms, ctx.dt_ms),
            clip_all: true,
        }
    }
}

/// One column range of the rule in a step.
struct TraceColumns<'a> {
    params: TraceStdpParams,
    z_pre: &'a [f32],
    z_post: &'a mut [f32],
    trace_post: SetTrace,
    first: usize,
    clip_all: bool,
}

impl ColumnLearner for TraceColumns<'_> {
    fn learn(&mut self, w: &mut ArrayViewMut2<f32>, step: &ColumnStep, _scratch: &mut Vec<u32>) {
        let (p, first) = (&self.params, self.first);
        let local: Vec<usize> = step.posts.iter().map(|&j| j as usize - first).collect();
        // The postsynaptic traces advance with this step's spikes first.
        self.trace_post.step_events(self.z_post, &[]);
        for &j in &local {
            self.z_post[j] = 1.0;
        }
        let z_post = &*self.z_post;
        let ltp = |i: usize| self.z_pre[i] - p.pretrace_target;
        if p.tau_w > 0.0 {
            // Every weight decays: the whole formula on every weight.
            let mut fired = vec![false; w.ncols()];
            for &j in &local {
                fired[j] = true;
            }
            let mut pre_spiked = vec![false; w.nrows()];
            for &i in step.inputs {
                pre_spiked[i as usize] = true;
            }
            for (i, mut row) in w.rows_mut().into_iter().enumerate() {
                for (j, x) in row.iter_mut().enumerate() {
                    let lp = fired[j].then(|| ltp(i));
                    let ld = pre_spiked[i].then_some(z_post[j]);
                    *x = update(*x, lp, ld, p);
                }
            }
            return;
        }
        // Columns of the fired neurons, every row (with depression where
        // the row's input spiked too), then the rows of the input spikes
        // outside those columns.
        for &j in &local {
            let mut spiking = step.inputs.iter().map(|&i| i as usize).peekable();
            for (i, x) in w.column_mut(j).iter_mut().enumerate() {
                let ld = if spiking.peek() == Some(&i) {
                    spiking.next();
                    Some(z_post[j])
                } else {
                    None
                };
                *x = update(*x, Some(ltp(i)), ld, p);
            }
        }
        let mut sorted = local.clone();
        sorted.sort_unstable();
        sorted.dedup();
        for &i in step.inputs {
            let mut row = w.row_mut(i as usize);
            let row = row.as_slice_mut().expect("W's rows are contiguous");
            let mut start = 0;
            for &j in sorted.iter().chain(std::iter::once(&row.len())) {
                for (x, &z) in row[start..j].iter_mut().zip(&z_post[start..j]) {
                    *x = update(*x, None, Some(z), p);
                }
                start = j + 1;
            }
        }
        if self.clip_all {
            w.mapv_inplace(|x| x.clamp(0.0, p.w_bound));
        }
    }
}

impl InputPlasticity for TraceStdp {
    fn name(&self) -> &'static str {
        "trace_stdp"
    }

    fn begin_step(&mut self, _t: u64, inputs: &[u32]) {
        self.trace_pre.step_events(&mut self.z_pre, inputs);
    }

    fn columns<'a>(&'a mut self, bounds: &[usize]) -> Vec<Box<dyn ColumnLearner + 'a>> {
        let (params, trace_post, clip_all) = (self.params, self.trace_post, self.clip_all);
        let z_pre = &self.z_pre[..];
        split_ranges(&mut self.z_post, bounds)
            .into_iter()
            .zip(bounds)
            .map(|(z_post, &first)| {
                Box::new(TraceColumns {
                    params,
                    z_pre,
                    z_post,
                    trace_post,
                    first,
                    clip_all,
                }) as Box<dyn ColumnLearner + 'a>
            })
            .collect()
    }

    fn learn_whole(
        &mut self,
        w: &mut ArrayViewMut2<f32>,
        step: &ColumnStep,
        scratch: &mut Vec<u32>,
    ) {
        TraceColumns {
            params: self.params,
            z_pre: &self.z_pre,
            z_post: &mut self.z_post,
            trace_post: self.trace_post,
            first: 0,
            clip_all: self.clip_all,
        }
        .learn(w, step, scratch);
    }

    fn end_step(
        &mut self,
        _w: &mut ArrayViewMut2<f32>,
        _inputs: &[u32],
        _posts: &[u32],
    ) -> Result<()> {
        self.clip_all = false;
        Ok(())
    }

    fn weights_replaced(&mut self) {
        self.clip_all = true;
    }

    fn state_names(&self) -> Vec<&'static str> {
        vec!["z_pre", "z_post"]
    }

    fn state(&self) -> Option<Vec<Vec<f32>>> {
        Some(vec![self.z_pre.clone(), self.z_post.clone()])
    }

    fn set_state(&mut self, state: &[Vec<f32>]) -> bool {
        if !state_fits(state, &[self.z_pre.len(), self.z_post.len()]) {
            return false;
        }
        self.z_pre.copy_from_slice(&state[0]);
        self.z_post.copy_from_slice(&state[1]);
        true
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn ctx(n_in: usize, n_out: usize) -> RuleContext<'static> {
        RuleContext {
            n_in,
            n_out,
            dt_ms: 0.5,
            delays: None,
        }
    }

    /// One step of the rule on one range, as the network runs it.
    fn step_whole(r: &mut TraceStdp, w: &mut Array2<f32>, t: u64, inputs: &[u32], posts: &[u32]) {
        r.begin_step(t, inputs);
        let s = ColumnStep {
            t,
            inputs,
            posts,
            delays: None,
        };
        r.learn_whole(&mut w.view_mut(), &s, &mut Vec::new());
        r.end_step(&mut w.view_mut(), inputs, posts).unwrap();
    }

    #[test]
    fn a_pairing_by_hand() {
        // 2 inputs, 2 neurons, the exhibit's values. Step 0: input 0 fires.
        // Step 1: neuron 1 fires, and input 1 with it.
        let p = TraceStdpParams::default();
        let mut r = TraceStdp::new(p, &ctx(2, 2));
        let mut w = Array2::from_elem((2, 2), 0.5f32);
        step_whole(&mut r, &mut w, 0, &[0], &[]);
        // Input 0 fired with every z_post = 0: depression by 0, and W was
        // in range: unchanged.
        assert_eq!(w, Array2::from_elem((2, 2), 0.5f32));
        step_whole(&mut r, &mut w, 1, &[1], &[1]);
        let k = (-0.5f32 / 20.0).exp();
        // Column 1: W01 += 1e-2 · z_pre_0 (= k); W11 += 1e-2 · 1 − 1e-4 · 1
        // (input 1 and neuron 1 in the same step: z_post_1 = 1).
        assert!((w[[0, 1]] - (0.5 + 1e-2 * k)).abs() < 1e-7, "{}", w[[0, 1]]);
        assert!(
            (w[[1, 1]] - (0.5 + 1e-2 - 1e-4)).abs() < 1e-7,
            "{}",
            w[[1, 1]]
        );
        // Row 1 outside column 1: z_post_0 = 0, unchanged; W00 untouched.
        assert_eq!(w[[1, 0]], 0.5);
        assert_eq!(w[[0, 0]], 0.5);
    }

    /// The published equations in f64 on the dense matrix, with every
    /// weight clipped at each update (ngclearn's `evolve`).
    fn reference(
        w: &mut Array2<f64>,
        z_pre: &[f64],
        z_post: &[f64],
        pre: &[bool],
        post: &[bool],
        p: &TraceStdpParams,
    ) {
        let pw = |b: f64| {
            if p.mu > 0.0 {
                b.max(0.0).powf(f64::from(p.mu))
            } else {
                1.0
            }
        };
        let (n_in, n) = w.dim();
        for i in 0..n_in {
            for j in 0..n {
                let x = w[[i, j]];
                let s_post = if post[j] { 1.0 } else { 0.0 };
                let s_pre = if pre[i] { 1.0 } else { 0.0 };
                let ltp = f64::from(p.a_plus)
                    * (z_pre[i] - f64::from(p.pretrace_target))
                    * s_post
                    * pw(f64::from(p.w_bound) - x);
                let ltd = if p.a_minus > 0.0 {
                    f64::from(p.a_minus) * s_pre * z_post[j] * pw(x)
                } else {
                    0.0
                };
                let decay = if p.tau_w > 0.0 {
                    x / f64::from(p.tau_w)
                } else {
                    0.0
                };
                w[[i, j]] =
                    (x + f64::from(p.eta) * (ltp - ltd) - decay).clamp(0.0, f64::from(p.w_bound));
            }
        }
    }

    #[test]
    fn matches_the_published_equations_on_one_range_and_on_column_tiles() {
        let (n_in, n, steps) = (9usize, 13usize, 300u64);
        for (case, p) in [
            TraceStdpParams::default(),
            TraceStdpParams {
                a_plus: 0.05,
                a_minus: 0.03,
                mu: 0.7,
                pretrace_target: 0.2,
                ..TraceStdpParams::default()
            },
            TraceStdpParams {
                a_plus: 0.02,
                a_minus: 0.02,
                eta: 0.5,
                tau_w: 400.0,
                ..TraceStdpParams::default()
            },
            TraceStdpParams {
                a_minus: 0.0,
                mu: 1.0,
                w_bound: 0.8,
                ..TraceStdpParams::default()
            },
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = ChaCha8Rng::seed_from_u64(case as u64);
            let w0 = Array2::from_shape_fn((n_in, n), |_| rng.random::<f32>() * 0.9);
            let spikes: Vec<(Vec<u32>, Vec<u32>)> = (0..steps)
                .map(|_| {
                    let a = (0..n_in as u32)
                        .filter(|_| rng.random::<f32>() < 0.1)
                        .collect();
                    let b = (0..n as u32)
                        .filter(|_| rng.random::<f32>() < 0.08)
                        .collect();
                    (a, b)
                })
                .collect();
            // Every 50 steps the weights are scaled (normalisation) and may
            // leave [0, w_b]: the next update clips them all.
            let scale = |t: u64| (t % 50 == 49).then_some(1.7f32);
            // Reference, in f64.
            let mut wr = w0.mapv(f64::from);
            let (kp, kq) = (
                (-0.5f64 / f64::from(p.tau_pre_ms)).exp(),
                (-0.5f64 / f64::from(p.tau_post_ms)).exp(),
            );
            let (mut zp, mut zq) = (vec![0f64; n_in], vec![0f64; n]);
            for (t, (a, b)) in spikes.iter().enumerate() {
                zp.iter_mut().for_each(|z| *z *= kp);
                zq.iter_mut().for_each(|z| *z *= kq);
                let mut pre = vec![false; n_in];
                let mut post = vec![false; n];
                for &i in a {
                    zp[i as usize] = 1.0;
                    pre[i as usize] = true;
                }
                for &j in b {
                    zq[j as usize] = 1.0;
                    post[j as usize] = true;
                }
                reference(&mut wr, &zp, &zq, &pre, &post, &p);
                if let Some(s) = scale(t as u64) {
                    wr.mapv_inplace(|x| x * f64::from(s));
                }
            }
            // The rule on one range, and on three column ranges.
            for bounds in [vec![0, n], vec![0, 4, 5, n]] {
                let mut r = TraceStdp::new(p, &ctx(n_in, n));
                let mut w = w0.clone();
                for (t, (a, b)) in spikes.iter().enumerate() {
                    let t = t as u64;
                    r.begin_step(t, a);
                    if bounds.len() == 2 {
                        let s = ColumnStep {
                            t,
                            inputs: a,
                            posts: b,
                            delays: None,
                        };
                        r.learn_whole(&mut w.view_mut(), &s, &mut Vec::new());
                    } else {
                        let mut learners = r.columns(&bounds);
                        for (k, learner) in learners.iter_mut().enumerate() {
                            let (lo, hi) = (bounds[k], bounds[k + 1]);
                            let local: Vec<u32> = b
                                .iter()
                                .copied()
                                .filter(|&j| (j as usize) >= lo && (j as usize) < hi)
                                .collect();
                            let s = ColumnStep {
                                t,
                                inputs: a,
                                posts: &local,
                                delays: None,
                            };
                            let mut cols = w.slice_mut(ndarray::s![.., lo..hi]);
                            learner.learn(&mut cols, &s, &mut Vec::new());
                        }
                    }
                    r.end_step(&mut w.view_mut(), a, b).unwrap();
                    if let Some(s) = scale(t) {
                        w.mapv_inplace(|x| x * s);
                        r.weights_replaced();
                    }
                }
                let worst = w.iter().zip(wr.iter()).fold(0.0f64, |m, (&x, &y)| {
                    let d = (f64::from(x) - y).abs();
                    if m.is_nan() || d.is_nan() {
                        f64::NAN
                    } else {
                        m.max(d)
                    }
                });
                assert!(
                    worst < 2e-6,
                    "case {case}, ranges {bounds:?}: largest difference {worst}"
                );
                assert!(
                    w.iter().zip(w0.iter()).any(|(a, b)| a != b),
                    "case {case}: the rule changed W"
                );
            }
        }
    }

    #[test]
    fn out_of_range_parameters_are_named() {
        let bad = TraceStdpParams {
            tau_pre_ms: 0.0,
            ..TraceStdpParams::default()
        };
        assert_eq!(bad.check().unwrap_err().0, "tau_pre_ms");
        let bad = TraceStdpParams {
            a_minus: f32::NAN,
            ..TraceStdpParams::default()
        };
        assert_eq!(bad.check().unwrap_err().0, "a_minus");
        assert!(TraceStdpParams::default().check().is_ok());
    }
}
