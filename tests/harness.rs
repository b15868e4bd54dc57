//! The harness: determinism across thread counts, exact resume after kill -9,
//! no silent overwrite, and files that Python opens.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stdp_harness::config::{Plan, load_plan};
use stdp_harness::experiment::batch_result::{ResultSummary, read_result};
use stdp_harness::experiment::batch_run::{RunOptions, run};
use stdp_harness::record::frame::read_parquet;

fn smoke() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml")
}

fn plan(sets: &[&str]) -> Plan {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_plan(&smoke(), &sets).unwrap()
}

fn assert_same_results(a: &ResultSummary, b: &ResultSummary) {
    assert_eq!(a.weights.len(), b.weights.len());
    for (k, (x, y)) in a.weights.iter().zip(&b.weights).enumerate() {
        // Bitwise: compare the bit patterns, not approximate values.
        let same = x
            .iter()
            .zip(y.iter())
            .all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same, "final weights of instance {k} differ");
    }
    assert_eq!(a.stats, b.stats, "statistics differ");
    assert_eq!(a.config, b.config);
}

#[test]
fn one_and_two_threads_give_bitwise_identical_results() {
    let p = plan(&["steps=400", "record.checkpoint_every=0"]);
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let noop = |_: u64| {};
    run(
        &p,
        &RunOptions {
            out: d1.path().into(),
            threads: 1,
            force: false,
        },
        &noop,
    )
    .unwrap();
    run(
        &p,
        &RunOptions {
            out: d2.path().into(),
            threads: 2,
            force: false,
        },
        &noop,
    )
    .unwrap();
    let (a, b) = (
        read_result(&d1.path().join("result.h5")).unwrap(),
        read_result(&d2.path().join("result.h5")).unwrap(),
    );
    assert_same_results(&a, &b);
    assert_eq!(a.weights.len(), 4);
    assert_eq!(a.stats.len(), 4 * 400 / 20);
    // Instances really differ from each other (own streams), and weights moved.
    assert_ne!(a.weights[0], a.weights[1]);
    // Weights moved (a row's update is exactly zero when no postsynaptic unit fired).
    let dw = a.stats.column("mean_abs_dw").unwrap();
    assert!(
        dw.iter().filter(|&&x| x > 0.0).count() * 2 > dw.len(),
        "{dw:?}"
    );
}

#[test]
fn a_checkpoint_of_another_config_is_refused() {
    use stdp_harness::harness::Instance;
    use stdp_harness::harness::checkpoint::write_checkpoint;
    let dir = tempfile::tempdir().unwrap();
    let a = plan(&["steps=100"]);
    let instances: Vec<Instance> = a
        .instances
        .iter()
        .map(|ip| Instance::new(&a, ip).unwrap())
        .collect();
    let mut persisted = vec![Default::default(); instances.len()];
    write_checkpoint(
        &dir.path().join("checkpoint.h5"),
        &a,
        &instances,
        &mut persisted,
    )
    .unwrap();
    let b = plan(&["steps=100", "rule.eta=0.01"]);
    let err = run(
        &b,
        &RunOptions {
            out: dir.path().into(),
            threads: 1,
            force: false,
        },
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("different config"), "{err}");
    // The same config resumes from it (at step 0) and finishes.
    run(
        &a,
        &RunOptions {
            out: dir.path().into(),
            threads: 1,
            force: false,
        },
        &|_| {},
    )
    .unwrap();
}

fn stdp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stdp"))
}

#[test]
fn kill_minus_nine_then_rerun_resumes_to_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed");
    let reference = dir.path().join("reference");
    let args = |o: &Path| -> Vec<String> {
        vec![
            "run".into(),
            smoke().display().to_string(),
            "--out".into(),
            o.display().to_string(),
            "--quiet".into(),
            "--set".into(),
            "steps=6000".into(),
            "--set".into(),
            "record.checkpoint_every=500".into(),
        ]
    };
    let mut child = stdp()
        .args(args(&out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for a first checkpoint, then kill at a random later moment.
    let t0 = Instant::now();
    while !out.join("checkpoint.h5").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no checkpoint appeared"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("run ended before it could be killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(Duration::from_millis(u64::from(nanos % 400)));
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(
        !out.join("result.h5").exists(),
        "killed before the end: no result (status {status})"
    );

    let resumed = stdp().args(args(&out)).output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let msg = String::from_utf8_lossy(&resumed.stdout);
    assert!(msg.contains("resumed at step"), "did not resume: {msg}");

    let mut ref_args = args(&reference);
    ref_args.extend(["--threads".into(), "1".into()]);
    let uninterrupted = stdp().args(ref_args).output().unwrap();
    assert!(uninterrupted.status.success());
    let a = read_result(&out.join("result.h5")).unwrap();
    let b = read_result(&reference.join("result.h5")).unwrap();
    assert_same_results(&a, &b);
    let pa = read_parquet(&out.join("stats.parquet")).unwrap();
    let pb = read_parquet(&reference.join("stats.parquet")).unwrap();
    assert!(pa.equals(&pb), "stats.parquet differs");
}

#[test]
fn a_finished_run_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(&["steps=50"]);
    let noop = |_: u64| {};
    let opts = RunOptions {
        out: dir.path().into(),
        threads: 1,
        force: false,
    };
    run(&p, &opts, &noop).unwrap();
    let before = std::fs::read(dir.path().join("result.h5")).unwrap();
    let err = run(&p, &opts, &noop).unwrap_err().to_string();
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("result.h5")).unwrap(), before);
    run(
        &p,
        &RunOptions {
            force: true,
            ..opts
        },
        &noop,
    )
    .unwrap();
}

#[test]
#[ignore = "needs Python with numpy, h5py and polars ($STDP_PYTHON); `make test` runs it"]
fn python_reads_result_h5_and_stats_parquet() {
    support::python::require(&["numpy", "h5py", "polars"]);
    let dir = tempfile::tempdir().unwrap();
    let p = plan(&["steps=100", "record.snapshot_stride=50"]);
    run(
        &p,
        &RunOptions {
            out: dir.path().into(),
            threads: 2,
            force: false,
        },
        &|_| {},
    )
    .unwrap();
    let script = r#"
import sys, h5py, polars as pl
d = sys.argv[1]
with h5py.File(d + "/result.h5", "r") as f:
    assert f.attrs["complete"] == 1
    assert "name = \"smoke\"" in f.attrs["config"]
    w = f["instances/00003/weights"][...]
    assert w.shape == (784, 100) and w.dtype.name == "float32"
    s = f["instances/00003/snapshots"]
    assert s.shape == (2, 784, 100) and s.maxshape[0] is None and s.compression == "gzip"
    assert abs(float(f["instances/00003"].attrs["eta"]) - 0.002) < 1e-9
    n = len(f["stats/step"])
df = pl.read_parquet(d + "/stats.parquet")
assert df.height == n == 4 * 5, (df.height, n)
assert df.columns[:3] == ["step", "instance", "w_mean"], df.columns
print(df.filter(pl.col("step") == 100).height)
"#;
    let out = support::python::run(script, dir.path());
    assert_eq!(out.trim(), "4");
}
