//! Library errors as Python exceptions, with the library's messages:
//! a bad parameter or config key/value is a `ValueError`, a wrong shape a
//! `TypeError`, a missing file `FileNotFoundError`, other I/O `OSError`.

use pyo3::PyErr;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use stdp_harness::Error;

/// The exception of `e`.
pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::InvalidParam { .. } | Error::Config { .. } => PyValueError::new_err(msg),
        Error::Shape { .. } => PyTypeError::new_err(msg),
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(msg)
        }
        Error::Io { .. } | Error::File { .. } => PyOSError::new_err(msg),
        Error::EmptyCompartment { .. } | Error::Numeric(_) | Error::Interrupted { .. } => {
            PyRuntimeError::new_err(msg)
        }
    }
}

/// `Result<T, Error>` → `PyResult<T>`.
pub trait IntoPy<T> {
    /// Converts the error to its exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
