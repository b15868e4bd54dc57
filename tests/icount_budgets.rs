//! The instruction-count budget check of `make icount-check`
//! (`dev/icount.rs`, shared with `examples/icount.rs`): its unit tests.

#[path = "../dev/icount.rs"]
mod icount;
