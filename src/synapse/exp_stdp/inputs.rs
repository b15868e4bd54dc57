//! The four activity arrays one weight update reads, with their shape contract.

use std::borrow::Cow;

use ndarray::{ArrayView2, Axis};

use crate::error::{Error, Result};

/// Pre/post activity for one update of a `(n_in, n_out)` weight matrix.
///
/// Every array has a leading batch axis of the same length `B`; the rule sums
/// over it. `pre` and `post` are spikes (0/1) or analog values, `x_pre` and
/// `x_post` their traces.
#[derive(Clone, Copy, Debug)]
pub struct EvolveInputs<'a> {
    /// Presynaptic spikes, `(B, n_in)`.
    pub pre: ArrayView2<'a, f32>,
    /// Presynaptic traces, `(B, n_in)`.
    pub x_pre: ArrayView2<'a, f32>,
    /// Postsynaptic spikes, `(B, n_out)`.
    pub post: ArrayView2<'a, f32>,
    /// Postsynaptic traces, `(B, n_out)`.
    pub x_post: ArrayView2<'a, f32>,
}

impl EvolveInputs<'_> {
    /// Checks the four shapes against `W: (n_in, n_out)` and returns the batch length `B`.
    pub fn check(&self, n_in: usize, n_out: usize) -> Result<usize> {
        let b = self.pre.nrows();
        for (what, a, width) in [
            ("pre", &self.pre, n_in),
            ("x_pre", &self.x_pre, n_in),
            ("post", &self.post, n_out),
            ("x_post", &self.x_post, n_out),
        ] {
            if a.dim() != (b, width) {
                return Err(Error::shape(what, &[b, width], a.shape()));
            }
        }
        Ok(b)
    }
}

/// Row `r` of a `(B, n)` array as a contiguous slice: borrowed when the row
/// is contiguous (the usual case), copied otherwise.
pub(crate) fn batch_row(x: ArrayView2<'_, f32>, r: usize) -> Cow<'_, [f32]> {
    let row = x.index_axis_move(Axis(0), r);
    match row.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(row.to_vec()),
    }
}
