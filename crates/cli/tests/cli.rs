//! The `chatbots` binary end to end, against a sandbox on a free loopback
//! port: the README's walk-through as written, exit codes, JSON lines, bad
//! fleet files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use chatbots_sandbox::Vendor;
use serde_json::Value;

use common::*;

// ---- the README's walk-through ----

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let harness = Harness::start();
    let commands = walkthrough("cli-walkthrough");
    // The two steps the harness does itself: its own sandbox (on a free
    // port, substituted below), and the binary under test on PATH.
    let setup = [
        "cargo run -p chatbots-sandbox -- --port 8080",
        "cargo install --path crates/cli",
    ];
    for step in setup {
        assert!(
            commands.iter().any(|c| c == step),
            "the walk-through lost `{step}`: {commands:#?}"
        );
    }
    let script: Vec<String> = commands
        .iter()
        .filter(|c| !setup.contains(&c.as_str()))
        .map(|c| c.replace(README_SANDBOX, &harness.url()))
        .collect();
    assert!(
        script.iter().any(|c| c.contains(" export "))
            && script.iter().any(|c| c.starts_with("sed -i"))
            && script.iter().any(|c| c.contains(" plan "))
            && script.iter().any(|c| c.contains(" apply ")),
        "export, edit, plan and apply: {script:#?}"
    );
    let output = run_in_shell(&harness, &script);
    assert!(output.status.success(), "{}", show(&output));

    // The edit reached the bots.
    let fleet = std::fs::read_to_string(harness.path("fleet.yaml")).expect("fleet.yaml");
    assert!(
        fleet.contains(OKCHAT_BOT) && fleet.contains(PURETALK_BOT),
        "{fleet}"
    );
    let get = run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT]));
    let bot = &json_lines(&get)[0];
    assert_eq!(bot["fields"]["greeting"], "Welcome back!", "{}", show(&get));
}

// ---- exit codes of plan and apply ----

fn greeting_fleet(harness: &Harness, greeting: &str) -> PathBuf {
    harness.write(
        "fleet.yaml",
        &format!(
            "bots:\n  {OKCHAT_BOT}:\n    greeting: {greeting}\n  {PURETALK_BOT}:\n    greeting: {greeting}\n"
        ),
    )
}

#[test]
fn plan_says_2_then_apply_0_then_plan_0() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "Good morning");
    let fleet = fleet.to_str().unwrap();

    let plan = run(&mut harness.chatbots(&["plan", fleet, "--detailed-exitcode"]));
    assert_eq!(plan.status.code(), Some(2), "{}", show(&plan));
    let shown = text(&plan.stdout);
    assert!(
        shown.contains("- greeting: \"Hello! How can I assist you today?\"")
            && shown.contains("+ greeting: \"Good morning\""),
        "{shown}"
    );
    assert!(
        !shown.contains('\u{1b}'),
        "no colour into a pipe: {shown:?}"
    );

    let plain_plan = run(&mut harness.chatbots(&["plan", fleet]));
    assert_eq!(plain_plan.status.code(), Some(0), "{}", show(&plain_plan));

    let apply = run(&mut harness.chatbots(&["apply", fleet, "--yes"]));
    assert_eq!(apply.status.code(), Some(0), "{}", show(&apply));

    let again = run(&mut harness.chatbots(&["plan", fleet, "--detailed-exitcode"]));
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
}

#[test]
fn export_says_which_reported_values_it_left_out() {
    let harness = Harness::start();
    let path = harness.dir.path().join("exported.yaml");
    let export = run(&mut harness.chatbots(&["export", "puretalk", "-o", path.to_str().unwrap()]));
    assert_eq!(export.status.code(), Some(0), "{}", show(&export));
    let yaml = std::fs::read_to_string(&path).expect("written");
    // PureTalk's fixture reports a model its update refuses: the file says
    // so instead of dropping it silently.
    assert!(
        yaml.starts_with("# Exported by chatbots from: puretalk."),
        "{yaml}"
    );
    assert!(yaml.contains("# Left out"), "{yaml}");
    assert!(
        yaml.contains(&format!("#   {PURETALK_BOT}: model:")),
        "{yaml}"
    );
}

#[test]
fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "Saved plan");
    let fleet = fleet.to_str().unwrap();
    let plan_json = harness.path("plan.json");
    let plan_json = plan_json.to_str().unwrap();

    let plan = run(&mut harness.chatbots(&["plan", fleet, "-o", plan_json]));
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(plan_json).unwrap()).expect("plan JSON");
    assert_eq!(saved["format"], 1);

    // Someone changes a planned bot in between: the plan is stale.
    let update = run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--greeting", "Changed"]));
    assert!(update.status.success(), "{}", show(&update));
    let stale = run(&mut harness.chatbots(&["apply", plan_json, "--yes"]));
    assert_eq!(stale.status.code(), Some(1), "{}", show(&stale));
    assert!(text(&stale.stderr).contains(OKCHAT_BOT), "{}", show(&stale));
    let get = run(&mut harness.chatbots(&["--json", "get", PURETALK_BOT]));
    assert_ne!(
        json_lines(&get)[0]["fields"]["greeting"],
        "Saved plan",
        "nothing sent"
    );

    // A fresh plan applies.
    let plan = run(&mut harness.chatbots(&["plan", fleet, "-o", plan_json]));
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    let apply = run(&mut harness.chatbots(&["apply", plan_json, "--yes"]));
    assert_eq!(apply.status.code(), Some(0), "{}", show(&apply));
    let get = run(&mut harness.chatbots(&["--json", "get", PURETALK_BOT]));
    assert_eq!(json_lines(&get)[0]["fields"]["greeting"], "Saved plan");
}

#[test]
fn apply_without_yes_refuses_when_stdin_is_not_a_terminal() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "Not without asking");
    let apply = run(harness
        .chatbots(&["apply", fleet.to_str().unwrap()])
        .write_stdin("yes\n"));
    assert_eq!(apply.status.code(), Some(1), "{}", show(&apply));
    assert!(text(&apply.stderr).contains("--yes"), "{}", show(&apply));
    let get = run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT]));
    assert_ne!(
        json_lines(&get)[0]["fields"]["greeting"],
        "Not without asking"
    );
}

#[test]
fn plan_lines_are_coloured_when_colour_is_forced_and_plain_with_no_color() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "Colours");
    let fleet = fleet.to_str().unwrap();
    let forced = run(harness
        .chatbots(&["plan", fleet])
        .env("CLICOLOR_FORCE", "1"));
    let shown = text(&forced.stdout);
    assert!(shown.contains("\u{1b}[32m"), "green `+` lines: {shown:?}");
    assert!(shown.contains("\u{1b}[31m"), "red `-` lines: {shown:?}");
    let plain = run(harness.chatbots(&["plan", fleet]).env("NO_COLOR", "1"));
    assert!(!text(&plain.stdout).contains('\u{1b}'), "{}", show(&plain));
}

// ---- JSON lines ----

#[test]
fn json_output_is_one_object_per_line_ending_in_a_summary() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "JSON");
    let fleet = fleet.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str, usize)> = vec![
        (vec!["vendors"], "vendor", Vendor::ALL.len()),
        (vec!["list", "okchat"], "bot", 3),
        (vec!["get", OKCHAT_BOT], "bot", 1),
        (
            vec!["update", PURETALK_BOT, "--name", "JSON desk"],
            "update",
            1,
        ),
        (vec!["export", "okchat"], "bot", 3),
        (vec!["plan", fleet], "plan", 2),
        (vec!["apply", fleet, "--yes"], "apply", 2),
    ];
    for (args, kind, count) in cases {
        let mut all = vec!["--json"];
        all.extend(&args);
        let output = run(&mut harness.chatbots(&all));
        assert!(output.status.success(), "{args:?}: {}", show(&output));
        let lines = json_lines(&output);
        let (summary, items) = lines.split_last().unwrap();
        assert_eq!(summary["type"], "summary", "{args:?}: {}", show(&output));
        assert_eq!(items.len(), count, "{args:?}: {}", show(&output));
        for item in items {
            assert_eq!(item["type"], kind, "{args:?}: {item}");
        }
    }
}

#[test]
fn json_plan_and_apply_report_each_bot() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "Per bot");
    let fleet = fleet.to_str().unwrap();
    let plan = run(&mut harness.chatbots(&["--json", "plan", fleet, "--detailed-exitcode"]));
    assert_eq!(plan.status.code(), Some(2), "{}", show(&plan));
    let lines = json_lines(&plan);
    assert_eq!(lines[0]["bot"], OKCHAT_BOT);
    let change = lines[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "greeting")
        .cloned()
        .expect("a greeting change");
    assert_eq!(change["change"], "update");
    assert_eq!(change["new"], "Per bot");
    assert_eq!(lines[2]["to_change"], 2);

    let apply = run(&mut harness.chatbots(&["--json", "apply", fleet, "--yes"]));
    let lines = json_lines(&apply);
    assert_eq!(lines[0]["status"], "changed", "{}", show(&apply));
    assert_eq!(lines[0]["fields"], serde_json::json!(["greeting"]));
    assert_eq!(lines[2]["changed"], 2);
    assert_eq!(lines[2]["failed"], 0);
}

// ---- bad fleet files ----

#[test]
fn bad_fleet_files_are_refused_with_file_and_line_and_nothing_is_sent() {
    let harness = Harness::start();
    let cases = [
        (
            "syntax.yaml",
            "bots:\n  okchat:1: [unclosed\n",
            "syntax.yaml:",
        ),
        (
            "vendor.yaml",
            "bots:\n  nosuchvendor:1:\n    name: A\n",
            "unknown vendor `nosuchvendor`",
        ),
        (
            "field.yaml",
            &format!("bots:\n  {OKCHAT_BOT}:\n    colour: blue\n"),
            "field.yaml:3",
        ),
        (
            "type.yaml",
            &format!("bots:\n  {PURETALK_BOT}:\n    name: [1, 2]\n"),
            "type.yaml:3",
        ),
        (
            "unsupported.yaml",
            &format!("bots:\n  {OKCHAT_BOT}:\n    temperature: 0.5\n"),
            "temperature",
        ),
    ];
    for (name, content, expected) in cases {
        let path = harness.write(name, content);
        let path = path.to_str().unwrap();
        for args in [vec!["plan", path], vec!["apply", path, "--yes"]] {
            let before = harness.vendor_requests();
            let output = run(&mut harness.chatbots(&args));
            assert_eq!(output.status.code(), Some(1), "{args:?}: {}", show(&output));
            let stderr = text(&output.stderr);
            assert!(stderr.contains(expected), "{args:?}: {}", show(&output));
            assert_eq!(harness.vendor_requests(), before, "{args:?}: nothing sent");
        }
    }
    // With --json: one `problem` line per problem, then the error.
    let path = harness.write(
        "two.yaml",
        &format!("bots:\n  {OKCHAT_BOT}:\n    colour: blue\n  nosuchvendor:1:\n    name: A\n"),
    );
    let output = run(&mut harness.chatbots(&["--json", "plan", path.to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let lines = json_lines(&output);
    let (error, problems) = lines.split_last().unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(problems.len(), 2, "{}", show(&output));
    for problem in problems {
        assert_eq!(problem["type"], "problem");
        assert!(
            problem["line"].is_u64() && problem["rule"].is_string(),
            "{problem}"
        );
    }
    // A missing file.
    let output = run(&mut harness.chatbots(&["plan", "missing.yaml"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        text(&output.stderr).contains("missing.yaml"),
        "{}",
        show(&output)
    );
}

// ---- vendors, list, get, update ----

#[test]
fn vendors_shows_every_vendor_and_its_sandbox_base_url() {
    let harness = Harness::start();
    let output = run(&mut harness.chatbots(&["vendors"]));
    assert!(output.status.success(), "{}", show(&output));
    let shown = text(&output.stdout);
    for vendor in Vendor::ALL {
        assert!(shown.contains(vendor.name()), "{vendor}: {shown}");
    }
    // The sandbox configures what it emulates (the others are skipped).
    for vendor in harness.sandbox.vendors_to_test() {
        assert!(shown.contains(&harness.sandbox.base_url(vendor)), "{shown}");
    }
    // Without --sandbox and without credentials: nothing configured, and
    // that is not an error.
    let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut bare);
    let output = run(bare.args(["--json", "vendors"]));
    assert!(output.status.success(), "{}", show(&output));
    let lines = json_lines(&output);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["configured"] == false)
    );
    assert_eq!(lines.last().unwrap()["configured"], 0);
    // A command that needs credentials says which, and how to do without.
    let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut bare);
    let output = run(bare.args(["list", "okchat"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("OKCHAT_API_KEY") && stderr.contains("--sandbox"),
        "{stderr}"
    );
}

#[test]
fn list_reads_every_page_and_vendors_shows_no_secret() {
    let harness = Harness::with_bots(25);
    // PureTalk pages by 10: 3 fixtures + 25 seeded = 3 pages.
    let output = run(&mut harness.chatbots(&["--json", "list", "puretalk"]));
    assert!(output.status.success(), "{}", show(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.last().unwrap()["bots"], 28, "{}", show(&output));
    for id in harness.sandbox.seeded_bots(Vendor::PureTalk) {
        let bot = format!("puretalk:{id}");
        assert!(
            lines.iter().any(|l| l["bot"] == bot.as_str()),
            "{bot} missing"
        );
    }
    for args in [&["vendors"][..], &["--json", "vendors"][..]] {
        let output = run(&mut harness.chatbots(args));
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        for vendor in harness.sandbox.vendors_to_test() {
            let credentials = chatbots_sandbox::Credentials::of(vendor).expect("emulated");
            assert!(
                !all.contains(credentials.key),
                "{vendor}'s key shown: {all}"
            );
            if let Some(secret) = credentials.secret {
                assert!(!all.contains(secret), "{vendor}'s secret shown: {all}");
            }
        }
    }
}

#[test]
fn apply_takes_a_concurrency_of_at_least_1() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "One at a time");
    let fleet = fleet.to_str().unwrap();
    let zero = run(&mut harness.chatbots(&["apply", fleet, "--yes", "--concurrency", "0"]));
    assert_eq!(zero.status.code(), Some(1), "{}", show(&zero));
    assert!(
        text(&zero.stderr).contains("--concurrency"),
        "{}",
        show(&zero)
    );
    let one = run(&mut harness.chatbots(&["apply", fleet, "--yes", "--concurrency", "1"]));
    assert_eq!(one.status.code(), Some(0), "{}", show(&one));
    assert!(text(&one.stdout).contains("2 changed"), "{}", show(&one));
}

#[test]
fn list_get_and_update_a_bot() {
    let harness = Harness::start();
    let list = run(&mut harness.chatbots(&["list", "puretalk"]));
    assert!(list.status.success(), "{}", show(&list));
    assert!(text(&list.stdout).contains(PURETALK_BOT), "{}", show(&list));

    let instructions = harness.write("prompt.txt", "Answer in one sentence.\nBe kind.");
    let update = run(&mut harness.chatbots(&[
        "update",
        PURETALK_BOT,
        "--name",
        "Front desk",
        "--instructions-file",
        instructions.to_str().unwrap(),
        "--set",
        "max_reminder_messages=3",
    ]));
    assert!(update.status.success(), "{}", show(&update));
    let get = run(&mut harness.chatbots(&["--json", "get", PURETALK_BOT]));
    let bot = &json_lines(&get)[0];
    assert_eq!(bot["fields"]["name"], "Front desk");
    assert_eq!(
        bot["fields"]["instructions"],
        "Answer in one sentence.\nBe kind."
    );
    assert_eq!(bot["raw"]["max_reminder_messages"], 3);

    let human = run(&mut harness.chatbots(&["get", PURETALK_BOT]));
    assert!(
        text(&human.stdout).contains("Front desk"),
        "{}",
        show(&human)
    );
}

/// A wrong `--instructions-file` (a device without end) is refused at the
/// fleet-file limit, not read until memory runs out; nothing is sent.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_instructions_file_is_refused() {
    let harness = Harness::start();
    let before = harness.vendor_requests();
    let update =
        run(&mut harness.chatbots(&["update", PURETALK_BOT, "--instructions-file", "/dev/zero"]));
    assert_eq!(update.status.code(), Some(1), "{}", show(&update));
    assert_eq!(harness.vendor_requests(), before, "nothing sent");
    assert!(
        text(&update.stderr).contains("--instructions-file /dev/zero")
            && text(&update.stderr).contains("larger than"),
        "{}",
        show(&update)
    );
}

/// `--sandbox` at something that answers without end is refused once the
/// answer passes the facade's body limit.
#[test]
fn a_sandbox_url_answering_without_end_is_refused() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n");
            let chunk = vec![b' '; 64 * 1024];
            // Until the client hangs up.
            while stream.write_all(&chunk).is_ok() {}
        }
    });
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut command);
    let url = format!("http://{addr}");
    let list = run(command.args(["--sandbox", &url, "list", "okchat"]));
    assert_eq!(list.status.code(), Some(1), "{}", show(&list));
    assert!(
        text(&list.stderr).contains("longer than"),
        "{}",
        show(&list)
    );
}

#[test]
fn help_names_every_vendor_and_its_credential_variables() {
    let harness = Harness::start();
    let output = run(&mut harness.chatbots(&["--help"]));
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let help = text(&output.stdout);
    // Every vendor the facade registers (a registered vendor has
    // credential variables).
    for vendor in Vendor::ALL {
        let variables = chatbots::credential_variables(vendor).join(" + ");
        if variables.is_empty() {
            eprintln!("skipped {vendor}: not registered in the facade");
            continue;
        }
        assert!(
            help.contains(&format!("{:<12} {variables}", vendor.name())),
            "{vendor}: {help}"
        );
    }
}

#[test]
fn refusals_and_usage_errors_exit_1_with_a_clear_message() {
    let harness = Harness::start();
    let cases: [(&[&str], &str); 7] = [
        (
            &["update", OKCHAT_BOT, "--temperature", "0.5"],
            "does not support `temperature`",
        ),
        (
            &["update", OKCHAT_BOT, "--set", "bogus=1"],
            "--set: okchat: unsupported, nothing sent: okchat does not support `bogus`",
        ),
        (&["update", OKCHAT_BOT], "nothing to change"),
        (&["get", "hottask:1"], "does not support `get`"),
        (&["get", "nosuchvendor:1"], "unknown vendor `nosuchvendor`"),
        // Followed by the known vendors.
        (
            &["list", "nosuchvendor"],
            "unknown vendor `nosuchvendor` (known: ",
        ),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let before = harness.vendor_requests();
        let output = run(&mut harness.chatbots(args));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", show(&output));
        assert!(
            text(&output.stderr).contains(expected),
            "{args:?}: {}",
            show(&output)
        );
        assert_eq!(harness.vendor_requests(), before, "{args:?}: nothing sent");
    }
}

#[test]
fn an_unreachable_sandbox_is_a_clear_error() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut command);
    // Port 9 (discard) on loopback: nothing listens there in a test.
    let output = run(command.args(["--sandbox", "http://127.0.0.1:9", "vendors"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        text(&output.stderr).contains("/_sandbox/credentials"),
        "{}",
        show(&output)
    );
}

// ---- on a terminal ----

/// `chatbots --sandbox <url> ARGS` on a pseudo-terminal (util-linux
/// `script`), with `input` typed into it: stdin, stdout and stderr are a
/// terminal, as for a person.
fn on_terminal(harness: &Harness, args: &str, input: &str) -> Output {
    let command = format!(
        "'{}' --sandbox '{}' {args}",
        env!("CARGO_BIN_EXE_chatbots"),
        harness.url()
    );
    in_terminal(harness, &command, input)
}

/// A shell `command` on a pseudo-terminal, with `input` typed into it.
fn in_terminal(harness: &Harness, command: &str, input: &str) -> Output {
    let script = Path::new("/usr/bin/script");
    assert!(
        script.exists(),
        "the terminal tests need util-linux's `script` (/usr/bin/script)"
    );
    let mut shell = Command::new(script);
    clean_env(&mut shell);
    run(shell
        .current_dir(harness.dir.path())
        .args(["-qec", command, "/dev/null"])
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(120)))
}

#[test]
fn on_a_terminal_apply_asks_and_only_yes_goes_ahead() {
    let harness = Harness::start();
    greeting_fleet(&harness, "Asked first");

    let declined = on_terminal(&harness, "apply fleet.yaml", "no\n");
    assert_eq!(declined.status.code(), Some(1), "{}", show(&declined));
    let shown = text(&declined.stdout);
    assert!(shown.contains("Only `yes` goes ahead"), "{shown}");
    assert!(shown.contains("not confirmed"), "{shown}");
    let get = run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT]));
    assert_ne!(json_lines(&get)[0]["fields"]["greeting"], "Asked first");

    let accepted = on_terminal(&harness, "apply fleet.yaml", "yes\n");
    assert_eq!(accepted.status.code(), Some(0), "{}", show(&accepted));
    let shown = text(&accepted.stdout);
    // Colour on a terminal: the plan's `+` lines green.
    assert!(shown.contains("\u{1b}[32m  + greeting"), "{shown:?}");
    let get = run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT]));
    assert_eq!(json_lines(&get)[0]["fields"]["greeting"], "Asked first");
}

// ---- vendor text and the terminal ----

/// What a vendor could hold in a bot's name: an OSC 52 clipboard write,
/// an OSC 0 window title, a screen clear, a right-to-left override, a line
/// feed that would forge a line of output, a C1 CSI, a line separator.
const HOSTILE: &str = "Evil\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gnp.exe\nforged\u{9b}31m\u{2028}end";

/// A character a terminal could act on: C0 (but the line feed of the
/// layout), DEL, C1, bidirectional controls, line/paragraph separators.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Asserts that human output carries no character a terminal acts on.
fn assert_inert(what: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let shown = text(bytes);
        if let Some(c) = shown.chars().find(|c| needs_escape(*c)) {
            panic!("{what}: {c:?} reached {stream}\n{}", show(output));
        }
    }
}

/// `text` without its SGR sequences (`ESC [ digits/; m`), the CLI's styles.
fn without_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let params = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[params..].starts_with('m') {
            rest = &after[params + 1..];
        } else {
            // Not a style: kept, for the assertion to find.
            out.push_str("\u{1b}[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn vendor_text_is_escaped_for_people_and_exact_in_json() {
    let harness = Harness::start();
    let update = run(&mut harness.chatbots(&[
        "update",
        OKCHAT_BOT,
        "--name",
        HOSTILE,
        "--greeting",
        HOSTILE,
    ]));
    assert!(update.status.success(), "{}", show(&update));
    assert_inert("update", &update);
    let fleet = harness.write(
        "fleet.yaml",
        &format!("bots:\n  {OKCHAT_BOT}:\n    greeting: plain\n"),
    );
    let fleet = fleet.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["list", "okchat"],
            "Evil\\e]52;c;ZXZpbA==\\u{7}\\e]0;pwned",
        ),
        (&["get", OKCHAT_BOT], "\\e[2J\\u{202e}gnp.exe"),
        (&["plan", fleet], "Evil"),
        (&["--json", "plan", fleet], ""),
        // A refusal quoting what was given.
        (
            &["update", OKCHAT_BOT, "--set", "bogus\u{1b}]0;x\u{7}=1"],
            "bogus\\e]0;x\\u{7}",
        ),
        (&["get", "okchat:\u{1b}[2J\u{202e}"], "\\e[2J"),
        (
            &["update", OKCHAT_BOT, "--set", "x=\"\u{1b}]0;t\u{7}"],
            "'x=\"\\e]0;t\\u{7}' for '--set <FIELD=JSON>'",
        ),
    ];
    for (args, expected) in cases {
        let output = run(&mut harness.chatbots(args));
        if !args.contains(&"--json") {
            assert_inert(&format!("{args:?}"), &output);
        }
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(all.contains(expected), "{args:?}: {}", show(&output));
    }
    // Also with colour forced: the styles are the only escape sequences.
    let coloured = run(harness
        .chatbots(&["plan", fleet])
        .env("CLICOLOR_FORCE", "1"));
    let shown = text(&coloured.stdout);
    assert!(shown.contains("\u{1b}[31m"), "{shown:?}");
    let without_styles = without_styles(&shown);
    assert!(
        !without_styles.chars().any(needs_escape),
        "{without_styles:?}"
    );

    // --json: the exact value.
    let update = run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--name", HOSTILE]));
    assert!(update.status.success(), "{}", show(&update));
    let get = run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT]));
    let bot = &json_lines(&get)[0];
    assert_eq!(bot["fields"]["name"], HOSTILE, "{}", show(&get));
    assert_eq!(bot["raw"]["name"], HOSTILE, "{}", show(&get));
    // `export` into a pipe is data: the same file as `-o` writes.
    let exported = harness.path("exported.yaml");
    let written =
        run(&mut harness.chatbots(&["export", "okchat", "-o", exported.to_str().unwrap()]));
    assert!(written.status.success(), "{}", show(&written));
    let piped = run(&mut harness.chatbots(&["export", "okchat"]));
    assert_eq!(
        text(&piped.stdout).trim_end(),
        std::fs::read_to_string(&exported).unwrap().trim_end()
    );
    let list = run(&mut harness.chatbots(&["--json", "list", "okchat"]));
    assert!(
        json_lines(&list)
            .iter()
            .any(|l| l["bot"] == OKCHAT_BOT && l["fields"]["name"] == HOSTILE),
        "{}",
        show(&list)
    );
}

#[test]
fn on_a_terminal_the_coloured_plan_shows_vendor_text_escaped() {
    let harness = Harness::start();
    let update = run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--greeting", HOSTILE]));
    assert!(update.status.success(), "{}", show(&update));
    greeting_fleet(&harness, "plain");
    for args in ["plan fleet.yaml", "apply fleet.yaml"] {
        let output = on_terminal(&harness, args, "no\n");
        let shown = text(&output.stdout);
        // Coloured, as on every terminal…
        assert!(
            shown.contains("\u{1b}[31m  - greeting"),
            "{args}: {shown:?}"
        );
        // …and none of the vendor's sequences, which are shown escaped.
        for raw in [
            "\u{1b}]",
            "\u{1b}[2J",
            "\u{7}",
            "\u{202e}",
            "\u{9b}",
            "\u{2028}",
        ] {
            assert!(!shown.contains(raw), "{args}: {raw:?} in {shown:?}");
        }
        // (The plan quotes values as JSON, which escapes C0 itself.)
        assert!(
            shown.contains("\\u{202e}gnp.exe\\nforged\\u{9b}31m\\u{2028}end"),
            "{args}: {shown:?}"
        );
    }
}

// ---- newcomers ----

#[test]
fn a_sandbox_address_without_a_scheme_says_what_to_give() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut command);
    let output = run(command.args(["--sandbox", "127.0.0.1:18080", "list", "okchat"]));
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--sandbox: `127.0.0.1:18080` is not a URL: give http://HOST:PORT")
            && !stderr.contains("builder error"),
        "{stderr}"
    );
}

#[test]
fn without_credentials_the_cli_says_which_variables_in_its_own_words() {
    let harness = Harness::start();
    let fleet = greeting_fleet(&harness, "None");
    for args in [
        vec!["list", "okchat"],
        vec!["get", PURETALK_BOT],
        vec!["update", OKCHAT_BOT, "--name", "x"],
        vec!["export", "okchat"],
        vec!["plan", fleet.to_str().unwrap()],
    ] {
        let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
        clean_env(&mut bare);
        let output = run(bare.current_dir(harness.dir.path()).args(&args));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", show(&output));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("--sandbox http://127.0.0.1:8080")
                && !stderr.contains("Chatbots::builder")
                && !stderr.contains("))"),
            "{args:?}: {stderr}"
        );
        let vendors: &[Vendor] = match args[0] {
            "get" => &[Vendor::PureTalk],
            "plan" => &[Vendor::OkChat, Vendor::PureTalk],
            _ => &[Vendor::OkChat],
        };
        for vendor in vendors {
            for variable in chatbots::credential_variables(*vendor) {
                assert!(stderr.contains(variable), "{args:?}: {stderr}");
            }
        }
    }
}

#[test]
fn update_help_lists_its_settings_apart_from_the_global_options_with_an_example() {
    let harness = Harness::start();
    let output = run(&mut harness.chatbots(&["update", "--help"]));
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let help = text(&output.stdout);
    let at = |needle: &str| {
        help.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in {help}"))
    };
    assert!(at("Settings to change:") < at("--name"));
    assert!(at("--set") < at("Global options:"));
    assert!(at("Global options:") < at("--sandbox") && at("Global options:") < at("--json"));
    assert!(at("Examples:") > at("--json"));
    assert!(help.contains("chatbots update okchat:"), "{help}");
}

/// The lines `chatbots ARGS` prints on a terminal `columns` wide.
fn on_terminal_of_width(harness: &Harness, columns: u16, args: &str) -> Vec<String> {
    let command = format!(
        "stty cols {columns} rows 40; '{}' --sandbox '{}' {args}",
        env!("CARGO_BIN_EXE_chatbots"),
        harness.url()
    );
    let output = in_terminal(harness, &command, "");
    assert!(output.status.success(), "{args}: {}", show(&output));
    text(&output.stdout)
        .split('\n')
        .map(|line| line.trim_end_matches('\r').to_string())
        .collect()
}

#[test]
fn list_and_vendors_fit_the_terminal() {
    let harness = Harness::start();
    // A long name, and the fixtures' Korean bot (two columns a character).
    let update = run(&mut harness.chatbots(&["update", OKCHAT_BOT, "--name", &"long ".repeat(60)]));
    assert!(update.status.success(), "{}", show(&update));
    for columns in [80, 60] {
        for args in ["vendors", "list okchat", "list puretalk"] {
            let lines = on_terminal_of_width(&harness, columns, args);
            assert!(lines.len() > 3, "{args}: {lines:#?}");
            for line in &lines {
                let width = unicode_width::UnicodeWidthStr::width(line.as_str());
                assert!(
                    width <= usize::from(columns),
                    "{args}, {columns} columns: a line of {width}:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
}

#[test]
fn a_paced_apply_shows_its_rate_and_the_vendors_limit() {
    // More StreamSkill bots than its documented burst (30, less the
    // client's margin): the last ones go at 2/s.
    let harness = Harness::with_bots(35);
    let mut fleet = String::from("bots:\n");
    for id in harness.sandbox.seeded_bots(Vendor::StreamSkill) {
        fleet.push_str(&format!("  streamskill:{id}:\n    language: de\n"));
    }
    harness.write("paced.yaml", &fleet);
    let output = on_terminal(&harness, "apply paced.yaml --yes", "");
    assert!(output.status.success(), "{}", show(&output));
    let shown = text(&output.stdout);
    assert!(
        shown.contains("applying (waits for StreamSkill's limit, 30 at once, then 2/s)"),
        "{shown:?}"
    );
    assert!(shown.contains("/s, ETA "), "{shown:?}");
}
