"""Shared fixtures of the Python package's tests (run by `make python-test`)."""
import os
import pathlib

import pytest

# The last bit of a BLAS product depends on OpenBLAS's thread count: the
# Rust results the golden test compares with are made on one thread too.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "expstdp"
QUICK = ROOT / "experiments" / "diehl_cook_quick.toml"
MNIST = ROOT / "data" / "mnist"

# A Diehl & Cook run of a few seconds: the quick experiment, cut short.
SMALL = dict(train_examples=300, label_examples=300, test_examples=200, monitor_every=100)


@pytest.fixture(scope="session")
def rust_golden_dir():
    """The Rust component's results on the golden cases
    (`cargo run --release --example golden_component -- DIR`, which
    `make python-test` runs and names in STDP_GOLDEN_RUST)."""
    d = os.environ.get("STDP_GOLDEN_RUST")
    if not d:
        pytest.fail("STDP_GOLDEN_RUST is not set: run the tests with `make python-test`")
    d = pathlib.Path(d)
    if not any(d.glob("*.npz")):
        pytest.fail(f"no Rust results in {d}")
    return d


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A finished small Diehl & Cook run directory (with a ridge readout)."""
    import stdp_harness as sh

    out = tmp_path_factory.mktemp("dc") / "run"
    summary = sh.diehl_cook(QUICK, out=out, mnist=MNIST, quiet=True, **SMALL)
    return out, summary
