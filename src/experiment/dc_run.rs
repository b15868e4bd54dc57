//! Running a Diehl & Cook experiment: train, label from frozen responses to
//! training examples, test; with the training-accuracy curve, records,
//! summary and figures.
//!
//! Files in the run directory: `result.h5` (written last, `complete = 1`),
//! `training_curve.parquet`, `summary.json`, `receptive_fields.png`,
//! `training_accuracy.png`; `checkpoint.h5` while training is unfinished
//! (re-running the same command resumes from it).

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, aview1};
use polars::prelude::*;

use super::dc_checkpoint::{DC_CHECKPOINT, TrainProgress, read_dc_checkpoint, write_dc_checkpoint};
use super::dc_config::{DcPlan, Evaluation, VALIDATION_START};
use crate::data::mnist::{Mnist, Split, load};
use crate::error::{Error, Result};
use crate::network::diehl_cook::DiehlCook;
use crate::network::readout::{accuracy, assign, classify};
use crate::record::atomic::write_atomically;
use crate::record::frame::write_parquet;
use crate::record::h5::{create_file, h5err, put, set_scalar, set_str};
use crate::record::plots::{accuracy_curve, receptive_fields};
use crate::record::result_file::RESULT_FILE;

/// Phases of a run, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Learning on the training set.
    Train,
    /// Frozen responses to training examples, for the labels.
    Label,
    /// Frozen responses to the test set.
    Test,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct DcRunOptions {
    /// Run directory.
    pub out: PathBuf,
    /// MNIST directory.
    pub mnist_dir: PathBuf,
    /// Replace a finished run in `out`.
    pub force: bool,
    /// The command line, stored in the summary.
    pub command: String,
}

/// The outcome, also written to `summary.json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DcSummary {
    /// Experiment name.
    pub name: String,
    /// Plasticity rule.
    pub rule: String,
    /// Excitatory neurons.
    pub n_exc: usize,
    /// Test accuracy, percent.
    pub accuracy_percent: f64,
    /// Test examples.
    pub test_examples: usize,
    /// `test` (MNIST test set) or `validation` (training images 50,000-59,999).
    pub evaluated_on: String,
    /// Training examples.
    pub train_examples: usize,
    /// Labelling examples.
    pub label_examples: usize,
    /// Presentations during training, retries included.
    pub train_showings: u64,
    /// Training-accuracy curve: (examples seen, percent).
    pub training_curve: Vec<(usize, f64)>,
    /// Wall time of the whole run (training time before a resume included), s.
    pub wall_time_s: f64,
    /// Wall time per training example, ms.
    pub ms_per_train_example: f64,
    /// Wall time per frozen (labelling or test) example, ms.
    pub ms_per_frozen_example: f64,
    /// Seed.
    pub seed: u64,
    /// Config hash (FNV-1a of the resolved config).
    pub config_hash: String,
    /// The command that produced it.
    pub command: String,
    /// stdp-harness version.
    pub crate_version: String,
}

fn frozen_counts(
    net: &mut DiehlCook,
    data: &Mnist,
    range: std::ops::Range<usize>,
    phase: Phase,
    progress: &dyn Fn(Phase, u64),
) -> Result<(Vec<Vec<u32>>, Vec<u8>)> {
    let mut counts = Vec::with_capacity(range.len());
    let mut labels = Vec::with_capacity(range.len());
    for k in range {
        let i = k % data.len();
        counts.push(net.present(data.image(i), false)?.counts);
        labels.push(data.labels[i]);
        progress(phase, 1);
    }
    Ok((counts, labels))
}

fn to_u16(counts: &[Vec<u32>], n: usize) -> Array2<u16> {
    Array2::from_shape_fn((counts.len(), n), |(e, k)| {
        counts[e][k].min(u32::from(u16::MAX)) as u16
    })
}

/// Runs the experiment; `progress(phase, k)` reports `k` more examples done.
pub fn run_dc(
    plan: &DcPlan,
    opts: &DcRunOptions,
    progress: &dyn Fn(Phase, u64),
) -> Result<DcSummary> {
    let out = &opts.out;
    let result_path = out.join(RESULT_FILE);
    if result_path.exists() && !opts.force {
        return Err(Error::file(
            out,
            "already holds a run (result.h5); refusing to overwrite it: pass --force, or choose another --out",
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let train = load(&opts.mnist_dir, Split::Train)?;
    let test = load(&opts.mnist_dir, Split::Test)?;
    let n = plan.params.n_exc;
    let t0 = Instant::now();
    let mut net = DiehlCook::new(plan.params, plan.seed);
    let ckpt = out.join(DC_CHECKPOINT);
    if opts.force && ckpt.exists() {
        std::fs::remove_file(&ckpt).map_err(|e| Error::io(&ckpt, e))?;
    }
    let mut prog = if ckpt.exists() {
        read_dc_checkpoint(&ckpt, plan, &mut net)?
    } else {
        TrainProgress::default()
    };
    progress(Phase::Train, prog.done as u64);

    // Training, with the accuracy of each monitoring window classified by the
    // assignments of the window before it (as the original code reports it).
    let t_train = Instant::now();
    let train_before = prog.train_seconds;
    while prog.done < plan.train_examples {
        let k = prog.done;
        let i = k % train.len();
        let p = net.present(train.image(i), true)?;
        prog.showings += u64::from(p.showings);
        prog.total_spikes.push(p.counts.iter().sum::<u32>());
        prog.train_labels.push(train.labels[i]);
        prog.train_pred.push(
            prog.assignments
                .as_ref()
                .map_or(u8::MAX, |a| classify(a, &p.counts)),
        );
        prog.window_counts.push(p.counts);
        prog.window_labels.push(train.labels[i]);
        prog.done += 1;
        progress(Phase::Train, 1);
        if prog.window_counts.len() == plan.monitor_every || prog.done == plan.train_examples {
            if let Some(a) = &prog.assignments {
                let acc = 100.0 * accuracy(a, &prog.window_counts, &prog.window_labels);
                prog.curve.push((prog.done, acc));
            }
            prog.assignments = Some(assign(&prog.window_counts, &prog.window_labels, n));
            prog.window_counts.clear();
            prog.window_labels.clear();
        }
        let every = plan.checkpoint_every;
        if every > 0 && (prog.done % every == 0 || prog.done == plan.train_examples) {
            prog.train_seconds = train_before + t_train.elapsed().as_secs_f64();
            write_dc_checkpoint(&ckpt, plan, &net, &prog)?;
        }
    }
    prog.train_seconds = train_before + t_train.elapsed().as_secs_f64();
    let train_s = prog.train_seconds;
    let TrainProgress {
        showings,
        curve,
        total_spikes,
        train_labels,
        train_pred,
        ..
    } = prog;

    // Labels from frozen responses to the last training examples, then the test.
    let t1 = Instant::now();
    let end = plan.train_examples;
    let start = end.saturating_sub(plan.label_examples);
    let (label_counts, label_labels) = frozen_counts(
        &mut net,
        &train,
        start..start + plan.label_examples,
        Phase::Label,
        progress,
    )?;
    let assignments = assign(&label_counts, &label_labels, n);
    let (eval_set, eval_start) = match plan.evaluate_on {
        Evaluation::Test => (&test, 0),
        Evaluation::Validation => (&train, VALIDATION_START),
    };
    let (test_counts, test_labels) = frozen_counts(
        &mut net,
        eval_set,
        eval_start..eval_start + plan.test_examples,
        Phase::Test,
        progress,
    )?;
    let predictions: Vec<u8> = test_counts
        .iter()
        .map(|c| classify(&assignments, c))
        .collect();
    let acc = 100.0 * accuracy(&assignments, &test_counts, &test_labels);
    let frozen_s = t1.elapsed().as_secs_f64();

    let summary = DcSummary {
        name: plan.name.clone(),
        rule: plan.rule.clone(),
        n_exc: n,
        accuracy_percent: acc,
        test_examples: plan.test_examples,
        evaluated_on: plan.evaluate_on.name().into(),
        train_examples: plan.train_examples,
        label_examples: plan.label_examples,
        train_showings: showings,
        training_curve: curve.clone(),
        wall_time_s: train_before + t0.elapsed().as_secs_f64(),
        ms_per_train_example: 1e3 * train_s / plan.train_examples as f64,
        ms_per_frozen_example: 1e3 * frozen_s / (plan.label_examples + plan.test_examples) as f64,
        seed: plan.seed,
        config_hash: plan.config_hash.clone(),
        command: opts.command.clone(),
        crate_version: env!("CARGO_PKG_VERSION").into(),
    };

    // Records: curve (Parquet), figures, summary, then the result file last.
    let xs: Vec<u64> = curve.iter().map(|c| c.0 as u64).collect();
    let ys: Vec<f64> = curve.iter().map(|c| c.1).collect();
    let mut df = DataFrame::new(
        curve.len(),
        vec![
            Column::new("examples".into(), xs),
            Column::new("accuracy_percent".into(), ys),
        ],
    )
    .map_err(|e| Error::file(out, e))?;
    write_parquet(&out.join("training_curve.parquet"), &mut df)?;
    receptive_fields(
        &out.join("receptive_fields.png"),
        net.w.view(),
        train.rows,
        train.cols,
    )?;
    let points: Vec<(f64, f64)> = curve.iter().map(|&(x, y)| (x as f64, y)).collect();
    accuracy_curve(
        &out.join("training_accuracy.png"),
        &format!("{}: training accuracy (test {acc:.1} %)", plan.name),
        &points,
    )?;
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::file(out, e))?;
    write_atomically(&out.join("summary.json"), |tmp| {
        std::fs::write(tmp, &json).map_err(|e| Error::io(tmp, e))
    })?;
    write_atomically(&result_path, |tmp| {
        let p = &result_path;
        let file = create_file(tmp)?;
        set_str(&file, "name", &plan.name, p)?;
        set_str(&file, "config", &plan.resolved_toml, p)?;
        set_str(&file, "config_hash", &plan.config_hash, p)?;
        set_str(&file, "crate_version", env!("CARGO_PKG_VERSION"), p)?;
        set_scalar(&file, "seed", plan.seed, p)?;
        set_scalar(&file, "accuracy_percent", acc, p)?;
        set_str(&file, "evaluated_on", plan.evaluate_on.name(), p)?;
        put(&file, "weights", &net.w, p)?;
        put(&file, "theta", &aview1(&net.exc.theta), p)?;
        put(&file, "assignments", &aview1(&assignments), p)?;
        put(&file, "train_total_spikes", &aview1(&total_spikes), p)?;
        put(&file, "train_labels", &aview1(&train_labels), p)?;
        put(&file, "train_predictions", &aview1(&train_pred), p)?;
        put(&file, "label_counts", &to_u16(&label_counts, n), p)?;
        put(&file, "label_labels", &aview1(&label_labels), p)?;
        put(&file, "test_counts", &to_u16(&test_counts, n), p)?;
        put(&file, "test_labels", &aview1(&test_labels), p)?;
        put(&file, "test_predictions", &aview1(&predictions), p)?;
        set_scalar(&file, "complete", 1u8, p)?;
        file.close().map_err(h5err(p))
    })?;
    if ckpt.exists() {
        std::fs::remove_file(&ckpt).map_err(|e| Error::io(&ckpt, e))?;
    }
    Ok(summary)
}

/// The default MNIST directory: `data/mnist` under the current directory when
/// it exists (running from a checkout), else the bundled copy of the checkout
/// the binary was built from.
pub fn default_mnist_dir() -> PathBuf {
    let local = Path::new("data/mnist");
    if local.is_dir() {
        local.to_path_buf()
    } else {
        crate::data::mnist::bundled_dir()
    }
}
