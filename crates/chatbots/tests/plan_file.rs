//! A plan file cannot bypass its own checks (issue 19, item 8): it is read
//! back only as written. A removed or nulled `current` snapshot, an appended
//! bot, an unknown key, a missing digest, deep nesting or a huge file are
//! each refused whole, naming what is wrong, before anything is sent.

mod common;

use chatbots::fleet::{ApplyError, ApplyOptions, Fleet, MAX_FILE_BYTES, Plan, PlanOptions};
use chatbots::{Chatbots, Vendor};
use chatbots_sandbox::Sandbox;
use serde_json::{Value, json};

const OKCHAT: &str = "okchat:3317853e-0af2-427d-a56f-351a9587f48f";
const CONVERZA: &str = "converza:770e8400-e29b-41d4-a716-446655440002";
const HOTTASK: &str = "hottask:3254a9d0424c4806b9ea3d0763ccfxxx";

/// A plan of an OKChat and a Converza bot (read: they have a snapshot,
/// Converza's with a 32-bit float) and a HotTask bot (HotTask cannot read:
/// no snapshot), saved as JSON.
async fn saved_plan(sandbox: &Sandbox) -> (Chatbots, Plan, Value) {
    let bots = common::client(sandbox);
    let text = format!(
        "bots:\n  {OKCHAT}:\n    greeting: Saved\n  {CONVERZA}:\n    name: Saved\n    temperature: 0.3\n  \
         {HOTTASK}:\n    name: Desk\n"
    );
    let fleet = Fleet::parse(&text, "fleet.yaml").expect("parses");
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    let saved = serde_json::to_value(&plan).expect("serialises");
    (bots, plan, saved)
}

/// A file of this test process in the temporary directory.
fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("chatbots-plan-file-{}-{name}", std::process::id()))
}

/// Why `json` is not read as a plan.
fn refused(json: &Value) -> String {
    let err = Plan::from_json(&json.to_string(), "plan.json").expect_err("refused");
    assert!(
        serde_json::from_value::<Plan>(json.clone()).is_err(),
        "serde refuses it too"
    );
    err.to_string()
}

#[tokio::test]
async fn a_saved_plan_reads_back_as_written_and_applies() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let (bots, plan, saved) = saved_plan(&sandbox).await;
    assert!(
        saved["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("fnv1a64:"))
    );
    assert_eq!(
        saved["bots"][2]["current"],
        Value::Null,
        "HotTask cannot read"
    );
    let path = temp_path("plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let loaded = Plan::load(&path).expect("reads back");
    assert_eq!(loaded, plan);
    std::fs::remove_file(&path).expect("removed");
    let report = bots
        .apply(&loaded, &ApplyOptions::new())
        .await
        .expect("applies");
    assert_eq!((report.changed(), report.failed()), (3, 0), "{report:?}");
}

#[tokio::test]
async fn a_removed_or_nulled_snapshot_is_refused_naming_it() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let (_, _, saved) = saved_plan(&sandbox).await;

    let mut removed = saved.clone();
    removed["bots"][0]
        .as_object_mut()
        .unwrap()
        .remove("current");
    let err = refused(&removed);
    assert!(err.contains("missing field `current`"), "{err}");

    let mut nulled = saved.clone();
    nulled["bots"][0]["current"] = Value::Null;
    let err = refused(&nulled);
    assert!(
        err.contains("`bots[0]`") && err.contains("has no `current` snapshot, but okchat reads"),
        "{err}"
    );
    assert!(err.starts_with("plan.json:"), "{err}");

    let mut not_object = saved.clone();
    not_object["bots"][0]["current"] = json!("anything");
    let err = refused(&not_object);
    assert!(err.contains("`current` is not an object"), "{err}");
}

#[tokio::test]
async fn a_snapshot_removed_in_code_is_refused_and_nothing_is_sent() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let (bots, mut plan, _) = saved_plan(&sandbox).await;
    plan.bots[0].current = None;
    let before = sandbox.requests(Vendor::OkChat);
    let err = bots
        .apply(&plan, &ApplyOptions::new())
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
        (Some(2), Some(OKCHAT), Some("current")),
        "{err}"
    );
    assert_eq!(sandbox.requests(Vendor::OkChat), before, "nothing sent");
    assert_eq!(sandbox.requests(Vendor::HotTask), 0, "nothing sent");
}

#[tokio::test]
async fn an_appended_or_edited_bot_is_refused_by_the_digest() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let (_, _, saved) = saved_plan(&sandbox).await;

    // A HotTask bot legitimately has no snapshot: only the digest tells
    // that it was not planned.
    let mut appended = saved.clone();
    let mut extra = saved["bots"][2].clone();
    extra["bot"] = json!("hottask:someone-elses-bot");
    appended["bots"].as_array_mut().unwrap().push(extra);
    let err = refused(&appended);
    assert!(
        err.contains("the `digest` does not match the plan"),
        "{err}"
    );

    let mut edited = saved.clone();
    edited["bots"][0]["fields"][0]["new"] = json!("Edited");
    assert!(refused(&edited).contains("`digest` does not match"));

    let mut no_digest = saved.clone();
    no_digest.as_object_mut().unwrap().remove("digest");
    assert!(refused(&no_digest).contains("has no `digest`"));
}

#[tokio::test]
async fn unknown_keys_are_refused() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let (_, _, saved) = saved_plan(&sandbox).await;
    let mut top = saved.clone();
    top["approved_by"] = json!("me");
    let err = refused(&top);
    assert!(err.contains("unknown field `approved_by`"), "{err}");
    let mut in_bot = saved.clone();
    in_bot["bots"][0]["skip_checks"] = json!(true);
    let err = refused(&in_bot);
    assert!(err.contains("unknown field `skip_checks`"), "{err}");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = format!(
        r#"{{"format":1,"origin":"f","digest":"x","bots":[{{"bot":"{OKCHAT}","line":1,"fields":[{{"field":"name","change":"unknown","new":{deep}}}],"current":{deep},"error":null}}]}}"#
    );
    let err = Plan::from_json(&text, "plan.json").expect_err("refused");
    assert!(err.to_string().contains("recursion limit"), "{err}");
    // Through the snapshot alone, too.
    let text = format!(
        r#"{{"format":1,"origin":"f","digest":"x","bots":[{{"bot":"{OKCHAT}","line":1,"fields":[],"current":{deep},"error":null}}]}}"#
    );
    let err = Plan::from_json(&text, "plan.json").expect_err("refused");
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn a_file_larger_than_the_cap_is_refused_before_it_is_read() {
    let path = temp_path("huge.json");
    // Sparse: no disk is written, and its size refuses it unread.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(MAX_FILE_BYTES as u64 + 1).expect("set_len");
    let err = Plan::load(&path).expect_err("refused");
    assert!(
        err.to_string()
            .contains(&format!("larger than {} MiB", MAX_FILE_BYTES >> 20)),
        "{err}"
    );
    std::fs::remove_file(&path).expect("removed");
    let err = Plan::load(temp_path("missing.json")).expect_err("refused");
    assert!(err.to_string().contains("cannot be read"), "{err}");
}

/// A stream without a size is read up to the limit, no further.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_stream_is_read_up_to_the_cap_only() {
    let err = Plan::load("/dev/zero").expect_err("refused");
    assert!(
        err.to_string()
            .contains(&format!("larger than {} MiB", MAX_FILE_BYTES >> 20)),
        "{err}"
    );
}
