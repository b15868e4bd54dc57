//! A run asked to stop (SIGTERM, SIGUSR1, as SLURM sends before a time limit
//! or a preemption) saves its state and exits with status 75; the same
//! command run again resumes and ends with results bitwise identical to an
//! uninterrupted run. Checked for a Diehl & Cook run (stopped while
//! training and while labelling or testing), a synapse batch and a grid, at
//! random moments.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stdp_harness::experiment::ExperimentKind;
use stdp_harness::interrupt::EXIT_INTERRUPTED;
use stdp_harness::record::h5::{get_scalar, open_file};
use support::grid::{assert_same_merge, smoke_grid, stdp_ok};

/// A pseudo-random delay in `lo..hi` ms from the clock (a different moment each time).
fn random_ms(lo: u64, hi: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(lo + u64::from(nanos) % (hi - lo))
}

/// Starts `stdp args`, waits until `ready()` (polled) and then a random
/// `lo..hi` ms more, sends `signal`, and returns the exit status (0 when the
/// run finished first).
fn start_and_signal(
    args: &[String],
    signal: &str,
    ready: &dyn Fn() -> bool,
    lo: u64,
    hi: u64,
) -> i32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !ready() && child.try_wait().unwrap().is_none() {
        assert!(t0.elapsed() < Duration::from_secs(120), "never ready");
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(random_ms(lo, hi));
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    let code = out.status.code().expect("exited, not killed");
    if code == EXIT_INTERRUPTED {
        assert!(err.contains("run the same command again"), "{err}");
    }
    code
}

/// Runs `stdp args` to the end.
fn run_to_end(args: &[String]) {
    let o = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// What `stdp inspect dir` prints (it must succeed).
fn inspect(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .arg("inspect")
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every dataset of two result files, bit for bit.
fn assert_same_results(a: &Path, b: &Path) {
    let (fa, fb) = (open_file(a).unwrap(), open_file(b).unwrap());
    let names = fa.member_names().unwrap();
    assert!(!names.is_empty());
    for name in names {
        let (Ok(da), Ok(db)) = (fa.dataset(&name), fb.dataset(&name)) else {
            continue;
        };
        // Floats compared through f64 (exact for f32), integers through i64.
        let bits = |d: &hdf5::Dataset| -> Vec<u64> {
            use hdf5::types::TypeDescriptor as T;
            match d.dtype().unwrap().to_descriptor().unwrap() {
                T::Float(_) => d
                    .read_raw::<f64>()
                    .unwrap()
                    .iter()
                    .map(|x| x.to_bits())
                    .collect(),
                T::Integer(_) | T::Unsigned(_) | T::Boolean => d
                    .read_raw::<i64>()
                    .unwrap()
                    .iter()
                    .map(|&x| x as u64)
                    .collect(),
                _ => Vec::new(),
            }
        };
        assert_eq!(bits(&da), bits(&db), "dataset `{name}` differs");
    }
}

/// `stdp dc` of the quick experiment into `out` on `threads` threads, quiet,
/// with the `--set` overrides `sets`.
fn quick_dc_args(out: &Path, threads: &str, sets: &[&str]) -> Vec<String> {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/diehl_cook_quick.toml");
    let mut a: Vec<String> = vec![
        "dc".into(),
        config.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--quiet".into(),
        "--threads".into(),
        threads.into(),
    ];
    for s in sets {
        a.extend(["--set".into(), (*s).into()]);
    }
    a
}

#[test]
fn a_diehl_cook_run_stopped_while_training_and_testing_resumes_bitwise() {
    let d = tempfile::tempdir().unwrap();
    let args = |out: &Path| -> Vec<String> {
        // The stopped run on two threads, the reference on one: the results
        // depend on neither.
        let threads = if out.ends_with("reference") { "1" } else { "2" };
        quick_dc_args(
            out,
            threads,
            &[
                "train_examples=200",
                "label_examples=300",
                "test_examples=150",
                "test_repeats=2",
                "monitor_every=100",
                "checkpoint_every=50",
                // Blocks of frozen presentations smaller than a phase, run on
                // two threads: rounds of blocks, and stops between and within.
                "frozen_block=40",
            ],
        )
    };
    let stopped = d.path().join("stopped");
    let ckpt = stopped.join("checkpoint.h5");
    // The phase of the last checkpoint: None before the first, then whether
    // it was written while labelling or testing.
    let frozen = || -> Option<bool> {
        let f = open_file(&ckpt).ok()?;
        get_scalar::<u8>(&f, "has_frozen", &ckpt)
            .ok()
            .map(|x| x == 1)
    };
    // Stopped at a random moment after the first checkpoint (training),
    // then at one after the first labelling checkpoint, then run to the end.
    let code = start_and_signal(&args(&stopped), "TERM", &|| frozen().is_some(), 0, 100);
    assert_eq!(code, EXIT_INTERRUPTED);
    assert_eq!(frozen(), Some(false), "stopped while training");
    let shown = inspect(&stopped);
    assert!(
        shown.contains("unfinished Diehl & Cook run") && shown.contains("training examples"),
        "{shown}"
    );
    assert!(!shown.contains("training finished"), "{shown}");
    assert!(shown.contains("neurons at the resting edge"), "{shown}");
    // A grid's status line for such a point says the same, with the last
    // training window once one is recorded.
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/diehl_cook_quick.toml");
    let sets = [
        "train_examples=200".to_string(),
        "monitor_every=100".to_string(),
    ];
    let (line, fraction) = ExperimentKind::Dc
        .load(&config, &sets)
        .unwrap()
        .checkpoint_progress(&ckpt)
        .unwrap();
    assert!(
        line.starts_with("train ") && line.contains("/200"),
        "{line}"
    );
    assert!(line.contains("neurons at the resting edge"), "{line}");
    assert!(fraction > 0.0 && fraction < 1.0, "{fraction}");
    let code = start_and_signal(&args(&stopped), "USR1", &|| frozen() == Some(true), 0, 150);
    assert_eq!(code, EXIT_INTERRUPTED);
    assert_eq!(frozen(), Some(true), "stopped while labelling or testing");
    let shown = inspect(&stopped);
    assert!(
        shown.contains("after 200 training examples (training finished;"),
        "{shown}"
    );
    // Windows of 100 examples: the first gives the assignments, the second
    // the first point of the training curve.
    assert!(
        shown.contains("training accuracy of the last 1 monitoring windows (of 1): ")
            && shown.contains(" % at 200"),
        "{shown}"
    );
    run_to_end(&args(&stopped));
    assert!(!ckpt.exists(), "checkpoint removed at the end");
    let reference = d.path().join("reference");
    run_to_end(&args(&reference));
    assert_same_results(&stopped.join("result.h5"), &reference.join("result.h5"));
}

/// Rewrites a checkpoint's plasticity state into the layout of the builds
/// before rules had named state: `trace_0..k` in the rule's order (for
/// `dc_original` with delays: pre, post1, post2, the pre and post1
/// histories), the pending delayed conductance last, attribute `traces`.
fn to_unnamed_traces(ckpt: &Path) {
    let f = hdf5::File::open_rw(ckpt).unwrap();
    let names = [
        "rule_pre",
        "rule_post1",
        "rule_post2",
        "rule_pre_history",
        "rule_post1_history",
        "pending_ge",
    ];
    for (k, name) in names.iter().enumerate() {
        let v: Vec<f32> = f.dataset(name).unwrap().read_raw().unwrap();
        f.new_dataset_builder()
            .with_data(&v)
            .create(format!("trace_{k}").as_str())
            .unwrap();
        f.unlink(name).unwrap();
    }
    f.delete_attr("rule").unwrap();
    f.new_attr::<u64>()
        .shape(())
        .create("traces")
        .and_then(|a| a.write_scalar(&(names.len() as u64)))
        .unwrap();
}

#[test]
fn a_checkpoint_of_the_unnamed_trace_layout_resumes_bitwise() {
    // A run in flight when the rules' state got names must resume.
    let d = tempfile::tempdir().unwrap();
    let args = |out: &Path| -> Vec<String> {
        quick_dc_args(
            out,
            "1",
            &[
                "train_examples=150",
                "label_examples=100",
                "test_examples=100",
                "test_repeats=1",
                "monitor_every=50",
                "checkpoint_every=50",
            ],
        )
    };
    let stopped = d.path().join("stopped");
    let ckpt = stopped.join("checkpoint.h5");
    let training_checkpoint = || {
        open_file(&ckpt)
            .ok()
            .and_then(|f| get_scalar::<u8>(&f, "has_frozen", &ckpt).ok())
            == Some(0)
    };
    let code = start_and_signal(&args(&stopped), "TERM", &training_checkpoint, 0, 1);
    assert_eq!(code, EXIT_INTERRUPTED);
    assert!(training_checkpoint(), "stopped while training");
    to_unnamed_traces(&ckpt);
    run_to_end(&args(&stopped));
    let reference = d.path().join("reference");
    run_to_end(&args(&reference));
    assert_same_results(&stopped.join("result.h5"), &reference.join("result.h5"));
}

#[test]
fn a_synapse_batch_stopped_at_random_steps_resumes_bitwise() {
    let d = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            &config.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--threads",
            "1",
            "--quiet",
            "--set",
            "steps=20000",
            "--set",
            "record.checkpoint_every=0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let stopped = d.path().join("stopped");
    let ckpt = stopped.join("checkpoint.h5");
    let code = start_and_signal(&args(&stopped), "TERM", &|| stopped.exists(), 100, 600);
    assert_eq!(code, EXIT_INTERRUPTED, "stopped before the end");
    assert!(ckpt.exists(), "state saved");
    run_to_end(&args(&stopped));
    let reference = d.path().join("reference");
    run_to_end(&args(&reference));
    assert_same_results(&stopped.join("result.h5"), &reference.join("result.h5"));
}

#[test]
fn a_grid_stopped_on_request_exits_75_and_finishes_when_run_again() {
    let d = tempfile::tempdir().unwrap();
    let g = smoke_grid(d.path(), 8000, 0, 2);
    let stopped = d.path().join("stopped");
    let args: Vec<String> = [
        "grid",
        g.to_str().unwrap(),
        "--out",
        stopped.to_str().unwrap(),
        "--threads",
        "2",
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = || stopped.join("points").exists();
    let code = start_and_signal(&args, "USR1", &started, 100, 500);
    assert_eq!(code, EXIT_INTERRUPTED, "stopped before the end");
    // `stdp status` sees the saved points, and nothing failed.
    let st: serde_json::Value =
        serde_json::from_str(&stdp_ok(&["status", stopped.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(st["failed"], 0, "{st}");
    assert!(st["checkpointed"].as_u64().unwrap() >= 1, "{st}");
    run_to_end(&args);
    let reference = d.path().join("reference");
    stdp_ok(&[
        "grid",
        g.to_str().unwrap(),
        "--out",
        reference.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    for dir in [&stopped, &reference] {
        stdp_ok(&["merge", dir.to_str().unwrap()]);
    }
    assert_same_merge(&stopped, &reference);
}
