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
//! `post1` before the same step's postsynaptic spikes reset it). For a neuron
//! that has not spiked since the input spike, `post1` at arrival is `post1`
//! at emission times `e^(−d·dt/τ_post1)` (computed so, in one vector pass
//! over the row: equal to stepping the trace to float rounding); for the few
//! that have, it is read from the record.

use ndarray::{ArrayView1, ArrayViewMut2, Axis};

use crate::neuron::lif::split_ranges;
use crate::synapse::trace::SetTrace;

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

crate::math::simd::dispatch!(fn depress(row: &mut [f32], post1: &[f32], nu: f32, w_max: f32) => depress_body);

/// Depression of one delayed row for the neurons that did not spike since
/// the input spike: `row[j] −= ν·(post1_then[j]·k[d[j]])`, clipped to
/// `[0, w_max]`, where `post1_then` is `post1` at emission, `d[j]` the
/// synapse's delay in steps and `k[d] = e^(−d·dt/τ_post1)` the trace's
/// decay over it (a table of [`DECAY_TABLE`] entries, one per possible
/// delay); lanes with `skip[j] != 0` (neurons that spiked since) are left
/// alone.
#[inline(always)]
fn depress_factored_body<const FMA: bool>(
    row: &mut [f32],
    d: &[u8],
    k: &[f32; DECAY_TABLE],
    post1_then: &[f32],
    skip: &[u8],
    nu: f32,
    w_max: f32,
) {
    let n = row.len();
    let (d, post1_then, skip) = (&d[..n], &post1_then[..n], &skip[..n]);
    for j in 0..n {
        let x = row[j];
        let y = (x - nu * (post1_then[j] * k[usize::from(d[j])])).clamp(0.0, w_max);
        row[j] = if skip[j] != 0 { x } else { y };
    }
}

crate::math::simd::dispatch!(fn depress_factored(row: &mut [f32], d: &[u8], k: &[f32; DECAY_TABLE], post1_then: &[f32], skip: &[u8], nu: f32, w_max: f32) => depress_factored_body);

/// As [`depress_factored_body`] for every lane (no neuron spiked since).
#[inline(always)]
fn depress_factored_all_body<const FMA: bool>(
    row: &mut [f32],
    d: &[u8],
    k: &[f32; DECAY_TABLE],
    post1_then: &[f32],
    nu: f32,
    w_max: f32,
) {
    let n = row.len();
    let (d, post1_then) = (&d[..n], &post1_then[..n]);
    for j in 0..n {
        row[j] = (row[j] - nu * (post1_then[j] * k[usize::from(d[j])])).clamp(0.0, w_max);
    }
}

crate::math::simd::dispatch!(fn depress_factored_all(row: &mut [f32], d: &[u8], k: &[f32; DECAY_TABLE], post1_then: &[f32], nu: f32, w_max: f32) => depress_factored_all_body);

/// The constants of a delayed depression: the decay over each delay, the
/// rate and the weight bound, and the largest delay in steps.
#[derive(Clone, Copy, Debug)]
struct DelayedDepression<'a> {
    k: &'a [f32; DECAY_TABLE],
    nu: f32,
    w_max: f32,
    max_delay: usize,
}

/// [`depress_factored_body`] (`skip`: `Some`) or [`depress_factored_all_body`]
/// (`None`) with AVX-512, for delays below 32: the decay factors come from
/// the table's first 32 entries held in two registers (`vpermt2ps` by the
/// delay bytes) instead of one load per synapse. The same arithmetic per
/// lane, so bitwise the same row.
///
/// # Safety
/// The CPU has AVX-512 F and BW; every delay in `d[..row.len()]` is below 32;
/// `d`, `post1_then` (and `skip`) are at least as long as `row`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
unsafe fn depress_table_avx512(
    row: &mut [f32],
    d: &[u8],
    post1_then: &[f32],
    skip: Option<&[u8]>,
    c: &DelayedDepression,
) {
    use std::arch::x86_64::*;
    let (k, nu, w_max) = (c.k, c.nu, c.w_max);
    let n = row.len();
    assert!(d.len() >= n && post1_then.len() >= n && skip.is_none_or(|s| s.len() >= n));
    // SAFETY: the lengths are checked above; loads of 16 lanes stay below `n`.
    unsafe {
        let lo = _mm512_loadu_ps(k.as_ptr());
        let hi = _mm512_loadu_ps(k.as_ptr().add(16));
        let (nu_v, zero, top) = (
            _mm512_set1_ps(nu),
            _mm512_setzero_ps(),
            _mm512_set1_ps(w_max),
        );
        let mut j = 0;
        while j + 16 <= n {
            let dd = _mm512_cvtepu8_epi32(_mm_loadu_si128(d.as_ptr().add(j).cast()));
            let kd = _mm512_permutex2var_ps(lo, dd, hi);
            let x = _mm512_loadu_ps(row.as_ptr().add(j));
            let p = _mm512_mul_ps(_mm512_loadu_ps(post1_then.as_ptr().add(j)), kd);
            let y = _mm512_sub_ps(x, _mm512_mul_ps(nu_v, p));
            let y = _mm512_min_ps(_mm512_max_ps(y, zero), top);
            let y = match skip {
                Some(s) => {
                    let sk = _mm_loadu_si128(s.as_ptr().add(j).cast());
                    let keep = _mm_test_epi8_mask(sk, sk);
                    _mm512_mask_blend_ps(keep, y, x)
                }
                None => y,
            };
            _mm512_storeu_ps(row.as_mut_ptr().add(j), y);
            j += 16;
        }
        // The last lanes (fewer than 16) by the plain kernels.
        let (row, d, post1_then) = (&mut row[j..], &d[j..n], &post1_then[j..n]);
        match skip {
            Some(s) => depress_factored(row, d, k, post1_then, &s[j..n], nu, w_max),
            None => depress_factored_all(row, d, k, post1_then, nu, w_max),
        }
    }
}

/// Depression of one delayed row (see [`depress_factored_body`]; `skip`
/// `None`: every lane), on the widest path the CPU has.
fn depress_delayed(
    row: &mut [f32],
    d: &[u8],
    post1_then: &[f32],
    skip: Option<&[u8]>,
    c: &DelayedDepression,
) {
    #[cfg(target_arch = "x86_64")]
    if c.max_delay < 32 && crate::math::simd::simd_level() == crate::math::simd::SimdLevel::Avx512 {
        // SAFETY: AVX-512 checked; every delay is at most `max_delay` < 32;
        // the slices cover the row (the caller's ranges).
        unsafe { depress_table_avx512(row, d, post1_then, skip, c) };
        return;
    }
    let (k, nu, w_max) = (c.k, c.nu, c.w_max);
    match skip {
        Some(s) => depress_factored(row, d, k, post1_then, s, nu, w_max),
        None => depress_factored_all(row, d, k, post1_then, nu, w_max),
    }
}

/// Entries of the decay-over-delay table: one per possible delay byte.
pub const DECAY_TABLE: usize = 256;

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
    /// Postsynaptic spikes per step.
    pub posts: Vec<Vec<u32>>,
    /// `e^(−d·dt/τ_post1)` for every delay `d` in steps.
    pub k_d: Box<[f32; DECAY_TABLE]>,
    /// Scratch: neurons that spiked within the last `lag` steps.
    skip: Vec<u8>,
    /// The current step's slot (set by [`DcStdp::begin_step`]).
    now: usize,
    /// The inputs whose depression is due in the current step.
    due: Vec<u32>,
}

impl TraceHistory {
    /// What every column range of a step reads, and the mutable `post1`
    /// record (`(slots, n)`) and skip scratch, borrowed apart.
    fn parts(&mut self, n: usize) -> (SharedHistory<'_>, ArrayViewMut2<'_, f32>, &mut [u8]) {
        let TraceHistory {
            slots,
            pre,
            post1,
            posts,
            k_d,
            skip,
            now,
            due,
            ..
        } = self;
        let view =
            ArrayViewMut2::from_shape((*slots, n), &mut post1[..]).expect("record is (slots, n)");
        let shared = SharedHistory {
            slots: *slots,
            now: *now,
            due: (*now + 1) % *slots,
            pre,
            due_inputs: due,
            posts,
            k_d,
        };
        (shared, view, skip)
    }

    /// Whether every emitted spike has had its depression applied and no
    /// postsynaptic spike is recent enough to matter to one (true at the end
    /// of each example, whose rest is longer than the lag and silent).
    pub fn settled(&self) -> bool {
        self.emitted.iter().all(Vec::is_empty)
            && self.posts.iter().all(Vec::is_empty)
            && self.due.is_empty()
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

    /// As [`new`](Self::new), for a connection with the given delays in
    /// steps (`(n_in, n_out)` row-major), at most `max_delay_steps` (see the
    /// module docs).
    pub fn with_delays(
        params: DcStdpParams,
        n_in: usize,
        n_out: usize,
        dt_ms: f32,
        max_delay_steps: usize,
        delays: &[u8],
    ) -> Self {
        assert_eq!(delays.len(), n_in * n_out, "one delay per synapse");
        let mut r = Self::new(params, n_in, n_out, dt_ms);
        let lag = max_delay_steps + 1;
        let slots = lag + 1;
        let k = |d: usize| {
            (-(d as f64) * f64::from(dt_ms) / f64::from(params.tau_post1_ms)).exp() as f32
        };
        let mut k_d = Box::new([0f32; DECAY_TABLE]);
        for (d, x) in k_d.iter_mut().enumerate() {
            *x = k(d);
        }
        r.history = Some(TraceHistory {
            slots,
            lag,
            pre: vec![0.0; slots * n_in],
            post1: vec![0.0; slots * n_out],
            emitted: vec![Vec::new(); slots],
            posts: vec![Vec::new(); slots],
            k_d,
            skip: vec![0; n_out],
            now: 0,
            due: Vec::new(),
        });
        r
    }

    /// First phase of a learning step `t`, on the inputs' side: `pre`
    /// decays and the step's input spikes set it to 1; on a delayed
    /// connection `pre` is recorded and the inputs whose depression falls
    /// due in this step are set aside.
    pub fn begin_step(&mut self, t: u64, inputs: &[u32]) {
        SetTrace::from_decay(self.decay[0]).step_events(&mut self.pre, inputs);
        if let Some(h) = &mut self.history {
            let n_in = self.pre.len();
            let now = (t % h.slots as u64) as usize;
            h.now = now;
            h.pre[now * n_in..(now + 1) * n_in].copy_from_slice(&self.pre);
            let due = (now + 1) % h.slots; // = (t − lag) mod slots
            h.due = std::mem::take(&mut h.emitted[due]);
        }
    }

    /// Second phase: what every column range reads, and the postsynaptic
    /// state split at `bounds` (ascending from 0 to `n_out`) into ranges that
    /// learn independently ([`RuleColumns::learn`]).
    pub fn columns(&mut self, bounds: &[usize]) -> (RuleShared<'_>, Vec<RuleColumns<'_>>) {
        let n = self.post1.len();
        let post1 = split_ranges(&mut self.post1, bounds);
        let post2 = split_ranges(&mut self.post2, bounds);
        let (history, mut records): (_, Vec<RecordColumns>) = match &mut self.history {
            Some(h) => {
                let (shared, view, skip) = h.parts(n);
                let recs = split_columns(view, bounds);
                let skips = split_ranges(skip, bounds);
                (
                    Some(shared),
                    recs.into_iter().zip(skips).map(Some).collect(),
                )
            }
            None => (None, (1..bounds.len()).map(|_| None).collect()),
        };
        let cols = post1
            .into_iter()
            .zip(post2)
            .zip(records.drain(..))
            .zip(bounds)
            .map(|(((post1, post2), record), &first)| RuleColumns {
                first,
                n,
                post1,
                post2,
                record,
            })
            .collect();
        let shared = RuleShared {
            params: self.params,
            decay: self.decay,
            pre: &self.pre,
            history,
        };
        (shared, cols)
    }

    /// [`columns`](Self::columns) for one range of every neuron, without
    /// allocating (the one-thread path).
    pub fn columns_whole(&mut self) -> (RuleShared<'_>, RuleColumns<'_>) {
        let n = self.post1.len();
        let (history, record) = match &mut self.history {
            Some(h) => {
                let (shared, view, skip) = h.parts(n);
                (Some(shared), Some((view, skip)))
            }
            None => (None, None),
        };
        (
            RuleShared {
                params: self.params,
                decay: self.decay,
                pre: &self.pre,
                history,
            },
            RuleColumns {
                first: 0,
                n,
                post1: &mut self.post1,
                post2: &mut self.post2,
                record,
            },
        )
    }

    /// Last phase: on a delayed connection, the step's input spikes join
    /// the record of emissions (their depression is due `lag` steps later)
    /// and its postsynaptic spikes the record of recent spikes.
    pub fn end_step(&mut self, inputs: &[u32], posts: &[u32]) {
        if let Some(h) = &mut self.history {
            let mut emitted = std::mem::take(&mut h.due);
            emitted.clear();
            emitted.extend_from_slice(inputs);
            h.emitted[h.now] = emitted;
            h.posts[h.now].clear();
            h.posts[h.now].extend_from_slice(posts);
        }
    }

    /// The parameters.
    pub fn params(&self) -> &DcStdpParams {
        &self.params
    }
}

/// A connection's delays in steps: `steps` `(n_in, n_out)` row-major and
/// `steps_t` the same transposed, `(n_out, n_in)`.
#[derive(Clone, Copy, Debug)]
pub struct DelayTables<'a> {
    /// `(n_in, n_out)` row-major.
    pub steps: &'a [u8],
    /// `(n_out, n_in)` row-major.
    pub steps_t: &'a [u8],
}

/// What every column range reads during a learning step (see [`DcStdp::columns`]).
#[derive(Clone, Copy, Debug)]
pub struct RuleShared<'a> {
    params: DcStdpParams,
    decay: [f32; 3],
    pre: &'a [f32],
    history: Option<SharedHistory<'a>>,
}

/// The records of a delayed connection that every column range reads.
#[derive(Clone, Copy, Debug)]
struct SharedHistory<'a> {
    slots: usize,
    now: usize,
    due: usize,
    pre: &'a [f32],
    due_inputs: &'a [u32],
    posts: &'a [Vec<u32>],
    k_d: &'a [f32; DECAY_TABLE],
}

/// A range's columns of the `post1` record and of the skip scratch (delayed
/// connections only).
type RecordColumns<'a> = Option<(ArrayViewMut2<'a, f32>, &'a mut [u8])>;

/// The postsynaptic side of the rule for neurons `first..first + width`
/// (see [`DcStdp::columns`]).
#[derive(Debug)]
pub struct RuleColumns<'a> {
    first: usize,
    /// Neurons in the whole layer.
    n: usize,
    post1: &'a mut [f32],
    post2: &'a mut [f32],
    /// The range's columns of the `post1` record and of the skip scratch.
    record: RecordColumns<'a>,
}

impl RuleColumns<'_> {
    /// The step's learning in this range: the postsynaptic traces decay;
    /// the input spikes (undelayed) or the inputs whose depression is due
    /// (delayed) depress this range of their rows; the range's postsynaptic
    /// spikes among `posts` (population indices, ascending) potentiate their
    /// columns and set `post1`, `post2`. `w` holds the range's columns of
    /// `W`; `recent` is scratch. Per synapse the same arithmetic, in the
    /// same order, whatever the ranges.
    pub fn learn(
        &mut self,
        s: &RuleShared,
        w: &mut ArrayViewMut2<f32>,
        inputs: &[u32],
        posts: &[u32],
        delays: Option<DelayTables>,
        recent: &mut Vec<u32>,
    ) {
        let (first, width) = (self.first, self.post1.len());
        let [_, b, c] = s.decay;
        // Decayed now, set to 1 after this step's potentiation below.
        SetTrace::from_decay(b).step_events(self.post1, &[]);
        SetTrace::from_decay(c).step_events(self.post2, &[]);
        let (nu, w_max) = (s.params.nu_pre, s.params.w_max);
        let local = posts
            .iter()
            .map(|&j| j as usize)
            .filter(|&j| j >= first && j < first + width);
        debug_assert_eq!(s.history.is_some(), delays.is_some(), "delays with records");
        let (Some(h), Some((record, skip)), Some(d)) = (&s.history, &mut self.record, delays)
        else {
            for &i in inputs {
                let row = w
                    .row_mut(i as usize)
                    .into_slice()
                    .expect("rows are contiguous");
                depress(row, self.post1, nu, w_max);
            }
            for j in local {
                let gain = s.params.nu_post * self.post2[j - first];
                for (x, &p) in w.column_mut(j - first).iter_mut().zip(s.pre) {
                    *x = (*x + gain * p).clamp(0.0, w_max);
                }
                self.post1[j - first] = 1.0;
                self.post2[j - first] = 1.0;
            }
            return;
        };
        let (n, n_in, slots) = (self.n, s.pre.len(), h.slots);
        record
            .row_mut(h.now)
            .assign(&ArrayView1::from(&*self.post1));
        // Depression of the inputs emitted `lag` steps ago, with post1 at
        // arrival: post1 at emission decayed over the delay for the neurons
        // that have not spiked since (one vector pass), the recorded value at
        // arrival for the few that have.
        recent.clear();
        if !h.due_inputs.is_empty() {
            for (slot, spikes) in h.posts.iter().enumerate() {
                if slot == h.now {
                    continue;
                }
                for &j in spikes {
                    let j = j as usize;
                    if j >= first && j < first + width && skip[j - first] == 0 {
                        skip[j - first] = 1;
                        recent.push((j - first) as u32);
                    }
                }
            }
        }
        {
            let post1_then = record
                .row(h.due)
                .to_slice()
                .expect("record rows are contiguous");
            let c = DelayedDepression {
                k: h.k_d,
                nu,
                w_max,
                max_delay: slots,
            };
            for &i in h.due_inputs {
                let i = i as usize;
                let row = w.row_mut(i).into_slice().expect("rows are contiguous");
                let delays = &d.steps[i * n + first..i * n + first + width];
                if recent.is_empty() {
                    depress_delayed(row, delays, post1_then, None, &c);
                } else {
                    depress_delayed(row, delays, post1_then, Some(skip), &c);
                    for &jl in recent.iter() {
                        let jl = jl as usize;
                        let mut slot = h.due + usize::from(delays[jl]);
                        if slot >= slots {
                            slot -= slots;
                        }
                        row[jl] = (row[jl] - nu * record[[slot, jl]]).clamp(0.0, w_max);
                    }
                }
            }
        }
        for &jl in recent.iter() {
            skip[jl as usize] = 0;
        }
        // Potentiation with pre as it was d_ij steps ago.
        for j in local {
            let jl = j - first;
            let gain = s.params.nu_post * self.post2[jl];
            let delays = &d.steps_t[j * n_in..(j + 1) * n_in];
            for (i, (x, &dd)) in w.column_mut(jl).iter_mut().zip(delays).enumerate() {
                let mut slot = h.now + slots - usize::from(dd);
                if slot >= slots {
                    slot -= slots;
                }
                *x = (*x + gain * h.pre[slot * n_in + i]).clamp(0.0, w_max);
            }
            self.post1[jl] = 1.0;
            self.post2[jl] = 1.0;
        }
    }
}

/// Splits the columns of `a` at the ascending `bounds` (first 0, last the
/// column count) into disjoint views.
pub fn split_columns<'a>(
    a: ArrayViewMut2<'a, f32>,
    bounds: &[usize],
) -> Vec<ArrayViewMut2<'a, f32>> {
    assert!(
        bounds.first() == Some(&0) && bounds.last() == Some(&a.ncols()),
        "bounds cover the columns"
    );
    let mut rest = a;
    let mut out = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at(Axis(1), w[1] - w[0]);
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    /// One learning step through the phases the network runs:
    /// `begin_step`, `columns_whole` + `learn`, `end_step`.
    fn step(
        r: &mut DcStdp,
        w: &mut Array2<f32>,
        t: u64,
        inputs: &[u32],
        posts: &[u32],
        delays: Option<DelayTables>,
    ) {
        r.begin_step(t, inputs);
        {
            let (shared, mut cols) = r.columns_whole();
            cols.learn(
                &shared,
                &mut w.view_mut(),
                inputs,
                posts,
                delays,
                &mut Vec::new(),
            );
        }
        r.end_step(inputs, posts);
    }

    /// The largest `|a − b|`, NaN when either holds a NaN.
    fn max_abs_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
        a.iter().zip(b.iter()).fold(0.0f32, |m, (x, y)| {
            let d = (x - y).abs();
            if m.is_nan() || d.is_nan() {
                f32::NAN
            } else {
                m.max(d)
            }
        })
    }

    #[test]
    fn pairing_potentiates_and_post_then_pre_depresses() {
        let p = DcStdpParams::default();
        let mut w = Array2::from_elem((2, 2), 0.5f32);
        let mut r = DcStdp::new(p, 2, 2, 0.5);
        // Step 0: input 0 and neuron 1 fire together. post1 and post2 before
        // the spike are 0: neither depression nor potentiation.
        step(&mut r, &mut w, 0, &[0], &[1], None);
        assert_eq!(w[[0, 1]], 0.5);
        // 10 steps (5 ms) later input 0 fires again, and neuron 1 with it:
        // depression with post1 decayed 10 steps, then potentiation with
        // pre = 1 and post2 decayed 10 steps.
        for t in 1..10 {
            step(&mut r, &mut w, t, &[], &[], None);
        }
        step(&mut r, &mut w, 10, &[0], &[1], None);
        let post1 = (-5.0f32 / 20.0).exp();
        let post2 = (-5.0f32 / 40.0).exp();
        let expected = 0.5 - 1e-4 * post1 + 1e-2 * post2;
        assert!(
            (w[[0, 1]] - expected).abs() < 1e-6,
            "{} vs {expected}",
            w[[0, 1]]
        );
        // Input 1 never fired and neuron 0 never spiked: untouched.
        assert_eq!(w[[1, 1]], 0.5);
        assert_eq!(w[[0, 0]], 0.5);
        assert_eq!(w[[1, 0]], 0.5);
    }

    #[test]
    fn on_a_delayed_connection_each_synapse_sees_the_presynaptic_spike_at_arrival() {
        // Input 0 reaches neuron 0 after 0 steps and neuron 1 after 4 (max 5).
        let p = DcStdpParams::default();
        let delays_row: Vec<u8> = vec![0, 4];
        let cols: Vec<u8> = vec![0, 4];
        let tables = DelayTables {
            steps: &delays_row,
            steps_t: &cols,
        };
        let mut w = Array2::from_elem((1, 2), 0.5f32);
        let mut r = DcStdp::with_delays(p, 1, 2, 0.5, 5, &[0, 4]);
        let d1 = (-0.5f32 / 20.0).exp();
        // t = 0: input 0 fires; t = 2: neuron 1 fires (post1 = 1 from then on).
        step(&mut r, &mut w, 0, &[0], &[], Some(tables));
        step(&mut r, &mut w, 1, &[], &[], Some(tables));
        step(&mut r, &mut w, 2, &[], &[1], Some(tables));
        // Potentiation at t = 2 reads pre at t − 4 < 0 (zero) for neuron 1.
        assert_eq!(w[[0, 1]], 0.5);
        for t in 3..12 {
            step(&mut r, &mut w, t, &[], &[], Some(tables));
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
        step(&mut r, &mut w, 12, &[0], &[], Some(tables));
        step(&mut r, &mut w, 13, &[], &[], Some(tables));
        let post2 = r.post2[1] * (-0.5f32 / 40.0).exp();
        let before = w[[0, 1]];
        step(&mut r, &mut w, 14, &[], &[1], Some(tables));
        let pre_then = (-0.5f32 / 20.0).exp().powi(10);
        let expected = before + 1e-2 * pre_then * post2;
        assert!(
            (w[[0, 1]] - expected).abs() < 1e-6,
            "{} vs {expected}",
            w[[0, 1]]
        );
    }

    #[test]
    fn delayed_rule_matches_a_direct_simulation_of_arrival_times() {
        // Reference: every synapse (i, j) sees input i's spikes d_ij steps
        // late; depression with post1 recorded at arrival (before that step's
        // postsynaptic spikes), applied `lag` steps after emission;
        // potentiation with pre as it was d_ij steps before the post spike.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (n_in, n, max_d, steps) = (7usize, 19usize, 6usize, 400u64);
        let p = DcStdpParams {
            nu_pre: 0.05,
            nu_post: 0.05,
            ..DcStdpParams::default()
        };
        let delays: Vec<u8> = (0..n_in * n)
            .map(|_| rng.random_range(0..=max_d as u8))
            .collect();
        let cols: Vec<u8> = (0..n)
            .flat_map(|j| (0..n_in).map(move |i| (i, j)))
            .map(|(i, j)| delays[i * n + j])
            .collect();
        let tables = DelayTables {
            steps: &delays,
            steps_t: &cols,
        };
        let w0 = Array2::from_shape_fn((n_in, n), |_| rng.random::<f32>() * 1.2);
        let pre_sp: Vec<Vec<u32>> = (0..steps)
            .map(|_| {
                (0..n_in as u32)
                    .filter(|_| rng.random::<f32>() < 0.08)
                    .collect()
            })
            .collect();
        let post_sp: Vec<Vec<u32>> = (0..steps)
            .map(|_| {
                (0..n as u32)
                    .filter(|_| rng.random::<f32>() < 0.04)
                    .collect()
            })
            .collect();
        let mut w = w0.clone();
        let mut r = DcStdp::with_delays(p, n_in, n, 0.5, max_d, &delays);
        for t in 0..steps {
            let (pre, post) = (&pre_sp[t as usize], &post_sp[t as usize]);
            step(&mut r, &mut w, t, pre, post, Some(tables));
        }
        // The direct simulation, with the full trace records.
        let lag = max_d as u64 + 1;
        let mut wr = w0.clone();
        let k = |tau: f32| (-0.5f32 / tau).exp();
        let (k_pre, k_post1, k_post2) = (k(p.tau_pre_ms), k(p.tau_post1_ms), k(p.tau_post2_ms));
        let (mut q_pre, mut q_post1, mut q_post2) =
            (vec![0f32; n_in], vec![0f32; n], vec![0f32; n]);
        let (mut pre_rec, mut post1_rec) = (Vec::new(), Vec::new());
        for t in 0..steps as usize {
            q_pre.iter_mut().for_each(|x| *x *= k_pre);
            q_post1.iter_mut().for_each(|x| *x *= k_post1);
            q_post2.iter_mut().for_each(|x| *x *= k_post2);
            for &i in &pre_sp[t] {
                q_pre[i as usize] = 1.0;
            }
            pre_rec.push(q_pre.clone());
            post1_rec.push(q_post1.clone());
            if t as u64 >= lag {
                let te = t - lag as usize;
                for &i in &pre_sp[te] {
                    let i = i as usize;
                    for j in 0..n {
                        let a = te + usize::from(delays[i * n + j]);
                        wr[[i, j]] = (wr[[i, j]] - p.nu_pre * post1_rec[a][j]).clamp(0.0, 1.0);
                    }
                }
            }
            for &j in &post_sp[t] {
                let j = j as usize;
                let gain = p.nu_post * q_post2[j];
                for i in 0..n_in {
                    let d = usize::from(delays[i * n + j]);
                    let x = if t >= d { pre_rec[t - d][i] } else { 0.0 };
                    wr[[i, j]] = (wr[[i, j]] + gain * x).clamp(0.0, 1.0);
                }
                q_post1[j] = 1.0;
                q_post2[j] = 1.0;
            }
        }
        let worst = max_abs_diff(&w, &wr);
        assert!(worst < 1e-6, "largest difference {worst}");
        assert_ne!(w, w0, "the rule changed the weights");
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
        for k in 0..20u32 {
            step(&mut r, &mut w, u64::from(k), &[(k + 1) % 3], &[k % 3], None);
            step(&mut r, &mut w, u64::from(k), &[k % 3], &[(k + 2) % 3], None);
        }
        assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
        assert!(w.iter().any(|&x| x == 1.0) || w.iter().any(|&x| x == 0.0));
    }

    #[test]
    fn max_abs_diff_reports_nan() {
        let a = Array2::from_elem((1, 2), 1.0f32);
        let mut b = a.clone();
        b[[0, 1]] = f32::NAN;
        assert!(max_abs_diff(&a, &b).is_nan());
    }
}
