//! The whole evolving state of a [`DiehlCook`](super::diehl_cook::DiehlCook)
//! network at an example boundary, as one value: what a checkpoint stores
//! ([`DiehlCook::state`](super::diehl_cook::DiehlCook::state)) and puts back
//! ([`DiehlCook::restore`](super::diehl_cook::DiehlCook::restore)). How it is
//! laid out in a file is the checkpoint's business
//! ([`crate::experiment::dc_checkpoint`]).

use ndarray::Array2;

use super::diehl_cook::DcStats;
use crate::neuron::lif::LifState;

/// The state of a Diehl & Cook network between two examples.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkState {
    /// Health counters so far.
    pub stats: DcStats,
    /// Position of the network's random stream (its seed is the network's).
    pub rng_pos: u128,
    /// Input weights `(n_input, n_exc)`.
    pub w: Array2<f32>,
    /// The plasticity rule's state.
    pub rule: RuleState,
    /// The neurons, the delayed input and the clock.
    pub neurons: NeuronState,
}

/// What a network with fixed weights changes from one example to the next:
/// the neurons, the delayed input in flight, the clock. Every frozen
/// presentation block (labelling, testing, `stdp eval`) starts from the
/// state training left ([`DiehlCook::neuron_state`](super::diehl_cook::DiehlCook::neuron_state)).
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronState {
    /// Steps simulated so far (the clock of the delay rings).
    pub clock: u64,
    /// Excitatory population (θ in f64).
    pub exc: LifState,
    /// Inhibitory population.
    pub inh: LifState,
    /// The delayed input conductance still to arrive, `(slots, n_exc)`
    /// row-major (`None` without input delays).
    pub pending_ge: Option<Vec<f32>>,
    /// The rest spikes carried toward the next showing.
    pub carried_counts: Vec<u32>,
}

/// The plasticity rule's state in a [`NetworkState`].
#[derive(Clone, Debug, PartialEq)]
pub enum RuleState {
    /// The rule's name and its vectors by name
    /// ([`InputPlasticity::state_names`](crate::plasticity::InputPlasticity::state_names)),
    /// in any order.
    Named {
        /// The rule's name in configs.
        rule: String,
        /// `(name, vector)` per state vector.
        vectors: Vec<(String, Vec<f32>)>,
    },
    /// The layout of checkpoints written before rules had named state: the
    /// rule's vectors in the order of its state names, then the pending
    /// delayed conductance when the network has input delays (and
    /// [`NeuronState::pending_ge`] is `None`). Read so that runs in flight
    /// across that change resume.
    Ordered(Vec<Vec<f32>>),
}

/// Why a [`NetworkState`] does not fit the network it is restored into
/// (a shape, a length, the rule); the network is then left unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StateMismatch(pub String);
