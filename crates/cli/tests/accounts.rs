//! The CLI across accounts, against a real sandbox on a free loopback
//! port: `chatbots accounts`, bots named `vendor@account:id`, the account
//! in every per-bot JSON line, and the refusals of accounts that cannot be
//! used, before anything is sent.

mod common;

use assert_cmd::Command;
use chatbots_sandbox::{Credentials, SECOND_ACCOUNT, Sandbox, Vendor};
use serde_json::Value;

use common::*;

/// Every secret the sandbox publishes for the vendors it emulates, every
/// account's.
fn sandbox_secrets(harness: &Harness) -> Vec<String> {
    let mut secrets = Vec::new();
    for vendor in harness.sandbox.vendors_to_test() {
        for account in Sandbox::accounts() {
            let credentials = harness
                .sandbox
                .credentials_of(vendor, account)
                .expect("emulated");
            secrets.push(credentials.key.to_string());
            secrets.extend(credentials.secret.map(str::to_string));
        }
    }
    secrets
}

/// Stdout and stderr of `output`, with no secret of `secrets` in either.
fn assert_no_secret(secrets: &[String], output: &std::process::Output) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    for secret in secrets {
        assert!(!all.contains(secret.as_str()), "a secret is shown:\n{all}");
    }
}

/// The `account` lines of `accounts --json`, by account.
fn account_lines(output: &std::process::Output) -> Vec<Value> {
    let lines = json_lines(output);
    let (summary, accounts) = lines.split_last().expect("a summary");
    assert_eq!(summary["type"], "summary", "{}", show(output));
    assert_eq!(summary["accounts"], accounts.len(), "{}", show(output));
    accounts.to_vec()
}

/// The binary under test without `--sandbox`, with a clean environment.
fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut command);
    command
}

/// The accounts `accounts --json` lists, as text.
fn listed(output: &std::process::Output) -> Vec<String> {
    assert!(output.status.success(), "{}", show(output));
    account_lines(output)
        .iter()
        .map(|a| a["account"].as_str().expect("account").to_string())
        .collect()
}

#[test]
fn accounts_says_where_each_secret_comes_from_and_never_shows_one() {
    // From the environment: one vendor's key set, the others not.
    let key = "okchat-key-of-this-test-0123";
    let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut bare);
    let table = run(bare.env("OKCHAT_API_KEY", key).arg("accounts"));
    assert!(table.status.success(), "{}", show(&table));
    assert_no_secret(&[key.to_string()], &table);
    let shown = text(&table.stdout);
    let row = |account: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(&format!("| {account} ")))
            .unwrap_or_else(|| panic!("no row for {account}: {shown}"))
            .to_string()
    };
    assert!(
        row("okchat").contains("OKCHAT_API_KEY: env OKCHAT_API_KEY, set")
            && row("okchat").contains("usable"),
        "{shown}"
    );
    assert!(
        row("puretalk").contains("PURETALK_API_KEY: env PURETALK_API_KEY, not set")
            && row("puretalk").contains("PURETALK_API_KEY is not set"),
        "{shown}"
    );

    let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    clean_env(&mut bare);
    let json = run(bare.env("OKCHAT_API_KEY", key).args(["--json", "accounts"]));
    assert!(json.status.success(), "{}", show(&json));
    assert_no_secret(&[key.to_string()], &json);
    let accounts = account_lines(&json);
    let okchat = accounts
        .iter()
        .find(|a| a["account"] == "okchat")
        .expect("okchat");
    assert_eq!(okchat["vendor"], "okchat");
    assert_eq!(okchat["name"], "default");
    assert_eq!(okchat["usable"], true);
    assert_eq!(okchat["problem"], Value::Null);
    assert_eq!(
        okchat["secrets"],
        serde_json::json!([{"variable": "OKCHAT_API_KEY", "from": "env", "name": "OKCHAT_API_KEY", "set": true}])
    );
    let puretalk = accounts
        .iter()
        .find(|a| a["account"] == "puretalk")
        .expect("puretalk");
    assert_eq!(puretalk["usable"], false);
    assert!(
        puretalk["problem"]
            .as_str()
            .is_some_and(|p| p.contains("PURETALK_API_KEY")),
        "{puretalk}"
    );

    // From a sandbox: every account it publishes, its secrets its own.
    let harness = Harness::start();
    let secrets = sandbox_secrets(&harness);
    let table = run(&mut harness.chatbots(&["accounts"]));
    assert!(table.status.success(), "{}", show(&table));
    assert_no_secret(&secrets, &table);
    let json = run(&mut harness.chatbots(&["--json", "accounts"]));
    assert_no_secret(&secrets, &json);
    let accounts = account_lines(&json);
    for vendor in harness.sandbox.vendors_to_test() {
        for name in [
            vendor.slug().to_string(),
            format!("{vendor}@{SECOND_ACCOUNT}"),
        ] {
            let line = accounts
                .iter()
                .find(|a| a["account"] == name.as_str())
                .unwrap_or_else(|| panic!("{name}: {}", show(&json)));
            assert_eq!(line["usable"], true, "{line}");
            assert_eq!(
                line["base_url"],
                harness.sandbox.base_url(vendor).as_str(),
                "{line}"
            );
            for secret in line["secrets"].as_array().expect("secrets") {
                assert_eq!(secret["from"], "sandbox", "{line}");
                assert_eq!(secret["url"], harness.url().as_str(), "{line}");
            }
        }
    }
}

#[test]
fn accounts_escapes_control_characters_for_people_and_keeps_them_in_json() {
    let url = "http://127.0.0.1:9/\u{1b}]0;pwned\u{7}";
    let accounts = |json: bool| {
        let mut bare = Command::new(env!("CARGO_BIN_EXE_chatbots"));
        clean_env(&mut bare);
        bare.env("OKCHAT_API_KEY", "okchat-key-of-this-test-0123")
            .env("OKCHAT_BASE_URL", url);
        if json {
            bare.arg("--json");
        }
        run(bare.arg("accounts"))
    };
    let table = accounts(false);
    assert!(table.status.success(), "{}", show(&table));
    let shown = text(&table.stdout);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(
        shown.contains("http://127.0.0.1:9/\\e]0;pwned\\u{7}"),
        "{shown}"
    );
    let json = accounts(true);
    let lines = account_lines(&json);
    let okchat = lines.iter().find(|a| a["account"] == "okchat").unwrap();
    assert_eq!(okchat["base_url"], url);
}

#[test]
fn unusable_accounts_and_names_that_cannot_round_trip_are_refused_before_anything_is_sent() {
    let harness = Harness::start();
    let cases: [(&[&str], &[&str]); 7] = [
        (
            &["get", "okchat@nobody:1"],
            &[
                "unknown account `okchat@nobody`",
                "OKChat's accounts are okchat",
            ],
        ),
        (
            &["update", "okchat@nobody:1", "--name", "x"],
            &["unknown account `okchat@nobody`"],
        ),
        (
            &["list", "puretalk@nobody"],
            &["unknown account `puretalk@nobody`"],
        ),
        (
            &["export", "okchat", "puretalk@nobody"],
            &["unknown account `puretalk@nobody`"],
        ),
        (
            &["--json", "list", "okchat@nobody"],
            &["unknown account `okchat@nobody`"],
        ),
        // Everything after the first `:` is the id: account `a`, id `b:1`.
        (&["get", "okchat@a:b:1"], &["unknown account `okchat@a`"]),
        // A name that could not round-trip in `vendor@account:id`.
        (
            &["get", "okchat@a b:1"],
            &["the account name contains ` `", "ASCII letters, digits"],
        ),
    ];
    for (args, expected) in cases {
        let before = harness.vendor_requests();
        let output = run(&mut harness.chatbots(args));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", show(&output));
        for expected in expected {
            assert!(
                text(&output.stderr).contains(expected),
                "{args:?}: {expected}: {}",
                show(&output)
            );
        }
        assert_eq!(harness.vendor_requests(), before, "{args:?}: nothing sent");
    }
}

#[test]
fn per_bot_json_lines_name_the_account() {
    let harness = Harness::start();
    let default = |output: &std::process::Output| {
        let lines = json_lines(output);
        let bots: Vec<&Value> = lines.iter().filter(|l| l.get("bot").is_some()).collect();
        assert!(!bots.is_empty(), "{}", show(output));
        for line in bots {
            assert_eq!(line.get("account"), Some(&Value::Null), "{line}");
        }
    };
    default(&run(&mut harness.chatbots(&["--json", "list", "okchat"])));
    default(&run(&mut harness.chatbots(&["--json", "get", OKCHAT_BOT])));
    default(&run(&mut harness.chatbots(&[
        "--json",
        "update",
        OKCHAT_BOT,
        "--greeting",
        "Hi",
    ])));
    default(&run(&mut harness.chatbots(&["--json", "export", "okchat"])));
    let fleet = harness.write(
        "fleet.yaml",
        &format!("bots:\n  {OKCHAT_BOT}:\n    greeting: Hello again\n"),
    );
    let fleet = fleet.to_str().unwrap();
    default(&run(&mut harness.chatbots(&["--json", "plan", fleet])));
    default(&run(
        &mut harness.chatbots(&["--json", "apply", fleet, "--yes"])
    ));
}

/// The README's "Several accounts" walk-through, as written: its files
/// written, its commands run in one shell on a sandbox of its own, and
/// every line of output it shows found in what the commands printed.
#[test]
fn the_readme_accounts_walkthrough_runs_as_written_and_shows_what_it_says() {
    const NAME: &str = "accounts-walkthrough";
    let harness = Harness::start();
    let commands = walkthrough(NAME);
    // The sandbox is the harness's own, on a free port.
    let setup = "cargo run -p chatbots-sandbox -- --port 8080";
    assert!(
        commands.iter().any(|c| c == setup),
        "the walk-through lost `{setup}`: {commands:#?}"
    );
    let script: Vec<String> = commands
        .iter()
        .filter(|c| *c != setup)
        .map(|c| c.replace(README_SANDBOX, &harness.url()))
        .collect();
    for step in [
        "chatbots accounts",
        "chatbots list okchat@client-b",
        "chatbots plan clients.yaml",
        "chatbots --config accounts.toml accounts",
    ] {
        assert!(script.iter().any(|c| c == step), "`{step}`: {script:#?}");
    }
    for (file, text) in walkthrough_files(NAME) {
        harness.write(&file, &text);
    }
    let output = run_in_shell(&harness, &script);
    assert!(output.status.success(), "{}", show(&output));
    let printed: Vec<String> = text(&output.stdout).lines().map(comparable).collect();
    for shown in walkthrough_output(NAME) {
        let shown = comparable(&shown.replace(README_SANDBOX, &harness.url()));
        assert!(
            printed.contains(&shown),
            "the README shows `{shown}`, not printed:\n{}",
            show(&output)
        );
    }
}

#[test]
fn a_config_file_adds_accounts_from_the_option_the_variable_or_the_default_place() {
    let harness = Harness::start();
    let account = |name: &str, variable: &str| {
        format!("[accounts.okchat.{name}]\nOKCHAT_API_KEY = {{ env = \"{variable}\" }}\n")
    };
    let given = harness.write("given.toml", &account("client-a", "CLIENT_A_OKCHAT_KEY"));
    let named = harness.write("named.toml", &account("client-n", "CLIENT_N_OKCHAT_KEY"));
    let home = harness.dir.path().join("home");
    std::fs::create_dir_all(home.join("chatbots")).unwrap();
    std::fs::write(
        home.join("chatbots/config.toml"),
        account("client-d", "CLIENT_D_OKCHAT_KEY"),
    )
    .unwrap();
    let has = |listed: &[String], name: &str| listed.iter().any(|a| a == name);

    // The default file, in the user's config directory.
    let found = listed(&run(bare()
        .env("XDG_CONFIG_HOME", &home)
        .args(["--json", "accounts"])));
    assert!(has(&found, "okchat@client-d"), "{found:?}");
    // CHATBOTS_CONFIG comes before it; --config before both: one file read.
    let found = listed(&run(bare()
        .env("XDG_CONFIG_HOME", &home)
        .env("CHATBOTS_CONFIG", &named)
        .args(["--json", "accounts"])));
    assert!(
        has(&found, "okchat@client-n") && !has(&found, "okchat@client-d"),
        "{found:?}"
    );
    let found = listed(&run(bare()
        .env("XDG_CONFIG_HOME", &home)
        .env("CHATBOTS_CONFIG", &named)
        .args(["--json", "--config"])
        .arg(&given)
        .arg("accounts")));
    assert!(
        has(&found, "okchat@client-a")
            && !has(&found, "okchat@client-n")
            && !has(&found, "okchat@client-d"),
        "{found:?}"
    );

    // With a sandbox: its accounts, plus --config's or CHATBOTS_CONFIG's,
    // never the default file's.
    let with_sandbox = |command: &mut Command| {
        let output = run(command.env("XDG_CONFIG_HOME", &home));
        listed(&output)
    };
    let found = with_sandbox(
        harness
            .chatbots(&["--json", "accounts"])
            .env("CHATBOTS_CONFIG", &named),
    );
    assert!(
        has(&found, "okchat@client-n") && !has(&found, "okchat@client-d"),
        "{found:?}"
    );
    let found = with_sandbox(
        harness
            .chatbots(&["--json", "--config", given.to_str().unwrap(), "accounts"])
            .env("CHATBOTS_CONFIG", &named),
    );
    assert!(
        has(&found, "okchat@client-a") && !has(&found, "okchat@client-n") && has(&found, "okchat"),
        "{found:?}"
    );
}

#[test]
fn a_config_account_reads_its_own_bots_once_its_variable_is_set() {
    let harness = Harness::start();
    let config = harness.write(
        "accounts.toml",
        "[accounts.okchat.client-a]\nOKCHAT_API_KEY = { env = \"CLIENT_A_OKCHAT_KEY\" }\n",
    );
    let config = config.to_str().unwrap();
    // The sandbox's second account's key, under another name.
    let key = Credentials::of_account(Vendor::OkChat, SECOND_ACCOUNT)
        .expect("emulated")
        .key;
    let demo = harness
        .sandbox
        .demo_bot_in(Vendor::OkChat, SECOND_ACCOUNT)
        .expect("emulated");
    let bot = format!("okchat@client-a:{demo}");

    // Set: the account reads its own bots, named through it.
    let output = run(harness
        .chatbots(&["--json", "--config", config, "list", "okchat@client-a"])
        .env("CLIENT_A_OKCHAT_KEY", key));
    assert!(output.status.success(), "{}", show(&output));
    assert_no_secret(&[key.to_string()], &output);
    let lines = json_lines(&output);
    let demo_line = lines
        .iter()
        .find(|l| l["bot"] == bot.as_str())
        .unwrap_or_else(|| panic!("{bot}: {}", show(&output)));
    assert_eq!(demo_line["account"], "client-a");
    let table = run(harness
        .chatbots(&["--config", config, "accounts"])
        .env("CLIENT_A_OKCHAT_KEY", key));
    assert_no_secret(&[key.to_string()], &table);
    assert!(
        text(&table.stdout).contains("OKCHAT_API_KEY: env CLIENT_A_OKCHAT_KEY, set"),
        "{}",
        show(&table)
    );
}

#[test]
fn an_account_whose_variable_is_not_set_is_listed_as_such_and_refused_before_anything_is_sent() {
    let harness = Harness::start();
    let config = harness.write(
        "accounts.toml",
        "[accounts.okchat.client-a]\nOKCHAT_API_KEY = { env = \"CLIENT_A_OKCHAT_KEY\" }\n",
    );
    let config = config.to_str().unwrap();
    let bot = format!(
        "okchat@client-a:{}",
        harness.sandbox.demo_bot(Vendor::OkChat).expect("emulated")
    );
    let output = run(&mut harness.chatbots(&["--json", "--config", config, "accounts"]));
    let accounts = account_lines(&output);
    let client_a = accounts
        .iter()
        .find(|a| a["account"] == "okchat@client-a")
        .unwrap_or_else(|| panic!("{}", show(&output)));
    assert_eq!(client_a["usable"], false);
    assert_eq!(
        client_a["secrets"],
        serde_json::json!([{"variable": "OKCHAT_API_KEY", "from": "env", "name": "CLIENT_A_OKCHAT_KEY", "set": false}])
    );
    assert!(
        client_a["problem"]
            .as_str()
            .is_some_and(|p| p.contains("accounts.toml:1") && p.contains("CLIENT_A_OKCHAT_KEY")),
        "{client_a}"
    );
    for args in [
        &["--config", config, "get", bot.as_str()][..],
        &["--config", config, "update", bot.as_str(), "--name", "x"][..],
        &["--config", config, "list", "okchat@client-a"][..],
        &["--config", config, "export", "okchat@client-a"][..],
    ] {
        let before = harness.vendor_requests();
        let output = run(&mut harness.chatbots(args));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", show(&output));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("okchat@client-a") && stderr.contains("CLIENT_A_OKCHAT_KEY"),
            "{args:?}: {}",
            show(&output)
        );
        assert_eq!(harness.vendor_requests(), before, "{args:?}: nothing sent");
    }
}

#[test]
fn a_config_file_that_does_not_parse_or_names_an_unknown_vendor_is_refused_with_its_line() {
    let harness = Harness::start();
    let cases = [
        (
            "syntax.toml",
            "\n[accounts.okchat.client-a\n",
            "syntax.toml:2",
        ),
        (
            "vendor.toml",
            "[accounts.okchaat.client-a]\nOKCHAT_API_KEY = { env = \"K\" }\n",
            "vendor.toml:1",
        ),
        (
            "secret.toml",
            "[accounts.okchat.client-a]\nOKCHAT_API_KEY = \"a-secret-in-the-file\"\n",
            "secret.toml:2",
        ),
    ];
    for (file, content, at) in cases {
        let path = harness.write(file, content);
        for args in [
            &["--config", path.to_str().unwrap(), "get", OKCHAT_BOT][..],
            &["--json", "--config", path.to_str().unwrap(), "accounts"][..],
        ] {
            let before = harness.vendor_requests();
            let output = run(&mut harness.chatbots(args));
            assert_eq!(output.status.code(), Some(1), "{file}: {}", show(&output));
            assert!(
                text(&output.stderr).contains(at),
                "{file}: {}",
                show(&output)
            );
            assert_no_secret(&["a-secret-in-the-file".to_string()], &output);
            assert_eq!(harness.vendor_requests(), before, "{file}: nothing sent");
        }
        // The same file named by CHATBOTS_CONFIG, without a sandbox.
        let output = run(bare().env("CHATBOTS_CONFIG", &path).arg("accounts"));
        assert_eq!(output.status.code(), Some(1), "{file}: {}", show(&output));
        assert!(
            text(&output.stderr).contains(at),
            "{file}: {}",
            show(&output)
        );
    }
}

#[test]
fn each_sandbox_account_lists_reads_and_updates_its_own_bots() {
    let harness = Harness::start();
    for vendor in harness.sandbox.vendors_to_test() {
        let info = chatbots::VendorInfo::of(vendor).expect("registered");
        let own = harness
            .sandbox
            .demo_bot_in(vendor, SECOND_ACCOUNT)
            .expect("emulated");
        let other = harness.sandbox.demo_bot(vendor).expect("emulated");
        let account = format!("{vendor}@{SECOND_ACCOUNT}");
        let bot = format!("{account}:{own}");
        if info.can_list() {
            let output = run(&mut harness.chatbots(&["--json", "list", &account]));
            assert!(output.status.success(), "{account}: {}", show(&output));
            let lines = json_lines(&output);
            assert!(
                lines
                    .iter()
                    .any(|l| l["bot"] == bot.as_str() && l["account"] == SECOND_ACCOUNT),
                "{bot}: {}",
                show(&output)
            );
            assert!(
                !lines
                    .iter()
                    .any(|l| l["bot"].as_str().is_some_and(|b| b.ends_with(other))),
                "{account} lists the default account's bot {other}: {}",
                show(&output)
            );
        }
        if info.can_get() {
            let output = run(&mut harness.chatbots(&["--json", "get", &bot]));
            assert!(output.status.success(), "{bot}: {}", show(&output));
            assert_eq!(json_lines(&output)[0]["account"], SECOND_ACCOUNT);
            // The default account's key does not reach the other's bot.
            let output = run(&mut harness.chatbots(&["get", &format!("{vendor}:{own}")]));
            assert_eq!(
                output.status.code(),
                Some(1),
                "{vendor}:{own}: {}",
                show(&output)
            );
        }
        let Some(field) = info.fields().find(|f| f.name() == "name") else {
            continue;
        };
        let output = run(&mut harness.chatbots(&[
            "--json",
            "update",
            &bot,
            &format!("--{}", field.name()),
            "Client B front desk",
        ]));
        assert!(output.status.success(), "{bot}: {}", show(&output));
        let line = &json_lines(&output)[0];
        assert_eq!(line["status"], "changed", "{line}");
        assert_eq!(line["account"], SECOND_ACCOUNT, "{line}");
    }
}

#[test]
fn help_says_how_to_name_an_account_and_where_accounts_come_from() {
    let cases: [(&[&str], &[&str]); 6] = [
        (&["get", "--help"], &["`vendor@account:id`"]),
        (
            &["update", "--help"],
            &["`vendor@account:id`", "okchat@client-b:"],
        ),
        (
            &["list", "--help"],
            &["`vendor@account`", "chatbots accounts"],
        ),
        (&["export", "--help"], &["`vendor@account`"]),
        (&["accounts", "--help"], &["never the secret"]),
        (
            &["--help"],
            &[
                "--config <FILE>",
                "CHATBOTS_CONFIG",
                "chatbots/config.toml",
                "chatbots accounts",
            ],
        ),
    ];
    for (args, expected) in cases {
        let output = run(bare().args(args));
        assert!(output.status.success(), "{args:?}: {}", show(&output));
        for expected in expected {
            assert!(
                text(&output.stdout).contains(expected),
                "{args:?}: {expected}: {}",
                show(&output)
            );
        }
    }
}

#[test]
fn a_config_account_named_like_a_sandbox_account_replaces_it_and_shows_its_own_source() {
    let harness = Harness::start();
    let config = harness.write(
        "accounts.toml",
        &format!(
            "[accounts.okchat.{SECOND_ACCOUNT}]\nOKCHAT_API_KEY = {{ env = \"MY_CLIENT_B_KEY\" }}\n"
        ),
    );
    let output =
        run(&mut harness.chatbots(&["--json", "--config", config.to_str().unwrap(), "accounts"]));
    let accounts = account_lines(&output);
    let client_b = accounts
        .iter()
        .find(|a| a["account"] == format!("okchat@{SECOND_ACCOUNT}").as_str())
        .unwrap_or_else(|| panic!("{}", show(&output)));
    assert_eq!(
        client_b["secrets"],
        serde_json::json!([{"variable": "OKCHAT_API_KEY", "from": "env", "name": "MY_CLIENT_B_KEY", "set": false}])
    );
    // The others are still the sandbox's.
    let puretalk = accounts
        .iter()
        .find(|a| a["account"] == format!("puretalk@{SECOND_ACCOUNT}").as_str())
        .unwrap_or_else(|| panic!("{}", show(&output)));
    assert_eq!(puretalk["secrets"][0]["from"], "sandbox");
}

#[test]
fn export_writes_the_bots_of_each_account_named_and_plan_reads_them_back_unchanged() {
    let harness = Harness::start();
    let account = format!("okchat@{SECOND_ACCOUNT}");
    let output =
        run(&mut harness.chatbots(&["--json", "export", "okchat", &account, "-o", "fleet.yaml"]));
    assert!(output.status.success(), "{}", show(&output));
    let lines = json_lines(&output);
    let own = harness
        .sandbox
        .demo_bot_in(Vendor::OkChat, SECOND_ACCOUNT)
        .expect("emulated");
    let default = harness.sandbox.demo_bot(Vendor::OkChat).expect("emulated");
    assert!(
        lines
            .iter()
            .any(|l| l["bot"] == format!("{account}:{own}").as_str()
                && l["account"] == SECOND_ACCOUNT),
        "{}",
        show(&output)
    );
    assert!(
        lines.iter().any(
            |l| l["bot"] == format!("okchat:{default}").as_str() && l["account"] == Value::Null
        ),
        "{}",
        show(&output)
    );
    let fleet = std::fs::read_to_string(harness.path("fleet.yaml")).expect("fleet.yaml");
    assert!(fleet.contains(&format!("{account}:{own}")), "{fleet}");
    let plan = run(&mut harness.chatbots(&["plan", "fleet.yaml", "--detailed-exitcode"]));
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
}

#[test]
fn a_fleet_across_accounts_is_planned_and_applied_through_each_bots_account() {
    let harness = Harness::start();
    let default = harness.sandbox.demo_bot(Vendor::OkChat).expect("emulated");
    let own = harness
        .sandbox
        .demo_bot_in(Vendor::OkChat, SECOND_ACCOUNT)
        .expect("emulated");
    let (a, b) = (
        format!("okchat:{default}"),
        format!("okchat@{SECOND_ACCOUNT}:{own}"),
    );
    harness.write(
        "fleet.yaml",
        &format!("bots:\n  {a}:\n    greeting: For us\n  {b}:\n    greeting: For client B\n"),
    );
    let account_of = |lines: &[Value], bot: &str| {
        lines
            .iter()
            .find(|l| l["bot"] == bot)
            .unwrap_or_else(|| panic!("{bot}: {lines:?}"))["account"]
            .clone()
    };
    let plan = run(&mut harness.chatbots(&["--json", "plan", "fleet.yaml"]));
    assert!(plan.status.success(), "{}", show(&plan));
    let lines = json_lines(&plan);
    assert_eq!(account_of(&lines, &a), Value::Null);
    assert_eq!(account_of(&lines, &b), SECOND_ACCOUNT);
    let apply = run(&mut harness.chatbots(&["--json", "apply", "fleet.yaml", "--yes"]));
    assert!(apply.status.success(), "{}", show(&apply));
    let lines = json_lines(&apply);
    assert_eq!(account_of(&lines, &b), SECOND_ACCOUNT);
    assert_eq!(lines.last().unwrap()["changed"], 2, "{}", show(&apply));
    for (bot, greeting) in [(&a, "For us"), (&b, "For client B")] {
        let get = run(&mut harness.chatbots(&["--json", "get", bot]));
        assert_eq!(
            json_lines(&get)[0]["fields"]["greeting"],
            greeting,
            "{}",
            show(&get)
        );
    }

    // An account the client does not know: refused with the file's line.
    harness.write(
        "unknown.yaml",
        &format!("bots:\n  {a}:\n    greeting: x\n  okchat@nobody:{own}:\n    greeting: y\n"),
    );
    let before = harness.vendor_requests();
    let plan = run(&mut harness.chatbots(&["plan", "unknown.yaml"]));
    assert_eq!(plan.status.code(), Some(1), "{}", show(&plan));
    let stderr = text(&plan.stderr);
    assert!(
        stderr.contains("unknown.yaml:4") && stderr.contains("nobody"),
        "{}",
        show(&plan)
    );
    assert_eq!(harness.vendor_requests(), before, "nothing sent");
}
