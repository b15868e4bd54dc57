//! Experiments: what a run directory, a grid point, `stdp inspect` and the
//! merge of a grid need from any kind of run, behind one interface
//! ([`Experiment`]), and its two implementations: the synapse batch
//! ([`batch`], `stdp run`) and the Diehl & Cook (2015) MNIST protocol
//! ([`diehl_cook`], `stdp dc`).
//!
//! Adding a third kind is one new module (its config, an [`Experiment`]
//! implementation and a function reading its records), one variant of
//! [`ExperimentKind`] and its arm in each of [`ExperimentKind`]'s methods
//! (`command`, `load`, `records`, `default_metric`): grids, shards, SLURM
//! arrays, status, merge and report then work for it unchanged.

pub mod batch;
pub mod batch_result;
pub mod batch_run;
pub mod dc_checkpoint;
pub mod dc_config;
pub mod dc_eval;
pub mod dc_result;
pub mod dc_run;
pub mod describe;
pub mod diehl_cook;
pub mod run_dir;

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Array3};

use crate::error::{Error, Result};

/// The kinds of experiment, as named in configs (`kind = "..."`), manifests
/// and result files (attribute `kind`): the `stdp` subcommand that runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentKind {
    /// A synapse batch (`stdp run`): `[synapse]`, `[rule]`, `[input]`.
    Run,
    /// A Diehl & Cook MNIST experiment (`stdp dc`).
    Dc,
}

impl ExperimentKind {
    /// Every kind.
    pub const ALL: [ExperimentKind; 2] = [ExperimentKind::Run, ExperimentKind::Dc];

    /// The `stdp` subcommand that runs it, also its name in files.
    pub fn command(self) -> &'static str {
        match self {
            ExperimentKind::Run => "run",
            ExperimentKind::Dc => "dc",
        }
    }

    /// The kind named `name` ([`ExperimentKind::command`]).
    pub fn from_command(name: &str) -> Option<ExperimentKind> {
        Self::ALL.into_iter().find(|k| k.command() == name)
    }

    /// The kind of the experiment file `base`: its `kind` key when it has
    /// one (`"run"` or `"dc"`), else `dc` when it sets `n_exc` (the Diehl &
    /// Cook network size, which no other kind has) and `run` otherwise.
    pub fn of(base: &Path) -> Result<ExperimentKind> {
        let text = std::fs::read_to_string(base).map_err(|e| Error::io(base, e))?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e| crate::config::plan::toml_err(base, &text, &e))?;
        match crate::config::plan::declared_kind(base, &doc)? {
            Some(k) => Ok(Self::from_command(k).expect("declared_kind accepts only known kinds")),
            None if doc.contains_key("n_exc") => Ok(ExperimentKind::Dc),
            None => Ok(ExperimentKind::Run),
        }
    }

    /// The experiment `base` with the `--set` overrides `sets`, validated.
    /// (The one place that maps a kind to its implementation.)
    pub fn load(self, base: &Path, sets: &[String]) -> Result<Box<dyn Experiment>> {
        Ok(match self {
            ExperimentKind::Run => Box::new(batch::Batch::load(base, sets)?),
            ExperimentKind::Dc => Box::new(diehl_cook::DiehlCookMnist::load(base, sets)?),
        })
    }

    /// The final records of the complete run in `dir`, for a grid's merge.
    pub fn records(self, dir: &Path) -> Result<PointRecords> {
        match self {
            ExperimentKind::Run => batch::records(dir),
            ExperimentKind::Dc => diehl_cook::records(dir),
        }
    }

    /// The metric a grid report of this kind shows unless told otherwise.
    pub fn default_metric(self) -> &'static str {
        match self {
            ExperimentKind::Run => batch::DEFAULT_METRIC,
            ExperimentKind::Dc => diehl_cook::DEFAULT_METRIC,
        }
    }
}

/// Where and how a run goes.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The run directory.
    pub out: PathBuf,
    /// Replace a finished run ([`run_dir::prepare`]).
    pub force: bool,
    /// Threads for this run.
    pub threads: usize,
    /// MNIST directory (experiments that read MNIST).
    pub mnist_dir: PathBuf,
    /// The command line, stored with the results.
    pub command: String,
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Whether it resumed from a checkpoint.
    pub resumed: bool,
    /// A one-line result (e.g. the test accuracy), for a grid's log.
    pub headline: String,
    /// What the command line prints at the end of the run.
    pub report: String,
}

/// What a run tells whoever shows its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// It resumed with this many units of [`Experiment::work`] done.
    Resumed(u64),
    /// This many more units are done, in the named phase (`""`: the only one).
    Advanced {
        /// The phase (e.g. `"train"`).
        phase: &'static str,
        /// Units done since the last report.
        units: u64,
    },
}

/// An experiment with a validated plan: what grids and the command line run.
pub trait Experiment: Send + Sync {
    /// Its kind.
    fn kind(&self) -> ExperimentKind;
    /// Its name (the config's `name`; the default run directory
    /// `runs/<name>`).
    fn name(&self) -> &str;
    /// The units of work of a whole run and what they are called (the
    /// progress bar's total: steps, examples).
    fn work(&self) -> (u64, &'static str);
    /// The hash of its resolved config: equal configs, equal hashes (a grid
    /// point's id).
    fn config_hash(&self) -> &str;
    /// Estimated cost in arbitrary units proportional to its run time (for
    /// balancing shards; comparable between experiments of one kind).
    fn cost(&self) -> f64;
    /// Runs (or resumes) it in `ctx.out`, telling `progress` how far it is:
    /// the one driver of `stdp run`, `stdp dc` and grid points.
    fn run(&self, ctx: &RunContext, progress: &(dyn Fn(Progress) + Sync)) -> Result<Finished>;
    /// `(text, fraction done)` of the checkpoint at `ckpt`, e.g.
    /// `("train 9000/20000", 0.3)`.
    fn checkpoint_progress(&self, ckpt: &Path) -> Result<(String, f64)>;
    /// Estimated size of its checkpoint, bytes (how long a save on a
    /// signal may take).
    fn checkpoint_bytes(&self) -> u64;
    /// Checks what it reads besides its config (e.g. a data set under
    /// `ctx.mnist_dir`), so that a grid fails before any point runs.
    fn preflight(&self, _ctx: &RunContext) -> Result<()> {
        Ok(())
    }
}

/// The final records of one run: named metrics (one row of a grid's
/// table) and arrays (kept per point in the grid's `grid.h5`).
#[derive(Clone, Debug, Default)]
pub struct PointRecords {
    /// `(name, value)`, in a fixed order per kind.
    pub metrics: Vec<(String, f64)>,
    /// `(name, array)`.
    pub arrays: Vec<(&'static str, RecordArray)>,
}

/// An array of [`PointRecords`].
#[derive(Clone, Debug)]
pub enum RecordArray {
    /// 1-D.
    F32x1(Array1<f32>),
    /// 2-D.
    F32x2(Array2<f32>),
    /// 3-D.
    F32x3(Array3<f32>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_key_decides_and_without_it_n_exc_does() {
        let d = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let p = d.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let of = |p: PathBuf| ExperimentKind::of(&p);
        assert_eq!(
            of(file("a.toml", "kind = \"dc\"\n")).unwrap(),
            ExperimentKind::Dc
        );
        assert_eq!(
            of(file("b.toml", "kind = \"run\"\nn_exc = 4\n")).unwrap(),
            ExperimentKind::Run
        );
        assert_eq!(
            of(file("c.toml", "n_exc = 4\n")).unwrap(),
            ExperimentKind::Dc
        );
        assert_eq!(
            of(file("d.toml", "steps = 4\n")).unwrap(),
            ExperimentKind::Run
        );
        for (name, text) in [("e.toml", "kind = \"hebb\"\n"), ("f.toml", "kind = 3\n")] {
            let e = of(file(name, text)).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("kind"), "{e}");
        }
        for k in ExperimentKind::ALL {
            assert_eq!(ExperimentKind::from_command(k.command()), Some(k));
        }
        // The config's list of kinds and this enum are the same set.
        assert_eq!(crate::config::plan::KINDS.len(), ExperimentKind::ALL.len());
        for k in crate::config::plan::KINDS {
            assert!(ExperimentKind::from_command(k).is_some(), "{k}");
        }
    }

    #[test]
    fn loaders_and_grids_give_the_same_message_for_an_unknown_kind() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.toml");
        std::fs::write(&p, "kind = \"hebb\"\nn_exc = 4\n").unwrap();
        let grid = ExperimentKind::of(&p).unwrap_err().to_string();
        let Err(loader) = diehl_cook::DiehlCookMnist::load(&p, &[]) else {
            panic!("an unknown kind is refused");
        };
        let loader = loader.to_string();
        assert!(grid.contains("unknown kind `hebb`"), "{grid}");
        assert_eq!(grid, loader);
    }
}
