//! Instruction-count budgets (`benches/budgets.toml`) and the regression
//! check against them (`make icount-check`; see `examples/icount.rs`).
//!
//! The counts come from Valgrind's callgrind: each hot path runs once in its
//! own process with collection switched on only inside the measured region
//! (`--collect-atstart=no --toggle-collect=<region function>`), and the
//! count is the `totals:` (or `summary:`) line of callgrind's output file.
//! Counts are exact for one binary, but change with the compiler and the
//! SIMD path of the kernels: budgets carry both, and a check on another
//! toolchain or path is skipped with a message instead of compared.

// Shared by several benches, examples and tests, each using a part.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use stdp_harness::error::{Error, Result};
use stdp_harness::record::atomic::write_atomically;

/// Instructions per bench id.
pub type Counts = BTreeMap<String, u64>;

/// The instructions (`Ir`) callgrind collected, from its output file: the
/// first number of the `totals:` line, or of `summary:` when there is none.
pub fn read_callgrind_total(path: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_callgrind_total(&text).map_err(|why| Error::file(path, why))
}

/// [`read_callgrind_total`] on the file's text.
pub fn parse_callgrind_total(text: &str) -> std::result::Result<u64, String> {
    let events = text
        .lines()
        .find_map(|l| l.strip_prefix("events:"))
        .ok_or("no `events:` line: not a callgrind output file")?;
    if events.split_whitespace().next() != Some("Ir") {
        return Err(format!(
            "the first event is `{}`, expected `Ir`",
            events.trim()
        ));
    }
    let line = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::to_owned)
    };
    let total = line("totals:")
        .or_else(|| line("summary:"))
        .ok_or("no `totals:` or `summary:` line")?;
    total
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("`{}`: not an instruction count", total.trim()))
}

/// The committed budgets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    /// `rustc -V` of the measurement.
    pub toolchain: String,
    /// SIMD path of the kernels (`avx2+fma` or `baseline`).
    pub simd: String,
    /// Allowed excess over a budget, percent.
    pub margin_percent: f64,
    /// Instructions per bench id.
    pub instructions: BTreeMap<String, u64>,
}

impl Budgets {
    /// Budgets equal to measured counts.
    pub fn from_counts(counts: &Counts, toolchain: &str, simd: &str, margin_percent: f64) -> Self {
        Budgets {
            toolchain: toolchain.into(),
            simd: simd.into(),
            margin_percent,
            instructions: counts.clone(),
        }
    }

    /// Reads a budgets file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| Error::file(path, e))
    }

    /// Writes a budgets file (atomically), with a header saying how to renew it.
    pub fn write(&self, path: &Path) -> Result<()> {
        let body = toml::to_string(self).map_err(|e| Error::file(path, e))?;
        let text = format!(
            "# Instruction budgets of examples/icount.rs (callgrind, one run each), checked by\n\
             # `make icount-check` (part of `make test`); renew after an intended change with\n\
             # `make icount-baseline`. Valid for this toolchain and SIMD path only.\n{body}"
        );
        write_atomically(path, |tmp| {
            std::fs::write(tmp, &text).map_err(|e| Error::io(tmp, e))
        })
    }

    /// Multiplies every budget by `f` (e.g. 0.9: a budget 10 % lower).
    pub fn scale(&mut self, f: f64) {
        for v in self.instructions.values_mut() {
            *v = (*v as f64 * f).round() as u64;
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not comparable here (why).
    Skipped(String),
    /// One line per id, and how many are over budget.
    Checked {
        /// `id: count vs budget (+x.x %)`, marked when over.
        lines: Vec<String>,
        /// Ids over budget by more than the margin (and ids without a budget
        /// or without a count).
        over: usize,
    },
}

/// Compares `counts` (measured with `toolchain` on `simd`) with `budgets`.
pub fn check(budgets: &Budgets, counts: &Counts, toolchain: &str, simd: &str) -> Verdict {
    if budgets.toolchain != toolchain || budgets.simd != simd {
        return Verdict::Skipped(format!(
            "the budgets were measured with `{}` on the {} path, this is `{toolchain}` on the {simd} path; \
             counts are only comparable on the same compiler and path (make icount-baseline to renew them)",
            budgets.toolchain, budgets.simd
        ));
    }
    let mut lines = Vec::new();
    let mut over = 0;
    for (id, &budget) in &budgets.instructions {
        match counts.get(id) {
            None => {
                over += 1;
                lines.push(format!("MISSING {id}: budgeted, not measured"));
            }
            Some(&n) => {
                let change = 100.0 * (n as f64 / budget as f64 - 1.0);
                let bad = change > budgets.margin_percent;
                over += usize::from(bad);
                lines.push(format!(
                    "{}{id}: {n} instructions, budget {budget} ({change:+.2} %)",
                    if bad { "OVER " } else { "" }
                ));
            }
        }
    }
    for id in counts
        .keys()
        .filter(|id| !budgets.instructions.contains_key(*id))
    {
        over += 1;
        lines.push(format!("UNBUDGETED {id}: measured, no budget"));
    }
    Verdict::Checked { lines, over }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets() -> Budgets {
        let mut c = Counts::new();
        c.insert("a::f x".into(), 1000);
        c.insert("a::g y".into(), 2000);
        Budgets::from_counts(&c, "rustc 1", "avx2+fma", 3.0)
    }

    #[test]
    fn within_the_margin_passes_and_beyond_it_fails_with_the_excess() {
        let b = budgets();
        let mut c = b.instructions.clone();
        c.insert("a::f x".into(), 1029);
        let Verdict::Checked { over, .. } = check(&b, &c, "rustc 1", "avx2+fma") else {
            panic!("checked");
        };
        assert_eq!(over, 0, "2.9 % is inside a 3 % margin");
        c.insert("a::g y".into(), 2100);
        let Verdict::Checked { over, lines } = check(&b, &c, "rustc 1", "avx2+fma") else {
            panic!("checked");
        };
        assert_eq!(over, 1);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("OVER a::g y") && l.contains("+5.00 %"))
        );
    }

    #[test]
    fn another_toolchain_or_simd_path_skips_with_a_reason() {
        let b = budgets();
        for (t, s) in [("rustc 2", "avx2+fma"), ("rustc 1", "baseline")] {
            let Verdict::Skipped(why) = check(&b, &b.instructions, t, s) else {
                panic!("not comparable: {t} {s}");
            };
            assert!(why.contains("make icount-baseline"), "{why}");
        }
    }

    #[test]
    fn the_total_is_read_from_totals_or_else_summary() {
        let file = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=(1) f\n3 7\nsummary: 120\ntotals: 117\n";
        assert_eq!(parse_callgrind_total(file), Ok(117));
        let file = "events: Ir\nsummary: 120\n";
        assert_eq!(parse_callgrind_total(file), Ok(120));
        assert!(
            parse_callgrind_total("summary: 5\n").is_err(),
            "no events line"
        );
        assert!(parse_callgrind_total("events: Dr Ir\nsummary: 5\n").is_err());
        assert!(parse_callgrind_total("events: Ir\ntotals: many\n").is_err());
    }

    #[test]
    fn a_missing_or_new_id_counts_as_a_failure() {
        let b = budgets();
        let mut c = b.instructions.clone();
        c.remove("a::f x");
        c.insert("a::h z".into(), 5);
        let Verdict::Checked { over, .. } = check(&b, &c, "rustc 1", "avx2+fma") else {
            panic!("checked");
        };
        assert_eq!(over, 2);
    }
}
