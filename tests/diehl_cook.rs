//! The Diehl & Cook network's protocol: normalisation before learning, the
//! minimum-spike retry, frozen presentations that change nothing, and both
//! plasticity rules running.

use stdp_harness::data::mnist::{Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook, Plasticity};
use stdp_harness::synapse::exp_stdp::ExpStdpParams;

#[test]
fn learning_presentations_normalise_spike_and_change_weights() {
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(5);
    let mut net = DiehlCook::new(DcParams::original(20), 3);
    let theta0 = net.exc.theta.clone();
    for k in 0..5 {
        let p = net.present(train.image(k), true).unwrap();
        let total: u32 = p.counts.iter().sum();
        assert!(
            total >= 5 || p.showings > 30,
            "example {k}: {total} spikes after {} showings",
            p.showings
        );
    }
    // Columns were scaled to 78 before the last example, then learning moved them a little.
    for s in net.w.sum_axis(ndarray::Axis(0)).iter() {
        assert!((s - 78.0).abs() < 2.0, "column sum {s}");
    }
    assert!(net.w.iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert!(
        net.exc.theta.iter().zip(&theta0).any(|(a, b)| a > b),
        "θ grew for neurons that fired"
    );
}

#[test]
fn frozen_presentations_change_neither_weights_nor_thresholds() {
    let test = load(&bundled_dir(), Split::Test).unwrap().truncated(3);
    let mut net = DiehlCook::new(DcParams::original(20), 4);
    net.normalise();
    let (w0, theta0) = (net.w.clone(), net.exc.theta.clone());
    for k in 0..3 {
        net.present(test.image(k), false).unwrap();
    }
    assert_eq!(net.w, w0);
    assert_eq!(net.exc.theta, theta0);
}

#[test]
fn the_seed_rule_drives_the_same_network() {
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(3);
    let mut params = DcParams::original(20);
    params.plasticity = Plasticity::ExpStdp {
        params: ExpStdpParams {
            eta: 0.01,
            ..ExpStdpParams::default()
        }
        .check()
        .unwrap(),
        tau_pre_ms: 20.0,
        tau_post_ms: 20.0,
    };
    let mut net = DiehlCook::new(params, 5);
    for k in 0..3 {
        net.present(train.image(k), true).unwrap();
    }
    assert!(
        net.w.iter().all(|&x| (0.01..=1.0).contains(&x)),
        "seed rule clips to [0.01, w_b]"
    );
}
