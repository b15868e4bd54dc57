//! `compute_layer`: the synapse's forward transform `out = in · W`, through BLAS.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use crate::blas::{Op, gemm};
use crate::error::{Error, Result};

/// Writes `out[b, j] = Σ_i input[b, i] · W[i, j]` into `out` (one `cblas_sgemm`).
///
/// Shapes: `input (B, n_in)`, `w (n_in, n_out)`, `out (B, n_out)`; a mismatch is
/// [`Error::Shape`].
pub fn compute_layer_into(
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
    gemm(1.0, input, Op::Id, w, Op::Id, 0.0, out)
}

/// Allocating form of [`compute_layer_into`].
pub fn compute_layer(input: ArrayView2<f32>, w: ArrayView2<f32>) -> Result<Array2<f32>> {
    let mut out = Array2::zeros((input.nrows(), w.ncols()));
    compute_layer_into(input, w, &mut out.view_mut())?;
    Ok(out)
}
