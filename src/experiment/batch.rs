//! The synapse batch as an [`Experiment`]: many independent
//! `ExpStdpSynapse` instances driven by Poisson spike trains
//! ([`crate::harness`], `stdp run`), its result file in [`batch_result`](super::batch_result).

use std::path::Path;

use ndarray::Axis;

use super::batch_result::read_result;
use super::batch_run::{RunOptions, run};
use super::run_dir::RESULT_FILE;
use super::{
    Experiment, ExperimentKind, Finished, PointRecords, Progress, RecordArray, RunContext,
};
use crate::config::{Plan, load_plan};
use crate::error::{Error, Result};
use crate::harness::checkpoint::checkpoint_step;
use crate::record::stats::FLOAT_COLUMNS;

/// The metric a grid report shows by default: the spread of the final weights.
pub const DEFAULT_METRIC: &str = "w_std";

/// A validated synapse-batch plan.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The plan.
    pub plan: Plan,
}

impl Batch {
    /// Loads `base` with the overrides `sets`.
    pub fn load(base: &Path, sets: &[String]) -> Result<Self> {
        Ok(Batch {
            plan: load_plan(base, sets)?,
        })
    }
}

impl Experiment for Batch {
    fn kind(&self) -> ExperimentKind {
        ExperimentKind::Run
    }

    fn config_hash(&self) -> &str {
        &self.plan.config_hash
    }

    /// Synaptic updates: steps x instances x `n_in` x `n_out` x batch.
    fn cost(&self) -> f64 {
        let p = &self.plan;
        (p.steps * p.instances.len() * p.n_in * p.n_out * p.batch) as f64
    }

    fn name(&self) -> &str {
        &self.plan.name
    }

    fn work(&self) -> (u64, &'static str) {
        (
            (self.plan.steps * self.plan.instances.len()) as u64,
            "steps",
        )
    }

    fn run(&self, ctx: &RunContext, progress: &(dyn Fn(Progress) + Sync)) -> Result<Finished> {
        // `run` reports the steps restored from a checkpoint first, once.
        let first = std::sync::atomic::AtomicBool::new(true);
        let s = run(
            &self.plan,
            &RunOptions {
                out: ctx.out.clone(),
                threads: ctx.threads,
                force: ctx.force,
            },
            &|k| {
                if first.swap(false, std::sync::atomic::Ordering::Relaxed) {
                    progress(Progress::Resumed(k));
                } else {
                    progress(Progress::Advanced {
                        phase: "",
                        units: k,
                    });
                }
            },
        )?;
        let resumed = if s.resumed_from > 0 {
            format!(" (resumed at step {})", s.resumed_from)
        } else {
            String::new()
        };
        let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
        let p = &self.plan;
        Ok(Finished {
            resumed: s.resumed_from > 0,
            headline: format!("{} steps", p.steps),
            report: format!(
                "{}: {} instances x {} steps{resumed} in {:.2} s ({:.0} steps/s, {} threads); wrote {}",
                p.name,
                p.instances.len(),
                p.steps,
                s.seconds,
                s.steps_run as f64 / s.seconds.max(1e-9),
                ctx.threads,
                files.join(", ")
            ),
        })
    }

    /// Weights plus traces and compartments, per instance.
    fn checkpoint_bytes(&self) -> u64 {
        let p = &self.plan;
        (p.instances.len() * p.n_in * p.n_out * 4 * 2) as u64
    }

    fn checkpoint_progress(&self, ckpt: &Path) -> Result<(String, f64)> {
        let step = checkpoint_step(ckpt)? as usize;
        let steps = self.plan.steps;
        Ok((
            format!("step {step}/{steps}"),
            step as f64 / steps.max(1) as f64,
        ))
    }
}

/// The records of a complete batch run in `dir`: the statistics of the last
/// step averaged over instances ([`FLOAT_COLUMNS`]) and every instance's
/// final weights, stacked `(instances, n_in, n_out)`.
pub fn records(dir: &Path) -> Result<PointRecords> {
    let result = dir.join(RESULT_FILE);
    let r = read_result(&result)?;
    let last: Vec<usize> = (0..r.stats.step.len())
        .filter(|&k| r.stats.step[k] == r.steps)
        .collect();
    let metrics = FLOAT_COLUMNS
        .iter()
        .zip(&r.stats.floats)
        .map(|(name, col)| {
            let mean = last.iter().map(|&k| col[k]).sum::<f64>() / last.len().max(1) as f64;
            (name.to_string(), mean)
        })
        .collect();
    let views: Vec<_> = r.weights.iter().map(|w| w.view()).collect();
    let w = ndarray::stack(Axis(0), &views).map_err(|e| Error::file(&result, e))?;
    Ok(PointRecords {
        metrics,
        arrays: vec![("weights", RecordArray::F32x3(w))],
    })
}
