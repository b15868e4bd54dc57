//! One independent instance: a synapse, its inputs' RNG stream, traces and records.
//!
//! Each step: presynaptic and postsynaptic Poisson spikes (Bernoulli with the
//! per-step probability of the plan), traces set to 1 on a spike else decayed,
//! the projection `in · W` (event path; recorded as `out_mean`), then one
//! update of the rule. Everything an instance draws comes from its own ChaCha8
//! stream `(seed, index)`, so results do not depend on how instances are
//! scheduled over threads.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{InputPlan, InstancePlan, Plan};
use crate::error::Result;
use crate::record::stats::{ActivityWindow, StatsTable};
use crate::synapse::exp_stdp::{
    EvolveInputs, ExpStdp, ProjectionPath, UniformInit, ValidExpStdpParams, W_MIN,
    compute_layer_auto_into,
};
use crate::synapse::trace::SetTrace;

/// The state of one instance; everything in it is saved in checkpoints.
/// Read it through the accessors: only the harness (its stepping and its
/// checkpoints) changes it, so that the update path's knowledge of `W`
/// (e.g. that it is inside the clip range) stays true.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Index in the plan.
    pub(crate) index: usize,
    /// The rule (parameters and what its update knows of `W`).
    pub(crate) rule: ExpStdp,
    /// Input statistics.
    pub(crate) input: InputPlan,
    /// Weights `(n_in, n_out)`.
    pub(crate) weights: Array2<f32>,
    /// Presynaptic traces `(B, n_in)`.
    pub(crate) x_pre: Array2<f32>,
    /// Postsynaptic traces `(B, n_out)`.
    pub(crate) x_post: Array2<f32>,
    /// The instance's random stream.
    pub(crate) rng: ChaCha8Rng,
    /// Steps done.
    pub(crate) step: usize,
    /// Activity since the last statistics row.
    pub(crate) window: ActivityWindow,
    /// Statistics rows so far.
    pub(crate) stats: StatsTable,
    /// `(step, weights)` snapshots so far.
    pub(crate) snapshots: Vec<(u64, Array2<f32>)>,
    pre: Array2<f32>,
    post: Array2<f32>,
    out: Array2<f32>,
    w_prev: Array2<f32>,
}

/// The RNG stream of instance `index` under master seed `seed`.
pub fn instance_rng(seed: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    rng
}

impl Instance {
    /// Index in the plan.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Steps done.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Rule parameters.
    pub fn params(&self) -> &ValidExpStdpParams {
        self.rule.params()
    }

    /// Weights `(n_in, n_out)`.
    pub fn weights(&self) -> &Array2<f32> {
        &self.weights
    }

    /// Statistics rows so far.
    pub fn stats(&self) -> &StatsTable {
        &self.stats
    }

    /// `(step, weights)` snapshots so far.
    pub fn snapshots(&self) -> &[(u64, Array2<f32>)] {
        &self.snapshots
    }

    /// A fresh instance: weights drawn from its own stream, traces zero.
    pub fn new(plan: &Plan, ip: &InstancePlan) -> Result<Self> {
        let mut rng = instance_rng(plan.seed, ip.index);
        let init = UniformInit {
            low: plan.init_low,
            high: plan.init_high,
            seed: rng.random(),
        };
        let weights = init.sample(plan.n_in, plan.n_out)?;
        Ok(Self::restore(plan, ip, weights, rng))
    }

    /// An instance with the given weights and stream, at step 0 (callers that
    /// resume set the remaining fields).
    pub fn restore(plan: &Plan, ip: &InstancePlan, weights: Array2<f32>, rng: ChaCha8Rng) -> Self {
        let (b, n_in, n_out) = (plan.batch, plan.n_in, plan.n_out);
        Instance {
            index: ip.index,
            rule: ExpStdp::new(ip.params, plan.path),
            input: ip.input,
            weights,
            x_pre: Array2::zeros((b, n_in)),
            x_post: Array2::zeros((b, n_out)),
            rng,
            step: 0,
            window: ActivityWindow::default(),
            stats: StatsTable::default(),
            snapshots: Vec::new(),
            pre: Array2::zeros((b, n_in)),
            post: Array2::zeros((b, n_out)),
            out: Array2::zeros((b, n_out)),
            w_prev: Array2::zeros((n_in, n_out)),
        }
    }

    /// Runs steps until `self.step == until`, calling `tick(k)` after every
    /// `k` steps done (for progress reporting).
    pub fn run_until(
        &mut self,
        plan: &Plan,
        until: usize,
        tick: &(dyn Fn(u64) + Sync),
    ) -> Result<()> {
        const TICK: usize = 64;
        let mut pending = 0;
        while self.step < until {
            self.advance(plan)?;
            pending += 1;
            if pending == TICK {
                tick(TICK as u64);
                pending = 0;
            }
        }
        tick(pending as u64);
        Ok(())
    }

    fn draw(
        rng: &mut ChaCha8Rng,
        spikes: &mut Array2<f32>,
        traces: &mut Array2<f32>,
        p: f64,
        decay: f32,
    ) -> u64 {
        let mut n = 0;
        let trace = SetTrace::from_decay(decay);
        for (s, x) in spikes.iter_mut().zip(traces.iter_mut()) {
            let fired = rng.random_bool(p);
            n += u64::from(fired);
            *s = f32::from(u8::from(fired));
            *x = trace.next(*x, fired);
        }
        n
    }

    /// One step.
    pub fn advance(&mut self, plan: &Plan) -> Result<()> {
        let inp = self.input;
        self.window.pre_spikes += Self::draw(
            &mut self.rng,
            &mut self.pre,
            &mut self.x_pre,
            inp.pre_p,
            inp.pre_decay,
        );
        self.window.post_spikes += Self::draw(
            &mut self.rng,
            &mut self.post,
            &mut self.x_post,
            inp.post_p,
            inp.post_decay,
        );
        compute_layer_auto_into(
            self.pre.view(),
            self.weights.view(),
            &mut self.out.view_mut(),
            None::<ProjectionPath>,
        )?;
        self.window.out_sum += f64::from(self.out.mean().unwrap_or(0.0));
        self.window.steps += 1;
        let next = self.step + 1;
        let record = next.is_multiple_of(plan.record.stride) || next == plan.steps;
        if record {
            self.w_prev.assign(&self.weights);
        }
        let inputs = EvolveInputs {
            pre: self.pre.view(),
            x_pre: self.x_pre.view(),
            post: self.post.view(),
            x_post: self.x_post.view(),
        };
        self.rule.evolve(&inputs, &mut self.weights.view_mut())?;
        self.step = next;
        if record {
            self.stats.push(
                next as u64,
                self.index as u32,
                self.weights.view(),
                self.w_prev.view(),
                (W_MIN, self.rule.params().get().w_bound),
                &self.window,
                self.pre.len(),
                self.post.len(),
            );
            self.window = ActivityWindow::default();
        }
        let snap = plan.record.snapshot_stride;
        if snap > 0 && (next.is_multiple_of(snap) || next == plan.steps) {
            self.snapshots.push((next as u64, self.weights.clone()));
        }
        Ok(())
    }
}
