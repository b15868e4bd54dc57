//! `stdp_harness.ExpStdpSynapse`: the Rust component from Python, with its
//! compartments (`in`, `out`, `x_pre`, `x_post`), verbs (`advance_state`,
//! `evolve`, `reset`, `save`, `load`) and parameter names.

use std::path::PathBuf;

use ndarray::Array2;
use numpy::{PyArray2, ToPyArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use stdp_harness::synapse::exp_stdp::{
    Compartment, ExpStdpParams, ExpStdpSynapse, PARAM_NAMES, UniformInit,
};

use crate::arrays::f32_2d;
use crate::errors::IntoPy;

/// The compartment called `name`, or a `ValueError` listing the names.
fn compartment(name: &str) -> PyResult<Compartment> {
    [
        Compartment::In,
        Compartment::Out,
        Compartment::XPre,
        Compartment::XPost,
    ]
    .into_iter()
    .find(|c| c.name() == name)
    .ok_or_else(|| {
        PyValueError::new_err(format!(
            "compartment `{name}`: expected in, out, x_pre or x_post"
        ))
    })
}

/// A plastic all-to-all synapse with the exponential weight-dependent STDP
/// rule of ngclearn's older ExpSTDPSynapse (the seed's component).
///
/// ExpStdpSynapse(name, shape, *, w_bound=1.0, eta=5e-5, x_tar=0.7,
/// exp_beta=1.0, a_plus=1.0, a_minus=0.0, w_norm=None, seed=0,
/// init_range=(0.025, 0.8), weights=None)
///
/// `Aplus` and `Aminus` (ngclearn's spelling) are accepted for `a_plus`
/// and `a_minus`. Weights `(n_in, n_out)` are drawn uniformly from
/// `init_range` with `seed`, or given as a float32 array. Activity arrays
/// are float32 `(batch, units)`, batch >= 1.
#[pyclass(name = "ExpStdpSynapse", module = "stdp_harness")]
pub struct PyExpStdpSynapse {
    inner: ExpStdpSynapse,
}

impl PyExpStdpSynapse {
    fn width(&self, c: Compartment) -> usize {
        let (n_in, n_out) = self.inner.shape();
        match c {
            Compartment::In | Compartment::XPre => n_in,
            Compartment::Out | Compartment::XPost => n_out,
        }
    }

    fn set_from(&mut self, c: Compartment, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let what = format!("{}.{}", self.inner.name(), c.name());
        let a = f32_2d(value, &what, Some(self.width(c)))?;
        self.inner.set(c, a).py()
    }
}

#[pymethods]
impl PyExpStdpSynapse {
    #[new]
    #[pyo3(signature = (name, shape, *, w_bound=1.0, eta=5e-5, x_tar=0.7, exp_beta=1.0,
        a_plus=None, a_minus=None, w_norm=None, seed=0, init_range=(0.025, 0.8), weights=None,
        Aplus=None, Aminus=None))]
    #[allow(non_snake_case, clippy::too_many_arguments)]
    fn new(
        name: String,
        shape: (usize, usize),
        w_bound: f32,
        eta: f32,
        x_tar: f32,
        exp_beta: f32,
        a_plus: Option<f32>,
        a_minus: Option<f32>,
        w_norm: Option<f32>,
        seed: u64,
        init_range: (f32, f32),
        weights: Option<&Bound<'_, PyAny>>,
        Aplus: Option<f32>,
        Aminus: Option<f32>,
    ) -> PyResult<Self> {
        let pick = |a: Option<f32>, b: Option<f32>, n: &str, m: &str, d: f32| match (a, b) {
            (Some(_), Some(_)) => Err(PyTypeError::new_err(format!(
                "give `{n}` or `{m}` (the same parameter), not both"
            ))),
            (Some(v), None) | (None, Some(v)) => Ok(v),
            (None, None) => Ok(d),
        };
        if shape.0 == 0 || shape.1 == 0 {
            return Err(PyValueError::new_err(format!(
                "shape: expected (n_in, n_out), both >= 1, got {shape:?}"
            )));
        }
        let params = ExpStdpParams {
            w_bound,
            eta,
            x_tar,
            exp_beta,
            a_plus: pick(a_plus, Aplus, "a_plus", "Aplus", 1.0)?,
            a_minus: pick(a_minus, Aminus, "a_minus", "Aminus", 0.0)?,
            w_norm,
        }
        .check()
        .py()?;
        let inner = match weights {
            Some(w) => {
                let w = f32_2d(w, "weights", Some(shape.1))?;
                if w.nrows() != shape.0 {
                    return Err(PyTypeError::new_err(format!(
                        "weights: expected shape {shape:?}, got {:?}",
                        w.shape()
                    )));
                }
                ExpStdpSynapse::with_weights(name, w, params)
            }
            None => {
                let init = UniformInit {
                    low: init_range.0,
                    high: init_range.1,
                    seed,
                };
                ExpStdpSynapse::new(name, shape, params, &init).py()?
            }
        };
        Ok(PyExpStdpSynapse { inner })
    }

    /// The component's name (the stem of its saved file).
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// `(n_in, n_out)`.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        self.inner.shape()
    }

    /// The rule's parameters as a dict (`w_norm` None when unset).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        for (k, v) in self.inner.params().get().named() {
            debug_assert!(PARAM_NAMES.contains(&k));
            if k == "w_norm" && v.is_nan() {
                d.set_item(k, py.None())?;
            } else {
                d.set_item(k, v)?;
            }
        }
        Ok(d)
    }

    /// The weights `(n_in, n_out)`, float32: a read-only numpy view of the
    /// component's own memory (no copy), which follows every `evolve` and
    /// `load`. Assigning an array copies it in.
    #[getter]
    fn weights<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let this = slf.borrow();
        // SAFETY: the weight matrix is never reallocated while the component
        // lives (evolve updates it in place, `load` and the setter copy into
        // it: `ExpStdpSynapse::assign_weights`), and the view keeps the
        // component alive through its base object.
        let view =
            unsafe { PyArray2::borrow_from_array(this.inner.weights(), slf.clone().into_any()) };
        drop(this);
        view.getattr("flags")?.setattr("writeable", false)?;
        Ok(view)
    }

    #[setter]
    fn set_weights(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let (n_in, n_out) = self.inner.shape();
        let w = f32_2d(value, "weights", Some(n_out))?;
        if w.nrows() != n_in {
            return Err(PyTypeError::new_err(format!(
                "weights: expected shape ({n_in}, {n_out}), got {:?}",
                w.shape()
            )));
        }
        self.inner.assign_weights(w.view(), "weights").py()
    }

    /// Sets a compartment (`in`, `out`, `x_pre`, `x_post`) to a float32
    /// `(batch, units)` array (copied).
    fn set(&mut self, compartment_name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let c = compartment(compartment_name)?;
        self.set_from(c, value)
    }

    /// A copy of a compartment's value, None when empty.
    fn get<'py>(
        &self,
        py: Python<'py>,
        compartment_name: &str,
    ) -> PyResult<Option<Bound<'py, PyArray2<f32>>>> {
        let c = compartment(compartment_name)?;
        Ok(self.inner.get(c).map(|a| a.to_pyarray(py)))
    }

    /// `out = in · W` (BLAS), with `inputs` set into `in` first when given;
    /// returns `out` (a copy). The GIL is released meanwhile.
    #[pyo3(signature = (inputs=None))]
    fn advance_state<'py>(
        &mut self,
        py: Python<'py>,
        inputs: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        if let Some(x) = inputs {
            self.set_from(Compartment::In, x)?;
        }
        let inner = &mut self.inner;
        py.detach(|| inner.advance_state()).py()?;
        let out: &Array2<f32> = self
            .inner
            .get(Compartment::Out)
            .expect("advance_state sets out");
        Ok(out.to_pyarray(py))
    }

    /// One update of the rule with `pre = in`, `post = out` and the trace
    /// compartments (set from `x_pre`, `x_post` first when given); returns
    /// the update path taken (`reference`, `fused` or `events`). The GIL is
    /// released meanwhile.
    #[pyo3(signature = (x_pre=None, x_post=None))]
    fn evolve(
        &mut self,
        py: Python<'_>,
        x_pre: Option<&Bound<'_, PyAny>>,
        x_post: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        if let Some(x) = x_pre {
            self.set_from(Compartment::XPre, x)?;
        }
        if let Some(x) = x_post {
            self.set_from(Compartment::XPost, x)?;
        }
        let inner = &mut self.inner;
        let path = py.detach(|| inner.evolve()).py()?;
        Ok(format!("{path:?}").to_lowercase())
    }

    /// Empties every compartment; the weights stay.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// Saves the weights to `<directory>/<name>.npz` (key `weights`);
    /// returns the path.
    fn save(&self, directory: PathBuf) -> PyResult<PathBuf> {
        self.inner.save(&directory).py()
    }

    /// Loads the weights from `<directory>/<name>.npz`; the shape must match.
    fn load(&mut self, py: Python<'_>, directory: PathBuf) -> PyResult<()> {
        let inner = &mut self.inner;
        py.detach(|| inner.load(&directory)).py()
    }

    fn __repr__(&self) -> String {
        let (n_in, n_out) = self.inner.shape();
        format!(
            "ExpStdpSynapse(name={:?}, shape=({n_in}, {n_out}))",
            self.inner.name()
        )
    }
}
