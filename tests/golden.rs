//! Every golden case of the ExpSTDPSynapse rule passes at its stated tolerance.
//!
//! Cases come from `EXPSTDP_GOLDEN_DIR` when set, else `tests/golden/expstdp`;
//! an empty directory fails. Single- and multi-step: `out` and `W_next` each
//! step, and `W_traj` when present.

mod support;

use ndarray::{Array2, Axis};
use stdp_harness::Par;
use stdp_harness::synapse::exp_stdp::{
    EvolvePath, Evolver, ProjectionPath, compute_layer_auto_into,
};
use support::golden::{Case, case_files, golden_dir, load_case, max_abs_diff};

/// Runs one case through a fresh `evolver` (and `projection`), returning a
/// description of every mismatch.
fn check_case(case: &Case, mut evolver: Evolver, projection: ProjectionPath) -> Vec<String> {
    let mut bad = Vec::new();
    let mut w: Array2<f32> = case.w.clone();
    for t in 0..case.steps {
        let inputs = case.inputs(t);
        let mut out = Array2::zeros(case.out_at(t).dim());
        compute_layer_auto_into(inputs.pre, w.view(), &mut out.view_mut(), Some(projection))
            .expect("compute_layer");
        let d = max_abs_diff(out.iter(), case.out_at(t).iter());
        if d > case.atol_out {
            bad.push(format!(
                "{} step {t}: out off by {d:e} > {:e}",
                case.name, case.atol_out
            ));
        }
        evolver
            .evolve(&case.params, &inputs, &mut w.view_mut())
            .expect("evolve");
        if let Some(traj) = &case.w_traj {
            let want = traj.index_axis(Axis(0), t);
            let d = max_abs_diff(w.iter(), want.iter());
            if d > case.atol_w {
                bad.push(format!(
                    "{} step {t}: W_traj off by {d:e} > {:e}",
                    case.name, case.atol_w
                ));
            }
        }
    }
    let d = max_abs_diff(w.iter(), case.w_next.iter());
    if d > case.atol_w {
        bad.push(format!(
            "{}: W_next off by {d:e} > {:e}",
            case.name, case.atol_w
        ));
    }
    bad
}

fn run_all(path: EvolvePath, par: Par, projection: ProjectionPath) {
    let files = case_files();
    assert!(
        !files.is_empty(),
        "no golden cases (*.npz) in {}",
        golden_dir().display()
    );
    let mut bad = Vec::new();
    for f in &files {
        bad.extend(check_case(
            &load_case(f),
            Evolver::new(Some(path), par),
            projection,
        ));
    }
    assert!(
        bad.is_empty(),
        "{} of {} cases fail:\n{}",
        bad.len(),
        files.len(),
        bad.join("\n")
    );
    eprintln!(
        "{} golden cases pass ({path:?}, {par:?}, {projection:?})",
        files.len()
    );
}

#[test]
fn reference_path_matches_every_golden_case() {
    run_all(EvolvePath::Reference, Par::Seq, ProjectionPath::Blas);
}

#[test]
fn fused_path_matches_every_golden_case() {
    run_all(EvolvePath::Fused, Par::Seq, ProjectionPath::Blas);
}

#[test]
fn fused_path_in_parallel_matches_every_golden_case() {
    run_all(EvolvePath::Fused, Par::Rayon, ProjectionPath::Blas);
}

#[test]
fn events_path_matches_every_golden_case() {
    run_all(EvolvePath::Events, Par::Seq, ProjectionPath::Events);
}

#[test]
fn golden_cases_really_move_the_weights() {
    // Guards the comparison itself: a path that skipped the update must fail on
    // most cases. Emulated by comparing the initial weights with W_next.
    let files = case_files();
    let failing = files
        .iter()
        .map(|f| load_case(f))
        .filter(|c| max_abs_diff(c.w.iter(), c.w_next.iter()) > c.atol_w)
        .count();
    assert!(
        failing * 2 > files.len(),
        "only {failing} of {} cases notice a missing update",
        files.len()
    );
}
