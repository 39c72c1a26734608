//! The README's capability table (vendor × shared field → the vendor's
//! field), a generated block. It comes from the facade's vendor modules, not
//! from the specs, so xtask asks the facade for it by running its
//! `capability_table` example: xtask itself links no vendor crate, and so
//! can report a broken spec even when the vendor crates do not build.

use std::path::Path;

/// The README block's name.
pub const BLOCK: &str = "capabilities";

/// The block's body: the table `chatbots::capability_table()` renders.
pub fn block(root: &Path) -> Result<String, String> {
    let mut cmd = crate::cargo::command();
    cmd.current_dir(root).args([
        "run",
        "--quiet",
        "--package",
        "chatbots",
        "--example",
        "capability_table",
    ]);
    // `cargo run` set these for xtask; they name xtask's own package.
    for var in [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let output = cmd
        .output()
        .map_err(|e| format!("capability table: cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error") || l.trim_start().starts_with("-->"))
            .take(20)
            .collect();
        return Err(format!(
            "capability table: `cargo run -p chatbots --example capability_table` failed \
             (the facade or a vendor crate does not build):\n{}",
            if errors.is_empty() {
                stderr.trim().to_string()
            } else {
                errors.join("\n")
            }
        ));
    }
    let table = String::from_utf8(output.stdout)
        .map_err(|_| "capability table: the example printed something that is not UTF-8")?;
    if !table.starts_with("| field |") {
        return Err(format!(
            "capability table: the example printed no table:\n{table}"
        ));
    }
    Ok(format!("\n{table}\n"))
}
