//! A trained Diehl & Cook network reused (`stdp eval`): loaded from a
//! finished run's `result.h5` (weights, thresholds θ, assignments, ridge
//! readout), shown other images with plasticity off, classified by the
//! run's own assignments and readout. It labels nothing and trains nothing.
//!
//! The images are shown as the run's test phase shows them (blocks of
//! `frozen_block` examples, the spike trains of example `k` of repeat `r`
//! from the stream [`frozen_stream`](crate::network::frozen::frozen_stream)`(Test, r, k)`), every block starting
//! from the state training left the neurons in (the result file's
//! [`POST_TRAINING_STATE`]): on the run's own test images, with its block
//! size, `stdp eval` gives the run's own predictions exactly. Result files
//! written before that state was recorded start every block from a rested
//! network (membranes, conductances and timers at their initial values)
//! with the run's θ; their predictions can differ from the run's in a few
//! examples.

use std::path::{Path, PathBuf};

use ndarray::{Array2, Array3, aview1};

use super::ExperimentKind;
use super::dc_config::{DcPlan, Evaluation, VALIDATION_START};
use super::dc_result::DcResult;
use super::dc_run::POST_TRAINING_STATE;
pub use super::dc_run::{accuracy_per_repeat, mean_std};
use super::run_dir::{Header, mark_complete, write_header};
use crate::data::mnist::{Split, load_sized};
use crate::error::{Error, Result};
use crate::network::diehl_cook::DiehlCook;
use crate::network::frozen::test_round;
use crate::network::readout::{UNASSIGNED, classify};
use crate::network::ridge::RidgeReadout;
use crate::par::Threads;
use crate::record::atomic::write_atomically;
use crate::record::h5::{create_file, h5err, put, set_scalar, set_str};
use crate::record::run_lock::lock_run_dir;

/// The config keys `stdp eval --set` may change: what is evaluated and
/// how often, never the network.
pub const EVAL_KEYS: [&str; 4] = [
    "test_examples",
    "test_repeats",
    "evaluate_on",
    "frozen_block",
];

/// The file `stdp eval` writes its summary to.
pub const EVAL_SUMMARY_FILE: &str = "eval.json";

/// The file `stdp eval` writes its arrays to (marked complete last).
pub const EVAL_RESULT_FILE: &str = "eval.h5";

/// A trained network ready to be shown images.
pub struct TrainedNetwork {
    /// The run's plan (with the evaluation overrides applied).
    pub plan: DcPlan,
    /// The network: the run's weights and θ, plasticity off when shown.
    pub net: DiehlCook,
    /// The class of each neuron (`-1`: unassigned).
    pub assignments: Vec<i8>,
    /// The run's ridge readout, when it has one.
    pub ridge: Option<RidgeReadout>,
}

/// Checks that `sets` change only [`EVAL_KEYS`].
fn check_eval_sets(path: &Path, sets: &[String]) -> Result<()> {
    for s in sets {
        let key = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
        if !EVAL_KEYS.contains(&key) {
            return Err(Error::config(
                path,
                key,
                format!(
                    "cannot be changed when evaluating a trained network (only {})",
                    EVAL_KEYS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

impl TrainedNetwork {
    /// The network of the finished run `result`, with `sets` (keys of
    /// [`EVAL_KEYS`] only) applied to its config.
    pub fn load(result: &DcResult, sets: &[String]) -> Result<TrainedNetwork> {
        check_eval_sets(&result.path, sets)?;
        let plan = result.plan(sets)?;
        let n = plan.params.n_exc;
        let mut net = DiehlCook::new(plan.params, plan.seed);
        net.set_weights(result.weights.clone())?;
        if result.theta.len() != n || result.assignments.len() != n {
            return Err(Error::file(
                &result.path,
                format!(
                    "θ ({}) or assignments ({}) do not have one value per neuron ({n})",
                    result.theta.len(),
                    result.assignments.len()
                ),
            ));
        }
        net.exc.theta = result.theta.to_vec();
        if let Some(state) = &result.post_training_state {
            net.restore_neurons(state.clone()).map_err(|m| {
                Error::file(
                    &result.path,
                    format!("`{POST_TRAINING_STATE}` does not fit the run's network: {m}"),
                )
            })?;
        }
        Ok(TrainedNetwork {
            plan,
            net,
            assignments: result.assignments.to_vec(),
            ridge: result.ridge(),
        })
    }

    /// Pixels per image the network takes.
    pub fn n_input(&self) -> usize {
        self.plan.params.n_input
    }
}

/// What showing images to a trained network gave.
#[derive(Clone, Debug)]
pub struct Responses {
    /// Vote predictions `(repeats, images)`.
    pub predictions: Array2<u8>,
    /// Ridge readout predictions `(repeats, images)`, when the run has one.
    pub ridge_predictions: Option<Array2<u8>>,
    /// Spikes of each neuron `(repeats, images, n_exc)`.
    pub counts: Array3<u32>,
}

/// Shows `images` (row-major, [`TrainedNetwork::n_input`] pixels each)
/// `repeats` times to `trained` on up to `threads` threads, `progress(k)`
/// told of every `k` more presentations; `stop` polled before each: once it
/// returns true, `None` (nothing is kept).
pub fn respond(
    trained: &mut TrainedNetwork,
    images: &[u8],
    repeats: usize,
    threads: usize,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<Responses>> {
    let (px, n) = (trained.n_input(), trained.plan.params.n_exc);
    if images.is_empty() || !images.len().is_multiple_of(px.max(1)) {
        return Err(Error::shape(
            "images",
            &[images.len() / px.max(1), px],
            &[images.len()],
        ));
    }
    let m = images.len() / px;
    let block = trained.plan.frozen_block;
    let (train_threads, frozen_threads) = Threads::new(threads.max(1)).diehl_cook(n);
    trained.net.set_threads(train_threads);
    let mut out = Responses {
        predictions: Array2::zeros((repeats, m)),
        ridge_predictions: trained.ridge.as_ref().map(|_| Array2::zeros((repeats, m))),
        counts: Array3::zeros((repeats, m, n)),
    };
    let mut from = 0;
    while from < repeats * m {
        let (blocks, to) = test_round(from, repeats, m, block, frozen_threads, |k| {
            &images[k * px..(k + 1) * px]
        });
        let Some(shown) =
            trained
                .net
                .present_frozen_blocks(&blocks, frozen_threads, stop, progress)?
        else {
            return Ok(None);
        };
        for (e, p) in (from..to).zip(shown.iter().flatten()) {
            let (r, k) = (e / m, e % m);
            out.predictions[[r, k]] = classify(&trained.assignments, &p.counts);
            if let (Some(fit), Some(rp)) = (&trained.ridge, &mut out.ridge_predictions) {
                rp[[r, k]] = fit.classify(&p.counts);
            }
            out.counts
                .slice_mut(ndarray::s![r, k, ..])
                .assign(&aview1(&p.counts));
        }
        from = to;
    }
    Ok(Some(out))
}

/// How `stdp eval` runs.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// The finished run.
    pub run_dir: PathBuf,
    /// MNIST directory: its test set (or validation images, with
    /// `evaluate_on = "validation"`) is evaluated.
    pub mnist_dir: PathBuf,
    /// Where the evaluation is written.
    pub out: PathBuf,
    /// Overrides of [`EVAL_KEYS`].
    pub sets: Vec<String>,
    /// Threads.
    pub threads: usize,
    /// Replace an earlier evaluation in `out`.
    pub force: bool,
    /// The command line, stored in the summary.
    pub command: String,
}

/// What `stdp eval` reports, also written to [`EVAL_SUMMARY_FILE`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct EvalSummary {
    /// The run evaluated.
    pub run_dir: String,
    /// The MNIST directory the images came from.
    pub mnist_dir: String,
    /// `test` or `validation`.
    pub evaluated_on: String,
    /// Images evaluated.
    pub test_examples: usize,
    /// Presentations of each (fresh spike trains each).
    pub test_repeats: usize,
    /// Vote accuracy, percent, mean over the repeats.
    pub accuracy_percent: f64,
    /// Its sample standard deviation over the repeats.
    pub accuracy_std_percent: f64,
    /// Vote accuracy of each repeat.
    pub accuracy_per_repeat: Vec<f64>,
    /// Ridge readout accuracy, percent (when the run has the readout).
    pub ridge_accuracy_percent: Option<f64>,
    /// Its standard deviation over the repeats.
    pub ridge_accuracy_std_percent: Option<f64>,
    /// Neurons without a class.
    pub unassigned_neurons: usize,
    /// Wall time, s.
    pub wall_time_s: f64,
    /// The command.
    pub command: String,
}

/// `stdp eval`: the trained network of `o.run_dir` on the MNIST images of
/// `o.mnist_dir`, written to `o.out` (`eval.json`, `eval.h5`); `None` when
/// `stop` asked to stop (nothing written: an evaluation does not resume).
pub fn eval_run(
    o: &EvalOptions,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<EvalSummary>> {
    let t0 = std::time::Instant::now();
    let result = DcResult::read(&o.run_dir)?;
    let mut trained = TrainedNetwork::load(&result, &o.sets)?;
    let plan = trained.plan.clone();
    let (set, start) = match plan.evaluate_on {
        Evaluation::Test => (load_sized(&o.mnist_dir, Split::Test, 28, 28)?, 0),
        Evaluation::Validation => (
            load_sized(&o.mnist_dir, Split::Train, 28, 28)?,
            VALIDATION_START,
        ),
    };
    let m = plan.test_examples;
    if start + m > set.len() {
        return Err(Error::config(
            &result.path,
            "test_examples",
            format!(
                "{m}: {} has only {} images from {start}",
                o.mnist_dir.display(),
                set.len()
            ),
        ));
    }
    std::fs::create_dir_all(&o.out).map_err(|e| Error::io(&o.out, e))?;
    let lock = lock_run_dir(&o.out)?;
    if o.out.join(EVAL_SUMMARY_FILE).exists() && !o.force {
        return Err(Error::file(
            &o.out,
            "already holds an evaluation (eval.json); refusing to overwrite it: pass --force, or choose another --out",
        ));
    }
    let px = trained.n_input();
    let images: Vec<u8> = (start..start + m)
        .flat_map(|k| set.image(k).to_vec())
        .collect();
    if images.len() != m * px {
        return Err(Error::shape(
            "MNIST images",
            &[m, px],
            &[m, images.len() / m.max(1)],
        ));
    }
    let labels: Vec<u8> = set.labels[start..start + m].to_vec();
    let Some(resp) = respond(
        &mut trained,
        &images,
        plan.test_repeats,
        o.threads,
        stop,
        progress,
    )?
    else {
        return Ok(None);
    };
    let per_repeat = accuracy_per_repeat(&resp.predictions, &labels);
    let (acc, acc_std) = mean_std(&per_repeat);
    let ridge = resp
        .ridge_predictions
        .as_ref()
        .map(|p| mean_std(&accuracy_per_repeat(p, &labels)));
    let summary = EvalSummary {
        run_dir: o.run_dir.display().to_string(),
        mnist_dir: o.mnist_dir.display().to_string(),
        evaluated_on: plan.evaluate_on.name().into(),
        test_examples: m,
        test_repeats: plan.test_repeats,
        accuracy_percent: acc,
        accuracy_std_percent: acc_std,
        accuracy_per_repeat: per_repeat.clone(),
        ridge_accuracy_percent: ridge.map(|r| r.0),
        ridge_accuracy_std_percent: ridge.map(|r| r.1),
        unassigned_neurons: trained
            .assignments
            .iter()
            .filter(|&&a| a == UNASSIGNED)
            .count(),
        wall_time_s: t0.elapsed().as_secs_f64(),
        command: o.command.clone(),
    };
    let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::file(&o.out, e))?;
    write_atomically(&o.out.join(EVAL_SUMMARY_FILE), |tmp| {
        std::fs::write(tmp, &json).map_err(|e| Error::io(tmp, e))
    })?;
    let path = o.out.join(EVAL_RESULT_FILE);
    write_atomically(&path, |tmp| {
        let p = &path;
        let file = create_file(tmp)?;
        write_header(
            &file,
            &Header {
                kind: ExperimentKind::Dc,
                name: &plan.name,
                config: &plan.resolved_toml,
                config_hash: &plan.config_hash,
                seed: plan.seed,
            },
            p,
        )?;
        set_str(&file, "evaluated_on", plan.evaluate_on.name(), p)?;
        set_str(&file, "run_dir", &summary.run_dir, p)?;
        set_scalar(&file, "accuracy_percent", acc, p)?;
        put(&file, "test_labels", &aview1(&labels), p)?;
        put(&file, "test_predictions", &resp.predictions, p)?;
        let totals = resp.counts.sum_axis(ndarray::Axis(2));
        put(&file, "test_total_spikes", &totals, p)?;
        put(&file, "accuracy_per_repeat", &aview1(&per_repeat), p)?;
        if let Some(rp) = &resp.ridge_predictions {
            put(&file, "ridge_predictions", rp, p)?;
        }
        mark_complete(&file, p)?;
        file.close().map_err(h5err(p))
    })?;
    drop(lock);
    Ok(Some(summary))
}
