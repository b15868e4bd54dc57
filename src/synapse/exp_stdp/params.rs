//! Parameters of the exponential weight-dependent STDP rule, validated once.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Lower clip bound of the weights: a constant of the rule, not a parameter
/// (ngclearn's older `ExpSTDPSynapse`; newer 3.x clips at `w_b - 0.01` instead).
pub const W_MIN: f32 = 0.01;

/// Added to the row L2 norm before dividing, as in the original rule.
pub const NORM_EPS: f32 = 1e-5;

/// Raw parameters of the rule, as written in a config. Defaults are the seed's.
///
/// Validate with [`ExpStdpParams::check`] before use; kernels only accept
/// [`ValidExpStdpParams`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpStdpParams {
    /// Upper weight bound `w_b` (also the upper clip bound). Default 1.0.
    pub w_bound: f32,
    /// Learning rate `η`. Default 5e-5.
    pub eta: f32,
    /// Target presynaptic trace `x_tar` of the depressive term. Default 0.7.
    pub x_tar: f32,
    /// Exponential weight-dependence strength `β`. Default 1.0.
    pub exp_beta: f32,
    /// Potentiation gain `A+`. Default 1.0.
    pub a_plus: f32,
    /// Depression gain `A−`; the term is dropped when `A− ≤ 0`. Default 0.0.
    pub a_minus: f32,
    /// Target L2 norm of each presynaptic row; `None` disables it. Default `None`.
    pub w_norm: Option<f32>,
}

impl Default for ExpStdpParams {
    fn default() -> Self {
        ExpStdpParams {
            w_bound: 1.0,
            eta: 5e-5,
            x_tar: 0.7,
            exp_beta: 1.0,
            a_plus: 1.0,
            a_minus: 0.0,
            w_norm: None,
        }
    }
}

fn finite(name: &'static str, v: f32) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParam {
            name,
            value: v.to_string(),
            expected: "a finite number",
        })
    }
}

/// The names of the rule's parameters, in declaration order: the one list
/// that records, files and overrides use ([`ExpStdpParams::named`]).
pub const PARAM_NAMES: [&str; 7] = [
    "w_bound", "eta", "x_tar", "exp_beta", "a_plus", "a_minus", "w_norm",
];

impl ExpStdpParams {
    /// Every parameter as `(name, value)` in the order of [`PARAM_NAMES`];
    /// `w_norm` is NaN when unset.
    pub fn named(&self) -> [(&'static str, f32); PARAM_NAMES.len()] {
        let v = [
            self.w_bound,
            self.eta,
            self.x_tar,
            self.exp_beta,
            self.a_plus,
            self.a_minus,
            self.w_norm.unwrap_or(f32::NAN),
        ];
        std::array::from_fn(|k| (PARAM_NAMES[k], v[k]))
    }

    /// Validates every field: all finite, `eta ≥ 0`, `w_bound > 0.01`
    /// (above the lower clip bound [`W_MIN`]), `w_norm > 0` when set.
    pub fn check(self) -> Result<ValidExpStdpParams> {
        finite("w_bound", self.w_bound)?;
        finite("eta", self.eta)?;
        finite("x_tar", self.x_tar)?;
        finite("exp_beta", self.exp_beta)?;
        finite("a_plus", self.a_plus)?;
        finite("a_minus", self.a_minus)?;
        if self.eta < 0.0 {
            return Err(Error::InvalidParam {
                name: "eta",
                value: self.eta.to_string(),
                expected: "eta >= 0",
            });
        }
        if self.w_bound <= W_MIN {
            return Err(Error::InvalidParam {
                name: "w_bound",
                value: self.w_bound.to_string(),
                expected: "w_bound > 0.01 (the lower clip bound)",
            });
        }
        if let Some(n) = self.w_norm {
            finite("w_norm", n)?;
            if n <= 0.0 {
                return Err(Error::InvalidParam {
                    name: "w_norm",
                    value: n.to_string(),
                    expected: "w_norm > 0 when set",
                });
            }
        }
        Ok(ValidExpStdpParams(self))
    }
}

/// Parameters that passed [`ExpStdpParams::check`]; the only form kernels take.
/// The default is the seed's parameters (valid by construction).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ValidExpStdpParams(ExpStdpParams);

impl ValidExpStdpParams {
    /// The validated values.
    pub fn get(&self) -> &ExpStdpParams {
        &self.0
    }

    /// Whether the depression term `A− · e^(−βW) · R` is part of the update (`A− > 0`).
    pub fn has_depression(&self) -> bool {
        self.0.a_minus > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field added to the struct but not to [`PARAM_NAMES`] / `named`
    /// would silently drop out of every record: this fails instead.
    #[test]
    fn named_lists_every_field_with_its_value() {
        let p = ExpStdpParams {
            w_bound: 1.5,
            eta: 0.25,
            x_tar: 0.5,
            exp_beta: 2.0,
            a_plus: 0.75,
            a_minus: 0.125,
            w_norm: Some(3.0),
        };
        let table = toml::Table::try_from(p).unwrap();
        let mut fields: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut names = PARAM_NAMES.to_vec();
        fields.sort_unstable();
        names.sort_unstable();
        assert_eq!(fields, names);
        for (name, v) in p.named() {
            assert_eq!(table[name].as_float(), Some(f64::from(v)), "{name}");
        }
        assert!(
            ExpStdpParams::default().named()[6].1.is_nan(),
            "unset w_norm"
        );
    }
}
