//! The `stdp` command line: bad input gives a clear error naming the file and
//! key, a non-zero exit, and no panic; good input runs and can be inspected.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn smoke() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml")
}

fn stdp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args)
        .output()
        .unwrap()
}

/// Asserts a clean failure whose message contains every one of `needles`.
fn fails_with(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(
        !err.contains("panicked"),
        "panic instead of an error: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "error does not mention {n:?}: {err}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const MINIMAL: &str = "name = \"t\"\nseed = 1\ninstances = 2\nsteps = 10\n";

#[test]
fn missing_config_file() {
    fails_with(
        &stdp(&["run", "no/such/config.toml"]),
        &["no/such/config.toml"],
    );
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "bad.toml", "name = \"t\"\nseed = = 3\n");
    fails_with(&stdp(&["run", &f]), &["bad.toml", "line 2"]);
}

#[test]
fn unknown_key_is_named() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "unknown.toml",
        &format!("{MINIMAL}[rule]\netta = 0.1\n"),
    );
    fails_with(&stdp(&["run", &f]), &["unknown.toml", "etta", "line 6"]);
}

#[test]
fn wrong_type_is_named() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "type.toml",
        "name = \"t\"\nseed = 1\ninstances = \"four\"\nsteps = 10\n",
    );
    fails_with(&stdp(&["run", &f]), &["type.toml", "line 3"]);
}

#[test]
fn nan_parameter_is_named() {
    fails_with(
        &stdp(&[
            "run",
            &smoke().display().to_string(),
            "--set",
            "rule.eta=nan",
        ]),
        &["smoke.toml", "rule.eta", "finite"],
    );
}

#[test]
fn invalid_values_are_named() {
    let s = smoke().display().to_string();
    for (set, key) in [
        ("synapse.n_in=0", "synapse.n_in"),
        ("synapse.path=fastest", "synapse.path"),
        ("rule.w_bound=0.005", "rule.w_bound"),
        ("input.pre_rate_hz=5000", "input.pre_rate_hz"),
        ("record.stride=0", "record.stride"),
        ("steps=0", "steps"),
    ] {
        fails_with(&stdp(&["run", &s, "--set", set]), &[key]);
    }
}

#[test]
fn override_of_a_missing_instance_is_named() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "ovr.toml",
        &format!("{MINIMAL}[[overrides]]\ninstance = 5\nrule = {{ eta = 0.1 }}\n"),
    );
    fails_with(
        &stdp(&["run", &f]),
        &["overrides[0].instance", "below instances = 2"],
    );
    let f = write(
        d.path(),
        "ovr2.toml",
        &format!("{MINIMAL}[[overrides]]\ninstance = 1\nrule = {{ eta = -1.0 }}\n"),
    );
    fails_with(&stdp(&["run", &f]), &["overrides[0].rule.eta"]);
}

#[test]
fn malformed_set_is_an_error() {
    fails_with(
        &stdp(&["run", &smoke().display().to_string(), "--set", "steps"]),
        &["key=value"],
    );
    fails_with(
        &stdp(&[
            "run",
            &smoke().display().to_string(),
            "--set",
            "nosuchkey=1",
        ]),
        &["nosuchkey"],
    );
}

#[test]
fn run_then_inspect_then_refuse_overwrite() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let o = out.display().to_string();
    let s = smoke().display().to_string();
    let r = stdp(&[
        "run",
        &s,
        "--out",
        &o,
        "--set",
        "steps=60",
        "--threads",
        "2",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let line = String::from_utf8_lossy(&r.stdout);
    assert!(
        line.contains("steps/s") && line.contains("result.h5"),
        "{line}"
    );
    assert_eq!(kind_attribute(&out.join("result.h5")), "run");
    fails_with(
        &stdp(&["run", &s, "--out", &o, "--set", "kind=\"dc\""]),
        &["smoke.toml", "kind", "stdp run"],
    );
    // A file of the other kind names the command that runs it, before
    // complaining about the keys it lacks.
    fails_with(
        &stdp(&["dc", &s, "--out", &o]),
        &["smoke.toml", "kind", "stdp run"],
    );
    let i = stdp(&["inspect", &o]);
    assert!(i.status.success(), "{}", String::from_utf8_lossy(&i.stderr));
    let text = String::from_utf8_lossy(&i.stdout);
    assert!(
        text.contains("run `smoke`") && text.contains("final statistics (step 60)"),
        "{text}"
    );
    fails_with(
        &stdp(&["run", &s, "--out", &o, "--set", "steps=60"]),
        &["--force"],
    );
    let again = stdp(&["run", &s, "--out", &o, "--set", "steps=60", "--force"]);
    assert!(again.status.success());
}

#[test]
fn truncated_or_foreign_result_file_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let o = out.display().to_string();
    let r = stdp(&[
        "run",
        &smoke().display().to_string(),
        "--out",
        &o,
        "--set",
        "steps=40",
    ]);
    assert!(r.status.success());
    let h5 = out.join("result.h5");
    let bytes = std::fs::read(&h5).unwrap();
    let cut = d.path().join("cut.h5");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    fails_with(&stdp(&["inspect", &cut.display().to_string()]), &["cut.h5"]);
    let junk = d.path().join("junk.h5");
    std::fs::write(&junk, b"not hdf5 at all").unwrap();
    fails_with(
        &stdp(&["inspect", &junk.display().to_string()]),
        &["junk.h5"],
    );
    fails_with(
        &stdp(&["inspect", &d.path().display().to_string()]),
        &["not a run directory"],
    );
}

/// The `kind` attribute of a result file.
fn kind_attribute(path: &Path) -> String {
    let f = stdp_harness::record::h5::open_file(path).unwrap();
    stdp_harness::record::h5::get_str(&f, "kind", path).unwrap()
}

fn dc_quick() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments/diehl_cook_quick.toml")
        .display()
        .to_string()
}

#[test]
fn diehl_cook_run_writes_records_summary_and_figures() {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("dc").display().to_string();
    let sets = [
        "n_exc=10",
        "train_examples=30",
        "label_examples=20",
        "test_examples=20",
        "monitor_every=10",
    ];
    let q = dc_quick();
    let mut args = vec!["dc", q.as_str(), "--out", &o];
    for s in &sets {
        args.extend(["--set", s]);
    }
    let r = stdp(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("test accuracy") && text.contains("training accuracy after 20 examples"),
        "{text}"
    );
    for f in [
        "result.h5",
        "summary.json",
        "training_curve.parquet",
        "receptive_fields.png",
        "training_accuracy.png",
    ] {
        assert!(d.path().join("dc").join(f).exists(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("dc/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["n_exc"], 10);
    assert_eq!(summary["train_examples"], 30);
    let acc = summary["accuracy_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&acc));
    assert!(summary["command"].as_str().unwrap().contains("dc"));
    // The summary keys spelled elsewhere (a grid's metric columns, what
    // inspect shows) are keys of the summary.
    use stdp_harness::experiment::{describe::INSPECT_SUMMARY_KEYS, diehl_cook::METRICS};
    for key in METRICS.iter().chain(&INSPECT_SUMMARY_KEYS) {
        assert!(
            *key == "final_train_accuracy_percent" || summary.get(key).is_some(),
            "`{key}` is not a key of summary.json"
        );
    }
    assert_eq!(kind_attribute(&d.path().join("dc/result.h5")), "dc");
    fails_with(&stdp(&args), &["--force"]);
    let shown = stdp(&["inspect", &o]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    for needle in [
        "Diehl & Cook run",
        "test accuracy",
        "10 excitatory neurons",
        "n_exc = 10",
    ] {
        assert!(
            text.contains(needle),
            "inspect output lacks {needle:?}: {text}"
        );
    }
}

#[test]
fn eval_reuses_a_finished_run_and_refuses_what_it_cannot_do() {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("dc").display().to_string();
    let q = dc_quick();
    let mut args = vec!["dc", q.as_str(), "--out", &o, "--quiet"];
    for s in [
        "n_exc=20",
        "train_examples=60",
        "label_examples=40",
        "test_examples=30",
        "monitor_every=30",
    ] {
        args.extend(["--set", s]);
    }
    let r = stdp(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let eval = |extra: &[&str]| {
        let mut a = vec!["eval", o.as_str(), "--quiet"];
        a.extend(extra);
        stdp(&a)
    };
    let r = eval(&[]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("test accuracy") && text.contains("30 examples x 1 repeats"),
        "{text}"
    );
    let json = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(Path::new(dir).join("eval.json")).unwrap())
            .unwrap()
    };
    let e = json(&format!("{o}/eval"));
    assert_eq!(e["test_examples"], 30);
    assert!(e["ridge_accuracy_percent"].is_f64());
    // On the run's own test images, every block starting from the state
    // training left (result.h5's post_training_state), eval gives the
    // run's own predictions: the same accuracies, and the same prediction
    // of every image.
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&o).join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(e["accuracy_percent"], run["accuracy_percent"]);
    assert_eq!(e["ridge_accuracy_percent"], run["ridge_accuracy_percent"]);
    fn dataset<T: hdf5::H5Type>(file: &str, name: &str) -> Vec<T> {
        let f = stdp_harness::record::h5::open_file(Path::new(file)).unwrap();
        f.dataset(name).unwrap().read_raw::<T>().unwrap()
    }
    let (evaluated, trained) = (format!("{o}/eval/eval.h5"), format!("{o}/result.h5"));
    assert_eq!(
        dataset::<u8>(&evaluated, "test_predictions"),
        dataset::<u8>(&trained, "test_predictions")
    );
    assert_eq!(
        dataset::<u32>(&evaluated, "test_total_spikes"),
        dataset::<u32>(&trained, "test_total_spikes")
    );
    // Written into its own directory; the run is untouched and trains nothing.
    assert!(Path::new(&o).join("eval/eval.h5").exists());
    fails_with(&eval(&[]), &["eval.json", "--force"]);
    let other = d.path().join("e2").display().to_string();
    let r = eval(&[
        "--out",
        &other,
        "--set",
        "test_repeats=2",
        "--set",
        "test_examples=50",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let e2 = json(&other);
    assert_eq!(e2["test_repeats"], 2);
    assert_eq!(e2["accuracy_per_repeat"].as_array().unwrap().len(), 2);
    fails_with(
        &eval(&["--force", "--set", "n_exc=4"]),
        &["n_exc", "cannot be changed"],
    );
    fails_with(
        &stdp(&["eval", &d.path().join("none").display().to_string()]),
        &["none", "result.h5"],
    );
    let smoke_out = d.path().join("smoke").display().to_string();
    let s = smoke().display().to_string();
    let r = stdp(&[
        "run", &s, "--out", &smoke_out, "--quiet", "--set", "steps=20",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    fails_with(&stdp(&["eval", &smoke_out]), &["not a Diehl & Cook run"]);
}

#[test]
fn diehl_cook_config_errors_are_named() {
    let q = dc_quick();
    for (set, key) in [
        ("rule=hebb", "rule"),
        ("n_exc=0", "n_exc"),
        ("test_examples=20000", "test_examples"),
        ("dc_original.nu_post=-1.0", "dc_original.nu_post"),
        ("w_ie=nan", "w_ie"),
        ("evaluate_on=train", "unknown variant `train`"),
        ("integrator=rk4", "integrator"),
        ("spike_timer=brian3", "spike_timer"),
        ("input_delay_ms=[5.0, 1.0]", "input_delay_ms"),
        ("input_delay_ms=[-1.0, 1.0]", "input_delay_ms"),
        ("input_delay_ms=[nan, 1.0]", "input_delay_ms"),
        ("input_delay_ms=[0.0, 500.0]", "input_delay_ms"),
        ("test_repeats=0", "test_repeats"),
        ("tau_theta_ms=0.0", "tau_theta_ms"),
        ("tau_theta_ms=-5.0", "tau_theta_ms"),
        ("tau_theta_ms=nan", "tau_theta_ms"),
        ("tau_theta_ms=inf", "tau_theta_ms"),
        ("count_window=rest", "count_window"),
        ("ridge_lambdas=[]", "ridge_lambdas"),
        ("ridge_lambdas=[1.0, 0.0]", "ridge_lambdas"),
        ("ridge_lambdas=[nan]", "ridge_lambdas"),
        ("frozen_block=0", "frozen_block"),
        ("kind=\"run\"", "kind"),
    ] {
        fails_with(
            &stdp(&["dc", &q, "--set", set]),
            &["diehl_cook_quick.toml", key],
        );
    }
    fails_with(&stdp(&["dc", &q, "--threads", "0"]), &["--threads"]);
    // An instruction-set cap that names no level is refused before anything runs.
    let simd = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(["dc", &q])
        .env("STDP_SIMD", "sse9")
        .output()
        .unwrap();
    fails_with(&simd, &["STDP_SIMD", "sse9", "avx512"]);
    // Validation images are training images 50,000-59,999: labelling may not
    // reach them (training cycles over the images before them).
    fails_with(
        &stdp(&[
            "dc",
            &q,
            "--set",
            "evaluate_on=validation",
            "--set",
            "label_examples=60000",
        ]),
        &["label_examples", "50000"],
    );
    let d = tempfile::tempdir().unwrap();
    fails_with(
        &stdp(&[
            "dc",
            &q,
            "--mnist",
            &d.path().display().to_string(),
            "--out",
            &d.path().join("o").display().to_string(),
        ]),
        &["train-images-idx3-ubyte"],
    );
}

#[test]
fn diehl_cook_validation_runs_test_on_training_images_never_trained_on() {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("v").display().to_string();
    let q = dc_quick();
    let mut args = vec!["dc", q.as_str(), "--out", &o];
    for s in [
        "n_exc=10",
        "train_examples=20",
        "label_examples=10",
        "test_examples=15",
        "monitor_every=10",
        "evaluate_on=validation",
    ] {
        args.extend(["--set", s]);
    }
    let r = stdp(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("validation accuracy"));
    let f = stdp_harness::record::h5::open_file(&d.path().join("v/result.h5")).unwrap();
    let labels = f.dataset("test_labels").unwrap().read_raw::<u8>().unwrap();
    let train = stdp_harness::data::mnist::load(
        &stdp_harness::data::mnist::bundled_dir(),
        stdp_harness::data::mnist::Split::Train,
    )
    .unwrap();
    assert_eq!(labels, train.labels[50_000..50_015].to_vec());
    let test = stdp_harness::data::mnist::load(
        &stdp_harness::data::mnist::bundled_dir(),
        stdp_harness::data::mnist::Split::Test,
    )
    .unwrap();
    assert_ne!(labels, test.labels[..15].to_vec(), "not the test set");
}

#[test]
fn diehl_cook_run_killed_with_minus_nine_resumes_to_the_same_results() {
    let d = tempfile::tempdir().unwrap();
    let q = dc_quick();
    let killed = d.path().join("killed").display().to_string();
    let reference = d.path().join("reference").display().to_string();
    let sets = [
        "train_examples=600",
        "label_examples=20",
        "test_examples=20",
        "test_repeats=2",
        "monitor_every=100",
        "checkpoint_every=20",
    ];
    let args = |out: &str| -> Vec<String> {
        let mut a: Vec<String> = vec![
            "dc".into(),
            q.clone(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ];
        for s in &sets {
            a.extend(["--set".into(), (*s).into()]);
        }
        a
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args(&killed))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ckpt = d.path().join("killed/checkpoint.h5");
    let t0 = std::time::Instant::now();
    while !ckpt.exists() {
        assert!(t0.elapsed().as_secs() < 60, "no checkpoint appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(std::time::Duration::from_millis(u64::from(nanos % 300)));
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(
        !d.path().join("killed/result.h5").exists(),
        "killed before the end"
    );
    let r = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args(&killed))
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let u = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args(&reference))
        .output()
        .unwrap();
    assert!(u.status.success());
    let read = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(Path::new(dir).join("summary.json")).unwrap())
            .unwrap()
    };
    let (a, b) = (read(&killed), read(&reference));
    assert_eq!(
        a["input_delay_ms"],
        serde_json::json!([0.0, 10.0]),
        "delays on"
    );
    for key in [
        "accuracy_percent",
        "accuracy_per_repeat",
        "train_showings",
        "training_curve",
        "steps",
        "overshoot_steps",
        "max_exc_spikes_in_step",
        "theta_mean_mv",
    ] {
        assert_eq!(a[key], b[key], "{key} differs after resume");
    }
    // The final weights and thresholds too, bit for bit.
    let read_h5 = |dir: &str, name: &str| -> Vec<u32> {
        let f = stdp_harness::record::h5::open_file(&Path::new(dir).join("result.h5")).unwrap();
        let v: ndarray::ArrayD<f32> = f.dataset(name).unwrap().read_dyn().unwrap();
        v.iter().map(|x| x.to_bits()).collect()
    };
    for name in ["weights", "theta"] {
        assert_eq!(
            read_h5(&killed, name),
            read_h5(&reference, name),
            "{name} differs after resume"
        );
    }
    assert!(
        !Path::new(&killed).join("checkpoint.h5").exists(),
        "checkpoint removed at the end"
    );
}

/// Writes IDX files of `count` random `rows x cols` images (and labels) named as MNIST's.
fn write_idx(dir: &Path, stem: &str, count: u32, rows: u32, cols: u32) {
    let mut img = Vec::new();
    for x in [2051u32, count, rows, cols] {
        img.extend(x.to_be_bytes());
    }
    img.extend((0..count * rows * cols).map(|k| (k % 251) as u8));
    std::fs::write(dir.join(format!("{stem}-images-idx3-ubyte")), img).unwrap();
    let mut lab = Vec::new();
    for x in [2049u32, count] {
        lab.extend(x.to_be_bytes());
    }
    lab.extend((0..count).map(|k| (k % 10) as u8));
    std::fs::write(dir.join(format!("{stem}-labels-idx1-ubyte")), lab).unwrap();
}

#[test]
fn diehl_cook_on_images_that_are_not_28x28_names_the_file_and_size() {
    let d = tempfile::tempdir().unwrap();
    write_idx(d.path(), "train", 30, 10, 12);
    write_idx(d.path(), "t10k", 30, 10, 12);
    let out = d.path().join("o");
    let r = stdp(&[
        "dc",
        &dc_quick(),
        "--mnist",
        &d.path().display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    fails_with(&r, &["train-images-idx3-ubyte", "10x12", "28x28"]);
    assert!(!out.join("result.h5").exists(), "nothing written");
}

#[test]
fn a_second_process_on_the_same_run_directory_fails_at_once_naming_the_first() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run").display().to_string();
    let q = dc_quick();
    let mut first = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(["dc", &q, "--out", &out, "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = d.path().join("run/.lock");
    let t0 = std::time::Instant::now();
    // The lock file holds the first process's id once it is taken.
    while std::fs::read_to_string(&lock).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            t0.elapsed().as_secs() < 60,
            "the first run never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = stdp(&["dc", &q, "--out", &out, "--quiet"]);
    let _ = first.kill();
    let _ = first.wait();
    fails_with(&second, &["in use by process", &first.id().to_string()]);
}

/// The lines of the fenced block right after the heading `## {title}`.
fn block_after<'a>(doc: &'a str, title: &str) -> Option<Vec<&'a str>> {
    let lines: Vec<&str> = doc.lines().collect();
    let h = lines
        .iter()
        .position(|l| l.trim_end() == format!("## {title}"))?;
    let open = h
        + 1
        + lines[h + 1..]
            .iter()
            .position(|l| l.starts_with("```") || l.starts_with("## "))?;
    if !lines[open].starts_with("```") {
        return None;
    }
    let close = open
        + 1
        + lines[open + 1..]
            .iter()
            .position(|l| l.starts_with("```"))?;
    Some(lines[open + 1..close].to_vec())
}

fn trimmed(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().map(str::trim_end).collect();
    while v.last() == Some(&"") {
        v.pop();
    }
    v
}

#[test]
fn docs_cli_md_is_the_help_of_every_command() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let top = stdp(&["--help"]);
    assert!(top.status.success());
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    let subs: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(subs.len() >= 8, "{subs:?}");
    let mut stale = Vec::new();
    for sub in std::iter::once(None).chain(subs.iter().map(Some)) {
        let (title, args) = match sub {
            None => ("stdp".to_string(), vec!["--help"]),
            Some(s) => (format!("stdp {s}"), vec![s.as_str(), "--help"]),
        };
        let out = stdp(&args);
        assert!(out.status.success(), "{title} --help");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        match block_after(&doc, &title) {
            Some(block) if trimmed(&block.join("\n")) == trimmed(&help) => {}
            Some(_) => stale.push(format!("{title}: differs from `{title} --help`")),
            None => stale.push(format!(
                "{title}: no section `## {title}` with a fenced block"
            )),
        }
    }
    assert!(
        stale.is_empty(),
        "docs/cli.md is out of date (`python3 scripts/cli_doc.py` rewrites its blocks):\n{}",
        stale.join("\n")
    );
}
