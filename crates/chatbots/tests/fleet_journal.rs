//! Journaled applies against the real sandbox with fault injection: every
//! update announced before it is sent, its outcome recorded, an undo plan
//! that sets back exactly what changed, one apply per journal directory.

mod common;
mod support;

use std::path::{Path, PathBuf};

use chatbots::fleet::journal::{Entry, JournalSource, JournalSummary, OutcomeStatus};
use chatbots::fleet::{ApplyError, ApplyOptions, Fleet, JournalLock, Plan, PlanOptions};
use chatbots::{BotRef, ChatbotPatch, Chatbots, Field, RetryPolicy, Vendor, VendorInfo};
use chatbots_sandbox::{Fault, FaultRule, Sandbox};

const BOTS: usize = 200;

/// A vendor the sandbox emulates whose bots can be listed, read and
/// renamed, with its update's HTTP method (for faults on updates only).
fn vendor() -> (Vendor, String) {
    support::vendors("fleet_journal")
        .into_iter()
        .filter(|v| chatbots_sandbox::Credentials::of(*v).is_some())
        .find(|v| {
            VendorInfo::of(*v).is_some_and(|i| {
                i.can_list() && i.can_get() && i.fields().any(|f| f == Field::Name)
            })
        })
        .map(|v| (v, support::data(v).method.clone()))
        .expect("a vendor that lists, reads and renames")
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "chatbots-fleet-journal-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ))
}

async fn setup() -> (Sandbox, Chatbots, Vendor, String, Vec<String>) {
    let (vendor, method) = vendor();
    let sandbox = Sandbox::builder()
        .bots(BOTS)
        .rate_limit(vendor, None)
        .start()
        .await
        .unwrap();
    let bots = common::builder(&sandbox)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let ids = sandbox.seeded_bots(vendor);
    (sandbox, bots, vendor, method, ids)
}

fn fleet_renaming(vendor: Vendor, ids: &[String], name: &str) -> Fleet {
    let mut text = String::from("bots:\n");
    for (n, id) in ids.iter().enumerate() {
        text.push_str(&format!("  \"{vendor}:{id}\":\n    name: \"{name} {n}\"\n"));
    }
    Fleet::parse(&text, "fleet.yaml").unwrap()
}

fn journaled(dir: &Path) -> ApplyOptions {
    ApplyOptions::new()
        .concurrency(1)
        .journal(dir, JournalSource::new("fleet.yaml", b"the fleet"))
}

async fn names(bots: &Chatbots, vendor: Vendor) -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> = bots
        .list(vendor)
        .await
        .unwrap()
        .into_iter()
        .map(|b| {
            (
                b.bot.id.clone(),
                b.field(Field::Name).map(|v| v.to_string()),
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn every_update_is_announced_before_it_is_sent_and_its_outcome_recorded() {
    let (sandbox, bots, vendor, method, ids) = setup().await;
    let dir = temp_dir("outcomes");
    let plan = bots
        .plan(
            &fleet_renaming(vendor, &ids, "Journaled"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    // 7 updates answered 500; then one whose answer is lost after the
    // change was made.
    let updates = |fault| FaultRule::new(fault).vendor(vendor).method(&method);
    sandbox
        .faults()
        .inject(updates(Fault::Status(500)).times(7));
    sandbox
        .faults()
        .inject(updates(Fault::TruncatedBody).times(1));
    let report = bots.apply(&plan, &journaled(&dir)).await.unwrap();
    sandbox.faults().clear();
    let unknown: Vec<&BotRef> = report
        .outcomes
        .iter()
        .filter(|o| o.result.as_ref().is_err_and(|e| e.may_have_been_applied()))
        .map(|o| &o.bot)
        .collect();
    assert_eq!((report.failed(), unknown.len()), (8, 1), "{report:?}");

    let journal = report.journal.as_ref().expect("journaled").path.clone();
    let summary = JournalSummary::read(&journal).unwrap();
    assert!(summary.closed);
    assert_eq!(
        (summary.changed, summary.failed, summary.unknown),
        (BOTS - 8, 7, 1)
    );
    assert_eq!(summary.not_done, [unknown[0].clone()]);

    // Intent before outcome, for every bot, with the right status.
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<Entry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for outcome in &report.outcomes {
        let intent = lines
            .iter()
            .position(|e| matches!(e, Entry::Intent { bot, .. } if *bot == outcome.bot));
        let recorded = lines.iter().enumerate().find_map(|(at, e)| match e {
            Entry::Outcome { bot, status, .. } if *bot == outcome.bot => Some((at, *status)),
            _ => None,
        });
        let (at, status) = recorded.expect("an outcome line");
        assert!(intent.expect("an intent line") < at, "{}", outcome.bot);
        let expected = match &outcome.result {
            Ok(()) => OutcomeStatus::Changed,
            Err(e) if e.may_have_been_applied() => OutcomeStatus::Unknown,
            Err(_) => OutcomeStatus::Failed,
        };
        assert_eq!(status, expected, "{}", outcome.bot);
    }
    let credentials = sandbox.credentials(vendor).unwrap();
    assert!(!text.contains(credentials.key), "a secret in the journal");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn undo_sets_back_exactly_what_changed_and_is_refused_after_a_change() {
    let (_sandbox, bots, vendor, _, ids) = setup().await;
    let dir = temp_dir("undo");
    let before = names(&bots, vendor).await;
    let plan = bots
        .plan(
            &fleet_renaming(vendor, &ids, "Changed"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    let report = bots.apply(&plan, &journaled(&dir)).await.unwrap();
    assert_eq!(report.changed(), BOTS);
    let journal = report.journal.unwrap();
    assert!(journal.irreversible.is_empty());
    let undo_path = journal.undo.expect("an undo plan");
    let summary = JournalSummary::read(&journal.path).unwrap();
    assert_eq!(summary.undo.as_deref(), Some(undo_path.as_path()));

    // Someone renames one bot directly: the undo is refused whole, naming it.
    let moved = BotRef::new(vendor, ids[3].clone());
    bots.update(&moved, &ChatbotPatch::new().name("By hand"))
        .await
        .unwrap();
    let undo = Plan::load(&undo_path).unwrap();
    let held = names(&bots, vendor).await;
    let journals = chatbots::fleet::journal::history(&dir).unwrap().len();
    let err = bots.apply(&undo, &journaled(&dir)).await.unwrap_err();
    let ApplyError::Stale { bots: stale } = &err else {
        panic!("{err}")
    };
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].bot.id, moved.id);
    // Nothing sent: every bot as it was, no journal started.
    assert_eq!(names(&bots, vendor).await, held);
    assert_eq!(
        chatbots::fleet::journal::history(&dir).unwrap().len(),
        journals
    );

    // Put it back as the apply left it: the undo restores the export.
    bots.update(&moved, &ChatbotPatch::new().name("Changed 3"))
        .await
        .unwrap();
    let report = bots.apply(&undo, &journaled(&dir)).await.unwrap();
    assert_eq!(report.changed(), BOTS);
    assert_eq!(names(&bots, vendor).await, before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_second_apply_on_one_journal_directory_is_refused_naming_the_holder() {
    let (sandbox, bots, vendor, _, ids) = setup().await;
    let dir = temp_dir("lock");
    let plan = bots
        .plan(&fleet_renaming(vendor, &ids, "Locked"), &PlanOptions::new())
        .await
        .unwrap();
    let held = JournalLock::acquire(&dir).unwrap();
    let sent = sandbox.requests(vendor);
    let err = bots.apply(&plan, &journaled(&dir)).await.unwrap_err();
    assert!(matches!(err, ApplyError::Journal(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert_eq!(sandbox.requests(vendor), sent, "nothing read or sent");
    drop(held);
    bots.apply(&plan, &journaled(&dir)).await.unwrap();
    // A refused plan leaves no journal behind; this one left one.
    let journals = chatbots::fleet::journal::history(&dir).unwrap();
    assert_eq!(journals.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_stopped_apply_is_found_and_resumed_to_the_end() {
    let (sandbox, bots, vendor, method, ids) = setup().await;
    let dir = temp_dir("resume");
    let plan = bots
        .plan(
            &fleet_renaming(vendor, &ids, "Resumed"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    // The 6th update hangs; the apply is then stopped (its future dropped,
    // as a killed process stops: no outcome, no closing line).
    let faults = sandbox.faults().clone();
    let hang = FaultRule::new(Fault::Latency(std::time::Duration::from_secs(600)))
        .vendor(vendor)
        .method(&method);
    let options = journaled(&dir).on_progress(move |p| {
        if p.done == 5 {
            faults.inject(hang.clone());
        }
    });
    let stopped = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        bots.apply(&plan, &options),
    )
    .await;
    assert!(stopped.is_err(), "the apply should hang on the 6th update");
    sandbox.faults().clear();

    // The next run finds it, with the bot it left unknown.
    let stopped = chatbots::fleet::journal::unfinished(&dir).unwrap();
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0].changed, 5);
    assert_eq!(stopped[0].not_done.len(), 1, "the 6th: sent, no answer");

    // Someone renames a bot the apply had not reached: resume refuses it.
    let other = plan.bots[10].bot.clone();
    bots.update(&other, &ChatbotPatch::new().name("Meddled"))
        .await
        .unwrap();
    let err = bots
        .resume(&stopped[0].path, &journaled(&dir))
        .await
        .unwrap_err();
    let ApplyError::Stale { bots: stale } = &err else {
        panic!("{err}")
    };
    assert_eq!(stale.len(), 1, "{err}");
    assert_eq!(stale[0].bot, other);

    // Set back, resume finishes: every bot at its target, the stopped
    // journal closed naming the one that finished it.
    let original = plan.bots[10].current.as_ref().unwrap()["name"].clone();
    let original = original.as_str().unwrap().to_string();
    bots.update(&other, &ChatbotPatch::new().name(original))
        .await
        .unwrap();
    let report = bots
        .resume(&stopped[0].path, &journaled(&dir))
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{report:?}");
    // The 5 done before are not sent again; the one hanging may have
    // been applied: it is read, found at its target or sent.
    assert!(report.changed() <= BOTS - 5, "{}", report.changed());
    assert!(
        chatbots::fleet::journal::unfinished(&dir)
            .unwrap()
            .is_empty()
    );
    let closed = JournalSummary::read(&stopped[0].path).unwrap();
    assert!(closed.closed);
    let again = bots
        .plan(
            &fleet_renaming(vendor, &ids, "Resumed"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(again.summary().to_change, 0, "{again}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_partly_applied_plan_says_which_bots_are_done_and_how_to_resume() {
    let (_sandbox, bots, vendor, _, ids) = setup().await;
    let plan = bots
        .plan(&fleet_renaming(vendor, &ids, "Partly"), &PlanOptions::new())
        .await
        .unwrap();
    // Two bots already hold the planned value (an earlier apply got there).
    for bot in &plan.bots[..2] {
        bots.update(
            &bot.bot,
            &ChatbotPatch::new().name(bot.fields[0].change.desired().as_str().unwrap()),
        )
        .await
        .unwrap();
    }
    let err = bots.apply(&plan, &ApplyOptions::new()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("(already the planned value)"), "{text}");
    assert!(
        text.contains("2 field(s) already hold the value this plan sets"),
        "{text}"
    );
    assert!(text.contains("--resume"), "{text}");
    // The library's way on: what is left of the plan.
    let rest = bots.resume_plan(&plan).await.unwrap();
    assert_eq!(rest.summary().to_change, BOTS - 2);
    let report = bots.apply(&rest, &ApplyOptions::new()).await.unwrap();
    assert_eq!(report.changed(), BOTS - 2);
}

#[tokio::test]
async fn the_read_back_reports_a_field_the_vendor_did_not_keep() {
    let (sandbox, bots, vendor, _, ids) = setup().await;
    let dir = temp_dir("read-back");
    let plan = bots
        .plan(&fleet_renaming(vendor, &ids, "Kept"), &PlanOptions::new())
        .await
        .unwrap();
    // The vendor answers one update as usual but does not keep its name.
    sandbox.faults().inject(
        FaultRule::new(Fault::DropField("name".into()))
            .vendor(vendor)
            .times(1),
    );
    let report = bots.apply(&plan, &journaled(&dir)).await.unwrap();
    assert_eq!((report.failed(), report.not_kept()), (0, 1), "{report:?}");
    let dropped = report
        .outcomes
        .iter()
        .find(|o| !o.not_kept.is_empty())
        .unwrap();
    assert_eq!(dropped.not_kept[0].field, "name");
    assert!(
        dropped.not_kept[0]
            .sent
            .as_str()
            .unwrap()
            .starts_with("Kept ")
    );
    let text = std::fs::read_to_string(&report.journal.unwrap().path).unwrap();
    assert!(text.contains(r#""kind":"read_back""#), "{text}");
    // Without the read-back, nothing is reported.
    sandbox.faults().inject(
        FaultRule::new(Fault::DropField("name".into()))
            .vendor(vendor)
            .times(1),
    );
    let plan = bots
        .plan(
            &fleet_renaming(vendor, &ids, "Unchecked"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    let report = bots
        .apply(&plan, &journaled(&dir).verify(false))
        .await
        .unwrap();
    assert_eq!(report.not_kept(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_journal_directory_that_cannot_be_written_refuses_the_apply_unsent() {
    let (sandbox, bots, vendor, _, ids) = setup().await;
    let plan = bots
        .plan(
            &fleet_renaming(vendor, &ids[..3], "Unwritten"),
            &PlanOptions::new(),
        )
        .await
        .unwrap();
    // A file where the directory should be.
    let file = temp_dir("not-a-dir");
    std::fs::write(&file, "a file").unwrap();
    let sent = sandbox.requests(vendor);
    let err = bots.apply(&plan, &journaled(&file)).await.unwrap_err();
    assert!(matches!(err, ApplyError::Journal(_)), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("nothing was sent: "), "{text}");
    assert!(text.contains("journal directory"), "{text}");
    assert_eq!(sandbox.requests(vendor), sent, "nothing read or sent");
    std::fs::remove_file(&file).unwrap();
}
