//! One bot is one bot (issue 19, items 5 and 7): ids compare in their
//! vendor's canonical form (a UUID in any case, an integer with leading
//! zeros), so that one bot is never planned, applied or sent twice; and an
//! id that would act on a terminal or forge a line is refused when parsed.

mod common;

use chatbots::fleet::{ApplyError, ApplyOptions, Fleet, FleetBot, Plan, PlanOptions};
use chatbots::{BotRef, BulkOptions, ChatbotPatch, ErrorKind, Vendor};
use chatbots_sandbox::Sandbox;
use proptest::prelude::*;

const OKCHAT: &str = "3317853e-0af2-427d-a56f-351a9587f48f";
const OKCHAT_UPPER: &str = "3317853E-0AF2-427D-A56F-351A9587F48F";

/// Every character an id may not hold, one of each kind.
const FORBIDDEN: [char; 14] = [
    '\u{0}', '\u{1b}', '\n', '\r', '\u{7f}', '\u{85}', '\u{9b}', '\u{200e}', '\u{202e}',
    '\u{2028}', '\u{2029}', '\u{2066}', '\u{2069}', '\u{61c}',
];

#[test]
fn ids_with_control_bidi_or_line_separator_characters_are_refused_when_parsed() {
    for c in FORBIDDEN {
        let text = format!("okchat:ab{c}cd");
        let err = text.parse::<BotRef>().expect_err("refused").to_string();
        assert!(
            err.contains(&format!("U+{:04X}", u32::from(c))),
            "{c:?}: {err}"
        );
        assert!(
            !err.contains(c),
            "the error escapes what it refuses: {err:?}"
        );
        assert!(BotRef::try_new(Vendor::OkChat, format!("ab{c}cd")).is_err());
    }
    // A newline would forge a line of the plan.
    let err = "okchat:1\n~ okchat:2".parse::<BotRef>().unwrap_err();
    assert!(
        err.to_string().contains("U+000A, a control character"),
        "{err}"
    );
    // Ordinary ids, including non-ASCII letters, still parse.
    for ok in [
        "okchat:3317853e-0af2-427d-a56f-351a9587f48f",
        "hottask:Ünïcødé-1",
    ] {
        assert!(ok.parse::<BotRef>().is_ok(), "{ok}");
    }
    // `new` stays infallible, for ids from code.
    assert_eq!(BotRef::new(Vendor::OkChat, "a\nb").id, "a\nb");
}

#[test]
fn a_fleet_key_with_a_control_character_is_refused_with_its_line() {
    let text = "bots:\n  okchat:1:\n    name: A\n  \"okchat:2\\e[2J\":\n    name: B\n  \"okchat:3\\u202E\": {}\n";
    let err = Fleet::parse(text, "fleet.yaml").expect_err("refused");
    let lines: Vec<_> = err
        .problems
        .iter()
        .filter(|p| p.rule.contains("ids may not hold control characters"))
        .map(|p| p.line)
        .collect();
    assert_eq!(lines, [Some(4), Some(6)], "{err}");
}

#[test]
fn a_plan_file_with_a_control_character_in_a_bot_is_refused() {
    let plan = Plan {
        format: 1,
        origin: "fleet.yaml".into(),
        bots: vec![],
    };
    let saved = serde_json::to_value(&plan).expect("json");
    let mut edited = saved.clone();
    edited["bots"] = serde_json::json!([{
        "bot": "hottask:1\n~ okchat:2", "line": 2, "fields": [], "current": null, "error": null
    }]);
    let err = serde_json::from_value::<Plan>(edited).expect_err("refused");
    assert!(err.to_string().contains("U+000A"), "{err}");
}

#[test]
fn ids_compare_in_the_vendors_canonical_form() {
    let upper = BotRef::new(Vendor::OkChat, OKCHAT_UPPER);
    let lower = BotRef::new(Vendor::OkChat, OKCHAT);
    assert_eq!(upper.canonical(), lower.canonical());
    assert_eq!(upper.canonical().id, OKCHAT);
    for vendor in [Vendor::Converza, Vendor::PureTalk] {
        assert_eq!(
            BotRef::new(vendor, OKCHAT_UPPER).canonical(),
            BotRef::new(vendor, OKCHAT)
        );
    }
    // StreamSkill's order ids are integers.
    assert_eq!(
        BotRef::new(Vendor::StreamSkill, "0012345").canonical().id,
        "12345"
    );
    // HotTask's serial numbers are opaque strings: compared exactly.
    let serial = "3254a9d0424c4806b9ea3d0763ccfxxx";
    assert_ne!(
        BotRef::new(Vendor::HotTask, serial).canonical(),
        BotRef::new(Vendor::HotTask, serial.to_uppercase()).canonical()
    );
    // Not a UUID: left as written (and refused when used).
    assert_eq!(
        BotRef::new(Vendor::OkChat, "Not-A-Uuid").canonical().id,
        "Not-A-Uuid"
    );
}

#[test]
fn a_fleet_naming_one_bot_in_two_letter_cases_is_refused_with_its_line() {
    let text = format!(
        "bots:\n  okchat:{OKCHAT}:\n    name: A\n  okchat:{OKCHAT_UPPER}:\n    name: B\n  \
         streamskill:12345:\n    language: en\n  streamskill:012345:\n    language: de\n"
    );
    let err = Fleet::parse(&text, "fleet.yaml").expect_err("refused");
    let twice: Vec<_> = err
        .problems
        .iter()
        .map(|p| (p.line, p.rule.as_str()))
        .collect();
    assert_eq!(
        twice,
        [
            (Some(4), "is listed twice (first on line 2)"),
            (Some(8), "is listed twice (first on line 6)")
        ],
        "{err}"
    );
}

#[tokio::test]
async fn update_many_refuses_one_bot_twice_and_sends_nothing() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = common::client(&sandbox);
    let items = [
        (
            BotRef::new(Vendor::OkChat, OKCHAT),
            ChatbotPatch::new().name("First"),
        ),
        (
            BotRef::new(Vendor::PureTalk, "123e4567-e89b-12d3-a456-426614174000"),
            ChatbotPatch::new().name("Other"),
        ),
        (
            BotRef::new(Vendor::OkChat, OKCHAT_UPPER),
            ChatbotPatch::new().name("Second"),
        ),
    ];
    let refused = bots
        .update_many(items, &BulkOptions::new())
        .await
        .expect_err("refused");
    assert_eq!((refused.refused.len(), refused.total), (1, 3), "{refused}");
    let outcome = &refused.refused[0];
    assert_eq!(outcome.bot.id, OKCHAT_UPPER);
    let e = outcome.result.as_ref().expect_err("refused");
    assert!(
        matches!(e.kind(), ErrorKind::InvalidInput { rule, .. } if rule.contains("more than once (items 1 and 3")),
        "{e}"
    );
    assert_eq!(sandbox.requests(Vendor::OkChat), 0, "nothing sent");
    assert_eq!(sandbox.requests(Vendor::PureTalk), 0, "nothing sent");
}

#[tokio::test]
async fn a_fleet_entry_in_another_case_matches_the_listing_and_applies_once() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = common::client(&sandbox);
    let text = format!("bots:\n  okchat:{OKCHAT_UPPER}:\n    name: Upper case\n");
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    // Found in the listing (which spells it lower-case): no `get` after it.
    assert_eq!(sandbox.requests(Vendor::OkChat), 1, "one listing, no get");
    assert_eq!(plan.summary().to_change, 1, "{plan}");
    let report = bots
        .apply(&plan, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!((report.changed(), report.failed()), (1, 0), "{report:?}");
    let again = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert!(!again.has_changes(), "{again}");

    // A plan changed in code to name it twice is refused, nothing sent.
    let mut doubled = plan.clone();
    let mut lower = doubled.bots[0].clone();
    lower.bot = BotRef::new(Vendor::OkChat, OKCHAT);
    doubled.bots.push(lower);
    let before = sandbox.requests(Vendor::OkChat);
    let err = bots
        .apply(&doubled, &ApplyOptions::new())
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, ApplyError::Refused(e) if e.to_string().contains("planned more than once")),
        "{err}"
    );
    assert_eq!(sandbox.requests(Vendor::OkChat), before, "nothing sent");
}

#[tokio::test]
async fn a_fleet_built_in_code_is_held_to_the_same_id_rules() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let bots = common::client(&sandbox);
    let bot = |id: &str| {
        FleetBot::new(
            BotRef::new(Vendor::OkChat, id),
            ChatbotPatch::new().name("In code"),
            serde_json::Map::new(),
        )
    };
    let fleet = Fleet::from_bots(
        "code",
        vec![bot(OKCHAT), bot(OKCHAT_UPPER), bot("1\n~ okchat:forged")],
    );
    let err = bots
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    let rules: Vec<_> = err.problems.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(rules.len(), 2, "{err}");
    assert!(
        rules
            .iter()
            .any(|r| r.contains("U+000A, a control character")),
        "{err}"
    );
    assert!(
        rules.contains(&"is listed twice (first as bot 1 of the fleet)"),
        "{err}"
    );
    assert_eq!(sandbox.requests(Vendor::OkChat), 0, "nothing read or sent");
}

proptest! {
    /// Parsing never panics; an id holding a forbidden character is always
    /// refused, and the error never carries it.
    #[test]
    fn parsing_any_text_never_panics_and_refuses_every_forbidden_character(
        before in "\\PC{0,8}",
        bad in 0..FORBIDDEN.len(),
        after in "\\PC{0,8}",
        any in "\\PC*",
    ) {
        let _ = any.parse::<BotRef>();
        let c = FORBIDDEN[bad];
        let text = format!("okchat:x{before}{c}{after}");
        let err = text.parse::<BotRef>().expect_err("refused").to_string();
        prop_assert!(!err.contains(c), "{:?}", err);
    }

    /// A UUID in any mix of cases is one bot.
    #[test]
    fn a_uuid_in_any_case_is_one_bot(bytes in any::<[u8; 16]>(), mask in any::<u32>()) {
        let id = uuid::Uuid::from_bytes(bytes).to_string();
        let mixed: String = id
            .chars()
            .enumerate()
            .map(|(i, c)| if mask >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        prop_assert_eq!(
            BotRef::new(Vendor::OkChat, mixed).canonical(),
            BotRef::new(Vendor::OkChat, id)
        );
    }
}
