//! The golden cases of the ExpSTDPSynapse rule through the `ExpStdpSynapse`
//! component, step by step as a user drives it (set `in`, `advance_state`,
//! set `out` to the case's post activity and the traces, `evolve`); writes
//! each case's `out` of every step `(K, B, n_out)` and final weights to
//! `<DIR>/<case>.npz` (keys `out`, `W_next`). The Python package's tests
//! compare its own results with these bit for bit.
//!
//!     cargo run --release --example golden_component -- DIR

#[allow(dead_code)]
#[path = "../tests/support/golden.rs"]
mod golden;

use ndarray::{Array3, Axis};
use ndarray_npy::NpzWriter;
use stdp_harness::synapse::exp_stdp::{Compartment, ExpStdpSynapse};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: golden_component DIR"))?;
    std::fs::create_dir_all(&dir)?;
    let files = golden::case_files();
    anyhow::ensure!(
        !files.is_empty(),
        "no golden cases in {}",
        golden::golden_dir().display()
    );
    for f in &files {
        let case = golden::load_case(f);
        let mut syn = ExpStdpSynapse::with_weights("syn", case.w.clone(), case.params);
        let (b, n_out) = case.out_at(0).dim();
        let mut outs = Array3::<f32>::zeros((case.steps, b, n_out));
        for t in 0..case.steps {
            let x = case.inputs(t);
            syn.set(Compartment::In, x.pre.to_owned())?;
            syn.advance_state()?;
            let out = syn.get(Compartment::Out).expect("advance_state sets out");
            outs.index_axis_mut(Axis(0), t).assign(out);
            syn.set(Compartment::Out, x.post.to_owned())?;
            syn.set(Compartment::XPre, x.x_pre.to_owned())?;
            syn.set(Compartment::XPost, x.x_post.to_owned())?;
            syn.evolve()?;
        }
        let path = std::path::Path::new(&dir).join(format!("{}.npz", case.name));
        let mut npz = NpzWriter::new(std::fs::File::create(&path)?);
        npz.add_array("out", &outs)?;
        npz.add_array("W_next", syn.weights())?;
        npz.finish()?;
    }
    println!("{} cases written to {dir}", files.len());
    Ok(())
}
