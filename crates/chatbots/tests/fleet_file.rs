//! Fleet files (issue 13): every refusal names file, line, bot, field and
//! rule, and comes before anything is sent; defaults merge where the
//! bot's vendor supports them.

mod common;

use chatbots::fleet::{Fleet, FleetBot, FleetError, PlanOptions, Problem};
use chatbots::{BotRef, ChatbotPatch, Chatbots, Vendor};
use chatbots_sandbox::Sandbox;

const OKCHAT: &str = "okchat:3317853e-0af2-427d-a56f-351a9587f48f";
const PURETALK: &str = "puretalk:123e4567-e89b-12d3-a456-426614174000";
const CONVERZA: &str = "converza:770e8400-e29b-41d4-a716-446655440002";

fn client(sandbox: &Sandbox) -> Chatbots {
    common::client(sandbox)
}

/// The one problem of `err`, which must have exactly one.
fn single(err: &FleetError) -> &Problem {
    assert_eq!(err.problems.len(), 1, "{err}");
    &err.problems[0]
}

fn assert_problem(p: &Problem, line: usize, bot: Option<&str>, field: Option<&str>, rule: &str) {
    assert_eq!(p.origin, "fleet.yaml", "{p}");
    assert_eq!(p.line, Some(line), "{p}");
    assert_eq!(p.bot.as_deref(), bot, "{p}");
    assert_eq!(p.field.as_deref(), field, "{p}");
    assert!(p.rule.contains(rule), "`{}` lacks `{rule}`", p.rule);
    // The one-line form carries all of it.
    let text = p.to_string();
    assert!(text.starts_with(&format!("fleet.yaml:{line}:")), "{text}");
    for part in [bot, field].into_iter().flatten() {
        assert!(text.contains(part), "{text}");
    }
}

fn parse_err(text: &str) -> FleetError {
    Fleet::parse(text, "fleet.yaml").expect_err("refused")
}

#[test]
fn malformed_yaml_is_refused_with_its_line() {
    let err = parse_err("bots:\n  okchat:1:\n    name: [unclosed\n    greeting: hi\n");
    let p = single(&err);
    assert!(p.rule.starts_with("is not valid YAML"), "{p}");
    assert!(matches!(p.line, Some(3..=5)), "{p}");
}

#[test]
fn unknown_keys_at_every_level_are_refused_each_with_its_line() {
    let text = format!(
        "defaults:\n  greting: hi\nbotz: {{}}\nbots:\n  {OKCHAT}:\n    name: Support\n    colour: red\n"
    );
    let err = parse_err(&text);
    assert_eq!(err.problems.len(), 3, "{err}");
    assert_problem(
        &err.problems[0],
        2,
        None,
        Some("defaults.greting"),
        "unknown field",
    );
    assert_problem(&err.problems[1], 3, None, Some("botz"), "unknown key");
    assert_problem(
        &err.problems[2],
        7,
        Some(OKCHAT),
        Some("colour"),
        "unknown field",
    );
}

#[test]
fn a_duplicate_bot_and_a_duplicate_field_are_refused() {
    let text = format!(
        "bots:\n  {OKCHAT}:\n    name: A\n    name: B\n  {PURETALK}: {{}}\n  {OKCHAT}:\n    name: C\n"
    );
    let err = parse_err(&text);
    assert_eq!(err.problems.len(), 2, "{err}");
    assert_problem(
        &err.problems[0],
        4,
        Some(OKCHAT),
        Some("name"),
        "set twice (first on line 3)",
    );
    assert_problem(
        &err.problems[1],
        6,
        Some(OKCHAT),
        None,
        "listed twice (first on line 2)",
    );
}

#[test]
fn bad_bot_keys_and_wrong_types_are_refused() {
    let text = "bots:\n  nosuchvendor:1: {}\n  okchat: {}\n  okchat:2:\n    temperature: warm\n    name: 2024\n";
    let err = parse_err(text);
    assert_eq!(err.problems.len(), 4, "{err}");
    assert_problem(
        &err.problems[0],
        2,
        Some("nosuchvendor:1"),
        None,
        "unknown vendor `nosuchvendor`",
    );
    assert_problem(&err.problems[1], 3, Some("okchat"), None, "no `:`");
    assert_problem(
        &err.problems[2],
        5,
        Some("okchat:2"),
        Some("temperature"),
        "must be a number",
    );
    assert_problem(
        &err.problems[3],
        6,
        Some("okchat:2"),
        Some("name"),
        "must be text",
    );
}

#[test]
fn defaults_apply_where_the_vendor_supports_the_field_and_the_bot_does_not_set_it() {
    let text = format!(
        "defaults:\n  greeting: Hello\n  instructions: Be brief.\nbots:\n  {OKCHAT}:\n    greeting: Hi\n  {PURETALK}:\n    vendor: {{voice_boost: true, max_reminder_messages: 2}}\n  {CONVERZA}:\n    name: Sales\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let [okchat, puretalk, converza] = fleet.bots() else {
        panic!("three bots");
    };
    assert_eq!(
        okchat.patch.greeting.as_deref(),
        Some("Hi"),
        "the bot's own wins"
    );
    assert_eq!(okchat.patch.instructions.as_deref(), Some("Be brief."));
    assert_eq!(puretalk.patch.greeting.as_deref(), Some("Hello"));
    assert_eq!(
        serde_json::Value::Object(puretalk.vendor_fields.clone()),
        serde_json::json!({"voice_boost": true, "max_reminder_messages": 2})
    );
    // Converza has no greeting: the default does not apply there.
    assert_eq!(converza.patch.greeting, None);
    assert_eq!(converza.patch.instructions.as_deref(), Some("Be brief."));
    assert_eq!(converza.patch.name.as_deref(), Some("Sales"));
    assert_eq!((okchat.line, puretalk.line, converza.line), (5, 7, 9));
    // Written out and read back, the fleet is the same.
    assert_eq!(
        Fleet::parse(&fleet.to_yaml(), "again.yaml").expect("reparses"),
        fleet
    );
}

/// Plans `fleet` (built in code, so not checked by a parse) against a
/// fresh sandbox: refused, and not one request sent.
async fn refused_by_plan(fleet: &Fleet) -> FleetError {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let err = client(&sandbox)
        .plan(fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    for vendor in Vendor::ALL {
        assert_eq!(sandbox.requests(vendor), 0, "{vendor} got a request");
    }
    err
}

// The vendors' rules are checked by the parse itself (nothing can be
// sent before it, and no client is needed).

#[test]
fn a_field_the_vendor_lacks_is_refused_with_its_line() {
    let err = parse_err(&format!(
        "bots:\n  {OKCHAT}:\n    name: A\n    temperature: 0.5\n"
    ));
    assert_problem(
        single(&err),
        4,
        Some(OKCHAT),
        Some("temperature"),
        "okchat does not support `temperature`",
    );
}

#[test]
fn an_out_of_range_value_is_refused_with_its_line() {
    let err = parse_err(&format!(
        "bots:\n  {CONVERZA}:\n    name: A\n    temperature: 3\n"
    ));
    assert_problem(single(&err), 4, Some(CONVERZA), Some("temperature"), "2");
}

#[test]
fn an_out_of_range_default_is_refused_at_the_default_for_each_bot() {
    let text = format!(
        "defaults:\n  temperature: 3\nbots:\n  {CONVERZA}:\n    name: A\n  {OKCHAT}:\n    name: B\n"
    );
    let err = parse_err(&text);
    // OKChat has no temperature: the default does not apply to it.
    assert_problem(
        single(&err),
        2,
        Some(CONVERZA),
        Some("defaults.temperature"),
        "2",
    );
}

#[test]
fn a_vendor_field_the_vendor_lacks_and_a_bad_vendor_value_are_refused() {
    let text = format!(
        "bots:\n  {PURETALK}:\n    vendor:\n      voice_stream_latency_optimization: 2\n      voice_bost: true\n      voice_boost: \"yes\"\n"
    );
    let err = parse_err(&text);
    assert_eq!(err.problems.len(), 2, "{err}");
    assert_problem(
        &err.problems[0],
        5,
        Some(PURETALK),
        Some("vendor.voice_bost"),
        "puretalk does not support `voice_bost` (did you mean `voice_boost`?)",
    );
    assert_problem(
        &err.problems[1],
        6,
        Some(PURETALK),
        Some("vendor.voice_boost"),
        "expected a boolean",
    );
}

#[tokio::test]
async fn a_fleet_built_in_code_is_checked_by_plan_before_anything_is_sent() {
    let bot = FleetBot::new(
        CONVERZA.parse().expect("a bot"),
        ChatbotPatch::new().name("A").temperature(3.0),
        Default::default(),
    );
    let err = refused_by_plan(&Fleet::from_bots("code", vec![bot])).await;
    let p = single(&err);
    assert_eq!(
        (p.origin.as_str(), p.line, p.field.as_deref()),
        ("code", None, Some("temperature"))
    );
    assert!(p.rule.contains("2"), "{p}");
}

/// Issue 19 (12): structure problems, duplicates and the vendors' rules
/// all come out of one parse, of different bots and of one bot, with the
/// likely meant field for typos.
#[test]
fn every_problem_of_a_file_comes_out_of_one_load() {
    let text = format!(
        "defaults:\n  greting: Hi\nbots:\n  {OKCHAT}:\n    colour: red\n    name: 7\n    vendor:\n      is_publc: true\n      settings: {{snipet: x}}\n  {CONVERZA}:\n    temperature: 3\n  {OKCHAT}:\n    name: again\n  {PURETALK}:\n    nme: X\n    temperature: 0.5\n"
    );
    let path = std::env::temp_dir().join(format!("fleet-all-{}.yaml", std::process::id()));
    std::fs::write(&path, text).expect("written");
    let err = Fleet::load(&path).expect_err("refused");
    std::fs::remove_file(&path).ok();
    let shown: Vec<String> = err
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{}|{}",
                p.line.unwrap_or(0),
                p.bot.as_deref().unwrap_or(""),
                p.field.as_deref().unwrap_or(""),
                p.rule
            )
        })
        .collect();
    let expected = [
        "2||defaults.greting|unknown field (did you mean `greeting`?".to_string(),
        format!("5|{OKCHAT}|colour|unknown field ("),
        format!("6|{OKCHAT}|name|must be text"),
        format!(
            "8|{OKCHAT}|vendor.is_publc|okchat does not support `is_publc` (did you mean `is_public`?)"
        ),
        format!(
            "9|{OKCHAT}|vendor.settings|okchat does not support `settings.snipet` (did you mean `settings.snippet`?)"
        ),
        format!("11|{CONVERZA}|temperature|`temperature` must be between"),
        format!("12|{OKCHAT}||is listed twice (first on line 4)"),
        format!("15|{PURETALK}|nme|unknown field (did you mean `name`?"),
        format!("16|{PURETALK}|temperature|puretalk does not support `temperature`"),
    ];
    assert_eq!(shown.len(), expected.len(), "{err}");
    for (got, want) in shown.iter().zip(&expected) {
        assert!(
            got.starts_with(want.as_str()),
            "{got}\n  wanted {want}…\n{err}"
        );
    }
}

#[tokio::test]
async fn a_bot_at_a_vendor_without_credentials_is_refused() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = Chatbots::builder()
        .okchat_api_key(sandbox.credentials(Vendor::OkChat).expect("emulated").key)
        .base_url(Vendor::OkChat, sandbox.base_url(Vendor::OkChat))
        .build()
        .expect("client builds");
    let fleet = Fleet::parse(
        &format!("bots:\n  {OKCHAT}:\n    name: A\n  {PURETALK}:\n    name: B\n"),
        "fleet.yaml",
    )
    .expect("parses");
    let err = bots
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    assert_problem(
        single(&err),
        4,
        Some(PURETALK),
        None,
        "no credentials for puretalk: PURETALK_API_KEY",
    );
    assert_eq!(sandbox.requests(Vendor::OkChat), 0);
}

#[test]
fn text_that_looks_like_another_type_survives_to_yaml_and_back() {
    let tricky = [
        "yes",
        "no",
        "on",
        "0o17",
        "0x1F",
        "1e3",
        "~",
        "null",
        "true",
        "-.5",
        ".5",
        "+1",
        "1_000",
        "0b11",
        "12:30",
        ".inf",
        "-",
        "'quoted'",
        "a: b",
        "# not a comment",
        "",
        " padded ",
        "line\nbreak",
        "@at",
        "`tick`",
        "[x]",
        "{y}",
        "*star",
        "&amp",
        "!bang",
        "%pct",
        "2024-01-01",
    ];
    let bots = tricky
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // Multiples of 1/16 up to 2: exact as Converza's 32-bit float.
            let patch = ChatbotPatch::new().name(*name).temperature(i as f64 / 16.0);
            FleetBot::new(
                BotRef::new(Vendor::Converza, format!("bot-{i}")),
                patch,
                Default::default(),
            )
        })
        .collect();
    let fleet = Fleet::from_bots("code", bots).with_header(["two\nlines"]);
    let yaml = fleet.to_yaml();
    let again = Fleet::parse(&yaml, "again.yaml").unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(again, fleet, "{yaml}");
}

proptest::proptest! {
    /// Whatever the file holds, parsing answers (a fleet or problems) and
    /// never panics; a fleet it reads is written back as itself.
    #[test]
    fn any_text_parses_or_is_refused_without_panicking(
        text in "(bots:|defaults:|vendor:|okchat:1:|  |- |\\{|\\}|\\[|\\]|&a|\\*a|'|\"|#|:|,|\\n|[a-z0-9 .~!?-]){0,60}"
    ) {
        match Fleet::parse(&text, "fuzz.yaml") {
            Ok(fleet) => {
                let again = Fleet::parse(&fleet.to_yaml(), "again.yaml");
                proptest::prop_assert_eq!(again.ok(), Some(fleet));
            }
            Err(e) => proptest::prop_assert!(!e.problems.is_empty()),
        }
    }
}
