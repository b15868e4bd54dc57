//! `diehl_cook` group: one full example (350 ms presentation + 150 ms rest at
//! dt 0.5 ms, intensity retries included) of the faithful Diehl & Cook network
//! (input delays, Brian 1 refractoriness, clamped forward Euler) on one core,
//! and from 1600 neurons up on two threads too (`DiehlCook::set_threads`).
//!
//! - `train_example/{100,400,1600,6400}`: learning on (the original rule);
//! - `test_example/{400,1600,6400}`: frozen (labelling and test presentations);
//! - `train_example_2threads/{1600,6400}`, `test_example_2threads/{1600,6400}`:
//!   the same on two threads;
//! - `train_example_exp_stdp/{400,1600}`: learning with the seed's rule;
//! - `frozen_blocks_2threads/{400,1600,6400}`: frozen presentations as the
//!   runs make them (`network::frozen`), two blocks of 8 examples side by
//!   side on two threads; per example: the time / 16.
//!
//! Each network is first trained on a few hundred examples (fewer at 6400)
//! so that thresholds and weights are past their initial transient.
//! `STDP_BENCH_SIZES=100,400` limits the sizes (the 6400 ones take minutes).

use criterion::{Criterion, criterion_group, criterion_main};
use stdp_harness::data::mnist::{Mnist, Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook, Plasticity};
use stdp_harness::network::frozen::{FrozenJob, FrozenPhase, frozen_stream};
use stdp_harness::synapse::exp_stdp::ExpStdpParams;

fn sizes() -> Vec<usize> {
    std::env::var("STDP_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 400, 1600, 6400])
}

fn warmed(params: DcParams, train: &Mnist, k: &mut usize) -> DiehlCook {
    let mut net = DiehlCook::new(params, 0);
    let warm = if params.n_exc >= 6400 { 30 } else { 200 };
    for _ in 0..warm {
        net.present(train.image(*k % train.len()), true)
            .expect("present");
        *k += 1;
    }
    net
}

fn exp_stdp(n: usize) -> DcParams {
    let mut p = DcParams::original(n);
    p.plasticity = Plasticity::ExpStdp {
        params: ExpStdpParams {
            eta: 0.02,
            x_tar: 0.3,
            exp_beta: 1.0,
            ..ExpStdpParams::default()
        }
        .check()
        .expect("valid"),
        tau_pre_ms: 20.0,
        tau_post_ms: 20.0,
    };
    p
}

fn network(c: &mut Criterion) {
    let train = load(&bundled_dir(), Split::Train).expect("bundled MNIST");
    let sizes = sizes();
    let mut g = c.benchmark_group("diehl_cook");
    g.sample_size(10);
    for &n in &sizes {
        let mut k = 0;
        let mut net = warmed(DcParams::original(n), &train, &mut k);
        g.bench_function(format!("train_example/{n}"), |b| {
            b.iter(|| {
                net.present(train.image(k % train.len()), true)
                    .expect("present");
                k += 1;
            })
        });
        if n >= 400 {
            g.bench_function(format!("test_example/{n}"), |b| {
                b.iter(|| {
                    net.present(train.image(k % train.len()), false)
                        .expect("present");
                    k += 1;
                })
            });
        }
        if n >= 400 {
            let mut round = 0u32;
            g.bench_function(format!("frozen_blocks_2threads/{n}"), |b| {
                b.iter(|| {
                    let blocks: Vec<Vec<FrozenJob>> = (0..2u32)
                        .map(|blk| {
                            (0..8u32)
                                .map(|e| {
                                    let index = 16 * round + 8 * blk + e;
                                    FrozenJob {
                                        image: train.image(index as usize % train.len()),
                                        stream: frozen_stream(FrozenPhase::Test, 0, index),
                                    }
                                })
                                .collect()
                        })
                        .collect();
                    net.present_frozen_blocks(&blocks, 2, &|| false, &|_| {})
                        .expect("present")
                        .expect("not stopped");
                    round += 1;
                })
            });
        }
        if n >= 1600 {
            net.set_threads(2);
            for (id, learning) in [
                ("train_example_2threads", true),
                ("test_example_2threads", false),
            ] {
                g.bench_function(format!("{id}/{n}"), |b| {
                    b.iter(|| {
                        net.present(train.image(k % train.len()), learning)
                            .expect("present");
                        k += 1;
                    })
                });
            }
        }
        if n == 400 || n == 1600 {
            let mut k = 0;
            let mut net = warmed(exp_stdp(n), &train, &mut k);
            g.bench_function(format!("train_example_exp_stdp/{n}"), |b| {
                b.iter(|| {
                    net.present(train.image(k % train.len()), true)
                        .expect("present");
                    k += 1;
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
