//! Files written here open in Python (numpy, h5py), and numpy's `.npz` loads here.
//!
//! Needs `$STDP_PYTHON` (else `python3`) with numpy and h5py (`make test` installs them). Without them
//! the test says so and passes, unless `STDP_REQUIRE_PYTHON=1` (set by CI),
//! where a missing Python stack is a failure.

use std::process::Command;

use stdp_harness::synapse::exp_stdp::{ExpStdpParams, ExpStdpSynapse, UniformInit};

/// `STDP_PYTHON` (set by the Makefile to its virtualenv) or `python3`.
fn python() -> String {
    std::env::var("STDP_PYTHON")
        .ok()
        .filter(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| "python3".into())
}

fn python_ready() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import numpy, h5py"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let required = std::env::var("STDP_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "STDP_REQUIRE_PYTHON=1 but python3 with numpy and h5py is not available"
        );
        eprintln!("SKIPPED: python3 with numpy and h5py not available");
    }
    ok
}

#[test]
fn numpy_and_h5py_read_saved_weights_and_numpy_npz_loads_back() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let params = ExpStdpParams {
        a_minus: 0.25,
        ..ExpStdpParams::default()
    }
    .check()
    .unwrap();
    let s = ExpStdpSynapse::new("exc", (7, 5), params, &UniformInit::seeded(11)).unwrap();
    s.save(dir.path()).unwrap();
    s.save_hdf5(dir.path()).unwrap();
    let script = r#"
import sys, numpy as np, h5py
d = sys.argv[1]
w = np.load(d + "/exc.npz")["weights"]
assert w.dtype == np.float32 and w.shape == (7, 5), (w.dtype, w.shape)
with h5py.File(d + "/exc.h5", "r") as f:
    h = f["weights"][...]
    assert float(f["weights"].attrs["a_minus"]) == 0.25
assert (h == w).all()
np.savez(d + "/from_numpy.npz", weights=(w * 0.5 + 0.125).astype(np.float32))
print(repr(float(w.astype(np.float64).sum())))
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py_sum: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let our_sum: f64 = s.weights().iter().map(|&x| f64::from(x)).sum();
    assert!((py_sum - our_sum).abs() < 1e-9, "{py_sum} vs {our_sum}");

    let mut t = ExpStdpSynapse::with_weights("from_numpy", s.weights().mapv(|_| 0.0), params);
    t.load(dir.path()).unwrap();
    let want = s.weights().mapv(|x| x * 0.5 + 0.125);
    assert_eq!(t.weights(), &want);
}
