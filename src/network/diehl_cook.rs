//! The Diehl & Cook (2015) network: 784 Poisson inputs → N excitatory
//! conductance LIF neurons with adaptive thresholds (plastic, all-to-all) →
//! N inhibitory neurons (one-to-one, 10.4) → back to every other excitatory
//! neuron (17.0). Parameters and protocol as in the original code
//! (`../shared/DC2015.md`): dt 0.5 ms, 350 ms presentation, 150 ms rest, input
//! rates `pixel/8 · intensity` Hz with intensity 2 raised by 1 and the example
//! shown again while fewer than 5 excitatory spikes occur; input weight
//! columns normalised to sum 78 before each training example.
//!
//! Not modelled: the original's random conduction delays (0-10 ms) on the
//! input connections.
//!
//! Everything follows the spikes: an input spike adds one row of `W` to the
//! excitatory conductances, a postsynaptic spike touches one column.

use ndarray::{Array2, ArrayViewMut2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::neuron::lif::{AdaptiveThreshold, LifParams, LifPopulation};
use crate::neuron::poisson::{SpikeTrain, encode};
use crate::synapse::dc_original::{DcStdp, DcStdpParams};
use crate::synapse::exp_stdp::projection::axpy;
use crate::synapse::exp_stdp::{EvolveInputs, Evolver, ValidExpStdpParams};

/// The plasticity rule of the input connections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plasticity {
    /// The original code's rule, weights in `[0, w_max]`.
    DcOriginal(DcStdpParams),
    /// The seed's exponential weight-dependent rule, stepped every `dt` with
    /// `pre` = input spikes and `post` = excitatory spikes, and set-to-1 traces
    /// with time constants `tau_pre_ms`, `tau_post_ms`.
    ExpStdp {
        /// Rule parameters.
        params: ValidExpStdpParams,
        /// Presynaptic trace time constant, ms.
        tau_pre_ms: f32,
        /// Postsynaptic trace time constant, ms.
        tau_post_ms: f32,
    },
}

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
}

impl DcParams {
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
        }
    }

    fn steps(&self, ms: f32) -> usize {
        (ms / self.dt_ms).round() as usize
    }
}

enum Rule {
    Dc(DcStdp),
    Exp(Box<ExpRule>),
}

/// State of the seed's rule inside the network.
struct ExpRule {
    params: ValidExpStdpParams,
    evolver: Evolver,
    pre: Array2<f32>,
    post: Array2<f32>,
    x_pre: Array2<f32>,
    x_post: Array2<f32>,
    decay_pre: f32,
    decay_post: f32,
}

/// The network's state.
pub struct DiehlCook {
    /// Parameters.
    pub params: DcParams,
    /// Input weights `(n_input, n_exc)`.
    pub w: Array2<f32>,
    /// Excitatory population.
    pub exc: LifPopulation,
    /// Inhibitory population.
    pub inh: LifPopulation,
    rule: Rule,
    rng: ChaCha8Rng,
    train: SpikeTrain,
    exc_spikes: Vec<u32>,
    inh_spikes: Vec<u32>,
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
    /// A network with the original random initial weights `(U[0,1) + 0.01) · 0.3`.
    pub fn new(params: DcParams, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let w = Array2::from_shape_simple_fn((params.n_input, params.n_exc), || {
            (rng.random::<f32>() + 0.01) * 0.3
        });
        Self::with_weights(params, w, rng)
    }

    /// A network with the given weights and random stream.
    pub fn with_weights(params: DcParams, w: Array2<f32>, rng: ChaCha8Rng) -> Self {
        let (n_in, n) = (params.n_input, params.n_exc);
        let rule = match params.plasticity {
            Plasticity::DcOriginal(p) => Rule::Dc(DcStdp::new(p, n_in, n, params.dt_ms)),
            Plasticity::ExpStdp {
                params: p,
                tau_pre_ms,
                tau_post_ms,
            } => Rule::Exp(Box::new(ExpRule {
                params: p,
                evolver: Evolver::default(),
                pre: Array2::zeros((1, n_in)),
                post: Array2::zeros((1, n)),
                x_pre: Array2::zeros((1, n_in)),
                x_post: Array2::zeros((1, n)),
                decay_pre: (-params.dt_ms / tau_pre_ms).exp(),
                decay_post: (-params.dt_ms / tau_post_ms).exp(),
            })),
        };
        DiehlCook {
            exc: LifPopulation::new(n, params.exc, Some(params.theta)),
            inh: LifPopulation::new(n, params.inh, None),
            params,
            w,
            rule,
            rng,
            train: SpikeTrain::default(),
            exc_spikes: Vec::new(),
            inh_spikes: Vec::new(),
        }
    }

    /// The plasticity rule's traces, in a fixed order (`dc_original`: pre,
    /// post1, post2; `exp_stdp`: x_pre, x_post), for checkpoints.
    pub fn rule_traces(&self) -> Vec<Vec<f32>> {
        match &self.rule {
            Rule::Dc(r) => vec![r.pre.clone(), r.post1.clone(), r.post2.clone()],
            Rule::Exp(r) => vec![
                r.x_pre.iter().copied().collect(),
                r.x_post.iter().copied().collect(),
            ],
        }
    }

    /// Restores what [`rule_traces`](Self::rule_traces) returned; `false` when
    /// the count or lengths do not fit this network.
    pub fn set_rule_traces(&mut self, traces: &[Vec<f32>]) -> bool {
        let fits = |t: &[Vec<f32>], lens: &[usize]| {
            t.len() == lens.len() && t.iter().zip(lens).all(|(v, &n)| v.len() == n)
        };
        match &mut self.rule {
            Rule::Dc(r) => {
                if !fits(traces, &[r.pre.len(), r.post1.len(), r.post2.len()]) {
                    return false;
                }
                r.pre.copy_from_slice(&traces[0]);
                r.post1.copy_from_slice(&traces[1]);
                r.post2.copy_from_slice(&traces[2]);
            }
            Rule::Exp(r) => {
                if !fits(traces, &[r.x_pre.len(), r.x_post.len()]) {
                    return false;
                }
                r.x_pre
                    .iter_mut()
                    .zip(&traces[0])
                    .for_each(|(d, &s)| *d = s);
                r.x_post
                    .iter_mut()
                    .zip(&traces[1])
                    .for_each(|(d, &s)| *d = s);
            }
        }
        true
    }

    /// Position of the network's random stream (for checkpoints).
    pub fn rng_word_pos(&self) -> u128 {
        self.rng.get_word_pos()
    }

    /// Moves the random stream to `pos` (the stream's seed is the network's).
    pub fn set_rng_word_pos(&mut self, pos: u128) {
        self.rng.set_word_pos(pos);
    }

    /// Rescales each excitatory neuron's input weights (a column of `W`) to sum to `norm_total`.
    pub fn normalise(&mut self) {
        let target = self.params.norm_total;
        for mut col in self.w.axis_iter_mut(Axis(1)) {
            let s: f32 = col.sum();
            if s > 0.0 {
                let k = target / s;
                col.mapv_inplace(|x| x * k);
            }
        }
        if let Rule::Exp(r) = &mut self.rule {
            r.evolver.weights_replaced();
        }
    }

    /// Shows one image (with rests and intensity retries) and returns the
    /// excitatory spike counts. `learning` turns on plasticity, θ adaptation
    /// and the weight normalisation.
    pub fn present(&mut self, image: &[u8], learning: bool) -> Result<Presentation> {
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
                &mut self.rng,
                &mut train,
            );
            counts.fill(0);
            for t in 0..n_present {
                self.step(train.at(t), learning, Some(&mut counts))?;
            }
            self.train = train;
            for _ in 0..n_rest {
                self.step(&[], learning, None)?;
            }
            let total: u32 = counts.iter().sum();
            if total >= p.min_spikes || showings > p.max_retries {
                return Ok(Presentation { counts, showings });
            }
            intensity += 1.0;
        }
    }

    /// One step: neurons, then the spikes of this step propagate and learn.
    fn step(
        &mut self,
        inputs: &[u32],
        learning: bool,
        counts: Option<&mut Vec<u32>>,
    ) -> Result<()> {
        let p = self.params;
        self.exc_spikes.clear();
        self.inh_spikes.clear();
        self.exc.step(p.dt_ms, learning, &mut self.exc_spikes);
        self.inh.step(p.dt_ms, false, &mut self.inh_spikes);

        // Input spikes: one row of W into the excitatory conductances each.
        let ge = &mut self.exc.ge;
        for &i in inputs {
            let row = self.w.row(i as usize);
            axpy(ge, 1.0, row.as_slice().expect("W is row-major"));
        }
        for &j in &self.exc_spikes {
            self.inh.ge[j as usize] += p.w_ei;
        }
        for &j in &self.inh_spikes {
            for (k, g) in self.exc.gi.iter_mut().enumerate() {
                if k != j as usize {
                    *g += p.w_ie;
                }
            }
        }
        if let Some(c) = counts {
            for &j in &self.exc_spikes {
                c[j as usize] += 1;
            }
        }
        if learning {
            self.learn(inputs)?;
        }
        Ok(())
    }

    fn learn(&mut self, inputs: &[u32]) -> Result<()> {
        let mut w: ArrayViewMut2<f32> = self.w.view_mut();
        match &mut self.rule {
            Rule::Dc(r) => {
                r.decay();
                for &i in inputs {
                    r.on_pre(&mut w, i as usize);
                }
                for &j in &self.exc_spikes {
                    r.on_post(&mut w, j as usize);
                }
            }
            Rule::Exp(r) => {
                let ExpRule {
                    params,
                    evolver,
                    pre,
                    post,
                    x_pre,
                    x_post,
                    decay_pre,
                    decay_post,
                } = &mut **r;
                x_pre.mapv_inplace(|x| x * *decay_pre);
                x_post.mapv_inplace(|x| x * *decay_post);
                pre.fill(0.0);
                post.fill(0.0);
                for &i in inputs {
                    pre[[0, i as usize]] = 1.0;
                    x_pre[[0, i as usize]] = 1.0;
                }
                for &j in &self.exc_spikes {
                    post[[0, j as usize]] = 1.0;
                    x_post[[0, j as usize]] = 1.0;
                }
                let inp = EvolveInputs {
                    pre: pre.view(),
                    x_pre: x_pre.view(),
                    post: post.view(),
                    x_post: x_post.view(),
                };
                evolver.evolve(params, &inp, &mut w)?;
            }
        }
        Ok(())
    }
}
