//! The Diehl & Cook network's protocol: normalisation before learning, the
//! minimum-spike retry, frozen presentations that change nothing, and both
//! plasticity rules running.

use stdp_harness::data::mnist::{Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook, Plasticity};
use stdp_harness::plasticity::trace_stdp::TraceStdpParams;
use stdp_harness::synapse::exp_stdp::ExpStdpParams;

#[test]
fn learning_presentations_normalise_spike_and_change_weights() {
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(5);
    let mut net = DiehlCook::new(DcParams::original(20), 3);
    let theta0 = net.exc.theta.clone();
    let mut spikes = 0;
    for k in 0..5 {
        let p = net.present(train.image(k), true).unwrap();
        assert!(p.showings >= 1);
        spikes += p.counts.iter().sum::<u32>();
    }
    assert!(spikes > 0, "the layer fired");
    // Columns were scaled to 78 before the last example, then learning moved them a little.
    for s in net.weights().sum_axis(ndarray::Axis(0)).iter() {
        assert!((s - 78.0).abs() < 2.0, "column sum {s}");
    }
    assert!(net.weights().iter().all(|&x| (0.0..=1.0).contains(&x)));
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
    let (w0, theta0) = (net.weights().to_owned(), net.exc.theta.clone());
    for k in 0..3 {
        net.present(test.image(k), false).unwrap();
    }
    assert_eq!(net.weights(), w0);
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
    let (mut changed, mut kept) = (0, 0);
    for k in 0..3 {
        // What normalisation and the rule's clip to [0.01, w_b] alone would
        // make of the weights.
        let mut reference = DiehlCook::new(params, 5);
        reference.set_weights(net.weights().to_owned()).unwrap();
        reference.normalise();
        let expected = reference.weights().mapv(|x| x.clamp(0.01, 1.0));
        let p = net.present(train.image(k), true).unwrap();
        for (j, &c) in p.counts.iter().enumerate() {
            let diff = net
                .weights()
                .column(j)
                .iter()
                .zip(expected.column(j))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, nan_max);
            if c > 0 {
                // A neuron that fired had its input weights moved by the rule.
                assert!(diff > 1e-4, "example {k}, neuron {j}: {diff}");
                changed += 1;
            } else if p.showings == 1 {
                // Without depression (a_minus = 0) the rule leaves the column
                // of a neuron that never fired as normalisation and clipping
                // made it.
                assert!(diff < 1e-6, "example {k}, neuron {j}: {diff}");
                kept += 1;
            }
        }
    }
    assert!(changed > 0 && kept > 0, "{changed} changed, {kept} kept");
    assert!(
        net.weights().iter().all(|&x| (0.01..=1.0).contains(&x)),
        "seed rule clips to [0.01, w_b]"
    );
}

/// Step `t` of the delay ring split at `bounds` into column ranges (as
/// several threads use it), each range propagating `inputs` into its part
/// of `ge`.
fn propagate_split(
    d: &mut stdp_harness::network::delays::InputDelays,
    bounds: &[usize],
    t: u64,
    inputs: &[u32],
    w: &ndarray::Array2<f32>,
    ge: &mut [f32],
) {
    let (tables, rings) = d.split(bounds);
    let mut rest = ge;
    for (k, mut ring) in rings.into_iter().enumerate() {
        let (a, b) = (bounds[k], bounds[k + 1]);
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(b - a);
        rest = tail;
        let cols = w.slice(ndarray::s![.., a..b]);
        ring.propagate(t, inputs, &cols, tables, head);
    }
}

#[test]
fn an_input_spike_reaches_each_neuron_exactly_after_its_drawn_delay() {
    use rand::SeedableRng;
    use stdp_harness::network::delays::InputDelays;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let (n_in, n) = (5, 200);
    let mut d = InputDelays::draw(n_in, n, [0.0, 10.0], 0.5, &mut rng).unwrap();
    let mut w = ndarray::Array2::<f32>::zeros((n_in, n));
    for j in 0..n {
        w[[2, j]] = 1.0 + j as f32;
    }
    let t_spike = 37u64;
    let mut arrival = vec![None; n];
    // The ring split in uneven column ranges, as several threads use it.
    let bounds = [0, 64, 192, 200];
    for t in 30..80u64 {
        let inputs: &[u32] = if t == t_spike { &[2] } else { &[] };
        let mut ge = vec![0.0f32; n];
        propagate_split(&mut d, &bounds, t, inputs, &w, &mut ge);
        for (j, &g) in ge.iter().enumerate() {
            if g != 0.0 {
                assert!(arrival[j].is_none(), "neuron {j} received twice");
                assert_eq!(g, w[[2, j]], "the whole weight arrives at once");
                arrival[j] = Some(t);
            }
        }
    }
    for (j, a) in arrival.iter().enumerate() {
        assert_eq!(*a, Some(t_spike + d.delay(2, j) as u64), "neuron {j}");
    }
    let spread: std::collections::BTreeSet<_> = arrival.iter().collect();
    assert!(spread.len() > 5, "delays differ between synapses");
}

#[test]
fn the_ring_delivers_bitwise_what_a_per_synapse_queue_delivers() {
    // Many input spikes per step, random weights, the ring split in uneven
    // column ranges: each neuron's conductance must equal, bit for bit, that
    // of the plainest model of the delays: a queue per (arrival step,
    // neuron) that receives W[i, j] for each spike in order (inputs of a
    // step in order, steps in order) and is added to ge when due.
    use rand::{Rng, SeedableRng};
    use stdp_harness::network::delays::InputDelays;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let (n_in, n) = (40, 600);
    let mut d = InputDelays::draw(n_in, n, [0.0, 10.0], 0.5, &mut rng).unwrap();
    let w = ndarray::Array2::from_shape_simple_fn((n_in, n), || rng.random::<f32>());
    let bounds = [0, 64, 320, 333, 600];
    let steps = 120u64;
    let mut queue = vec![vec![0.0f32; n]; steps as usize + 32];
    let (mut ge, mut ge_ref) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut spikes_sent = 0;
    for t in 0..steps {
        let inputs: Vec<u32> = if t < 90 {
            (0..n_in as u32)
                .filter(|_| rng.random::<f32>() < 0.2)
                .collect()
        } else {
            Vec::new()
        };
        spikes_sent += inputs.len();
        for &i in &inputs {
            for j in 0..n {
                queue[t as usize + d.delay(i as usize, j)][j] += w[[i as usize, j]];
            }
        }
        for j in 0..n {
            ge_ref[j] += queue[t as usize][j];
        }
        propagate_split(&mut d, &bounds, t, &inputs, &w, &mut ge);
        for j in 0..n {
            assert_eq!(ge[j].to_bits(), ge_ref[j].to_bits(), "step {t}, neuron {j}");
        }
    }
    assert!(spikes_sent > 500, "{spikes_sent} spikes");
    assert!(
        d.pending().iter().all(|&p| p == 0.0),
        "everything delivered"
    );
}

#[test]
fn the_same_seed_draws_the_same_delays_and_another_seed_others() {
    let delays = |seed: u64| -> Vec<usize> {
        let net = DiehlCook::new(DcParams::original(30), seed);
        let d = net.delays().expect("delays on by default");
        (0..784)
            .flat_map(|i| (0..30).map(move |j| (i, j)))
            .map(|(i, j)| d.delay(i, j))
            .collect()
    };
    assert_eq!(delays(8), delays(8));
    assert_ne!(delays(8), delays(9));
    let mut off = DcParams::original(30);
    off.input_delay_ms = [0.0, 0.0];
    assert!(DiehlCook::new(off, 8).delays().is_none());
}

#[test]
fn delays_leave_the_initial_weights_of_a_seed_unchanged() {
    let mut off = DcParams::original(30);
    off.input_delay_ms = [0.0, 0.0];
    assert_eq!(
        DiehlCook::new(off, 4).weights(),
        DiehlCook::new(DcParams::original(30), 4).weights()
    );
}

#[test]
fn a_large_layer_stays_finite_and_in_range_while_learning() {
    // 400 neurons, a few examples, under both integrators: every membrane
    // stays in [E_inh, E_exc] (clamped Euler, the default, and the
    // exponential step, which never needs the clamp).
    use stdp_harness::neuron::lif::Integrator;
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(3);
    for integrator in [Integrator::Euler, Integrator::ExponentialEuler] {
        let mut params = DcParams::original(400);
        params.integrator = integrator;
        let mut net = DiehlCook::new(params, 2);
        for k in 0..3 {
            net.present(train.image(k), true).unwrap();
            assert!(
                net.exc
                    .v
                    .iter()
                    .all(|v| v.is_finite() && (-100.0..=0.0).contains(v))
            );
            assert!(
                net.inh
                    .v
                    .iter()
                    .all(|v| v.is_finite() && (-85.0..=0.0).contains(v))
            );
        }
        if integrator == Integrator::ExponentialEuler {
            assert_eq!(net.stats().overshoot_steps, 0);
        }
        assert!(net.stats().steps >= 3 * 1000);
    }
    assert_eq!(
        DcParams::original(400).integrator,
        Integrator::Euler,
        "the default"
    );
}

type State = (Vec<f32>, Vec<Vec<f32>>, Vec<Vec<f64>>, Vec<Vec<u32>>);

/// Everything a step leaves behind that later steps or the records read:
/// weights, f32 state (and traces), θ (f64), ages and carried counts.
fn state(net: &DiehlCook) -> State {
    let pops = [&net.exc, &net.inh];
    let mut floats: Vec<Vec<f32>> = pops
        .iter()
        .flat_map(|p| [p.v.clone(), p.ge.clone(), p.gi.clone(), p.timer.clone()])
        .collect();
    floats.extend(
        net.rule_state()
            .expect("settled between examples")
            .into_iter()
            .map(|(_, v)| v),
    );
    floats.extend(net.pending_conductance().map(<[f32]>::to_vec));
    let thetas = pops.iter().map(|p| p.theta.clone()).collect();
    let mut ages: Vec<Vec<u32>> = pops.iter().map(|p| p.since_spike.clone()).collect();
    ages.push(net.carried_counts().to_vec());
    (
        net.weights().iter().copied().collect(),
        floats,
        thetas,
        ages,
    )
}

#[test]
fn every_thread_count_gives_bitwise_the_same_network() {
    // 200 neurons split into ranges of whole 64-neuron blocks (1, 2 and 4
    // ranges, the last one short): learning with each rule, delays on and off, then frozen
    // presentations. Spike counts and the whole state must match exactly.
    use stdp_harness::neuron::lif::Integrator;
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(3);
    let exp = Plasticity::ExpStdp {
        params: ExpStdpParams {
            eta: 0.01,
            ..ExpStdpParams::default()
        }
        .check()
        .unwrap(),
        tau_pre_ms: 20.0,
        tau_post_ms: 20.0,
    };
    let mut cases = Vec::new();
    for (delays, plasticity, integrator) in [
        ([0.0, 10.0], None, Integrator::Euler),
        ([0.0, 0.0], None, Integrator::ExponentialEuler),
        ([0.0, 10.0], Some(exp), Integrator::Euler),
        // ngclearn's trace rule learns on the column ranges; with a weight
        // decay every weight of a range takes the dense update.
        (
            [0.0, 10.0],
            Some(Plasticity::TraceStdp(TraceStdpParams {
                mu: 0.5,
                pretrace_target: 0.1,
                ..TraceStdpParams::default()
            })),
            Integrator::Euler,
        ),
        (
            [0.0, 0.0],
            Some(Plasticity::TraceStdp(TraceStdpParams {
                tau_w: 5000.0,
                ..TraceStdpParams::default()
            })),
            Integrator::Euler,
        ),
    ] {
        let mut p = DcParams::original(200);
        p.input_delay_ms = delays;
        p.integrator = integrator;
        // Inhibition strong enough and input intense enough that both
        // populations fire in the few steps simulated.
        p.intensity = 6.0;
        if let Some(rule) = plasticity {
            p.plasticity = rule;
        }
        cases.push(p);
    }
    for params in cases {
        let run = |threads: usize| {
            let mut net = DiehlCook::new(params, 7);
            net.set_threads(threads);
            // Ranges of whole 64-neuron blocks: 200 neurons make 1, 2, 2, 4, 4.
            assert_eq!(net.threads(), [1, 2, 2, 4, 4][threads - 1]);
            let mut counts = Vec::new();
            for k in 0..3 {
                counts.push(net.present(train.image(k), true).unwrap().counts);
            }
            counts.push(net.present(train.image(0), false).unwrap().counts);
            (counts, state(&net), net.stats())
        };
        let one = run(1);
        assert!(
            one.0.iter().flatten().sum::<u32>() > 0,
            "the layer fired ({params:?})"
        );
        for threads in [2, 3, 4, 5] {
            assert!(
                run(threads) == one,
                "{threads} threads differ from one ({:?}, {:?})",
                params.plasticity,
                params.input_delay_ms
            );
        }
    }
}

#[test]
fn the_original_count_window_adds_the_rest_before_each_showing() {
    // Frozen presentations with no retries: the window changes only what
    // is counted, so both networks step identically, and each showing's
    // counts under `original` are its presentation's counts plus the rest
    // spikes carried from the showing before (none into a phase's first).
    use stdp_harness::network::diehl_cook::CountWindow;
    let test = load(&bundled_dir(), Split::Test).unwrap().truncated(12);
    let params = DcParams {
        min_spikes: 0,
        ..DcParams::original(100)
    };
    let presentation = DcParams {
        count_window: CountWindow::Presentation,
        ..params
    };
    let (mut orig, mut pres) = (DiehlCook::new(params, 21), DiehlCook::new(presentation, 21));
    // Train both a little (identically: the counts do not steer learning
    // without retries), so that the layer fires.
    for k in 0..5 {
        orig.present(test.image(k), true).unwrap();
        pres.present(test.image(k), true).unwrap();
    }
    orig.start_phase();
    let mut carried_total = 0;
    for k in 5..test.len() {
        let carried = orig.carried_counts().to_vec();
        if k == 5 {
            assert!(carried.iter().all(|&c| c == 0), "a phase starts empty");
        }
        let a = orig.present(test.image(k), false).unwrap();
        let b = pres.present(test.image(k), false).unwrap();
        let expected: Vec<u32> = b.counts.iter().zip(&carried).map(|(x, c)| x + c).collect();
        assert_eq!(a.counts, expected, "showing {k}");
        assert!(pres.carried_counts().iter().all(|&c| c == 0));
        carried_total += carried.iter().sum::<u32>();
    }
    assert!(carried_total > 0, "some spikes fell in the rests");
    assert_eq!(orig.weights(), pres.weights());
}

#[test]
fn frozen_blocks_do_not_depend_on_threads_grouping_or_order() {
    // A trained 128-neuron network; five blocks of frozen presentations run
    // on 1, 2 and 3 threads, and each block alone: the same spike counts
    // (each block starts from the state training left and draws from its
    // presentations' own streams), and the network's state is untouched.
    use stdp_harness::network::frozen::{FrozenJob, FrozenPhase, frozen_stream};
    let train = load(&bundled_dir(), Split::Train).unwrap().truncated(20);
    let trained = || {
        let mut p = DcParams::original(128);
        p.intensity = 4.0;
        let mut net = DiehlCook::new(p, 3);
        for k in 0..4 {
            net.present(train.image(k), true).unwrap();
        }
        net
    };
    let blocks: Vec<Vec<FrozenJob>> = (0..5)
        .map(|b| {
            (0..3)
                .map(|k| FrozenJob {
                    image: train.image(4 + 3 * b + k),
                    stream: frozen_stream(FrozenPhase::Test, 0, (3 * b + k) as u32),
                })
                .collect()
        })
        .collect();
    let never = || false;
    let mut reference = trained();
    let before = state(&reference);
    let one = reference
        .present_frozen_blocks(&blocks, 1, &never, &|_| {})
        .unwrap()
        .unwrap();
    assert_eq!(state(&reference), before, "the state is left as it was");
    assert!(
        one.iter()
            .flatten()
            .map(|p| p.counts.iter().sum::<u32>())
            .sum::<u32>()
            > 0
    );
    for threads in [2, 3] {
        let mut net = trained();
        net.set_threads(2);
        let done = std::sync::atomic::AtomicU64::new(0);
        let got = net
            .present_frozen_blocks(&blocks, threads, &never, &|k| {
                done.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap()
            .unwrap();
        assert_eq!(got, one, "{threads} threads");
        assert_eq!(done.into_inner(), 15);
        assert_eq!(state(&net), before);
        assert_eq!(net.threads(), 2, "the column ranges are put back");
        assert_eq!(net.stats(), reference.stats(), "the same steps counted");
    }
    for (b, block) in blocks.iter().enumerate().rev() {
        let alone = trained()
            .present_frozen_blocks(std::slice::from_ref(block), 1, &never, &|_| {})
            .unwrap()
            .unwrap();
        assert_eq!(alone[0], one[b], "block {b} alone");
    }
    // A stop abandons the work and leaves the state as it was.
    let mut net = trained();
    let polls = std::sync::atomic::AtomicUsize::new(0);
    let stop = || polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 4;
    assert!(
        net.present_frozen_blocks(&blocks, 2, &stop, &|_| {})
            .unwrap()
            .is_none()
    );
    assert_eq!(state(&net), before);
}

/// `f32::max` that keeps a NaN (`f32::max` drops it, so a NaN weight would
/// pass a `< tolerance` check).
fn nan_max(m: f32, d: f32) -> f32 {
    if m.is_nan() || d.is_nan() {
        f32::NAN
    } else {
        m.max(d)
    }
}

/// The resting edge sits where the threshold `v_thresh − offset + θ` meets
/// the resting potential, plus the 4 mV margin: with the paper's −52 mV,
/// 20 mV offset and −65 mV rest, θ = −65 + 52 + 20 = 7 mV, edge 11 mV.
#[test]
fn resting_edge_is_where_the_threshold_meets_rest_plus_the_margin() {
    let p = DcParams::original(4);
    assert_eq!(p.theta.theta_at_rest(&p.exc), 7.0);
    assert_eq!(p.resting_edge_theta(), 11.0);
    assert_eq!(p.resting_edge_neurons(&[6.0, 11.0, 11.000001, 20.0]), 2);
    assert_eq!(p.resting_edge_neurons(&[]), 0);
}
