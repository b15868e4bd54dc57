//! Choosing among the three update paths, and an `Evolver` that remembers what it knows.

use ndarray::{ArrayView2, ArrayViewMut2, Axis};

use super::events::{WeightRange, evolve_events};
use super::fused::evolve_fused;
use super::inputs::EvolveInputs;
use super::params::ValidExpStdpParams;
use super::reference::evolve_reference;
use super::workspace::EvolveWorkspace;
use crate::error::Result;
use crate::par::Par;

/// One of the implementations of the update; all give the same weights
/// within float32 rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvolvePath {
    /// The straightforward BLAS formulation; the oracle.
    Reference,
    /// One pass over `W`, one `exp` per element.
    Fused,
    /// Only the columns of fired postsynaptic units and rows of fired inputs.
    Events,
}

/// Largest fraction of `W` the event path may touch before the fused path is
/// chosen. The event path costs about the same per touched element when
/// columns are contiguous, several times more when they are strided
/// (row-major `W`), so the switch sits well below 1.
pub const EVENTS_MAX_TOUCHED: f64 = 0.1;

fn active_count(x: ArrayView2<f32>) -> usize {
    x.axis_iter(Axis(1))
        .filter(|c| c.iter().any(|&v| v != 0.0))
        .count()
}

/// The path an automatic choice takes: `events` when the fired columns (and,
/// with depression, rows) cover at most [`EVENTS_MAX_TOUCHED`] of `W` and no
/// row normalisation is set; otherwise `fused`.
pub fn choose_path(params: &ValidExpStdpParams, inputs: &EvolveInputs) -> EvolvePath {
    if params.get().w_norm.is_some() {
        return EvolvePath::Fused;
    }
    let (n_in, n_out) = (inputs.pre.ncols(), inputs.post.ncols());
    let mut touched = active_count(inputs.post) * n_in;
    if params.has_depression() {
        touched += active_count(inputs.pre) * n_out;
    }
    if (touched as f64) <= EVENTS_MAX_TOUCHED * (n_in * n_out) as f64 {
        EvolvePath::Events
    } else {
        EvolvePath::Fused
    }
}

/// Runs updates by the chosen (or automatic) path, with its own scratch space,
/// and tracks whether `W` is known to be inside the clip range.
#[derive(Clone, Debug)]
pub struct Evolver {
    force: Option<EvolvePath>,
    par: Par,
    range: WeightRange,
    ws: EvolveWorkspace,
}

impl Evolver {
    /// An evolver that picks the path per call (`force = None`) or always uses `force`.
    pub fn new(force: Option<EvolvePath>, par: Par) -> Self {
        Evolver {
            force,
            par,
            range: WeightRange::Unknown,
            ws: EvolveWorkspace::new(),
        }
    }

    /// Forget what is known about `W` (call after replacing the weights).
    pub fn weights_replaced(&mut self) {
        self.range = WeightRange::Unknown;
    }

    /// One update; returns the path taken.
    pub fn evolve(
        &mut self,
        params: &ValidExpStdpParams,
        inputs: &EvolveInputs,
        w: &mut ArrayViewMut2<f32>,
    ) -> Result<EvolvePath> {
        let path = self.force.unwrap_or_else(|| choose_path(params, inputs));
        match path {
            EvolvePath::Reference => evolve_reference(params, inputs, w)?,
            EvolvePath::Fused => evolve_fused(params, inputs, w, &mut self.ws, self.par)?,
            EvolvePath::Events => evolve_events(params, inputs, w, self.range, &mut self.ws)?,
        }
        self.range = WeightRange::Clipped;
        Ok(path)
    }
}

impl Default for Evolver {
    fn default() -> Self {
        Evolver::new(None, Par::Seq)
    }
}
