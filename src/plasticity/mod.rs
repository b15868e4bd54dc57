//! The plasticity of the Diehl & Cook network's input connections, as one
//! interface the network drives without knowing which rule it holds.
//!
//! Each step of a learning presentation the network calls, in this order:
//!
//! 1. [`InputPlasticity::begin_step`] with the step's input spikes (the
//!    input side: presynaptic traces, records);
//! 2. the neurons step and the input spikes propagate, on the network's
//!    column ranges at once ([`crate::team`]); then on each range the
//!    rule's [`ColumnLearner`] (from [`InputPlasticity::columns`]) learns on
//!    that range's columns of `W` with that range's postsynaptic spikes
//!    (one range: [`InputPlasticity::learn_whole`], which need not allocate);
//! 3. [`InputPlasticity::end_step`] with the whole `W` and every
//!    postsynaptic spike of the step.
//!
//! A rule learns in 2 (column tiles, in parallel: `dc_original`,
//! `trace_stdp`) or in 3 (the whole matrix on one thread: `exp_stdp`, whose
//! update paths agree only to float rounding and are chosen per update over
//! the whole matrix, so that tiles would make its results depend on the
//! split). Per synapse the arithmetic must not depend on the ranges: the
//! network's results are bitwise the same for every thread count.
//!
//! The state a rule carries from one example to the next is a list of
//! named `f32` vectors ([`InputPlasticity::state_names`]), which
//! checkpoints store one dataset per name.
//!
//! A new rule is one file here: its parameters (its config section), a
//! type implementing [`InputPlasticity`], and a variant of [`Plasticity`]
//! that builds it.

pub mod dc_original;
pub mod exp_stdp;
pub mod trace_stdp;

use ndarray::ArrayViewMut2;

use crate::error::Result;
pub use crate::synapse::dc_original::DelayTables;
use crate::synapse::dc_original::{DcStdp, DcStdpParams};
use crate::synapse::exp_stdp::ValidExpStdpParams;

/// What a rule is built for: the connection's shape, the step, and its
/// per-synapse input delays in steps (`(n_in, n_out)` row-major, at most
/// `max_delay_steps`), when it has any.
#[derive(Clone, Copy, Debug)]
pub struct RuleContext<'a> {
    /// Inputs (rows of `W`).
    pub n_in: usize,
    /// Postsynaptic neurons (columns of `W`).
    pub n_out: usize,
    /// Step, ms.
    pub dt_ms: f32,
    /// Per-synapse delays in steps and their maximum.
    pub delays: Option<(&'a [u8], usize)>,
}

/// What a column range learns from in one step.
#[derive(Clone, Copy, Debug)]
pub struct ColumnStep<'a> {
    /// The step's index (the clock of the network).
    pub t: u64,
    /// Input spikes emitted in this step (ascending).
    pub inputs: &'a [u32],
    /// This range's postsynaptic spikes of the step, population indices
    /// (ascending).
    pub posts: &'a [u32],
    /// The connection's delay tables, when it has delays.
    pub delays: Option<DelayTables<'a>>,
}

/// A rule's learning on one column range of `W` in one step.
pub trait ColumnLearner: Send {
    /// Updates `w` (the range's columns, every row) from `step`; `scratch`
    /// is the range's own, for the learner's use.
    fn learn(&mut self, w: &mut ArrayViewMut2<f32>, step: &ColumnStep, scratch: &mut Vec<u32>);
}

/// A plasticity rule of the input connections, driven per step (see the
/// module docs for the order of the calls).
pub trait InputPlasticity: Send {
    /// The rule's name in configs and summaries.
    fn name(&self) -> &'static str;

    /// Input side of step `t`, before the neurons step.
    fn begin_step(&mut self, t: u64, inputs: &[u32]);

    /// The step's learners, one per range of `bounds` (ascending, from 0 to
    /// the neuron count), or none when the rule learns in
    /// [`end_step`](Self::end_step) only.
    fn columns<'a>(&'a mut self, bounds: &[usize]) -> Vec<Box<dyn ColumnLearner + 'a>>;

    /// The learning of [`columns`](Self::columns) on one range of every
    /// neuron (the one-thread path; `step.posts` are all the step's spikes).
    fn learn_whole(
        &mut self,
        w: &mut ArrayViewMut2<f32>,
        step: &ColumnStep,
        scratch: &mut Vec<u32>,
    );

    /// End of the step, with the whole `W` and every postsynaptic spike.
    fn end_step(&mut self, w: &mut ArrayViewMut2<f32>, inputs: &[u32], posts: &[u32])
    -> Result<()>;

    /// Every weight may have changed outside the rule (normalisation,
    /// replaced weights).
    fn weights_replaced(&mut self) {}

    /// Names of the state vectors (checkpoint datasets), in the order of
    /// [`state`](Self::state).
    fn state_names(&self) -> Vec<&'static str>;

    /// The state carried between examples, in the order of
    /// [`state_names`](Self::state_names); `None` while some of the rule's
    /// work is still in flight (never at an example boundary).
    fn state(&self) -> Option<Vec<Vec<f32>>>;

    /// Restores [`state`](Self::state); `false` (and nothing changed) when
    /// the count or a length does not fit.
    fn set_state(&mut self, state: &[Vec<f32>]) -> bool;
}

/// Whether `state` has one vector of each length in `lens`.
pub fn state_fits(state: &[Vec<f32>], lens: &[usize]) -> bool {
    state.len() == lens.len() && state.iter().zip(lens).all(|(v, &n)| v.len() == n)
}

/// The rule of the input connections, with its parameters (what a config
/// chooses; [`build`](Self::build) makes the rule's state).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plasticity {
    /// The original code's rule, weights in `[0, w_max]`
    /// ([`crate::synapse::dc_original`]).
    DcOriginal(DcStdpParams),
    /// The seed's exponential weight-dependent rule ([`exp_stdp`]).
    ExpStdp {
        /// Rule parameters.
        params: ValidExpStdpParams,
        /// Presynaptic trace time constant, ms.
        tau_pre_ms: f32,
        /// Postsynaptic trace time constant, ms.
        tau_post_ms: f32,
    },
    /// ngclearn's trace-based STDP ([`trace_stdp`]).
    TraceStdp(trace_stdp::TraceStdpParams),
}

impl Plasticity {
    /// The rule's name in configs and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Plasticity::DcOriginal(_) => "dc_original",
            Plasticity::ExpStdp { .. } => "exp_stdp",
            Plasticity::TraceStdp(_) => "trace_stdp",
        }
    }

    /// The rule's state for a connection.
    pub fn build(&self, ctx: &RuleContext) -> Box<dyn InputPlasticity> {
        match *self {
            Plasticity::DcOriginal(p) => Box::new(match ctx.delays {
                Some((steps, max)) => {
                    DcStdp::with_delays(p, ctx.n_in, ctx.n_out, ctx.dt_ms, max, steps)
                }
                None => DcStdp::new(p, ctx.n_in, ctx.n_out, ctx.dt_ms),
            }),
            Plasticity::ExpStdp {
                params,
                tau_pre_ms,
                tau_post_ms,
            } => Box::new(exp_stdp::ExpStdpRule::new(
                params,
                ctx,
                tau_pre_ms,
                tau_post_ms,
            )),
            Plasticity::TraceStdp(p) => Box::new(trace_stdp::TraceStdp::new(p, ctx)),
        }
    }
}
