//! The event-driven forward transform: `out[b,:] = Σ_{i: in[b,i] ≠ 0} in[b,i] · W[i,:]`.
//!
//! For sparse spike inputs this reads only the rows of `W` of inputs that
//! fired, instead of all of `W` as a dense product must.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::layer::compute_layer_into;
use crate::error::{Error, Result};
use crate::math::vector::axpy;

/// Dense BLAS product or sum of the fired rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectionPath {
    /// `in · W` through `cblas_sgemm`.
    Blas,
    /// Sum of the rows of `W` of the non-zero inputs.
    Events,
}

/// Largest fraction of non-zero inputs for which [`ProjectionPath::Events`]
/// is chosen. A dense product streams all of `W` once per call (for `B = 1`)
/// while the event path streams one row per non-zero input, at about the
/// same speed per element, so the crossover for `B = 1` is far above the
/// spike densities of interest; BLAS wins sooner for large batches, where it
/// reuses each row of `W` across the batch.
pub const EVENTS_MAX_DENSITY: f64 = 0.05;

/// Writes `out = input · w` by summing the rows of `w` of non-zero inputs.
pub fn compute_layer_events_into(
    input: ArrayView2<f32>,
    w: ArrayView2<f32>,
    out: &mut ArrayViewMut2<f32>,
) -> Result<()> {
    if input.ncols() != w.nrows() {
        return Err(Error::shape(
            "in (columns must equal the rows of W)",
            &[input.nrows(), w.nrows()],
            input.shape(),
        ));
    }
    if out.dim() != (input.nrows(), w.ncols()) {
        return Err(Error::shape(
            "out",
            &[input.nrows(), w.ncols()],
            out.shape(),
        ));
    }
    let mut row_buf = Vec::new();
    let mut acc = vec![0.0f32; w.ncols()];
    for (x, mut o) in input.rows().into_iter().zip(out.rows_mut()) {
        acc.fill(0.0);
        for (i, &a) in x.iter().enumerate() {
            if a != 0.0 {
                let row = w.row(i);
                let r: &[f32] = match row.as_slice() {
                    Some(s) => s,
                    None => {
                        row_buf.clear();
                        row_buf.extend(row.iter().copied());
                        &row_buf
                    }
                };
                axpy(&mut acc, a, r);
            }
        }
        o.iter_mut().zip(&acc).for_each(|(d, &s)| *d = s);
    }
    Ok(())
}

/// The path [`compute_layer_auto_into`] takes for this input.
pub fn choose_projection(input: ArrayView2<f32>) -> ProjectionPath {
    let nnz = input.iter().filter(|&&x| x != 0.0).count();
    if (nnz as f64) <= EVENTS_MAX_DENSITY * input.len() as f64 {
        ProjectionPath::Events
    } else {
        ProjectionPath::Blas
    }
}

/// `out = input · w` by the path the input's density calls for (or `force`d);
/// returns the path taken.
pub fn compute_layer_auto_into(
    input: ArrayView2<f32>,
    w: ArrayView2<f32>,
    out: &mut ArrayViewMut2<f32>,
    force: Option<ProjectionPath>,
) -> Result<ProjectionPath> {
    let path = force.unwrap_or_else(|| choose_projection(input));
    match path {
        ProjectionPath::Blas => compute_layer_into(input, w, out)?,
        ProjectionPath::Events => compute_layer_events_into(input, w, out)?,
    }
    Ok(path)
}
