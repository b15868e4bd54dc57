//! The Diehl & Cook (2015) network: 784 Poisson inputs → N excitatory
//! conductance LIF neurons with adaptive thresholds (plastic, all-to-all) →
//! N inhibitory neurons (one-to-one, 10.4) → back to every other excitatory
//! neuron (17.0). Parameters and protocol as in the original code
//! (`../shared/DC2015.md`): dt 0.5 ms, 350 ms presentation, 150 ms rest, input
//! rates `pixel/8 · intensity` Hz with intensity 2 raised by 1 and the example
//! shown again while fewer than 5 excitatory spikes occur; input weight
//! columns normalised to sum 78 before each training example.
//!
//! As in the original code (peter-u-diehl/stdp-mnist, run by Brian 1): input
//! conduction delays drawn once per synapse, U(0, 10 ms) by default
//! ([`InputDelays`], with the STDP timing of Brian 1's delayed connections,
//! see [`crate::synapse::dc_original`]); Brian 1's refractoriness and the
//! original's spike timer (see [`crate::neuron::lif`]).
//!
//! Where it still differs from the original, and why:
//! - forward Euler (the original's integrator, and the default: it gives the
//!   better accuracy at 100 and 400 neurons, `results/grids/grid_dc_integrator/`)
//!   is clamped to `[E_inh, E_exc]` where it overshoots, which the original
//!   did not do; without the clamp it diverges in large layers
//!   ([`Integrator`]; `integrator = "exponential_euler"` is the exact step);
//! - the random streams are ChaCha8 from the run's seed, not NumPy's;
//! - with the seed's rule (`exp_stdp`), the rule sees input spikes when they
//!   are emitted (the rule has no per-synapse delays); only the conductances
//!   are delayed.
//!
//! Everything follows the spikes: an input spike adds one row of `W` to the
//! excitatory conductances (or to the delay ring), a postsynaptic spike
//! touches one column.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use std::sync::Mutex;

use super::delays::{DelayRing, InputDelays, max_delay_steps};
use super::state::{NetworkState, NeuronState, RuleState, StateMismatch};
use crate::error::Result;
use crate::math::flush::decay_flushed;
use crate::math::vector::axpy;
use crate::neuron::lif::{
    AdaptiveThreshold, Integrator, LifParams, LifPopulation, LifSlice, split_ranges,
};
use crate::neuron::poisson::{SpikeTrain, encode};
use crate::plasticity::{ColumnLearner, ColumnStep, InputPlasticity, RuleContext};
use crate::synapse::dc_original::{DcStdpParams, DelayTables, split_columns};
use crate::team::Team;

pub use crate::plasticity::Plasticity;

/// Network parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DcParams {
    /// Excitatory (= inhibitory) neurons.
    pub n_exc: usize,
    /// Inputs (28 × 28).
    pub n_input: usize,
    /// Step, ms.
    pub dt_ms: f32,
    /// Presentation per example, ms.
    pub present_ms: f32,
    /// Rest after each presentation, ms.
    pub rest_ms: f32,
    /// Starting input intensity.
    pub intensity: f64,
    /// Fewer excitatory spikes than this: raise intensity and show again.
    pub min_spikes: u32,
    /// Give up raising the intensity after this many extra showings.
    pub max_retries: u32,
    /// Excitatory → inhibitory weight.
    pub w_ei: f32,
    /// Inhibitory → other excitatory weight.
    pub w_ie: f32,
    /// Target sum of each excitatory neuron's input weights.
    pub norm_total: f32,
    /// Excitatory neurons.
    pub exc: LifParams,
    /// Inhibitory neurons.
    pub inh: LifParams,
    /// Adaptive threshold of excitatory neurons.
    pub theta: AdaptiveThreshold,
    /// Plasticity of the input weights.
    pub plasticity: Plasticity,
    /// Membrane integrator of both populations.
    pub integrator: Integrator,
    /// Input conduction delays, uniform in `[lo, hi)` ms (`[0, 0]`: none).
    pub input_delay_ms: [f32; 2],
    /// Which spikes count toward a showing.
    pub count_window: CountWindow,
}

/// Which excitatory spikes count toward a showing (its [`Presentation::counts`],
/// the minimum-spike retry, labelling and classification).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountWindow {
    /// As the original code: its spike counter is read right after the
    /// 350 ms presentation (the lines after `b.run(single_example_time)` in
    /// `Diehl&Cook_spiking_MNIST.py`), so the spikes of the 150 ms rest
    /// before a showing count toward it. The carry starts empty in each
    /// phase (training, labelling, testing: separate runs of the original).
    #[default]
    Original,
    /// Only the spikes of the presentation itself.
    Presentation,
}

impl CountWindow {
    /// Its name in configs and summaries.
    pub fn name(self) -> &'static str {
        match self {
            CountWindow::Original => "original",
            CountWindow::Presentation => "presentation",
        }
    }
}

/// How far above [`AdaptiveThreshold::theta_at_rest`] a neuron's θ still
/// counts as at the resting edge, mV (see [`DcParams::resting_edge_neurons`]).
/// A judgement from runs, not a constant of the model: the neurons that
/// answered every example in the collapsed frozen phases of 1,600- and
/// 6,400-neuron layers sat at θ 7.7-10.2 mV, the lowest θ of a healthy
/// 6,400-neuron layer was 11.4 mV (`results/grids/grid_dc6400_tune100k*/`).
pub const RESTING_EDGE_MARGIN_MV: f64 = 4.0;

impl DcParams {
    /// The θ at or below which an excitatory neuron is *at the resting
    /// edge*: its threshold within [`RESTING_EDGE_MARGIN_MV`] of the resting
    /// potential (11 mV with the original's values). A neuron that stops
    /// winning sees its θ decay (τ_θ) until it fires again; during training
    /// each spike raises θ by θ_plus, so such neurons sit at this edge
    /// firing now and then, but with θ frozen they fire on every example and
    /// their spikes drown the labelling and test responses (a 6,400-neuron
    /// layer at θ_plus 0.1 mV: a third of the neurons at the edge, 13.8 %
    /// on validation images after 88 % in its last training windows;
    /// `results/grids/grid_dc6400_tune100k_b/`).
    pub fn resting_edge_theta(&self) -> f64 {
        self.theta.theta_at_rest(&self.exc) + RESTING_EDGE_MARGIN_MV
    }

    /// How many of the thresholds `theta` (mV) are at the resting edge
    /// ([`resting_edge_theta`](Self::resting_edge_theta)).
    pub fn resting_edge_neurons(&self, theta: &[f64]) -> usize {
        let edge = self.resting_edge_theta();
        theta.iter().filter(|&&t| t <= edge).count()
    }

    /// The original code's values at `n_exc` neurons with its own rule.
    pub fn original(n_exc: usize) -> Self {
        DcParams {
            n_exc,
            n_input: 784,
            dt_ms: 0.5,
            present_ms: 350.0,
            rest_ms: 150.0,
            intensity: 2.0,
            min_spikes: 5,
            max_retries: 30,
            w_ei: 10.4,
            w_ie: 17.0,
            norm_total: 78.0,
            exc: LifParams::DC_EXCITATORY,
            inh: LifParams::DC_INHIBITORY,
            theta: AdaptiveThreshold::DC,
            plasticity: Plasticity::DcOriginal(DcStdpParams::default()),
            integrator: Integrator::Euler,
            input_delay_ms: [0.0, 10.0],
            count_window: CountWindow::Original,
        }
    }

    fn steps(&self, ms: f32) -> usize {
        (ms / self.dt_ms).round() as usize
    }
}

#[inline(always)]
fn add_scalar_body<const FMA: bool>(x: &mut [f32], a: f32) {
    for v in x.iter_mut() {
        *v += a;
    }
}

crate::math::simd::dispatch!(fn add_scalar(x: &mut [f32], a: f32) => add_scalar_body);

/// The network's state.
pub struct DiehlCook {
    /// Parameters.
    pub params: DcParams,
    /// Input weights `(n_input, n_exc)` (read with [`weights`](Self::weights),
    /// replace with [`set_weights`](Self::set_weights)).
    w: Array2<f32>,
    /// Excitatory population.
    pub exc: LifPopulation,
    /// Inhibitory population.
    pub inh: LifPopulation,
    /// The input connections' plasticity (`None` in a frozen copy).
    rule: Option<Box<dyn InputPlasticity>>,
    rng: ChaCha8Rng,
    /// The seed of the network's streams (frozen presentations draw from
    /// their own streams of it, [`frozen_stream`]).
    seed: u64,
    train: SpikeTrain,
    exc_spikes: Vec<u32>,
    inh_spikes: Vec<u32>,
    delays: Option<InputDelays>,
    /// Scratch: the column scales of [`normalise`](Self::normalise).
    col_scale: Vec<f32>,
    /// Spikes of the rests since the last showing, counted toward the next
    /// one ([`CountWindow::Original`]).
    carried: Vec<u32>,
    /// Steps simulated so far (the clock of the delay rings).
    t: u64,
    stats: DcStats,
    /// Column ranges stepped at once, `[0, …, n_exc]` (see [`set_threads`](Self::set_threads)).
    bounds: Vec<usize>,
    /// Per range: its spikes of the step and scratch.
    scratch: Vec<TileScratch>,
    /// The threads that step the ranges (none for one range).
    team: Option<Team>,
}

/// The variables a frozen presentation changes (see [`DiehlCook::frozen_state`]).
#[derive(Clone, Debug)]
pub(super) struct FrozenState {
    exc: LifPopulation,
    inh: LifPopulation,
    inh_spikes: Vec<u32>,
    pending: Option<Vec<f32>>,
    carried: Vec<u32>,
    t: u64,
}

/// Health counters of a run (see the module docs of [`crate::neuron::lif`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DcStats {
    /// Steps simulated.
    pub steps: u64,
    /// Steps in which some membrane left `[E_inh, E_exc]` (Euler overshoots).
    pub overshoot_steps: u64,
    /// The most excitatory spikes in one step.
    pub max_exc_spikes_in_step: u32,
}

/// What one example's presentation gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presentation {
    /// Spike count of each excitatory neuron during the (last) presentation.
    pub counts: Vec<u32>,
    /// Showings needed (1 when the first reached `min_spikes`).
    pub showings: u32,
}

impl DiehlCook {
    /// A network with the original random initial weights `(U[0,1) + 0.01) · 0.3`
    /// (then the spike trains) from `seed`'s stream 0, and input delays from
    /// its stream 1.
    pub fn new(params: DcParams, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let w = Array2::from_shape_simple_fn((params.n_input, params.n_exc), || {
            (rng.random::<f32>() + 0.01) * 0.3
        });
        Self::with_weights(params, w, rng, seed)
    }

    /// A network with the given weights and random stream; the input delays
    /// are drawn from stream 1 of `delay_seed`.
    pub fn with_weights(
        params: DcParams,
        w: Array2<f32>,
        rng: ChaCha8Rng,
        delay_seed: u64,
    ) -> Self {
        let (n_in, n) = (params.n_input, params.n_exc);
        let mut delay_rng = ChaCha8Rng::seed_from_u64(delay_seed);
        delay_rng.set_stream(1);
        let delays =
            InputDelays::draw(n_in, n, params.input_delay_ms, params.dt_ms, &mut delay_rng);
        let rule = params.plasticity.build(&RuleContext {
            n_in,
            n_out: n,
            dt_ms: params.dt_ms,
            delays: delays.as_ref().map(|d| {
                (
                    d.steps(),
                    max_delay_steps(params.input_delay_ms, params.dt_ms),
                )
            }),
        });
        let mut exc = LifPopulation::new(n, params.exc, Some(params.theta));
        let mut inh = LifPopulation::new(n, params.inh, None);
        exc.prepare(params.dt_ms);
        inh.prepare(params.dt_ms);
        DiehlCook {
            exc,
            inh,
            params,
            w,
            rule: Some(rule),
            rng,
            seed: delay_seed,
            train: SpikeTrain::default(),
            exc_spikes: Vec::new(),
            inh_spikes: Vec::new(),
            delays,
            col_scale: Vec::new(),
            carried: vec![0; n],
            t: 0,
            stats: DcStats::default(),
            bounds: vec![0, n],
            scratch: vec![TileScratch::default()],
            team: None,
        }
    }

    /// Input weights `(n_input, n_exc)`.
    pub fn weights(&self) -> ArrayView2<'_, f32> {
        self.w.view()
    }

    /// Replaces the input weights (same shape), telling the plasticity rule
    /// that every weight may have changed (the seed's rule then clips all of
    /// them at its next update).
    pub fn set_weights(&mut self, w: Array2<f32>) -> Result<()> {
        if w.dim() != self.w.dim() {
            let (a, b) = self.w.dim();
            return Err(crate::error::Error::shape("weights", &[a, b], w.shape()));
        }
        self.w = w;
        self.weights_rewritten();
        Ok(())
    }

    /// Tells the rule that every weight may have changed outside it.
    fn weights_rewritten(&mut self) {
        if let Some(r) = &mut self.rule {
            r.weights_replaced();
        }
    }

    /// The input delays, when there are any.
    pub fn delays(&self) -> Option<&InputDelays> {
        self.delays.as_ref()
    }

    /// Health counters so far.
    pub fn stats(&self) -> DcStats {
        self.stats
    }

    /// Steps simulated so far.
    pub fn clock(&self) -> u64 {
        self.t
    }

    /// The rule's name (`None` in a frozen copy).
    pub fn rule_name(&self) -> Option<&'static str> {
        self.rule.as_ref().map(|r| r.name())
    }

    /// The plasticity rule's state by name ([`InputPlasticity::state`]);
    /// `None` while some of its work is in flight (never at an example
    /// boundary) and in a frozen copy.
    pub fn rule_state(&self) -> Option<Vec<(&'static str, Vec<f32>)>> {
        let r = self.rule.as_ref()?;
        Some(r.state_names().into_iter().zip(r.state()?).collect())
    }

    /// The delayed input conductance still to arrive, `(slots, n_exc)`
    /// row-major (`None` without delays).
    pub fn pending_conductance(&self) -> Option<&[f32]> {
        self.delays.as_ref().map(|d| d.pending())
    }

    /// The rest spikes carried toward the next showing
    /// ([`CountWindow::Original`]; zeros otherwise).
    pub fn carried_counts(&self) -> &[u32] {
        &self.carried
    }

    /// The whole evolving state, for checkpoints; `None` while plasticity
    /// work is in flight (never at an example boundary) and in a frozen copy.
    pub fn state(&self) -> Option<NetworkState> {
        let vectors = self.rule_state()?;
        Some(NetworkState {
            stats: self.stats,
            rng_pos: self.rng.get_word_pos(),
            w: self.w.clone(),
            rule: RuleState::Named {
                rule: self.rule_name().unwrap_or_default().to_string(),
                vectors: vectors
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
            },
            neurons: self.neuron_state(),
        })
    }

    /// The neurons, the delayed input in flight and the clock: what the
    /// frozen presentation blocks start from once training is over.
    pub fn neuron_state(&self) -> NeuronState {
        NeuronState {
            clock: self.t,
            exc: self.exc.state(),
            inh: self.inh.state(),
            pending_ge: self.pending_conductance().map(<[f32]>::to_vec),
            carried_counts: self.carried.clone(),
        }
    }

    /// Puts back a [`neuron_state`](Self::neuron_state) of a network of the
    /// same size and delays. On a mismatch the error says what does not
    /// fit; the network may then be partly restored and must not be used.
    pub fn restore_neurons(&mut self, s: NeuronState) -> std::result::Result<(), StateMismatch> {
        let bad = |what: String| Err(StateMismatch(what));
        match (&mut self.delays, s.pending_ge) {
            (Some(d), Some(p)) => {
                if !d.set_pending(&p) {
                    return bad("the pending delayed conductance".into());
                }
            }
            (None, None) => {}
            (Some(_), None) => return bad("no pending delayed conductance".into()),
            (None, Some(_)) => {
                return bad("a pending delayed conductance, for a network without delays".into());
            }
        }
        if s.carried_counts.len() != self.carried.len() {
            return bad("carried_counts".into());
        }
        for (which, pop, state) in [("exc", &mut self.exc, s.exc), ("inh", &mut self.inh, s.inh)] {
            pop.restore(state)
                .or_else(|name| bad(format!("{which}_{name}")))?;
        }
        self.carried = s.carried_counts;
        self.t = s.clock;
        Ok(())
    }

    /// Puts back a [`state`](Self::state) of a network of the same shape,
    /// rule and delays. On a mismatch the error says what does not fit; the
    /// network may then be partly restored and must not be used.
    pub fn restore(&mut self, s: NetworkState) -> std::result::Result<(), StateMismatch> {
        let bad = |what: String| Err(StateMismatch(what));
        if s.w.dim() != self.w.dim() {
            return bad(format!(
                "weights of shape {:?}, this network's {:?}",
                s.w.dim(),
                self.w.dim()
            ));
        }
        let Some(rule) = self.rule.as_mut() else {
            return bad("a frozen copy has no plasticity state".into());
        };
        let names = rule.state_names();
        let mut neurons = s.neurons;
        let vectors = match s.rule {
            RuleState::Named {
                rule: name,
                vectors,
            } => {
                if name != rule.name() {
                    return bad(format!(
                        "its rule is `{name}`, this run's `{}`",
                        rule.name()
                    ));
                }
                let mut by_name = vectors;
                names
                    .iter()
                    .map(|n| {
                        by_name
                            .iter()
                            .position(|(m, _)| m == n)
                            .map(|i| by_name.swap_remove(i).1)
                            .ok_or_else(|| StateMismatch(format!("no `{n}` state of the rule")))
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?
            }
            RuleState::Ordered(mut all) => {
                if self.delays.is_some() && neurons.pending_ge.is_none() {
                    neurons.pending_ge = all.pop();
                }
                all
            }
        };
        if !rule.set_state(&vectors) {
            return bad(format!(
                "the plasticity state (expected {})",
                names.join(", ")
            ));
        }
        self.restore_neurons(neurons)?;
        self.w = s.w;
        self.weights_rewritten();
        self.stats = s.stats;
        self.rng.set_word_pos(s.rng_pos);
        Ok(())
    }

    /// A copy for frozen presentations ([`crate::network::frozen`]): the same
    /// weights, θ, delays and state, one column range, no plasticity state.
    pub(super) fn frozen_copy(&self) -> DiehlCook {
        DiehlCook {
            params: self.params,
            w: self.w.clone(),
            exc: self.exc.clone(),
            inh: self.inh.clone(),
            rule: None,
            rng: self.rng.clone(),
            seed: self.seed,
            train: SpikeTrain::default(),
            exc_spikes: Vec::new(),
            inh_spikes: self.inh_spikes.clone(),
            delays: self.delays.as_ref().map(InputDelays::propagation_copy),
            col_scale: Vec::new(),
            carried: self.carried.clone(),
            t: self.t,
            stats: self.stats,
            bounds: vec![0, self.params.n_exc],
            scratch: vec![TileScratch::default()],
            team: None,
        }
    }

    /// Every variable a frozen presentation changes (neurons, pending
    /// conductance, clock, carried spikes), to start blocks from.
    pub(super) fn frozen_state(&self) -> FrozenState {
        FrozenState {
            exc: self.exc.clone(),
            inh: self.inh.clone(),
            inh_spikes: self.inh_spikes.clone(),
            pending: self.delays.as_ref().map(|d| d.pending().to_vec()),
            carried: self.carried.clone(),
            t: self.t,
        }
    }

    /// Puts back a [`frozen_state`](Self::frozen_state).
    pub(super) fn restore_frozen_state(&mut self, s: &FrozenState) {
        self.exc.clone_from(&s.exc);
        self.inh.clone_from(&s.inh);
        self.inh_spikes.clone_from(&s.inh_spikes);
        if let (Some(d), Some(p)) = (&mut self.delays, &s.pending) {
            d.set_pending(p);
        }
        self.t = s.t;
        self.carried.clone_from(&s.carried);
    }

    /// A frozen presentation with its spike trains from the network seed's
    /// stream `stream` ([`crate::network::frozen::frozen_stream`]).
    pub(super) fn present_on_stream(&mut self, image: &[u8], stream: u64) -> Result<Presentation> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        self.present_with(image, false, &mut rng)
    }

    /// Replaces the health counters, returning the old ones.
    pub(super) fn swap_stats(&mut self, stats: DcStats) -> DcStats {
        std::mem::replace(&mut self.stats, stats)
    }

    /// Starts a new phase (labelling, testing): no rest spikes are carried
    /// into its first showing, as each phase of the original was its own run.
    pub fn start_phase(&mut self) {
        self.carried.fill(0);
    }

    /// Rescales each excitatory neuron's input weights (a column of `W`) to
    /// sum to `norm_total`, on the column ranges of
    /// [`set_threads`](Self::set_threads) at once: per block of 256 columns
    /// the sums over the rows in input order (the same additions for any
    /// split), then the scaling, while the block is still in L2.
    pub fn normalise(&mut self) {
        let target = self.params.norm_total;
        let n = self.params.n_exc;
        let mut sums = std::mem::take(&mut self.col_scale);
        sums.clear();
        sums.resize(n, 0.0);
        match &self.team {
            Some(team) => {
                let bounds = &self.bounds;
                let parts: Vec<Mutex<(ArrayViewMut2<f32>, &mut [f32])>> =
                    split_columns(self.w.view_mut(), bounds)
                        .into_iter()
                        .zip(split_ranges(&mut sums, bounds))
                        .map(Mutex::new)
                        .collect();
                // Each range is locked by the one thread that runs it.
                team.run(|k| {
                    let mut part = parts[k].lock().unwrap_or_else(|e| e.into_inner());
                    let (w, sums) = &mut *part;
                    normalise_columns(w, sums, target);
                });
            }
            None => normalise_columns(&mut self.w.view_mut(), &mut sums, target),
        }
        self.col_scale = sums;
        self.weights_rewritten();
    }

    /// Shows one image (with rests and intensity retries) and returns the
    /// excitatory spike counts of the last showing (with
    /// [`CountWindow::Original`], the spikes of the rest before it included).
    /// `learning` turns on plasticity, θ adaptation and the weight
    /// normalisation.
    pub fn present(&mut self, image: &[u8], learning: bool) -> Result<Presentation> {
        let mut rng = std::mem::replace(&mut self.rng, ChaCha8Rng::from_seed([0; 32]));
        let shown = self.present_with(image, learning, &mut rng);
        self.rng = rng;
        shown
    }

    /// [`present`](Self::present) with the spike trains drawn from `rng`.
    fn present_with(
        &mut self,
        image: &[u8],
        learning: bool,
        rng: &mut ChaCha8Rng,
    ) -> Result<Presentation> {
        debug_assert!(
            !(learning && self.rule.is_none()),
            "a frozen copy does not learn"
        );
        let p = self.params;
        let (n_present, n_rest) = (p.steps(p.present_ms), p.steps(p.rest_ms));
        let mut intensity = p.intensity;
        let mut counts = vec![0u32; p.n_exc];
        let mut showings = 0;
        loop {
            showings += 1;
            if learning {
                self.normalise();
            }
            let mut train = std::mem::take(&mut self.train);
            encode(
                image,
                intensity,
                n_present,
                f64::from(p.dt_ms),
                rng,
                &mut train,
            );
            counts.fill(0);
            if p.count_window == CountWindow::Original {
                std::mem::swap(&mut counts, &mut self.carried);
            }
            for t in 0..n_present {
                self.step(train.at(t), learning, Some(&mut counts[..]))?;
            }
            self.train = train;
            let mut rest = std::mem::take(&mut self.carried);
            rest.fill(0);
            let carry = p.count_window == CountWindow::Original;
            for _ in 0..n_rest {
                self.step(&[], learning, carry.then_some(&mut rest[..]))?;
            }
            self.carried = rest;
            self.flush_inhibition();
            self.inh.catch_up(self.t);
            let total: u32 = counts.iter().sum();
            if total >= p.min_spikes || showings > p.max_retries {
                return Ok(Presentation { counts, showings });
            }
            intensity += 1.0;
        }
    }

    /// One step: neurons, then the spikes of this step propagate and learn,
    /// on every column range at once (see [`set_threads`](Self::set_threads)).
    /// The inhibitory spikes of the step reach the excitatory neurons at the
    /// start of the next step (or in [`flush_inhibition`](Self::flush_inhibition)):
    /// nothing reads `gi` in between, so this is the same as adding them at
    /// the end of this one, and it spares a second meeting of the threads.
    fn step(&mut self, inputs: &[u32], learning: bool, counts: Option<&mut [u32]>) -> Result<()> {
        let t = self.t;
        let learning = learning && self.rule.is_some();
        if learning && let Some(r) = &mut self.rule {
            r.begin_step(t, inputs);
        }
        if self.team.is_some() {
            self.step_ranges(inputs, learning, counts);
        } else {
            self.step_whole(inputs, learning, counts);
        }
        self.exc_spikes.clear();
        self.inh_spikes.clear();
        let mut clamped = 0;
        for sc in &self.scratch {
            self.exc_spikes.extend_from_slice(&sc.exc);
            self.inh_spikes.extend_from_slice(&sc.inh);
            clamped += sc.clamped;
        }
        self.stats.steps += 1;
        self.stats.overshoot_steps += u64::from(clamped > 0);
        self.stats.max_exc_spikes_in_step = self
            .stats
            .max_exc_spikes_in_step
            .max(self.exc_spikes.len() as u32);
        if learning && let Some(r) = &mut self.rule {
            r.end_step(&mut self.w.view_mut(), inputs, &self.exc_spikes)?;
        }
        self.t += 1;
        Ok(())
    }

    /// The ranges of one step on one thread, as a single range (no
    /// allocation: at 100-400 neurons a step takes a few microseconds).
    fn step_whole(&mut self, inputs: &[u32], learning: bool, counts: Option<&mut [u32]>) {
        {
            let (tables, ring) = match &mut self.delays {
                Some(d) => {
                    let (tables, ring) = d.whole();
                    (Some(tables), Some(ring))
                }
                None => (None, None),
            };
            let shared = StepShared {
                params: self.params,
                t: self.t,
                inputs,
                inhibition: &self.inh_spikes,
                learning,
                tables,
            };
            Tile {
                exc: self.exc.whole(),
                inh: self.inh.whole(),
                w: self.w.view_mut(),
                ring,
                rule: None,
                counts,
                scratch: &mut self.scratch[0],
            }
            .run(&shared);
        }
        if learning && let Some(r) = &mut self.rule {
            let scratch = &mut self.scratch[0];
            let step = ColumnStep {
                t: self.t,
                inputs,
                posts: &scratch.exc,
                delays: self.delays.as_ref().map(InputDelays::tables),
            };
            r.learn_whole(&mut self.w.view_mut(), &step, &mut scratch.recent);
        }
    }

    /// The column ranges of one step, each on its thread of the team.
    fn step_ranges(&mut self, inputs: &[u32], learning: bool, counts: Option<&mut [u32]>) {
        let bounds = std::mem::take(&mut self.bounds);
        let ranges = bounds.len() - 1;
        let exc = self.exc.split(&bounds);
        let inh = self.inh.split(&bounds);
        let w = split_columns(self.w.view_mut(), &bounds);
        let (tables, rings): (_, Vec<Option<DelayRing>>) = match &mut self.delays {
            Some(d) => {
                let (tables, rings) = d.split(&bounds);
                (Some(tables), rings.into_iter().map(Some).collect())
            }
            None => (None, (0..ranges).map(|_| None).collect()),
        };
        let mut rule_cols: Vec<Option<Box<dyn ColumnLearner>>> = match &mut self.rule {
            Some(r) if learning => r.columns(&bounds).into_iter().map(Some).collect(),
            _ => Vec::new(),
        };
        rule_cols.resize_with(ranges, || None);
        let counts: Vec<Option<&mut [u32]>> = match counts {
            Some(c) => split_ranges(c, &bounds).into_iter().map(Some).collect(),
            None => (0..ranges).map(|_| None).collect(),
        };
        let shared = StepShared {
            params: self.params,
            t: self.t,
            inputs,
            inhibition: &self.inh_spikes,
            learning,
            tables,
        };
        let tiles: Vec<Mutex<Tile>> = exc
            .into_iter()
            .zip(inh)
            .zip(w)
            .zip(rings)
            .zip(rule_cols)
            .zip(counts)
            .zip(self.scratch.iter_mut())
            .map(|((((((exc, inh), w), ring), rule), counts), scratch)| {
                Mutex::new(Tile {
                    exc,
                    inh,
                    w,
                    ring,
                    rule,
                    counts,
                    scratch,
                })
            })
            .collect();
        // Each range is locked by the one thread that runs it: never contended.
        let run = |k: usize| {
            tiles[k]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .run(&shared)
        };
        if let Some(team) = &self.team {
            team.run(run);
        }
        drop(tiles);
        self.bounds = bounds;
    }

    /// Adds the inhibition of the last step's inhibitory spikes to the
    /// excitatory conductances (done by the next step otherwise; see
    /// [`step`](Self::step)), so that the state is complete between examples.
    fn flush_inhibition(&mut self) {
        apply_inhibition(&mut self.exc.whole(), &self.inh_spikes, self.params.w_ie);
        self.inh_spikes.clear();
    }

    /// Column ranges stepped at once (each on its own thread of a
    /// [`Team`] when more than one): `threads` ranges of a multiple of 64
    /// neurons each, fewer when the layer is small. Every neuron and every
    /// synapse goes through the same arithmetic whatever the ranges, so the
    /// results are bitwise identical for every count.
    pub fn set_threads(&mut self, threads: usize) {
        self.bounds = column_bounds(self.params.n_exc, threads);
        let ranges = self.bounds.len() - 1;
        self.scratch.resize_with(ranges, TileScratch::default);
        self.team = (ranges > 1).then(|| Team::new(ranges));
    }

    /// Column ranges stepped at once (see [`set_threads`](Self::set_threads)).
    pub fn threads(&self) -> usize {
        self.bounds.len() - 1
    }
}

/// Columns per block of [`normalise_columns`]: a block of the 784 input
/// rows (784 KB) stays in L2 between the sums and the scaling.
const NORM_BLOCK: usize = 256;

/// Scales every column of `w` to sum to `target`, block of columns by block:
/// the sums accumulate over the rows in input order (the same additions for
/// any split into ranges or blocks), `sums` ends as the scale factors;
/// weights below the flush floor become 0 (never subnormal).
fn normalise_columns(w: &mut ArrayViewMut2<f32>, sums: &mut [f32], target: f32) {
    let width = w.ncols();
    for c0 in (0..width).step_by(NORM_BLOCK) {
        let c1 = (c0 + NORM_BLOCK).min(width);
        let s = &mut sums[c0..c1];
        for row in w.rows() {
            let row = row.to_slice().expect("W's rows are contiguous");
            axpy(s, 1.0, &row[c0..c1]);
        }
        for x in s.iter_mut() {
            *x = if *x > 0.0 { target / *x } else { 1.0 };
        }
        for mut row in w.rows_mut() {
            let row = &mut row.as_slice_mut().expect("W's rows are contiguous")[c0..c1];
            for (x, &k) in row.iter_mut().zip(s.iter()) {
                *x = decay_flushed(*x, k);
            }
        }
    }
}

/// Column ranges for `threads` threads over `n` neurons: a multiple of 64
/// neurons per range (whole SIMD blocks, so that no range splits one).
fn column_bounds(n: usize, threads: usize) -> Vec<usize> {
    let k = threads.max(1);
    let width = n.div_ceil(k).div_ceil(64) * 64;
    let mut bounds: Vec<usize> = (0..=k).map(|r| (r * width).min(n)).collect();
    bounds.dedup();
    if bounds.len() == 1 {
        bounds.push(n);
    }
    bounds
}

/// Each inhibitory spike in `spikes` adds `w_ie` to every other excitatory
/// neuron of `exc`: one vectorised pass over the range, with the spiking
/// neuron's own value put back (the same additions, in the same order, as
/// skipping it).
fn apply_inhibition(exc: &mut LifSlice, spikes: &[u32], w_ie: f32) {
    let (first, width) = (exc.first, exc.gi.len());
    for &j in spikes {
        let own = (j as usize)
            .checked_sub(first)
            .filter(|&l| l < width)
            .map(|l| (l, exc.gi[l]));
        add_scalar(exc.gi, w_ie);
        if let Some((l, g)) = own {
            exc.gi[l] = g;
        }
    }
}

/// What every column range reads in a step.
struct StepShared<'a> {
    params: DcParams,
    t: u64,
    inputs: &'a [u32],
    /// The last step's inhibitory spikes, not yet added.
    inhibition: &'a [u32],
    learning: bool,
    tables: Option<DelayTables<'a>>,
}

/// A column range's spikes of the step, and scratch.
#[derive(Debug, Default)]
struct TileScratch {
    exc: Vec<u32>,
    inh: Vec<u32>,
    recent: Vec<u32>,
    clamped: u32,
}

/// Neurons `first..first + width` of both populations, with the columns of
/// `W`, of the delay ring and of the rule's postsynaptic state that belong
/// to them.
struct Tile<'a> {
    exc: LifSlice<'a>,
    inh: LifSlice<'a>,
    w: ArrayViewMut2<'a, f32>,
    ring: Option<DelayRing<'a>>,
    /// The rule's learner for these columns (learning steps on several
    /// ranges; one range learns after [`Tile::run`]).
    rule: Option<Box<dyn ColumnLearner + 'a>>,
    counts: Option<&'a mut [u32]>,
    scratch: &'a mut TileScratch,
}

impl Tile<'_> {
    /// One step of the range, in the order of the original network: the
    /// last step's inhibition arrives, both populations step, the input
    /// spikes propagate (now or into the delay ring), excitatory spikes
    /// drive their inhibitory partners, then the range learns.
    fn run(&mut self, s: &StepShared) {
        let p = &s.params;
        let first = self.exc.first;
        apply_inhibition(&mut self.exc, s.inhibition, p.w_ie);
        let sc = &mut *self.scratch;
        sc.exc.clear();
        sc.inh.clear();
        sc.clamped = self
            .exc
            .step(p.dt_ms, p.integrator, s.learning, &mut sc.exc)
            + self
                .inh
                .step_quiet(p.dt_ms, p.integrator, false, s.t, &mut sc.inh);
        match (&mut self.ring, s.tables) {
            (Some(ring), Some(tables)) => {
                ring.propagate(s.t, s.inputs, &self.w.view(), tables, self.exc.ge);
            }
            _ => {
                for &i in s.inputs {
                    let row = self.w.row(i as usize);
                    axpy(
                        self.exc.ge,
                        1.0,
                        row.to_slice().expect("rows are contiguous"),
                    );
                }
            }
        }
        for &j in &sc.exc {
            let l = j as usize - first;
            self.inh.wake(l, s.t);
            self.inh.ge[l] += p.w_ei;
        }
        if let Some(c) = &mut self.counts {
            for &j in &sc.exc {
                c[j as usize - first] += 1;
            }
        }
        if let Some(learner) = &mut self.rule {
            let step = ColumnStep {
                t: s.t,
                inputs: s.inputs,
                posts: &sc.exc,
                delays: s.tables,
            };
            learner.learn(&mut self.w, &step, &mut sc.recent);
        }
    }
}
