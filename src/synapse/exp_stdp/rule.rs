//! `ExpStdp`: the seed's rule with its state, the one type the
//! `ExpStdpSynapse` component, the batch harness's instances and the Diehl &
//! Cook network's `exp_stdp` plasticity each hold, beside the arrays they
//! feed it (the component's compartments, the harness's drawn spikes and
//! traces, the network's spikes and set-to-1 traces).

use ndarray::ArrayViewMut2;

use super::inputs::EvolveInputs;
use super::params::ValidExpStdpParams;
use super::path::{EvolvePath, Evolver};
use crate::error::Result;
use crate::par::Par;

/// The rule's validated parameters and what its update knows of `W`
/// ([`Evolver`]: the path chooser and whether `W` is inside the clip range).
#[derive(Clone, Debug)]
pub struct ExpStdp {
    params: ValidExpStdpParams,
    evolver: Evolver,
}

impl ExpStdp {
    /// The rule with `params`, choosing the update path per call
    /// (`path = None`) or always taking `path`; nothing known of `W` yet.
    pub fn new(params: ValidExpStdpParams, path: Option<EvolvePath>) -> Self {
        let mut evolver = Evolver::new(path, Par::Seq);
        evolver.weights_replaced();
        ExpStdp { params, evolver }
    }

    /// The parameters.
    pub fn params(&self) -> &ValidExpStdpParams {
        &self.params
    }

    /// One update of `w` from `inputs` (the rule of the module docs of
    /// [`super::reference`]); returns the path taken.
    pub fn evolve(
        &mut self,
        inputs: &EvolveInputs,
        w: &mut ArrayViewMut2<f32>,
    ) -> Result<EvolvePath> {
        self.evolver.evolve(&self.params, inputs, w)
    }

    /// `W` was replaced or changed outside the rule: nothing is known of it.
    pub fn weights_replaced(&mut self) {
        self.evolver.weights_replaced();
    }
}
