//! `stdp config dc|run`: a complete, commented experiment file of each kind,
//! every key at its default. The keys and values come from the configs'
//! own types (a minimal file read by the loaders' parser, then written back
//! whole), so they cannot drift from what the validator accepts; each key
//! gets its meaning and unit from [`DC_KEYS`] / [`RUN_KEYS`], and a key
//! without one is an error (a test runs both kinds).

use crate::error::{Error, Result};
use crate::experiment::ExperimentKind;
use crate::experiment::dc_config::RawDcConfig;
use crate::plasticity::trace_stdp::TraceStdpParams;

use super::raw::RawConfig;

/// The minimal Diehl & Cook file the template starts from (its required keys).
const DC_MINIMAL: &str = "name = \"my_experiment\"\nseed = 0\nn_exc = 100\n\
    train_examples = 40000\nlabel_examples = 60000\ntest_examples = 10000\n\
    rule = \"dc_original\"\n";

/// The minimal synapse-batch file the template starts from.
const RUN_MINIMAL: &str = "name = \"my_experiment\"\nseed = 0\ninstances = 4\nsteps = 2000\n";

/// Meaning and unit of every key of a Diehl & Cook file (`section.key` for
/// a key of a section).
pub const DC_KEYS: &[(&str, &str)] = &[
    ("kind", "the experiment's kind: \"dc\" (`stdp dc`)"),
    ("name", "the run's name (default run directory runs/<name>)"),
    (
        "seed",
        "seed of the initial weights, input delays and every spike train",
    ),
    ("n_exc", "excitatory (= inhibitory) neurons"),
    (
        "train_examples",
        "training examples, taken in order, cycling (60,000 per epoch; 50,000 with evaluate_on = \"validation\")",
    ),
    (
        "label_examples",
        "frozen presentations of training images that label the neurons (the paper: 60,000)",
    ),
    ("test_examples", "evaluated images (at most 10,000)"),
    (
        "test_repeats",
        "presentations of the evaluated images with fresh spike trains; accuracy as mean +/- std (the paper: 10)",
    ),
    (
        "evaluate_on",
        "\"test\" (the MNIST test set) or \"validation\" (training images 50,000-59,999, never trained on)",
    ),
    (
        "monitor_every",
        "training accuracy per window of this many examples",
    ),
    (
        "checkpoint_every",
        "checkpoint every this many training examples (0 = never); the same command resumes",
    ),
    (
        "rule",
        "plasticity of the input weights: \"dc_original\", \"exp_stdp\" or \"trace_stdp\" (its section below)",
    ),
    ("w_ie", "inhibitory -> excitatory weight"),
    ("theta_plus", "adaptive threshold increment per spike, mV"),
    ("tau_theta_ms", "adaptive threshold decay time constant, ms"),
    (
        "integrator",
        "\"euler\" (the original's forward Euler, clamped to [E_inh, E_exc]) or \"exponential_euler\"",
    ),
    (
        "spike_timer",
        "\"original\" (Brian 1 as the original ran it) or \"brian2_port\" (a 50 ms timer lock-out)",
    ),
    (
        "input_delay_ms",
        "per-synapse input conduction delays, uniform in [lo, hi) ms; [0, 0] turns them off",
    ),
    (
        "count_window",
        "\"original\" (rest spikes count toward the next showing) or \"presentation\"",
    ),
    (
        "ridge_lambdas",
        "the ridge readout's lambda grid (each > 0), chosen on held-out labelling presentations",
    ),
    (
        "frozen_block",
        "frozen presentations per block (blocks run side by side on --threads)",
    ),
    (
        "dc_original.tau_pre_ms",
        "presynaptic trace time constant, ms",
    ),
    (
        "dc_original.tau_post1_ms",
        "first postsynaptic trace time constant (depression), ms",
    ),
    (
        "dc_original.tau_post2_ms",
        "second postsynaptic trace time constant (potentiation), ms",
    ),
    (
        "dc_original.nu_pre",
        "depression rate on presynaptic spikes",
    ),
    (
        "dc_original.nu_post",
        "potentiation rate on postsynaptic spikes",
    ),
    ("dc_original.w_max", "upper weight bound (the lower is 0)"),
    ("exp_stdp.w_bound", "upper weight bound w_b"),
    ("exp_stdp.eta", "learning rate"),
    (
        "exp_stdp.x_tar",
        "presynaptic trace target x_tar: A+ x_tar e^(-beta (w_b - W)) is taken off on a postsynaptic spike",
    ),
    (
        "exp_stdp.exp_beta",
        "steepness beta of the weight dependence (0: none)",
    ),
    ("exp_stdp.a_plus", "potentiation factor A+"),
    (
        "exp_stdp.a_minus",
        "depression factor A- (0: no depression term)",
    ),
    (
        "exp_stdp.w_norm",
        "target L2 norm of each row of W after an update (absent: none)",
    ),
    ("exp_stdp.tau_pre_ms", "presynaptic trace time constant, ms"),
    (
        "exp_stdp.tau_post_ms",
        "postsynaptic trace time constant, ms",
    ),
    ("trace_stdp.a_plus", "potentiation strength A+"),
    (
        "trace_stdp.a_minus",
        "depression strength A- (0 turns depression off)",
    ),
    ("trace_stdp.eta", "global learning rate"),
    ("trace_stdp.mu", "power of the weight dependence (0: none)"),
    (
        "trace_stdp.pretrace_target",
        "presynaptic trace target x_tar",
    ),
    ("trace_stdp.w_bound", "upper weight bound w_b"),
    (
        "trace_stdp.tau_w",
        "weight decay: W/tau_w subtracted every step, in steps (0: off)",
    ),
    (
        "trace_stdp.tau_pre_ms",
        "presynaptic trace time constant, ms",
    ),
    (
        "trace_stdp.tau_post_ms",
        "postsynaptic trace time constant, ms",
    ),
];

/// Meaning and unit of every key of a synapse-batch file.
pub const RUN_KEYS: &[(&str, &str)] = &[
    ("kind", "the experiment's kind: \"run\" (`stdp run`)"),
    ("name", "the run's name (default run directory runs/<name>)"),
    (
        "seed",
        "master seed: instance k draws from the stream (seed, k)",
    ),
    (
        "instances",
        "independent synapse instances, stepped in parallel",
    ),
    ("steps", "simulation steps per instance"),
    ("dt_ms", "step length, ms (scales rates and trace decay)"),
    (
        "overrides",
        "per-instance changes: [[overrides]] with instance = k and rule / input keys",
    ),
    ("synapse.n_in", "presynaptic inputs"),
    ("synapse.n_out", "postsynaptic units"),
    ("synapse.batch", "rows per update (the rule sums over them)"),
    (
        "synapse.init_low",
        "lower end of the uniform initial weights",
    ),
    (
        "synapse.init_high",
        "upper end of the uniform initial weights",
    ),
    (
        "synapse.path",
        "update path: \"auto\", \"reference\", \"fused\" or \"events\"",
    ),
    ("rule.w_bound", "upper weight bound w_b"),
    ("rule.eta", "learning rate"),
    (
        "rule.x_tar",
        "presynaptic trace target x_tar: A+ x_tar e^(-beta (w_b - W)) is taken off on a postsynaptic spike",
    ),
    (
        "rule.exp_beta",
        "steepness beta of the weight dependence (0: none)",
    ),
    ("rule.a_plus", "potentiation factor A+"),
    (
        "rule.a_minus",
        "depression factor A- (0: no depression term)",
    ),
    (
        "rule.w_norm",
        "target L2 norm of each row of W after an update (absent: none)",
    ),
    ("input.pre_rate_hz", "presynaptic Poisson rate, Hz"),
    ("input.post_rate_hz", "postsynaptic Poisson rate, Hz"),
    ("input.tau_pre_ms", "presynaptic trace time constant, ms"),
    ("input.tau_post_ms", "postsynaptic trace time constant, ms"),
    ("record.stride", "a statistics row every this many steps"),
    (
        "record.snapshot_stride",
        "a weight snapshot every this many steps (0: none)",
    ),
    (
        "record.checkpoint_every",
        "checkpoint every this many steps (0: never); the same command resumes",
    ),
    ("record.csv", "also write stats.csv beside stats.parquet"),
];

/// Keys with no default value (absent: off), as `(section, key, example)`:
/// written commented out.
const OPTIONAL_KEYS: &[(&str, &str, &str)] =
    &[("exp_stdp", "w_norm", "1.0"), ("rule", "w_norm", "1.0")];

/// The complete, commented config of `kind`.
pub fn template(kind: ExperimentKind) -> Result<String> {
    let ser = |e: toml::ser::Error| bad(e.to_string());
    let (text, keys) = match kind {
        ExperimentKind::Dc => {
            let raw: RawDcConfig = toml::from_str(DC_MINIMAL).map_err(|e| bad(e.to_string()))?;
            // The keys the resolved config leaves out at their defaults (so
            // that older configs keep their hash) are written all the same,
            // where the struct declares them.
            let t = toml::to_string(&raw).map_err(ser)?;
            let t = insert_after(&t, "test_repeats", "evaluate_on = \"test\"")?;
            let t = insert_after(
                &t,
                "theta_plus",
                &format!("tau_theta_ms = {:?}", raw.tau_theta_ms),
            )?;
            let t = if t.lines().any(|l| l.starts_with("frozen_block = ")) {
                t
            } else {
                insert_after(
                    &t,
                    "ridge_lambdas",
                    &format!("frozen_block = {}", raw.frozen_block),
                )?
            };
            let trace = toml::to_string(&TraceStdpParams::default()).map_err(ser)?;
            (
                format!("kind = \"dc\"\n{t}\n[trace_stdp]\n{trace}"),
                DC_KEYS,
            )
        }
        ExperimentKind::Run => {
            let raw: RawConfig = toml::from_str(RUN_MINIMAL).map_err(|e| bad(e.to_string()))?;
            let t = toml::to_string(&raw).map_err(ser)?;
            (format!("kind = \"run\"\n{t}"), RUN_KEYS)
        }
    };
    let meaning = |key: &str| {
        keys.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| *m)
            .ok_or_else(|| bad(format!("no description of key `{key}`")))
    };
    let mut out = format!(
        "# A complete `stdp {0}` experiment file: every key at its default (the\n\
         # required ones at example values). Generated by `stdp config {0}`.\n",
        kind.command()
    );
    let mut section = String::new();
    let optional = |section: &str, out: &mut String| -> Result<()> {
        for (_, k, example) in OPTIONAL_KEYS.iter().filter(|(s, _, _)| *s == section) {
            *out += &format!(
                "# {}\n# {k} = {example}\n",
                meaning(&format!("{section}.{k}"))?
            );
        }
        Ok(())
    };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            optional(&section, &mut out)?;
            section = name.to_string();
            out += &format!("\n[{section}]\n");
            continue;
        }
        let (k, v) = line
            .split_once(" = ")
            .ok_or_else(|| bad(format!("unexpected line `{line}`")))?;
        let key = if section.is_empty() {
            k.to_string()
        } else {
            format!("{section}.{k}")
        };
        let value: toml::Table =
            toml::from_str(&format!("x = {v}")).map_err(|e| bad(e.to_string()))?;
        let gap = if section.is_empty() { "\n" } else { "" };
        out += &format!(
            "{gap}# {}\n{k} = {}\n",
            meaning(&key)?,
            value_text(&value["x"])
        );
    }
    optional(&section, &mut out)?;
    Ok(out)
}

/// `text` with `line` inserted after the line of top-level `key`.
fn insert_after(text: &str, key: &str, line: &str) -> Result<String> {
    let at = text
        .lines()
        .position(|l| l.starts_with(&format!("{key} = ")))
        .ok_or_else(|| bad(format!("no key `{key}`")))?;
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(at + 1, line);
    Ok(lines.join("\n") + "\n")
}

/// A value as written in TOML; floats that are exactly an `f32` (the
/// configs' f32 keys) in `f32`'s shortest form (`0.01`, not
/// `0.009999999776482582`).
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(x) => {
            let s = if f64::from(*x as f32) == *x {
                format!("{}", *x as f32)
            } else {
                format!("{x}")
            };
            if s.contains(['.', 'e', 'i', 'N']) {
                s
            } else {
                s + ".0"
            }
        }
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(value_text).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn bad(message: String) -> Error {
    Error::file("<config template>", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_template_loads_back_to_the_plan_of_its_minimal_file() {
        let d = tempfile::tempdir().unwrap();
        for kind in ExperimentKind::ALL {
            let text = template(kind).unwrap();
            let full = d.path().join(format!("{}.toml", kind.command()));
            std::fs::write(&full, &text).unwrap();
            let minimal = d.path().join(format!("{}_min.toml", kind.command()));
            let min_text = match kind {
                ExperimentKind::Dc => DC_MINIMAL,
                ExperimentKind::Run => RUN_MINIMAL,
            };
            std::fs::write(&minimal, min_text).unwrap();
            // Same resolved config: every written value is the default.
            let a = kind
                .load(&full, &[])
                .unwrap_or_else(|e| panic!("{text}\n{e}"));
            let b = kind.load(&minimal, &[]).unwrap();
            assert_eq!(a.config_hash(), b.config_hash(), "{text}");
            // Every key line has its comment.
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.contains(" = ") && !l.starts_with("# ") {
                    assert!(lines[i - 1].starts_with("# "), "{l}");
                }
            }
        }
    }

    #[test]
    fn every_described_key_exists() {
        for (kind, keys) in [
            (ExperimentKind::Dc, DC_KEYS),
            (ExperimentKind::Run, RUN_KEYS),
        ] {
            let text = template(kind).unwrap();
            for (k, _) in keys {
                let leaf = k.rsplit('.').next().unwrap();
                assert!(
                    text.lines().any(|l| {
                        l.starts_with(&format!("{leaf} = "))
                            || l.starts_with(&format!("# {leaf} = "))
                    }),
                    "{k} described but not in the template"
                );
            }
        }
    }
}
