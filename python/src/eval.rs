//! A finished Diehl & Cook run from Python: its arrays (`read_run`) and its
//! trained network on other images (`evaluate`, as `stdp eval`).

use std::path::PathBuf;

use numpy::{
    IntoPyArray, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArrayMethods, dtype,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use stdp_harness::experiment::dc_eval::{TrainedNetwork, accuracy_per_repeat, mean_std, respond};
use stdp_harness::experiment::dc_result::DcResult;
use stdp_harness::par::Threads;

use crate::arrays::{dtype_name, untyped};
use crate::errors::IntoPy;
use crate::run::load_json;
use crate::watch::Watch;

/// The arrays of the finished Diehl & Cook run in `run_dir` as numpy:
/// `weights` (784, n_exc) float32, `theta` (n_exc,) float64 mV,
/// `assignments` (n_exc,) int8 (-1: unassigned), `label_rates` (n_exc, 10),
/// `train_labels`, `train_predictions`, `test_labels` (uint8),
/// `test_predictions` (repeats, examples) uint8, `ridge_predictions` and
/// `ridge_weights` (None without a ridge readout), `summary` (its
/// `summary.json` as a dict, None when absent) and `config` (TOML text).
#[pyfunction]
pub fn read_run<'py>(py: Python<'py>, run_dir: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let r = py.detach(|| DcResult::read(&run_dir)).py()?;
    let d = PyDict::new(py);
    let summary = run_dir.join("summary.json");
    if summary.is_file() {
        d.set_item("summary", load_json(py, &summary)?)?;
    } else {
        d.set_item("summary", py.None())?;
    }
    d.set_item("config", r.config)?;
    d.set_item("weights", r.weights.into_pyarray(py))?;
    d.set_item("theta", r.theta.into_pyarray(py))?;
    d.set_item("assignments", r.assignments.into_pyarray(py))?;
    d.set_item("label_rates", r.label_rates.into_pyarray(py))?;
    d.set_item("train_labels", r.train_labels.into_pyarray(py))?;
    d.set_item("train_predictions", r.train_predictions.into_pyarray(py))?;
    d.set_item("test_labels", r.test_labels.into_pyarray(py))?;
    d.set_item("test_predictions", r.test_predictions.into_pyarray(py))?;
    d.set_item(
        "ridge_predictions",
        r.ridge_predictions.map(|a| a.into_pyarray(py)),
    )?;
    d.set_item("ridge_weights", r.ridge_weights.map(|a| a.into_pyarray(py)))?;
    Ok(d)
}

/// Images `(N, n_input)` as row-major bytes: uint8, or float32/float64 in
/// [0, 255] (rounded to the nearest integer: the network's Poisson rates
/// come from 8-bit pixels).
fn images_u8(obj: &Bound<'_, PyAny>, n_input: usize) -> PyResult<(Vec<u8>, usize)> {
    let py = obj.py();
    let a = untyped(obj, "images")?;
    let shape = a.shape().to_vec();
    if shape.len() != 2 || shape[0] == 0 || shape[1] != n_input {
        return Err(PyTypeError::new_err(format!(
            "images: expected shape (N, {n_input}) with N >= 1, got {shape:?}"
        )));
    }
    let dt = a.dtype();
    let bytes: Vec<u8> = if dt.is_equiv_to(&dtype::<u8>(py)) {
        let v = a.cast::<PyArray2<u8>>()?.try_readonly()?;
        v.as_array().iter().copied().collect()
    } else if dt.is_equiv_to(&dtype::<f32>(py)) || dt.is_equiv_to(&dtype::<f64>(py)) {
        let f = obj.call_method1("astype", ("float64",))?;
        let v = f.cast::<PyArray2<f64>>()?.try_readonly()?;
        let view = v.as_array();
        if let Some((at, x)) = view
            .indexed_iter()
            .find(|(_, x)| !(x.is_finite() && (0.0..=255.0).contains(*x)))
        {
            return Err(PyValueError::new_err(format!(
                "images: value {x} at {at:?}: expected pixels in [0, 255] (no NaN)"
            )));
        }
        view.iter().map(|&x| x.round() as u8).collect()
    } else {
        return Err(PyTypeError::new_err(format!(
            "images: expected dtype uint8, float32 or float64, got {}",
            dtype_name(a)
        )));
    };
    Ok((bytes, shape[0]))
}

/// Shows `images` (N x 784, uint8 or float in [0, 255]) to the trained
/// network of the finished Diehl & Cook run `run_dir`, `repeats` times,
/// with plasticity off, as `stdp eval` does; it labels nothing and trains
/// nothing. Returns `predictions` (repeats, N) uint8 by the run's vote,
/// `ridge_predictions` (or None), `counts` (repeats, N, n_exc) uint32
/// spikes per neuron, and with `labels` (N,) `accuracy_percent` (mean over
/// repeats) and `ridge_accuracy_percent`. Ctrl-C raises `KeyboardInterrupt`
/// (nothing is kept).
#[pyfunction]
#[pyo3(signature = (run_dir, images, labels=None, *, repeats=1, threads=None, quiet=true))]
pub fn evaluate<'py>(
    py: Python<'py>,
    run_dir: PathBuf,
    images: &Bound<'py, PyAny>,
    labels: Option<&Bound<'py, PyAny>>,
    repeats: usize,
    threads: Option<usize>,
    quiet: bool,
) -> PyResult<Bound<'py, PyDict>> {
    if repeats == 0 {
        return Err(PyValueError::new_err("repeats: 0: expected at least 1"));
    }
    let threads = Threads::from_flag(threads).py()?.get();
    let result = py.detach(|| DcResult::read(&run_dir)).py()?;
    let mut trained = TrainedNetwork::load(&result, &[]).py()?;
    let (pixels, n) = images_u8(images, trained.n_input())?;
    let labels: Option<Vec<u8>> = match labels {
        None => None,
        Some(l) => {
            let v: Vec<i64> = l
                .call_method0("tolist")
                .and_then(|t| t.extract())
                .or_else(|_| l.extract())
                .map_err(|_| PyTypeError::new_err("labels: expected N integers in 0..9"))?;
            if v.len() != n || v.iter().any(|&x| !(0..10).contains(&x)) {
                return Err(PyTypeError::new_err(format!(
                    "labels: expected {n} integers in 0..9, got {} values",
                    v.len()
                )));
            }
            Some(v.into_iter().map(|x| x as u8).collect())
        }
    };
    let mut watch = Watch::new(
        run_dir.display().to_string(),
        (n * repeats) as u64,
        "examples",
        quiet,
    );
    let (resp, _) = py.detach(|| {
        let stop = stdp_harness::interrupt::requested;
        let r = respond(&mut trained, &pixels, repeats, threads, &stop, &|k| {
            watch.advanced("evaluate", k)
        });
        (r, watch.stop())
    });
    let Some(resp) = resp.py()? else {
        return Err(match py.check_signals() {
            Err(e) => e,
            Ok(()) => pyo3::exceptions::PyKeyboardInterrupt::new_err("evaluation stopped"),
        });
    };
    let d = PyDict::new(py);
    if let Some(l) = &labels {
        let acc = mean_std(&accuracy_per_repeat(&resp.predictions, l));
        d.set_item("accuracy_percent", acc.0)?;
        let ridge = resp
            .ridge_predictions
            .as_ref()
            .map(|p| mean_std(&accuracy_per_repeat(p, l)).0);
        d.set_item("ridge_accuracy_percent", ridge)?;
    }
    d.set_item("predictions", resp.predictions.into_pyarray(py))?;
    d.set_item(
        "ridge_predictions",
        resp.ridge_predictions.map(|a| a.into_pyarray(py)),
    )?;
    d.set_item("counts", resp.counts.into_pyarray(py))?;
    Ok(d)
}
