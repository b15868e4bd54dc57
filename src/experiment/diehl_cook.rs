//! The Diehl & Cook (2015) MNIST protocol as an [`Experiment`] (`stdp dc`):
//! config in [`dc_config`](super::dc_config), run in [`dc_run`](super::dc_run),
//! checkpoints in [`dc_checkpoint`](super::dc_checkpoint).

use std::path::Path;

use super::dc_checkpoint::read_phase;
use super::dc_config::{DcPlan, load_dc_plan};
use super::dc_run::{DcRunOptions, Phase, run_dc, summary_key};
use super::run_dir::{CHECKPOINT_FILE, RESULT_FILE, SUMMARY_FILE};
use super::{
    Experiment, ExperimentKind, Finished, PointRecords, Progress, RecordArray, RunContext,
};
use crate::error::{Error, Result};
use crate::par::Threads;
use crate::record::h5::{get_1d, get_2d, h5err, open_file};

/// The metric a grid report shows by default.
pub const DEFAULT_METRIC: &str = summary_key!(accuracy_percent);

/// The one metric of [`METRICS`] that is not a summary key: the last point
/// of the summary's training curve.
const FINAL_TRAIN_ACCURACY: &str = "final_train_accuracy_percent";

/// Metric columns of a Diehl & Cook run in a grid's table: keys of its
/// `summary.json` (fields of [`DcSummary`](super::dc_run::DcSummary)) and
/// `final_train_accuracy_percent`, the last point of the training curve.
pub const METRICS: [&str; 16] = [
    summary_key!(accuracy_percent),
    summary_key!(accuracy_std_percent),
    summary_key!(ridge_accuracy_percent),
    summary_key!(ridge_accuracy_std_percent),
    FINAL_TRAIN_ACCURACY,
    summary_key!(train_showings),
    summary_key!(showings_per_example),
    summary_key!(spikes_per_example),
    summary_key!(theta_mean_mv),
    summary_key!(theta_median_mv),
    summary_key!(theta_edge_neurons),
    summary_key!(label_spike_share_top1pct),
    summary_key!(overshoot_steps),
    summary_key!(unassigned_neurons),
    summary_key!(ms_per_train_example),
    summary_key!(wall_time_s),
];

/// Metrics that may be null or absent in a summary (NaN in the table).
const OPTIONAL_METRICS: [&str; 5] = [
    summary_key!(ridge_accuracy_percent),
    summary_key!(ridge_accuracy_std_percent),
    summary_key!(theta_median_mv),
    summary_key!(theta_edge_neurons),
    summary_key!(label_spike_share_top1pct),
];

/// A validated Diehl & Cook experiment.
#[derive(Clone, Debug)]
pub struct DiehlCookMnist {
    /// The plan.
    pub plan: DcPlan,
}

impl DiehlCookMnist {
    /// Loads `base` with the overrides `sets`.
    pub fn load(base: &Path, sets: &[String]) -> Result<Self> {
        Ok(DiehlCookMnist {
            plan: load_dc_plan(base, sets)?,
        })
    }
}

impl Experiment for DiehlCookMnist {
    fn kind(&self) -> ExperimentKind {
        ExperimentKind::Dc
    }

    fn config_hash(&self) -> &str {
        &self.plan.config_hash
    }

    /// Presentations x input-to-excitatory synapses.
    fn cost(&self) -> f64 {
        let p = &self.plan;
        let examples = (p.train_examples + p.label_examples + p.test_examples) as f64;
        examples * (784 * p.params.n_exc) as f64
    }

    fn name(&self) -> &str {
        &self.plan.name
    }

    fn work(&self) -> (u64, &'static str) {
        let p = &self.plan;
        (
            (p.train_examples + p.label_examples + p.test_examples * p.test_repeats) as u64,
            "examples",
        )
    }

    fn run(&self, ctx: &RunContext, progress: &(dyn Fn(Progress) + Sync)) -> Result<Finished> {
        let resumed = ctx.out.join(CHECKPOINT_FILE).exists() && !ctx.force;
        let (threads, frozen_threads) =
            Threads::new(ctx.threads).diehl_cook(self.plan.params.n_exc);
        let s = run_dc(
            &self.plan,
            &DcRunOptions {
                out: ctx.out.clone(),
                mnist_dir: ctx.mnist_dir.clone(),
                force: ctx.force,
                command: ctx.command.clone(),
                threads,
                frozen_threads,
            },
            &|phase, k| {
                progress(match phase {
                    Phase::Resumed => Progress::Resumed(k),
                    Phase::Train => Progress::Advanced {
                        phase: "train",
                        units: k,
                    },
                    Phase::Label => Progress::Advanced {
                        phase: "label",
                        units: k,
                    },
                    Phase::Test => Progress::Advanced {
                        phase: "test",
                        units: k,
                    },
                })
            },
        )?;
        let mut report = String::new();
        for (x, acc) in &s.training_curve {
            report.push_str(&format!(
                "training accuracy after {x} examples: {acc:.1} %\n"
            ));
        }
        report.push_str(&format!(
            "{}: {} excitatory neurons, rule {}, {} training examples ({:.2} ms each, {:.2} showings, {:.1} spikes): {} accuracy {:.2} ± {:.2} % on {} examples x {} repeats ({} of {} neurons unassigned); {:.0} s in all; results in {}",
            s.name,
            s.n_exc,
            s.rule,
            s.train_examples,
            s.ms_per_train_example,
            s.showings_per_example,
            s.spikes_per_example,
            s.evaluated_on,
            s.accuracy_percent,
            s.accuracy_std_percent,
            s.test_examples,
            s.test_repeats,
            s.unassigned_neurons,
            s.n_exc,
            s.wall_time_s,
            ctx.out.display()
        ));
        Ok(Finished {
            resumed,
            headline: format!("{} accuracy {:.2} %", s.evaluated_on, s.accuracy_percent),
            report,
        })
    }

    /// The weights, then rings and records of ~20 slots per neuron.
    fn checkpoint_bytes(&self) -> u64 {
        let p = &self.plan.params;
        (p.n_input * p.n_exc * 4 + 64 * p.n_exc * 4) as u64
    }

    fn preflight(&self, ctx: &RunContext) -> Result<()> {
        crate::data::mnist::load(&ctx.mnist_dir, crate::data::mnist::Split::Test).map(drop)
    }

    fn checkpoint_progress(&self, ckpt: &Path) -> Result<(String, f64)> {
        let plan = &self.plan;
        let phase = read_phase(ckpt)?;
        let done = phase.done;
        let (labelled, tested) = phase.frozen.unwrap_or((0, 0));
        let tests = plan.test_repeats * plan.test_examples;
        let total = plan.train_examples + plan.label_examples + tests;
        let text = match phase.frozen {
            None => {
                // What a long run's health shows before its frozen phases:
                // the last training window and the neurons at the resting edge.
                let mut t = format!("train {done}/{}", plan.train_examples);
                if let Some((_, acc)) = phase.curve.last() {
                    t += &format!(", last window {acc:.2} %");
                }
                if let Some(theta) = &phase.theta {
                    let edge = plan.params.resting_edge_neurons(theta);
                    t += &format!(", {edge} neurons at the resting edge");
                }
                t
            }
            Some(_) if labelled < plan.label_examples => {
                format!("label {labelled}/{}", plan.label_examples)
            }
            Some(_) => format!("test {tested}/{tests}"),
        };
        Ok((
            text,
            (done + labelled + tested) as f64 / total.max(1) as f64,
        ))
    }
}

/// The records of a complete Diehl & Cook run in `dir`: [`METRICS`] from
/// its `summary.json`, its final weights and thresholds θ from `result.h5`.
pub fn records(dir: &Path) -> Result<PointRecords> {
    let result = dir.join(RESULT_FILE);
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let s: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::file(&path, e))?;
    let num = |k: &str| {
        s.get(k)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| Error::file(&path, format!("no number `{k}`")))
    };
    let final_train = s
        .get(summary_key!(training_curve))
        .and_then(|c| c.as_array())
        .and_then(|c| c.last())
        .and_then(|p| p.get(1))
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN);
    let mut metrics = Vec::new();
    for k in METRICS {
        let v = if k == FINAL_TRAIN_ACCURACY {
            final_train
        } else if OPTIONAL_METRICS.contains(&k) {
            // Null without a ridge readout; absent in summaries written
            // before these keys existed.
            s.get(k)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        } else {
            num(k)?
        };
        metrics.push((k.to_string(), v));
    }
    let f = open_file(&result).map_err(h5err(&result))?;
    Ok(PointRecords {
        metrics,
        arrays: vec![
            (
                "weights",
                RecordArray::F32x2(get_2d(&f, "weights", &result)?),
            ),
            ("theta", RecordArray::F32x1(get_1d(&f, "theta", &result)?)),
        ],
    })
}
