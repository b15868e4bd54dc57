//! The plasticity rule of Diehl & Cook's original code (what produced their
//! accuracy table): a pre/post-trace rule with two postsynaptic traces,
//! weights clipped to `[0, w_max]`.
//!
//! Traces decay exponentially: `pre` (τ 20 ms), `post1` (τ 20 ms), `post2`
//! (τ 40 ms). On a presynaptic spike of input `i`: `pre[i] = 1`, then
//! `W[i, :] −= ν_pre · post1`. On a postsynaptic spike of neuron `j`:
//! `W[:, j] += ν_post · pre · post2(before the spike)`, then
//! `post1[j] = post2[j] = 1`. `ν_pre = 1e-4`, `ν_post = 1e-2`, `w_max = 1`.
//!
//! # On delayed connections
//!
//! The original's input connection has per-synapse delays `d_ij`. Brian 1's
//! `STDP` on a `DelayConnection` (`brian/stdp.py`) splits the rule: lines
//! that do not touch `w` run when the spike happens (`pre = 1` at emission,
//! `post1 = post2 = 1` at the postsynaptic spike), and lines that change `w`
//! read the other side's trace through a record of its recent values:
//!
//! - depression runs `max_delay` after the presynaptic spike, with `post1`
//!   as it was when the spike **arrived**: `W[i, j] −= ν_pre · post1_j(t + d_ij)`;
//! - potentiation runs at the postsynaptic spike with `pre` as it was `d_ij`
//!   earlier: `W[i, j] += ν_post · pre_i(t − d_ij) · post2before_j`.
//!
//! So every synapse sees its presynaptic spikes at their arrival time.
//! [`DcStdp::with_delays`] keeps a ring of the last `lag + 1` values of `pre`
//! and `post1` for this, with `lag = int(max_delay/dt) + 1` as Brian 1's
//! `_max_delay`. Within a step the recorded `pre` includes that step's input
//! spikes and the recorded `post1` precedes that step's postsynaptic spikes
//! (the order of the undelayed rule, where a presynaptic spike depresses with
//! `post1` before the same step's postsynaptic spikes reset it).

use ndarray::ArrayViewMut2;

/// Parameters of the rule.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcStdpParams {
    /// Presynaptic trace time constant, ms.
    pub tau_pre_ms: f32,
    /// First postsynaptic trace time constant, ms (depression).
    pub tau_post1_ms: f32,
    /// Second postsynaptic trace time constant, ms (potentiation).
    pub tau_post2_ms: f32,
    /// Depression rate on presynaptic spikes.
    pub nu_pre: f32,
    /// Potentiation rate on postsynaptic spikes.
    pub nu_post: f32,
    /// Upper weight bound (the lower one is 0).
    pub w_max: f32,
}

impl Default for DcStdpParams {
    fn default() -> Self {
        DcStdpParams {
            tau_pre_ms: 20.0,
            tau_post1_ms: 20.0,
            tau_post2_ms: 40.0,
            nu_pre: 1e-4,
            nu_post: 1e-2,
            w_max: 1.0,
        }
    }
}

#[inline(always)]
fn depress_body<const FMA: bool>(row: &mut [f32], post1: &[f32], nu: f32, w_max: f32) {
    let n = row.len();
    let post1 = &post1[..n];
    for j in 0..n {
        row[j] = (row[j] - nu * post1[j]).clamp(0.0, w_max);
    }
}

crate::dispatch!(fn depress(row: &mut [f32], post1: &[f32], nu: f32, w_max: f32) => depress_body);

/// `row[j] −= ν·post1_hist[(due + d_j) mod slots][j]`, clipped to `[0, w_max]`,
/// for `j ≥ from` (scalar; the tail of the AVX2 version and its fallback).
#[allow(clippy::too_many_arguments)]
fn depress_delayed_scalar(
    row: &mut [f32],
    delays: &[u8],
    post1_hist: &[f32],
    due: usize,
    slots: usize,
    nu: f32,
    w_max: f32,
    from: usize,
) {
    let n = row.len();
    for j in from..n {
        let mut s = due + usize::from(delays[j]);
        if s >= slots {
            s -= slots;
        }
        row[j] = (row[j] - nu * post1_hist[s * n + j]).clamp(0.0, w_max);
    }
}

/// The same, eight synapses at a time with an AVX2 gather of the delayed
/// `post1` values; bitwise equal to the scalar loop (separate multiply and
/// subtract; `max`/`min` ordered so that they return `x` on ties, as `clamp`).
///
/// # Safety
///
/// The CPU must support AVX2; `delays.len() >= row.len()`,
/// `post1_hist.len() == slots * row.len() < 2^31` and `due < slots`
/// (checked by the caller). Delays are clamped to `slots − 1`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn depress_delayed_avx2(
    row: &mut [f32],
    delays: &[u8],
    post1_hist: &[f32],
    due: usize,
    slots: usize,
    nu: f32,
    w_max: f32,
) {
    use std::arch::x86_64::*;
    let n = row.len();
    let full = n - n % 8;
    let (vdue, vslots, vn) = (
        _mm256_set1_epi32(due as i32),
        _mm256_set1_epi32(slots as i32),
        _mm256_set1_epi32(n as i32),
    );
    let vlast = _mm256_set1_epi32(slots as i32 - 1);
    let (vnu, vzero, vmax) = (
        _mm256_set1_ps(nu),
        _mm256_setzero_ps(),
        _mm256_set1_ps(w_max),
    );
    let mut jv = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let eight = _mm256_set1_epi32(8);
    let base = post1_hist.as_ptr();
    let mut j = 0;
    while j < full {
        // SAFETY: j + 8 <= n <= delays.len(); the gathered indices are
        // s·n + j with s < slots, inside post1_hist (caller's contract).
        unsafe {
            let d8 = _mm_loadl_epi64(delays.as_ptr().add(j) as *const __m128i);
            let mut s = _mm256_add_epi32(vdue, _mm256_cvtepu8_epi32(d8));
            let wrap = _mm256_cmpgt_epi32(s, vlast);
            s = _mm256_sub_epi32(s, _mm256_and_si256(wrap, vslots));
            // In bounds whatever the delays (a delay >= slots is a caller's
            // bug that the scalar path would report by panicking).
            s = _mm256_min_epu32(s, vlast);
            let idx = _mm256_add_epi32(_mm256_mullo_epi32(s, vn), jv);
            let p = _mm256_i32gather_ps::<4>(base, idx);
            let x = _mm256_loadu_ps(row.as_ptr().add(j));
            let y = _mm256_sub_ps(x, _mm256_mul_ps(vnu, p));
            let y = _mm256_min_ps(vmax, _mm256_max_ps(vzero, y));
            _mm256_storeu_ps(row.as_mut_ptr().add(j), y);
        }
        jv = _mm256_add_epi32(jv, eight);
        j += 8;
    }
    depress_delayed_scalar(row, delays, post1_hist, due, slots, nu, w_max, full);
}

/// Depression of one delayed row (see [`DcStdp::step_delayed`]).
fn depress_delayed(
    row: &mut [f32],
    delays: &[u8],
    post1_hist: &[f32],
    due: usize,
    slots: usize,
    nu: f32,
    w_max: f32,
) {
    let n = row.len();
    assert!(
        delays.len() >= n
            && post1_hist.len() == slots * n
            && slots * n < i32::MAX as usize
            && due < slots,
        "delayed depression: shapes out of range"
    );
    #[cfg(target_arch = "x86_64")]
    if crate::math::simd::has_avx2() {
        // SAFETY: AVX2 checked just above; the shape contract asserted above.
        unsafe { depress_delayed_avx2(row, delays, post1_hist, due, slots, nu, w_max) };
        return;
    }
    depress_delayed_scalar(row, delays, post1_hist, due, slots, nu, w_max, 0);
}

/// The rule's traces for an `(n_in, n_out)` weight matrix.
#[derive(Clone, Debug)]
pub struct DcStdp {
    params: DcStdpParams,
    /// Presynaptic traces.
    pub pre: Vec<f32>,
    /// First postsynaptic traces.
    pub post1: Vec<f32>,
    /// Second postsynaptic traces.
    pub post2: Vec<f32>,
    decay: [f32; 3],
    /// Recent trace values, on delayed connections.
    pub history: Option<TraceHistory>,
}

/// The last `slots` values of `pre` and `post1`, one row per step (`t % slots`),
/// and the inputs emitted in those steps, whose depression is still due.
#[derive(Clone, Debug)]
pub struct TraceHistory {
    /// Rows kept: `lag + 1`.
    pub slots: usize,
    /// Steps from a presynaptic spike to its depression (`int(max_delay/dt) + 1`).
    pub lag: usize,
    /// `pre` per step, `(slots, n_in)` row-major.
    pub pre: Vec<f32>,
    /// `post1` per step (before that step's postsynaptic spikes), `(slots, n_out)`.
    pub post1: Vec<f32>,
    /// Inputs emitted per step.
    pub emitted: Vec<Vec<u32>>,
}

impl TraceHistory {
    /// Whether every emitted spike has had its depression applied (true at
    /// the end of each example, whose rest is longer than the lag).
    pub fn settled(&self) -> bool {
        self.emitted.iter().all(Vec::is_empty)
    }
}

impl DcStdp {
    /// Zero traces for `n_in` inputs and `n_out` neurons, stepped every `dt_ms`.
    pub fn new(params: DcStdpParams, n_in: usize, n_out: usize, dt_ms: f32) -> Self {
        let d = |tau: f32| (-dt_ms / tau).exp();
        DcStdp {
            params,
            pre: vec![0.0; n_in],
            post1: vec![0.0; n_out],
            post2: vec![0.0; n_out],
            decay: [
                d(params.tau_pre_ms),
                d(params.tau_post1_ms),
                d(params.tau_post2_ms),
            ],
            history: None,
        }
    }

    /// As [`new`](Self::new), for a connection whose delays are at most
    /// `max_delay_steps` (see the module docs).
    pub fn with_delays(
        params: DcStdpParams,
        n_in: usize,
        n_out: usize,
        dt_ms: f32,
        max_delay_steps: usize,
    ) -> Self {
        let mut r = Self::new(params, n_in, n_out, dt_ms);
        let lag = max_delay_steps + 1;
        let slots = lag + 1;
        r.history = Some(TraceHistory {
            slots,
            lag,
            pre: vec![0.0; slots * n_in],
            post1: vec![0.0; slots * n_out],
            emitted: vec![Vec::new(); slots],
        });
        r
    }

    /// One learning step `t` on a delayed connection, after [`decay`](Self::decay):
    /// the input spikes set `pre`, the traces are recorded, the depressions
    /// due in this step (inputs emitted `lag` steps ago) are applied, then
    /// the postsynaptic spikes potentiate and set `post1`, `post2`.
    /// `delay_row(i)` / `delay_column(j)` give the synapses' delays in steps.
    pub fn step_delayed<'d>(
        &mut self,
        w: &mut ArrayViewMut2<f32>,
        t: u64,
        inputs: &[u32],
        posts: &[u32],
        delay_row: impl Fn(usize) -> &'d [u8],
        delay_column: impl Fn(usize) -> &'d [u8],
    ) {
        let h = self
            .history
            .as_mut()
            .expect("step_delayed needs with_delays");
        let (n_in, n) = (self.pre.len(), self.post1.len());
        for &i in inputs {
            self.pre[i as usize] = 1.0;
        }
        let now = (t % h.slots as u64) as usize;
        h.pre[now * n_in..(now + 1) * n_in].copy_from_slice(&self.pre);
        h.post1[now * n..(now + 1) * n].copy_from_slice(&self.post1);
        // Depression of the inputs emitted `lag` steps ago, with post1 at arrival.
        let due = (now + 1) % h.slots; // = (t − lag) mod slots
        let emitted = std::mem::take(&mut h.emitted[due]);
        let (nu, w_max) = (self.params.nu_pre, self.params.w_max);
        let slots = h.slots;
        for &i in &emitted {
            let i = i as usize;
            let row = w
                .row_mut(i)
                .into_slice()
                .expect("W is row-major and contiguous");
            depress_delayed(row, delay_row(i), &h.post1, due, slots, nu, w_max);
        }
        let mut emitted = emitted;
        emitted.clear();
        emitted.extend_from_slice(inputs);
        h.emitted[now] = emitted;
        // Potentiation with pre as it was d_ij steps ago.
        for &j in posts {
            let j = j as usize;
            let gain = self.params.nu_post * self.post2[j];
            let delays = delay_column(j);
            for (i, (x, &d)) in w.column_mut(j).iter_mut().zip(delays).enumerate() {
                let mut s = now + slots - usize::from(d);
                if s >= slots {
                    s -= slots;
                }
                *x = (*x + gain * h.pre[s * n_in + i]).clamp(0.0, w_max);
            }
            self.post1[j] = 1.0;
            self.post2[j] = 1.0;
        }
    }

    /// The parameters.
    pub fn params(&self) -> &DcStdpParams {
        &self.params
    }

    /// Decays every trace by one step.
    pub fn decay(&mut self) {
        let [a, b, c] = self.decay;
        self.pre.iter_mut().for_each(|x| *x *= a);
        self.post1.iter_mut().for_each(|x| *x *= b);
        self.post2.iter_mut().for_each(|x| *x *= c);
    }

    /// Presynaptic spike of input `i`: `pre[i] = 1`, `W[i, :] −= ν_pre·post1`, clip.
    pub fn on_pre(&mut self, w: &mut ArrayViewMut2<f32>, i: usize) {
        self.pre[i] = 1.0;
        let (nu, w_max) = (self.params.nu_pre, self.params.w_max);
        let mut row = w.row_mut(i);
        match row.as_slice_mut() {
            Some(r) => depress(r, &self.post1, nu, w_max),
            None => {
                for (x, &p1) in row.iter_mut().zip(&self.post1) {
                    *x = (*x - nu * p1).clamp(0.0, w_max);
                }
            }
        }
    }

    /// Postsynaptic spike of neuron `j`: `W[:, j] += ν_post·pre·post2_before`,
    /// clip, then `post1[j] = post2[j] = 1`.
    pub fn on_post(&mut self, w: &mut ArrayViewMut2<f32>, j: usize) {
        let gain = self.params.nu_post * self.post2[j];
        let w_max = self.params.w_max;
        for (x, &p) in w.column_mut(j).iter_mut().zip(&self.pre) {
            *x = (*x + gain * p).clamp(0.0, w_max);
        }
        self.post1[j] = 1.0;
        self.post2[j] = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    #[test]
    fn pairing_potentiates_and_post_then_pre_depresses() {
        let p = DcStdpParams::default();
        let mut w = Array2::from_elem((2, 2), 0.5f32);
        let mut r = DcStdp::new(p, 2, 2, 0.5);
        // post2 before the first post spike is 0: no potentiation.
        r.on_pre(&mut w.view_mut(), 0);
        r.on_post(&mut w.view_mut(), 1);
        assert_eq!(w[[0, 1]], 0.5);
        // 10 steps later (5 ms) input 0 fires again, then neuron 1 again.
        for _ in 0..10 {
            r.decay();
        }
        let post1 = r.post1[1];
        r.on_pre(&mut w.view_mut(), 0);
        let depressed = 0.5 - 1e-4 * post1;
        assert!((w[[0, 1]] - depressed).abs() < 1e-7);
        let post2 = r.post2[1];
        assert!((post2 - (-5.0f32 / 40.0).exp()).abs() < 1e-6);
        r.on_post(&mut w.view_mut(), 1);
        assert!((w[[0, 1]] - (depressed + 1e-2 * 1.0 * post2)).abs() < 1e-6);
        // Input 1 never fired: its weights to neuron 1 are untouched.
        assert_eq!(w[[1, 1]], 0.5);
        assert_eq!(w[[0, 0]], 0.5 - 1e-4 * 0.0);
    }

    #[test]
    fn on_a_delayed_connection_each_synapse_sees_the_presynaptic_spike_at_arrival() {
        // Input 0 reaches neuron 0 after 0 steps and neuron 1 after 4 (max 5).
        let p = DcStdpParams::default();
        let delays_row: Vec<u8> = vec![0, 4];
        let cols: Vec<Vec<u8>> = vec![vec![0], vec![4]];
        let mut w = Array2::from_elem((1, 2), 0.5f32);
        let mut r = DcStdp::with_delays(p, 1, 2, 0.5, 5);
        let d1 = (-0.5f32 / 20.0).exp();
        let step = |r: &mut DcStdp, w: &mut Array2<f32>, t: u64, pre: &[u32], post: &[u32]| {
            r.decay();
            r.step_delayed(
                &mut w.view_mut(),
                t,
                pre,
                post,
                |_| &delays_row[..],
                |j| &cols[j][..],
            );
        };
        // t = 0: input 0 fires; t = 2: neuron 1 fires (post1 = 1 from then on).
        step(&mut r, &mut w, 0, &[0], &[]);
        step(&mut r, &mut w, 1, &[], &[]);
        step(&mut r, &mut w, 2, &[], &[1]);
        // Potentiation at t = 2 reads pre at t − 4 < 0 (zero) for neuron 1.
        assert_eq!(w[[0, 1]], 0.5);
        for t in 3..12 {
            step(&mut r, &mut w, t, &[], &[]);
        }
        // Neuron 0: arrival at t = 0, post1 then 0: no depression. Neuron 1:
        // arrival at t = 4, post1 two steps after its spike.
        assert_eq!(w[[0, 0]], 0.5);
        let expected = 0.5 - 1e-4 * d1 * d1;
        assert!(
            (w[[0, 1]] - expected).abs() < 1e-9,
            "{} vs {expected}",
            w[[0, 1]]
        );
        assert!(r.history.as_ref().unwrap().settled());
        // A postsynaptic spike of neuron 1 at t = 14 after input 0 fires at
        // t = 12 sees pre as it was at 14 − 4 = 10: from the first spike,
        // decayed 10 steps, not the fresh spike of t = 12.
        step(&mut r, &mut w, 12, &[0], &[]);
        step(&mut r, &mut w, 13, &[], &[]);
        let post2 = r.post2[1] * (-0.5f32 / 40.0).exp();
        let before = w[[0, 1]];
        step(&mut r, &mut w, 14, &[], &[1]);
        let pre_then = (-0.5f32 / 20.0).exp().powi(10);
        let expected = before + 1e-2 * pre_then * post2;
        assert!(
            (w[[0, 1]] - expected).abs() < 1e-6,
            "{} vs {expected}",
            w[[0, 1]]
        );
    }

    #[test]
    fn the_vectorised_delayed_depression_equals_the_scalar_loop_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for n in [1usize, 8, 37, 400] {
            let slots = 22;
            let delays: Vec<u8> = (0..n).map(|_| rng.random_range(0..20u8)).collect();
            let hist: Vec<f32> = (0..slots * n).map(|_| rng.random::<f32>()).collect();
            // Weights inside, at and beyond the clip range.
            let row0: Vec<f32> = (0..n)
                .map(|j| match j % 4 {
                    0 => 0.0,
                    1 => 1.3,
                    _ => rng.random::<f32>(),
                })
                .collect();
            for due in [0, 5, slots - 1] {
                let (mut a, mut b) = (row0.clone(), row0.clone());
                depress_delayed(&mut a, &delays, &hist, due, slots, 0.3, 1.0);
                depress_delayed_scalar(&mut b, &delays, &hist, due, slots, 0.3, 1.0, 0);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&a), bits(&b), "n {n}, due {due}");
            }
        }
    }

    #[test]
    fn weights_stay_in_zero_to_w_max() {
        let p = DcStdpParams {
            nu_post: 10.0,
            nu_pre: 10.0,
            ..DcStdpParams::default()
        };
        let mut w = Array2::from_elem((3, 3), 0.5f32);
        let mut r = DcStdp::new(p, 3, 3, 0.5);
        for k in 0..20 {
            r.on_post(&mut w.view_mut(), k % 3);
            r.on_pre(&mut w.view_mut(), (k + 1) % 3);
            r.on_post(&mut w.view_mut(), k % 3);
        }
        assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
        assert!(w.iter().any(|&x| x == 1.0) || w.iter().any(|&x| x == 0.0));
    }
}
