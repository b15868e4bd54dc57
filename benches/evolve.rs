//! `evolve` group: the three update paths at the shapes of ANCHORS.md.
//!
//! Ids: `evolve/{reference,fused,events}/{n_in}x{n_out}/b{B}[/variant]`.
//! Spikes at 1 % (pre) and 0.5 % (post), A− = 0 unless `/aminus` (A− = 0.5);
//! `/analog` is the dense case with all inputs uniform in [0, 1).
//! `events_colmajor` runs the event path on `W` stored column-major (each
//! postsynaptic unit's weights contiguous), the layout that path prefers.
//! Inputs cycle through 16 independent draws so caches see fresh columns.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array2, ShapeBuilder};
use stdp_harness::Par;
use stdp_harness::synapse::exp_stdp::{
    EvolveWorkspace, ExpStdpParams, UniformInit, ValidExpStdpParams, WeightRange, evolve_events,
    evolve_fused, evolve_reference,
};
#[path = "../dev/workload.rs"]
mod workload;
use workload::{UpdateInputs, analog_inputs, spike_inputs};

const DRAWS: usize = 16;
const SHAPES: [(usize, usize); 4] = [(784, 100), (784, 400), (784, 1600), (784, 6400)];

fn weights(n_in: usize, n_out: usize) -> Array2<f32> {
    UniformInit::seeded(1).sample(n_in, n_out).unwrap()
}

fn bench_case(
    c: &mut Criterion,
    label: &str,
    params: ValidExpStdpParams,
    sets: &[UpdateInputs],
    events: bool,
) {
    let (n_in, n_out) = (sets[0].pre.ncols(), sets[0].post.ncols());
    let mut g = c.benchmark_group("evolve");
    if n_out >= 1600 {
        g.sample_size(20);
    }
    let mut w = weights(n_in, n_out);
    let mut k = 0;
    g.bench_function(BenchmarkId::new("reference", label), |b| {
        b.iter(|| {
            k = (k + 1) % DRAWS;
            evolve_reference(&params, &sets[k].view(), &mut w.view_mut()).unwrap();
        })
    });
    let mut ws = EvolveWorkspace::new();
    g.bench_function(BenchmarkId::new("fused", label), |b| {
        b.iter(|| {
            k = (k + 1) % DRAWS;
            evolve_fused(
                &params,
                &sets[k].view(),
                &mut w.view_mut(),
                &mut ws,
                Par::Seq,
            )
            .unwrap();
        })
    });
    if events {
        g.bench_function(BenchmarkId::new("events", label), |b| {
            b.iter(|| {
                k = (k + 1) % DRAWS;
                evolve_events(
                    &params,
                    &sets[k].view(),
                    &mut w.view_mut(),
                    WeightRange::Clipped,
                    &mut ws,
                )
                .unwrap();
            })
        });
        if sets[0].pre.nrows() == 1 {
            let mut wf = Array2::zeros((n_in, n_out).f());
            wf.assign(&w);
            g.bench_function(BenchmarkId::new("events_colmajor", label), |b| {
                b.iter(|| {
                    k = (k + 1) % DRAWS;
                    evolve_events(
                        &params,
                        &sets[k].view(),
                        &mut wf.view_mut(),
                        WeightRange::Clipped,
                        &mut ws,
                    )
                    .unwrap();
                })
            });
        }
    }
    g.finish();
}

fn evolve(c: &mut Criterion) {
    // One BLAS thread: the anchors are single-threaded figures.
    stdp_harness::blas::set_num_threads(1);
    let ltp = ExpStdpParams::default().check().unwrap();
    let with_ltd = ExpStdpParams {
        a_minus: 0.5,
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    for (n_in, n_out) in SHAPES {
        for b in [1, 64] {
            let sets: Vec<_> = (0..DRAWS)
                .map(|s| spike_inputs(s as u64, b, n_in, n_out, 0.01, 0.005))
                .collect();
            bench_case(c, &format!("{n_in}x{n_out}/b{b}"), ltp, &sets, true);
        }
    }
    let (n_in, n_out) = (784, 6400);
    let sets: Vec<_> = (0..DRAWS)
        .map(|s| spike_inputs(s as u64, 1, n_in, n_out, 0.01, 0.005))
        .collect();
    bench_case(
        c,
        &format!("{n_in}x{n_out}/b1/aminus"),
        with_ltd,
        &sets,
        true,
    );
    let sets: Vec<_> = (0..DRAWS)
        .map(|s| analog_inputs(s as u64, 1, n_in, n_out))
        .collect();
    bench_case(c, &format!("{n_in}x{n_out}/b1/analog"), ltp, &sets, false);
}

criterion_group!(benches, evolve);
criterion_main!(benches);
