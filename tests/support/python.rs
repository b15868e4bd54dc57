//! Running Python checks: `$STDP_PYTHON` (the Makefile's virtualenv) or `python3`.
//!
//! A missing Python stack skips the check with a message, unless
//! `STDP_REQUIRE_PYTHON=1` (set by CI), where it fails.

use std::path::Path;
use std::process::Command;

/// The interpreter to use.
pub fn interpreter() -> String {
    std::env::var("STDP_PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists())
        .unwrap_or_else(|| "python3".into())
}

/// Whether the interpreter imports every module of `modules`.
pub fn ready(modules: &[&str]) -> bool {
    let ok = Command::new(interpreter())
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let required = std::env::var("STDP_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "STDP_REQUIRE_PYTHON=1 but {} cannot import {modules:?}",
            interpreter()
        );
        eprintln!("SKIPPED: {} cannot import {modules:?}", interpreter());
    }
    ok
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
