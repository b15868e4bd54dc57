//! The experiment config as written in TOML (`experiments/*.toml`), before validation.
//!
//! Unknown keys are errors (`deny_unknown_fields`); every section but the
//! top-level counts has defaults. [`super::plan`] turns this into a validated plan.

use serde::{Deserialize, Serialize};

use crate::synapse::exp_stdp::{EvolvePath, ExpStdpParams};

/// A whole experiment file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The experiment's kind, `"run"` when given (optional; not part of the
    /// resolved config or its hash).
    #[serde(default, skip_serializing)]
    pub kind: Option<String>,
    /// Short name, used in file metadata.
    pub name: String,
    /// Master seed: instance `k` draws from the stream `(seed, k)`.
    pub seed: u64,
    /// Number of independent instances.
    pub instances: usize,
    /// Simulation steps per instance.
    pub steps: usize,
    /// Step length in milliseconds (scales rates and trace decay).
    #[serde(default = "default_dt")]
    pub dt_ms: f64,
    /// Shape, initial weights and update path.
    #[serde(default)]
    pub synapse: RawSynapse,
    /// Rule parameters (the seed's defaults where omitted).
    #[serde(default)]
    pub rule: ExpStdpParams,
    /// Input statistics.
    #[serde(default)]
    pub input: RawInput,
    /// What is recorded, and how often.
    #[serde(default)]
    pub record: RawRecord,
    /// Per-instance changes to `rule`, `input` or the initial-weight seed.
    #[serde(default)]
    pub overrides: Vec<RawOverride>,
}

fn default_dt() -> f64 {
    1.0
}

/// `[synapse]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSynapse {
    /// Presynaptic inputs.
    pub n_in: usize,
    /// Postsynaptic units.
    pub n_out: usize,
    /// Rows per update (the rule sums over them).
    pub batch: usize,
    /// Lower end of the uniform initial weights.
    pub init_low: f32,
    /// Upper end of the uniform initial weights.
    pub init_high: f32,
    /// The update path: automatic, or one forced.
    pub path: PathChoice,
}

/// The update path a config asks for (`synapse.path`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathChoice {
    /// Chosen per update ([`crate::synapse::exp_stdp::choose_path`]).
    #[default]
    Auto,
    /// [`EvolvePath::Reference`].
    Reference,
    /// [`EvolvePath::Fused`].
    Fused,
    /// [`EvolvePath::Events`].
    Events,
}

impl PathChoice {
    /// The forced path, `None` for the automatic choice.
    pub fn forced(self) -> Option<EvolvePath> {
        match self {
            PathChoice::Auto => None,
            PathChoice::Reference => Some(EvolvePath::Reference),
            PathChoice::Fused => Some(EvolvePath::Fused),
            PathChoice::Events => Some(EvolvePath::Events),
        }
    }
}

impl Default for RawSynapse {
    fn default() -> Self {
        RawSynapse {
            n_in: 784,
            n_out: 100,
            batch: 1,
            init_low: 0.025,
            init_high: 0.8,
            path: PathChoice::Auto,
        }
    }
}

/// `[input]`: independent Poisson spike trains with set-to-1 traces.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawInput {
    /// Presynaptic firing rate, Hz.
    pub pre_rate_hz: f64,
    /// Postsynaptic firing rate, Hz.
    pub post_rate_hz: f64,
    /// Presynaptic trace time constant, ms.
    pub tau_pre_ms: f64,
    /// Postsynaptic trace time constant, ms.
    pub tau_post_ms: f64,
}

impl Default for RawInput {
    fn default() -> Self {
        RawInput {
            pre_rate_hz: 10.0,
            post_rate_hz: 5.0,
            tau_pre_ms: 20.0,
            tau_post_ms: 20.0,
        }
    }
}

/// `[record]`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRecord {
    /// Statistics every `stride` steps.
    pub stride: usize,
    /// Weight snapshots every `snapshot_stride` steps (0 = none).
    pub snapshot_stride: usize,
    /// Checkpoint every `checkpoint_every` steps (0 = never).
    pub checkpoint_every: usize,
    /// Also write `stats.csv`.
    pub csv: bool,
}

impl Default for RawRecord {
    fn default() -> Self {
        RawRecord {
            stride: 10,
            snapshot_stride: 0,
            checkpoint_every: 1000,
            csv: false,
        }
    }
}

/// `[[overrides]]`: changes for one instance; omitted keys keep the shared value.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverride {
    /// The instance index (0-based).
    pub instance: usize,
    /// Rule keys to change.
    #[serde(default)]
    pub rule: RawRuleOverride,
    /// Input keys to change.
    #[serde(default)]
    pub input: RawInputOverride,
}

/// Optional rule keys of an override.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawRuleOverride {
    pub w_bound: Option<f32>,
    pub eta: Option<f32>,
    pub x_tar: Option<f32>,
    pub exp_beta: Option<f32>,
    pub a_plus: Option<f32>,
    pub a_minus: Option<f32>,
    pub w_norm: Option<f32>,
}

/// Optional input keys of an override.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawInputOverride {
    pub pre_rate_hz: Option<f64>,
    pub post_rate_hz: Option<f64>,
    pub tau_pre_ms: Option<f64>,
    pub tau_post_ms: Option<f64>,
}
