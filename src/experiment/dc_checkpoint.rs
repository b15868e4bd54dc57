//! Checkpoints of a Diehl & Cook run, at example boundaries: the whole
//! network state (weights, every neuron variable, the rule's named state, the
//! random stream's position), the training records so far and, once training
//! is over, the labelling and test records so far. A killed run re-run with
//! the same command resumes from the last checkpoint and ends with the same
//! results as an uninterrupted run.

use std::path::Path;

use ndarray::{Array1, Array2, aview1};

use super::dc_config::DcPlan;
use crate::error::{Error, Result};
use crate::network::diehl_cook::{DcStats, DiehlCook};
use crate::network::readout::{CLASSES, ClassRates};
use crate::network::ridge::{RidgeFit, RidgeReadout, SparseCounts};
use crate::neuron::lif::LifPopulation;
use crate::record::atomic::write_atomically;
use crate::record::h5::{
    create_file, get_1d, get_2d, get_scalar, get_str, get_u128, h5err, open_checkpoint, open_file,
    put, set_scalar, set_str, set_u128,
};

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

/// The populations' f32 variables (θ, f64, is written beside them).
const POP_FIELDS: [&str; 4] = ["v", "ge", "gi", "timer"];

fn pop_fields(p: &LifPopulation) -> [&Vec<f32>; 4] {
    [&p.v, &p.ge, &p.gi, &p.timer]
}

fn pop_fields_mut(p: &mut LifPopulation) -> [&mut Vec<f32>; 4] {
    [&mut p.v, &mut p.ge, &mut p.gi, &mut p.timer]
}

/// Writes the checkpoint (atomically).
pub fn write_dc_checkpoint(
    path: &Path,
    plan: &DcPlan,
    net: &DiehlCook,
    prog: &TrainProgress,
) -> Result<()> {
    write_atomically(path, |tmp| {
        let p = path;
        let f = create_file(tmp)?;
        set_str(&f, "config_hash", &plan.config_hash, p)?;
        set_scalar(&f, "done", prog.done as u64, p)?;
        set_scalar(&f, "showings", prog.showings, p)?;
        set_scalar(&f, "train_seconds", prog.train_seconds, p)?;
        set_u128(&f, "rng_pos", net.rng_word_pos(), p)?;
        let stats = net.stats();
        set_scalar(&f, "clock", net.clock(), p)?;
        set_scalar(&f, "stat_steps", stats.steps, p)?;
        set_scalar(&f, "stat_overshoot_steps", stats.overshoot_steps, p)?;
        set_scalar(
            &f,
            "stat_max_exc_spikes_in_step",
            stats.max_exc_spikes_in_step,
            p,
        )?;
        put(&f, "w", &net.weights(), p)?;
        for (prefix, pop) in [("exc", &net.exc), ("inh", &net.inh)] {
            for (name, v) in POP_FIELDS.iter().zip(pop_fields(pop)) {
                put(&f, &format!("{prefix}_{name}"), &Array1::from(v.clone()), p)?;
            }
            put(
                &f,
                &format!("{prefix}_theta"),
                &Array1::from(pop.theta.clone()),
                p,
            )?;
            put(
                &f,
                &format!("{prefix}_since_spike"),
                &Array1::from(pop.since_spike.clone()),
                p,
            )?;
        }
        let state = net.rule_state().ok_or_else(|| {
            Error::file(
                p,
                "delayed plasticity still in flight: not an example boundary",
            )
        })?;
        set_str(&f, "rule", net.rule_name().unwrap_or_default(), p)?;
        for (name, v) in &state {
            put(&f, &format!("rule_{name}"), &Array1::from(v.clone()), p)?;
        }
        if let Some(pending) = net.pending_conductance() {
            put(&f, "pending_ge", &Array1::from(pending.to_vec()), p)?;
        }
        put(
            &f,
            "carried_counts",
            &Array1::from(net.carried_counts().to_vec()),
            p,
        )?;
        let (sums, examples) = prog.window.to_parts();
        put(&f, "window_sums", &Array1::from(sums), p)?;
        put(&f, "window_examples", &Array1::from(examples), p)?;
        set_scalar(
            &f,
            "has_assignments",
            u8::from(prog.assignments.is_some()),
            p,
        )?;
        put(
            &f,
            "assignments",
            &Array1::from(prog.assignments.clone().unwrap_or_default()),
            p,
        )?;
        put(
            &f,
            "curve_x",
            &prog
                .curve
                .iter()
                .map(|c| c.0 as u64)
                .collect::<Array1<u64>>(),
            p,
        )?;
        put(
            &f,
            "curve_y",
            &prog.curve.iter().map(|c| c.1).collect::<Array1<f64>>(),
            p,
        )?;
        put(
            &f,
            "total_spikes",
            &Array1::from(prog.total_spikes.clone()),
            p,
        )?;
        put(
            &f,
            "train_labels",
            &Array1::from(prog.train_labels.clone()),
            p,
        )?;
        put(&f, "train_pred", &Array1::from(prog.train_pred.clone()), p)?;
        set_scalar(&f, "has_frozen", u8::from(prog.frozen.is_some()), p)?;
        if let Some(fz) = &prog.frozen {
            set_scalar(&f, "frozen_block", plan.frozen_block as u64, p)?;
            set_scalar(&f, "frozen_labelled", fz.labelled as u64, p)?;
            let (sums, examples) = fz.rates.to_parts();
            put(&f, "frozen_rate_sums", &Array1::from(sums), p)?;
            put(&f, "frozen_rate_examples", &Array1::from(examples), p)?;
            let (offsets, neurons, counts, labels) = fz.label_counts.to_parts();
            put(&f, "frozen_label_offsets", &aview1(offsets), p)?;
            put(&f, "frozen_label_neurons", &aview1(neurons), p)?;
            put(&f, "frozen_label_counts", &aview1(counts), p)?;
            put(&f, "frozen_label_labels", &aview1(labels), p)?;
            set_scalar(&f, "frozen_has_ridge", u8::from(fz.ridge.is_some()), p)?;
            if let Some(r) = &fz.ridge {
                put(&f, "ridge_weights", &r.readout.weights, p)?;
                set_scalar(&f, "ridge_lambda", r.readout.lambda, p)?;
                set_scalar(&f, "ridge_seconds", r.seconds, p)?;
                let (l, a): (Vec<f64>, Vec<f64>) = r.held_out.iter().copied().unzip();
                put(&f, "ridge_grid_lambdas", &Array1::from(l), p)?;
                put(&f, "ridge_grid_accuracy", &Array1::from(a), p)?;
            }
            put(&f, "frozen_ridge_predictions", &fz.ridge_predictions, p)?;
            set_scalar(&f, "frozen_tested", fz.tested as u64, p)?;
            put(&f, "frozen_predictions", &fz.predictions, p)?;
            put(&f, "frozen_test_spikes", &fz.test_spikes, p)?;
            set_scalar(&f, "frozen_seconds", fz.seconds, p)?;
        }
        f.close().map_err(h5err(p))
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
}

/// Reads the [`CheckpointPhase`] of the checkpoint at `path`.
pub fn read_phase(path: &Path) -> Result<CheckpointPhase> {
    let f = open_file(path).map_err(h5err(path))?;
    let done = get_scalar::<u64>(&f, "done", path)? as usize;
    let frozen = if in_frozen_phase(&f, path)? {
        Some((
            get_scalar::<u64>(&f, "frozen_labelled", path)? as usize,
            get_scalar::<u64>(&f, "frozen_tested", path)? as usize,
        ))
    } else {
        None
    };
    Ok(CheckpointPhase {
        done,
        frozen,
        curve: read_curve(&f, path)?,
    })
}

/// The training curve of the checkpoint `f`: (examples, accuracy %) per
/// finished monitoring window (`curve_x`, `curve_y`).
fn read_curve(f: &hdf5::File, path: &Path) -> Result<Vec<(usize, f64)>> {
    let cx: Array1<u64> = get_1d(f, "curve_x", path)?;
    let cy: Array1<f64> = get_1d(f, "curve_y", path)?;
    Ok(cx.iter().zip(&cy).map(|(&x, &y)| (x as usize, y)).collect())
}

/// Whether the checkpoint `f` was written after training (labelling or
/// testing). Checkpoints written before the frozen phases were saved have
/// no `has_frozen`: they are training checkpoints.
fn in_frozen_phase(f: &hdf5::File, path: &Path) -> Result<bool> {
    let has = f
        .attr_names()
        .is_ok_and(|n| n.iter().any(|a| a == "has_frozen"));
    Ok(has && get_scalar::<u8>(f, "has_frozen", path)? == 1)
}

/// Restores the rule's state (datasets `rule_<name>`, in the order of
/// [`DiehlCook::rule_state_names`]) and the pending delayed conductance
/// (`pending_ge`). A checkpoint of the builds before the rules had named
/// state holds the same vectors as `trace_0..k` (attribute `traces` = k + 1),
/// in that order with the pending conductance last: it is read as such, so
/// a run in flight resumes across the change.
fn read_rule_state(f: &hdf5::File, net: &mut DiehlCook, path: &Path) -> Result<()> {
    let bad = |what: String| {
        Error::file(
            path,
            format!("checkpoint does not fit this network: {what}"),
        )
    };
    let names = net.rule_state_names();
    let delayed = net.pending_conductance().is_some();
    let legacy = f
        .attr_names()
        .is_ok_and(|n| n.iter().any(|a| a == "traces"));
    let (state, pending) = if legacy {
        let n: u64 = get_scalar(f, "traces", path)?;
        let mut all: Vec<Vec<f32>> = (0..n)
            .map(|k| get_1d::<f32>(f, &format!("trace_{k}"), path).map(|a| a.to_vec()))
            .collect::<Result<_>>()?;
        let pending = if delayed { all.pop() } else { None };
        (all, pending)
    } else {
        let rule = get_str(f, "rule", path)?;
        if Some(rule.as_str()) != net.rule_name() {
            return Err(bad(format!(
                "its rule is `{rule}`, this run's `{}`",
                net.rule_name().unwrap_or_default()
            )));
        }
        let state = names
            .iter()
            .map(|n| get_1d::<f32>(f, &format!("rule_{n}"), path).map(|a| a.to_vec()))
            .collect::<Result<_>>()?;
        let pending = if delayed {
            Some(get_1d::<f32>(f, "pending_ge", path)?.to_vec())
        } else {
            None
        };
        (state, pending)
    };
    if !net.set_rule_state(&state) {
        return Err(bad(format!(
            "the plasticity state (expected {})",
            names.join(", ")
        )));
    }
    if let Some(p) = pending
        && !net.set_pending_conductance(&p)
    {
        return Err(bad("the pending delayed conductance".into()));
    }
    Ok(())
}

/// Restores `net` and the training records from a checkpoint of `plan`'s run.
pub fn read_dc_checkpoint(
    path: &Path,
    plan: &DcPlan,
    net: &mut DiehlCook,
) -> Result<TrainProgress> {
    let f = open_checkpoint(path, &plan.config_hash)?;
    let bad = |what: &str| {
        Error::file(
            path,
            format!("checkpoint does not fit this network: {what}"),
        )
    };
    let w: Array2<f32> = get_2d(&f, "w", path)?;
    if w.dim() != net.weights().dim() {
        return Err(bad("weights"));
    }
    net.set_weights(w)?;
    for prefix in ["exc", "inh"] {
        let pop = if prefix == "exc" {
            &mut net.exc
        } else {
            &mut net.inh
        };
        for (name, dst) in POP_FIELDS.iter().zip(pop_fields_mut(pop)) {
            let v: Array1<f32> = get_1d(&f, &format!("{prefix}_{name}"), path)?;
            if v.len() != dst.len() {
                return Err(bad(name));
            }
            *dst = v.to_vec();
        }
        let name = format!("{prefix}_theta");
        let single = f
            .dataset(&name)
            .and_then(|d| d.dtype())
            .is_ok_and(|t| t.size() == 4);
        if single {
            return Err(Error::file(
                path,
                format!(
                    "dataset `{name}` is float32: the checkpoint was written by a build that \
                     held θ in float32 (docs/numerics.md), a different model; start the run \
                     again with --force"
                ),
            ));
        }
        let theta: Array1<f64> = get_1d(&f, &name, path)?;
        if theta.len() != pop.theta.len() {
            return Err(bad("theta"));
        }
        pop.theta = theta.to_vec();
        let since: Array1<u32> = get_1d(&f, &format!("{prefix}_since_spike"), path)?;
        if since.len() != pop.since_spike.len() {
            return Err(bad("since_spike"));
        }
        pop.since_spike = since.to_vec();
        pop.wake_all();
    }
    net.set_clock_and_stats(
        get_scalar(&f, "clock", path)?,
        DcStats {
            steps: get_scalar(&f, "stat_steps", path)?,
            overshoot_steps: get_scalar(&f, "stat_overshoot_steps", path)?,
            max_exc_spikes_in_step: get_scalar(&f, "stat_max_exc_spikes_in_step", path)?,
        },
    );
    read_rule_state(&f, net, path)?;
    let carried: Array1<u32> = get_1d(&f, "carried_counts", path)?;
    if !net.set_carried_counts(&carried.to_vec()) {
        return Err(bad("carried_counts"));
    }
    net.set_rng_word_pos(get_u128(&f, "rng_pos", path)?);
    let sums: Array1<f64> = get_1d(&f, "window_sums", path)?;
    let examples: Array1<u64> = get_1d(&f, "window_examples", path)?;
    let window = ClassRates::from_parts(plan.params.n_exc, &sums.to_vec(), &examples.to_vec())
        .ok_or_else(|| bad("monitoring window"))?;
    let has: u8 = get_scalar(&f, "has_assignments", path)?;
    // Frozen records of another block layout (or of a build that ran the
    // frozen phases as one sequence) cannot be continued: the frozen phases
    // start again from the checkpoint's state (training is kept).
    let same_blocks = || -> Result<bool> {
        let has = f
            .attr_names()
            .is_ok_and(|n| n.iter().any(|a| a == "frozen_block"));
        Ok(has && get_scalar::<u64>(&f, "frozen_block", path)? == plan.frozen_block as u64)
    };
    let frozen = if in_frozen_phase(&f, path)? && same_blocks()? {
        let sums: Array1<f64> = get_1d(&f, "frozen_rate_sums", path)?;
        let examples: Array1<u64> = get_1d(&f, "frozen_rate_examples", path)?;
        let rates = ClassRates::from_parts(plan.params.n_exc, &sums.to_vec(), &examples.to_vec())
            .ok_or_else(|| bad("labelling rates"))?;
        let predictions: Array2<u8> = get_2d(&f, "frozen_predictions", path)?;
        let test_spikes: Array2<u32> = get_2d(&f, "frozen_test_spikes", path)?;
        let shape = (plan.test_repeats, plan.test_examples);
        let ridge_predictions: Array2<u8> = get_2d(&f, "frozen_ridge_predictions", path)?;
        if predictions.dim() != shape
            || test_spikes.dim() != shape
            || ridge_predictions.dim() != shape
        {
            return Err(bad("test records"));
        }
        let label_counts = SparseCounts::from_parts(
            plan.params.n_exc,
            get_1d::<u64>(&f, "frozen_label_offsets", path)?.to_vec(),
            get_1d::<u32>(&f, "frozen_label_neurons", path)?.to_vec(),
            get_1d::<u32>(&f, "frozen_label_counts", path)?.to_vec(),
            get_1d::<u8>(&f, "frozen_label_labels", path)?.to_vec(),
        )
        .ok_or_else(|| bad("labelling counts"))?;
        let ridge = if get_scalar::<u8>(&f, "frozen_has_ridge", path)? == 1 {
            let weights: Array2<f64> = get_2d(&f, "ridge_weights", path)?;
            if weights.dim() != (plan.params.n_exc + 1, CLASSES) {
                return Err(bad("ridge_weights"));
            }
            let l: Array1<f64> = get_1d(&f, "ridge_grid_lambdas", path)?;
            let a: Array1<f64> = get_1d(&f, "ridge_grid_accuracy", path)?;
            Some(RidgeFit {
                readout: RidgeReadout {
                    weights,
                    lambda: get_scalar(&f, "ridge_lambda", path)?,
                },
                held_out: l.iter().copied().zip(a.iter().copied()).collect(),
                seconds: get_scalar(&f, "ridge_seconds", path)?,
            })
        } else {
            None
        };
        Some(FrozenProgress {
            labelled: get_scalar::<u64>(&f, "frozen_labelled", path)? as usize,
            rates,
            label_counts,
            ridge,
            ridge_predictions,
            tested: get_scalar::<u64>(&f, "frozen_tested", path)? as usize,
            predictions,
            test_spikes,
            seconds: get_scalar(&f, "frozen_seconds", path)?,
        })
    } else {
        None
    };
    Ok(TrainProgress {
        done: get_scalar::<u64>(&f, "done", path)? as usize,
        showings: get_scalar(&f, "showings", path)?,
        train_seconds: get_scalar(&f, "train_seconds", path)?,
        window,
        assignments: (has == 1)
            .then(|| get_1d::<i8>(&f, "assignments", path).map(|a| a.to_vec()))
            .transpose()?,
        curve: read_curve(&f, path)?,
        total_spikes: get_1d::<u32>(&f, "total_spikes", path)?.to_vec(),
        train_labels: get_1d::<u8>(&f, "train_labels", path)?.to_vec(),
        train_pred: get_1d::<u8>(&f, "train_pred", path)?.to_vec(),
        frozen,
    })
}
