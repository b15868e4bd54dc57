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
        let r = Reader::new(&f, p);
        let post_training_state = match f.group(POST_TRAINING_STATE) {
            Ok(g) => Some(NeuronState::read(&Reader::new(&g, p))?),
            Err(_) => None,
        };
        Ok(DcResult {
            post_training_state,
            config: r.text("config")?,
            weights: r.array2("weights")?,
            theta: r.array1("theta")?,
            assignments: r.array1("assignments")?,
            label_rates: r.array2("label_rates")?,
            train_labels: r.array1("train_labels")?,
            train_predictions: r.array1("train_predictions")?,
            test_labels: r.array1("test_labels")?,
            test_predictions: r.array2("test_predictions")?,
            ridge_predictions: r.optional_array2("ridge_predictions")?,
            ridge_weights: r.optional_array2("ridge_weights")?,
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
