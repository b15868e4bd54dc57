//! Experiment configs: TOML as written ([`raw`]) and the validated plan ([`plan`]).

pub mod plan;
pub mod raw;
pub mod template;

pub use plan::{InputPlan, InstancePlan, Plan, RecordPlan, load_plan, plan_from_str};
pub use raw::RawConfig;
