//! Properties of the rule that hold for any inputs (proptest).

use ndarray::Array2;
use proptest::prelude::*;
use stdp_harness::synapse::exp_stdp::{EvolveInputs, ExpStdpParams, W_MIN, evolve_reference};

/// Random `(rows, cols)` matrix with entries in `[lo, hi)`.
fn matrix(rows: usize, cols: usize, lo: f32, hi: f32) -> impl Strategy<Value = Array2<f32>> {
    proptest::collection::vec(lo..hi, rows * cols)
        .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).unwrap())
}

/// Random binary matrix with spike probability `p`.
fn spikes(rows: usize, cols: usize) -> impl Strategy<Value = Array2<f32>> {
    proptest::collection::vec(proptest::bool::weighted(0.3), rows * cols).prop_map(move |v| {
        Array2::from_shape_vec(
            (rows, cols),
            v.into_iter().map(|s| f32::from(u8::from(s))).collect(),
        )
        .unwrap()
    })
}

fn params() -> impl Strategy<Value = ExpStdpParams> {
    (
        0.05f32..2.0,
        0.0f32..0.5,
        0.0f32..1.0,
        0.0f32..4.0,
        0.0f32..1.5,
        -1.0f32..1.0,
        proptest::option::of(0.5f32..6.0),
    )
        .prop_map(
            |(w_bound, eta, x_tar, exp_beta, a_plus, a_minus, w_norm)| ExpStdpParams {
                w_bound,
                eta,
                x_tar,
                exp_beta,
                a_plus,
                a_minus,
                w_norm,
            },
        )
}

/// Shapes and a full set of inputs: (n_in, n_out, B) then pre, x_pre, post, x_post, W.
#[allow(clippy::type_complexity)]
fn case() -> impl Strategy<
    Value = (
        Array2<f32>,
        Array2<f32>,
        Array2<f32>,
        Array2<f32>,
        Array2<f32>,
    ),
> {
    // n_in past 64 too: several gather blocks of the row-major events path,
    // the last one partial.
    (prop_oneof![1usize..20, 65usize..150], 1usize..12, 1usize..6).prop_flat_map(
        |(n_in, n_out, b)| {
            (
                spikes(b, n_in),
                matrix(b, n_in, 0.0, 1.0),
                matrix(b, n_out, 0.0, 1.0),
                matrix(b, n_out, 0.0, 1.0),
                matrix(n_in, n_out, -0.5, 2.5),
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn weights_end_inside_the_clip_range(p in params(), (pre, x_pre, post, x_post, w0) in case()) {
        let params = p.check().unwrap();
        let mut w = w0;
        let inputs = EvolveInputs { pre: pre.view(), x_pre: x_pre.view(), post: post.view(), x_post: x_post.view() };
        evolve_reference(&params, &inputs, &mut w.view_mut()).unwrap();
        for &x in &w {
            prop_assert!((W_MIN..=p.w_bound).contains(&x), "{x} outside [{W_MIN}, {}]", p.w_bound);
        }
    }

    #[test]
    fn silence_leaves_in_range_weights_unchanged(
        p in params(), n_in in 1usize..20, n_out in 1usize..12, b in 1usize..6, seed_w in matrix(20, 12, 0.0, 1.0)
    ) {
        // Without row normalisation (which rescales every row regardless of activity).
        let p = ExpStdpParams { w_norm: None, ..p };
        let params = p.check().unwrap();
        let w0 = seed_w.slice(ndarray::s![..n_in, ..n_out]).mapv(|x| W_MIN + x * (p.w_bound - W_MIN));
        let zin = Array2::<f32>::zeros((b, n_in));
        let zout = Array2::<f32>::zeros((b, n_out));
        let mut w = w0.clone();
        let inputs = EvolveInputs { pre: zin.view(), x_pre: zin.view(), post: zout.view(), x_post: zout.view() };
        evolve_reference(&params, &inputs, &mut w.view_mut()).unwrap();
        prop_assert_eq!(w, w0);
    }

    #[test]
    fn non_positive_a_minus_means_no_depression(
        p in params(), a_minus in -2.0f32..=0.0, (pre, x_pre, post, x_post, w0) in case()
    ) {
        let with_neg = ExpStdpParams { a_minus, ..p }.check().unwrap();
        let with_zero = ExpStdpParams { a_minus: 0.0, ..p }.check().unwrap();
        let inputs = EvolveInputs { pre: pre.view(), x_pre: x_pre.view(), post: post.view(), x_post: x_post.view() };
        let mut a = w0.clone();
        let mut b = w0;
        evolve_reference(&with_neg, &inputs, &mut a.view_mut()).unwrap();
        evolve_reference(&with_zero, &inputs, &mut b.view_mut()).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn batch_is_summed_not_averaged(
        p in params(), copies in 2usize..6, (pre, x_pre, post, x_post, w0) in case()
    ) {
        // B identical rows act like one row whose post spikes and post traces
        // are B times larger (P, Q and R all scale by B); averaging would act
        // like the single row itself.
        let p = ExpStdpParams { w_norm: None, ..p };
        let params = p.check().unwrap();
        let row = |a: &Array2<f32>| a.row(0).insert_axis(ndarray::Axis(0)).to_owned();
        let (pre1, xpre1, post1, xpost1) = (row(&pre), row(&x_pre), row(&post), row(&x_post));
        let rep = |a: &Array2<f32>| ndarray::concatenate(ndarray::Axis(0), &vec![a.view(); copies]).unwrap();
        let k = copies as f32;
        let (post_k, xpost_k) = (post1.mapv(|x| x * k), xpost1.mapv(|x| x * k));

        let mut batched = w0.clone();
        let (a, b, c, d) = (rep(&pre1), rep(&xpre1), rep(&post1), rep(&xpost1));
        evolve_reference(&params, &EvolveInputs { pre: a.view(), x_pre: b.view(), post: c.view(), x_post: d.view() }, &mut batched.view_mut()).unwrap();
        let mut scaled = w0.clone();
        evolve_reference(&params, &EvolveInputs { pre: pre1.view(), x_pre: xpre1.view(), post: post_k.view(), x_post: xpost_k.view() }, &mut scaled.view_mut()).unwrap();
        for (x, y) in batched.iter().zip(scaled.iter()) {
            prop_assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "batched {x} vs summed {y}");
        }
    }
}

#[test]
fn averaging_the_batch_would_be_detected() {
    // The summed-batch property above must be able to fail: with two identical
    // rows, the summed update differs from the single-row (averaged) update.
    let params = ExpStdpParams {
        eta: 0.1,
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    let one = Array2::from_elem((1, 3), 1.0f32);
    let two = Array2::from_elem((2, 3), 1.0f32);
    let w0 = Array2::from_elem((3, 3), 0.5f32);
    let mut single = w0.clone();
    let mut batch = w0;
    evolve_reference(
        &params,
        &EvolveInputs {
            pre: one.view(),
            x_pre: one.view(),
            post: one.view(),
            x_post: one.view(),
        },
        &mut single.view_mut(),
    )
    .unwrap();
    evolve_reference(
        &params,
        &EvolveInputs {
            pre: two.view(),
            x_pre: two.view(),
            post: two.view(),
            x_post: two.view(),
        },
        &mut batch.view_mut(),
    )
    .unwrap();
    let d1 = single[[0, 0]] - 0.5;
    let d2 = batch[[0, 0]] - 0.5;
    assert!(
        (d2 - 2.0 * d1).abs() < 1e-6 && d1.abs() > 1e-3,
        "single {d1}, batch {d2}"
    );
}
