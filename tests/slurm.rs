//! A real SLURM job array: a one-node cluster (slurmctld, slurmd, munge) is
//! started on loopback in a throw-away directory, `stdp slurm --submit` runs
//! a small grid as a 4-task array, one task is cancelled mid-point, `stdp
//! merge` names what is missing, `stdp slurm --missing --submit` resubmits
//! that task only, which resumes from the point's checkpoint, and the merged
//! results equal a local run of the same grid bit for bit. A second array
//! whose task gets a one-minute time limit for more work than that saves its
//! state on SLURM's warning signal, requeues itself and finishes on its own,
//! while `stdp status` follows it.
//!
//! Needs root (the daemons run as root) and the Debian packages slurmctld,
//! slurmd, slurm-client, munge (`scripts/install-deps.sh` installs them when
//! run as root). The tests are `#[ignore]`d: a plain `cargo test` reports
//! them as ignored; `make test` runs them with `--ignored`, where not being
//! root is a failure. The cluster's
//! processes are stopped by the PIDs this test started, also on failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use stdp_harness::grid::load_planned_grid;
use stdp_harness::grid::shard::{Shard, points_of};
use support::grid::{assert_same_merge, smoke_grid, stdp_ok};

fn sh(cmd: &str, args: &[&str], conf: &Path) -> Output {
    Command::new(cmd)
        .args(args)
        .env("SLURM_CONF", conf)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {cmd}: {e} (install slurm-client, slurmctld, slurmd, munge)")
        })
}

fn ok(cmd: &str, args: &[&str], conf: &Path) -> String {
    let o = sh(cmd, args, conf);
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A running one-node cluster; dropping it stops the processes it started.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Cluster {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("stdp-slurm")
            .tempdir()
            .unwrap();
        let b = dir.path().to_path_buf();
        for d in ["munge", "ctld", "spool", "log"] {
            std::fs::create_dir_all(b.join(d)).unwrap();
        }
        // The munge socket's directory must be traversable by everyone.
        let _ = Command::new("chmod")
            .args(["755"])
            .arg(&b)
            .arg(b.join("munge"))
            .status();
        // With NoCtldInAddrAny/NoInAddrAny the daemons bind to the address the
        // machine's hostname resolves to: make sure that is loopback.
        let host = Command::new("hostname")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let resolved = Command::new("getent")
            .args(["hosts", &host])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        assert!(
            resolved.starts_with("127."),
            "hostname {host:?} resolves to {resolved:?}, not a loopback address: the test cluster \
             must bind to loopback only (add `127.0.1.1 {host}` to /etc/hosts)"
        );
        // CPUs as slurmd sees them (more would drain the node).
        let c = Command::new("slurmd").arg("-C").output().expect(
            "slurmd not found: install slurmctld slurmd slurm-client munge (scripts/install-deps.sh)",
        );
        let cpus = String::from_utf8_lossy(&c.stdout)
            .split_whitespace()
            .find_map(|w| {
                w.strip_prefix("CPUs=")
                    .and_then(|v| v.parse::<usize>().ok())
            })
            .unwrap_or(1);
        let conf = b.join("slurm.conf");
        let bs = b.display();
        std::fs::write(
            &conf,
            format!(
                "ClusterName=ci\nSlurmctldHost=localhost(127.0.0.1)\nSlurmUser=root\nSlurmdUser=root\n\
                 AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket={bs}/munge/munge.sock,cred_expire=10\n\
                 CommunicationParameters=NoCtldInAddrAny,NoInAddrAny\nStateSaveLocation={bs}/ctld\n\
                 SlurmdSpoolDir={bs}/spool\nSlurmctldPidFile={bs}/slurmctld.pid\nSlurmdPidFile={bs}/slurmd.pid\n\
                 SlurmctldLogFile={bs}/log/slurmctld.log\nSlurmdLogFile={bs}/log/slurmd.log\nMailProg=/bin/true\n\
                 MpiDefault=none\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
                 JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
                 JobCompType=jobcomp/filetxt\nJobCompLoc={bs}/log/jobcomp.txt\nSelectType=select/cons_tres\n\
                 SelectTypeParameters=CR_Core\nSchedulerType=sched/backfill\nSchedulerParameters=batch_sched_delay=0\n\
                 ReturnToService=2\nSlurmdTimeout=30\nInactiveLimit=0\nKillWait=5\nMinJobAge=4\n\
                 NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs={cpus} Sockets=1 \
                 CoresPerSocket={cpus} ThreadsPerCore=1 RealMemory=1000 State=UNKNOWN\n\
                 PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n"
            ),
        )
        .unwrap();
        let cluster = Cluster { dir, conf };
        let key = cluster.path("munge/munge.key");
        let key_s = key.to_str().unwrap();
        ok("mungekey", &["-c", "-k", key_s], &cluster.conf);
        ok("chmod", &["400", key_s], &cluster.conf);
        let m = |p: &str| cluster.path(p).display().to_string();
        ok(
            "munged",
            &[
                "--force",
                &format!("--key-file={key_s}"),
                &format!("--socket={}", m("munge/munge.sock")),
                &format!("--pid-file={}", m("munge/munged.pid")),
                &format!("--log-file={}", m("log/munged.log")),
                &format!("--seed-file={}", m("munge/munged.seed")),
            ],
            &cluster.conf,
        );
        let conf_s = cluster.conf.to_str().unwrap().to_string();
        ok("slurmctld", &["-f", &conf_s], &cluster.conf);
        ok("slurmd", &["-f", &conf_s, "-N", "localhost"], &cluster.conf);
        let t0 = Instant::now();
        loop {
            let state =
                String::from_utf8_lossy(&sh("sinfo", &["-h", "-o", "%T"], &cluster.conf).stdout)
                    .trim()
                    .to_string();
            if state == "idle" {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the node did not become idle (state {state:?}); logs in {}",
                cluster.path("log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster
    }

    /// Waits until job `id` has left the queue.
    fn wait(&self, id: &str) {
        self.wait_for(id, 300, &mut || {});
    }

    /// Waits until job `id` has left the queue, at most `limit` s, calling
    /// `each` between polls.
    fn wait_for(&self, id: &str, limit: u64, each: &mut dyn FnMut()) {
        let t0 = Instant::now();
        loop {
            let o = sh("squeue", &["-h", "-j", id], &self.conf);
            if !o.status.success() || String::from_utf8_lossy(&o.stdout).trim().is_empty() {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(limit),
                "job {id} still queued after {limit} s"
            );
            each();
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

fn stop(pid: i32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let t0 = Instant::now();
    while alive(pid) && t0.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if alive(pid) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pids: Vec<i32> = ["slurmctld.pid", "slurmd.pid"]
            .iter()
            .filter_map(|f| read_pid(&self.path(f)))
            .collect();
        let _ = sh("scontrol", &["shutdown"], &self.conf);
        for pid in pids {
            stop(pid);
        }
        if let Some(pid) = read_pid(&self.path("munge/munged.pid")) {
            stop(pid);
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The tests of this file share loopback ports: one cluster at a time.
static ONE_CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A running cluster (and the lock that keeps it the only one). The tests
/// that call this are `#[ignore]`d (`make test` runs them with
/// `--ignored`, as root); not being root is then a failure.
fn cluster() -> (std::sync::MutexGuard<'static, ()>, Cluster) {
    assert!(
        is_root(),
        "the SLURM cluster test starts slurmctld/slurmd/munged and needs root"
    );
    let guard = ONE_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    (guard, Cluster::start())
}

fn submitted_id(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("submitted job "))
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("no job id in: {out}"))
        .trim()
        .to_string()
}

fn stdp_slurm(args: &[&str], conf: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(args)
        .env("SLURM_CONF", conf)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stdp {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
#[ignore = "needs root and the SLURM daemons; `make test` runs it"]
fn a_slurm_array_runs_the_grid_and_a_cancelled_task_resumes_on_resubmission() {
    let (_one_at_a_time, cluster) = cluster();
    let conf = cluster.conf.clone();
    let work = tempfile::tempdir().unwrap();
    let grid = smoke_grid(work.path(), 3000, 300, 4);
    let g = grid.to_str().unwrap();
    let out = work.path().join("slurm-out");
    let o = out.to_str().unwrap();

    // 8 points in 4 tasks of 2; find the points of task 1.
    let planned = load_planned_grid(&grid).unwrap();
    let task1: Vec<PathBuf> = points_of(&planned.points, Shard::new(1, 4).unwrap())
        .iter()
        .map(|p| out.join("points").join(&p.id))
        .collect();
    assert_eq!(task1.len(), 2);

    let sub = stdp_slurm(&["slurm", g, "--out", o, "--tasks", "4", "--submit"], &conf);
    let job = submitted_id(&sub);
    assert!(out.join("slurm/grid.sbatch").exists());

    // Cancel task 1 while one of its points has a checkpoint and no result.
    let t0 = Instant::now();
    loop {
        if task1
            .iter()
            .any(|p| p.join("checkpoint.h5").exists() && !p.join("result.h5").exists())
        {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(240),
            "task 1 never checkpointed; slurm logs in {}",
            out.join("slurm").display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    ok("scancel", &[&format!("{job}_1")], &conf);
    cluster.wait(&job);
    assert!(
        task1.iter().any(|p| !p.join("result.h5").exists()),
        "task 1 finished before it was cancelled"
    );

    // The merge names what is missing and fails.
    let m = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args(["merge", o])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&m.stderr);
    assert!(!m.status.success(), "merge of an incomplete grid succeeded");
    assert!(
        err.contains("not complete") && err.contains("unfinished (checkpoint)"),
        "{err}"
    );

    // Resubmit the unfinished shard only; it resumes from the checkpoint.
    let sub2 = stdp_slurm(
        &[
            "slurm",
            g,
            "--out",
            o,
            "--tasks",
            "4",
            "--missing",
            "--submit",
        ],
        &conf,
    );
    assert!(sub2.contains("resubmitting tasks 1"), "{sub2}");
    let job2 = submitted_id(&sub2);
    cluster.wait(&job2);
    let log = std::fs::read_to_string(out.join(format!("slurm/{job2}_1.out"))).unwrap_or_default();
    assert!(
        log.contains("(resumed from a checkpoint)"),
        "task log: {log}"
    );
    let again = stdp_slurm(
        &["slurm", g, "--out", o, "--tasks", "4", "--missing"],
        &conf,
    );
    assert!(again.contains("nothing to submit"), "{again}");

    // Merged results equal a local run of the same grid.
    stdp_ok(&["merge", o]);
    let local = work.path().join("local");
    stdp_ok(&[
        "grid",
        g,
        "--out",
        local.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    stdp_ok(&["merge", local.to_str().unwrap()]);
    assert_same_merge(&out, &local);
}

#[test]
#[ignore = "needs root and the SLURM daemons; `make test` runs it"]
fn a_task_with_too_short_a_time_limit_saves_requeues_and_finishes_on_its_own() {
    let (_one_at_a_time, cluster) = cluster();
    let conf = cluster.conf.clone();
    let work = tempfile::tempdir().unwrap();
    // Two points of ~60 s each (one thread each) in one task of 2 CPUs
    // with a time limit of one minute: only signal, checkpoint and requeue
    // can finish them.
    let grid = smoke_grid(work.path(), 500_000, 0, 1);
    let g = grid.to_str().unwrap();
    let out = work.path().join("slurm-out");
    let o = out.to_str().unwrap();
    let sub = stdp_slurm(
        &[
            "slurm",
            g,
            "--out",
            o,
            "--tasks",
            "1",
            "--cpus",
            "2",
            "--time",
            "00:01:00",
            "--grace",
            "20",
            "--max-requeues",
            "10",
            "--submit",
        ],
        &conf,
    );
    let job = submitted_id(&sub);
    let script = std::fs::read_to_string(out.join("slurm/grid.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --signal=B:USR1@20"), "{script}");
    let log = out.join(format!("slurm/{job}_0.out"));
    let mut seen_checkpointed = false;
    cluster.wait_for(&job, 900, &mut || {
        // Once the task has requeued itself, `stdp status` sees both points
        // checkpointed (or complete) and the task in SLURM's queue.
        let requeued = std::fs::read_to_string(&log).is_ok_and(|l| l.contains("requeueing"));
        if requeued && !seen_checkpointed {
            let st = stdp_slurm(&["status", o, "--json"], &conf);
            let v: serde_json::Value = serde_json::from_str(&st).unwrap();
            let n = |k: &str| v[k].as_u64().unwrap();
            assert_eq!(
                n("complete") + n("checkpointed") + n("not_started") + n("failed"),
                2
            );
            assert_eq!(n("failed"), 0, "{st}");
            if n("checkpointed") >= 1 {
                assert!(
                    !v["slurm"].as_array().unwrap().is_empty(),
                    "the requeued task is in the queue: {st}"
                );
                seen_checkpointed = true;
            }
        }
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("requeueing this task"), "task log: {text}");
    assert!(
        seen_checkpointed,
        "stdp status never saw a checkpointed point"
    );
    let st = stdp_slurm(&["status", o], &conf);
    assert!(
        st.contains("2 complete, 0 checkpointed, 0 not started, 0 failed"),
        "{st}"
    );

    // Merged results equal a local run of the same grid, bit for bit.
    stdp_ok(&["merge", o]);
    let local = work.path().join("local");
    stdp_ok(&[
        "grid",
        g,
        "--out",
        local.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    stdp_ok(&["merge", local.to_str().unwrap()]);
    assert_same_merge(&out, &local);
}
