"""Start here from Python or a notebook: train the quick Diehl & Cook
network, look at what it learned, reuse it on other images, and drive the
seed's synapse on numpy arrays.

    make python                                   # once: builds and installs stdp_harness
    ~/.cache/stdp-py/bin/python examples/python/quick_start.py [--small]

Ctrl-C during the training saves a checkpoint; running it again resumes.
"""
import gzip
import pathlib
import sys

import numpy as np

import stdp_harness as sh

ROOT = pathlib.Path(__file__).resolve().parents[2]
MNIST = ROOT / "data" / "mnist"
OUT = pathlib.Path("runs") / "py_quick"
# --small: a few seconds instead of under a minute (what the tests run).
SMALL = dict(train_examples=300, label_examples=300, test_examples=200) if "--small" in sys.argv else {}
if SMALL:
    OUT = OUT.with_name("py_quick_small")


def mnist(split="t10k"):
    """MNIST images (N, 784) uint8 and labels (N,), with numpy alone."""
    with gzip.open(MNIST / f"{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(MNIST / f"{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


# 1. Train, label and test the 100-neuron network (resumes if interrupted;
#    a finished run is read back instead of being trained again).
if (OUT / "result.h5").exists():
    summary = sh.read_run(OUT)["summary"]
else:
    summary = sh.diehl_cook(ROOT / "experiments" / "diehl_cook_quick.toml", out=OUT, mnist=MNIST, **SMALL)
print(f"test accuracy {summary['accuracy_percent']:.1f} % (ridge readout "
      f"{summary['ridge_accuracy_percent'] or float('nan'):.1f} %), "
      f"{summary['ms_per_train_example']:.2f} ms per training example")

# 2. What it learned: weights (784, n_exc), thresholds, each neuron's class.
run = sh.read_run(OUT)
w, theta, assignments = run["weights"], run["theta"], run["assignments"]
print(f"weights {w.shape}, theta {theta.mean():.1f} mV on average, "
      f"classes of the neurons: {np.bincount(assignments[assignments >= 0], minlength=10)}")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = w.shape[1]
    side = int(np.ceil(np.sqrt(n)))
    fig, axes = plt.subplots(side, side, figsize=(side, side))
    for j, ax in enumerate(axes.flat):
        ax.axis("off")
        if j < n:
            ax.imshow(w[:, j].reshape(28, 28), cmap="hot_r")
            ax.set_title(str(assignments[j]), fontsize=6)
    fig.savefig(OUT / "receptive_fields_matplotlib.png", dpi=100)
    print(f"receptive fields: {OUT / 'receptive_fields_matplotlib.png'}")
except ImportError:
    print(f"(no matplotlib: the run's own figure is {OUT / 'receptive_fields.png'})")

# 3. Reuse the trained network on other images: the test set shifted by
#    two pixels to the right (nothing is labelled or trained again).
images, labels = mnist()
images, labels = images[:500], labels[:500]
shifted = np.roll(images.reshape(-1, 28, 28), 2, axis=2).reshape(-1, 784)
for name, x in (("as is", images), ("shifted 2 px", shifted)):
    ev = sh.evaluate(OUT, x, labels)
    print(f"500 test images {name}: {ev['accuracy_percent']:.1f} % "
          f"(spikes per image {ev['counts'].sum(axis=2).mean():.1f})")

# 4. The seed's ExpStdpSynapse on numpy arrays (batch, units), float32.
rng = np.random.default_rng(0)
syn = sh.ExpStdpSynapse("exc", (784, 100), eta=1e-3, seed=0)
pre = (rng.random((8, 784)) < 0.05).astype(np.float32)
out = syn.advance_state(pre)                      # out = pre @ W
path = syn.evolve(x_pre=pre, x_post=rng.random((8, 100), dtype=np.float32))
print(f"synapse: out {out.shape}, update by the {path} path, "
      f"weights in [{syn.weights.min():.3f}, {syn.weights.max():.3f}], saved to {syn.save(OUT)}")
