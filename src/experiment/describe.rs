//! What `stdp inspect` shows of a run directory or result file: the
//! binary only prints [`describe`]'s text.

use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;

use super::ExperimentKind;
use super::batch_result::read_result;
use super::dc_checkpoint::read_phase;
use super::dc_run::summary_key;
use super::run_dir::{CHECKPOINT_FILE, RESULT_FILE, SUMMARY_FILE, result_kind};
use crate::error::{Error, Result};
use crate::harness::checkpoint::checkpoint_step;
use crate::network::diehl_cook::DcParams;
use crate::record::frame::to_frame;
use crate::record::h5::{get_1d, get_2d, get_scalar, get_str, open_file};

/// The keys of a Diehl & Cook run's `summary.json` that `stdp inspect` shows
/// (fields of [`DcSummary`](super::dc_run::DcSummary)).
pub const INSPECT_SUMMARY_KEYS: [&str; 15] = [
    summary_key!(train_examples),
    summary_key!(label_spike_share_top1pct),
    summary_key!(ridge_accuracy_percent),
    summary_key!(ridge_lambda),
    summary_key!(count_window),
    summary_key!(showings_per_example),
    summary_key!(spikes_per_example),
    summary_key!(max_exc_spikes_in_step),
    summary_key!(overshoot_steps),
    summary_key!(integrator),
    summary_key!(spike_timer),
    summary_key!(input_delay_ms),
    summary_key!(ms_per_train_example),
    summary_key!(wall_time_s),
    summary_key!(command),
];

/// Where a Diehl & Cook checkpoint stands: "after N training examples" (in
/// the frozen phase with how many labelling / test presentations are done)
/// and a line with the last windows of the training curve, if any; `None`
/// when `ckpt` is not one.
fn dc_checkpoint_done(ckpt: &Path) -> Option<(String, Vec<String>)> {
    let phase = read_phase(ckpt).ok()?;
    let mut text = format!("after {} training examples", phase.done);
    if let Some((labelled, tested)) = phase.frozen {
        text += &format!(
            " (training finished; {labelled} labelling and {tested} test presentations done)"
        );
    }
    let mut lines: Vec<String> = phase.theta.as_deref().map(theta_line).into_iter().collect();
    let curve = (!phase.curve.is_empty()).then(|| {
        let last = &phase.curve[phase.curve.len().saturating_sub(CURVE_SHOWN)..];
        let windows: Vec<String> = last
            .iter()
            .map(|(x, y)| format!("{y:.2} % at {x}"))
            .collect();
        format!(
            "training accuracy of the last {} monitoring windows (of {}): {}",
            last.len(),
            phase.curve.len(),
            windows.join(", ")
        )
    });
    lines.extend(curve);
    Some((text, lines))
}

/// θ of the excitatory neurons in one line: mean, min, max and how many
/// are at the resting edge ([`DcParams::resting_edge_theta`]; the membrane
/// constants it depends on are the original's in every run).
fn theta_line(theta: &[f64]) -> String {
    let n = theta.len();
    let (lo, hi) = theta
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let params = DcParams::original(n);
    format!(
        "theta: mean {:.2} mV, min {lo:.2}, max {hi:.2}; {} of {n} neurons at the resting edge (theta <= {:.2} mV)",
        theta.iter().sum::<f64>() / n.max(1) as f64,
        params.resting_edge_neurons(theta),
        params.resting_edge_theta()
    )
}

/// Windows of the training curve `stdp inspect` shows for an unfinished run.
const CURVE_SHOWN: usize = 5;

/// What `stdp inspect` shows of a Diehl & Cook run: its config, accuracy,
/// neurons and thresholds, and the summary's health counters.
fn describe_dc(dir: &Path, file: &Path) -> Result<String> {
    let mut o = String::new();
    let f = open_file(file).map_err(|e| Error::file(file, e))?;
    let name = get_str(&f, "name", file)?;
    let version = get_str(&f, "crate_version", file)?;
    let seed: u64 = get_scalar(&f, "seed", file)?;
    let acc: f64 = get_scalar(&f, "accuracy_percent", file)?;
    let std = get_scalar::<f64>(&f, "accuracy_std_percent", file).unwrap_or(0.0);
    let on = get_str(&f, "evaluated_on", file)?;
    let theta: ndarray::Array1<f32> = get_1d(&f, "theta", file)?;
    let assign: ndarray::Array1<i8> = get_1d(&f, "assignments", file)?;
    let w: ndarray::Array2<f32> = get_2d(&f, "weights", file)?;
    let _ = writeln!(
        o,
        "{}: Diehl & Cook run `{name}` (stdp-harness {version}), seed {seed}",
        file.display()
    );
    let _ = writeln!(
        o,
        "{on} accuracy {acc:.2} ± {std:.2} %; {} excitatory neurons ({} unassigned), weights {}x{}",
        theta.len(),
        assign.iter().filter(|&&a| a < 0).count(),
        w.nrows(),
        w.ncols()
    );
    let per_class: Vec<String> = (0..10)
        .map(|c| format!("{c}:{}", assign.iter().filter(|&&a| a == c).count()))
        .collect();
    let _ = writeln!(o, "neurons per class: {}", per_class.join(" "));
    let theta: Vec<f64> = theta.iter().map(|&t| f64::from(t)).collect();
    let _ = writeln!(o, "{}", theta_line(&theta));
    let summary = dir.join(SUMMARY_FILE);
    if let Ok(text) = std::fs::read_to_string(&summary) {
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::file(&summary, e))?;
        for key in INSPECT_SUMMARY_KEYS {
            if let Some(x) = v.get(key) {
                let _ = writeln!(o, "{key}: {x}");
            }
        }
    }
    o.push('\n');
    let _ = writeln!(o, "config:\n{}", get_str(&f, "config", file)?.trim_end());
    Ok(o)
}

/// What `stdp inspect PATH` prints: a finished run's config, parameters and
/// final records (a synapse batch or a Diehl & Cook run, as its result file
/// says), or where an unfinished run's checkpoint stands.
pub fn describe(path: &Path) -> Result<String> {
    if !path.exists() {
        return Err(Error::file(path, "no such file or directory"));
    }
    let mut o = String::new();
    let (dir, file) = if path.is_dir() {
        (path.to_path_buf(), path.join(RESULT_FILE))
    } else {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    };
    if !file.exists() && path.is_dir() {
        let ckpt = dir.join(CHECKPOINT_FILE);
        if ckpt.exists() {
            if let Some((done, lines)) = dc_checkpoint_done(&ckpt) {
                let _ = writeln!(
                    o,
                    "{}: unfinished Diehl & Cook run, checkpoint {done}; run the same command again to resume",
                    dir.display()
                );
                for line in lines {
                    let _ = writeln!(o, "{line}");
                }
                return Ok(o);
            }
            let step = checkpoint_step(&ckpt)?;
            let _ = writeln!(
                o,
                "{}: unfinished run, checkpoint at step {step}; run the same command again to resume",
                dir.display()
            );
            return Ok(o);
        }
        return Err(Error::file(
            &dir,
            format!("no {RESULT_FILE} and no {CHECKPOINT_FILE}: not a run directory"),
        ));
    }
    // The kind the file says it is (an unreadable file falls through to
    // the batch reader, whose error names what is wrong with it).
    let kind = open_file(&file)
        .ok()
        .and_then(|f| result_kind(&f, &file).ok());
    if kind == Some(ExperimentKind::Dc) {
        return describe_dc(&dir, &file);
    }
    let r = read_result(&file)?;
    let _ = writeln!(
        o,
        "{}: run `{}` (stdp-harness {}), seed {}, {} steps, {} instances",
        file.display(),
        r.name,
        r.crate_version,
        r.seed,
        r.steps,
        r.weights.len()
    );
    o.push('\n');
    let _ = writeln!(o, "config:\n{}", r.config.trim_end());
    let n = r.params.len();
    let mut cols = vec![Column::new(
        "instance".into(),
        (0..n as u32).collect::<Vec<_>>(),
    )];
    if let Some(first) = r.params.first() {
        for (k, (name, _)) in first.iter().enumerate() {
            let v: Vec<f64> = r.params.iter().map(|p| p[k].1).collect();
            cols.push(Column::new(name.as_str().into(), v));
        }
    }
    let params = DataFrame::new(n, cols).map_err(|e| Error::file(&file, e))?;
    let stats = to_frame(&r.stats)?;
    let last = stats
        .lazy()
        .filter(col("step").eq(lit(r.steps)))
        .select([
            col("instance"),
            col("w_mean"),
            col("w_std"),
            col("frac_at_lower"),
            col("frac_at_upper"),
            col("mean_abs_dw"),
            col("pre_rate"),
            col("post_rate"),
        ])
        .collect()
        .map_err(|e| Error::file(&file, e))?;
    o.push('\n');
    let _ = writeln!(o, "parameters:\n{params}");
    o.push('\n');
    let _ = writeln!(o, "final statistics (step {}):\n{last}", r.steps);
    Ok(o)
}
