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
    let text =
        "bots:\n  acme:1: {}\n  okchat: {}\n  okchat:2:\n    temperature: warm\n    name: 2024\n";
    let err = parse_err(text);
    assert_eq!(err.problems.len(), 4, "{err}");
    assert_problem(
        &err.problems[0],
        2,
        Some("acme:1"),
        None,
        "unknown vendor `acme`",
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
        "defaults:\n  greeting: Hello\n  instructions: Be brief.\nbots:\n  {OKCHAT}:\n    greeting: Hi\n  {PURETALK}:\n    vendor: {{voice_boost: true, voice_speed: 1.5}}\n  {CONVERZA}:\n    name: Sales\n"
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
        serde_json::json!({"voice_boost": true, "voice_speed": 1.5})
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

/// Plans `text` against a fresh sandbox: refused, and not one request sent.
async fn refused_by_plan(text: &str) -> FleetError {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let fleet = Fleet::parse(text, "fleet.yaml").expect("parses");
    let err = client(&sandbox)
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    for vendor in Vendor::ALL {
        assert_eq!(sandbox.requests(vendor), 0, "{vendor} got a request");
    }
    err
}

#[tokio::test]
async fn a_field_the_vendor_lacks_is_refused_with_its_line() {
    let err = refused_by_plan(&format!(
        "bots:\n  {OKCHAT}:\n    name: A\n    temperature: 0.5\n"
    ))
    .await;
    assert_problem(
        single(&err),
        4,
        Some(OKCHAT),
        Some("temperature"),
        "okchat does not support `temperature`",
    );
}

#[tokio::test]
async fn an_out_of_range_value_is_refused_with_its_line() {
    let err = refused_by_plan(&format!(
        "bots:\n  {CONVERZA}:\n    name: A\n    temperature: 3\n"
    ))
    .await;
    assert_problem(single(&err), 4, Some(CONVERZA), Some("temperature"), "2");
}

#[tokio::test]
async fn an_out_of_range_default_is_refused_at_the_default_for_each_bot() {
    let text = format!(
        "defaults:\n  temperature: 3\nbots:\n  {CONVERZA}:\n    name: A\n  {OKCHAT}:\n    name: B\n"
    );
    let err = refused_by_plan(&text).await;
    // OKChat has no temperature: the default does not apply to it.
    assert_problem(
        single(&err),
        2,
        Some(CONVERZA),
        Some("defaults.temperature"),
        "2",
    );
}

#[tokio::test]
async fn a_vendor_field_the_vendor_lacks_and_a_bad_vendor_value_are_refused() {
    let text = format!(
        "bots:\n  {PURETALK}:\n    vendor:\n      voice_stream_latency_optimization: 2\n      voice_bost: true\n      voice_boost: \"yes\"\n"
    );
    let err = refused_by_plan(&text).await;
    assert_eq!(err.problems.len(), 2, "{err}");
    assert_problem(
        &err.problems[0],
        5,
        Some(PURETALK),
        Some("vendor.voice_bost"),
        "puretalk does not support `voice_bost`",
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
async fn a_bot_at_a_vendor_without_credentials_is_refused() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = Chatbots::builder()
        .okchat_api_key(sandbox.credentials(Vendor::OkChat).key)
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
            let patch = ChatbotPatch::new().name(*name).temperature(0.1 * i as f64);
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
