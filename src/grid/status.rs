//! Where a grid stands (`stdp status DIR`): every point of the manifest is
//! complete, checkpointed (with how far it got), failed (with its error),
//! or not started; the finished points' wall times give the work left.

use std::path::Path;

use serde::Serialize;

use super::manifest::{ManifestPoint, point_dir, read_manifest};
use super::merge::describe;
use super::runner::{FAILED_FILE, TIMING_FILE};
use super::spec::set_args;
use crate::error::Result;
use crate::experiment::ExperimentKind;
use crate::experiment::dc_run::summary_key;
use crate::experiment::run_dir::{CHECKPOINT_FILE, SUMMARY_FILE, is_complete};

/// The state of one point.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PointState {
    /// `result.h5` is complete.
    Complete {
        /// Wall time of its last run, s (when recorded).
        seconds: Option<f64>,
    },
    /// A checkpoint is there.
    Checkpointed {
        /// What the checkpoint says, e.g. `train 9000/20000`.
        progress: String,
        /// Fraction of the point's work done, 0-1 (frozen presentations
        /// counted like training ones).
        fraction: f64,
    },
    /// The last run of the point failed.
    Failed {
        /// The last lines of its error.
        error: String,
    },
    /// Nothing yet.
    NotStarted,
}

/// One point and its state.
#[derive(Clone, Debug, Serialize)]
pub struct PointStatus {
    /// Index in the grid.
    pub index: usize,
    /// Id (run directory `points/<id>`).
    pub id: String,
    /// `point 3 (id …): key=value …`.
    pub description: String,
    /// Its state.
    #[serde(flatten)]
    pub state: PointState,
}

/// The whole grid.
#[derive(Clone, Debug, Serialize)]
pub struct GridStatus {
    /// The grid file.
    pub grid_file: String,
    /// Every point.
    pub points: Vec<PointStatus>,
    /// Counts: complete, checkpointed, failed, not started.
    pub complete: usize,
    /// Points with a checkpoint.
    pub checkpointed: usize,
    /// Points whose last run failed.
    pub failed: usize,
    /// Points not started.
    pub not_started: usize,
    /// Mean wall time of the finished points, s.
    pub mean_point_seconds: Option<f64>,
    /// Work left in point-seconds (one worker): the mean point time times
    /// the points left, checkpointed ones by the fraction they still need.
    pub work_left_seconds: Option<f64>,
}

/// Reads the state of every point of the grid in `dir`.
pub fn grid_status(dir: &Path) -> Result<GridStatus> {
    let m = read_manifest(dir)?;
    let points: Vec<PointStatus> = m
        .points
        .iter()
        .map(|p| PointStatus {
            index: p.index,
            id: p.id.clone(),
            description: describe(p),
            state: point_state(dir, &m.base, &m.fixed, m.kind, p),
        })
        .collect();
    let count = |f: &dyn Fn(&PointState) -> bool| points.iter().filter(|p| f(&p.state)).count();
    let times: Vec<f64> = points
        .iter()
        .filter_map(|p| match p.state {
            PointState::Complete { seconds } => seconds,
            _ => None,
        })
        .collect();
    let mean = (!times.is_empty()).then(|| times.iter().sum::<f64>() / times.len() as f64);
    let left: f64 = points
        .iter()
        .map(|p| match &p.state {
            PointState::Complete { .. } => 0.0,
            PointState::Checkpointed { fraction, .. } => 1.0 - fraction,
            PointState::Failed { .. } | PointState::NotStarted => 1.0,
        })
        .sum();
    Ok(GridStatus {
        grid_file: m.grid_file.display().to_string(),
        complete: count(&|s| matches!(s, PointState::Complete { .. })),
        checkpointed: count(&|s| matches!(s, PointState::Checkpointed { .. })),
        failed: count(&|s| matches!(s, PointState::Failed { .. })),
        not_started: count(&|s| matches!(s, PointState::NotStarted)),
        mean_point_seconds: mean,
        work_left_seconds: mean.map(|t| t * left),
        points,
    })
}

/// `(key, value)` overrides, as in the manifest.
type Sets = [(String, toml::Value)];

fn point_state(
    dir: &Path,
    base: &Path,
    fixed: &Sets,
    kind: ExperimentKind,
    p: &ManifestPoint,
) -> PointState {
    let d = point_dir(dir, &p.id);
    if is_complete(&d) {
        // The grid's own record of the point's wall time, else (points run
        // before it was kept) a Diehl & Cook run's own.
        let number = |file: &str, key: &str| {
            std::fs::read_to_string(d.join(file))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get(key).and_then(serde_json::Value::as_f64))
        };
        let seconds = number(TIMING_FILE, "seconds")
            .or_else(|| number(SUMMARY_FILE, summary_key!(wall_time_s)));
        return PointState::Complete { seconds };
    }
    let ckpt = d.join(CHECKPOINT_FILE);
    if ckpt.exists() {
        let (progress, fraction) = checkpoint_progress(&ckpt, base, fixed, kind, p)
            .unwrap_or_else(|e| (format!("progress unknown: {e}"), 0.0));
        return PointState::Checkpointed { progress, fraction };
    }
    if let Ok(text) = std::fs::read_to_string(d.join(FAILED_FILE)) {
        let lines: Vec<&str> = text.lines().collect();
        let error = lines[lines.len().saturating_sub(5)..].join("\n");
        return PointState::Failed { error };
    }
    PointState::NotStarted
}

/// `(text, fraction)` of a point's checkpoint.
fn checkpoint_progress(
    ckpt: &Path,
    base: &Path,
    fixed: &Sets,
    kind: ExperimentKind,
    p: &ManifestPoint,
) -> Result<(String, f64)> {
    let mut args = set_args(fixed);
    args.extend(set_args(&p.sets));
    kind.load(base, &args)?.checkpoint_progress(ckpt)
}
