//! `cargo xtask contract [VENDOR…]`: the sandbox and the specs agree.
//!
//! Runs [Schemathesis](https://schemathesis.readthedocs.io) (version
//! [`SCHEMATHESIS`], installed on first use into a virtualenv under
//! `target/contract-venv`) against the standalone sandbox, once per spec in
//! `specs/` (or only the vendors named), with every check and every phase
//! (examples, coverage, fuzzing, stateful) and a fixed seed. Its settings
//! are in `contract/schemathesis.toml`: fixture ids pinned, each vendor's
//! credentials, and the few checks a vendor's documented behaviour makes
//! meaningless, each with its reason. Each spec gets a fresh sandbox
//! (`--no-rate-limit`, any free port), stopped afterwards; the specs run
//! at the same time, each run's output kept in
//! `target/contract-logs/<vendor>.log` and shown when it ends. Fails when any
//! run reports a failure; Schemathesis's own report says what and how to
//! reproduce it (`st replay <id>` needs the sandbox running with
//! `SANDBOX_URL` set, as here).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pinned Schemathesis release.
pub const SCHEMATHESIS: &str = "4.32.5";

/// The sandbox process, killed when dropped (also on an early return).
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let specs = select_specs(root, args)?;
    let target = target_dir(root);
    let st = install(&target)?;
    let server = sandbox_binary(root)?;
    let config = root.join("contract/schemathesis.toml");
    let logs = target.join("contract-logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let started = Instant::now();
    // Every spec at once, each against a sandbox of its own: a run is one
    // single-threaded Python process (`workers = 1` keeps its seeded
    // sequence of requests reproducible), CPU-bound (puretalk alone: 47 s
    // of CPU in 60 s), so one after another they leave CI's second core
    // idle. Each run's output goes to its log, shown whole when all are
    // done, in spec order.
    let runs: Vec<Result<Finished, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                let (st, server, config, logs) = (&st, &server, &config, &logs);
                scope.spawn(move || run_spec(root, st, server, config, spec, logs))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a contract run panicked".into()))
            })
            .collect()
    });
    let mut failed = Vec::new();
    for (spec, run) in specs.iter().zip(runs) {
        let name = spec_name(spec);
        match run {
            Ok(done) => {
                eprintln!(
                    "\n==> contract: {name} ({}, {:.0} s)",
                    spec.display(),
                    done.elapsed.as_secs_f64()
                );
                eprint!("{}", String::from_utf8_lossy(&done.output));
                if !done.success {
                    failed.push(name.to_string());
                }
            }
            Err(e) => {
                eprintln!("\n==> contract: {name}: {e}");
                failed.push(name.to_string());
            }
        }
    }
    eprintln!(
        "\ncontract: {} spec(s) in {:.0} s",
        specs.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        eprintln!("contract: the sandbox and every spec agree");
        Ok(())
    } else {
        Err(format!(
            "Schemathesis found failures for: {} (see its report above)",
            failed.join(", ")
        ))
    }
}

/// The standalone sandbox's executable, built with `cargo test
/// --workspace`'s selection ([`crate::cargo::WORKSPACE_TESTS`]): after that
/// command (as on CI) it is already built, where `cargo build -p
/// chatbots-sandbox` would compile tokio and everything above it again
/// with fewer features.
fn sandbox_binary(root: &Path) -> Result<PathBuf, String> {
    crate::cargo::artifacts(root, crate::cargo::WORKSPACE_TESTS)?
        .into_iter()
        .find(|a| {
            a.target.name == "chatbots-sandbox"
                && a.target.is_bin()
                && !a.profile.test
                && crate::cargo::is_of(a, root, "crates/sandbox")
        })
        .and_then(|a| a.executable)
        .map(PathBuf::from)
        .ok_or_else(|| "cargo built no `chatbots-sandbox` executable".into())
}

/// One spec's run, done.
struct Finished {
    success: bool,
    /// Schemathesis's stdout and stderr.
    output: Vec<u8>,
    elapsed: Duration,
}

/// Runs Schemathesis on `spec` against a fresh sandbox of its own, its
/// output in `logs/<vendor>.log`.
fn run_spec(
    root: &Path,
    st: &Path,
    server: &Path,
    config: &Path,
    spec: &Path,
    logs: &Path,
) -> Result<Finished, String> {
    let started = Instant::now();
    let log_path = logs.join(format!("{}.log", spec_name(spec)));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
    let (sandbox, url) = start(server)?;
    let status = Command::new(st)
        .current_dir(root)
        .env("SANDBOX_URL", &url)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(spec)
        .arg("--no-color")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", st.display()))?;
    drop(sandbox);
    let output =
        std::fs::read(&log_path).map_err(|e| format!("cannot read {}: {e}", log_path.display()))?;
    Ok(Finished {
        success: status.success(),
        output,
        elapsed: started.elapsed(),
    })
}

fn spec_name(spec: &Path) -> &str {
    spec.file_stem().and_then(OsStr::to_str).unwrap_or("?")
}

/// `specs/*.yaml`, sorted, or those named on the command line (by vendor
/// slug or path).
fn select_specs(root: &Path, args: &[String]) -> Result<Vec<PathBuf>, String> {
    let dir = root.join("specs");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension() == Some(OsStr::new("yaml")))
        .collect();
    all.sort();
    if args.is_empty() {
        return Ok(all);
    }
    args.iter()
        .map(|arg| {
            if arg.starts_with('-') {
                return Err(format!(
                    "contract: unknown option `{arg}` (usage: cargo xtask contract [VENDOR...])"
                ));
            }
            let path = if arg.ends_with(".yaml") {
                root.join(arg)
            } else {
                dir.join(format!("{arg}.yaml"))
            };
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("contract: no spec {}", path.display()))
            }
        })
        .collect()
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// The venv's `st`, after installing the pinned Schemathesis if the venv
/// lacks it (needs `python3` with the `venv` module, and PyPI).
fn install(target: &Path) -> Result<PathBuf, String> {
    let venv = target.join("contract-venv");
    let st = venv.join("bin/st");
    let wanted = format!("st, version {SCHEMATHESIS}");
    let installed = Command::new(&st)
        .arg("--version")
        .output()
        .ok()
        .is_some_and(|out| String::from_utf8_lossy(&out.stdout).trim() == wanted);
    if installed {
        return Ok(st);
    }
    eprintln!(
        "contract: installing schemathesis=={SCHEMATHESIS} into {}",
        venv.display()
    );
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let step = |command: &mut Command, what: &str| -> Result<(), String> {
        let status = command
            .status()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed ({status})"))
        }
    };
    step(
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    step(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS}")),
        "pip install schemathesis",
    )?;
    Ok(st)
}

/// Starts the standalone sandbox on a free port; returns it and its URL
/// (`http://127.0.0.1:<port>`), read from its first line.
fn start(server: &Path) -> Result<(Sandbox, String), String> {
    let mut child = Command::new(server)
        .args(["--port", "0", "--no-rate-limit"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", server.display()))?;
    let stdout = child.stdout.take();
    let sandbox = Sandbox(child);
    let mut line = String::new();
    if let Some(stdout) = stdout {
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the sandbox's output: {e}"))?;
        // Keep draining its banner so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    }
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .ok_or_else(|| format!("the sandbox did not say where it listens: {line:?}"))?
        .trim_end_matches('/')
        .to_string();
    Ok((sandbox, url))
}
