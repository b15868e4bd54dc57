//! Choosing among the three update paths, and an `Evolver` that remembers what it knows.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::events::{WeightRange, active, evolve_events};
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
/// chosen, for row-major `W` (where a fired column is strided) and `B = 1`.
/// Measured by `cargo run --release --example crossover` (784x1600; table in
/// results/benchmarks.md): the two cost the same at ~20 % touched.
pub const EVENTS_MAX_TOUCHED_ROW_MAJOR: f64 = 0.2;

/// The same for row-major `W` and `B > 1`, where the fused path pays for two
/// dense batch products: crossover at ~45 % touched (`B = 64`).
pub const EVENTS_MAX_TOUCHED_ROW_MAJOR_BATCH: f64 = 0.4;

/// The same for column-major `W` (each column contiguous): crossover at
/// ~85 % touched for `B = 1`, above 95 % for `B = 64`.
pub const EVENTS_MAX_TOUCHED_COL_MAJOR: f64 = 0.8;

fn active_count(x: ArrayView2<f32>) -> usize {
    let (mut mask, mut idx) = (Vec::new(), Vec::new());
    active(x, &mut mask, &mut idx);
    idx.len()
}

/// The path an automatic choice takes for weights `w`: `events` when the
/// fired columns (and, with depression, rows) cover at most
/// the measured limit for `w`'s layout and the batch size
/// ([`EVENTS_MAX_TOUCHED_ROW_MAJOR`], [`EVENTS_MAX_TOUCHED_ROW_MAJOR_BATCH`],
/// [`EVENTS_MAX_TOUCHED_COL_MAJOR`]) of `W` and no row normalisation is set;
/// otherwise `fused`.
pub fn choose_path(
    params: &ValidExpStdpParams,
    inputs: &EvolveInputs,
    w: ArrayView2<f32>,
) -> EvolvePath {
    if params.get().w_norm.is_some() {
        return EvolvePath::Fused;
    }
    let (n_in, n_out) = w.dim();
    let mut touched = active_count(inputs.post) * n_in;
    if params.has_depression() {
        touched += active_count(inputs.pre) * n_out;
    }
    let col_major = n_in > 1 && w.strides()[0] == 1;
    let batch = inputs.pre.nrows();
    let limit = if col_major {
        EVENTS_MAX_TOUCHED_COL_MAJOR
    } else if batch > 1 {
        EVENTS_MAX_TOUCHED_ROW_MAJOR_BATCH
    } else {
        EVENTS_MAX_TOUCHED_ROW_MAJOR
    };
    if (touched as f64) <= limit * (n_in * n_out) as f64 {
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
        let path = self
            .force
            .unwrap_or_else(|| choose_path(params, inputs, w.view()));
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
