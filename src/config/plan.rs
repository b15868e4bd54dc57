//! Raw config (+ `--set` overrides) → a validated plan, once; errors name the file and key.

use std::path::Path;

use serde::Serialize;

use super::raw::{RawConfig, RawInput};
use crate::error::{Error, Result};
use crate::synapse::exp_stdp::{EvolvePath, ExpStdpParams, ValidExpStdpParams};

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Experiment name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Steps per instance.
    pub steps: usize,
    /// Step length, ms.
    pub dt_ms: f64,
    /// Presynaptic inputs.
    pub n_in: usize,
    /// Postsynaptic units.
    pub n_out: usize,
    /// Rows per update.
    pub batch: usize,
    /// Initial weights uniform in `[init_low, init_high)`.
    pub init_low: f32,
    /// See `init_low`.
    pub init_high: f32,
    /// Forced update path, or `None` for the automatic choice.
    pub path: Option<EvolvePath>,
    /// One entry per instance, in index order.
    pub instances: Vec<InstancePlan>,
    /// Recording cadence.
    pub record: RecordPlan,
    /// The resolved config (file + `--set`), as TOML: what is stored with the results.
    pub resolved_toml: String,
    /// FNV-1a hash of `resolved_toml`, hex ([`fnv1a_hex`]): identifies the
    /// config of a checkpoint.
    pub config_hash: String,
}

/// One instance's parameters.
#[derive(Clone, Debug)]
pub struct InstancePlan {
    /// Index, `0..instances`.
    pub index: usize,
    /// Rule parameters.
    pub params: ValidExpStdpParams,
    /// Input statistics.
    pub input: InputPlan,
}

/// Input statistics in per-step terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputPlan {
    /// As configured.
    pub raw: RawInput,
    /// Presynaptic spike probability per step (`rate · dt`).
    pub pre_p: f64,
    /// Postsynaptic spike probability per step.
    pub post_p: f64,
    /// Presynaptic trace decay per step, `e^(−dt/τ)`.
    pub pre_decay: f32,
    /// Postsynaptic trace decay per step.
    pub post_decay: f32,
}

/// Recording cadence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordPlan {
    /// Statistics every `stride` steps (and at the last step).
    pub stride: usize,
    /// Weight snapshots every `snapshot_stride` steps; 0 = none.
    pub snapshot_stride: usize,
    /// Checkpoint every `checkpoint_every` steps; 0 = never.
    pub checkpoint_every: usize,
    /// Also write CSV statistics.
    pub csv: bool,
}

/// 64-bit FNV-1a of `bytes`, as 16 hex digits: the same bytes give the same
/// hash on every platform and version. A config's hash is taken over its
/// resolved TOML as `toml` serialises it, so it is stable as long as that
/// text is: a new config key, or a `toml`/`serde` upgrade that formats
/// differently, changes it (and with it grid point ids and the checkpoints a
/// run accepts).
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The experiment file `text` (read from `file`) as `T`, an experiment of
/// kind `kind` (`"run"`, `"dc"`), with the `--set` overrides `sets`
/// applied: the one load pipeline of every experiment kind. A `kind` key
/// naming another kind is an error that says which command runs the file;
/// then the file is checked as written, so that its errors carry line and
/// column; then each override is applied and the result checked again (an
/// error then names the overrides).
pub fn toml_with_sets<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
    sets: &[String],
    kind: &str,
) -> Result<T> {
    let mut doc: toml::Table = text.parse().map_err(|e| toml_err(file, text, &e))?;
    check_kind(file, &doc, kind)?;
    let as_written = toml::from_str::<T>(text).map_err(|e| toml_err(file, text, &e))?;
    if sets.is_empty() {
        return Ok(as_written);
    }
    for s in sets {
        apply_set(&mut doc, s).map_err(|m| Error::config(file, "--set", m))?;
    }
    check_kind(file, &doc, kind)?;
    T::deserialize(toml::Value::Table(doc)).map_err(|e| {
        Error::config(
            file,
            "--set",
            format!("after applying {}: {}", sets.join(", "), e.message().trim()),
        )
    })
}

/// The values of an experiment file's `kind` key: `stdp run` and `stdp dc`.
pub const KINDS: [&str; 2] = ["run", "dc"];

/// The `kind` that `doc` (the text of `file`) declares, if any: an error
/// naming the key when it is not a string or not one of [`KINDS`]. The one
/// check of the key, for the loaders ([`toml_with_sets`]) and for grids (which
/// kind a base file is).
pub fn declared_kind<'a>(file: &Path, doc: &'a toml::Table) -> Result<Option<&'a str>> {
    match doc.get("kind") {
        None => Ok(None),
        Some(toml::Value::String(k)) if KINDS.contains(&k.as_str()) => Ok(Some(k)),
        Some(toml::Value::String(k)) => Err(Error::config(
            file,
            "kind",
            format!("unknown kind `{k}`: expected \"run\" or \"dc\""),
        )),
        Some(other) => Err(Error::config(
            file,
            "kind",
            format!("expected a string (\"run\" or \"dc\"), found {other}"),
        )),
    }
}

/// An error when `doc`'s `kind` (if any) is not `kind`.
fn check_kind(file: &Path, doc: &toml::Table, kind: &str) -> Result<()> {
    match declared_kind(file, doc)? {
        Some(k) if k != kind => Err(Error::config(
            file,
            "kind",
            format!("`{k}`: this file is for `stdp {k}`, not `stdp {kind}`"),
        )),
        _ => Ok(()),
    }
}

/// Line and column (1-based) of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A TOML parse or type error of `file` (whose text is `text`) as
/// [`Error::Config`] located by line and column.
pub fn toml_err(file: &Path, text: &str, e: &toml::de::Error) -> Error {
    let key = match e.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            format!("line {l}, column {c}")
        }
        None => "document".into(),
    };
    Error::config(file, key, e.message().trim().to_string())
}

/// Applies one `key=value` override to the document. `value` is read as TOML
/// (`3`, `1e-3`, `true`, `"text"`), or as a bare string when it is not TOML.
pub fn apply_set(doc: &mut toml::Table, set: &str) -> std::result::Result<(), String> {
    let (key, value) = set
        .split_once('=')
        .ok_or_else(|| format!("--set {set}: expected key=value"))?;
    let key = key.trim();
    let parsed: toml::Value = match format!("v = {}", value.trim()).parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(value.into())),
        Err(_) => toml::Value::String(value.trim().to_string()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("--set {set}: empty key segment"));
    }
    let mut table = doc;
    for p in &parts[..parts.len() - 1] {
        let entry = table
            .entry((*p).to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("--set {set}: `{p}` is not a table"))?;
    }
    table.insert(parts[parts.len() - 1].to_string(), parsed);
    Ok(())
}

/// Reads, overrides and validates an experiment config.
pub fn load_plan(path: &Path, sets: &[String]) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    plan_from_str(path, &text, sets)
}

/// [`load_plan`] on text already read; `file` is used in error messages.
pub fn plan_from_str(file: &Path, text: &str, sets: &[String]) -> Result<Plan> {
    let raw: RawConfig = toml_with_sets(file, text, sets, "run")?;
    validate(file, raw)
}

/// `base` with the keys that `over` sets (its `None` fields are left out
/// when serialised) replaced: no parameter list to keep in step with the
/// struct.
fn overridden<T, O>(base: T, over: &O) -> std::result::Result<T, String>
where
    T: Serialize + serde::de::DeserializeOwned,
    O: Serialize,
{
    let mut t = toml::Table::try_from(base).map_err(|e| e.to_string())?;
    t.extend(toml::Table::try_from(over).map_err(|e| e.to_string())?);
    t.try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())
}

fn positive(file: &Path, key: &str, v: f64, what: &str) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::config(file, key, format!("{v}: expected {what}")))
    }
}

fn input_plan(file: &Path, prefix: &str, raw: RawInput, dt_ms: f64) -> Result<InputPlan> {
    let prob = |key: &str, rate: f64| -> Result<f64> {
        let p = rate * dt_ms / 1000.0;
        if !rate.is_finite() || rate < 0.0 {
            return Err(Error::config(
                file,
                format!("{prefix}.{key}"),
                format!("{rate}: expected a rate >= 0 (Hz)"),
            ));
        }
        if p > 1.0 {
            return Err(Error::config(
                file,
                format!("{prefix}.{key}"),
                format!("{rate} Hz at dt_ms = {dt_ms} is more than one spike per step"),
            ));
        }
        Ok(p)
    };
    positive(
        file,
        &format!("{prefix}.tau_pre_ms"),
        raw.tau_pre_ms,
        "a time constant > 0 (ms)",
    )?;
    positive(
        file,
        &format!("{prefix}.tau_post_ms"),
        raw.tau_post_ms,
        "a time constant > 0 (ms)",
    )?;
    Ok(InputPlan {
        raw,
        pre_p: prob("pre_rate_hz", raw.pre_rate_hz)?,
        post_p: prob("post_rate_hz", raw.post_rate_hz)?,
        pre_decay: (-dt_ms / raw.tau_pre_ms).exp() as f32,
        post_decay: (-dt_ms / raw.tau_post_ms).exp() as f32,
    })
}

fn check_rule(file: &Path, prefix: &str, p: ExpStdpParams) -> Result<ValidExpStdpParams> {
    p.check().map_err(|e| match e {
        Error::InvalidParam {
            name,
            value,
            expected,
        } => Error::config(
            file,
            format!("{prefix}.{name}"),
            format!("{value}: expected {expected}"),
        ),
        other => other,
    })
}

fn validate(file: &Path, raw: RawConfig) -> Result<Plan> {
    let resolved_toml = toml::to_string(&raw)
        .map_err(|e| Error::config(file, "document", format!("cannot re-serialise: {e}")))?;
    if raw.name.trim().is_empty() {
        return Err(Error::config(file, "name", "expected a non-empty name"));
    }
    for (key, v) in [("instances", raw.instances), ("steps", raw.steps)] {
        if v == 0 {
            return Err(Error::config(file, key, "0: expected at least 1"));
        }
    }
    positive(file, "dt_ms", raw.dt_ms, "a step length > 0 (ms)")?;
    let s = &raw.synapse;
    for (key, v) in [
        ("synapse.n_in", s.n_in),
        ("synapse.n_out", s.n_out),
        ("synapse.batch", s.batch),
    ] {
        if v == 0 {
            return Err(Error::config(file, key, "0: expected at least 1"));
        }
    }
    if !(s.init_low.is_finite() && s.init_high.is_finite() && s.init_low < s.init_high) {
        return Err(Error::config(
            file,
            "synapse.init_low",
            format!(
                "[{}, {}): expected finite init_low < init_high",
                s.init_low, s.init_high
            ),
        ));
    }
    let path = s.path.forced();
    if raw.record.stride == 0 {
        return Err(Error::config(
            file,
            "record.stride",
            "0: expected at least 1",
        ));
    }
    let base_rule = check_rule(file, "rule", raw.rule)?;
    let base_input = input_plan(file, "input", raw.input, raw.dt_ms)?;
    let mut instances: Vec<InstancePlan> = (0..raw.instances)
        .map(|index| InstancePlan {
            index,
            params: base_rule,
            input: base_input,
        })
        .collect();
    let mut seen = vec![false; raw.instances];
    for (k, o) in raw.overrides.iter().enumerate() {
        let prefix = format!("overrides[{k}]");
        if o.instance >= raw.instances {
            return Err(Error::config(
                file,
                format!("{prefix}.instance"),
                format!(
                    "{}: expected an index below instances = {}",
                    o.instance, raw.instances
                ),
            ));
        }
        if std::mem::replace(&mut seen[o.instance], true) {
            return Err(Error::config(
                file,
                format!("{prefix}.instance"),
                format!("{}: instance overridden twice", o.instance),
            ));
        }
        let rule = overridden(raw.rule, &o.rule)
            .map_err(|m| Error::config(file, format!("{prefix}.rule"), m))?;
        let input = overridden(raw.input, &o.input)
            .map_err(|m| Error::config(file, format!("{prefix}.input"), m))?;
        instances[o.instance].params = check_rule(file, &format!("{prefix}.rule"), rule)?;
        instances[o.instance].input =
            input_plan(file, &format!("{prefix}.input"), input, raw.dt_ms)?;
    }
    Ok(Plan {
        name: raw.name.clone(),
        seed: raw.seed,
        steps: raw.steps,
        dt_ms: raw.dt_ms,
        n_in: s.n_in,
        n_out: s.n_out,
        batch: s.batch,
        init_low: s.init_low,
        init_high: s.init_high,
        path,
        instances,
        record: RecordPlan {
            stride: raw.record.stride,
            snapshot_stride: raw.record.snapshot_stride,
            checkpoint_every: raw.record.checkpoint_every,
            csv: raw.record.csv,
        },
        config_hash: fnv1a_hex(resolved_toml.as_bytes()),
        resolved_toml,
    })
}
