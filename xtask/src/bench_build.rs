//! `cargo xtask bench-build`: what building the SDK costs.
//!
//! Each measurement runs cargo on a clean target directory of its own under
//! `target/bench-build/` (never the shared `target/`), prints a table and
//! writes `target/bench-build/report.md`:
//!
//! - `workspace`: the whole workspace's cold debug build.
//! - `consumer`: a throwaway crate depending on `chatbots` with one vendor
//!   feature; its cold debug build, and proof (from cargo's JSON messages)
//!   that no other vendor's crate is compiled.
//! - `incremental`: `cargo build -p chatbots` after one character is added
//!   to a `description:` of `specs/<vendor>.yaml`.
//! - `tls`: throwaway crates depending on reqwest with the workspace's
//!   non-TLS features and each TLS backend.
//!
//! The workspace and incremental steps build a copy of the workspace,
//! `target/bench-build/source/` (the files git would commit, made again at
//! each run), and the incremental step edits the spec there: the checkout is
//! never edited, so an interrupted run leaves nothing to restore. The
//! consumer and TLS steps build throwaway crates (the consumer depends on
//! the copy's facade).
//!
//! Own target directories matter: worktrees sharing one `CARGO_TARGET_DIR`
//! collide on the workspace's path crates (cargo hashes a path package
//! relative to its workspace root), so each build there redoes the others'.
//!
//! Options and the report are here; the steps are in `steps.rs`, the
//! throwaway crates in `throwaway.rs`, running cargo in `cargo_builds.rs`.
//! cargo is run with `std::process` and timed with `std::time::Instant`;
//! its JSON messages and metadata are read with `cargo_metadata`, and the
//! throwaway crates' manifests are written with `toml_edit`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod cargo_builds;
mod steps;
mod throwaway;

use cargo_builds::Cargo;
use steps::{consumer_step, incremental_step, tls_step, workspace_step};

/// Usage of the `bench-build` command.
pub const USAGE: &str = "\
usage: cargo xtask bench-build [--only workspace|consumer|incremental|tls]
                               [--vendor V | --all-vendors] [--tls LIST] [-j N]
                               [--reuse-target DIR]

  --only STEP          run one step (default: all four)
  --vendor V           vendor of the consumer and incremental steps (default: the first
                       spec in specs/, by name)
  --all-vendors        consumer step for every vendor in specs/
  --tls LIST           comma-separated TLS variants (default: ring,default-tls,native-tls,none)
  -j N, --jobs N       passed through to cargo
  --reuse-target DIR   build in DIR without cleaning it (checks the logic; times are NOT cold)
                       (not the workspace's own target directory: the copy's crates would
                       replace the checkout's artifacts there)

A full run takes 10-25 minutes on 2 cores. Results: target/bench-build/report.md
";

/// PASS/MISS for a measured time, unless `--reuse-target` made it meaningless.
fn timed_verdict(wall: Duration, target: Duration, opts: &Options) -> Verdict {
    if opts.reuse_target.is_some() {
        Verdict::NotMeasurable("--reuse-target: not a cold/clean build".into())
    } else if wall <= target {
        Verdict::Pass
    } else {
        Verdict::Miss
    }
}

/// Cold build of a one-vendor consumer: the target.
const CONSUMER_TARGET: Duration = Duration::from_secs(60);
/// Incremental rebuild after a spec edit: the target.
const INCREMENTAL_TARGET: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Workspace,
    Consumer,
    Incremental,
    Tls,
}

impl Step {
    const ALL: [Step; 4] = [
        Step::Workspace,
        Step::Consumer,
        Step::Incremental,
        Step::Tls,
    ];

    fn name(self) -> &'static str {
        match self {
            Step::Workspace => "workspace",
            Step::Consumer => "consumer",
            Step::Incremental => "incremental",
            Step::Tls => "tls",
        }
    }
}

/// A TLS backend of reqwest measured by the `tls` step.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tls {
    /// `rustls-no-provider` + rustls with `ring`: what the SDK uses.
    Ring,
    /// reqwest's `default-tls` (rustls with aws-lc-rs in 0.13).
    AwsLc,
    /// `native-tls` (OpenSSL on Linux).
    Native,
    /// No TLS at all: the baseline.
    None,
}

impl Tls {
    const ALL: [Tls; 4] = [Tls::Ring, Tls::AwsLc, Tls::Native, Tls::None];

    fn name(self) -> &'static str {
        match self {
            Tls::Ring => "ring",
            Tls::AwsLc => "default-tls",
            Tls::Native => "native-tls",
            Tls::None => "none",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tls::Ring => "rustls + ring (current)",
            Tls::AwsLc => "default-tls (rustls + aws-lc-rs)",
            Tls::Native => "native-tls (OpenSSL)",
            Tls::None => "no TLS (baseline)",
        }
    }

    /// Whether a build failure means "not measurable here" rather than a
    /// broken benchmark (these need system tools or libraries).
    fn may_be_unavailable(self) -> bool {
        matches!(self, Tls::AwsLc | Tls::Native)
    }
}

struct Options {
    steps: Vec<Step>,
    vendors: Vec<String>,
    tls: Vec<Tls>,
    jobs: Option<String>,
    reuse_target: Option<PathBuf>,
}

fn parse_args(args: &[String], known_vendors: &[String]) -> Result<Options, String> {
    let mut steps = Step::ALL.to_vec();
    // The default names no vendor: the first of specs/ (sorted by name).
    let mut vendors: Vec<String> = known_vendors.iter().take(1).cloned().collect();
    let mut all_vendors = false;
    let mut tls = Tls::ALL.to_vec();
    let mut jobs = None;
    let mut reuse_target = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--only" => {
                let v = value("--only")?;
                let step = Step::ALL
                    .into_iter()
                    .find(|s| s.name() == v)
                    .ok_or_else(|| format!("unknown step `{v}`\n\n{USAGE}"))?;
                steps = vec![step];
            }
            "--vendor" => vendors = vec![value("--vendor")?],
            "--all-vendors" => all_vendors = true,
            "--tls" => {
                let v = value("--tls")?;
                tls = v
                    .split(',')
                    .map(|name| {
                        Tls::ALL
                            .into_iter()
                            .find(|t| t.name() == name.trim())
                            .ok_or_else(|| format!("unknown TLS variant `{name}`\n\n{USAGE}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "-j" | "--jobs" => jobs = Some(value("-j")?),
            "--reuse-target" => reuse_target = Some(PathBuf::from(value("--reuse-target")?)),
            other => {
                if let Some(n) = other.strip_prefix("-j") {
                    jobs = Some(n.to_string());
                } else {
                    return Err(format!("unknown argument `{other}`\n\n{USAGE}"));
                }
            }
        }
    }
    if all_vendors {
        vendors = known_vendors.to_vec();
    }
    for vendor in &vendors {
        if !known_vendors.contains(vendor) {
            return Err(format!(
                "unknown vendor `{vendor}` (specs/ has: {})",
                known_vendors.join(", ")
            ));
        }
    }
    if let Some(j) = &jobs
        && j.parse::<u32>().is_err()
    {
        return Err(format!("-j needs a number, got `{j}`"));
    }
    Ok(Options {
        steps,
        vendors,
        tls,
        jobs,
        reuse_target,
    })
}

/// The outcome of one row of the report.
enum Verdict {
    Pass,
    Miss,
    Recorded,
    NotMeasurable(String),
    Fail(String),
}

impl Verdict {
    fn text(&self) -> String {
        match self {
            Verdict::Pass => "PASS".into(),
            Verdict::Miss => "MISS".into(),
            Verdict::Recorded => "recorded".into(),
            Verdict::NotMeasurable(why) => format!("not measurable: {why}"),
            Verdict::Fail(why) => format!("FAIL: {why}"),
        }
    }
}

struct Row {
    measure: String,
    time: Option<Duration>,
    crates: String,
    target: String,
    verdict: Verdict,
}

/// What one cargo build did.
struct Build {
    wall: Duration,
    /// Packages with at least one artifact compiled (not fresh) in this build.
    compiled: BTreeSet<String>,
    /// Packages with any artifact in this build, fresh or not.
    built: BTreeSet<String>,
}

/// The copy of the workspace under `target/bench-build/`.
const SOURCE: &str = "source";

/// Runs `cargo xtask bench-build ARGS`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return Ok(());
    }
    let vendors = known_vendors(root)?;
    let opts = parse_args(args, &vendors)?;
    let per_vendor = |s: &Step| matches!(s, Step::Consumer | Step::Incremental);
    if opts.vendors.is_empty() && opts.steps.iter().any(per_vendor) {
        return Err("specs/ holds no spec: no vendor to measure".into());
    }
    let base = root.join("target").join("bench-build");
    std::fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    // Everything measured builds (and the incremental step edits) this copy.
    let source = base.join(SOURCE);
    crate::workspace_copy::copy(root, &source)?;
    let root = source.as_path();

    let cargo = Cargo::new(opts.jobs.clone(), base.join("logs"));
    let mut report = machine_facts(&cargo, &opts);
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for step in &opts.steps {
        eprintln!("bench-build: step `{}`", step.name());
        match step {
            Step::Workspace => workspace_step(root, &base, &cargo, &opts, &mut rows, &mut notes)?,
            Step::Consumer => {
                for vendor in &opts.vendors {
                    consumer_step(root, &base, &cargo, &opts, vendor, &vendors, &mut rows)?;
                }
            }
            Step::Incremental => {
                let vendor = opts
                    .vendors
                    .first()
                    .ok_or("specs/ holds no spec: no vendor to measure")?;
                incremental_step(root, &base, &cargo, &opts, vendor, &mut rows, &mut notes)?;
            }
            Step::Tls => {
                for variant in &opts.tls {
                    tls_step(root, &base, &cargo, &opts, *variant, &mut rows)?;
                }
            }
        }
    }

    report.push_str(&table(&rows));
    if !notes.is_empty() {
        report.push_str("\n## Notes\n\n");
        for note in &notes {
            let _ = writeln!(report, "- {note}");
        }
    }
    report.push_str(NOTES);
    let path = base.join("report.md");
    std::fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("{report}");
    eprintln!("bench-build: wrote {}", path.display());
    if opts.reuse_target.is_none() {
        remove_cold_targets(&base);
    }

    let failures: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail(_)))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed: {}",
            failures.len(),
            failures
                .iter()
                .map(|r| r.measure.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

const NOTES: &str = "
## How it is measured

- Every cold build uses a target directory of its own under `target/bench-build/`, deleted first
  and again after the run (only the report and the logs stay).
- Wall time is the time of the `cargo build` process; dependencies are fetched before (untimed).
- \"Crates compiled\" counts packages with at least one artifact compiled (cargo `compiler-artifact`
  messages with `fresh: false`), build scripts and proc-macros included.
- Throwaway crates copy the workspace's `Cargo.lock` (same versions) and its `[profile.*]`
  sections (dependencies without debuginfo); a consumer with cargo's default profile builds
  dependencies with debuginfo and pays somewhat more.
- The machine is shared: times vary with its load (see the load average above).
";

fn known_vendors(root: &Path) -> Result<Vec<String>, String> {
    let paths = chatbots_codegen::spec_paths(&root.join("specs"))
        .map_err(|e| format!("cannot list specs/: {e}"))?;
    Ok(paths
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect())
}

/// Deletes the cold builds' target directories (gigabytes each), keeping
/// the report and the logs.
fn remove_cold_targets(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // The workspace copy is small, and kept so that the next run's copy
        // writes only what changed.
        let kept = entry.file_name() == "logs" || entry.file_name() == SOURCE;
        if path.is_dir()
            && !kept
            && let Err(e) = std::fs::remove_dir_all(&path)
        {
            eprintln!("bench-build: cannot delete {}: {e}", path.display());
        }
    }
    eprintln!("bench-build: deleted the cold builds' target directories");
}

/// A clean target directory for `name`, or the `--reuse-target` one as is.
fn target_dir(base: &Path, name: &str, opts: &Options) -> Result<PathBuf, String> {
    if let Some(dir) = &opts.reuse_target {
        return Ok(dir.clone());
    }
    let dir = base.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clean {}: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// The `chatbots` and `chatbots-*` packages among `packages`.
fn chatbots_crates(packages: &BTreeSet<String>) -> Vec<String> {
    packages
        .iter()
        .filter(|p| *p == "chatbots" || p.starts_with("chatbots-"))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------
// Report

fn machine_facts(cargo: &Cargo, opts: &Options) -> String {
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let nproc = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    let mut out = String::from("# Build cost (`cargo xtask bench-build`)\n\n");
    let facts = [
        ("date", run("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"])),
        ("nproc", nproc.to_string()),
        ("rustc", run("rustc", &["-V"])),
        ("cargo", run(&cargo.program, &["-V"])),
        ("load average (1/5/15 min) at start", load),
        ("commit", run("git", &["rev-parse", "--short", "HEAD"])),
        (
            "jobs",
            opts.jobs.clone().unwrap_or_else(|| "cargo default".into()),
        ),
    ];
    for (name, value) in facts {
        let _ = writeln!(out, "- {name}: {value}");
    }
    if let Some(dir) = &opts.reuse_target {
        let _ = writeln!(
            out,
            "- **--reuse-target {}: builds were NOT cold; times are meaningless**",
            dir.display()
        );
    }
    out.push('\n');
    out
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Measure | Wall time | Crates compiled | Target | Result |\n|---|---:|---|---|---|\n",
    );
    for row in rows {
        let time = row
            .time
            .map_or_else(|| "-".to_string(), |t| format!("{:.1} s", t.as_secs_f64()));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.measure,
            time,
            row.crates,
            row.target,
            row.verdict.text().replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_default_vendor_is_the_first_spec_and_vendor_overrides_it() {
        let known = args(&["alpha", "beta"]);
        let opts = parse_args(&[], &known).expect("no arguments");
        assert_eq!(opts.vendors, ["alpha"]);
        let opts = parse_args(&args(&["--vendor", "beta"]), &known).expect("known vendor");
        assert_eq!(opts.vendors, ["beta"]);
        let opts = parse_args(&args(&["--all-vendors"]), &known).expect("all");
        assert_eq!(opts.vendors, known);
        let error = parse_args(&args(&["--vendor", "gamma"]), &known)
            .err()
            .expect("unknown vendor refused");
        assert!(error.contains("unknown vendor `gamma`"), "{error}");
        assert!(
            parse_args(&[], &[])
                .expect("nothing known")
                .vendors
                .is_empty()
        );
    }
}
