//! Running Python checks: `$STDP_PYTHON` (the Makefile's virtualenv) or `python3`.
//!
//! The tests that need Python are `#[ignore]`d, so that `cargo test` on a
//! machine without it reports them as ignored, never as passed; `make
//! test` installs the stack and runs them with `--ignored`, where a
//! missing module is a failure.

use std::path::Path;
use std::process::Command;

/// The interpreter to use.
pub fn interpreter() -> String {
    std::env::var("STDP_PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists())
        .unwrap_or_else(|| "python3".into())
}

/// Fails the test unless the interpreter imports every module of
/// `modules` (the tests that call this are `#[ignore]`d: `cargo test`
/// counts them as ignored, `make test` runs them with `--ignored`).
pub fn require(modules: &[&str]) {
    let out = Command::new(interpreter())
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output();
    let ok = out.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import {modules:?} (set STDP_PYTHON, or run `make test`, which installs them): {}",
        interpreter(),
        out.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_else(|e| e.to_string())
    );
}

/// Runs `script` with `dir` as its argument; panics with stderr on failure; returns stdout.
pub fn run(script: &str, dir: &Path) -> String {
    let out = Command::new(interpreter())
        .args(["-c", script])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
