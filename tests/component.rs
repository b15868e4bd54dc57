//! The `ExpStdpSynapse` component: compartments, verbs, initialisation, save/load, errors.

use ndarray::{Array2, array};
use stdp_harness::Error;
use stdp_harness::synapse::exp_stdp::{
    Compartment, EvolveInputs, ExpStdpParams, ExpStdpSynapse, UniformInit, compute_layer,
    evolve_reference,
};

fn syn(name: &str, shape: (usize, usize), seed: u64) -> ExpStdpSynapse {
    let params = ExpStdpParams {
        eta: 0.05,
        a_minus: 0.3,
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    ExpStdpSynapse::new(name, shape, params, &UniformInit::seeded(seed)).unwrap()
}

#[test]
fn verify_connections_requires_input() {
    let mut s = syn("w1", (4, 3), 0);
    let err = s.verify_connections().unwrap_err();
    assert!(
        matches!(
            err,
            Error::EmptyCompartment {
                compartment: "in",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("w1") && err.to_string().contains("`in`"),
        "{err}"
    );
    s.set(Compartment::In, Array2::zeros((1, 4))).unwrap();
    s.verify_connections().unwrap();
}

#[test]
fn advance_state_computes_in_times_w() {
    let mut s = syn("w", (4, 3), 0);
    let input = array![[1.0f32, 0.0, 1.0, 0.0], [0.5, 0.5, 0.0, 1.0]];
    s.set(Compartment::In, input.clone()).unwrap();
    s.advance_state().unwrap();
    let w = s.weights();
    let want = Array2::from_shape_fn((2, 3), |(b, j)| {
        (0..4).map(|i| input[[b, i]] * w[[i, j]]).sum::<f32>()
    });
    let got = s.get(Compartment::Out).unwrap();
    assert!(
        got.iter()
            .zip(want.iter())
            .all(|(a, b)| (a - b).abs() < 1e-6),
        "{got} vs {want}"
    );
}

#[test]
fn evolve_uses_in_as_pre_and_out_as_post() {
    let mut s = syn("w", (4, 3), 2);
    let input = array![[1.0f32, 0.0, 1.0, 1.0]];
    let x_pre = array![[1.0f32, 0.2, 1.0, 1.0]];
    let x_post = array![[0.3f32, 0.9, 0.1]];
    s.set(Compartment::In, input.clone()).unwrap();
    s.set(Compartment::XPre, x_pre.clone()).unwrap();
    s.set(Compartment::XPost, x_post.clone()).unwrap();
    s.advance_state().unwrap();
    let w0 = s.weights().clone();
    s.evolve().unwrap();

    let post = compute_layer(input.view(), w0.view()).unwrap();
    let mut want = w0.clone();
    let inputs = EvolveInputs {
        pre: input.view(),
        x_pre: x_pre.view(),
        post: post.view(),
        x_post: x_post.view(),
    };
    evolve_reference(s.params(), &inputs, &mut want.view_mut()).unwrap();
    let err = (s.weights() - &want)
        .mapv(f32::abs)
        .fold(0.0f32, |m, &x| m.max(x));
    assert!(err <= 1e-6, "component vs reference with post = out: {err}");
    let moved = (&want - &w0).mapv(f32::abs).fold(0.0f32, |m, &x| m.max(x));
    assert!(moved > 1e-3, "the update must change something here");
}

#[test]
fn evolve_names_the_missing_compartment() {
    let mut s = syn("layer", (4, 3), 0);
    s.set(Compartment::In, Array2::zeros((1, 4))).unwrap();
    s.advance_state().unwrap();
    let err = s.evolve().unwrap_err();
    assert!(
        matches!(
            err,
            Error::EmptyCompartment {
                compartment: "x_pre",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn reset_empties_every_compartment_and_keeps_weights() {
    let mut s = syn("w", (4, 3), 0);
    s.set(Compartment::In, Array2::ones((1, 4))).unwrap();
    s.set(Compartment::XPre, Array2::ones((1, 4))).unwrap();
    s.set(Compartment::XPost, Array2::ones((1, 3))).unwrap();
    s.advance_state().unwrap();
    let w = s.weights().clone();
    s.reset();
    for c in [
        Compartment::In,
        Compartment::Out,
        Compartment::XPre,
        Compartment::XPost,
    ] {
        assert!(s.get(c).is_none(), "{} not empty", c.name());
    }
    assert_eq!(s.weights(), &w);
}

#[test]
fn compartment_width_mismatch_is_an_error() {
    let mut s = syn("w", (4, 3), 0);
    let err = s
        .set(Compartment::XPost, Array2::zeros((1, 4)))
        .unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
    // Batch lengths that disagree are caught when they meet, not by a panic.
    s.set(Compartment::In, Array2::zeros((2, 4))).unwrap();
    s.set(Compartment::XPre, Array2::zeros((1, 4))).unwrap();
    s.set(Compartment::XPost, Array2::zeros((2, 3))).unwrap();
    s.advance_state().unwrap();
    assert!(matches!(s.evolve().unwrap_err(), Error::Shape { .. }));
}

#[test]
fn seeded_init_is_reproducible_and_inside_its_range() {
    let a = syn("w", (50, 20), 7);
    let b = syn("w", (50, 20), 7);
    let c = syn("w", (50, 20), 8);
    assert_eq!(a.weights(), b.weights());
    assert_ne!(a.weights(), c.weights());
    assert!(a.weights().iter().all(|&x| (0.025..0.8).contains(&x)));
    let mean = a.weights().mean().unwrap();
    assert!((mean - 0.4125).abs() < 0.03, "mean {mean}");
    let bad = UniformInit {
        low: 0.8,
        high: 0.1,
        seed: 0,
    }
    .sample(2, 2)
    .unwrap_err();
    assert!(bad.to_string().contains("low < high"), "{bad}");
}

#[test]
fn save_and_load_npz_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let a = syn("exc", (6, 5), 3);
    let path = a.save(dir.path()).unwrap();
    assert_eq!(path, dir.path().join("exc.npz"));
    let mut b = syn("exc", (6, 5), 4);
    b.load(dir.path()).unwrap();
    assert_eq!(a.weights(), b.weights());
}

#[test]
fn save_and_load_hdf5_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let a = syn("exc", (6, 5), 3);
    let path = a.save_hdf5(dir.path()).unwrap();
    assert_eq!(path, dir.path().join("exc.h5"));
    let mut b = syn("exc", (6, 5), 4);
    b.load_hdf5(dir.path()).unwrap();
    assert_eq!(a.weights(), b.weights());
}

#[test]
fn loading_a_numpy_written_npz_works() {
    // The golden files were written by numpy.savez (ZIP64 local headers):
    // serve one of them as a component's weight file under key `weights`.
    let dir = tempfile::tempdir().unwrap();
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/expstdp/p04_tiny_3x2_analog_b1.npz");
    let w = stdp_harness::record::weights_file::read_npz(&golden, "W").unwrap();
    assert_eq!(w.dim(), (3, 2));
    let mut s = syn("g", (3, 2), 0);
    stdp_harness::record::weights_file::write_npz(&s.npz_path(dir.path()), "weights", w.view())
        .unwrap();
    s.load(dir.path()).unwrap();
    assert_eq!(s.weights(), &w);
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = syn("missing", (3, 2), 0);
    let err = s.load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("missing.npz"), "{err}");
    let err = s.load_hdf5(dir.path()).unwrap_err().to_string();
    assert!(err.contains("missing.h5"), "{err}");
    // Garbage content.
    std::fs::write(dir.path().join("missing.npz"), b"not a zip").unwrap();
    let err = s.load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("missing.npz"), "{err}");
    // Wrong shape.
    syn("missing", (4, 2), 0).save(dir.path()).unwrap();
    let err = s.load(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
}

#[test]
fn params_check_rejects_invalid_values_by_name() {
    let d = ExpStdpParams::default();
    for (p, key) in [
        (ExpStdpParams { eta: -1e-3, ..d }, "eta"),
        (ExpStdpParams { w_bound: 0.01, ..d }, "w_bound"),
        (
            ExpStdpParams {
                x_tar: f32::NAN,
                ..d
            },
            "x_tar",
        ),
        (
            ExpStdpParams {
                exp_beta: f32::INFINITY,
                ..d
            },
            "exp_beta",
        ),
        (
            ExpStdpParams {
                w_norm: Some(0.0),
                ..d
            },
            "w_norm",
        ),
        (
            ExpStdpParams {
                w_norm: Some(f32::NAN),
                ..d
            },
            "w_norm",
        ),
    ] {
        let err = p.check().unwrap_err();
        assert!(
            matches!(err, Error::InvalidParam { name, .. } if name == key),
            "{key}: {err}"
        );
    }
    let p = d.check().unwrap();
    assert_eq!(p.get(), &d);
    assert!(!p.has_depression());
}

#[test]
fn kernels_report_shape_mismatches_as_errors() {
    let params = ExpStdpParams::default().check().unwrap();
    let (pre, x_pre) = (Array2::<f32>::zeros((2, 4)), Array2::<f32>::zeros((2, 4)));
    let (post, x_post_bad) = (Array2::<f32>::zeros((2, 3)), Array2::<f32>::zeros((2, 5)));
    let mut w = Array2::<f32>::zeros((4, 3));
    let inputs = EvolveInputs {
        pre: pre.view(),
        x_pre: x_pre.view(),
        post: post.view(),
        x_post: x_post_bad.view(),
    };
    let err = evolve_reference(&params, &inputs, &mut w.view_mut()).unwrap_err();
    assert!(err.to_string().contains("x_post"), "{err}");
    let err = compute_layer(pre.view(), Array2::<f32>::zeros((5, 3)).view()).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
}
