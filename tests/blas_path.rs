//! The products claimed to run through OpenBLAS really call `cblas_sgemm`,
//! including for tiny and non-contiguous operands where ndarray's own `dot`
//! would silently use its pure-Rust kernel.

use ndarray::{Array2, s};
use stdp_harness::blas::gemm_calls;
use stdp_harness::synapse::exp_stdp::{
    Compartment, EvolveInputs, ExpStdpParams, ExpStdpSynapse, UniformInit, compute_layer,
    evolve_reference,
};

fn ramp(rows: usize, cols: usize, k: f32) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * k)
}

fn naive_matmul(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
    Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
        (0..a.ncols()).map(|k| a[[i, k]] * b[[k, j]]).sum()
    })
}

#[test]
fn compute_layer_calls_blas_once_at_every_size_and_layout() {
    for (b, n_in, n_out) in [
        (1, 1, 1),
        (1, 3, 2),
        (4, 33, 17),
        (1, 784, 100),
        (64, 784, 400),
    ] {
        let input = ramp(b, n_in, 0.1);
        let w = ramp(n_in, n_out, 0.01);
        let before = gemm_calls();
        let out = compute_layer(input.view(), w.view()).unwrap();
        assert_eq!(gemm_calls() - before, 1, "shape {b}x{n_in}x{n_out}");
        let want = naive_matmul(&input, &w);
        let err = (&out - &want).mapv(f32::abs).fold(0.0f32, |m, &x| m.max(x));
        assert!(err < 1e-3, "shape {b}x{n_in}x{n_out}: error {err}");
    }
    // A transposed weight view and a strided input slice still go through BLAS.
    let wt = ramp(17, 33, 0.01);
    let wide = ramp(8, 66, 0.1);
    let input = wide.slice(s![..4;1, ..;2]);
    let before = gemm_calls();
    let out = compute_layer(input, wt.t()).unwrap();
    assert_eq!(gemm_calls() - before, 1);
    let want = naive_matmul(&input.to_owned(), &wt.t().to_owned());
    let err = (&out - &want).mapv(f32::abs).fold(0.0f32, |m, &x| m.max(x));
    assert!(err < 1e-3, "strided: error {err}");
}

#[test]
fn evolve_batch_products_go_through_blas() {
    let (b, n_in, n_out) = (4, 33, 17);
    let (pre, x_pre) = (ramp(b, n_in, 0.1), ramp(b, n_in, 0.05));
    let (post, x_post) = (ramp(b, n_out, 0.1), ramp(b, n_out, 0.05));
    let inputs = EvolveInputs {
        pre: pre.view(),
        x_pre: x_pre.view(),
        post: post.view(),
        x_post: x_post.view(),
    };
    let mut w = ramp(n_in, n_out, 0.05);

    let ltp_only = ExpStdpParams::default().check().unwrap();
    let before = gemm_calls();
    evolve_reference(&ltp_only, &inputs, &mut w.view_mut()).unwrap();
    assert_eq!(gemm_calls() - before, 1, "P = x_pre^T post");

    let with_ltd = ExpStdpParams {
        a_minus: 0.5,
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    let before = gemm_calls();
    evolve_reference(&with_ltd, &inputs, &mut w.view_mut()).unwrap();
    assert_eq!(gemm_calls() - before, 2, "P and R = pre^T x_post");
}

#[test]
fn component_advance_state_goes_through_blas() {
    let params = ExpStdpParams::default().check().unwrap();
    let mut syn = ExpStdpSynapse::new("syn", (5, 3), params, &UniformInit::seeded(1)).unwrap();
    syn.set(Compartment::In, ramp(2, 5, 1.0)).unwrap();
    let before = gemm_calls();
    syn.advance_state().unwrap();
    assert_eq!(gemm_calls() - before, 1);
}
