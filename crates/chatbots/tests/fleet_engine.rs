//! The fleet engine against the sandbox (issue 13): plan per field
//! (unchanged, update, unknown), apply only what differs, partial failure
//! then rerun, stale plans refused, plans saved as JSON, export.

mod common;

use chatbots::fleet::{ApplyError, ApplyOptions, Change, FieldPlan, Fleet, Plan, PlanOptions};
use chatbots::{BotRef, ChatbotPatch, Chatbots, RetryPolicy, Vendor};
use chatbots_sandbox::{Fault, FaultRule, Sandbox};
use serde_json::json;

const OKCHAT: &str = "okchat:3317853e-0af2-427d-a56f-351a9587f48f";
const PURETALK: &str = "puretalk:123e4567-e89b-12d3-a456-426614174000";
const HOTTASK: &str = "hottask:3254a9d0424c4806b9ea3d0763ccfxxx";
const STREAMSKILL: &str = "streamskill:12345";

fn client_with(sandbox: &Sandbox, retry: Option<RetryPolicy>) -> Chatbots {
    let builder = common::builder(sandbox);
    match retry {
        Some(retry) => builder.retry(retry),
        None => builder,
    }
    .build()
    .expect("client builds")
}

fn client(sandbox: &Sandbox) -> Chatbots {
    common::client(sandbox)
}

/// A sandbox without StreamSkill's rate limit, so tests do not wait.
async fn sandbox(bots: usize) -> Sandbox {
    Sandbox::builder()
        .bots(bots)
        .rate_limit(Vendor::StreamSkill, None)
        .start()
        .await
        .expect("sandbox starts")
}

fn bot(text: &str) -> BotRef {
    text.parse().expect("bot ref")
}

fn change<'p>(plan: &'p Plan, bot: &str, field: &str) -> &'p Change {
    let bot_plan = plan
        .bots
        .iter()
        .find(|b| b.bot.to_string() == bot)
        .unwrap_or_else(|| panic!("{bot} not in the plan"));
    &bot_plan
        .fields
        .iter()
        .find(|f| f.field == field)
        .unwrap_or_else(|| panic!("{bot}: {field} not in the plan"))
        .change
}

#[tokio::test]
async fn plan_shows_each_field_unchanged_updated_or_unknown() {
    let sandbox = sandbox(0).await;
    let bots = client(&sandbox);
    let now = bots.get(&bot(OKCHAT)).await.expect("read");
    let name = now.name.clone().expect("the fixture has a name");
    let text = format!(
        "bots:\n  {OKCHAT}:\n    name: \"{name}\"\n    greeting: Hi there\n  {HOTTASK}:\n    name: Desk\n  {STREAMSKILL}:\n    language: en\n  {PURETALK}:\n    vendor:\n      voice_stream_latency_optimization: 3\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");

    assert_eq!(
        change(&plan, OKCHAT, "name"),
        &Change::Unchanged { value: json!(name) }
    );
    assert_eq!(
        change(&plan, OKCHAT, "greeting"),
        &Change::Update {
            old: json!(now.greeting.expect("the fixture greets")),
            new: json!("Hi there")
        }
    );
    // HotTask cannot read at all; StreamSkill does not report language.
    assert_eq!(
        change(&plan, HOTTASK, "name"),
        &Change::Unknown { new: json!("Desk") }
    );
    assert_eq!(
        change(&plan, STREAMSKILL, "language"),
        &Change::Unknown { new: json!("en") }
    );
    let hottask = plan
        .bots
        .iter()
        .find(|b| b.bot == bot(HOTTASK))
        .expect("hottask");
    assert_eq!(hottask.current, None);
    // A vendor field compared with the read answer's key.
    let pt = change(&plan, PURETALK, "vendor.voice_stream_latency_optimization");
    assert!(
        matches!(pt, Change::Update { new, .. } if new == &json!(3)),
        "{pt:?}"
    );

    let summary = plan.summary();
    assert_eq!(
        (
            summary.bots,
            summary.to_change,
            summary.unknown,
            summary.unchanged,
            summary.failed
        ),
        (4, 2, 2, 0, 0)
    );
    let shown = plan.to_string();
    assert!(shown.contains(&format!("~ {OKCHAT}\n")), "{shown}");
    assert!(shown.contains("  + greeting: \"Hi there\"\n"), "{shown}");
    assert!(
        shown.contains("  ? language: (current value unknown) + \"en\"\n"),
        "{shown}"
    );
    assert!(
        !shown.contains("  - name:"),
        "an unchanged field is not shown: {shown}"
    );
    assert!(
        shown.ends_with("4 bots: 2 to change, 2 unknown, 0 unchanged, 0 failed.\n"),
        "{shown}"
    );
    assert!(!shown.contains('\u{1b}'), "no colour codes");
}

#[tokio::test]
async fn apply_sends_only_what_differs_and_planning_again_shows_no_change() {
    let sandbox = sandbox(0).await;
    let bots = client(&sandbox);
    let name = bots
        .get(&bot(OKCHAT))
        .await
        .expect("read")
        .name
        .expect("name");
    let text = format!(
        "defaults:\n  instructions: Answer briefly.\nbots:\n  {OKCHAT}:\n    name: \"{name}\"\n    greeting: Hi there\n  {PURETALK}:\n    timezone: Europe/Berlin\n    vendor:\n      voice_stream_latency_optimization: 3\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    let report = bots
        .apply(&plan, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(report.changed(), 2);
    assert_eq!(
        report.outcomes[0].sent,
        ["instructions", "greeting"],
        "not the unchanged name"
    );

    let okchat = bots.get(&bot(OKCHAT)).await.expect("read");
    assert_eq!(okchat.greeting.as_deref(), Some("Hi there"));
    assert_eq!(okchat.instructions.as_deref(), Some("Answer briefly."));
    let again = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert!(!again.has_changes(), "{again}");
    assert_eq!(again.summary().unchanged, 2, "{again}");
    assert!(again.to_string().starts_with("No changes."), "{again}");
    // Nothing to change: nothing sent, each bot still reported.
    let report = bots
        .apply(&again, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!(report.outcomes.len(), 2);
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.sent.is_empty() && o.result.is_ok())
    );
}

#[tokio::test]
async fn a_failed_update_does_not_stop_the_others_and_a_rerun_fixes_only_it() {
    let sandbox = sandbox(3).await;
    let bots = client_with(&sandbox, Some(RetryPolicy::disabled()));
    let ids = sandbox.seeded_bots(Vendor::OkChat);
    let mut text = String::from("bots:\n");
    for id in &ids {
        text.push_str(&format!("  okchat:{id}:\n    greeting: Welcome back\n"));
    }
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert_eq!(plan.summary().to_change, 3, "{plan}");

    sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::OkChat)
            .method("PATCH")
            .times(1),
    );
    let report = bots
        .apply(&plan, &ApplyOptions::new().concurrency(1))
        .await
        .expect("applied");
    assert_eq!((report.failed(), report.changed()), (1, 2), "{report:?}");
    let failed = report
        .outcomes
        .iter()
        .find(|o| o.result.is_err())
        .expect("one failed");

    let rerun = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    let still: Vec<_> = rerun
        .bots
        .iter()
        .filter(|b| b.has_changes())
        .map(|b| &b.bot)
        .collect();
    assert_eq!(still, [&failed.bot], "{rerun}");
    let report = bots
        .apply(&rerun, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!((report.failed(), report.changed()), (0, 1), "{report:?}");
    assert!(
        !bots
            .plan(&fleet, &PlanOptions::new())
            .await
            .expect("plan")
            .has_changes()
    );
}

#[tokio::test]
async fn a_plan_is_refused_whole_when_a_bot_moved_on_since() {
    let sandbox = sandbox(0).await;
    let bots = client(&sandbox);
    let text =
        format!("bots:\n  {OKCHAT}:\n    greeting: Planned\n  {PURETALK}:\n    name: Planned\n");
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    bots.update(
        &bot(OKCHAT),
        &ChatbotPatch::new().greeting("Behind your back"),
    )
    .await
    .expect("update");

    let err = bots
        .apply(&plan, &ApplyOptions::new())
        .await
        .expect_err("stale");
    let ApplyError::Stale { bots: stale } = &err else {
        panic!("{err}");
    };
    assert_eq!(stale.len(), 1, "{err}");
    assert_eq!(stale[0].bot, bot(OKCHAT));
    assert_eq!(stale[0].field, "greeting");
    assert_eq!(stale[0].now, json!("Behind your back"));
    assert!(err.to_string().contains("plan again"), "{err}");
    // Nothing was sent: neither the stale bot nor the other one changed.
    let okchat = bots.get(&bot(OKCHAT)).await.expect("read");
    assert_eq!(okchat.greeting.as_deref(), Some("Behind your back"));
    let puretalk = bots.get(&bot(PURETALK)).await.expect("read");
    assert_ne!(puretalk.name.as_deref(), Some("Planned"));
}

#[tokio::test]
async fn a_plan_saved_as_json_applies_as_approved() {
    let sandbox = sandbox(0).await;
    let bots = client(&sandbox);
    let text =
        format!("bots:\n  {OKCHAT}:\n    greeting: From JSON\n  {HOTTASK}:\n    name: Desk\n");
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    let saved = serde_json::to_string_pretty(&plan).expect("serialises");
    assert!(saved.contains("\"format\": 1"), "{saved}");
    assert!(saved.contains(&format!("\"bot\": \"{OKCHAT}\"")), "{saved}");
    assert!(saved.contains("\"change\": \"update\""), "{saved}");
    let loaded: Plan = serde_json::from_str(&saved).expect("deserialises");
    assert_eq!(loaded, plan);

    let report = bots
        .apply(&loaded, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!((report.failed(), report.changed()), (0, 2), "{report:?}");
    let okchat = bots.get(&bot(OKCHAT)).await.expect("read");
    assert_eq!(okchat.greeting.as_deref(), Some("From JSON"));

    // A plan file edited by hand is refused when read (`plan_file.rs`); a
    // plan changed in code to break a vendor rule is refused, nothing sent.
    let mut edited = loaded.clone();
    let mut hottask = edited.bots[1].clone();
    hottask.fields[0] = FieldPlan {
        field: "temperature".into(),
        change: Change::Unknown { new: json!(0.5) },
    };
    edited.bots = vec![hottask];
    let before = sandbox.requests(Vendor::HotTask);
    let err = bots
        .apply(&edited, &ApplyOptions::new())
        .await
        .expect_err("refused");
    let ApplyError::Refused(refused) = &err else {
        panic!("{err}");
    };
    let problem = &refused.problems[0];
    assert_eq!(
        (
            problem.line,
            problem.bot.as_deref(),
            problem.field.as_deref()
        ),
        (Some(4), Some(HOTTASK), Some("temperature")),
        "{err}"
    );
    assert!(problem.rule.contains("whole number"), "{err}");
    assert_eq!(
        sandbox.requests(Vendor::HotTask),
        before,
        "nothing sent to HotTask"
    );

    // Applied, the plan is stale: applying it again is refused.
    assert!(matches!(
        bots.apply(&loaded, &ApplyOptions::new()).await,
        Err(ApplyError::Stale { .. })
    ));

    // A plan changed to list a bot twice is refused, nothing sent.
    let mut doubled = loaded.clone();
    let hottask = doubled.bots[1].clone();
    doubled.bots = vec![hottask.clone(), hottask];
    let before = sandbox.requests(Vendor::HotTask);
    let err = bots
        .apply(&doubled, &ApplyOptions::new())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("planned more than once"), "{err}");
    assert_eq!(sandbox.requests(Vendor::HotTask), before, "nothing sent");

    // A plan of another format is refused, nothing sent.
    let mut other = loaded.clone();
    other.format = 2;
    assert!(matches!(
        bots.apply(&other, &ApplyOptions::new()).await,
        Err(ApplyError::Refused(_))
    ));
}

#[tokio::test]
async fn an_exported_fleet_plans_no_change() {
    // More than one page at Converza and PureTalk (100 a page).
    let sandbox = sandbox(120).await;
    let bots = client(&sandbox);
    // Every emulated vendor that can list; each other one cannot be exported.
    let (vendors, unlisted): (Vec<Vendor>, Vec<Vendor>) = sandbox
        .vendors_to_test()
        .into_iter()
        .partition(|v| chatbots::VendorInfo::of(*v).is_some_and(|i| i.can_list()));
    let exported = bots
        .export(&vendors, &PlanOptions::new())
        .await
        .expect("export");
    let yaml = exported.to_yaml();
    let names: Vec<&str> = vendors.iter().map(|v| v.name()).collect();
    assert!(
        yaml.starts_with(&format!(
            "# Exported by chatbots from: {}.",
            names.join(", ")
        )),
        "{yaml}"
    );
    // PureTalk's fixture reports a model its update refuses: left out, and said.
    if vendors.contains(&Vendor::PureTalk) {
        assert!(
            yaml.contains(&format!("#   {PURETALK}: model: `model` must be one of")),
            "{yaml}"
        );
    }
    // Every fixture and seeded bot, vendor by vendor.
    for &vendor in &vendors {
        let listed = bots.list(vendor).await.expect("list").len();
        let exported_here = exported
            .bots()
            .iter()
            .filter(|b| b.bot.vendor == vendor)
            .count();
        assert_eq!(exported_here, listed, "{vendor}");
    }
    let order: Vec<Vendor> = exported.bots().iter().map(|b| b.bot.vendor).collect();
    assert!(
        order.is_sorted_by_key(|v| vendors.iter().position(|x| x == v)),
        "{order:?}"
    );

    let fleet = Fleet::parse(&yaml, "exported.yaml").expect("the export parses");
    assert_eq!(fleet, exported);
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert!(!plan.has_changes(), "{plan}");
    assert_eq!(plan.summary().failed, 0, "{plan}");

    // A vendor that cannot list cannot be exported.
    for vendor in unlisted {
        assert!(
            bots.export(&[vendor], &PlanOptions::new()).await.is_err(),
            "{vendor}"
        );
    }
}

#[tokio::test]
async fn progress_is_reported_for_every_bot() {
    use std::sync::{Arc, Mutex};
    let sandbox = sandbox(0).await;
    let bots = client(&sandbox);
    let text = format!(
        "bots:\n  {OKCHAT}:\n    greeting: A\n  {HOTTASK}:\n    name: B\n  {PURETALK}:\n    name: C\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&seen);
    let options =
        PlanOptions::new().on_progress(move |done, total| hook.lock().unwrap().push((done, total)));
    bots.plan(&fleet, &options).await.expect("plan");
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
}

#[tokio::test]
async fn a_bot_whose_read_fails_is_planned_as_failed_and_not_applied() {
    let sandbox = sandbox(0).await;
    let bots = client_with(&sandbox, Some(RetryPolicy::disabled()));
    let text = format!("bots:\n  {PURETALK}:\n    name: Desk\n  {OKCHAT}:\n    greeting: Hi\n");
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    // The listing and then the bot's own read fail.
    sandbox.faults().inject(
        FaultRule::new(Fault::Status(503))
            .vendor(Vendor::PureTalk)
            .method("GET")
            .times(2),
    );
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    let summary = plan.summary();
    assert_eq!((summary.failed, summary.to_change), (1, 1), "{plan}");
    assert!(
        plan.to_string()
            .contains(&format!("! {PURETALK}: cannot be read, not applied:")),
        "{plan}"
    );

    let report = bots
        .apply(&plan, &ApplyOptions::new())
        .await
        .expect("applied");
    assert_eq!((report.failed(), report.changed()), (1, 1), "{report:?}");
    assert!(report.outcomes[0].sent.is_empty());
    let puretalk = bots.get(&bot(PURETALK)).await.expect("read");
    assert_ne!(
        puretalk.name.as_deref(),
        Some("Desk"),
        "a bot not read is not sent"
    );
}

#[tokio::test]
async fn apply_stays_within_a_vendors_rate_limit() {
    let limit = chatbots_sandbox::RateLimit {
        burst: 5,
        per_second: 20.0,
    };
    let sandbox = Sandbox::builder()
        .bots(30)
        .rate_limit(Vendor::OkChat, Some(limit))
        .start()
        .await
        .expect("sandbox starts");
    // Retries off: a 429 would fail a bot; only pacing keeps them inside.
    let bots = Chatbots::builder()
        .okchat_api_key(sandbox.credentials(Vendor::OkChat).expect("emulated").key)
        .base_url(Vendor::OkChat, sandbox.base_url(Vendor::OkChat))
        .rate_limit(
            Vendor::OkChat,
            chatbots::RateLimit {
                burst: limit.burst,
                per_second: limit.per_second,
            },
        )
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client builds");
    let mut text = String::from("defaults:\n  greeting: Paced\nbots:\n");
    for id in sandbox.seeded_bots(Vendor::OkChat) {
        text.push_str(&format!("  okchat:{id}:\n"));
    }
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert_eq!(plan.summary().to_change, 30, "{plan}");
    let report = bots
        .apply(&plan, &ApplyOptions::new().concurrency(16))
        .await
        .expect("applied");
    assert_eq!((report.failed(), report.changed()), (0, 30), "{report:?}");
    assert!(
        !bots
            .plan(&fleet, &PlanOptions::new())
            .await
            .expect("plan")
            .has_changes()
    );
}
