"""The Diehl & Cook runner, grids, the run reader and the evaluation of a
trained network, from Python."""
import os
import signal
import threading

import numpy as np
import pytest

import stdp_harness as sh
from conftest import MNIST, QUICK, ROOT, SMALL


def test_a_run_returns_its_summary(small_run):
    out, s = small_run
    assert s["name"] == "diehl_cook_quick" and s["n_exc"] == 100
    assert s["train_examples"] == 300 and s["test_examples"] == 200
    assert 10.0 < s["accuracy_percent"] <= 100.0
    assert (out / "result.h5").is_file() and (out / "summary.json").is_file()


def test_read_run_gives_the_arrays(small_run):
    out, s = small_run
    r = sh.read_run(out)
    assert r["weights"].shape == (784, 100) and r["weights"].dtype == np.float32
    assert r["theta"].shape == (100,) and r["theta"].dtype == np.float64
    assert r["assignments"].dtype == np.int8 and r["assignments"].min() >= -1
    assert r["test_predictions"].shape == (1, 200)
    assert r["test_labels"].shape == (200,)
    acc = 100 * (r["test_predictions"][0] == r["test_labels"]).mean()
    assert acc == pytest.approx(s["accuracy_percent"])
    assert r["summary"]["accuracy_percent"] == s["accuracy_percent"]
    assert r["ridge_weights"].shape == (101, 10)


def mnist_test_images(n):
    """The first n MNIST test images and labels, read with numpy alone."""
    import gzip

    def read(name):
        p = MNIST / name
        opener = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rb") as f:
            return f.read()

    names = sorted(os.listdir(MNIST))
    img = read(next(x for x in names if x.startswith("t10k-images")))
    lab = read(next(x for x in names if x.startswith("t10k-labels")))
    images = np.frombuffer(img, np.uint8, offset=16).reshape(-1, 784)[:n]
    labels = np.frombuffer(lab, np.uint8, offset=8)[:n]
    return images, labels


def test_evaluate_the_trained_network_on_numpy_images(small_run):
    out, s = small_run
    images, labels = mnist_test_images(200)
    ev = sh.evaluate(out, images, labels)
    assert ev["predictions"].shape == (1, 200) and ev["predictions"].dtype == np.uint8
    assert ev["counts"].shape == (1, 200, 100) and ev["counts"].dtype == np.uint32
    assert ev["counts"].sum() > 0
    # The same images as the run's test phase, the same spike trains, every
    # block from the state training left (result.h5's post_training_state):
    # every image gets the run's spike count and prediction.
    import h5py

    with h5py.File(out / "result.h5") as f:
        spikes = f["test_total_spikes"][0]
    assert np.array_equal(ev["counts"][0].sum(axis=1), spikes)
    assert np.array_equal(ev["predictions"], sh.read_run(out)["test_predictions"])
    assert ev["accuracy_percent"] == s["accuracy_percent"]
    assert ev["ridge_accuracy_percent"] is not None
    # Floats in [0, 255] are the same pixels.
    ev2 = sh.evaluate(out, images.astype(np.float32), labels)
    assert np.array_equal(ev2["predictions"], ev["predictions"])
    # Deterministic; two repeats draw other spike trains for the second.
    ev3 = sh.evaluate(out, images[:50], repeats=2, threads=2)
    assert np.array_equal(ev3["predictions"][0], ev["predictions"][0, :50])


def test_evaluate_refuses_bad_images(small_run):
    out, _ = small_run
    with pytest.raises(TypeError, match=r"images: expected shape \(N, 784\)"):
        sh.evaluate(out, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(TypeError, match="images: expected dtype uint8, float32 or float64"):
        sh.evaluate(out, np.zeros((3, 784), np.int16))
    bad = np.zeros((3, 784), np.float32)
    bad[1, 7] = np.nan
    with pytest.raises(ValueError, match=r"images: value NaN at \(1, 7\)"):
        sh.evaluate(out, bad)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        sh.evaluate(out, np.full((3, 784), 300.0))
    with pytest.raises(TypeError, match="labels"):
        sh.evaluate(out, np.zeros((3, 784), np.uint8), [1, 2])
    with pytest.raises(FileNotFoundError):
        sh.evaluate(out / "nope", np.zeros((3, 784), np.uint8))


def test_config_errors_are_python_exceptions_naming_the_key(tmp_path):
    with pytest.raises(ValueError, match="n_exc"):
        sh.diehl_cook(QUICK, out=tmp_path / "a", quiet=True, n_exc=0)
    with pytest.raises(ValueError, match="no_such_key"):
        sh.diehl_cook(QUICK, out=tmp_path / "b", quiet=True, no_such_key=1)
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        sh.diehl_cook(tmp_path / "missing.toml", quiet=True)
    with pytest.raises(TypeError, match="config"):
        sh.diehl_cook(42)
    with pytest.raises(ValueError, match="--threads"):
        sh.diehl_cook(QUICK, out=tmp_path / "c", threads=0, quiet=True)


def test_a_dict_config_runs_like_its_file(tmp_path):
    import tomllib

    cfg = tomllib.loads(QUICK.read_text())
    cfg.update(SMALL, train_examples=100, label_examples=100, test_examples=50)
    s = sh.diehl_cook(cfg, out=tmp_path / "dict", mnist=MNIST, quiet=True)
    f = sh.diehl_cook(QUICK, out=tmp_path / "file", mnist=MNIST, quiet=True,
                      **{**SMALL, "train_examples": 100, "label_examples": 100, "test_examples": 50})
    assert s["config_hash"] == f["config_hash"]
    assert s["accuracy_percent"] == f["accuracy_percent"]
    a, b = sh.read_run(tmp_path / "dict"), sh.read_run(tmp_path / "file")
    assert a["weights"].tobytes() == b["weights"].tobytes()
    # A dotted key through a double underscore.
    g = sh.diehl_cook(QUICK, out=tmp_path / "rule", mnist=MNIST, quiet=True, rule="exp_stdp",
                      exp_stdp__eta=0.02, train_examples=50, label_examples=50, test_examples=20)
    assert g["rule"] == "exp_stdp"
    assert "eta = 0.02" in sh.read_run(tmp_path / "rule")["config"]


def test_a_finished_run_is_not_overwritten_without_force(small_run):
    out, _ = small_run
    with pytest.raises(OSError, match="--force"):
        sh.diehl_cook(QUICK, out=out, mnist=MNIST, quiet=True, **SMALL)


def test_ctrl_c_saves_a_checkpoint_and_the_resume_equals_an_uninterrupted_run(tmp_path):
    sets = dict(SMALL, train_examples=3000, checkpoint_every=100000)
    whole = sh.diehl_cook(QUICK, out=tmp_path / "whole", mnist=MNIST, quiet=True, **sets)
    timer = threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt, match="call again"):
        sh.diehl_cook(QUICK, out=tmp_path / "cut", mnist=MNIST, quiet=True, **sets)
    timer.join()
    assert (tmp_path / "cut" / "checkpoint.h5").is_file()
    assert not (tmp_path / "cut" / "result.h5").exists()
    resumed = sh.diehl_cook(QUICK, out=tmp_path / "cut", mnist=MNIST, quiet=True, **sets)
    a, b = sh.read_run(tmp_path / "whole"), sh.read_run(tmp_path / "cut")
    for k in ("weights", "theta", "assignments", "test_predictions", "ridge_predictions", "train_predictions"):
        assert a[k].tobytes() == b[k].tobytes(), k
    for k in ("accuracy_percent", "ridge_accuracy_percent", "train_showings", "theta_mean_mv"):
        assert whole[k] == resumed[k], k


def test_a_grid_runs_its_points_and_skips_them_the_second_time(tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text(
        f'base = "{QUICK}"\n[fixed]\ntrain_examples = 60\nlabel_examples = 60\n'
        'test_examples = 30\nmonitor_every = 30\n[axes]\nseed = [0, 1]\n'
    )
    s = sh.grid(grid, out=tmp_path / "out", threads=2, mnist=MNIST, quiet=True)
    assert (s["points"], s["done"], s["skipped"], s["failed"]) == (2, 2, 0, 0)
    again = sh.grid(grid, out=tmp_path / "out", mnist=MNIST, quiet=True)
    assert (again["done"], again["skipped"]) == (0, 2)
    runs = sorted((tmp_path / "out" / "points").iterdir())
    assert len(runs) == 2
    assert {sh.read_run(r)["summary"]["seed"] for r in runs} == {0, 1}
    with pytest.raises(ValueError, match="shard"):
        sh.grid(grid, out=tmp_path / "out", shard="3/2", quiet=True)


def test_the_example_script_runs(tmp_path):
    import subprocess
    import sys

    script = ROOT / "examples" / "python" / "quick_start.py"
    r = subprocess.run([sys.executable, str(script), "--small"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout and "shifted 2 px" in r.stdout
    assert (tmp_path / "runs" / "py_quick_small" / "exc.npz").is_file()
