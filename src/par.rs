//! Explicit parallelism for kernels: the caller says whether a call may fan out.

/// How a kernel may use threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Par {
    /// On the calling thread only (the right choice inside already-parallel work).
    #[default]
    Seq,
    /// Split over the current rayon pool (row blocks; results do not depend on the split).
    Rayon,
}
