//! Running a Diehl & Cook experiment: train, label from frozen responses to
//! training examples, test; with the training-accuracy curve, records,
//! summary and figures.
//!
//! Files in the run directory ([`super::run_dir`]): `result.h5` (written last),
//! `training_curve.parquet`, `summary.json`, `receptive_fields.png`,
//! `training_accuracy.png`; `checkpoint.h5` while training is unfinished
//! (re-running the same command resumes from it).

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, aview1};
use polars::prelude::*;

use super::ExperimentKind;
use super::dc_checkpoint::{
    FrozenProgress, TrainProgress, read_dc_checkpoint, write_dc_checkpoint,
};
use super::dc_config::{DcPlan, Evaluation, VALIDATION_START};
use super::run_dir::{Header, SUMMARY_FILE, mark_complete, prepare, write_header};
use crate::data::mnist::{Mnist, Split, load_sized};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::network::diehl_cook::DiehlCook;
use crate::network::frozen::{FrozenJob, FrozenPhase, frozen_round, frozen_stream, test_round};
use crate::network::readout::{CLASSES, UNASSIGNED, classify};
use crate::network::ridge::fit_ridge;
use crate::record::atomic::write_atomically;
use crate::record::codec::{H5Record, Writer};
use crate::record::frame::write_parquet;
use crate::record::h5::{create_file, h5err, put, set_scalar, set_str};
use crate::record::plots::{accuracy_curve, receptive_fields};

/// Phases of a run, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Learning on the training set.
    Train,
    /// Frozen responses to training examples, for the labels.
    Label,
    /// Frozen responses to the test set.
    Test,
    /// Examples of any phase done by an earlier process and restored from
    /// the checkpoint: reported once, first (0 on a fresh start), so that a
    /// rate or ETA can leave them out.
    Resumed,
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
    /// Threads sharing each training step of the network (column ranges,
    /// [`DiehlCook::set_threads`]); 1 on the calling thread. The results do
    /// not depend on it.
    pub threads: usize,
    /// Threads running the blocks of the frozen phases side by side
    /// ([`crate::network::frozen`]). The results do not depend on it.
    pub frozen_threads: usize,
}

/// The key in `summary.json` of the [`DcSummary`] field `$field`: the
/// field's name, and a compile error when there is no such field. Lists of
/// summary keys elsewhere (a grid's metric columns, what `stdp inspect`
/// shows) name fields through it, so that each key is spelled once, in the
/// struct.
macro_rules! summary_key {
    ($field:ident) => {{
        #[allow(dead_code)]
        fn has_field(s: &$crate::experiment::dc_run::DcSummary) {
            let _ = &s.$field;
        }
        stringify!($field)
    }};
}
pub(crate) use summary_key;

/// The outcome, also written to `summary.json` (its keys are the field
/// names; other lists of them use `summary_key!`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct DcSummary {
    /// Experiment name.
    pub name: String,
    /// Plasticity rule.
    pub rule: String,
    /// Excitatory neurons.
    pub n_exc: usize,
    /// Test accuracy, percent: the mean over the test repeats.
    pub accuracy_percent: f64,
    /// Sample standard deviation of the accuracy over the test repeats
    /// (0 for one repeat), percent.
    pub accuracy_std_percent: f64,
    /// Accuracy of each test repeat, percent.
    pub accuracy_per_repeat: Vec<f64>,
    /// Test examples.
    pub test_examples: usize,
    /// Presentations of the test examples (fresh spike trains each).
    pub test_repeats: usize,
    /// `test` (MNIST test set) or `validation` (training images 50,000-59,999).
    pub evaluated_on: String,
    /// Training examples.
    pub train_examples: usize,
    /// Labelling examples.
    pub label_examples: usize,
    /// Neurons without a class (never fired while labelling; they do not vote).
    pub unassigned_neurons: usize,
    /// Presentations during training, retries included.
    pub train_showings: u64,
    /// Training presentations per training example.
    pub showings_per_example: f64,
    /// Mean excitatory spikes per training example (last presentation).
    pub spikes_per_example: f64,
    /// Mean adaptive threshold θ after training, mV.
    pub theta_mean_mv: f64,
    /// Median θ after training, mV.
    pub theta_median_mv: f64,
    /// Smallest θ after training, mV.
    pub theta_min_mv: f64,
    /// Largest θ after training, mV.
    pub theta_max_mv: f64,
    /// Excitatory neurons at the resting edge after training: θ within 4 mV
    /// of where the threshold meets the resting potential (θ ≤ 11 mV with
    /// the original's values; [`DcParams::resting_edge_theta`](crate::network::diehl_cook::DcParams::resting_edge_theta)). Many of
    /// them flood the frozen phases with unselective spikes.
    pub theta_edge_neurons: usize,
    /// The share of the labelling presentations' spikes that the most active
    /// 1 % of the excitatory neurons fired (at least one neuron): about 0.01
    /// when every neuron answers its own digits, near 1 when a few
    /// unselective neurons (at the resting edge, or just above it) answer
    /// every example and the vote has little left to read.
    pub label_spike_share_top1pct: f64,
    /// Accuracy of the ridge readout (`crate::network::ridge`) on the test
    /// presentations, percent: the mean over the test repeats (`None` with
    /// too few labelling presentations to fit it).
    pub ridge_accuracy_percent: Option<f64>,
    /// Sample standard deviation of the ridge accuracy over the repeats.
    pub ridge_accuracy_std_percent: Option<f64>,
    /// The ridge readout's λ, chosen on held-out labelling presentations.
    pub ridge_lambda: Option<f64>,
    /// (λ, held-out accuracy %) for every λ of the grid.
    pub ridge_held_out: Vec<(f64, f64)>,
    /// Wall time of the ridge fits, s.
    pub ridge_fit_seconds: Option<f64>,
    /// Adaptive threshold increment per spike, mV.
    pub theta_plus_mv: f64,
    /// θ's decay time constant, ms.
    pub tau_theta_ms: f64,
    /// Inhibitory → excitatory weight.
    pub w_ie: f32,
    /// Which spikes count toward a showing (`original` or `presentation`).
    pub count_window: String,
    /// The most excitatory spikes in one step, over the whole run.
    pub max_exc_spikes_in_step: u32,
    /// Steps in which a membrane left `[E_inh, E_exc]` (Euler overshoots,
    /// clamped), over the whole run.
    pub overshoot_steps: u64,
    /// Steps simulated.
    pub steps: u64,
    /// Membrane integrator.
    pub integrator: String,
    /// Spike timer and refractoriness.
    pub spike_timer: String,
    /// Input conduction delays, ms.
    pub input_delay_ms: [f32; 2],
    /// Training-accuracy curve: (examples seen, percent).
    pub training_curve: Vec<(usize, f64)>,
    /// Wall time of the whole run (training time before a resume included), s.
    pub wall_time_s: f64,
    /// Wall time per training example, ms.
    pub ms_per_train_example: f64,
    /// Wall time per frozen (labelling or test) example, ms.
    pub ms_per_frozen_example: f64,
    /// Threads that shared each network step (the timings depend on it,
    /// the results do not).
    pub threads: usize,
    /// Threads that ran the frozen blocks side by side (timings only).
    pub frozen_threads: usize,
    /// Examples per frozen block (`crate::network::frozen`).
    pub frozen_block: usize,
    /// The CPU the timings were measured on.
    pub cpu: String,
    /// The vector instruction set of the kernels (`crate::math::simd`).
    pub simd: String,
    /// Seed.
    pub seed: u64,
    /// Config hash (FNV-1a of the resolved config).
    pub config_hash: String,
    /// The command that produced it.
    pub command: String,
    /// stdp-harness version.
    pub crate_version: String,
}

/// The median of ascending `xs` (not empty).
fn median_sorted(xs: &[f64]) -> f64 {
    let k = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[k]
    } else {
        0.5 * (xs[k - 1] + xs[k])
    }
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Training: each example shown with learning on, the accuracy of each
/// monitoring window classified by the assignments of the window before it
/// (as the original code reports it), checkpoints every
/// `checkpoint_every` examples and on a stop request; `prog.train_seconds`
/// ends as the training's wall time (over every resume).
fn train_phase(
    plan: &DcPlan,
    net: &mut DiehlCook,
    prog: &mut TrainProgress,
    train: &Mnist,
    ckpt: &Path,
    progress: &(dyn Fn(Phase, u64) + Sync),
) -> Result<()> {
    let t_train = Instant::now();
    let train_before = prog.train_seconds;
    let train_pool = plan.training_pool(train.len());
    while prog.done < plan.train_examples {
        let k = prog.done;
        let i = k % train_pool;
        let p = net.present(train.image(i), true)?;
        let label = train.labels[i];
        prog.showings += u64::from(p.showings);
        prog.total_spikes.push(p.counts.iter().sum::<u32>());
        prog.train_labels.push(label);
        prog.train_pred.push(
            prog.assignments
                .as_ref()
                .map_or(u8::MAX, |a| classify(a, &p.counts)),
        );
        prog.window.add(&p.counts, label);
        prog.done += 1;
        progress(Phase::Train, 1);
        let window = prog.window.len() as usize;
        if window == plan.monitor_every || prog.done == plan.train_examples {
            if prog.assignments.is_some() {
                let from = prog.done - window;
                let right = (from..prog.done)
                    .filter(|&e| prog.train_pred[e] == prog.train_labels[e])
                    .count();
                prog.curve
                    .push((prog.done, 100.0 * right as f64 / window as f64));
            }
            prog.assignments = Some(prog.window.assignments());
            prog.window.clear();
        }
        let every = plan.checkpoint_every;
        let stop = interrupt::requested();
        if stop
            || (every > 0 && (prog.done.is_multiple_of(every) || prog.done == plan.train_examples))
        {
            prog.train_seconds = train_before + t_train.elapsed().as_secs_f64();
            write_dc_checkpoint(ckpt, plan, net, prog)?;
            if stop {
                return Err(Error::Interrupted {
                    checkpoint: ckpt.to_path_buf(),
                });
            }
        }
    }
    if prog.frozen.is_none() {
        prog.train_seconds = train_before + t_train.elapsed().as_secs_f64();
    }
    Ok(())
}

/// Saves the state of a frozen phase (the training records and the frozen
/// ones so far) when a checkpoint interval was crossed or a stop was
/// requested, and then ends the run.
struct FrozenSaver<'a> {
    plan: &'a DcPlan,
    ckpt: &'a Path,
    /// When this run's frozen phases started, and their seconds before it.
    t1: Instant,
    frozen_before: f64,
}

impl FrozenSaver<'_> {
    /// After `done` frozen presentations (`before` after the previous round).
    fn save(
        &self,
        net: &DiehlCook,
        prog: &mut TrainProgress,
        fz: &FrozenProgress,
        before: usize,
        done: usize,
        stop: bool,
    ) -> Result<()> {
        let every = self.plan.checkpoint_every;
        if stop || (every > 0 && before / every != done / every) {
            let mut fz = fz.clone();
            fz.seconds = self.frozen_before + self.t1.elapsed().as_secs_f64();
            prog.frozen = Some(fz);
            write_dc_checkpoint(self.ckpt, self.plan, net, prog)?;
            prog.frozen = None;
        }
        if stop {
            return Err(Error::Interrupted {
                checkpoint: self.ckpt.to_path_buf(),
            });
        }
        Ok(())
    }
}

/// Labelling: frozen responses to `label_examples` training images (the
/// last ones before `train_examples`, cycling over the `pool` images
/// trained on), in rounds of `threads` blocks; the label rates and the
/// ridge readout's counts accumulate in `fz`.
#[allow(clippy::too_many_arguments)]
fn label_phase(
    plan: &DcPlan,
    net: &mut DiehlCook,
    prog: &mut TrainProgress,
    fz: &mut FrozenProgress,
    train: &Mnist,
    pool: usize,
    threads: usize,
    saver: &FrozenSaver,
    progress: &(dyn Fn(Phase, u64) + Sync),
) -> Result<()> {
    let block = plan.frozen_block;
    let stop = || interrupt::requested();
    let start = plan.train_examples + pool - plan.label_examples % pool;
    while fz.labelled < plan.label_examples {
        let from = fz.labelled;
        // One phase of `label_examples` presentations: no repeat to cut at.
        let n = plan.label_examples;
        let (blocks, to) = frozen_round(from, n, n, block, threads, |k| FrozenJob {
            image: train.image((start + k) % pool),
            stream: frozen_stream(FrozenPhase::Label, 0, k as u32),
        });
        let shown =
            net.present_frozen_blocks(&blocks, threads, &stop, &|k| progress(Phase::Label, k))?;
        let Some(shown) = shown else {
            saver.save(net, prog, fz, from, from, true)?;
            continue;
        };
        for (k, p) in (from..to).zip(shown.iter().flatten()) {
            let i = (start + k) % pool;
            fz.rates.add(&p.counts, train.labels[i]);
            fz.label_counts.push(&p.counts, train.labels[i]);
        }
        fz.labelled = to;
        saver.save(net, prog, fz, from, to, stop())?;
    }
    Ok(())
}

/// Testing: `test_repeats` presentations of the evaluated images (`eval`:
/// the set and its first image), in rounds of `threads` blocks, none across
/// two repeats; each classified by the vote of `assignments` and by the
/// ridge readout when there is one.
#[allow(clippy::too_many_arguments)]
fn test_phase(
    plan: &DcPlan,
    net: &mut DiehlCook,
    prog: &mut TrainProgress,
    fz: &mut FrozenProgress,
    eval: (&Mnist, usize),
    assignments: &[i8],
    threads: usize,
    saver: &FrozenSaver,
    progress: &(dyn Fn(Phase, u64) + Sync),
) -> Result<()> {
    let (eval_set, eval_start) = eval;
    let (block, m, repeats) = (plan.frozen_block, plan.test_examples, plan.test_repeats);
    let stop = || interrupt::requested();
    while fz.tested < repeats * m {
        let from = fz.tested;
        let (blocks, to) = test_round(from, repeats, m, block, threads, |k| {
            eval_set.image(eval_start + k)
        });
        let shown =
            net.present_frozen_blocks(&blocks, threads, &stop, &|k| progress(Phase::Test, k))?;
        let before = plan.label_examples + from;
        let Some(shown) = shown else {
            saver.save(net, prog, fz, before, before, true)?;
            continue;
        };
        for (e, p) in (from..to).zip(shown.iter().flatten()) {
            let (r, k) = (e / m, e % m);
            fz.predictions[[r, k]] = classify(assignments, &p.counts);
            if let Some(fit) = &fz.ridge {
                fz.ridge_predictions[[r, k]] = fit.readout.classify(&p.counts);
            }
            fz.test_spikes[[r, k]] = p.counts.iter().sum();
        }
        fz.tested = to;
        saver.save(net, prog, fz, before, plan.label_examples + to, stop())?;
    }
    Ok(())
}

/// The training curve (`training_curve.parquet`) and the figures
/// (`receptive_fields.png` of `tile`-shaped inputs, `training_accuracy.png`
/// titled with the test accuracy `(mean, std)`).
fn write_curve_and_figures(
    out: &Path,
    plan: &DcPlan,
    net: &DiehlCook,
    tile: (usize, usize),
    curve: &[(usize, f64)],
    (acc, acc_std): (f64, f64),
) -> Result<()> {
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
        net.weights(),
        tile.0,
        tile.1,
    )?;
    let points: Vec<(f64, f64)> = curve.iter().map(|&(x, y)| (x as f64, y)).collect();
    accuracy_curve(
        &out.join("training_accuracy.png"),
        &format!(
            "{}: training accuracy (test {acc:.1} ± {acc_std:.1} %)",
            plan.name
        ),
        &points,
        Some(plan.training_pool(60_000) as f64),
    )?;
    Ok(())
}

/// Runs the experiment; `progress(phase, k)` reports `k` more examples done
/// (first, once, those restored from a checkpoint: [`Phase::Resumed`]).
pub fn run_dc(
    plan: &DcPlan,
    opts: &DcRunOptions,
    progress: &(dyn Fn(Phase, u64) + Sync),
) -> Result<DcSummary> {
    let out = &opts.out;
    // MNIST first: a missing data set fails before anything in `out` changes.
    let train = load_sized(&opts.mnist_dir, Split::Train, 28, 28)?;
    let test = load_sized(&opts.mnist_dir, Split::Test, 28, 28)?;
    let dir = prepare(out, opts.force)?;
    let result_path = dir.result();
    let n = plan.params.n_exc;
    let t0 = Instant::now();
    let mut net = DiehlCook::new(plan.params, plan.seed);
    net.set_threads(opts.threads);
    let ckpt = dir.checkpoint();
    let mut prog = if ckpt.exists() {
        read_dc_checkpoint(&ckpt, plan, &mut net)?
    } else {
        TrainProgress::new(n)
    };
    let restored = prog.done + prog.frozen.as_ref().map_or(0, |f| f.labelled + f.tested);
    progress(Phase::Resumed, restored as u64);

    let train_before = prog.train_seconds;
    let train_pool = plan.training_pool(train.len());
    train_phase(plan, &mut net, &mut prog, &train, &ckpt, progress)?;
    let train_s = prog.train_seconds;
    let mut theta: Vec<f64> = net.exc.theta.clone();
    let (theta_mean, _) = mean_std(&theta);
    theta.sort_by(f64::total_cmp);
    let theta_median = median_sorted(&theta);
    let (theta_min, theta_max) = (theta[0], theta[theta.len() - 1]);

    // Labels from frozen responses to training examples (the paper: all
    // 60,000), then the test set, `test_repeats` times: in blocks of
    // `frozen_block` examples that start from the state training left, on
    // `frozen_threads` threads (`crate::network::frozen`); checkpointed
    // after each round of blocks (θ, W and that state do not change).
    let m = plan.test_examples;
    let repeats = plan.test_repeats;
    let mut fz = prog
        .frozen
        .take()
        .unwrap_or_else(|| FrozenProgress::new(n, repeats, m));
    let t1 = Instant::now();
    let frozen_before = fz.seconds;
    let threads = opts.frozen_threads.max(1);
    let saver = FrozenSaver {
        plan,
        ckpt: &ckpt,
        t1,
        frozen_before,
    };
    label_phase(
        plan, &mut net, &mut prog, &mut fz, &train, train_pool, threads, &saver, progress,
    )?;
    let assignments = fz.rates.assignments();
    let unassigned = assignments.iter().filter(|&&a| a == UNASSIGNED).count();
    let (eval_set, eval_start) = match plan.evaluate_on {
        Evaluation::Test => (&test, 0),
        Evaluation::Validation => (&train, VALIDATION_START),
    };
    if fz.ridge.is_none() {
        fz.ridge = fit_ridge(&fz.label_counts, n, &plan.ridge_lambdas)?;
    }
    let test_labels: Vec<u8> = (0..m).map(|k| eval_set.labels[eval_start + k]).collect();
    test_phase(
        plan,
        &mut net,
        &mut prog,
        &mut fz,
        (eval_set, eval_start),
        &assignments,
        threads,
        &saver,
        progress,
    )?;
    let TrainProgress {
        showings,
        curve,
        total_spikes,
        train_labels,
        train_pred,
        ..
    } = prog;
    let FrozenProgress {
        rates,
        predictions,
        test_spikes,
        ridge,
        ridge_predictions,
        ..
    } = fz;
    let per_repeat = accuracy_per_repeat(&predictions, &test_labels);
    let (acc, acc_std) = mean_std(&per_repeat);
    let ridge_per_repeat = ridge
        .as_ref()
        .map(|_| accuracy_per_repeat(&ridge_predictions, &test_labels));
    let ridge_acc = ridge_per_repeat.as_deref().map(mean_std);
    let frozen_s = frozen_before + t1.elapsed().as_secs_f64();
    let stats = net.stats();

    let summary = DcSummary {
        name: plan.name.clone(),
        rule: plan.rule.name().into(),
        n_exc: n,
        accuracy_percent: acc,
        accuracy_std_percent: acc_std,
        accuracy_per_repeat: per_repeat.clone(),
        test_examples: m,
        test_repeats: plan.test_repeats,
        evaluated_on: plan.evaluate_on.name().into(),
        train_examples: plan.train_examples,
        label_examples: plan.label_examples,
        unassigned_neurons: unassigned,
        train_showings: showings,
        showings_per_example: showings as f64 / plan.train_examples as f64,
        spikes_per_example: total_spikes.iter().map(|&x| f64::from(x)).sum::<f64>()
            / plan.train_examples as f64,
        theta_mean_mv: theta_mean,
        theta_median_mv: theta_median,
        theta_min_mv: theta_min,
        theta_max_mv: theta_max,
        theta_edge_neurons: plan.params.resting_edge_neurons(&theta),
        label_spike_share_top1pct: rates.top_share(n.div_ceil(100)),
        ridge_accuracy_percent: ridge_acc.map(|a| a.0),
        ridge_accuracy_std_percent: ridge_acc.map(|a| a.1),
        ridge_lambda: ridge.as_ref().map(|r| r.readout.lambda),
        ridge_held_out: ridge.as_ref().map_or(Vec::new(), |r| r.held_out.clone()),
        ridge_fit_seconds: ridge.as_ref().map(|r| r.seconds),
        theta_plus_mv: plan.params.theta.theta_plus,
        tau_theta_ms: plan.params.theta.tau_theta,
        w_ie: plan.params.w_ie,
        count_window: plan.params.count_window.name().into(),
        max_exc_spikes_in_step: stats.max_exc_spikes_in_step,
        overshoot_steps: stats.overshoot_steps,
        steps: stats.steps,
        integrator: plan.integrator.clone(),
        spike_timer: plan.spike_timer.clone(),
        input_delay_ms: plan.params.input_delay_ms,
        training_curve: curve.clone(),
        wall_time_s: train_before + t0.elapsed().as_secs_f64(),
        ms_per_train_example: 1e3 * train_s / plan.train_examples as f64,
        threads: net.threads(),
        frozen_threads: opts.frozen_threads.max(1),
        frozen_block: plan.frozen_block,
        cpu: crate::record::machine::cpu_model(),
        simd: crate::math::simd::simd_path().into(),
        ms_per_frozen_example: 1e3 * frozen_s
            / (plan.label_examples + plan.test_repeats * m) as f64,
        seed: plan.seed,
        config_hash: plan.config_hash.clone(),
        command: opts.command.clone(),
        crate_version: env!("CARGO_PKG_VERSION").into(),
    };

    // Records: curve (Parquet), figures, summary, then the result file last.
    write_curve_and_figures(
        out,
        plan,
        &net,
        (train.rows, train.cols),
        &curve,
        (acc, acc_std),
    )?;
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::file(out, e))?;
    write_atomically(&out.join(SUMMARY_FILE), |tmp| {
        std::fs::write(tmp, &json).map_err(|e| Error::io(tmp, e))
    })?;
    let label_rates =
        Array2::from_shape_vec((n, CLASSES), rates.rates()).map_err(|e| Error::file(out, e))?;
    write_atomically(&result_path, |tmp| {
        let p = &result_path;
        let file = create_file(tmp)?;
        let header = Header {
            kind: ExperimentKind::Dc,
            name: &plan.name,
            config: &plan.resolved_toml,
            config_hash: &plan.config_hash,
            seed: plan.seed,
        };
        write_header(&file, &header, p)?;
        set_scalar(&file, "accuracy_percent", acc, p)?;
        set_scalar(&file, "accuracy_std_percent", acc_std, p)?;
        set_str(&file, "evaluated_on", plan.evaluate_on.name(), p)?;
        put(&file, "weights", &net.weights(), p)?;
        put(&file, "theta", &aview1(&net.exc.theta), p)?;
        put(&file, "assignments", &aview1(&assignments), p)?;
        put(&file, "label_rates", &label_rates, p)?;
        put(&file, "train_total_spikes", &aview1(&total_spikes), p)?;
        put(&file, "train_labels", &aview1(&train_labels), p)?;
        put(&file, "train_predictions", &aview1(&train_pred), p)?;
        put(&file, "test_labels", &aview1(&test_labels), p)?;
        put(&file, "test_predictions", &predictions, p)?;
        put(&file, "test_total_spikes", &test_spikes, p)?;
        put(&file, "accuracy_per_repeat", &aview1(&per_repeat), p)?;
        if let (Some(fit), Some(rp)) = (&ridge, &ridge_per_repeat) {
            put(&file, "ridge_weights", &fit.readout.weights, p)?;
            put(&file, "ridge_predictions", &ridge_predictions, p)?;
            put(&file, "ridge_accuracy_per_repeat", &aview1(rp), p)?;
        }
        let g = file.create_group(POST_TRAINING_STATE).map_err(h5err(p))?;
        net.neuron_state().write(&Writer::new(&g, p))?;
        mark_complete(&file, p)?;
        file.close().map_err(h5err(p))
    })?;
    dir.finish()?;
    Ok(summary)
}

/// The group of a Diehl & Cook `result.h5` that holds the state training
/// left the neurons in ([`NeuronState`](crate::network::state::NeuronState), the names of a checkpoint's): what
/// the labelling and test blocks started from, and what `stdp eval` starts
/// from, so that it reproduces the run's own test phase exactly.
pub const POST_TRAINING_STATE: &str = "post_training_state";

/// Percent of each repeat's predictions (rows of `pred`) equal to `labels`.
pub fn accuracy_per_repeat(pred: &Array2<u8>, labels: &[u8]) -> Vec<f64> {
    pred.rows()
        .into_iter()
        .map(|row| {
            let right = row.iter().zip(labels).filter(|(p, l)| p == l).count();
            100.0 * right as f64 / labels.len().max(1) as f64
        })
        .collect()
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
