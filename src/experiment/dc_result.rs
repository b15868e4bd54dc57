//! A finished Diehl & Cook run read back: the trained network (weights,
//! thresholds θ, assignments, the ridge readout where there is one), its
//! config, and the labels and predictions it recorded. What `stdp eval`
//! and the Python reader start from.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

use super::ExperimentKind;
use super::dc_config::{DcPlan, dc_plan_from_str};
use super::dc_run::POST_TRAINING_STATE;
use super::run_dir::{RESULT_FILE, check_complete, result_kind};
use crate::error::{Error, Result};
use crate::network::ridge::RidgeReadout;
use crate::network::state::NeuronState;
use crate::record::codec::{H5Record, Reader};
use crate::record::h5::{get_1d, get_2d, get_str};

/// The arrays of a finished Diehl & Cook run's `result.h5`
/// (`docs/results-format.md` describes each).
#[derive(Clone, Debug)]
pub struct DcResult {
    /// The result file read.
    pub path: PathBuf,
    /// The resolved config (TOML) the run was made with.
    pub config: String,
    /// Input weights `(784, n_exc)`.
    pub weights: Array2<f32>,
    /// Adaptive thresholds θ after training, mV `(n_exc)`.
    pub theta: Array1<f64>,
    /// The class of each neuron (`-1`: unassigned) `(n_exc)`.
    pub assignments: Array1<i8>,
    /// Mean spikes per labelling example, per neuron and class `(n_exc, 10)`.
    pub label_rates: Array2<f64>,
    /// Labels of the training examples in the order shown.
    pub train_labels: Array1<u8>,
    /// Predictions during training (by the previous window's assignments).
    pub train_predictions: Array1<u8>,
    /// Labels of the evaluated examples.
    pub test_labels: Array1<u8>,
    /// Vote predictions `(test_repeats, test_examples)`.
    pub test_predictions: Array2<u8>,
    /// Ridge readout predictions `(test_repeats, test_examples)`, when fitted.
    pub ridge_predictions: Option<Array2<u8>>,
    /// Ridge readout weights `(n_exc + 1, 10)`, the bias row last, when fitted.
    pub ridge_weights: Option<Array2<f64>>,
    /// The state training left the neurons in (group
    /// [`POST_TRAINING_STATE`]; `None` in result files written before it
    /// was recorded).
    pub post_training_state: Option<NeuronState>,
}

impl DcResult {
    /// Reads the finished Diehl & Cook run in `dir` (or its `result.h5`):
    /// an error names the file when it is absent, unfinished, or of
    /// another kind of experiment.
    pub fn read(dir: &Path) -> Result<DcResult> {
        let is_file =
            dir.is_file() || (!dir.exists() && dir.extension().is_some_and(|e| e == "h5"));
        let path = if is_file {
            dir.to_path_buf()
        } else {
            dir.join(RESULT_FILE)
        };
        let f = check_complete(&path)?;
        let p = path.as_path();
        if result_kind(&f, p)? != ExperimentKind::Dc {
            return Err(Error::file(
                p,
                "not a Diehl & Cook run (written by `stdp run`, not `stdp dc`)",
            ));
        }
        let ridge_weights = if f.link_exists("ridge_weights") {
            Some(get_2d(&f, "ridge_weights", p)?)
        } else {
            None
        };
        let ridge_predictions = if f.link_exists("ridge_predictions") {
            Some(get_2d(&f, "ridge_predictions", p)?)
        } else {
            None
        };
        let post_training_state = match f.group(POST_TRAINING_STATE) {
            Ok(g) => Some(NeuronState::read(&Reader::new(&g, p))?),
            Err(_) => None,
        };
        Ok(DcResult {
            post_training_state,
            config: get_str(&f, "config", p)?,
            weights: get_2d(&f, "weights", p)?,
            theta: get_1d(&f, "theta", p)?,
            assignments: get_1d(&f, "assignments", p)?,
            label_rates: get_2d(&f, "label_rates", p)?,
            train_labels: get_1d(&f, "train_labels", p)?,
            train_predictions: get_1d(&f, "train_predictions", p)?,
            test_labels: get_1d(&f, "test_labels", p)?,
            test_predictions: get_2d(&f, "test_predictions", p)?,
            ridge_predictions,
            ridge_weights,
            path,
        })
    }

    /// The run's plan, from the config it recorded, with `sets` applied.
    pub fn plan(&self, sets: &[String]) -> Result<DcPlan> {
        dc_plan_from_str(&self.path, &self.config, sets)
    }

    /// The ridge readout, when the run fitted one (its λ is not recorded
    /// in the result file: NaN).
    pub fn ridge(&self) -> Option<RidgeReadout> {
        self.ridge_weights.as_ref().map(|w| RidgeReadout {
            weights: w.clone(),
            lambda: f64::NAN,
        })
    }
}
