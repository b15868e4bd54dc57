//! Numerical fidelity of the Diehl & Cook network (`docs/numerics.md`):
//! the adaptive threshold decays as the original's float64 θ does, and no
//! state value ever becomes a subnormal float (which costs a microcode
//! assist per operation on Intel CPUs).

use stdp_harness::data::mnist::{Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook, Plasticity};
use stdp_harness::neuron::lif::{AdaptiveThreshold, Integrator, LifParams, LifPopulation};
use stdp_harness::synapse::exp_stdp::ExpStdpParams;

/// θ0 · (1 − dt/τ_θ)^N in f64, the original's decay without spikes.
fn exact_theta(theta0: f64, dt: f64, tau: f64, n: i32) -> f64 {
    theta0 * (1.0 - dt / tau).powi(n)
}

#[test]
fn without_spikes_theta_decays_as_the_original_float64_theta_for_ten_million_steps() {
    // θ0 across [0.01, 60] mV: a float32 θ lost one ulp per step everywhere,
    // 1.2-2.4x the true decay depending on where θ sits in its binade.
    let theta0 = [
        0.01, 0.5, 3.0, 16.5, 17.0, 18.9, 20.0, 25.0, 31.9, 40.0, 60.0,
    ];
    // Offset 0: the threshold `v_thresh + θ` stays above rest, so no neuron
    // ever fires and θ only decays.
    let adaptive = AdaptiveThreshold {
        offset: 0.0,
        ..AdaptiveThreshold::DC
    };
    let mut pop = LifPopulation::new(theta0.len(), LifParams::DC_EXCITATORY, Some(adaptive));
    for (t, &x) in pop.theta.iter_mut().zip(&theta0) {
        *t = x;
    }
    let (dt, tau) = (0.5f32, 1e7f64);
    let mut spikes = Vec::new();
    let mut done = 0;
    for n in [1_000, 100_000, 1_000_000, 10_000_000] {
        while done < n {
            pop.step(dt, Integrator::Euler, true, &mut spikes);
            done += 1;
        }
        assert!(spikes.is_empty(), "no neuron fires");
        for (k, &x0) in theta0.iter().enumerate() {
            let want = exact_theta(x0, f64::from(dt), tau, n);
            let got = pop.theta[k];
            let rel = (got - want).abs() / want;
            assert!(
                rel <= 1e-9,
                "θ0 = {x0} mV after {n} steps: {got} mV, want {want} mV (relative error {rel:.2e})"
            );
        }
    }
}

#[test]
fn theta_does_not_decay_in_frozen_presentations() {
    let mut pop = LifPopulation::new(3, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
    let theta0 = pop.theta.clone();
    for _ in 0..10_000 {
        pop.step(0.5, Integrator::Euler, false, &mut Vec::new());
    }
    assert_eq!(pop.theta, theta0);
}

/// The name of the first subnormal value among the network's state arrays.
fn first_subnormal(net: &DiehlCook) -> Option<String> {
    let pops = [("exc", &net.exc), ("inh", &net.inh)];
    for (p, pop) in pops {
        let arrays: [(&str, Vec<f64>); 5] = [
            ("v", pop.v.iter().map(|&x| f64::from(x)).collect()),
            ("ge", pop.ge.iter().map(|&x| f64::from(x)).collect()),
            ("gi", pop.gi.iter().map(|&x| f64::from(x)).collect()),
            ("timer", pop.timer.iter().map(|&x| f64::from(x)).collect()),
            ("theta", pop.theta.clone()),
        ];
        for (name, a) in arrays {
            // θ is held in f64 now; it must not reach f32's subnormal range either.
            if let Some(x) = a
                .iter()
                .find(|&&x| x != 0.0 && x.abs() < f64::from(f32::MIN_POSITIVE))
            {
                return Some(format!("{p}.{name}: {x:e}"));
            }
        }
    }
    if let Some(x) = net.weights().iter().find(|x| x.is_subnormal()) {
        return Some(format!("weights: {x:e}"));
    }
    let state = net.rule_state().expect("settled at an example boundary");
    for (name, t) in &state {
        if let Some(x) = t.iter().find(|x| x.is_subnormal()) {
            return Some(format!("rule state {name}: {x:e}"));
        }
    }
    if let Some(x) = net
        .pending_conductance()
        .and_then(|p| p.iter().find(|x| x.is_subnormal()))
    {
        return Some(format!("delay ring: {x:e}"));
    }
    None
}

fn seed_rule() -> Plasticity {
    Plasticity::ExpStdp {
        params: ExpStdpParams {
            eta: 0.01,
            ..ExpStdpParams::default()
        }
        .check()
        .unwrap(),
        tau_pre_ms: 20.0,
        tau_post_ms: 20.0,
    }
}

#[test]
fn no_state_value_of_the_network_is_ever_subnormal_with_either_rule() {
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(40);
    let original = DcParams::original(100);
    let seed = DcParams {
        plasticity: seed_rule(),
        ..original
    };
    // The full rest (150 ms) and shorter ones that end while the
    // conductances are still decaying (ge halves every step).
    let runs = [
        ("dc_original", original, 150.0),
        ("exp_stdp", seed, 150.0),
        ("dc_original", original, 66.0),
        ("dc_original", original, 72.5),
        ("exp_stdp", seed, 70.0),
    ];
    for (rule, params, rest_ms) in runs {
        let params = DcParams { rest_ms, ..params };
        let mut net = DiehlCook::new(params, 11);
        for k in 0..train.len() {
            let learning = k < 30;
            net.present(train.image(k), learning).unwrap();
            if let Some(found) = first_subnormal(&net) {
                panic!(
                    "{rule}, rest {rest_ms} ms, after example {k} (learning {learning}): subnormal {found}"
                );
            }
        }
    }
}
