//! Checkpoints of a Diehl & Cook run, at example boundaries: the whole
//! network state (weights, every neuron variable, the rule's named state, the
//! random stream's position), the training records so far and, once training
//! is over, the labelling and test records so far. A killed run re-run with
//! the same command resumes from the last checkpoint and ends with the same
//! results as an uninterrupted run.
//!
//! The file is one flat HDF5 group written through the codec of
//! [`crate::record::codec`]: [`DcCheckpoint`] and the records it holds
//! ([`NetworkState`], [`NeuronState`], [`LifState`], [`TrainProgress`], [`FrozenProgress`],
//! [`RidgeFit`]) each name their attributes and datasets once, in their
//! [`H5Record`] impls below. The names are those of the checkpoints written
//! before the codec, which therefore resume.

use std::path::Path;

use ndarray::Array2;

use super::dc_config::DcPlan;
use crate::error::{Error, Result};
use crate::network::diehl_cook::{DcStats, DiehlCook};
use crate::network::readout::{CLASSES, ClassRates};
use crate::network::ridge::{RidgeFit, RidgeReadout, SparseCounts};
use crate::network::state::{NetworkState, NeuronState, RuleState};
use crate::neuron::lif::LifState;
use crate::record::atomic::write_atomically;
use crate::record::codec::{H5Record, Reader, Writer};
use crate::record::h5::{create_file, h5err, open_checkpoint, open_file};

/// Training records so far.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainProgress {
    /// Training examples done.
    pub done: usize,
    /// Presentations so far (retries included).
    pub showings: u64,
    /// Training wall time so far, s.
    pub train_seconds: f64,
    /// Per-class spike sums of the current monitoring window.
    pub window: ClassRates,
    /// Assignments from the previous window, once there is one.
    pub assignments: Option<Vec<i8>>,
    /// (examples, accuracy %) per finished window.
    pub curve: Vec<(usize, f64)>,
    /// Total excitatory spikes per training example.
    pub total_spikes: Vec<u32>,
    /// Label per training example.
    pub train_labels: Vec<u8>,
    /// Prediction per training example (255 before the first assignments).
    pub train_pred: Vec<u8>,
    /// Labelling and test progress, once training is over.
    pub frozen: Option<FrozenProgress>,
}

/// Labelling and test records so far (the frozen phases).
#[derive(Clone, Debug, PartialEq)]
pub struct FrozenProgress {
    /// Labelling presentations done.
    pub labelled: usize,
    /// Per-class spike sums of the labelling presentations.
    pub rates: ClassRates,
    /// Each labelling presentation's spike counts (for the ridge readout).
    pub label_counts: SparseCounts,
    /// The ridge readout, once the labelling is done (`None` before, or
    /// with too few labelling presentations).
    pub ridge: Option<RidgeFit>,
    /// The ridge readout's prediction per (repeat, test example) so far.
    pub ridge_predictions: Array2<u8>,
    /// Test presentations done, over all repeats (repeat `tested / m`, example `tested % m`).
    pub tested: usize,
    /// Prediction per (repeat, test example) so far.
    pub predictions: Array2<u8>,
    /// Total excitatory spikes per (repeat, test example) so far.
    pub test_spikes: Array2<u32>,
    /// Wall time of the frozen phases so far, s.
    pub seconds: f64,
}

impl FrozenProgress {
    /// Nothing done yet, for `n` neurons and `repeats` × `m` test presentations.
    pub fn new(n: usize, repeats: usize, m: usize) -> Self {
        FrozenProgress {
            labelled: 0,
            rates: ClassRates::new(n),
            label_counts: SparseCounts::new(),
            ridge: None,
            ridge_predictions: Array2::zeros((repeats, m)),
            tested: 0,
            predictions: Array2::zeros((repeats, m)),
            test_spikes: Array2::zeros((repeats, m)),
            seconds: 0.0,
        }
    }
}

impl TrainProgress {
    /// Nothing done yet, for `n` neurons.
    pub fn new(n: usize) -> Self {
        TrainProgress {
            done: 0,
            showings: 0,
            train_seconds: 0.0,
            window: ClassRates::new(n),
            assignments: None,
            curve: Vec::new(),
            total_spikes: Vec::new(),
            train_labels: Vec::new(),
            train_pred: Vec::new(),
            frozen: None,
        }
    }
}

/// Everything a Diehl & Cook checkpoint holds, as it is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct DcCheckpoint {
    /// The hash of the config whose run it is (attribute `config_hash`).
    pub config_hash: String,
    /// The network.
    pub net: NetworkState,
    /// The training records so far (and the frozen ones, once training is over).
    pub progress: TrainProgress,
    /// The block size of the frozen phases the frozen records were made
    /// with (`None` when there are none, or in files written before it was
    /// recorded).
    pub frozen_block: Option<u64>,
}

impl H5Record for DcStats {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("steps", self.steps)?;
        w.attr("overshoot_steps", self.overshoot_steps)?;
        w.attr("max_exc_spikes_in_step", self.max_exc_spikes_in_step)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(DcStats {
            steps: r.attr("steps")?,
            overshoot_steps: r.attr("overshoot_steps")?,
            max_exc_spikes_in_step: r.attr("max_exc_spikes_in_step")?,
        })
    }
}

impl H5Record for LifState {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.vec("v", &self.v)?;
        w.vec("ge", &self.ge)?;
        w.vec("gi", &self.gi)?;
        w.vec("timer", &self.timer)?;
        w.vec("theta", &self.theta)?;
        w.vec("since_spike", &self.since_spike)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        if r.element_size("theta")? == 4 {
            return Err(r.error(
                "θ is float32: the checkpoint was written by a build that held θ in \
                 float32 (docs/numerics.md), a different model; start the run again \
                 with --force",
            ));
        }
        Ok(LifState {
            v: r.vec("v")?,
            ge: r.vec("ge")?,
            gi: r.vec("gi")?,
            timer: r.vec("timer")?,
            theta: r.vec("theta")?,
            since_spike: r.vec("since_spike")?,
        })
    }
}

/// The neurons, the delayed input and the clock, at the root of a
/// checkpoint (and in the `post_training_state` group of a result file).
impl H5Record for NeuronState {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("clock", self.clock)?;
        w.record("exc_", &self.exc)?;
        w.record("inh_", &self.inh)?;
        if let Some(p) = &self.pending_ge {
            w.vec("pending_ge", p)?;
        }
        w.vec("carried_counts", &self.carried_counts)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(NeuronState {
            clock: r.attr("clock")?,
            exc: r.record("exc_")?,
            inh: r.record("inh_")?,
            pending_ge: if r.has_data("pending_ge") {
                Some(r.vec("pending_ge")?)
            } else {
                None
            },
            carried_counts: r.vec("carried_counts")?,
        })
    }
}

impl H5Record for NetworkState {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.record("stat_", &self.stats)?;
        w.u128("rng_pos", self.rng_pos)?;
        w.array("w", &self.w)?;
        match &self.rule {
            RuleState::Named { rule, vectors } => {
                w.text("rule", rule)?;
                for (name, v) in vectors {
                    w.vec(&format!("rule_{name}"), v)?;
                }
            }
            RuleState::Ordered(all) => {
                w.attr("traces", all.len() as u64)?;
                for (k, v) in all.iter().enumerate() {
                    w.vec(&format!("trace_{k}"), v)?;
                }
            }
        }
        w.record("", &self.neurons)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        // Checkpoints of the builds before the rules had named state hold
        // the same vectors as `trace_0..k` (attribute `traces` = k + 1).
        let rule = if r.has_attr("traces") {
            let n: u64 = r.attr("traces")?;
            RuleState::Ordered(
                (0..n)
                    .map(|k| r.vec(&format!("trace_{k}")))
                    .collect::<Result<_>>()?,
            )
        } else {
            let vectors = r
                .data_names("rule_")?
                .into_iter()
                .map(|d| Ok((d["rule_".len()..].to_string(), r.vec(&d)?)))
                .collect::<Result<_>>()?;
            RuleState::Named {
                rule: r.text("rule")?,
                vectors,
            }
        };
        Ok(NetworkState {
            stats: r.record("stat_")?,
            rng_pos: r.u128("rng_pos")?,
            w: r.array2("w")?,
            rule,
            neurons: r.record("")?,
        })
    }
}

/// Writes per-class spike sums as `{prefix}sums` and `{prefix}examples`.
fn write_rates(w: &Writer<'_>, prefix: &str, rates: &ClassRates) -> Result<()> {
    let (sums, examples) = rates.to_parts();
    w.vec(&format!("{prefix}sums"), &sums)?;
    w.vec(&format!("{prefix}examples"), &examples)
}

/// Reads what [`write_rates`] wrote (the neuron count from the sums'
/// length; the caller checks it against the run's).
fn read_rates(r: &Reader<'_>, prefix: &str) -> Result<ClassRates> {
    let sums: Vec<f64> = r.vec(&format!("{prefix}sums"))?;
    let examples: Vec<u64> = r.vec(&format!("{prefix}examples"))?;
    ClassRates::from_parts(sums.len() / CLASSES, &sums, &examples)
        .ok_or_else(|| r.error(format!("`{prefix}sums`: not (neurons, {CLASSES}) sums")))
}

impl H5Record for RidgeFit {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.array("weights", &self.readout.weights)?;
        w.attr("lambda", self.readout.lambda)?;
        w.attr("seconds", self.seconds)?;
        let (l, a): (Vec<f64>, Vec<f64>) = self.held_out.iter().copied().unzip();
        w.vec("grid_lambdas", &l)?;
        w.vec("grid_accuracy", &a)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        let l: Vec<f64> = r.vec("grid_lambdas")?;
        let a: Vec<f64> = r.vec("grid_accuracy")?;
        Ok(RidgeFit {
            readout: RidgeReadout {
                weights: r.array2("weights")?,
                lambda: r.attr("lambda")?,
            },
            held_out: l.into_iter().zip(a).collect(),
            seconds: r.attr("seconds")?,
        })
    }
}

/// The frozen records, at the root (their names start with `frozen_`, the
/// ridge readout's with `ridge_`).
impl H5Record for FrozenProgress {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("frozen_labelled", self.labelled as u64)?;
        write_rates(w, "frozen_rate_", &self.rates)?;
        let (offsets, neurons, counts, labels) = self.label_counts.to_parts();
        w.vec("frozen_label_offsets", offsets)?;
        w.vec("frozen_label_neurons", neurons)?;
        w.vec("frozen_label_counts", counts)?;
        w.vec("frozen_label_labels", labels)?;
        w.flag("frozen_has_ridge", self.ridge.is_some())?;
        if let Some(fit) = &self.ridge {
            w.record("ridge_", fit)?;
        }
        w.array("frozen_ridge_predictions", &self.ridge_predictions)?;
        w.attr("frozen_tested", self.tested as u64)?;
        w.array("frozen_predictions", &self.predictions)?;
        w.array("frozen_test_spikes", &self.test_spikes)?;
        w.attr("frozen_seconds", self.seconds)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        let label_counts = SparseCounts::from_parts(
            u32::MAX as usize,
            r.vec("frozen_label_offsets")?,
            r.vec("frozen_label_neurons")?,
            r.vec("frozen_label_counts")?,
            r.vec("frozen_label_labels")?,
        )
        .ok_or_else(|| r.error("the labelling counts (`frozen_label_*`) are inconsistent"))?;
        Ok(FrozenProgress {
            labelled: r.attr::<u64>("frozen_labelled")? as usize,
            rates: read_rates(r, "frozen_rate_")?,
            label_counts,
            ridge: if r.flag("frozen_has_ridge")? {
                Some(r.record("ridge_")?)
            } else {
                None
            },
            ridge_predictions: r.array2("frozen_ridge_predictions")?,
            tested: r.attr::<u64>("frozen_tested")? as usize,
            predictions: r.array2("frozen_predictions")?,
            test_spikes: r.array2("frozen_test_spikes")?,
            seconds: r.attr("frozen_seconds")?,
        })
    }
}

impl H5Record for TrainProgress {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("done", self.done as u64)?;
        w.attr("showings", self.showings)?;
        w.attr("train_seconds", self.train_seconds)?;
        write_rates(w, "window_", &self.window)?;
        w.flag("has_assignments", self.assignments.is_some())?;
        w.vec(
            "assignments",
            self.assignments.as_deref().unwrap_or_default(),
        )?;
        let (x, y): (Vec<u64>, Vec<f64>) = self.curve.iter().map(|&(x, y)| (x as u64, y)).unzip();
        w.vec("curve_x", &x)?;
        w.vec("curve_y", &y)?;
        w.vec("total_spikes", &self.total_spikes)?;
        w.vec("train_labels", &self.train_labels)?;
        w.vec("train_pred", &self.train_pred)?;
        w.flag("has_frozen", self.frozen.is_some())?;
        if let Some(fz) = &self.frozen {
            w.record("", fz)?;
        }
        Ok(())
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(TrainProgress {
            done: r.attr::<u64>("done")? as usize,
            showings: r.attr("showings")?,
            train_seconds: r.attr("train_seconds")?,
            window: read_rates(r, "window_")?,
            assignments: if r.flag("has_assignments")? {
                Some(r.vec("assignments")?)
            } else {
                None
            },
            curve: read_curve(r)?,
            total_spikes: r.vec("total_spikes")?,
            train_labels: r.vec("train_labels")?,
            train_pred: r.vec("train_pred")?,
            // Checkpoints written before the frozen phases were saved have
            // no `has_frozen`: they are training checkpoints. Frozen records
            // without their block layout (`frozen_block`, written by builds
            // that ran the frozen phases as one sequence) are not continued:
            // the frozen phases start again (see [`read_dc_checkpoint`]).
            frozen: if r.flag_or_false("has_frozen")? && r.has_attr("frozen_block") {
                Some(r.record("")?)
            } else {
                None
            },
        })
    }
}

impl H5Record for DcCheckpoint {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.text("config_hash", &self.config_hash)?;
        w.record("", &self.net)?;
        w.record("", &self.progress)?;
        if let Some(b) = self.frozen_block {
            w.attr("frozen_block", b)?;
        }
        Ok(())
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(DcCheckpoint {
            config_hash: r.text("config_hash")?,
            net: r.record("")?,
            progress: r.record("")?,
            frozen_block: if r.has_attr("frozen_block") {
                Some(r.attr("frozen_block")?)
            } else {
                None
            },
        })
    }
}

/// The training curve: (examples, accuracy %) per finished monitoring
/// window (`curve_x`, `curve_y`).
fn read_curve(r: &Reader<'_>) -> Result<Vec<(usize, f64)>> {
    let x: Vec<u64> = r.vec("curve_x")?;
    let y: Vec<f64> = r.vec("curve_y")?;
    Ok(x.into_iter().map(|x| x as usize).zip(y).collect())
}

/// Writes the checkpoint (atomically).
pub fn write_dc_checkpoint(
    path: &Path,
    plan: &DcPlan,
    net: &DiehlCook,
    prog: &TrainProgress,
) -> Result<()> {
    let state = net.state().ok_or_else(|| {
        Error::file(
            path,
            "delayed plasticity still in flight: not an example boundary",
        )
    })?;
    let ckpt = DcCheckpoint {
        config_hash: plan.config_hash.clone(),
        net: state,
        progress: prog.clone(),
        frozen_block: prog.frozen.as_ref().map(|_| plan.frozen_block as u64),
    };
    write_atomically(path, |tmp| {
        let f = create_file(tmp)?;
        ckpt.write(&Writer::new(&f, path))?;
        f.close().map_err(h5err(path))
    })
}

/// Where a checkpoint stands, read without restoring it (status lines,
/// `stdp inspect`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointPhase {
    /// Training examples done.
    pub done: usize,
    /// Once training is over: labelling and test presentations done.
    pub frozen: Option<(usize, usize)>,
    /// The training curve so far: (examples, accuracy %) per finished
    /// monitoring window.
    pub curve: Vec<(usize, f64)>,
    /// The excitatory neurons' θ, mV (`None` in checkpoints that hold it
    /// in float32, which do not resume).
    pub theta: Option<Vec<f64>>,
}

/// Reads the [`CheckpointPhase`] of the checkpoint at `path`.
pub fn read_phase(path: &Path) -> Result<CheckpointPhase> {
    let f = open_file(path).map_err(h5err(path))?;
    let r = Reader::new(&f, path);
    let frozen = if r.flag_or_false("has_frozen")? {
        Some((
            r.attr::<u64>("frozen_labelled")? as usize,
            r.attr::<u64>("frozen_tested")? as usize,
        ))
    } else {
        None
    };
    Ok(CheckpointPhase {
        done: r.attr::<u64>("done")? as usize,
        frozen,
        curve: read_curve(&r)?,
        theta: if r.element_size("exc_theta")? == 8 {
            Some(r.vec("exc_theta")?)
        } else {
            None
        },
    })
}

/// Whether the frozen records `fz` fit `plan` (`n` neurons, its test
/// presentations).
fn frozen_fits(fz: &FrozenProgress, plan: &DcPlan) -> bool {
    let n = plan.params.n_exc;
    let shape = (plan.test_repeats, plan.test_examples);
    fz.rates.neurons() == n
        && fz
            .label_counts
            .to_parts()
            .1
            .iter()
            .all(|&k| (k as usize) < n)
        && fz
            .ridge
            .as_ref()
            .is_none_or(|r| r.readout.weights.dim() == (n + 1, CLASSES))
        && fz.predictions.dim() == shape
        && fz.test_spikes.dim() == shape
        && fz.ridge_predictions.dim() == shape
}

/// Restores `net` and the training records from a checkpoint of `plan`'s run.
pub fn read_dc_checkpoint(
    path: &Path,
    plan: &DcPlan,
    net: &mut DiehlCook,
) -> Result<TrainProgress> {
    let f = open_checkpoint(path, &plan.config_hash)?;
    let ckpt = DcCheckpoint::read(&Reader::new(&f, path))?;
    let bad = |what: &dyn std::fmt::Display| {
        Error::file(
            path,
            format!("checkpoint does not fit this network: {what}"),
        )
    };
    net.restore(ckpt.net).map_err(|m| bad(&m))?;
    let mut prog = ckpt.progress;
    if prog.window.neurons() != plan.params.n_exc {
        return Err(bad(&"monitoring window"));
    }
    if let Some(fz) = &prog.frozen {
        // Frozen records of another block layout (or of a build that ran
        // the frozen phases as one sequence) cannot be continued: the frozen
        // phases start again from the checkpoint's state (training is kept).
        if ckpt.frozen_block != Some(plan.frozen_block as u64) {
            prog.frozen = None;
        } else if !frozen_fits(fz, plan) {
            return Err(bad(&"test records"));
        }
    }
    Ok(prog)
}
