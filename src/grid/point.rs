//! Grid points resolved against their base experiment: the kind of
//! experiment, each point's validated config, its stable id and its
//! estimated cost.
//!
//! A point's id is the FNV-1a hash of its resolved config (the base file with
//! the point's overrides, as stored in its results): the same configuration
//! has the same id in any grid, whatever its position, so re-runs and grown
//! grids skip points that are already complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::spec::{Grid, GridPoint};
use crate::error::{Error, Result};
use crate::experiment::{Experiment, ExperimentKind};

/// One point, validated.
#[derive(Clone)]
pub struct PlannedPoint {
    /// Position in the grid's point order.
    pub index: usize,
    /// Stable id: the config hash of the resolved point.
    pub id: String,
    /// The overrides of the base config.
    pub point: GridPoint,
    /// Estimated cost in arbitrary units (synaptic updates), for balancing shards.
    pub cost: f64,
    /// The point's validated experiment (what runs it; loaded once, when
    /// the grid is planned).
    pub experiment: Arc<dyn Experiment>,
}

impl std::fmt::Debug for PlannedPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedPoint")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("point", &self.point)
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

/// A grid whose every point is a valid config of its base experiment.
#[derive(Clone, Debug)]
pub struct PlannedGrid {
    /// The grid file.
    pub file: PathBuf,
    /// The base experiment.
    pub base: PathBuf,
    /// Its kind.
    pub kind: ExperimentKind,
    /// Overrides of every point (`[fixed]`), before each point's own.
    pub fixed: GridPoint,
    /// Every point, in grid order.
    pub points: Vec<PlannedPoint>,
}

/// The experiment `sets` make of `base`, validated.
fn resolve(kind: ExperimentKind, base: &Path, sets: &[String]) -> Result<Arc<dyn Experiment>> {
    Ok(Arc::from(kind.load(base, sets)?))
}

/// Re-labels a config error of the base file as an error of the grid file at `key`.
fn at_grid_key(grid_file: &Path, key: &str, e: Error) -> Error {
    let message = match e {
        Error::Config {
            key: k, message, ..
        } if k == "--set" => message,
        Error::Config {
            key: k, message, ..
        } => format!("{k}: {message}"),
        other => other.to_string(),
    };
    Error::Config {
        file: grid_file.to_path_buf(),
        key: key.to_string(),
        message,
    }
}

/// Validates every point of `grid` (read from `file`) against its base,
/// before anything runs: each axis value on its own first, so that a bad key
/// or value is reported under the grid key that produced it, then every
/// point whole. Two points with the same resolved config are an error.
pub fn plan_grid(file: &Path, grid: &Grid) -> Result<PlannedGrid> {
    let kind = ExperimentKind::of(&grid.base).map_err(|e| match e {
        Error::Io { source, .. } => Error::Config {
            file: file.to_path_buf(),
            key: "base".into(),
            message: format!("{}: {source}", grid.base.display()),
        },
        other => other,
    })?;
    let fixed = grid.fixed.set_args();
    // The fixed overrides together (some only make sense together, e.g.
    // evaluate_on = "validation" with a shorter label_examples); when they
    // fail, the first that fails alone is named, else all of them.
    if let Err(whole) = resolve(kind, &grid.base, &fixed) {
        for (k, v) in &grid.fixed.sets {
            resolve(kind, &grid.base, &[format!("{k}={v}")])
                .map_err(|e| at_grid_key(file, &format!("fixed.{k} = {v}"), e))?;
        }
        return Err(at_grid_key(file, "fixed", whole));
    }
    let mut checked = std::collections::BTreeSet::new();
    for p in &grid.points {
        for (k, v) in &p.sets {
            let arg = format!("{k}={v}");
            if checked.insert(arg.clone()) {
                let mut args = fixed.clone();
                args.push(arg);
                resolve(kind, &grid.base, &args)
                    .map_err(|e| at_grid_key(file, &format!("axes.{k} = {v}"), e))?;
            }
        }
    }
    let mut points = Vec::with_capacity(grid.points.len());
    let mut seen = std::collections::BTreeMap::new();
    for (index, p) in grid.points.iter().enumerate() {
        let args = grid.args(p);
        let experiment = resolve(kind, &grid.base, &args)
            .map_err(|e| at_grid_key(file, &format!("point {index} ({})", args.join(" ")), e))?;
        let (id, cost) = (experiment.config_hash().to_string(), experiment.cost());
        if let Some(other) = seen.insert(id.clone(), index) {
            return Err(Error::Config {
                file: file.to_path_buf(),
                key: format!("point {index} ({})", args.join(" ")),
                message: format!("the same config as point {other}: every point must differ"),
            });
        }
        points.push(PlannedPoint {
            index,
            id,
            point: p.clone(),
            cost,
            experiment,
        });
    }
    Ok(PlannedGrid {
        file: file.to_path_buf(),
        base: grid.base.clone(),
        kind,
        fixed: grid.fixed.clone(),
        points,
    })
}

impl PlannedGrid {
    /// The `--set` arguments of `p`: the fixed overrides, then its own.
    pub fn args(&self, p: &PlannedPoint) -> Vec<String> {
        p.point.set_args_after(&self.fixed)
    }
}

/// Reads, expands and validates a grid file.
pub fn load_planned_grid(file: &Path) -> Result<PlannedGrid> {
    let grid = super::spec::load_grid(file)?;
    plan_grid(file, &grid)
}
