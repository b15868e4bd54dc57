# stdp-harness: `make run` and `make test` work on a fresh Debian/Ubuntu machine with Rust.

# One build directory outside the checkout, shared by every clone on this machine.
CARGO_TARGET_DIR ?= $(HOME)/.cache/stdp-target
STDP_PY_VENV ?= $(HOME)/.cache/stdp-py
export CARGO_TARGET_DIR STDP_PY_VENV
# The interop tests run this Python (numpy, h5py) when it exists.
export STDP_PYTHON ?= $(STDP_PY_VENV)/bin/python

CARGO ?= cargo

.PHONY: all deps cluster-deps run smoke grid-smoke test fmt lint doc unit python python-test python-lint icount-check icount-baseline bench bench-quick bench-deps bench-save bench-compare bench-record crossover clean-runs

all: run

## deps: install missing system packages (apt) and the Python test venv
deps:
	@scripts/install-deps.sh

## cluster-deps: deps, and (as root) a one-node SLURM for the cluster test
cluster-deps:
	@scripts/install-deps.sh --cluster

## run: the default experiment, a short Diehl & Cook MNIST run (under a minute);
## results under runs/diehl_cook_quick/ (re-running replaces them)
run: deps
	$(CARGO) run --release --bin stdp -- dc experiments/diehl_cook_quick.toml --out runs/diehl_cook_quick --force

## smoke: the synapse harness example; results under runs/smoke/
smoke: deps
	$(CARGO) run --release --bin stdp -- run experiments/smoke.toml --out runs/smoke --force
	$(CARGO) run --release --bin stdp -- inspect runs/smoke

## grid-smoke: the small grid over the smoke experiment, run, merged and reported
## (runs/grid_smoke/; complete points are skipped on a re-run)
grid-smoke: deps
	$(CARGO) run --release --bin stdp -- grid experiments/grid_smoke.toml --out runs/grid_smoke
	$(CARGO) run --release --bin stdp -- merge runs/grid_smoke
	$(CARGO) run --release --bin stdp -- report runs/grid_smoke

## test: formatting, lints (warnings are errors), docs, the test suite, the
## Python package's checks and tests, then the instruction-count regression check
test: cluster-deps fmt lint doc unit python-test icount-check

## python: the Python package `stdp_harness` (python/: pyo3 + numpy, built by
## maturin) compiled and installed into the project's virtualenv; the root
## crate's build, `make run` and the other targets never need it
python: deps
	VIRTUAL_ENV=$(STDP_PY_VENV) PYO3_PYTHON=$(STDP_PYTHON) $(STDP_PY_VENV)/bin/maturin develop --release --quiet -m python/Cargo.toml

## python-lint: the Python crate's formatting, lints and docs, as the root's
python-lint:
	$(CARGO) fmt --check --manifest-path python/Cargo.toml
	PYO3_PYTHON=$(STDP_PYTHON) $(CARGO) clippy --release --manifest-path python/Cargo.toml --all-targets -- -D warnings
	PYO3_PYTHON=$(STDP_PYTHON) RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release --no-deps --manifest-path python/Cargo.toml

## python-test: the package built and installed, its lints, then its tests
## (pytest, python/tests/): the golden cases through Python against the Rust
## component's results (examples/golden_component.rs), bit for bit; both on
## one OpenBLAS thread, as the last bit of a product depends on the count
GOLDEN_RUST = $(CARGO_TARGET_DIR)/golden-component
python-test: python python-lint
	OPENBLAS_NUM_THREADS=1 $(CARGO) run --release --quiet --example golden_component -- $(GOLDEN_RUST)
	OPENBLAS_NUM_THREADS=1 STDP_GOLDEN_RUST=$(GOLDEN_RUST) $(STDP_PYTHON) -m pytest -q python/tests

fmt:
	$(CARGO) fmt --check

lint:
	$(CARGO) clippy --release --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release --no-deps

## unit: the test suite (on the widest SIMD copies of the kernels the CPU
## has), the tests that need root (a SLURM cluster) or Python (ignored by a
## plain `cargo test`, so they are never counted as passed where they could
## not run), then the kernel and network tests again on the AVX2 and on the
## portable copies (STDP_SIMD caps the level; on a CPU without AVX-512 the
## first two runs are the same)
KERNEL_TESTS = --lib --test golden --test paths --test properties
unit:
	$(CARGO) test --release
	$(CARGO) test --release --test slurm --test python_interop --test harness --test grid_run -- --ignored
	STDP_SIMD=avx2 $(CARGO) test --release $(KERNEL_TESTS) --test diehl_cook
	STDP_SIMD=baseline $(CARGO) test --release $(KERNEL_TESTS)

## icount-check: instruction counts of the hot paths (Valgrind's callgrind,
## examples/icount.rs) against benches/budgets.toml: fails when an id exceeds its
## budget by more than the file's margin, skips (saying why) on another toolchain or
## SIMD path, then proves the check fails against budgets 10 % lower
icount-check: deps
	$(CARGO) run --release --example icount -- --budgets benches/budgets.toml --self-test

## icount-baseline: renew benches/budgets.toml after an intended change (commit it)
icount-baseline: deps
	$(CARGO) run --release --example icount -- --budgets benches/budgets.toml --write

## bench: criterion benchmarks (full); bench-quick: a smoke pass
bench: deps
	$(CARGO) bench

bench-quick: deps
	$(CARGO) bench -- --quick --noplot

## bench-deps: critcmp (criterion baseline comparisons) into ~/.cargo/bin
bench-deps: deps
	@command -v critcmp >/dev/null 2>&1 || $(CARGO) install critcmp --locked

## bench-save BASE=name [BENCH=network]: run the benches, keep the figures as baseline `name`
## bench-compare BASE=name [BENCH=network]: run them again and compare with it (critcmp:
## baseline, now, change; criterion also says whether each change is significant)
BASE ?= main
BENCH_ARGS = $(if $(BENCH),--bench $(BENCH),)
bench-save: bench-deps
	$(CARGO) bench $(BENCH_ARGS) -- --save-baseline $(BASE) --noplot

bench-compare: bench-deps
	$(CARGO) bench $(BENCH_ARGS) -- --save-baseline current --baseline $(BASE) --noplot
	critcmp --target-dir $(CARGO_TARGET_DIR) $(BASE) current

## bench-record [BENCH=network]: run the benches, append their medians and bounds
## under this commit to results/bench/history.csv, redraw results/bench/*.png
bench-record: deps
	$(CARGO) bench $(BENCH_ARGS) -- --noplot
	$(CARGO) run --release --example bench_record

## crossover: the density sweep behind the automatic path choice
crossover: deps
	$(CARGO) run --release --example crossover

clean-runs:
	rm -rf runs
