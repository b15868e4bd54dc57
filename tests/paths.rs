//! The fused and event paths agree with the reference path on random cases:
//! shapes, spike densities, batch sizes, parameters, W partly outside the clip
//! range, and w_norm set; and the automatic choices pick what they claim.

use ndarray::{Array2, ShapeBuilder};
use proptest::prelude::*;
use stdp_harness::Par;
use stdp_harness::synapse::exp_stdp::{
    EvolvePath, EvolveWorkspace, ExpStdpParams, ProjectionPath, WeightRange, choose_path,
    compute_layer, compute_layer_auto_into, evolve_events, evolve_fused, evolve_reference,
};
#[path = "../dev/workload.rs"]
mod workload;
use workload::{UpdateInputs, spike_inputs};

fn params() -> impl Strategy<Value = ExpStdpParams> {
    (
        0.05f32..2.0,
        0.0f32..0.5,
        0.0f32..1.0,
        0.0f32..4.0,
        0.0f32..1.5,
        -0.5f32..1.0,
        proptest::option::weighted(0.25, 0.5f32..6.0),
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

/// `(inputs, W)` with W uniform in `[lo, hi)`: partly outside the clip range when asked.
fn case() -> impl Strategy<Value = (UpdateInputs, Array2<f32>, bool)> {
    (
        1usize..40,
        1usize..30,
        1usize..5,
        0.0f64..0.5,
        0.0f64..0.5,
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(n_in, n_out, b, pre_rate, post_rate, seed, outside, colmajor)| {
                let inputs = spike_inputs(seed, b, n_in, n_out, pre_rate, post_rate);
                let (lo, hi) = if outside { (-0.3, 1.4) } else { (0.02, 0.5) };
                let init = stdp_harness::synapse::exp_stdp::UniformInit {
                    low: lo,
                    high: hi,
                    seed: seed ^ 1,
                };
                let w0 = init.sample(n_in, n_out).unwrap();
                let w = if colmajor {
                    let mut f = Array2::zeros((n_in, n_out).f());
                    f.assign(&w0);
                    f
                } else {
                    w0
                };
                (inputs, w, outside)
            },
        )
}

fn assert_close(
    got: &Array2<f32>,
    want: &Array2<f32>,
    w0: &Array2<f32>,
    what: &str,
) -> Result<(), TestCaseError> {
    for ((g, r), w) in got.iter().zip(want.iter()).zip(w0.iter()) {
        let tol = 4e-6 + 1e-5 * (r - w).abs();
        prop_assert!(
            (g - r).abs() <= tol,
            "{what}: {g} vs reference {r} (from {w})"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fused_and_events_agree_with_reference(p in params(), (inputs, w0, outside) in case()) {
        let params = p.check().unwrap();
        // "In range" cases must really be inside [0.01, w_b] for the chosen w_b.
        let w0 = if outside { w0 } else { w0.mapv(|x| x.clamp(0.01, p.w_bound)) };
        let view = inputs.view();
        let mut want = w0.clone();
        evolve_reference(&params, &view, &mut want.view_mut()).unwrap();
        let mut ws = EvolveWorkspace::new();
        for par in [Par::Seq, Par::Rayon] {
            let mut got = w0.clone();
            evolve_fused(&params, &view, &mut got.view_mut(), &mut ws, par).unwrap();
            assert_close(&got, &want, &w0, "fused")?;
        }
        let range = if outside { WeightRange::Unknown } else { WeightRange::Clipped };
        let mut got = w0.clone();
        evolve_events(&params, &view, &mut got.view_mut(), range, &mut ws).unwrap();
        assert_close(&got, &want, &w0, "events")?;
    }

    #[test]
    fn event_projection_agrees_with_blas(( inputs, w, _o) in case()) {
        let want = compute_layer(inputs.pre.view(), w.view()).unwrap();
        let mut got = Array2::zeros(want.dim());
        compute_layer_auto_into(inputs.pre.view(), w.view(), &mut got.view_mut(), Some(ProjectionPath::Events)).unwrap();
        for (g, r) in got.iter().zip(want.iter()) {
            prop_assert!((g - r).abs() <= 1e-5 * (1.0 + r.abs()), "{g} vs {r}");
        }
    }
}

#[test]
fn events_with_unknown_range_clips_untouched_entries() {
    // No spikes at all: the update is empty, but out-of-range weights must be clipped.
    let params = ExpStdpParams::default().check().unwrap();
    let inputs = spike_inputs(3, 1, 5, 4, 0.0, 0.0);
    let mut w = Array2::from_elem((5, 4), 1.7f32);
    w[[0, 0]] = -0.2;
    let mut ws = EvolveWorkspace::new();
    evolve_events(
        &params,
        &inputs.view(),
        &mut w.view_mut(),
        WeightRange::Unknown,
        &mut ws,
    )
    .unwrap();
    assert_eq!(w[[0, 0]], 0.01);
    assert!(w.iter().skip(1).all(|&x| x == 1.0));
}

#[test]
fn automatic_choice_follows_density_and_norm() {
    let sparse = spike_inputs(1, 1, 784, 400, 0.01, 0.005);
    let dense = spike_inputs(1, 1, 784, 400, 0.5, 0.5);
    let plain = ExpStdpParams::default().check().unwrap();
    let normed = ExpStdpParams {
        w_norm: Some(1.0),
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    let w = Array2::from_elem((784, 400), 0.5f32);
    assert_eq!(
        choose_path(&plain, &sparse.view(), w.view()),
        EvolvePath::Events
    );
    assert_eq!(
        choose_path(&plain, &dense.view(), w.view()),
        EvolvePath::Fused
    );
    assert_eq!(
        choose_path(&normed, &sparse.view(), w.view()),
        EvolvePath::Fused
    );
    // 30 % of the columns fired: too many for row-major W, fine for column-major W.
    let mid = spike_inputs(2, 1, 784, 400, 0.01, 0.3);
    let wf = {
        let mut f = Array2::zeros((784, 400).f());
        f.assign(&w);
        f
    };
    assert_eq!(
        choose_path(&plain, &mid.view(), w.view()),
        EvolvePath::Fused
    );
    assert_eq!(
        choose_path(&plain, &mid.view(), wf.view()),
        EvolvePath::Events
    );
    // A batch of 8 whose fired columns together cover 20-40 % of W: beyond
    // the B = 1 limit, within the batch limit, where events are faster.
    let batch = spike_inputs(4, 8, 784, 400, 0.0005, 0.045);
    let fired = (0..400)
        .filter(|&j| batch.post.column(j).iter().any(|&x| x != 0.0))
        .count() as f64
        / 400.0;
    let pre_rows = (0..784)
        .filter(|&i| batch.pre.column(i).iter().any(|&x| x != 0.0))
        .count() as f64
        / 784.0;
    assert!(
        fired > 0.21 && fired + pre_rows < 0.38,
        "{fired} + {pre_rows}"
    );
    assert_eq!(
        choose_path(&plain, &batch.view(), w.view()),
        EvolvePath::Events,
        "B > 1 takes the batch limit"
    );
    let mut out = Array2::zeros((1, 400));
    let taken =
        compute_layer_auto_into(sparse.pre.view(), w.view(), &mut out.view_mut(), None).unwrap();
    assert_eq!(taken, ProjectionPath::Events);
    let taken =
        compute_layer_auto_into(dense.pre.view(), w.view(), &mut out.view_mut(), None).unwrap();
    assert_eq!(taken, ProjectionPath::Blas);
}
