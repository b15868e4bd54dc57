//! A quick look at the Diehl & Cook network: trains on the first N training
//! examples, labels neurons from the last responses, tests on M test examples,
//! and prints ms per example and accuracy.
//!
//! Run: `cargo run --release --example dc_quick -- [n_exc] [n_train] [n_test]`

use std::time::Instant;

use stdp_harness::data::mnist::{Split, bundled_dir, load};
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook};
use stdp_harness::network::readout::{accuracy, assign};

fn main() -> stdp_harness::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_exc = args.first().copied().unwrap_or(100);
    let n_train = args.get(1).copied().unwrap_or(1000);
    let n_test = args.get(2).copied().unwrap_or(1000);
    let train = load(&bundled_dir(), Split::Train)?;
    let test = load(&bundled_dir(), Split::Test)?;
    let mut net = DiehlCook::new(DcParams::original(n_exc), 0);
    let t0 = Instant::now();
    let mut counts = Vec::new();
    let mut showings = 0;
    for k in 0..n_train {
        let p = net.present(train.image(k % train.len()), true)?;
        showings += p.showings;
        counts.push(p.counts);
        if (k + 1) % 500 == 0 {
            let recent = &counts[counts.len().saturating_sub(500)..];
            let spikes: u32 = recent.iter().map(|c| c.iter().sum::<u32>()).sum();
            eprintln!(
                "{} examples, {:.2} ms/example, {:.1} spikes/example, {:.2} showings/example",
                k + 1,
                t0.elapsed().as_secs_f64() * 1e3 / (k + 1) as f64,
                f64::from(spikes) / recent.len() as f64,
                f64::from(showings) / (k + 1) as f64
            );
        }
    }
    let train_ms = t0.elapsed().as_secs_f64() * 1e3 / n_train as f64;
    // Label from frozen responses to the last training examples.
    let n_label = n_train.min(10_000);
    let t1 = Instant::now();
    let mut label_counts = Vec::new();
    let mut labels = Vec::new();
    for k in n_train - n_label..n_train {
        label_counts.push(net.present(train.image(k % train.len()), false)?.counts);
        labels.push(train.labels[k % train.len()]);
    }
    let assignments = assign(&label_counts, &labels, n_exc);
    let mut test_counts = Vec::new();
    for k in 0..n_test {
        test_counts.push(net.present(test.image(k), false)?.counts);
    }
    let acc = accuracy(&assignments, &test_counts, &test.labels[..n_test]);
    println!(
        "n_exc {n_exc}: trained {n_train} examples at {train_ms:.2} ms/example; frozen {:.2} ms/example; test accuracy on {n_test}: {:.1} %",
        t1.elapsed().as_secs_f64() * 1e3 / (n_label + n_test) as f64,
        acc * 100.0
    );
    Ok(())
}
