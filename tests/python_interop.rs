//! Files written here open in Python (numpy, h5py), and numpy's `.npz` loads here.
//!
//! Needs `$STDP_PYTHON` (else `python3`) with numpy and h5py: ignored by a
//! plain `cargo test`, run by `make test` (which installs them) with
//! `--ignored`.

mod support;

use stdp_harness::synapse::exp_stdp::{ExpStdpParams, ExpStdpSynapse, UniformInit};

#[test]
#[ignore = "needs Python with numpy and h5py ($STDP_PYTHON); `make test` runs it"]
fn numpy_and_h5py_read_saved_weights_and_numpy_npz_loads_back() {
    support::python::require(&["numpy", "h5py"]);
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
    let py_sum: f64 = support::python::run(script, dir.path())
        .trim()
        .parse()
        .unwrap();
    let our_sum: f64 = s.weights().iter().map(|&x| f64::from(x)).sum();
    assert!((py_sum - our_sum).abs() < 1e-9, "{py_sum} vs {our_sum}");

    let mut t = ExpStdpSynapse::with_weights("from_numpy", s.weights().mapv(|_| 0.0), params);
    t.load(dir.path()).unwrap();
    let want = s.weights().mapv(|x| x * 0.5 + 0.125);
    assert_eq!(t.weights(), &want);
}
