//! numpy arrays in: checked for dtype, rank, shape and finiteness, each
//! error naming the argument; any memory layout (C, Fortran, strided,
//! negative strides) is accepted and copied into a row-major Rust array.

use ndarray::Array2;
use numpy::{
    PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods, dtype,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// `obj` as an untyped numpy array, or a `TypeError` naming `what`.
pub fn untyped<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    what: &str,
) -> PyResult<&'a Bound<'py, PyUntypedArray>> {
    obj.cast::<PyUntypedArray>().map_err(|_| {
        let ty = obj
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        PyTypeError::new_err(format!("{what}: expected a numpy array, got {ty}"))
    })
}

/// The dtype of `a` as numpy prints it.
pub fn dtype_name(a: &Bound<'_, PyUntypedArray>) -> String {
    a.dtype()
        .str()
        .map_or_else(|_| "?".into(), |s| s.to_string())
}

/// A 2-D float32 array `(rows ≥ 1, width)` (`width` checked when given),
/// every value finite, copied row-major.
pub fn f32_2d(obj: &Bound<'_, PyAny>, what: &str, width: Option<usize>) -> PyResult<Array2<f32>> {
    let py = obj.py();
    let a = untyped(obj, what)?;
    if !a.dtype().is_equiv_to(&dtype::<f32>(py)) {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected dtype float32, got {} (convert with .astype(numpy.float32))",
            dtype_name(a)
        )));
    }
    let shape = a.shape().to_vec();
    let want = match width {
        Some(w) => format!("(batch, {w})"),
        None => "(rows, columns)".into(),
    };
    if shape.len() != 2 || shape[0] == 0 || width.is_some_and(|w| shape[1] != w) {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected shape {want} with batch >= 1, got {shape:?}"
        )));
    }
    let typed = a.cast::<PyArray2<f32>>()?;
    let ro = typed.try_readonly()?;
    let view = ro.as_array();
    if let Some((at, v)) = view.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "{what}: value {v} at {at:?}: expected finite numbers (no NaN or infinity)"
        )));
    }
    Ok(view.as_standard_layout().into_owned())
}
