//! Fleet files from a hostile or unlucky world (issue 19): whatever the
//! bytes, parsing answers a fleet or problems, without panicking,
//! aborting or overflowing the stack, and refuses what would expand
//! beyond the file's size; and what `to_yaml` writes, any text included,
//! reads back as the same fleet. Memory and time are measured by the
//! `fleet_file` benchmark (BENCHMARKS.md), not asserted here.

mod common;

use chatbots::fleet::{Fleet, FleetBot, MAX_FILE_BYTES, Plan, PlanOptions, read_limited};
use chatbots::{BotRef, ChatbotPatch, Vendor};
use chatbots_sandbox::Sandbox;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Parses `text`: a fleet, or at least one problem, each with its file.
fn answers(text: &str) -> Result<Fleet, chatbots::fleet::FleetError> {
    let result = Fleet::parse(text, "hostile.yaml");
    if let Err(e) = &result {
        assert!(!e.problems.is_empty());
        assert!(e.problems.iter().all(|p| p.origin == "hostile.yaml"));
    }
    result
}

/// `levels` of anchors, each a list of `width` aliases of the one before.
fn laughs(levels: usize, width: usize) -> String {
    let mut text = "bots:\n  converza:1:\n    vendor:\n      questions: &l0 [lol]\n".to_string();
    for i in 1..=levels {
        let refs = vec![format!("*l{}", i - 1); width].join(", ");
        text.push_str(&format!("      q{i}: &l{i} [{refs}]\n"));
    }
    text
}

#[test]
fn a_billion_laughs_is_refused_at_its_line_before_it_expands() {
    // Under 700 bytes; fully expanded, 10^9 nodes.
    let text = laughs(9, 10);
    assert!(text.len() < 700, "{}", text.len());
    let err = answers(&text).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert!(p.rule.starts_with("aliases expand beyond"), "{p}");
    assert!(matches!(p.line, Some(5..=13)), "{p}");
}

#[test]
fn anchors_chaining_nested_brackets_cannot_overflow_the_stack() {
    // The shape that aborted the process (118 KB): each anchor nests the
    // previous one deeper still.
    let mut text = "bots:\n  converza:1:\n    vendor:\n      q0: &a0 [x]\n".to_string();
    for i in 1..1000 {
        let open = "[".repeat(50);
        let close = "]".repeat(50);
        text.push_str(&format!("      q{i}: &a{i} {open}*a{}{close}\n", i - 1));
    }
    assert!(text.len() > 100_000);
    let err = answers(&text).unwrap_err();
    assert!(
        err.problems[0].rule.contains("nested more than 64"),
        "{err}"
    );
    // And plain nesting, a million deep.
    let deep = format!("bots: {}{}", "[".repeat(1 << 20), "]".repeat(1 << 20));
    let err = answers(&deep).unwrap_err();
    // (Refused by the events parser's own limit, or by ours.)
    let rule = &err.problems[0].rule;
    assert!(
        rule.contains("nested more than") || rule.contains("recursion limit"),
        "{err}"
    );
}

#[test]
fn a_file_beyond_the_size_limit_is_refused_before_it_is_read() {
    let path = std::env::temp_dir().join(format!("fleet-huge-{}.yaml", std::process::id()));
    let file = std::fs::File::create(&path).expect("created");
    // Sparse: nothing is written, the size alone is too large.
    file.set_len(MAX_FILE_BYTES as u64 + 1).expect("sized");
    let err = Fleet::load(&path).expect_err("refused");
    std::fs::remove_file(&path).ok();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(err.problems[0].rule.contains("larger than 64 MiB"), "{err}");
    assert!(
        err.problems[0]
            .to_string()
            .starts_with(&path.display().to_string())
    );
    // Text already in memory is held to the same limit.
    let err = answers(&"#".repeat(MAX_FILE_BYTES + 1)).unwrap_err();
    assert!(
        err.problems[0].rule.starts_with("is larger than 64 MiB"),
        "{err}"
    );
}

#[test]
fn a_plan_is_read_within_the_limit_and_deep_json_is_refused_not_overflowed() {
    // Plans are JSON: `read_limited` bounds the file, serde_json's
    // recursion limit (128) the nesting.
    let path = std::env::temp_dir().join(format!("plan-deep-{}.json", std::process::id()));
    // Deep where a plan holds any JSON: a bot's current state, and a
    // change buffered for its tag.
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(1 << 20), close.repeat(1 << 20));
    let deep = format!(
        "{{\"format\": 1, \"origin\": \"f\", \"bots\": [{{\"bot\": \"converza:1\", \"line\": 2, \"current\": {}, \"fields\": [{{\"field\": \"name\", \"change\": \"unknown\", \"new\": {}}}], \"error\": null}}]}}",
        deep("[", "]"),
        deep("{\"a\":", "}")
    );
    std::fs::write(&path, &deep).expect("written");
    let text = read_limited(&path).expect("under the limit");
    std::fs::remove_file(&path).ok();
    let err = serde_json::from_str::<Plan>(&text).expect_err("refused");
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

/// YAML built to be hard: anchors, aliases, nesting, long scalars,
/// flow and block, in any order.
fn adversarial() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (1usize..12, 1usize..16).prop_map(|(levels, width)| laughs(levels, width)),
        (1usize..5000).prop_map(|n| format!("bots: {}x{}\n", "[".repeat(n), "]".repeat(n))),
        (1usize..5000).prop_map(|n| format!("bots: {}\n", "{a: ".repeat(n))),
        (1usize..300, 1usize..100).prop_map(|(n, d)| {
            let mut t = "bots:\n  okchat:1:\n    vendor:\n      a0: &a0 x\n".to_string();
            for i in 1..n {
                t.push_str(&format!(
                    "      a{i}: &a{i} {}*a{}{}\n",
                    "[".repeat(d),
                    i - 1,
                    "]".repeat(d)
                ));
            }
            t
        }),
        (0usize..200_000)
            .prop_map(|n| format!("bots:\n  converza:1:\n    name: {}\n", "y".repeat(n))),
        (0usize..2000).prop_map(|n| format!("bots:\n{}", "  converza:1: {}\n".repeat(n))),
        Just("*undefined\n".to_string()),
        Just("&a [*a]\n".to_string()),
        Just("bots: &b {converza:1: *b}\n".to_string()),
        Just("bots: !!binary AAAA\n---\n...\n%YAML 1.2\n".to_string()),
    ];
    proptest::collection::vec(piece, 1..4).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any bytes at all (as text, the way a file is read).
    #[test]
    fn any_bytes_are_answered_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = answers(&String::from_utf8_lossy(&bytes));
    }

    /// Adversarial shapes: answered, and a laugh that expands beyond the
    /// budget is refused as such.
    #[test]
    fn adversarial_yaml_is_answered_without_panicking(text in adversarial()) {
        let _ = answers(&text);
    }
}

/// Text biased to what trips YAML writers and readers up: line and
/// paragraph separators, NEL, the BOM, lone CR, tabs, edge spaces, `#`,
/// `: `, quotes, emoji, right-to-left marks, very long lines.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::string::string_regex(
            "(\u{2028}|\u{2029}|\u{85}|\u{feff}|\r|\n|\t| |  |#|: |:|'|\"|\\\\|-|\\?|&|\\*|!|%|@|`|\\{|\\}|\\[|\\]|,|\u{200f}|\u{202e}|\u{1f600}|\u{0}|\u{7f}|yes|null|~|0x1F|1e3|---|[a-z]{1,3}|[0-9]{1,3}|x{2000}){1,12}"
        )
        .expect("a regex"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Issue 19 (4): `to_yaml` then `parse` is the same fleet for every
    /// text, in every place a text is written: bot ids, shared fields,
    /// vendor fields, keys inside vendor objects. (Converza takes any
    /// text in these fields, so its rules refuse none of it.)
    #[test]
    fn every_text_survives_export_and_parse(
        // What a `vendor:id` may be (`BotRef::try_new`: not empty, no white
        // space at the ends, nothing that drives a terminal).
        id in tricky_text().prop_filter("an id", |t| BotRef::try_new(Vendor::Converza, t.as_str()).is_ok()),
        name in tricky_text(),
        description in tricky_text(),
        instructions in tricky_text(),
        identification in tricky_text(),
        question in tricky_text(),
    ) {
        let mut vendor = Map::new();
        vendor.insert("identification_name".into(), Value::String(identification));
        vendor.insert(
            "questions".into(),
            json!([{"question": question, "answer": "Yes."}]),
        );
        let bot = FleetBot::new(
            BotRef::new(Vendor::Converza, id),
            ChatbotPatch::new().name(name).description(description).instructions(instructions),
            vendor,
        );
        let fleet = Fleet::from_bots("code", vec![bot]).with_header(["exported\u{2028}now"]);
        let yaml = fleet.to_yaml();
        let again = Fleet::parse(&yaml, "again.yaml");
        prop_assert!(again.is_ok(), "{}\n{}", again.unwrap_err(), yaml);
        prop_assert_eq!(again.unwrap(), fleet, "{}", yaml);
    }
}

/// End to end, on the sandbox: a bot whose texts hold what YAML writers
/// fold or strip is exported, read back and planned: no change.
#[tokio::test]
async fn an_unedited_export_of_tricky_text_plans_no_change() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = common::client(&sandbox);
    let bot: BotRef = "converza:770e8400-e29b-41d4-a716-446655440002"
        .parse()
        .expect("a bot");
    let name = "\u{2028}sep\u{2029} \u{85}nel\u{feff} \r lone\tcr  # not: a comment 'q' \"qq\" \u{1f600} \u{200f}rtl\u{202e} ";
    let long = "a long line: ".repeat(2000);
    bots.update(
        &bot,
        &ChatbotPatch::new().name(name).description(long.as_str()),
    )
    .await
    .expect("updated");
    let exported = bots
        .export(&[Vendor::Converza], &PlanOptions::new())
        .await
        .expect("export");
    let yaml = exported.to_yaml();
    let fleet = Fleet::parse(&yaml, "exported.yaml").expect("the export parses");
    let ours = fleet
        .bots()
        .iter()
        .find(|b| b.bot == bot)
        .expect("exported");
    assert_eq!(ours.patch.name.as_deref(), Some(name), "{yaml}");
    assert_eq!(ours.patch.description.as_deref(), Some(long.as_str()));
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert!(!plan.has_changes(), "{plan}");
}
