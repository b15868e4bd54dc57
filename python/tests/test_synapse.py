"""ExpStdpSynapse from Python: the golden cases bit for bit as the Rust
component computes them, inputs checked, the weights shared, the GIL released."""
import sys
import threading
import time

import numpy as np
import pytest

import stdp_harness as sh
from conftest import GOLDEN

CASES = sorted(GOLDEN.glob("*.npz"))
PARAMS = ["w_bound", "eta", "x_tar", "exp_beta", "Aplus", "Aminus"]


def test_the_26_golden_cases_are_there():
    assert len(CASES) == 26


def run_case(z):
    """A golden case driven through the Python component, step by step."""
    p = {k: float(z[k]) for k in PARAMS}
    w_norm = float(z["w_norm"])
    syn = sh.ExpStdpSynapse("syn", z["W"].shape, weights=z["W"],
                            w_norm=None if np.isnan(w_norm) else w_norm, **p)
    steps = int(z["steps"])
    stack = (lambda a: a) if steps > 1 else (lambda a: a[None])
    pre, x_pre, post, x_post = (stack(z[k]) for k in ("pre", "x_pre", "post", "x_post"))
    outs = []
    for t in range(steps):
        outs.append(syn.advance_state(pre[t]))
        syn.set("out", post[t])
        syn.evolve(x_pre=x_pre[t], x_post=x_post[t])
    return np.stack(outs), np.array(syn.weights)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_case_equals_the_rust_component_bit_for_bit(case, rust_golden_dir):
    z = np.load(case)
    out, w = run_case(z)
    want = np.load(rust_golden_dir / case.name)
    assert out.dtype == w.dtype == np.float32
    assert out.tobytes() == want["out"].astype(np.float32).tobytes(), "out differs from Rust"
    assert w.tobytes() == want["W_next"].tobytes(), "W_next differs from Rust"
    # And both within the golden tolerances of the JAX reference.
    want_out = z["out"] if int(z["steps"]) > 1 else z["out"][None]
    assert np.abs(out - want_out).max() <= float(z["atol_out"])
    assert np.abs(w - z["W_next"]).max() <= float(z["atol_W"])


def test_a_skipped_update_fails_the_comparison():
    # Guards the comparison: the initial weights are far from W_next.
    z = np.load(GOLDEN / "p19_dc_784x100_spike_b1_default.npz")
    assert np.abs(z["W"] - z["W_next"]).max() > float(z["atol_W"])


def synapse(**kw):
    return sh.ExpStdpSynapse("exc", (784, 100), eta=1e-3, seed=3, **kw)


def inputs(b=4, seed=0):
    r = np.random.default_rng(seed)
    pre = (r.random((b, 784)) < 0.05).astype(np.float32)
    return pre, r.random((b, 784), dtype=np.float32), r.random((b, 100), dtype=np.float32)


def step(syn, pre, x_pre, x_post):
    out = syn.advance_state(pre)
    syn.evolve(x_pre=x_pre, x_post=x_post)
    return out, np.array(syn.weights)


def test_weights_are_a_read_only_view_that_follows_evolve_and_load(tmp_path):
    syn = synapse()
    w = syn.weights
    assert w.dtype == np.float32 and w.shape == (784, 100) and w.flags.c_contiguous
    assert not w.flags.writeable
    assert np.shares_memory(w, syn.weights), "no copy: two views of one buffer"
    before = w.copy()
    step(syn, *inputs())
    assert not np.array_equal(w, before), "the view sees the update"
    syn.save(tmp_path)
    other = synapse(init_range=(0.1, 0.2))
    v = other.weights
    other.load(tmp_path)
    assert np.array_equal(v, w), "the old view sees the loaded weights"
    with pytest.raises(ValueError):
        w[0, 0] = 1.0
    other.weights = np.full((784, 100), 0.5, np.float32)
    assert (v == 0.5).all()


def test_save_writes_the_npz_numpy_reads(tmp_path):
    syn = synapse()
    path = syn.save(tmp_path)
    assert path.name == "exc.npz"
    assert np.array_equal(np.load(path)["weights"], syn.weights)


def test_seed_and_given_weights():
    assert np.array_equal(synapse().weights, synapse().weights)
    assert not np.array_equal(synapse().weights, sh.ExpStdpSynapse("exc", (784, 100), seed=4).weights)
    w = np.random.default_rng(1).random((3, 2), dtype=np.float32)
    assert np.array_equal(sh.ExpStdpSynapse("s", (3, 2), weights=w).weights, w)
    with pytest.raises(TypeError, match="weights"):
        sh.ExpStdpSynapse("s", (2, 3), weights=w)


def test_fortran_ordered_and_strided_inputs_give_the_same_results():
    pre, x_pre, x_post = inputs(b=8)
    want = step(synapse(), pre, x_pre, x_post)
    fortran = step(synapse(), np.asfortranarray(pre), np.asfortranarray(x_pre), np.asfortranarray(x_post))
    big = np.zeros((16, 784 * 2), np.float32)
    big[::2, ::2] = pre
    strided = step(synapse(), big[::2, ::2], x_pre[::-1][::-1], x_post)
    for got in (fortran, strided):
        assert got[0].tobytes() == want[0].tobytes()
        assert got[1].tobytes() == want[1].tobytes()


@pytest.mark.parametrize("b", [1, 64])
def test_batches(b):
    out, w = step(synapse(), *inputs(b=b))
    assert out.shape == (b, 100) and out.dtype == np.float32
    assert ((w >= 0.01) & (w <= 1.0)).all()


def test_wrong_dtype_shape_and_values_are_refused_naming_the_argument():
    syn = synapse()
    pre, x_pre, x_post = inputs()
    with pytest.raises(TypeError, match=r"exc\.in: expected dtype float32, got float64"):
        syn.advance_state(pre.astype(np.float64))
    with pytest.raises(TypeError, match=r"exc\.in: expected shape \(batch, 784\)"):
        syn.advance_state(pre[0])
    with pytest.raises(TypeError, match=r"exc\.in: .*batch >= 1"):
        syn.advance_state(pre[:0])
    with pytest.raises(TypeError, match=r"exc\.x_post: expected shape \(batch, 100\)"):
        syn.set("x_post", x_pre)
    with pytest.raises(TypeError, match="expected a numpy array, got list"):
        syn.set("in", pre.tolist())
    with pytest.raises(TypeError, match="got >f4"):
        syn.set("in", pre.astype(">f4"))
    bad = pre.copy()
    bad[2, 5] = np.nan
    with pytest.raises(ValueError, match=r"exc\.in: value NaN at \(2, 5\)"):
        syn.advance_state(bad)
    with pytest.raises(ValueError, match="compartment `pre`"):
        syn.set("pre", pre)
    # a batch that does not match between compartments
    syn.advance_state(pre)
    with pytest.raises(TypeError, match="shape mismatch"):
        syn.evolve(x_pre=x_pre[:2], x_post=x_post)


def test_bad_parameters_are_value_errors_naming_them():
    with pytest.raises(ValueError, match="`eta` = -1"):
        sh.ExpStdpSynapse("s", (3, 2), eta=-1.0)
    with pytest.raises(ValueError, match="`w_norm`"):
        sh.ExpStdpSynapse("s", (3, 2), w_norm=0.0)
    with pytest.raises(TypeError, match="not both"):
        sh.ExpStdpSynapse("s", (3, 2), a_plus=1.0, Aplus=1.0)
    assert sh.ExpStdpSynapse("s", (3, 2), Aminus=0.5).params["a_minus"] == 0.5


def test_evolve_before_advance_state_and_reset():
    syn = synapse()
    pre, x_pre, x_post = inputs()
    with pytest.raises(RuntimeError, match="compartment `out` is empty"):
        syn.set("in", pre)
        syn.evolve(x_pre=x_pre, x_post=x_post)
    syn.advance_state()
    assert syn.get("out").shape == (4, 100)
    syn.reset()
    assert syn.get("in") is None and syn.get("out") is None


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="exc.npz"):
        synapse().load(tmp_path)


def test_the_gil_is_released_while_rust_computes():
    # With a huge switch interval the other thread (which hands the GIL back
    # at every turn) runs only when this one gives the GIL up: in `evolve`
    # and `advance_state`.
    syn = sh.ExpStdpSynapse("big", (784, 6400), eta=1e-3)
    r = np.random.default_rng(0)
    pre = r.random((64, 784), dtype=np.float32)
    x = r.random((64, 784), dtype=np.float32)
    xp = r.random((64, 6400), dtype=np.float32)
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1
            time.sleep(0)

    old = sys.getswitchinterval()
    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    sys.setswitchinterval(100.0)
    try:
        c0 = count[0]
        for _ in range(5):
            syn.advance_state(pre)
            syn.evolve(x_pre=x, x_post=xp)
        c1 = count[0]
    finally:
        sys.setswitchinterval(old)
        stop.set()
        t.join()
    assert c1 - c0 > 50, f"the other thread ran {c1 - c0} loops during the calls"


def test_the_type_stubs_name_every_public_function_and_method():
    import ast
    import pathlib

    stub = ast.parse((pathlib.Path(__file__).parents[1] / "stdp_harness.pyi").read_text())
    funcs = {n.name for n in stub.body if isinstance(n, ast.FunctionDef)}
    cls = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == "ExpStdpSynapse")
    methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)} - {"__init__"}
    public = {k for k in dir(sh) if not k.startswith("_") and callable(getattr(sh, k))} - {"ExpStdpSynapse", "stdp_harness"}
    assert funcs == public
    assert methods == {k for k in dir(sh.ExpStdpSynapse) if not k.startswith("_")}
