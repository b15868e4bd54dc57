//! Diehl & Cook experiment configs (`experiments/diehl_cook_*.toml`): raw TOML
//! (+ `--set`) → a validated plan; errors name the file and key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::plan::{fnv1a_hex, toml_with_sets};
use crate::error::{Error, Result};
use crate::network::diehl_cook::{CountWindow, DcParams, Plasticity};
use crate::neuron::lif::{AdaptiveThreshold, Integrator, Refractory};
use crate::plasticity::trace_stdp::TraceStdpParams;
use crate::synapse::dc_original::DcStdpParams;
use crate::synapse::exp_stdp::ExpStdpParams;

/// The plasticity rule of a Diehl & Cook experiment (`rule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcRule {
    /// The original code's rule (`[dc_original]`).
    DcOriginal,
    /// The seed's exponential weight-dependent rule (`[exp_stdp]`).
    ExpStdp,
    /// ngclearn's trace-based STDP (`[trace_stdp]`).
    TraceStdp,
}

impl DcRule {
    /// Its name in configs and summaries.
    pub fn name(self) -> &'static str {
        match self {
            DcRule::DcOriginal => "dc_original",
            DcRule::ExpStdp => "exp_stdp",
            DcRule::TraceStdp => "trace_stdp",
        }
    }
}

/// The file as written.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDcConfig {
    /// The experiment's kind, `"dc"` when given (optional; not part of the
    /// resolved config or its hash).
    #[serde(default, skip_serializing)]
    pub kind: Option<String>,
    /// Experiment name.
    pub name: String,
    /// Seed of the initial weights and of every spike train.
    pub seed: u64,
    /// Excitatory (= inhibitory) neurons.
    pub n_exc: usize,
    /// Training examples (60,000 per epoch; examples are taken in order, cycling).
    pub train_examples: usize,
    /// After training, frozen responses (learning and θ off) to this many
    /// training examples label the neurons (the paper: all 60,000; the
    /// examples are the last ones before `train_examples`, cycling).
    pub label_examples: usize,
    /// Test examples (the first N of the 10,000, or of the validation images).
    pub test_examples: usize,
    /// Presentations of the test examples, each with fresh Poisson spike
    /// trains; the accuracy is reported as mean ± std over them (paper: 10).
    #[serde(default = "default_repeats")]
    pub test_repeats: usize,
    /// Which images the test examples are: `test` (the MNIST test set, the
    /// default) or `validation` (training images 50,000-59,999, for tuning
    /// hyperparameters without looking at the test set).
    #[serde(default, skip_serializing_if = "Evaluation::is_test")]
    pub evaluate_on: Evaluation,
    /// Training accuracy is monitored over windows of this many examples.
    #[serde(default = "default_monitor")]
    pub monitor_every: usize,
    /// Checkpoint every this many training examples (0 = never).
    #[serde(default = "default_checkpoint")]
    pub checkpoint_every: usize,
    /// The plasticity rule.
    pub rule: DcRule,
    /// Parameters of `dc_original`.
    #[serde(default)]
    pub dc_original: DcStdpParams,
    /// Parameters of `exp_stdp`.
    #[serde(default)]
    pub exp_stdp: RawExpStdp,
    /// Parameters of `trace_stdp` (left out of the resolved config when
    /// absent or at its defaults, so that configs written before the rule
    /// existed keep their hash).
    #[serde(default, skip_serializing_if = "is_default_trace_stdp")]
    pub trace_stdp: Option<TraceStdpParams>,
    /// Inhibitory → excitatory weight (the paper changes it between sizes).
    #[serde(default = "default_w_ie")]
    pub w_ie: f32,
    /// Adaptive threshold increment per spike, mV.
    #[serde(default = "default_theta_plus")]
    pub theta_plus: f64,
    /// Decay time constant of the adaptive threshold, ms (the original's
    /// 10⁷ ms; the paper changes the threshold's parameters between sizes).
    /// Left out of the resolved config at its default, so that configs
    /// written before this key existed keep their hash.
    #[serde(
        default = "default_tau_theta_ms",
        skip_serializing_if = "is_default_tau_theta"
    )]
    pub tau_theta_ms: f64,
    /// Membrane integrator: `euler` (default: the original's forward Euler,
    /// clamped to `[E_inh, E_exc]`) or `exponential_euler` (exact for a
    /// step's frozen conductances).
    #[serde(default = "default_integrator")]
    pub integrator: String,
    /// Spike timer and refractoriness: `original` (Brian 1 as the original
    /// code ran it: timer at 100 ms/ms, excitatory `v` free after a spike) or
    /// `brian2_port` (timer at 0.1 ms/ms, a 50 ms lock-out, `v` held while
    /// refractory, as in the Brian 2 ports).
    #[serde(default = "default_spike_timer")]
    pub spike_timer: String,
    /// Input conduction delays `[lo, hi]`, ms: drawn once per synapse,
    /// uniform in `[lo, hi)`; `[0, 0]` turns them off.
    #[serde(default = "default_delays")]
    pub input_delay_ms: [f32; 2],
    /// Which excitatory spikes count toward a showing: `original` (the
    /// default: the original reads its spike counter right after each
    /// presentation, so the spikes of the rest before a showing count
    /// toward it) or `presentation` (only the presentation's spikes).
    #[serde(default = "default_count_window")]
    pub count_window: String,
    /// The λ grid of the ridge readout (chosen on held-out labelling
    /// presentations; `crate::network::ridge`), each > 0.
    #[serde(default = "default_ridge_lambdas")]
    pub ridge_lambdas: Vec<f64>,
    /// Frozen presentations (labelling, testing) run in blocks of this many
    /// consecutive examples, each block from the state training left, in
    /// parallel (`crate::network::frozen`). Left out of the resolved config
    /// at its default.
    #[serde(
        default = "default_frozen_block",
        skip_serializing_if = "is_default_frozen_block"
    )]
    pub frozen_block: usize,
}

/// Examples per frozen block: 60 blocks in the paper's labelling pass, 10
/// per test repeat; a new start state for 0.1 % of the presentations.
pub const DEFAULT_FROZEN_BLOCK: usize = 1000;

fn default_frozen_block() -> usize {
    DEFAULT_FROZEN_BLOCK
}

fn is_default_frozen_block(b: &usize) -> bool {
    *b == DEFAULT_FROZEN_BLOCK
}

/// The images a run is evaluated on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// The MNIST test set.
    #[default]
    Test,
    /// Training images [`VALIDATION_START`]`..60,000`, never trained on
    /// (training then cycles over the images before them,
    /// [`DcPlan::training_pool`]).
    Validation,
}

impl Evaluation {
    /// Whether this is the default (kept out of the resolved config, so
    /// configs written before this key existed keep their hash).
    pub fn is_test(&self) -> bool {
        *self == Evaluation::Test
    }

    /// `"test"` or `"validation"`.
    pub fn name(self) -> &'static str {
        match self {
            Evaluation::Test => "test",
            Evaluation::Validation => "validation",
        }
    }
}

/// First training image of the validation images.
pub const VALIDATION_START: usize = 50_000;

fn default_monitor() -> usize {
    10_000
}
fn default_checkpoint() -> usize {
    5_000
}
fn default_w_ie() -> f32 {
    17.0
}
fn default_theta_plus() -> f64 {
    0.05
}
fn default_tau_theta_ms() -> f64 {
    1e7
}
fn default_count_window() -> String {
    CountWindow::Original.name().into()
}
fn default_ridge_lambdas() -> Vec<f64> {
    vec![1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, 1e5]
}
fn is_default_tau_theta(x: &f64) -> bool {
    *x == default_tau_theta_ms()
}
fn default_repeats() -> usize {
    1
}
fn is_default_trace_stdp(t: &Option<TraceStdpParams>) -> bool {
    t.is_none_or(|t| t == TraceStdpParams::default())
}
fn default_integrator() -> String {
    "euler".into()
}
fn default_spike_timer() -> String {
    "original".into()
}
fn default_delays() -> [f32; 2] {
    [0.0, 10.0]
}

/// The largest input delay accepted, ms (shorter than the 150 ms rest, so
/// every delayed spike arrives before the next example).
pub const MAX_INPUT_DELAY_MS: f32 = 100.0;

/// `[exp_stdp]`: the seed's rule and its trace time constants.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawExpStdp {
    /// Rule parameters.
    #[serde(flatten)]
    pub rule: ExpStdpParams,
    /// Presynaptic trace time constant, ms.
    pub tau_pre_ms: f32,
    /// Postsynaptic trace time constant, ms.
    pub tau_post_ms: f32,
}

impl Default for RawExpStdp {
    fn default() -> Self {
        RawExpStdp {
            rule: ExpStdpParams {
                eta: 0.01,
                ..ExpStdpParams::default()
            },
            tau_pre_ms: 20.0,
            tau_post_ms: 20.0,
        }
    }
}

/// A validated experiment.
#[derive(Clone, Debug)]
pub struct DcPlan {
    /// Experiment name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Network parameters.
    pub params: DcParams,
    /// Training examples.
    pub train_examples: usize,
    /// Labelling examples.
    pub label_examples: usize,
    /// Test examples.
    pub test_examples: usize,
    /// Presentations of the test examples.
    pub test_repeats: usize,
    /// Which images the test examples are.
    pub evaluate_on: Evaluation,
    /// Monitoring window.
    pub monitor_every: usize,
    /// Checkpoint interval in training examples (0 = never).
    pub checkpoint_every: usize,
    /// The plasticity rule.
    pub rule: DcRule,
    /// `euler` or `exponential_euler`.
    pub integrator: String,
    /// `original` or `brian2_port`.
    pub spike_timer: String,
    /// The ridge readout's λ grid.
    pub ridge_lambdas: Vec<f64>,
    /// Examples per frozen block.
    pub frozen_block: usize,
    /// Resolved config, TOML.
    pub resolved_toml: String,
    /// FNV-1a of `resolved_toml`.
    pub config_hash: String,
}

impl DcPlan {
    /// The training images the run learns from, cycled in order: all
    /// 60,000 (`train` of that length), or only images 0-49,999 when it is
    /// evaluated on the validation images 50,000-59,999, which are then
    /// never trained on however long the training.
    pub fn training_pool(&self, train_len: usize) -> usize {
        match self.evaluate_on {
            Evaluation::Test => train_len,
            Evaluation::Validation => VALIDATION_START.min(train_len),
        }
    }
}

/// Reads, overrides and validates a Diehl & Cook experiment file.
pub fn load_dc_plan(path: &Path, sets: &[String]) -> Result<DcPlan> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    dc_plan_from_str(path, &text, sets)
}

/// [`load_dc_plan`] of the config text `text` (`path` names it in errors):
/// e.g. the resolved config a result file holds.
pub fn dc_plan_from_str(path: &Path, text: &str, sets: &[String]) -> Result<DcPlan> {
    let raw: RawDcConfig = toml_with_sets(path, text, sets, "dc")?;
    let resolved_toml =
        toml::to_string(&raw).map_err(|e| Error::config(path, "document", e.to_string()))?;
    for (key, v) in [
        ("n_exc", raw.n_exc),
        ("train_examples", raw.train_examples),
        ("label_examples", raw.label_examples),
        ("test_examples", raw.test_examples),
        ("test_repeats", raw.test_repeats),
        ("monitor_every", raw.monitor_every),
        ("frozen_block", raw.frozen_block),
    ] {
        if v == 0 {
            return Err(Error::config(path, key, "0: expected at least 1"));
        }
    }
    if raw.test_examples > 10_000 {
        return Err(Error::config(
            path,
            "test_examples",
            format!("{}: MNIST has 10000 test examples", raw.test_examples),
        ));
    }
    if raw.evaluate_on == Evaluation::Validation && raw.label_examples > VALIDATION_START {
        return Err(Error::config(
            path,
            "label_examples",
            format!(
                "{}: with evaluate_on = \"validation\" the labels come from training images 0-{}, so at most {VALIDATION_START}",
                raw.label_examples,
                VALIDATION_START - 1
            ),
        ));
    }
    let [lo, hi] = raw.input_delay_ms;
    if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi <= MAX_INPUT_DELAY_MS) {
        return Err(Error::config(
            path,
            "input_delay_ms",
            format!(
                "[{lo}, {hi}]: expected [lo, hi] ms with 0 <= lo <= hi <= {MAX_INPUT_DELAY_MS}"
            ),
        ));
    }
    let integrator = match raw.integrator.as_str() {
        "euler" => Integrator::Euler,
        "exponential_euler" => Integrator::ExponentialEuler,
        other => {
            return Err(Error::config(
                path,
                "integrator",
                format!("`{other}`: expected euler or exponential_euler"),
            ));
        }
    };
    let brian2_port = match raw.spike_timer.as_str() {
        "original" => false,
        "brian2_port" => true,
        other => {
            return Err(Error::config(
                path,
                "spike_timer",
                format!("`{other}`: expected original or brian2_port"),
            ));
        }
    };
    let count_window = match raw.count_window.as_str() {
        "original" => CountWindow::Original,
        "presentation" => CountWindow::Presentation,
        other => {
            return Err(Error::config(
                path,
                "count_window",
                format!("`{other}`: expected original or presentation"),
            ));
        }
    };
    if raw.ridge_lambdas.is_empty() {
        return Err(Error::config(
            path,
            "ridge_lambdas",
            "[]: expected at least one λ > 0",
        ));
    }
    if let Some(bad) = raw
        .ridge_lambdas
        .iter()
        .find(|l| !(l.is_finite() && **l > 0.0))
    {
        return Err(Error::config(
            path,
            "ridge_lambdas",
            format!("{bad}: expected every λ finite and > 0"),
        ));
    }
    for (key, v) in [
        ("w_ie", f64::from(raw.w_ie)),
        ("theta_plus", raw.theta_plus),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::config(
                path,
                key,
                format!("{v}: expected a finite value >= 0"),
            ));
        }
    }
    if !(raw.tau_theta_ms.is_finite() && raw.tau_theta_ms > 0.0) {
        return Err(Error::config(
            path,
            "tau_theta_ms",
            format!("{}: expected a finite value > 0", raw.tau_theta_ms),
        ));
    }
    let mut params = DcParams::original(raw.n_exc);
    params.w_ie = raw.w_ie;
    params.theta.theta_plus = raw.theta_plus;
    params.theta.tau_theta = raw.tau_theta_ms;
    params.integrator = integrator;
    params.input_delay_ms = raw.input_delay_ms;
    params.count_window = count_window;
    if brian2_port {
        params.theta.timer_rate = AdaptiveThreshold::BRIAN2_PORT.timer_rate;
        params.exc.refractory = Refractory::Hold;
        params.inh.refractory = Refractory::Hold;
    }
    params.plasticity = match raw.rule {
        DcRule::DcOriginal => {
            let d = raw.dc_original;
            for (key, v) in [
                ("dc_original.tau_pre_ms", d.tau_pre_ms),
                ("dc_original.tau_post1_ms", d.tau_post1_ms),
                ("dc_original.tau_post2_ms", d.tau_post2_ms),
                ("dc_original.w_max", d.w_max),
            ] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::config(
                        path,
                        key,
                        format!("{v}: expected a finite value > 0"),
                    ));
                }
            }
            for (key, v) in [
                ("dc_original.nu_pre", d.nu_pre),
                ("dc_original.nu_post", d.nu_post),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::config(
                        path,
                        key,
                        format!("{v}: expected a finite rate >= 0"),
                    ));
                }
            }
            Plasticity::DcOriginal(d)
        }
        DcRule::ExpStdp => {
            let x = raw.exp_stdp;
            let valid = x.rule.check().map_err(|e| match e {
                Error::InvalidParam {
                    name,
                    value,
                    expected,
                } => Error::config(
                    path,
                    format!("exp_stdp.{name}"),
                    format!("{value}: expected {expected}"),
                ),
                other => other,
            })?;
            for (key, v) in [
                ("exp_stdp.tau_pre_ms", x.tau_pre_ms),
                ("exp_stdp.tau_post_ms", x.tau_post_ms),
            ] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::config(
                        path,
                        key,
                        format!("{v}: expected a time constant > 0 (ms)"),
                    ));
                }
            }
            Plasticity::ExpStdp {
                params: valid,
                tau_pre_ms: x.tau_pre_ms,
                tau_post_ms: x.tau_post_ms,
            }
        }
        DcRule::TraceStdp => {
            let t = raw.trace_stdp.unwrap_or_default();
            t.check().map_err(|(key, v, expected)| {
                Error::config(
                    path,
                    format!("trace_stdp.{key}"),
                    format!("{v}: expected {expected}"),
                )
            })?;
            Plasticity::TraceStdp(t)
        }
    };
    Ok(DcPlan {
        name: raw.name,
        seed: raw.seed,
        params,
        train_examples: raw.train_examples,
        label_examples: raw.label_examples,
        test_examples: raw.test_examples,
        test_repeats: raw.test_repeats,
        evaluate_on: raw.evaluate_on,
        monitor_every: raw.monitor_every,
        checkpoint_every: raw.checkpoint_every,
        rule: raw.rule,
        integrator: raw.integrator,
        spike_timer: raw.spike_timer,
        ridge_lambdas: raw.ridge_lambdas,
        frozen_block: raw.frozen_block,
        config_hash: fnv1a_hex(resolved_toml.as_bytes()),
        resolved_toml,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_on_validation_runs_never_reaches_the_validation_images() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("experiments/diehl_cook_quick.toml");
        let sets = |v: &str| {
            vec![
                format!("evaluate_on={v}"),
                "train_examples=120000".to_string(),
            ]
        };
        let plan = load_dc_plan(&file, &sets("validation")).unwrap();
        let pool = plan.training_pool(60_000);
        assert_eq!(pool, VALIDATION_START);
        assert!((0..plan.train_examples).all(|k| k % pool < VALIDATION_START));
        let plan = load_dc_plan(&file, &sets("test")).unwrap();
        assert_eq!(plan.training_pool(60_000), 60_000);
    }
}
