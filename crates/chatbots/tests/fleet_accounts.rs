//! Fleets across accounts (issue 21) against the real sandbox: a fleet
//! file holding bots of two accounts per vendor, planned, applied and
//! exported per account; per-account defaults; and what is refused before
//! anything is sent.

mod common;

use chatbots::fleet::{ApplyOptions, Fleet, Plan, PlanOptions};
use chatbots::{AccountRef, BotRef, Chatbots, ErrorKind, Field, Vendor, VendorInfo};
use chatbots_sandbox::Sandbox;

/// The second account of every test, beside each vendor's default one.
const SECOND: &str = chatbots_sandbox::SECOND_ACCOUNT;

/// Seeded bots per vendor and account: two are used, a third is left
/// alone to show that nothing else changes.
const SEEDED: usize = 3;

/// A sandbox without StreamSkill's rate limit, so tests do not wait.
async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .bots(SEEDED)
        .rate_limit(Vendor::StreamSkill, None)
        .start()
        .await
        .expect("sandbox starts")
}

/// The second account at `vendor`: its secrets, its base URL, and the ids
/// of the bots the tests may use in it: the sandbox's `client-b`, with its
/// own credentials and its own bots (a bot of one account is not found
/// through the other's key).
///
/// The one place that says what the second account is.
fn second_account(sandbox: &Sandbox, vendor: Vendor) -> (Vec<String>, String, Vec<String>) {
    let credentials = sandbox.credentials_of(vendor, SECOND).expect("emulated");
    let secrets = std::iter::once(credentials.key)
        .chain(credentials.secret)
        .map(str::to_string)
        .collect();
    let bots = sandbox.seeded_bots_in(vendor, SECOND)[..3].to_vec();
    (secrets, sandbox.base_url(vendor), bots)
}

/// The secrets of `vendor`'s default account in the sandbox.
fn default_secrets(sandbox: &Sandbox, vendor: Vendor) -> Vec<String> {
    let credentials = sandbox.credentials(vendor).expect("emulated");
    std::iter::once(credentials.key)
        .chain(credentials.secret)
        .map(str::to_string)
        .collect()
}

/// The ids of the default account's bots the tests may use.
fn first_bots(sandbox: &Sandbox, vendor: Vendor) -> Vec<String> {
    sandbox.seeded_bots(vendor)[..3].to_vec()
}

/// A client with every emulated vendor's default account and its second
/// account, [`SECOND`].
fn two_accounts(sandbox: &Sandbox) -> Chatbots {
    let mut builder = common::builder(sandbox);
    for vendor in sandbox.vendors_to_test() {
        let (secrets, base_url, _) = second_account(sandbox, vendor);
        builder = builder
            .account(SECOND, vendor, secrets)
            .account_base_url(SECOND, vendor, base_url);
    }
    builder.build().expect("client builds")
}

fn second(vendor: Vendor) -> AccountRef {
    AccountRef::new(vendor, SECOND)
}

/// Requests each emulated vendor has received.
fn requests(sandbox: &Sandbox) -> Vec<u64> {
    sandbox
        .emulated_vendors()
        .map(|v| sandbox.requests(v))
        .collect()
}

/// The name `bot` has now, read through its own account.
async fn name_of(bots: &Chatbots, bot: &BotRef) -> Option<String> {
    let info = VendorInfo::of(bot.vendor)?;
    if info.can_get() {
        return bots.get(bot).await.expect("get").name;
    }
    if info.can_list() {
        let listed = bots.list(bot.account_ref()).await.expect("list");
        let found = listed.into_iter().find(|b| b.bot.id == bot.id);
        return found.expect("listed").name;
    }
    None
}

#[tokio::test]
async fn a_fleet_across_two_accounts_plans_and_applies_each_bot_through_its_account() {
    let sandbox = sandbox().await;
    let bots = two_accounts(&sandbox);
    let vendors: Vec<Vendor> = sandbox
        .vendors_to_test()
        .into_iter()
        .filter(|v| chatbots::vendor_field(*v, Field::Name).is_some())
        .collect();
    assert!(!vendors.is_empty());
    // Per vendor: one bot of each account renamed; the other bots of
    // both accounts left alone.
    let mut yaml = String::from("bots:\n");
    let mut changed = Vec::new();
    let mut untouched = Vec::new();
    for &vendor in &vendors {
        let first = first_bots(&sandbox, vendor);
        let (_, _, others) = second_account(&sandbox, vendor);
        let a = BotRef::new(vendor, &first[0]);
        let b = BotRef::in_account(second(vendor), &others[0]);
        for (bot, name) in [
            (a, format!("First {vendor}")),
            (b, format!("Second {vendor}")),
        ] {
            yaml.push_str(&format!("  {bot}:\n    name: {name}\n"));
            changed.push((bot, name));
        }
        untouched.push(BotRef::new(vendor, &first[1]));
        untouched.push(BotRef::in_account(second(vendor), &others[1]));
    }
    let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
    let before: Vec<Option<String>> = {
        let mut names = Vec::new();
        for bot in &untouched {
            names.push(name_of(&bots, bot).await);
        }
        names
    };

    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert_eq!(plan.summary().failed, 0, "{plan}");
    let shown = plan.to_string();
    for (bot, name) in &changed {
        // The diff names the account of each bot.
        assert!(shown.contains(&format!("~ {bot}\n")), "{shown}");
        // Read through its account where the vendor reads: the old value.
        let reads = VendorInfo::of(bot.vendor).is_some_and(|v| v.can_get() || v.can_list());
        let old = if reads { "- name: " } else { "? name: " };
        assert!(shown.contains(&format!("~ {bot}\n  {old}")), "{shown}");
        assert!(shown.contains(&format!(" \"{name}\"\n")), "{shown}");
    }
    assert!(
        shown.contains(&format!("~ {}@{SECOND}:", vendors[0])),
        "{shown}"
    );
    // Saved and read back, every bot keeps its account.
    let saved = serde_json::to_string(&plan).expect("serialises");
    assert!(saved.contains(&format!("\"{}\"", changed[1].0)), "{saved}");
    let again = Plan::from_json(&saved, "plan.json").expect("reads back");
    assert_eq!(again, plan);

    let report = bots
        .apply(&again, &ApplyOptions::new())
        .await
        .expect("applies");
    assert_eq!(report.failed(), 0, "{:?}", report.outcomes);
    let outcomes: Vec<String> = report.outcomes.iter().map(|o| o.bot.to_string()).collect();
    let wanted: Vec<String> = changed.iter().map(|(b, _)| b.to_string()).collect();
    assert_eq!(outcomes, wanted);
    for (bot, name) in &changed {
        if let Some(now) = name_of(&bots, bot).await {
            assert_eq!(&now, name, "{bot}");
        }
    }
    for (bot, was) in untouched.iter().zip(before) {
        assert_eq!(name_of(&bots, bot).await, was, "{bot} changed");
    }
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert_eq!(plan.summary().to_change, 0, "{plan}");
}

#[tokio::test]
async fn an_export_of_two_accounts_reads_back_and_plans_no_change() {
    let sandbox = sandbox().await;
    let bots = two_accounts(&sandbox);
    let mut accounts = Vec::new();
    for vendor in sandbox.vendors_to_test() {
        if VendorInfo::of(vendor).is_some_and(|v| v.can_list()) {
            accounts.push(AccountRef::default_of(vendor));
            accounts.push(second(vendor));
        }
    }
    let exported = bots
        .export_accounts(&accounts, &PlanOptions::new())
        .await
        .expect("export");
    let yaml = exported.to_yaml();
    let names: Vec<String> = accounts.iter().map(ToString::to_string).collect();
    assert!(
        yaml.starts_with(&format!(
            "# Exported by chatbots from: {}.",
            names.join(", ")
        )),
        "{yaml}"
    );
    for account in &accounts {
        let listed = bots.list(account).await.expect("list").len();
        let here = exported
            .bots()
            .iter()
            .filter(|b| &b.bot.account_ref() == account)
            .count();
        assert_eq!(here, listed, "{account}");
        let (_, _, others) = second_account(&sandbox, account.vendor);
        let key = match account.is_default() {
            true => format!(
                "\n  {}:{}:",
                account.vendor,
                first_bots(&sandbox, account.vendor)[0]
            ),
            false => format!("\n  {account}:{}:", others[0]),
        };
        assert!(yaml.contains(&key), "{key} in {yaml}");
    }
    let fleet = Fleet::parse(&yaml, "exported.yaml").expect("the export parses");
    assert_eq!(fleet, exported);
    let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
    assert!(!plan.has_changes(), "{plan}");
    assert_eq!(plan.summary().failed, 0, "{plan}");
}

#[tokio::test]
async fn an_export_is_refused_before_anything_is_listed() {
    let sandbox = sandbox().await;
    let bots = two_accounts(&sandbox);
    let lister = sandbox
        .vendors_to_test()
        .into_iter()
        .find(|v| VendorInfo::of(*v).is_some_and(|v| v.can_list()))
        .expect("a vendor that lists");
    let before = requests(&sandbox);
    // An unknown account, after one that would list.
    let unknown = AccountRef::new(lister, "client-z");
    let err = bots
        .export_accounts(
            &[AccountRef::default_of(lister), unknown],
            &PlanOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("no account `{lister}@client-z`")),
        "{err}"
    );
    // The same account twice.
    let err = bots
        .export_accounts(&[second(lister), second(lister)], &PlanOptions::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is given twice"), "{err}");
    // A vendor that cannot list.
    if let Some(cannot) = sandbox
        .vendors_to_test()
        .into_iter()
        .find(|v| VendorInfo::of(*v).is_some_and(|v| !v.can_list()))
    {
        let err = bots
            .export_accounts(
                &[AccountRef::default_of(lister), second(cannot)],
                &PlanOptions::new(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Unsupported { field } if field == "list"),
            "{err}"
        );
    }
    assert_eq!(requests(&sandbox), before, "nothing sent");
}

#[tokio::test]
async fn one_account_under_two_names_is_refused_in_an_export_and_a_fleet() {
    let sandbox = sandbox().await;
    // `alias`: the default credentials at the same server.
    let mut builder = common::builder(&sandbox);
    for vendor in sandbox.vendors_to_test() {
        let secrets = default_secrets(&sandbox, vendor);
        builder = builder.account("alias", vendor, secrets).account_base_url(
            "alias",
            vendor,
            sandbox.base_url(vendor),
        );
    }
    let bots = builder.build().expect("client builds");
    let before = requests(&sandbox);
    for vendor in sandbox.vendors_to_test() {
        let alias = AccountRef::new(vendor, "alias");
        let id = &first_bots(&sandbox, vendor)[0];
        let yaml = format!("bots:\n  {vendor}:{id}: {{}}\n  {alias}:{id}: {{}}\n");
        let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
        let err = bots
            .plan(&fleet, &PlanOptions::new())
            .await
            .expect_err("refused");
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].line, Some(3), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "is listed twice (first on line 2): {vendor} and {alias} are one account"
            )),
            "{text}"
        );
        if VendorInfo::of(vendor).is_some_and(|v| v.can_list()) {
            let err = bots
                .export_accounts(&[vendor.into(), alias.clone()], &PlanOptions::new())
                .await
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("{vendor} and {alias} are one account")),
                "{err}"
            );
        }
    }
    assert_eq!(requests(&sandbox), before, "nothing sent");
}

#[tokio::test]
async fn bots_and_account_defaults_of_unknown_accounts_are_refused_with_their_lines() {
    let sandbox = sandbox().await;
    let bots = two_accounts(&sandbox);
    let vendor = sandbox.vendors_to_test()[0];
    let id = &first_bots(&sandbox, vendor)[0];
    let yaml = format!(
        "account_defaults:\n  {vendor}@client-y:\n    name: Y\n  {vendor}@{SECOND}:\n    name: B\n\
         bots:\n  {vendor}@client-z:{id}: {{}}\n  {vendor}@{SECOND}:{id}: {{}}\n"
    );
    let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
    let before = requests(&sandbox);
    let err = bots
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    let shown: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{err}");
    assert!(
        shown[0].starts_with(&format!(
            "fleet.yaml:2: account_defaults.{vendor}@client-y: no account `{vendor}@client-y`"
        )),
        "{err}"
    );
    assert!(
        shown[1].starts_with(&format!(
            "fleet.yaml:7: {vendor}@client-z:{id}: no account `{vendor}@client-z`"
        )),
        "{err}"
    );
    // The accounts it knows are named, so a typo shows.
    assert!(shown[1].contains(&format!("{vendor}@{SECOND}")), "{err}");
    assert_eq!(requests(&sandbox), before, "nothing sent");
}

#[tokio::test]
async fn a_bot_of_an_account_without_its_secrets_is_refused_with_the_reason() {
    let sandbox = sandbox().await;
    // Only the second account of one vendor: its default account has no
    // credentials.
    let vendor = sandbox.vendors_to_test()[0];
    let (secrets, base_url, others) = second_account(&sandbox, vendor);
    let bots = Chatbots::builder()
        .account(SECOND, vendor, secrets)
        .account_base_url(SECOND, vendor, base_url)
        .build()
        .expect("client builds");
    let yaml = format!(
        "bots:\n  {vendor}@{SECOND}:{}: {{}}\n  {vendor}:{}: {{}}\n",
        others[0],
        first_bots(&sandbox, vendor)[0]
    );
    let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
    let before = requests(&sandbox);
    let err = bots
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].line, Some(3));
    let variable = chatbots::credential_variables(vendor)[0];
    assert!(
        err.problems[0]
            .rule
            .contains(&format!("no credentials for {vendor}: {variable}")),
        "{err}"
    );
    assert_eq!(requests(&sandbox), before, "nothing sent");
}

#[test]
fn account_defaults_fall_between_the_bot_and_the_fleet_defaults() {
    let yaml = "\
defaults:
  greeting: Hello from the agency
  instructions: Be brief.
account_defaults:
  okchat@client-a:
    greeting: Hello from client A
  okchat:
    instructions: Be thorough.
bots:
  okchat@client-a:1:
    name: A1
  okchat@client-a:2:
    greeting: Bot 2's own
  okchat:3:
    name: Default 3
  okchat@client-b:4: {}
";
    let fleet = Fleet::parse(yaml, "fleet.yaml").expect("parses");
    let fields: Vec<(String, Option<&str>, Option<&str>)> = fleet
        .bots()
        .iter()
        .map(|b| {
            (
                b.bot.to_string(),
                b.patch.greeting.as_deref(),
                b.patch.instructions.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (
                "okchat@client-a:1".into(),
                Some("Hello from client A"),
                Some("Be brief.")
            ),
            (
                "okchat@client-a:2".into(),
                Some("Bot 2's own"),
                Some("Be brief.")
            ),
            (
                "okchat:3".into(),
                Some("Hello from the agency"),
                Some("Be thorough.")
            ),
            (
                "okchat@client-b:4".into(),
                Some("Hello from the agency"),
                Some("Be brief.")
            ),
        ]
    );
    // Written back with the accounts and the merged values: it reads back
    // the same.
    let written = fleet.to_yaml();
    assert!(written.contains("\n  okchat@client-a:1:\n"), "{written}");
    assert_eq!(
        Fleet::parse(&written, "again.yaml").expect("reads back"),
        fleet
    );
}

#[test]
fn a_problem_in_an_account_default_names_its_line() {
    let yaml = "\
account_defaults:
  okchat@client-a:
    name: 5
    temperature: 0.5
    name: twice
    colour: red
  okchat@default:
    name: D
  okchat:
    name: D again
  okchat@bad name:
    name: X
  acme@client-a:
    name: X
  vendor: {}
bots:
  okchat@client-a:1: {}
";
    let err = Fleet::parse(yaml, "fleet.yaml").expect_err("refused");
    let shown: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    let expected = [
        "fleet.yaml:3: account_defaults.okchat@client-a.name: must be text",
        "fleet.yaml:4: account_defaults.okchat@client-a.temperature: okchat does not support `temperature`",
        "fleet.yaml:5: account_defaults.okchat@client-a.name: is set twice (first on line 3)",
        "fleet.yaml:6: account_defaults.okchat@client-a.colour: unknown field",
        "fleet.yaml:9: account_defaults.okchat: is set twice (first on line 7)",
        "fleet.yaml:11: account_defaults.okchat@bad name: `okchat@bad name` is not an account",
        "fleet.yaml:13: account_defaults.acme@client-a: `acme@client-a` is not an account",
        "fleet.yaml:15: account_defaults.vendor:",
    ];
    assert_eq!(shown.len(), expected.len(), "{err}");
    for (shown, expected) in shown.iter().zip(expected) {
        assert!(shown.starts_with(expected), "{shown}\nexpected {expected}");
    }
    assert!(shown[5].contains("account name"), "{}", shown[5]);
}

#[test]
fn a_value_an_account_default_breaks_is_reported_at_its_line() {
    // A rule of the vendor's, checked on the bot the default is merged
    // into, and reported where the default is.
    let yaml = "\
account_defaults:
  converza@client-a:
    temperature: 7
bots:
  converza@client-a:1: {}
";
    let err = Fleet::parse(yaml, "fleet.yaml").expect_err("refused");
    assert_eq!(err.problems.len(), 1, "{err}");
    let problem = &err.problems[0];
    assert_eq!(problem.line, Some(3), "{err}");
    assert_eq!(
        problem.field.as_deref(),
        Some("account_defaults.converza@client-a.temperature")
    );
    assert_eq!(problem.bot.as_deref(), Some("converza@client-a:1"));
}

#[test]
fn a_bad_account_in_a_bot_key_is_refused_with_its_line_and_rule() {
    let yaml =
        "bots:\n  okchat@client-a:1: {}\n  okchat@-a:2: {}\n  okchat@:3: {}\n  okchat@a b:4: {}\n";
    let err = Fleet::parse(yaml, "fleet.yaml").expect_err("refused");
    let lines: Vec<Option<usize>> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(3), Some(4), Some(5)], "{err}");
    for problem in &err.problems {
        assert!(problem.rule.contains("account name"), "{problem}");
    }
    // `okchat` and `okchat@default` are one account: one bot twice.
    let err = Fleet::parse("bots:\n  okchat:1: {}\n  okchat@default:1: {}\n", "f.yaml")
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "f.yaml:3: okchat@default:1: is listed twice (first on line 2)"
    );
}

#[test]
fn a_credential_in_a_fleet_file_is_refused_without_showing_it() {
    let secret = "sk-live-0123456789abcdef";
    for (yaml, line) in [
        (
            format!("bots:\n  okchat@client-a:1:\n    api_key: {secret}\n"),
            3,
        ),
        (
            format!("account_defaults:\n  okchat@client-a:\n    api_key: {secret}\nbots: {{}}\n"),
            3,
        ),
        (format!("defaults:\n  api_key: {secret}\nbots: {{}}\n"), 2),
        (format!("api_key: {secret}\nbots: {{}}\n"), 1),
        (
            format!("account_defaults:\n  okchat:\n    OKCHAT_API_KEY: {secret}\nbots: {{}}\n"),
            3,
        ),
    ] {
        let err = Fleet::parse(&yaml, "fleet.yaml").expect_err("refused");
        let shown = err.to_string();
        assert_eq!(err.problems.len(), 1, "{shown}");
        assert_eq!(err.problems[0].line, Some(line), "{shown}");
        assert!(shown.contains("unknown"), "{shown}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!format!("{err:?}").contains(secret));
    }
}

#[tokio::test]
async fn a_plan_lists_each_account_once_rather_than_reading_its_bots_one_by_one() {
    let sandbox = sandbox().await;
    for vendor in sandbox.vendors_to_test() {
        if !VendorInfo::of(vendor).is_some_and(|v| v.can_list()) {
            continue;
        }
        // Only the second account: the default one has no credentials, so
        // its listing cannot stand in for the second's.
        let (secrets, base_url, others) = second_account(&sandbox, vendor);
        let bots = Chatbots::builder()
            .account(SECOND, vendor, secrets)
            .account_base_url(SECOND, vendor, base_url)
            .build()
            .expect("client builds");
        // Once first, so that a token exchange is not counted.
        bots.list(second(vendor)).await.expect("list");
        let before = sandbox.requests(vendor);
        bots.list(second(vendor)).await.expect("list");
        let one_listing = sandbox.requests(vendor) - before;
        let mut yaml = String::from("bots:\n");
        for id in &others {
            yaml.push_str(&format!("  {}:{id}: {{}}\n", second(vendor)));
        }
        let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
        let before = sandbox.requests(vendor);
        let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
        assert_eq!(plan.summary().failed, 0, "{plan}");
        assert_eq!(
            sandbox.requests(vendor) - before,
            one_listing,
            "{vendor}: one listing of {SECOND}, no get"
        );
    }
}

/// The README's fleet file example parses, with the greetings its
/// comments say.
#[test]
fn the_readme_example_of_account_defaults_holds() {
    let readme = include_str!("../../../README.md");
    let at = readme
        .find("- **Fleet files**")
        .expect("the README's fleet files paragraph");
    let block = &readme[at..];
    let start = block.find("```yaml\n").expect("its example") + "```yaml\n".len();
    let end = start + block[start..].find("```").expect("the example's end");
    let yaml: String = block[start..end]
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let fleet = Fleet::parse(&yaml, "README.md").expect("the example parses");
    for (bot, line) in fleet
        .bots()
        .iter()
        .zip(yaml.lines().filter(|l| l.contains("# greeting: ")))
    {
        let said = line.split("# greeting: ").nth(1).unwrap_or_default();
        assert_eq!(bot.patch.greeting.as_deref(), Some(said), "{}", bot.bot);
    }
    assert_eq!(fleet.bots().len(), 2);
}

#[tokio::test]
async fn a_saved_plan_is_refused_whole_by_a_client_without_its_accounts() {
    let sandbox = sandbox().await;
    let vendor = sandbox.vendors_to_test()[0];
    let (_, _, others) = second_account(&sandbox, vendor);
    let yaml = format!(
        "bots:\n  {vendor}:{}: {{}}\n  {}:{}: {{}}\n",
        first_bots(&sandbox, vendor)[0],
        second(vendor),
        others[0]
    );
    let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
    let plan = two_accounts(&sandbox)
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect("plan");
    let saved = Plan::from_json(&serde_json::to_string(&plan).unwrap(), "plan.json").unwrap();
    // Applied by a client that knows only the default accounts.
    let before = requests(&sandbox);
    let err = common::client(&sandbox)
        .apply(&saved, &ApplyOptions::new())
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(
        text.contains(&format!(
            "fleet.yaml:3: {}:{}: no account `{}`",
            second(vendor),
            others[0],
            second(vendor)
        )),
        "{text}"
    );
    assert_eq!(requests(&sandbox), before, "nothing read or sent");
}

#[tokio::test]
async fn a_bot_named_under_the_wrong_account_is_not_found_and_not_applied() {
    let sandbox = sandbox().await;
    let bots = two_accounts(&sandbox);
    for vendor in sandbox.vendors_to_test() {
        let info = VendorInfo::of(vendor).expect("compiled in");
        if !(info.can_get() || info.can_list())
            || chatbots::vendor_field(vendor, Field::Name).is_none()
        {
            continue;
        }
        // A bot of the default account, named as if it were the second's.
        let id = &first_bots(&sandbox, vendor)[2];
        let right = BotRef::new(vendor, id);
        let wrong = BotRef::in_account(second(vendor), id);
        let was = name_of(&bots, &right).await;
        let fleet = Fleet::parse(
            &format!("bots:\n  {wrong}:\n    name: Not yours\n"),
            "fleet.yaml",
        )
        .expect("parses");
        let plan = bots.plan(&fleet, &PlanOptions::new()).await.expect("plan");
        assert_eq!(plan.summary().failed, 1, "{plan}");
        assert!(
            plan.to_string()
                .contains(&format!("! {wrong}: cannot be read")),
            "{plan}"
        );
        let report = bots
            .apply(&plan, &ApplyOptions::new())
            .await
            .expect("applies");
        assert_eq!(report.failed(), 1);
        assert_eq!(report.outcomes[0].bot, wrong);
        assert_eq!(name_of(&bots, &right).await, was, "{right} changed");
    }
}

#[tokio::test]
async fn a_bot_of_a_configured_account_whose_secret_is_not_found_is_refused_with_the_reason() {
    let sandbox = sandbox().await;
    let vendor = sandbox.vendors_to_test()[0];
    let dir = tempfile::tempdir().expect("temp dir");
    // The account's secrets come from files that do not exist.
    let mut config = format!("[accounts.{}.{SECOND}]\n", vendor.slug());
    for variable in chatbots::credential_variables(vendor) {
        let missing = dir.path().join(format!("{variable}.missing"));
        config.push_str(&format!(
            "{variable} = {{ file = {:?} }}\n",
            missing.display().to_string()
        ));
    }
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).expect("config written");
    let bots = common::builder(&sandbox)
        .config_file(&path)
        .expect("the config parses")
        .build()
        .expect("kept, refused when used");
    let (_, _, others) = second_account(&sandbox, vendor);
    let yaml = format!("bots:\n  {}:{}: {{}}\n", second(vendor), others[0]);
    let fleet = Fleet::parse(&yaml, "fleet.yaml").expect("parses");
    let before = requests(&sandbox);
    let err = bots
        .plan(&fleet, &PlanOptions::new())
        .await
        .expect_err("refused");
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].line, Some(2), "{err}");
    let text = err.to_string();
    assert!(text.contains(&second(vendor).to_string()), "{text}");
    assert!(
        text.contains(".missing"),
        "the reason names the source: {text}"
    );
    assert_eq!(requests(&sandbox), before, "nothing sent");
}
