//! `stdp_harness`, the Python module: the seed's `ExpStdpSynapse` on numpy
//! arrays, the Diehl & Cook runner, grids, a reader of finished runs and the
//! evaluation of a trained network, all thin over the `stdp-harness` crate.
//! The GIL is released while Rust computes; library errors become Python
//! exceptions with the library's messages (module `errors`).

use pyo3::prelude::*;

mod arrays;
mod config;
mod errors;
mod eval;
mod run;
mod synapse;
mod watch;

/// The module.
#[pymodule]
fn stdp_harness(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<synapse::PyExpStdpSynapse>()?;
    m.add_function(wrap_pyfunction!(run::diehl_cook, m)?)?;
    m.add_function(wrap_pyfunction!(run::grid, m)?)?;
    m.add_function(wrap_pyfunction!(eval::read_run, m)?)?;
    m.add_function(wrap_pyfunction!(eval::evaluate, m)?)?;
    Ok(())
}
