//! The original code's rule ([`crate::synapse::dc_original`]) as the
//! network's [`InputPlasticity`]: it learns on column tiles.

use ndarray::ArrayViewMut2;

use super::{ColumnLearner, ColumnStep, InputPlasticity, state_fits};
use crate::error::Result;
use crate::synapse::dc_original::{DcStdp, RuleColumns, RuleShared};

/// One range's learning: the shared read-only part and the range's columns.
struct DcColumns<'a> {
    shared: RuleShared<'a>,
    cols: RuleColumns<'a>,
}

impl ColumnLearner for DcColumns<'_> {
    fn learn(&mut self, w: &mut ArrayViewMut2<f32>, step: &ColumnStep, scratch: &mut Vec<u32>) {
        self.cols.learn(
            &self.shared,
            w,
            step.inputs,
            step.posts,
            step.delays,
            scratch,
        );
    }
}

impl InputPlasticity for DcStdp {
    fn name(&self) -> &'static str {
        "dc_original"
    }

    fn begin_step(&mut self, t: u64, inputs: &[u32]) {
        DcStdp::begin_step(self, t, inputs);
    }

    fn columns<'a>(&'a mut self, bounds: &[usize]) -> Vec<Box<dyn ColumnLearner + 'a>> {
        let (shared, cols) = DcStdp::columns(self, bounds);
        cols.into_iter()
            .map(|cols| Box::new(DcColumns { shared, cols }) as Box<dyn ColumnLearner + 'a>)
            .collect()
    }

    fn learn_whole(
        &mut self,
        w: &mut ArrayViewMut2<f32>,
        step: &ColumnStep,
        scratch: &mut Vec<u32>,
    ) {
        let (shared, mut cols) = self.columns_whole();
        cols.learn(&shared, w, step.inputs, step.posts, step.delays, scratch);
    }

    fn end_step(
        &mut self,
        _w: &mut ArrayViewMut2<f32>,
        inputs: &[u32],
        posts: &[u32],
    ) -> Result<()> {
        DcStdp::end_step(self, inputs, posts);
        Ok(())
    }

    fn state_names(&self) -> Vec<&'static str> {
        let mut names = vec!["pre", "post1", "post2"];
        if self.history.is_some() {
            names.extend(["pre_history", "post1_history"]);
        }
        names
    }

    fn state(&self) -> Option<Vec<Vec<f32>>> {
        let mut v = vec![self.pre.clone(), self.post1.clone(), self.post2.clone()];
        if let Some(h) = &self.history {
            if !h.settled() {
                return None;
            }
            v.push(h.pre.clone());
            v.push(h.post1.clone());
        }
        Some(v)
    }

    fn set_state(&mut self, state: &[Vec<f32>]) -> bool {
        let mut lens = vec![self.pre.len(), self.post1.len(), self.post2.len()];
        if let Some(h) = &self.history {
            lens.extend([h.pre.len(), h.post1.len()]);
        }
        if !state_fits(state, &lens) {
            return false;
        }
        self.pre.copy_from_slice(&state[0]);
        self.post1.copy_from_slice(&state[1]);
        self.post2.copy_from_slice(&state[2]);
        if let Some(h) = &mut self.history {
            h.pre.copy_from_slice(&state[3]);
            h.post1.copy_from_slice(&state[4]);
        }
        true
    }
}
