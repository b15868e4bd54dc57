//! SLURM job arrays over the shards of a grid: the sbatch script.
//!
//! Task `i` of an array of `N` runs `stdp grid <grid> --out <out> --shard i/N`.
//! The shard count is written into the script rather than read from
//! `SLURM_ARRAY_TASK_COUNT`, so that resubmitting some tasks only
//! (`sbatch --array=2,5 script`) still splits the grid the same way.
//!
//! Time limits: the script asks SLURM for `USR1` `grace` seconds before the
//! end (`--signal=B:USR1@grace`) and passes it on to `stdp`, which saves
//! every point in flight and exits with
//! [`EXIT_INTERRUPTED`](crate::interrupt::EXIT_INTERRUPTED); the task then
//! requeues itself (`scontrol requeue`, `--requeue`) until it has been
//! requeued `max_requeues` times, and the requeued task resumes its shard
//! from the checkpoints. A TERM (`scancel`, a preemption, the limit itself)
//! is passed on too: `stdp` saves, and the task ends without requeueing
//! (SLURM requeues preempted jobs itself where it is configured to).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Resources and placement of the array job (`#SBATCH` options).
#[derive(Clone, Debug, Default)]
pub struct SlurmOptions {
    /// Array tasks (= shards).
    pub tasks: usize,
    /// Tasks allowed to run at once (`--array=...%K`), if limited.
    pub max_running: Option<usize>,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (e.g. `02:00:00`).
    pub time: Option<String>,
    /// `--mem` (e.g. `4G`).
    pub mem: Option<String>,
    /// `--cpus-per-task`; each task runs this many points at once.
    pub cpus: usize,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// Further `#SBATCH` lines, as given (e.g. `--constraint=avx2`).
    pub extra: Vec<String>,
    /// Seconds between SLURM's warning signal and the end of the task
    /// (see the module docs).
    pub grace: u32,
    /// How many times a task requeues itself after saving its state.
    pub max_requeues: u32,
}

/// Default grace, s, for a grid whose largest checkpoint is `bytes` long:
/// a minute, plus a second per 20 MB to write it (a slow shared file
/// system), plus the example or step in progress.
pub fn default_grace(bytes: u64) -> u32 {
    60 + u32::try_from(bytes / 20_000_000).unwrap_or(u32::MAX / 2)
}

/// A SLURM time limit (`--time`) in seconds: `minutes`, `minutes:seconds`,
/// `hours:minutes:seconds`, `days-hours`, `days-hours:minutes` or
/// `days-hours:minutes:seconds` (sbatch(1)); `None` for anything else,
/// including `UNLIMITED`.
pub fn time_limit_seconds(time: &str) -> Option<u64> {
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (days, rest) = match time.split_once('-') {
        Some((d, r)) => (Some(num(d)?), r),
        None => (None, time),
    };
    let parts: Vec<u64> = rest.split(':').map(num).collect::<Option<_>>()?;
    let secs = match (days, parts.as_slice()) {
        (None, [m]) => m * 60,
        (None, [m, s]) => m * 60 + s,
        (None, [h, m, s]) => h * 3600 + m * 60 + s,
        (Some(d), [h]) => d * 86_400 + h * 3600,
        (Some(d), [h, m]) => d * 86_400 + h * 3600 + m * 60,
        (Some(d), [h, m, s]) => d * 86_400 + h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(secs)
}

/// The grace a task with time limit `time` gets: `grace` when it leaves
/// at least half the limit to work in; otherwise an error for a grace the
/// user gave (`explicit`), or half the limit for the default, with the
/// warning to print. A task whose grace were most of its time would get
/// SLURM's warning at once and save without progress at every requeue.
pub fn fit_grace(
    grace: u32,
    explicit: bool,
    time: Option<&str>,
) -> std::result::Result<(u32, Option<String>), String> {
    let Some(limit) = time.and_then(time_limit_seconds) else {
        return Ok((grace, None));
    };
    let half = u32::try_from(limit / 2).unwrap_or(u32::MAX);
    if grace <= half {
        return Ok((grace, None));
    }
    let t = time.unwrap_or_default();
    if explicit {
        return Err(format!(
            "--grace {grace} s is more than half of --time {t} ({limit} s): each task would get \
             SLURM's warning before doing half its work; give a grace of at most {half} s or a \
             longer --time"
        ));
    }
    Ok((
        half,
        Some(format!(
            "warning: the default grace ({grace} s, for the largest checkpoint) is more than \
             half of --time {t}; using {half} s (half of it)"
        )),
    ))
}

/// What the script runs: absolute paths, so the job works from any directory.
#[derive(Clone, Debug)]
pub struct SlurmJob {
    /// Job name.
    pub name: String,
    /// The `stdp` executable.
    pub exe: PathBuf,
    /// The grid file.
    pub grid: PathBuf,
    /// The grid output directory.
    pub out: PathBuf,
    /// Working directory of each task.
    pub workdir: PathBuf,
    /// `--mnist DIR`, when given.
    pub mnist: Option<PathBuf>,
}

/// Quotes `s` for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn q(p: &Path) -> String {
    shell_quote(&p.to_string_lossy())
}

/// The `--array` value: all of `0..tasks`, or the listed tasks.
pub fn array_spec(tasks: &[usize], max_running: Option<usize>) -> String {
    let mut s = tasks
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",");
    if tasks.len() > 1 && tasks.windows(2).all(|w| w[1] == w[0] + 1) {
        s = format!("{}-{}", tasks[0], tasks[tasks.len() - 1]);
    }
    if let Some(k) = max_running {
        let _ = write!(s, "%{k}");
    }
    s
}

/// The sbatch script of `job` (its `#SBATCH --array` covers every task;
/// `sbatch --array=...` on the command line overrides it).
pub fn sbatch_script(job: &SlurmJob, o: &SlurmOptions) -> String {
    let tasks: Vec<usize> = (0..o.tasks.max(1)).collect();
    let logs = job.out.join("slurm");
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(
        s,
        "# Written by `stdp slurm`: one array task per shard of the grid"
    );
    let _ = writeln!(s, "# {}", job.grid.display());
    let _ = writeln!(
        s,
        "# Resubmit unfinished shards only with `stdp slurm ... --missing --submit`."
    );
    let mut opt = |k: &str, v: &str| {
        let _ = writeln!(s, "#SBATCH --{k}={v}");
    };
    opt("job-name", &job.name);
    opt("array", &array_spec(&tasks, o.max_running));
    opt("output", &logs.join("%A_%a.out").to_string_lossy());
    // A requeued task appends to its log instead of replacing it.
    opt("open-mode", "append");
    opt("signal", &format!("B:USR1@{}", o.grace));
    opt("cpus-per-task", &o.cpus.max(1).to_string());
    for (k, v) in [
        ("partition", &o.partition),
        ("time", &o.time),
        ("mem", &o.mem),
        ("account", &o.account),
        ("qos", &o.qos),
    ] {
        if let Some(v) = v {
            opt(k, v);
        }
    }
    let _ = writeln!(s, "#SBATCH --requeue");
    for e in &o.extra {
        let _ = writeln!(s, "#SBATCH {e}");
    }
    let _ = writeln!(s, "set -uo pipefail");
    let _ = writeln!(s, "cd {}", q(&job.workdir));
    let mut cmd = format!(
        "{} grid {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-{}}}\" --quiet",
        q(&job.exe),
        q(&job.grid),
        q(&job.out),
        o.tasks.max(1),
        o.cpus.max(1)
    );
    if let Some(m) = &job.mnist {
        let _ = write!(cmd, " --mnist {}", q(m));
    }
    let max = o.max_requeues;
    let saved = crate::interrupt::EXIT_INTERRUPTED;
    let _ = write!(
        s,
        r#"# stdp runs in the background so that this shell can pass on SLURM's
# warning (USR1, {grace} s before the time limit) and a TERM (scancel, the
# limit itself): stdp then saves every point in flight and exits {saved}.
# Only the warning requeues the task; a cancelled task stays cancelled.
pid=
requeue=0
trap 'requeue=1; [ -n "$pid" ] && kill -USR1 "$pid" 2>/dev/null' USR1
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' TERM
{cmd} &
pid=$!
status=0
wait "$pid" || status=$?
# A trapped signal ends `wait` early (status > 128): wait for stdp to finish saving.
for _ in 1 2 3 4 5; do
  [ "$status" -gt 128 ] || break
  status=0
  wait "$pid" || status=$?
done
if [ "$status" -eq {saved} ] && [ "$requeue" -eq 1 ]; then
  restarts="${{SLURM_RESTART_COUNT:-0}}"
  if [ "$restarts" -lt {max} ]; then
    echo "stdp: state saved; requeueing this task ($((restarts + 1)) of at most {max})"
    scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}" && exit 0
  fi
  echo "stdp: state saved; not requeued: run stdp slurm ... --missing --submit to go on"
fi
exit "$status"
"#,
        grace = o.grace,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::{fit_grace, time_limit_seconds as t};

    #[test]
    fn time_limits_in_every_sbatch_form() {
        assert_eq!(t("90"), Some(5400));
        assert_eq!(t("01:30"), Some(90));
        assert_eq!(t("00:01:00"), Some(60));
        assert_eq!(t("2-00"), Some(172_800));
        assert_eq!(t("1-02:03"), Some(93_780));
        assert_eq!(t("1-00:00:10"), Some(86_410));
        assert_eq!(t("UNLIMITED"), None);
        assert_eq!(t("1:2:3:4"), None);
        assert_eq!(t(""), None);
    }

    #[test]
    fn a_grace_over_half_the_time_limit_is_refused_or_clamped() {
        assert_eq!(fit_grace(20, true, Some("00:01:00")), Ok((20, None)));
        let e = fit_grace(60, true, Some("00:01:00")).unwrap_err();
        assert!(
            e.contains("--grace 60") && e.contains("at most 30 s"),
            "{e}"
        );
        let (g, w) = fit_grace(61, false, Some("00:01:00")).unwrap();
        assert_eq!(g, 30);
        assert!(w.unwrap().contains("using 30 s"));
        assert_eq!(fit_grace(600, true, None), Ok((600, None)));
    }
}
