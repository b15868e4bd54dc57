//! The fused dense update: one pass over `W`, one `exp` per element.
//!
//! `P` and `R` enter either as outer products (`B = 1`: `P[i,j] = x_pre[i]·post[j]`,
//! never materialised) or as BLAS batch products (`B > 1`, one `sgemm` each);
//! `Q` is the rank-1 term `x_tar·Σ_b post[b,:]`. Each row of `W` is updated,
//! renormalised (when `w_norm` is set) and clipped while it is in L1.

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use super::elementwise::{RuleConsts, finish_row, updated};
use super::inputs::{EvolveInputs, batch_row};
use super::params::ValidExpStdpParams;
use super::workspace::{EvolveWorkspace, sized};
use crate::blas::{Op, gemm};
use crate::error::Result;
use crate::par::Par;

/// Rows per block (and per rayon task): for `B > 1` a block's slice of the
/// batch products (`ROWS_PER_TASK × n_out`) stays in L2 while it is used.
pub const ROWS_PER_TASK: usize = 16;

/// One row's potentiation or depression input: `scale · vec[j]`.
#[derive(Clone, Copy)]
pub(crate) struct Lane<'a> {
    pub scale: f32,
    pub vec: &'a [f32],
}

#[inline(always)]
fn row_body<const LTD: bool, const FMA: bool>(
    w: &mut [f32],
    p: Lane,
    q: &[f32],
    r: Lane,
    k: &RuleConsts,
) {
    let n = w.len();
    let (pv, qv) = (&p.vec[..n], &q[..n]);
    if LTD {
        let rv = &r.vec[..n];
        for j in 0..n {
            w[j] = updated::<true, FMA>(w[j], p.scale * pv[j], qv[j], r.scale * rv[j], k);
        }
    } else {
        for j in 0..n {
            w[j] = updated::<false, FMA>(w[j], p.scale * pv[j], qv[j], 0.0, k);
        }
    }
    finish_row(w, k);
}

#[inline(always)]
fn row_ltp<const FMA: bool>(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) {
    row_body::<false, FMA>(w, p, q, r, k)
}

#[inline(always)]
fn row_ltd<const FMA: bool>(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) {
    row_body::<true, FMA>(w, p, q, r, k)
}

crate::math::simd::dispatch!(fn update_row_ltp(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) => row_ltp);
crate::math::simd::dispatch!(fn update_row_ltd(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) => row_ltd);

/// `Q[j] = Σ_b x_tar · post[b, j]` into `q`.
pub(crate) fn rank_one_q(post: ArrayView2<f32>, x_tar: f32, q: &mut [f32]) {
    q.fill(0.0);
    for row in post.axis_iter(Axis(0)) {
        for (qj, &s) in q.iter_mut().zip(row.iter()) {
            *qj += x_tar * s;
        }
    }
}

/// Applies one update of the rule to `w` (row-major) in place: the same result
/// as [`evolve_reference`](super::reference::evolve_reference) within float32
/// rounding. A `w` that is not row-major contiguous is updated through a copy.
///
/// Rows are processed in blocks of [`ROWS_PER_TASK`]; for `B > 1` each block's
/// slice of `P` (and `R`) is one BLAS product that stays in cache. With
/// [`Par::Rayon`] blocks run in parallel (keep OpenBLAS at one thread then);
/// the result does not depend on the split.
pub fn evolve_fused(
    params: &ValidExpStdpParams,
    inputs: &EvolveInputs,
    w: &mut ArrayViewMut2<f32>,
    ws: &mut EvolveWorkspace,
    par: Par,
) -> Result<()> {
    let (n_in, n_out) = w.dim();
    let b = inputs.check(n_in, n_out)?;
    if !w.is_standard_layout() {
        let mut tmp = w.as_standard_layout().into_owned();
        evolve_fused(params, inputs, &mut tmp.view_mut(), ws, par)?;
        w.assign(&tmp);
        return Ok(());
    }
    if n_in == 0 || n_out == 0 {
        return Ok(());
    }
    let k = RuleConsts::new(params);
    let ltd = params.has_depression();
    let q = sized(&mut ws.q, n_out);
    rank_one_q(inputs.post, params.get().x_tar, q);
    let q: &[f32] = q;
    let post_row = batch_row(inputs.post, 0);
    let x_post_row = batch_row(inputs.x_post, 0);

    let block =
        |blk: usize, rows: &mut [f32], pot: &mut Vec<f32>, dep: &mut Vec<f32>| -> Result<()> {
            let i0 = blk * ROWS_PER_TASK;
            let h = rows.len() / n_out;
            let update = |row: &mut [f32], p: Lane, r: Lane| {
                if ltd {
                    update_row_ltd(row, p, q, r, &k)
                } else {
                    update_row_ltp(row, p, q, r, &k)
                }
            };
            if b == 1 {
                // Outer products on the fly: P[i, :] = x_pre[i]·post, R[i, :] = pre[i]·x_post.
                for (r, row) in rows.chunks_exact_mut(n_out).enumerate() {
                    let i = i0 + r;
                    let p = Lane {
                        scale: inputs.x_pre[[0, i]],
                        vec: &post_row,
                    };
                    let rr = Lane {
                        scale: inputs.pre[[0, i]],
                        vec: &x_post_row,
                    };
                    update(row, p, rr);
                }
                return Ok(());
            }
            // This block's rows of P = x_preᵀ·post and R = preᵀ·x_post, by BLAS.
            let cols = ndarray::s![.., i0..i0 + h];
            let pot = sized(pot, h * n_out);
            let mut pv = ArrayViewMut2::from_shape((h, n_out), &mut *pot).expect("sized buffer");
            gemm(
                1.0,
                inputs.x_pre.slice(cols),
                Op::T,
                inputs.post,
                Op::Id,
                0.0,
                &mut pv,
            )?;
            let dep = sized(dep, if ltd { h * n_out } else { 0 });
            if ltd {
                let mut rv =
                    ArrayViewMut2::from_shape((h, n_out), &mut *dep).expect("sized buffer");
                gemm(
                    1.0,
                    inputs.pre.slice(cols),
                    Op::T,
                    inputs.x_post,
                    Op::Id,
                    0.0,
                    &mut rv,
                )?;
            }
            for (r, row) in rows.chunks_exact_mut(n_out).enumerate() {
                let p = Lane {
                    scale: 1.0,
                    vec: &pot[r * n_out..(r + 1) * n_out],
                };
                let rr = if ltd {
                    Lane {
                        scale: 1.0,
                        vec: &dep[r * n_out..(r + 1) * n_out],
                    }
                } else {
                    p
                };
                update(row, p, rr);
            }
            Ok(())
        };

    let data = w.as_slice_mut().expect("standard layout checked above");
    match par {
        Par::Seq => {
            let (mut pot, mut dep) = (std::mem::take(&mut ws.pot), std::mem::take(&mut ws.dep));
            let res = data
                .chunks_mut(n_out * ROWS_PER_TASK)
                .enumerate()
                .try_for_each(|(blk, rows)| block(blk, rows, &mut pot, &mut dep));
            ws.pot = pot;
            ws.dep = dep;
            res
        }
        Par::Rayon => data
            .par_chunks_mut(n_out * ROWS_PER_TASK)
            .enumerate()
            .try_for_each_init(
                || (Vec::new(), Vec::new()),
                |(pot, dep), (blk, rows)| block(blk, rows, pot, dep),
            ),
    }
}
