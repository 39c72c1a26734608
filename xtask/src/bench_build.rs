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
//!   to a `description:` of `specs/<vendor>.yaml` (the file is restored
//!   afterwards, also on error or Ctrl-C).
//! - `tls`: throwaway crates depending on reqwest with the workspace's
//!   non-TLS features and each TLS backend.
//!
//! Own target directories matter: worktrees sharing one `CARGO_TARGET_DIR`
//! collide on the workspace's path crates (cargo hashes a path package
//! relative to its workspace root), so each build there redoes the others'.
//!
//! cargo is run with `std::process` and timed with `std::time::Instant`;
//! its JSON messages and metadata are read with `cargo_metadata`, and the
//! throwaway crates' manifests are written with `toml_edit`.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cargo_metadata::{Message, MetadataCommand, PackageId};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

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
    restore_leftover_spec(root, &base)?;

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

// ---------------------------------------------------------------------------
// Steps

fn workspace_step(
    root: &Path,
    base: &Path,
    cargo: &Cargo,
    opts: &Options,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let target = target_dir(base, "workspace", opts)?;
    let measure = "workspace cold debug build (`cargo build --workspace`)".to_string();
    match cargo.build(root, &target, &["--workspace"], "workspace") {
        Ok(build) => {
            notes.push(format!(
                "workspace: {} packages compiled, of which chatbots*: {}",
                build.compiled.len(),
                chatbots_crates(&build.built).join(", ")
            ));
            rows.push(Row {
                measure,
                time: Some(build.wall),
                crates: build.compiled.len().to_string(),
                target: "record".into(),
                verdict: Verdict::Recorded,
            });
        }
        Err(e) => rows.push(failed(measure, e)),
    }
    Ok(())
}

fn consumer_step(
    root: &Path,
    base: &Path,
    cargo: &Cargo,
    opts: &Options,
    vendor: &str,
    all_vendors: &[String],
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let dir = base.join(format!("consumer-{vendor}"));
    let facade = root.join("crates").join("chatbots");
    let mut chatbots = InlineTable::new();
    chatbots.insert("path", facade.display().to_string().into());
    chatbots.insert("default-features", false.into());
    chatbots.insert("features", Array::from_iter([vendor]).into());
    let mut dependencies = Table::new();
    dependencies.insert("chatbots", value(chatbots));
    let manifest = throwaway_manifest(
        &root_manifest(root)?,
        &format!("bench-consumer-{vendor}"),
        dependencies,
    );
    let main = format!(
        "//! Generated by `cargo xtask bench-build`: a one-vendor SDK consumer.\n\n\
         fn main() {{\n    \
             let vendor: chatbots::Vendor = \"{vendor}\".parse().expect(\"vendor feature enabled\");\n    \
             let configured = chatbots::Chatbots::builder().build().is_ok();\n    \
             println!(\n        \
                 \"{{vendor}}: credentials {{:?}}, configured: {{configured}}\",\n        \
                 chatbots::credential_variables(vendor)\n    \
             );\n\
         }}\n"
    );
    write_crate(root, &dir, &manifest, &main)?;
    cargo.fetch(&dir)?;
    let target = target_dir(base, &format!("consumer-{vendor}-target"), opts)?;

    let measure = format!("consumer `{vendor}` cold debug build");
    let build = match cargo.build(&dir, &target, &[], &format!("consumer-{vendor}")) {
        Ok(build) => build,
        Err(e) => {
            rows.push(failed(measure, e));
            return Ok(());
        }
    };
    rows.push(Row {
        measure,
        time: Some(build.wall),
        crates: build.compiled.len().to_string(),
        target: format!("≤ {} s", CONSUMER_TARGET.as_secs()),
        verdict: timed_verdict(build.wall, CONSUMER_TARGET, opts),
    });

    let ours = chatbots_crates(&build.built);
    let others: Vec<&String> = ours
        .iter()
        .filter(|name| {
            all_vendors
                .iter()
                .any(|v| v != vendor && name.as_str() == format!("chatbots-{v}"))
        })
        .collect();
    let own = format!("chatbots-{vendor}");
    rows.push(Row {
        measure: format!("consumer `{vendor}` compiles no other vendor"),
        time: None,
        crates: ours.join(", "),
        target: format!("only `{own}`"),
        verdict: if !others.is_empty() {
            Verdict::Fail(format!(
                "other vendor crate(s) compiled: {}",
                others
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if !ours.contains(&own) {
            Verdict::Fail(format!("`{own}` itself was not seen in cargo's output"))
        } else {
            Verdict::Pass
        },
    });
    Ok(())
}

fn incremental_step(
    root: &Path,
    base: &Path,
    cargo: &Cargo,
    opts: &Options,
    vendor: &str,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    // Reuses the workspace step's target directory: never cleaned here.
    let target = match &opts.reuse_target {
        Some(dir) => dir.clone(),
        None => base.join("workspace"),
    };
    let measure = format!(
        "incremental: one character added to a description in `specs/{vendor}.yaml`, then `cargo build -p chatbots`"
    );
    // Warm-up with the very command measured below, so that only the edit
    // is rebuilt (feature unification differs from `--workspace`).
    eprintln!("bench-build: warming {} (untimed)", target.display());
    if let Err(e) = cargo.build(root, &target, &["-p", "chatbots"], "incremental-warm") {
        rows.push(failed(measure, e));
        return Ok(());
    }

    let spec = root.join("specs").join(format!("{vendor}.yaml"));
    let build = {
        let edit = SpecEdit::apply(&spec, &base.join("restore"))?;
        notes.push(format!(
            "incremental: edited {} line {}",
            spec.strip_prefix(root).unwrap_or(&spec).display(),
            edit.line
        ));
        let result = cargo.build(root, &target, &["-p", "chatbots"], "incremental");
        drop(edit);
        if interrupted() {
            return Err("interrupted; the spec was restored".into());
        }
        result
    };
    match build {
        Ok(build) => {
            let rebuilt: Vec<&str> = build.compiled.iter().map(String::as_str).collect();
            rows.push(Row {
                measure,
                time: Some(build.wall),
                crates: format!("{} ({})", rebuilt.len(), rebuilt.join(", ")),
                target: format!("≤ {} s", INCREMENTAL_TARGET.as_secs()),
                verdict: timed_verdict(build.wall, INCREMENTAL_TARGET, opts),
            });
        }
        Err(e) => rows.push(failed(measure, e)),
    }
    Ok(())
}

fn tls_step(
    root: &Path,
    base: &Path,
    cargo: &Cargo,
    opts: &Options,
    variant: Tls,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let measure = format!("TLS: reqwest with {}", variant.label());
    if variant == Tls::Native
        && let Err(why) = openssl_available()
    {
        rows.push(Row {
            measure,
            time: None,
            crates: "-".into(),
            target: "record".into(),
            verdict: Verdict::NotMeasurable(why),
        });
        return Ok(());
    }
    let workspace = root_manifest(root)?;
    let reqwest = workspace_dependency(&workspace, "reqwest")?;
    let version = reqwest
        .get("version")
        .and_then(|v| v.as_str())
        .ok_or("root Cargo.toml: reqwest has no `version = \"…\"`")?;
    let mut features: Vec<String> = reqwest
        .get("features")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .filter(|f| !is_tls_feature(f))
        .map(str::to_string)
        .collect();
    let mut dependencies = Table::new();
    let mut setup = String::new();
    match variant {
        Tls::Ring => {
            features.push("rustls-no-provider".into());
            let rustls = workspace_dependency(&workspace, "rustls")?;
            dependencies.insert("rustls", value(rustls.clone()));
            setup =
                "    let _ = rustls::crypto::ring::default_provider().install_default();\n".into();
        }
        Tls::AwsLc => features.push("default-tls".into()),
        Tls::Native => features.push("native-tls".into()),
        Tls::None => {}
    }
    let mut reqwest = InlineTable::new();
    reqwest.insert("version", version.into());
    reqwest.insert("default-features", false.into());
    reqwest.insert("features", Array::from_iter(features).into());
    dependencies.insert("reqwest", value(reqwest));
    dependencies.sort_values();
    let dir = base.join(format!("tls-{}", variant.name()));
    let manifest = throwaway_manifest(
        &workspace,
        &format!("bench-tls-{}", variant.name()),
        dependencies,
    );
    let main = format!(
        "//! Generated by `cargo xtask bench-build`: reqwest with {label}.\n\n\
         fn main() {{\n\
         {setup}    \
             let client = reqwest::Client::builder().build();\n    \
             println!(\"client built: {{}}\", client.is_ok());\n\
         }}\n",
        label = variant.label(),
    );
    write_crate(root, &dir, &manifest, &main)?;
    let unavailable = |why: String| Row {
        measure: measure.clone(),
        time: None,
        crates: "-".into(),
        target: "record".into(),
        verdict: Verdict::NotMeasurable(why),
    };
    if let Err(e) = cargo.fetch(&dir) {
        rows.push(unavailable(format!("dependencies cannot be fetched: {e}")));
        return Ok(());
    }
    let target = target_dir(base, &format!("tls-{}-target", variant.name()), opts)?;
    match cargo.build(&dir, &target, &[], &format!("tls-{}", variant.name())) {
        Ok(build) => rows.push(Row {
            measure,
            time: Some(build.wall),
            crates: build.compiled.len().to_string(),
            target: "record".into(),
            verdict: Verdict::Recorded,
        }),
        Err(e) if variant.may_be_unavailable() => rows.push(unavailable(e)),
        Err(e) => rows.push(failed(measure, e)),
    }
    Ok(())
}

fn is_tls_feature(feature: &str) -> bool {
    feature.contains("tls") || feature.starts_with("rustls")
}

/// Whether openssl-sys can find OpenSSL's development files.
fn openssl_available() -> Result<(), String> {
    if std::env::var_os("OPENSSL_DIR").is_some() {
        return Ok(());
    }
    match Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        Ok(_) => Err(
            "OpenSSL development files not found by `pkg-config openssl` (install libssl-dev)"
                .into(),
        ),
        Err(e) => Err(format!(
            "pkg-config cannot run ({e}); openssl-sys needs it or OPENSSL_DIR"
        )),
    }
}

fn failed(measure: String, error: String) -> Row {
    Row {
        measure,
        time: None,
        crates: "-".into(),
        target: "-".into(),
        verdict: Verdict::Fail(error),
    }
}

/// Deletes the cold builds' target directories (gigabytes each), keeping
/// the report and the logs.
fn remove_cold_targets(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `restore` holds spec backups while a run edits a spec; it is tiny.
        let kept = entry.file_name() == "logs" || entry.file_name() == "restore";
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

/// Writes a throwaway crate with the workspace's lock file (same versions,
/// and offline-friendly).
fn write_crate(root: &Path, dir: &Path, manifest: &str, main: &str) -> Result<(), String> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("cannot create {}: {e}", src.display()))?;
    let files = [
        (dir.join("Cargo.toml"), manifest.to_string()),
        (src.join("main.rs"), main.to_string()),
        (dir.join("Cargo.lock"), read(&root.join("Cargo.lock"))?),
    ];
    for (path, contents) in files {
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The workspace's root manifest, parsed.
fn root_manifest(root: &Path) -> Result<DocumentMut, String> {
    let path = root.join("Cargo.toml");
    read(&path)?
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The inline table of `name` in `[workspace.dependencies]`.
fn workspace_dependency<'a>(
    manifest: &'a DocumentMut,
    name: &str,
) -> Result<&'a InlineTable, String> {
    manifest
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(name))
        .and_then(Item::as_inline_table)
        .ok_or_else(|| {
            format!("root Cargo.toml: no `{name} = {{ … }}` in [workspace.dependencies]")
        })
}

/// The manifest of a throwaway crate named `name`: outside the workspace,
/// with `dependencies` and the workspace's `[profile.*]` sections (so that
/// dependencies are built as the workspace builds them).
fn throwaway_manifest(workspace: &DocumentMut, name: &str, dependencies: Table) -> String {
    let mut package = Table::new();
    package.insert("name", value(name));
    package.insert("version", value("0.0.0"));
    package.insert("edition", value("2024"));
    package.insert("publish", value(false));
    let mut manifest = DocumentMut::new();
    manifest.insert("package", Item::Table(package));
    // An empty [workspace]: not a member of the chatbots workspace.
    manifest.insert("workspace", Item::Table(Table::new()));
    manifest.insert("dependencies", Item::Table(dependencies));
    if let Some(profile) = workspace.get("profile") {
        manifest.insert("profile", profile.clone());
    }
    manifest.to_string()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
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
// Running cargo

struct Cargo {
    program: String,
    jobs: Option<String>,
    /// Where each build's stderr is kept.
    logs: PathBuf,
}

/// Variables `cargo run` sets for the xtask that must not leak into the
/// builds measured.
const LEAKED_VARS: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    // A compiler cache would make "cold" builds warm.
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
];

impl Cargo {
    fn new(jobs: Option<String>, logs: PathBuf) -> Self {
        Cargo {
            program: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            jobs,
            logs,
        }
    }

    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(dir);
        for var in LEAKED_VARS {
            cmd.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("CARGO_PKG_")) {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Downloads what `dir`'s crate needs (untimed): offline first.
    fn fetch(&self, dir: &Path) -> Result<(), String> {
        let offline = self
            .command(dir)
            .args(["fetch", "--offline"])
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if offline.status.success() {
            return Ok(());
        }
        eprintln!("bench-build: fetching dependencies of {}", dir.display());
        let online = self
            .command(dir)
            .arg("fetch")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if online.status.success() {
            Ok(())
        } else {
            Err(last_error(&String::from_utf8_lossy(&online.stderr)))
        }
    }

    /// The name of every package in `dir`'s dependency graph, by package id
    /// (cargo's build messages name packages by id only).
    ///
    /// Only the host platform's graph: without `--filter-platform`, `cargo
    /// metadata` wants every platform's crates (Android's, Windows'…), which
    /// a cargo home that only ever built here has not downloaded, and
    /// `--offline` then fails.
    fn package_names(&self, dir: &Path) -> Result<HashMap<PackageId, String>, String> {
        let host = host_platform()?;
        let mut cmd = MetadataCommand::new();
        cmd.cargo_path(&self.program)
            .current_dir(dir)
            .other_options(vec![
                "--offline".to_string(),
                "--filter-platform".to_string(),
                host,
            ]);
        for var in LEAKED_VARS {
            cmd.env_remove(*var);
        }
        let metadata = cmd
            .exec()
            .map_err(|e| format!("cargo metadata in {}: {e}", dir.display()))?;
        Ok(metadata
            .packages
            .into_iter()
            .map(|p| (p.id, p.name.to_string()))
            .collect())
    }

    /// `cargo build --offline ARGS` in `dir` with `target` as target
    /// directory, timed; its stderr goes to `target/bench-build/logs/LOG.log`.
    fn build(&self, dir: &Path, target: &Path, args: &[&str], log: &str) -> Result<Build, String> {
        let names = self.package_names(dir)?;
        let mut cmd = self.command(dir);
        cmd.env("CARGO_TARGET_DIR", target)
            .args([
                "build",
                "--offline",
                "--message-format=json-render-diagnostics",
            ])
            .args(args);
        if let Some(j) = &self.jobs {
            cmd.args(["-j", j]);
        }
        eprintln!(
            "bench-build: cargo build{}{} (in {}, target {})",
            if args.is_empty() { "" } else { " " },
            args.join(" "),
            dir.display(),
            target.display()
        );
        let start = Instant::now();
        let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::create_dir_all(&self.logs);
        let _ = std::fs::write(self.logs.join(format!("{log}.log")), stderr.as_bytes());
        if !output.status.success() {
            return Err(last_error(&stderr));
        }
        let (compiled, built) = artifacts(&output.stdout, &names);
        eprintln!(
            "bench-build:   {:.1} s, {} packages compiled",
            wall.as_secs_f64(),
            compiled.len()
        );
        Ok(Build {
            wall,
            compiled,
            built,
        })
    }
}

/// The first `error` line of cargo's stderr (or its last line).
fn last_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("cargo failed")
        .trim()
        .to_string()
}

/// Package names of cargo's `compiler-artifact` messages: (compiled, all).
/// The host's target triple, from `rustc -vV` (`$RUSTC` when cargo set it).
fn host_platform() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .ok_or_else(|| format!("`{rustc} -vV` names no host platform"))
}

/// `names` maps cargo's package ids to names (from `cargo metadata`).
fn artifacts(
    messages: &[u8],
    names: &HashMap<PackageId, String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut compiled = BTreeSet::new();
    let mut built = BTreeSet::new();
    for message in Message::parse_stream(messages) {
        let Ok(Message::CompilerArtifact(artifact)) = message else {
            continue;
        };
        let Some(name) = names.get(&artifact.package_id) else {
            continue;
        };
        if !artifact.fresh {
            compiled.insert(name.clone());
        }
        built.insert(name.clone());
    }
    (compiled, built)
}

// ---------------------------------------------------------------------------
// The spec edit, always undone

/// One character added to a `description:` of a spec; the original is
/// written back on drop, and kept in a backup file until then (recovered
/// by the next run if this process is killed outright).
struct SpecEdit {
    path: PathBuf,
    original: String,
    backup: PathBuf,
    line: usize,
}

impl SpecEdit {
    fn apply(path: &Path, backup_dir: &Path) -> Result<SpecEdit, String> {
        let original = read(path)?;
        let (line, edited) = edit_description(&original)
            .ok_or_else(|| format!("{}: no plain `description:` line to edit", path.display()))?;
        std::fs::create_dir_all(backup_dir)
            .map_err(|e| format!("cannot create {}: {e}", backup_dir.display()))?;
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let backup = backup_dir.join(name);
        std::fs::write(&backup, &original)
            .map_err(|e| format!("cannot write {}: {e}", backup.display()))?;
        on_interrupt_keep_running(true);
        let edit = SpecEdit {
            path: path.to_path_buf(),
            original,
            backup,
            line,
        };
        std::fs::write(&edit.path, edited)
            .map_err(|e| format!("cannot write {}: {e}", edit.path.display()))?;
        Ok(edit)
    }
}

impl Drop for SpecEdit {
    fn drop(&mut self) {
        match std::fs::write(&self.path, &self.original) {
            Ok(()) => {
                let _ = std::fs::remove_file(&self.backup);
            }
            Err(e) => eprintln!(
                "error: cannot restore {} ({e}); the original is in {}",
                self.path.display(),
                self.backup.display()
            ),
        }
        on_interrupt_keep_running(false);
    }
}

/// Adds `.` to the first plain-scalar `description:` under `paths:` (it
/// reaches the generated code), else to the first one anywhere. Returns the
/// 1-based line number and the edited text.
fn edit_description(spec: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = spec.split_inclusive('\n').collect();
    let editable = |line: &str| {
        let value = line.trim_start().strip_prefix("description:")?.trim();
        let plain = !value.is_empty()
            && !value.contains(" #")
            && !value.starts_with(['|', '>', '"', '\'', '[', '{', '&', '*', '!']);
        plain.then_some(())
    };
    let paths_start = lines
        .iter()
        .position(|l| l.starts_with("paths:"))
        .unwrap_or(0);
    let index = (paths_start..lines.len())
        .chain(0..paths_start)
        .find(|&i| editable(lines[i]).is_some())?;
    let mut out = String::with_capacity(spec.len() + 1);
    for (i, line) in lines.iter().enumerate() {
        if i == index {
            let body = line.trim_end_matches(['\n', '\r']);
            out.push_str(body);
            out.push('.');
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    Some((index + 1, out))
}

/// Puts back a spec left modified by a run that was killed outright.
fn restore_leftover_spec(root: &Path, base: &Path) -> Result<(), String> {
    let dir = base.join("restore");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let spec = root.join("specs").join(entry.file_name());
        let original = read(&entry.path())?;
        std::fs::write(&spec, original)
            .map_err(|e| format!("cannot restore {}: {e}", spec.display()))?;
        let _ = std::fs::remove_file(entry.path());
        eprintln!(
            "bench-build: restored {} left modified by an interrupted run",
            spec.display()
        );
    }
    Ok(())
}

/// Ctrl-C and SIGTERM while a spec is edited: cargo (our child, which keeps
/// the default disposition) stops, and this process survives to restore the
/// spec. At any other time they end this process as usual.
#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;

    struct Flags {
        /// Set by SIGINT/SIGTERM.
        interrupted: Arc<AtomicBool>,
        /// While set, SIGINT/SIGTERM do what they do by default.
        default_action: Arc<AtomicBool>,
    }

    static FLAGS: OnceLock<Flags> = OnceLock::new();

    fn flags() -> &'static Flags {
        FLAGS.get_or_init(|| {
            let flags = Flags {
                interrupted: Arc::new(AtomicBool::new(false)),
                default_action: Arc::new(AtomicBool::new(true)),
            };
            for signal in [SIGINT, SIGTERM] {
                // The actions run in this order: the default one first, so
                // that outside an edit the process ends as if unhandled.
                let registered =
                    flag::register_conditional_default(signal, Arc::clone(&flags.default_action))
                        .and_then(|_| flag::register(signal, Arc::clone(&flags.interrupted)));
                if let Err(e) = registered {
                    eprintln!(
                        "bench-build: cannot handle signal {signal} ({e}); an interrupt now leaves \
                         the spec edited until the next run restores it"
                    );
                }
            }
            flags
        })
    }

    /// While `keep` is set, SIGINT/SIGTERM only set the flag [`interrupted`]
    /// reads.
    pub fn keep_running(keep: bool) {
        flags().default_action.store(!keep, Ordering::SeqCst);
    }

    /// Whether SIGINT/SIGTERM arrived while [`keep_running`] was on.
    pub fn interrupted() -> bool {
        FLAGS
            .get()
            .is_some_and(|f| f.interrupted.load(Ordering::SeqCst))
    }
}

#[cfg(unix)]
fn on_interrupt_keep_running(keep: bool) {
    signals::keep_running(keep);
}

#[cfg(not(unix))]
fn on_interrupt_keep_running(_keep: bool) {}

#[cfg(unix)]
fn interrupted() -> bool {
    signals::interrupted()
}

#[cfg(not(unix))]
fn interrupted() -> bool {
    false
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

    /// One `compiler-artifact` message as cargo prints it.
    fn artifact(id: &str, name: &str, fresh: bool) -> String {
        serde_json::json!({
            "reason": "compiler-artifact",
            "package_id": id,
            "manifest_path": format!("/w/{name}/Cargo.toml"),
            "target": {
                "kind": ["lib"], "crate_types": ["lib"], "name": name,
                "src_path": format!("/w/{name}/src/lib.rs"), "edition": "2024",
                "doc": true, "doctest": true, "test": true
            },
            "profile": {
                "opt_level": "0", "debuginfo": 0, "debug_assertions": true,
                "overflow_checks": true, "test": false
            },
            "features": [],
            "filenames": [format!("/w/target/debug/lib{name}.rlib")],
            "executable": null,
            "fresh": fresh
        })
        .to_string()
    }

    #[test]
    fn package_names_come_from_cargo_metadata() {
        let root = crate::workspace_root();
        let cargo = Cargo::new(None, root.join("target").join("bench-build").join("logs"));
        let names = cargo.package_names(&root).expect("cargo metadata");
        let ours: BTreeSet<String> = names.into_values().collect();
        assert!(ours.contains("chatbots-runtime"), "{ours:?}");
        assert!(ours.contains("reqwest"), "{ours:?}");
    }

    #[test]
    fn artifacts_split_fresh_and_compiled() {
        let facade = "path+file:///w/crates/chatbots#0.1.0";
        let serde = "registry+https://x#serde@1.0.0";
        let out = [
            artifact(facade, "chatbots", false),
            artifact(serde, "serde", true),
            r#"{"reason":"build-finished","success":true}"#.to_string(),
            "not json at all".to_string(),
        ]
        .join("\n");
        let names: HashMap<PackageId, String> = [(facade, "chatbots"), (serde, "serde")]
            .into_iter()
            .map(|(id, name)| (PackageId { repr: id.into() }, name.into()))
            .collect();
        let (compiled, built) = artifacts(out.as_bytes(), &names);
        assert_eq!(compiled.into_iter().collect::<Vec<_>>(), ["chatbots"]);
        assert_eq!(built.into_iter().collect::<Vec<_>>(), ["chatbots", "serde"]);
    }

    #[test]
    fn edits_a_plain_description_under_paths() {
        let spec = "info:\n  description: |\n    x\npaths:\n  /a:\n    description: \"q\"\n    get:\n      description: Get it.\n";
        let (line, edited) = edit_description(spec).expect("editable");
        assert_eq!(line, 8);
        assert!(edited.ends_with("      description: Get it..\n"));
        assert_eq!(edited.len(), spec.len() + 1);
    }

    #[test]
    fn throwaway_manifest_keeps_the_profiles_and_escapes_values() {
        let workspace: DocumentMut = concat!(
            "[workspace.dependencies]\n",
            r#"reqwest = { version = "0.13.4", default-features = false, features = ["json", "rustls-no-provider"] }"#,
            "\n\n[profile.dev.package.\"*\"]\ndebug = false\n",
        )
        .parse()
        .expect("valid TOML");
        let reqwest = workspace_dependency(&workspace, "reqwest").expect("reqwest");
        assert_eq!(
            reqwest.get("version").and_then(|v| v.as_str()),
            Some("0.13.4")
        );
        let mut dependencies = Table::new();
        let mut dep = InlineTable::new();
        dep.insert("path", r#"C:\odd "dir""#.into());
        dependencies.insert("chatbots", value(dep));
        let text = throwaway_manifest(&workspace, "bench-x", dependencies);
        let parsed: DocumentMut = text.parse().expect("the manifest is valid TOML");
        assert_eq!(parsed["package"]["name"].as_str(), Some("bench-x"));
        assert!(parsed["workspace"].is_table(), "{text}");
        assert_eq!(
            parsed["dependencies"]["chatbots"]["path"].as_str(),
            Some(r#"C:\odd "dir""#)
        );
        assert_eq!(
            parsed["profile"]["dev"]["package"]["*"]["debug"].as_bool(),
            Some(false),
            "{text}"
        );
        assert!(workspace_dependency(&workspace, "rustls").is_err());
        assert!(is_tls_feature("rustls-no-provider") && is_tls_feature("native-tls"));
        assert!(!is_tls_feature("json"));
    }
}
