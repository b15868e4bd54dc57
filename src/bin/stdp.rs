//! `stdp`: the command-line front end of stdp-harness.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stdp_harness::demo::{DemoConfig, run_demo};

#[derive(Parser)]
#[command(
    name = "stdp",
    version,
    about = "Spike-timing-dependent plasticity research harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drive one ExpStdpSynapse with Poisson spikes and save its weights and statistics.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "runs/demo")]
        out: PathBuf,
        /// Steps to simulate.
        #[arg(long, default_value_t = 5000)]
        steps: usize,
        /// Postsynaptic units.
        #[arg(long, default_value_t = 100)]
        n_out: usize,
        /// Learning rate eta.
        #[arg(long, default_value_t = 1e-3)]
        eta: f32,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo {
            out,
            steps,
            n_out,
            eta,
            seed,
        } => {
            let mut cfg = DemoConfig {
                steps,
                n_out,
                seed,
                ..DemoConfig::default()
            };
            cfg.params.eta = eta;
            let s =
                run_demo(&cfg, &out).with_context(|| format!("demo run into {}", out.display()))?;
            println!(
                "demo: {steps} steps of a {}x{} ExpStdpSynapse in {:.2} s ({:.0} steps/s)",
                cfg.n_in,
                cfg.n_out,
                s.seconds,
                steps as f64 / s.seconds.max(1e-9)
            );
            println!(
                "mean weight of frequently firing inputs {:.4}, of the rest {:.4}",
                s.mean_w_on, s.mean_w_off
            );
            for f in &s.files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}
