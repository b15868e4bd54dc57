//! `projection` group: `in · W` by BLAS and by summing fired rows.
//!
//! Ids: `projection/{blas,events}/{n_in}x{n_out}/b{B}`, spikes at 1 %.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use stdp_harness::synapse::exp_stdp::{UniformInit, compute_layer_events_into, compute_layer_into};
#[path = "../dev/workload.rs"]
mod workload;
use workload::spike_inputs;

const DRAWS: usize = 16;

fn projection(c: &mut Criterion) {
    // One BLAS thread: the anchors are single-threaded figures.
    stdp_harness::blas::set_num_threads(1);
    let mut g = c.benchmark_group("projection");
    for (n_in, n_out) in [(784, 100), (784, 400), (784, 1600), (784, 6400)] {
        let w = UniformInit::seeded(1).sample(n_in, n_out).unwrap();
        for b in [1, 64] {
            let label = format!("{n_in}x{n_out}/b{b}");
            let ins: Vec<_> = (0..DRAWS)
                .map(|s| spike_inputs(s as u64, b, n_in, n_out, 0.01, 0.005).pre)
                .collect();
            let mut out = Array2::<f32>::zeros((b, n_out));
            let mut k = 0;
            g.bench_function(BenchmarkId::new("blas", &label), |bch| {
                bch.iter(|| {
                    k = (k + 1) % DRAWS;
                    compute_layer_into(ins[k].view(), w.view(), &mut out.view_mut()).unwrap();
                })
            });
            g.bench_function(BenchmarkId::new("events", &label), |bch| {
                bch.iter(|| {
                    k = (k + 1) % DRAWS;
                    compute_layer_events_into(ins[k].view(), w.view(), &mut out.view_mut())
                        .unwrap();
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, projection);
criterion_main!(benches);
