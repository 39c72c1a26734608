//! The README's main job, `cargo run -p chatbots --example quickstart`, run
//! as a user runs it: the example's own binary, with a controlled
//! environment. A vendor is edited for real only when fully configured;
//! every other vendor runs on the embedded sandbox, and the output says
//! which, per vendor. The "real vendor" here is a second sandbox on
//! loopback, reached through `<VENDOR>_BASE_URL`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use chatbots::{BotRef, Chatbots, Field, Vendor, credential_variables, vendor_field};
use chatbots_sandbox::{Credentials, Sandbox};

/// Builds the example once (cargo's own up-to-date check keeps this cheap)
/// and returns its path, from cargo's JSON messages.
fn quickstart() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "-p",
            "chatbots",
            "--example",
            "quickstart",
            "--message-format=json",
        ]);
        // What cargo set for this test binary must not reach the nested
        // build (it would rebuild with another fingerprint).
        for (key, _) in std::env::vars_os() {
            if key
                .to_str()
                .is_some_and(|k| k.starts_with("CARGO_PKG_") || k.starts_with("CARGO_CRATE"))
            {
                cargo.env_remove(key);
            }
        }
        for var in [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_PRIMARY_PACKAGE",
        ] {
            cargo.env_remove(var);
        }
        let output = cargo.output().expect("cargo runs");
        assert!(
            output.status.success(),
            "building the example failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find_map(|message| {
                let is_quickstart = message["target"]["name"] == "quickstart";
                let executable = message["executable"].as_str()?;
                is_quickstart.then(|| PathBuf::from(executable))
            })
            .expect("cargo names the example's executable")
    })
    .clone()
}

/// Runs the example with no vendor variable from this process's
/// environment, and `vars` set.
fn run(vars: &[(String, String)]) -> (Output, String) {
    let mut command = Command::new(quickstart());
    for vendor in Vendor::ALL {
        let prefix = vendor.env_prefix();
        for name in credential_variables(vendor) {
            command.env_remove(name);
        }
        command.env_remove(format!("{prefix}_BOT_ID"));
        command.env_remove(format!("{prefix}_BASE_URL"));
    }
    command.envs(vars.iter().map(|(k, v)| (k, v)));
    let output = command.output().expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// Whether the sandbox emulates `vendor` (it publishes credentials for it).
fn emulated(vendor: Vendor) -> bool {
    Credentials::of(vendor).is_some()
}

/// How many vendors the example edits on the sandbox alone.
fn emulated_count() -> usize {
    Vendor::ALL.into_iter().filter(|v| emulated(*v)).count()
}

/// The line saying where `vendor`'s bot was edited.
fn line_of(stdout: &str, vendor: Vendor) -> String {
    let prefix = format!("{vendor}: ");
    stdout
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line for {vendor} in:\n{stdout}"))
        .to_string()
}

#[test]
fn without_credentials_every_vendor_runs_on_the_sandbox() {
    let (output, stdout) = run(&[]);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for vendor in Vendor::ALL {
        let line = line_of(&stdout, vendor);
        if emulated(vendor) {
            assert!(line.contains("the embedded sandbox at"), "{line}");
            assert!(line.contains("no credentials in the environment"), "{line}");
        } else {
            // Visible, never dropped silently.
            assert!(line.contains("skipped"), "{line}");
            assert!(line.contains("the sandbox does not emulate it"), "{line}");
        }
    }
    assert!(
        stdout.contains(&format!("All {} updates succeeded.", emulated_count())),
        "{stdout}"
    );
    assert!(!stdout.contains("real"), "{stdout}");
}

#[test]
fn a_credential_without_a_bot_id_keeps_that_vendor_on_the_sandbox() {
    let vendor = Vendor::ALL
        .into_iter()
        .find(|v| emulated(*v))
        .expect("an emulated vendor");
    let vars: Vec<(String, String)> = credential_variables(vendor)
        .iter()
        .map(|name| (name.to_string(), "dummy".to_string()))
        .collect();
    let (output, stdout) = run(&vars);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = line_of(&stdout, vendor);
    assert!(line.contains("embedded sandbox"), "{line}");
    assert!(
        line.contains(&format!("{}_BOT_ID is not", vendor.env_prefix())),
        "{line}"
    );
    assert!(
        stdout.contains(&format!("All {} updates succeeded.", emulated_count())),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fully_configured_vendor_is_edited_there_and_only_there() {
    // The "real" vendor: a sandbox of its own, known only through the
    // variables a user would set. Any vendor the facade can read back.
    let vendor = Vendor::ALL
        .into_iter()
        .find(|v| {
            emulated(*v)
                && chatbots::VendorInfo::of(*v).is_some_and(|v| v.can_get())
                && vendor_field(*v, Field::Name).is_some()
        })
        .expect("a vendor with a read endpoint and a name");
    let real = Sandbox::start().await.expect("sandbox starts");
    let credentials = real.credentials(vendor).expect("emulated");
    let demo_bot = real.demo_bot(vendor).expect("emulated");
    let prefix = vendor.env_prefix();
    let names = credential_variables(vendor);
    let mut vars = vec![
        (format!("{prefix}_BASE_URL"), real.base_url(vendor)),
        (format!("{prefix}_BOT_ID"), demo_bot.to_string()),
        (names[0].to_string(), credentials.key.to_string()),
    ];
    if let (Some(name), Some(secret)) = (names.get(1), credentials.secret) {
        vars.push((name.to_string(), secret.to_string()));
    }
    let lookup = vars.clone();
    let (output, stdout) = tokio::task::spawn_blocking(move || run(&vars))
        .await
        .expect("runs");
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let line = line_of(&stdout, vendor);
    assert!(line.contains("real vendor API"), "{line}");
    assert!(line.contains(&real.base_url(vendor)), "{line}");
    for other in Vendor::ALL
        .into_iter()
        .filter(|v| *v != vendor && emulated(*v))
    {
        assert!(
            line_of(&stdout, other).contains("embedded sandbox"),
            "{stdout}"
        );
    }
    // The edit reached the configured vendor.
    let client = Chatbots::builder()
        .from_env_with(|name| {
            lookup
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("variables")
        .build()
        .expect("client");
    let bot = client
        .get(&BotRef::new(vendor, demo_bot))
        .await
        .expect("read back");
    assert_eq!(bot.field(Field::Name).as_deref(), Some("Front desk"));
}
