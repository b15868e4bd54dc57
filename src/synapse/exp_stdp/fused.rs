//! The fused dense update: one pass over `W`, one `exp` per element.
//!
//! `P` and `R` enter either as outer products (`B = 1`: `P[i,j] = x_pre[i]·post[j]`,
//! never materialised) or as BLAS batch products (`B > 1`, one `sgemm` each);
//! `Q` is the rank-1 term `x_tar·Σ_b post[b,:]`. Each row of `W` is updated,
//! renormalised (when `w_norm` is set) and clipped while it is in L1.

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use super::elementwise::{RuleConsts, finish_row, updated};
use super::inputs::EvolveInputs;
use super::params::ValidExpStdpParams;
use super::workspace::{EvolveWorkspace, sized};
use crate::blas::{Op, gemm};
use crate::error::Result;
use crate::par::Par;

/// Rows per rayon task: enough work per task to amortise scheduling.
const ROWS_PER_TASK: usize = 16;

/// One row's potentiation or depression input: `scale · vec[j]`.
#[derive(Clone, Copy)]
pub(crate) struct Lane<'a> {
    pub scale: f32,
    pub vec: &'a [f32],
}

#[inline(always)]
fn row_body<const LTD: bool>(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) {
    let n = w.len();
    let (pv, qv) = (&p.vec[..n], &q[..n]);
    if LTD {
        let rv = &r.vec[..n];
        for j in 0..n {
            w[j] = updated::<true>(w[j], p.scale * pv[j], qv[j], r.scale * rv[j], k);
        }
    } else {
        for j in 0..n {
            w[j] = updated::<false>(w[j], p.scale * pv[j], qv[j], 0.0, k);
        }
    }
    finish_row(w, k);
}

#[inline(always)]
fn row_ltp(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) {
    row_body::<false>(w, p, q, r, k)
}

#[inline(always)]
fn row_ltd(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) {
    row_body::<true>(w, p, q, r, k)
}

crate::dispatch!(fn update_row_ltp(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) => row_ltp);
crate::dispatch!(fn update_row_ltd(w: &mut [f32], p: Lane, q: &[f32], r: Lane, k: &RuleConsts) => row_ltd);

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

    // B = 1: outer products on the fly. B > 1: batch products by BLAS.
    let (pot, dep): (Option<&[f32]>, Option<&[f32]>) = if b == 1 {
        (None, None)
    } else {
        let pot = sized(&mut ws.pot, n_in * n_out);
        let mut pv = ArrayViewMut2::from_shape((n_in, n_out), pot).expect("sized buffer");
        gemm(1.0, inputs.x_pre, Op::T, inputs.post, Op::Id, 0.0, &mut pv)?;
        let dep = if ltd {
            let dep = sized(&mut ws.dep, n_in * n_out);
            let mut rv = ArrayViewMut2::from_shape((n_in, n_out), dep).expect("sized buffer");
            gemm(1.0, inputs.pre, Op::T, inputs.x_post, Op::Id, 0.0, &mut rv)?;
            Some(&ws.dep[..n_in * n_out])
        } else {
            None
        };
        (Some(&ws.pot[..n_in * n_out]), dep)
    };
    let post0 = inputs.post.row(0);
    let x_post0 = inputs.x_post.row(0);
    let post0 = post0.as_slice();
    let x_post0 = x_post0.as_slice();
    let (post_buf, x_post_buf);
    let post_row: &[f32] = match post0 {
        Some(s) => s,
        None => {
            post_buf = inputs.post.row(0).to_vec();
            &post_buf
        }
    };
    let x_post_row: &[f32] = match x_post0 {
        Some(s) => s,
        None => {
            x_post_buf = inputs.x_post.row(0).to_vec();
            &x_post_buf
        }
    };
    let lanes = |i: usize| -> (Lane<'_>, Lane<'_>) {
        match (pot, dep) {
            (Some(pot), dep) => {
                let p = Lane {
                    scale: 1.0,
                    vec: &pot[i * n_out..(i + 1) * n_out],
                };
                let r = match dep {
                    Some(d) => Lane {
                        scale: 1.0,
                        vec: &d[i * n_out..(i + 1) * n_out],
                    },
                    None => p,
                };
                (p, r)
            }
            (None, _) => (
                Lane {
                    scale: inputs.x_pre[[0, i]],
                    vec: post_row,
                },
                Lane {
                    scale: inputs.pre[[0, i]],
                    vec: x_post_row,
                },
            ),
        }
    };
    let do_row = |i: usize, row: &mut [f32]| {
        let (p, r) = lanes(i);
        if ltd {
            update_row_ltd(row, p, q, r, &k);
        } else {
            update_row_ltp(row, p, q, r, &k);
        }
    };
    let data = w.as_slice_mut().expect("standard layout checked above");
    match par {
        Par::Seq => data
            .chunks_exact_mut(n_out)
            .enumerate()
            .for_each(|(i, row)| do_row(i, row)),
        Par::Rayon => data
            .par_chunks_mut(n_out * ROWS_PER_TASK)
            .enumerate()
            .for_each(|(c, block)| {
                for (r, row) in block.chunks_exact_mut(n_out).enumerate() {
                    do_row(c * ROWS_PER_TASK + r, row);
                }
            }),
    }
    Ok(())
}
