//! The benchmark history: criterion's estimates are read from its
//! directory layout, recorded under a commit, recording the same commit
//! again replaces its rows (one per id), the file round-trips and polars
//! reads it, and one figure per group is drawn.

use std::path::Path;

use polars::prelude::*;
#[path = "../dev/bench_history.rs"]
mod bench_history;
use bench_history::{
    BenchEstimate, HISTORY_COLUMNS, Provenance, append, draw_history, read_criterion, read_history,
    write_history,
};

fn fake_bench(dir: &Path, group: &str, rest: &str, median: f64) {
    let d = dir.join(group).join(rest).join("new");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("benchmark.json"),
        format!(r#"{{"group_id":"{group}","function_id":"f","value_str":null,"full_id":"{group}/{rest}","directory_name":"x","title":"t"}}"#),
    )
    .unwrap();
    std::fs::write(
        d.join("estimates.json"),
        format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0}},"point_estimate":{m1},"standard_error":0.1}},
                "median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}},"point_estimate":{median},"standard_error":0.1}}}}"#,
            m1 = median * 1.1,
            lo = median * 0.9,
            hi = median * 1.2
        ),
    )
    .unwrap();
}

fn prov(commit: &str) -> Provenance {
    Provenance {
        commit: commit.into(),
        date: "2026-11-30 12:00:00".into(),
        cpu: "AMD EPYC, test".into(),
        toolchain: "rustc 1.95.0".into(),
        simd: "avx2+fma".into(),
    }
}

#[test]
fn recording_a_commit_twice_keeps_one_row_per_id_and_the_file_round_trips() {
    let d = tempfile::tempdir().unwrap();
    let crit = d.path().join("criterion");
    fake_bench(&crit, "diehl_cook", "train_example/100", 1.5e6);
    fake_bench(&crit, "diehl_cook", "train_example/400", 4.0e6);
    fake_bench(&crit, "evolve", "784x400/b1/events", 3.0e3);
    // Criterion's comparison copies are not estimates of the current run.
    let base = crit.join("evolve/784x400/b1/events/base");
    std::fs::create_dir_all(&base).unwrap();
    let est = read_criterion(&crit).unwrap();
    let ids: Vec<&str> = est.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "diehl_cook/train_example/100",
            "diehl_cook/train_example/400",
            "evolve/784x400/b1/events"
        ]
    );
    assert_eq!(est[1].median_ns, 4.0e6);
    assert_eq!(est[1].median_bounds_ns, (3.6e6, 4.8e6));

    let hist = d.path().join("bench/history.csv");
    let once = append(&read_history(&hist).unwrap(), &prov("abc1234"), &est);
    write_history(&hist, &once).unwrap();
    let again = append(&read_history(&hist).unwrap(), &prov("abc1234"), &est);
    write_history(&hist, &again).unwrap();
    let back = read_history(&hist).unwrap();
    assert_eq!(
        back.len(),
        3,
        "the same commit recorded twice: one row per id"
    );
    assert_eq!(
        back, once,
        "the file round-trips (a comma in the CPU model included)"
    );
    // Another commit adds rows; a partial re-record replaces only its ids.
    let more = append(&back, &prov("def5678"), &est[..1]);
    assert_eq!(more.len(), 4);
    let changed = BenchEstimate {
        median_ns: 1.0e6,
        ..est[0].clone()
    };
    let replaced = append(&more, &prov("def5678"), std::slice::from_ref(&changed));
    assert_eq!(replaced.len(), 4);
    assert!(replaced.iter().any(|r| r.estimate.median_ns == 1.0e6));
    write_history(&hist, &replaced).unwrap();

    // Python users read it with polars.
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(hist.clone()))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(df.height(), 4);
    assert_eq!(
        df.get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        HISTORY_COLUMNS
    );

    let figs = draw_history(&d.path().join("bench"), &replaced).unwrap();
    let names: Vec<String> = figs
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["diehl_cook.png", "evolve.png"]);
    assert!(
        figs.iter()
            .all(|f| std::fs::metadata(f).unwrap().len() > 1000)
    );
}

#[test]
fn a_history_with_a_bad_header_or_number_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("history.csv");
    std::fs::write(&p, "commit,date\n").unwrap();
    let e = read_history(&p).unwrap_err().to_string();
    assert!(e.contains("history.csv") && e.contains("header"), "{e}");
    std::fs::write(
        &p,
        format!(
            "{}\na,b,c,d,e,g,id,notanumber,1,2,3\n",
            HISTORY_COLUMNS.join(",")
        ),
    )
    .unwrap();
    let e = read_history(&p).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("median_ns"), "{e}");
}
