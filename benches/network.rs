//! `diehl_cook` group: one full training example (350 ms presentation + 150 ms
//! rest at dt 0.5 ms, learning on, intensity retries included) of the Diehl &
//! Cook network on one core; ids `train_example/100` and `train_example/400`.
//! The network is first trained on 200 examples so that thresholds and
//! weights are past their initial transient.

use criterion::{Criterion, criterion_group, criterion_main};
use stdp_harness::data::mnist::{Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook};

fn network(c: &mut Criterion) {
    let train = load(&bundled_dir(), Split::Train).expect("bundled MNIST");
    let mut g = c.benchmark_group("diehl_cook");
    g.sample_size(20);
    for n in [100usize, 400] {
        let mut net = DiehlCook::new(DcParams::original(n), 0);
        let mut k = 0;
        for _ in 0..200 {
            net.present(train.image(k), true).expect("present");
            k += 1;
        }
        g.bench_function(format!("train_example/{n}"), |b| {
            b.iter(|| {
                net.present(train.image(k % train.len()), true)
                    .expect("present");
                k += 1;
            })
        });
    }
    g.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
