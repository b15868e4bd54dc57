//! The seed's exponential weight-dependent rule
//! ([`crate::synapse::exp_stdp`]) as the network's [`InputPlasticity`]:
//! stepped every `dt` with `pre` = the step's input spikes and `post` = the
//! step's excitatory spikes, and set-to-1 traces ([`SetTrace`]) with time
//! constants `tau_pre_ms`, `tau_post_ms`. It sees input spikes when they are
//! emitted (the rule has no per-synapse delays).
//!
//! It learns on the whole matrix at the end of each step, on one thread:
//! its update ([`ExpStdp`]) picks the update path per update from the spikes of the
//! whole layer, and the paths agree only to float rounding, so learning on
//! column tiles would make its results depend on the split.

use ndarray::{Array2, ArrayViewMut2};

use super::{ColumnLearner, ColumnStep, InputPlasticity, RuleContext, state_fits};
use crate::error::Result;
use crate::synapse::exp_stdp::{EvolveInputs, ExpStdp, ValidExpStdpParams};
use crate::synapse::trace::SetTrace;

/// The rule's state in the network.
#[derive(Clone, Debug)]
pub struct ExpStdpRule {
    rule: ExpStdp,
    pre: Array2<f32>,
    post: Array2<f32>,
    x_pre: Array2<f32>,
    x_post: Array2<f32>,
    trace_pre: SetTrace,
    trace_post: SetTrace,
}

impl ExpStdpRule {
    /// Zero traces for a connection of `ctx`'s shape.
    pub fn new(
        params: ValidExpStdpParams,
        ctx: &RuleContext,
        tau_pre_ms: f32,
        tau_post_ms: f32,
    ) -> Self {
        let (n_in, n) = (ctx.n_in, ctx.n_out);
        ExpStdpRule {
            rule: ExpStdp::new(params, None),
            pre: Array2::zeros((1, n_in)),
            post: Array2::zeros((1, n)),
            x_pre: Array2::zeros((1, n_in)),
            x_post: Array2::zeros((1, n)),
            trace_pre: SetTrace::new(tau_pre_ms, ctx.dt_ms),
            trace_post: SetTrace::new(tau_post_ms, ctx.dt_ms),
        }
    }
}

/// Marks `spikes` with 1 in the zeroed single row `a`.
fn mark(a: &mut Array2<f32>, spikes: &[u32]) {
    a.fill(0.0);
    for &i in spikes {
        a[[0, i as usize]] = 1.0;
    }
}

impl InputPlasticity for ExpStdpRule {
    fn name(&self) -> &'static str {
        "exp_stdp"
    }

    fn begin_step(&mut self, _t: u64, _inputs: &[u32]) {}

    fn columns<'a>(&'a mut self, _bounds: &[usize]) -> Vec<Box<dyn ColumnLearner + 'a>> {
        Vec::new()
    }

    fn learn_whole(&mut self, _w: &mut ArrayViewMut2<f32>, _s: &ColumnStep, _: &mut Vec<u32>) {}

    /// `x ← 1` for the step's spikes, else decayed; then one update of the
    /// rule with `pre`, `x_pre`, `post`, `x_post` (batch of 1).
    fn end_step(
        &mut self,
        w: &mut ArrayViewMut2<f32>,
        inputs: &[u32],
        posts: &[u32],
    ) -> Result<()> {
        self.trace_pre.step_events(
            self.x_pre.as_slice_mut().expect("traces are contiguous"),
            inputs,
        );
        self.trace_post.step_events(
            self.x_post.as_slice_mut().expect("traces are contiguous"),
            posts,
        );
        mark(&mut self.pre, inputs);
        mark(&mut self.post, posts);
        let inp = EvolveInputs {
            pre: self.pre.view(),
            x_pre: self.x_pre.view(),
            post: self.post.view(),
            x_post: self.x_post.view(),
        };
        self.rule.evolve(&inp, w)?;
        Ok(())
    }

    fn weights_replaced(&mut self) {
        self.rule.weights_replaced();
    }

    fn state_names(&self) -> Vec<&'static str> {
        vec!["x_pre", "x_post"]
    }

    fn state(&self) -> Option<Vec<Vec<f32>>> {
        Some(vec![
            self.x_pre.iter().copied().collect(),
            self.x_post.iter().copied().collect(),
        ])
    }

    fn set_state(&mut self, state: &[Vec<f32>]) -> bool {
        if !state_fits(state, &[self.x_pre.len(), self.x_post.len()]) {
            return false;
        }
        for (dst, src) in [(&mut self.x_pre, &state[0]), (&mut self.x_post, &state[1])] {
            dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s);
        }
        true
    }
}
