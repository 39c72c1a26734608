//! Several accounts per vendor against the real sandbox: bots name their
//! account, calls go through its credential, and what cannot be sent is
//! refused before anything is.

mod common;

use std::time::Duration;

use chatbots::{
    AccountRef, BotRef, BulkOptions, ChatbotPatch, Chatbots, ChatbotsBuilder, ErrorKind, Field,
    Pacing, RateLimit, RetryPolicy, Vendor, VendorInfo,
};
use chatbots_sandbox::{SECOND_ACCOUNT, Sandbox};

/// The sandbox's secrets of `account` at `vendor`, in
/// `credential_variables` order.
fn secrets_of(sandbox: &Sandbox, vendor: Vendor, account: &str) -> Vec<&'static str> {
    let credentials = sandbox.credentials_of(vendor, account).expect("emulated");
    std::iter::once(credentials.key)
        .chain(credentials.secret)
        .collect()
}

/// `builder` with the sandbox's second account, `client-b`, at every
/// emulated vendor.
fn with_second(sandbox: &Sandbox, mut builder: ChatbotsBuilder) -> ChatbotsBuilder {
    for vendor in sandbox.vendors_to_test() {
        builder = builder
            .account(
                SECOND_ACCOUNT,
                vendor,
                secrets_of(sandbox, vendor, SECOND_ACCOUNT),
            )
            .account_base_url(SECOND_ACCOUNT, vendor, sandbox.base_url(vendor));
    }
    builder
}

fn can(vendor: Vendor, what: fn(VendorInfo) -> bool) -> bool {
    VendorInfo::of(vendor).is_some_and(what)
}

#[tokio::test]
async fn each_account_reaches_its_own_bots_and_never_the_others() {
    let sandbox = Sandbox::start().await.unwrap();
    let bots = with_second(&sandbox, common::builder(&sandbox))
        .build()
        .unwrap();
    for vendor in sandbox.vendors_to_test() {
        let own = AccountRef::default_of(vendor);
        let second = AccountRef::new(vendor, SECOND_ACCOUNT);
        let a_id = sandbox.demo_bot(vendor).unwrap();
        let b_id = sandbox.demo_bot_in(vendor, SECOND_ACCOUNT).unwrap();
        if can(vendor, VendorInfo::can_list) {
            let a: Vec<String> = bots
                .list(own.clone())
                .await
                .unwrap()
                .into_iter()
                .map(|b| b.bot.id)
                .collect();
            let b: Vec<String> = bots
                .list(second.clone())
                .await
                .unwrap()
                .into_iter()
                .map(|b| b.bot.id)
                .collect();
            assert!(
                a.iter().any(|id| id == a_id) && !a.iter().any(|id| id == b_id),
                "{vendor}"
            );
            assert!(
                b.iter().any(|id| id == b_id) && !b.iter().any(|id| id == a_id),
                "{vendor}"
            );
        }
        if can(vendor, VendorInfo::can_get) {
            // Account B's bot through account A's key: the vendor's 404.
            let wrong = BotRef::in_account(own.clone(), b_id);
            let err = bots.get(&wrong).await.unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::NotFound, "{vendor}: {err}");
            let right = BotRef::in_account(second.clone(), b_id);
            assert_eq!(bots.get(&right).await.unwrap().bot, right);
        }
        // An update through B changes B's bot, and A's is untouched.
        let patch = ChatbotPatch::new().name("Client B's own name");
        let b_bot = BotRef::in_account(second.clone(), b_id);
        if bots.check_update(&b_bot, &patch).is_err() {
            continue;
        }
        let a_bot = BotRef::new(vendor, a_id);
        let a_before = if can(vendor, VendorInfo::can_get) {
            Some(bots.get(&a_bot).await.unwrap())
        } else {
            None
        };
        bots.update(&b_bot, &patch).await.unwrap();
        let wrong = bots
            .update(&BotRef::in_account(own.clone(), b_id), &patch)
            .await;
        assert!(wrong.is_err(), "{vendor}: B's bot updated with A's key");
        if let Some(before) = a_before {
            let b_now = bots.get(&b_bot).await.unwrap();
            assert_eq!(
                b_now.field(Field::Name).as_deref(),
                Some("Client B's own name")
            );
            let a_now = bots.get(&a_bot).await.unwrap();
            assert_eq!(
                a_now.field(Field::Name),
                before.field(Field::Name),
                "{vendor}"
            );
        }
    }
}

#[tokio::test]
async fn update_many_across_two_accounts_names_each_bots_account() {
    let sandbox = Sandbox::start().await.unwrap();
    let bots = with_second(&sandbox, common::builder(&sandbox))
        .build()
        .unwrap();
    let patch = ChatbotPatch::new().name("Batch across accounts");
    let mut items = Vec::new();
    for vendor in sandbox.vendors_to_test() {
        for account in [
            AccountRef::default_of(vendor),
            AccountRef::new(vendor, SECOND_ACCOUNT),
        ] {
            let id = match account.is_default() {
                true => sandbox.demo_bot(vendor),
                false => sandbox.demo_bot_in(vendor, SECOND_ACCOUNT),
            };
            let bot = BotRef::in_account(account, id.unwrap());
            if bots.check_update(&bot, &patch).is_ok() {
                items.push((bot, patch.clone()));
            }
        }
    }
    assert!(items.len() >= 2);
    let outcomes = bots
        .update_many(items.clone(), &BulkOptions::new())
        .await
        .unwrap();
    for (outcome, (bot, _)) in outcomes.iter().zip(&items) {
        assert_eq!(&outcome.bot, bot);
        assert!(outcome.result.is_ok(), "{bot}: {:?}", outcome.result);
        if can(bot.vendor, VendorInfo::can_get) {
            let read = bots.get(bot).await.unwrap();
            assert_eq!(
                read.field(Field::Name).as_deref(),
                Some("Batch across accounts"),
                "{bot}"
            );
        }
    }
}

#[tokio::test]
async fn pacing_follows_the_credential_not_the_account_name() {
    let sandbox = Sandbox::start().await.unwrap();
    let vendor = sandbox
        .vendors_to_test()
        .into_iter()
        .find(|v| can(*v, VendorInfo::can_get))
        .expect("a vendor that reads");
    // A budget that does not refill during the test, and calls that fail
    // at once, unsent, when their turn is not now.
    let limit = RateLimit {
        burst: 3,
        per_second: 0.01,
    };
    let builder = common::builder(&sandbox)
        .rate_limit(vendor, limit)
        .retry(RetryPolicy::disabled())
        .pacing(Pacing {
            deadline: Duration::from_millis(1),
            ..Pacing::default()
        });
    let default_secrets = secrets_of(&sandbox, vendor, "default");
    let bots = with_second(&sandbox, builder)
        .account("alias", vendor, default_secrets)
        .account_base_url("alias", vendor, sandbox.base_url(vendor))
        .build()
        .unwrap();
    let a = BotRef::new(vendor, sandbox.demo_bot(vendor).unwrap());
    let alias = BotRef::in_account(AccountRef::new(vendor, "alias"), a.id.clone());
    let b = BotRef::in_account(
        AccountRef::new(vendor, SECOND_ACCOUNT),
        sandbox.demo_bot_in(vendor, SECOND_ACCOUNT).unwrap(),
    );
    let paced_out = |result: Result<chatbots::Chatbot, chatbots::Error>| match result {
        Err(e)
            if matches!(e.kind(), ErrorKind::RateLimited { .. })
                && e.to_string().contains("not sent") =>
        {
            true
        }
        Err(e) => panic!("{e}"),
        Ok(_) => false,
    };
    // A first call through each name (a vendor that exchanges its key for
    // a token does it here), then spend the rest of the key's budget.
    assert!(!paced_out(bots.get(&alias).await));
    let mut spent = 1;
    while !paced_out(bots.get(&a).await) {
        spent += 1;
        assert!(spent <= limit.burst, "the budget never ran out");
    }
    let sent = sandbox.requests(vendor);
    // Another name for the same key draws from the same, empty budget.
    assert!(
        paced_out(bots.get(&alias).await),
        "the alias had a budget of its own"
    );
    assert_eq!(sandbox.requests(vendor), sent, "nothing sent");
    // Another key has a budget of its own.
    assert!(
        !paced_out(bots.get(&b).await),
        "client-b shared the default key's budget"
    );
}

/// The default accounts of every emulated vendor, plus an account
/// `alias` at each that holds the same credential.
fn with_alias(sandbox: &Sandbox) -> Chatbots {
    let mut builder = common::builder(sandbox);
    for vendor in sandbox.vendors_to_test() {
        let credentials = sandbox.credentials(vendor).expect("emulated");
        let secrets: Vec<&str> = std::iter::once(credentials.key)
            .chain(credentials.secret)
            .collect();
        builder = builder.account("alias", vendor, secrets).account_base_url(
            "alias",
            vendor,
            sandbox.base_url(vendor),
        );
    }
    builder.build().expect("client builds")
}

#[tokio::test]
async fn a_bot_read_through_an_account_names_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let bots = with_alias(&sandbox);
    for vendor in sandbox.vendors_to_test() {
        let account = AccountRef::new(vendor, "alias");
        let Some(info) = chatbots::VendorInfo::of(vendor) else {
            continue;
        };
        if info.can_get() {
            let id = sandbox.demo_bot(vendor).unwrap();
            let bot = BotRef::in_account(account.clone(), id);
            let read = bots.get(&bot).await.unwrap();
            assert_eq!(read.bot, bot, "{vendor}");
            assert_eq!(read.bot.to_string(), format!("{vendor}@alias:{id}"));
        }
        if info.can_list() {
            let listed = bots.list(account.clone()).await.unwrap();
            assert!(!listed.is_empty(), "{vendor}");
            assert!(
                listed.iter().all(|b| b.bot.account_ref() == account),
                "{vendor}"
            );
        }
    }
}

#[tokio::test]
async fn an_unknown_account_is_refused_before_anything_is_sent() {
    let sandbox = Sandbox::start().await.unwrap();
    let bots = with_alias(&sandbox);
    for vendor in sandbox.vendors_to_test() {
        let before = sandbox.requests(vendor);
        let bot = BotRef::in_account(AccountRef::new(vendor, "client-z"), "1");
        let patch = ChatbotPatch::new().name("Never sent");
        let err = bots.update(&bot, &patch).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
        let text = err.to_string();
        assert!(text.contains("no account `client-z`"), "{text}");
        assert!(text.contains(&format!("{vendor}@alias")), "{text}");
        if chatbots::VendorInfo::of(vendor).is_some_and(|v| v.can_list()) {
            let err = bots.list(bot.account_ref()).await.unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::Config, "{err}");
        }
        assert_eq!(sandbox.requests(vendor), before, "{vendor}: nothing sent");
    }
}

#[tokio::test]
async fn one_bot_through_two_names_of_one_credential_is_refused_whole() {
    let sandbox = Sandbox::start().await.unwrap();
    let bots = with_alias(&sandbox);
    let vendor = sandbox.vendors_to_test()[0];
    let id = sandbox.demo_bot(vendor).unwrap();
    let before = sandbox.requests(vendor);
    let patch = ChatbotPatch::new().name("Twice");
    let items = [
        (BotRef::new(vendor, id), patch.clone()),
        (
            BotRef::in_account(AccountRef::new(vendor, "alias"), id),
            patch,
        ),
    ];
    let refused = bots
        .update_many(items, &BulkOptions::new())
        .await
        .unwrap_err();
    let text = refused.to_string();
    assert!(text.contains("more than once"), "{text}");
    assert!(
        text.contains(&format!("{vendor} and {vendor}@alias are one account")),
        "{text}"
    );
    assert_eq!(sandbox.requests(vendor), before, "nothing sent");
}

#[test]
fn named_accounts_are_listed_and_their_secrets_never_shown() {
    let bots = Chatbots::builder()
        .account("client-a", Vendor::OkChat, ["secret-client-a-0123"])
        .build()
        .unwrap();
    let listed: Vec<String> = bots
        .accounts()
        .iter()
        .map(|a| a.account.to_string())
        .collect();
    assert!(listed.contains(&"okchat".to_string()), "{listed:?}");
    assert!(
        listed.contains(&"okchat@client-a".to_string()),
        "{listed:?}"
    );
    let okchat = bots
        .account(&AccountRef::default_of(Vendor::OkChat))
        .unwrap();
    assert!(!okchat.is_usable());
    for shown in [format!("{bots:?}"), format!("{:?}", bots.accounts())] {
        assert!(!shown.contains("secret-client-a-0123"), "{shown}");
    }
}

#[test]
fn the_wrong_number_of_secrets_is_refused_naming_the_variables() {
    let vendor = Vendor::ALL
        .iter()
        .copied()
        .find(|v| chatbots::credential_variables(*v).len() == 1)
        .expect("a vendor with one credential");
    let err = Chatbots::builder()
        .account("client-a", vendor, ["a", "b"])
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    let text = err.to_string();
    assert!(text.contains("2 secret(s) given"), "{text}");
    assert!(
        text.contains(chatbots::credential_variables(vendor)[0]),
        "{text}"
    );
}

/// A config file naming, per emulated vendor, an account `from-file`
/// whose secrets come from variables (`FROM_FILE_<n>`), and an account
/// `unset` whose variable is never set.
fn config_for(sandbox: &Sandbox) -> (std::path::PathBuf, Vec<(String, String)>) {
    let mut text = String::new();
    let mut env = Vec::new();
    for vendor in sandbox.vendors_to_test() {
        let credentials = sandbox.credentials(vendor).expect("emulated");
        let secrets = std::iter::once(credentials.key).chain(credentials.secret);
        text.push_str(&format!(
            "[accounts.{vendor}.from-file]\nbase_url = \"{}\"\n",
            sandbox.base_url(vendor)
        ));
        for (variable, secret) in chatbots::credential_variables(vendor).iter().zip(secrets) {
            let name = format!("FROM_FILE_{}", env.len());
            text.push_str(&format!("{variable} = {{ env = \"{name}\" }}\n"));
            env.push((name, secret.to_string()));
        }
        text.push_str(&format!("\n[accounts.{vendor}.unset]\n"));
        for variable in chatbots::credential_variables(vendor) {
            text.push_str(&format!(
                "{variable} = {{ env = \"NEVER_SET_{variable}\" }}\n"
            ));
        }
        text.push('\n');
    }
    let path = std::env::temp_dir().join(format!(
        "chatbots-accounts-{}-{:?}.toml",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::write(&path, text).unwrap();
    env.push(("CHATBOTS_CONFIG".into(), path.display().to_string()));
    (path, env)
}

#[tokio::test]
async fn accounts_from_the_config_file_work_and_an_unset_one_is_refused_unsent() {
    let sandbox = Sandbox::start().await.unwrap();
    let (path, env) = config_for(&sandbox);
    let bots = Chatbots::builder()
        .from_env_with(|name| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
        .unwrap()
        .build()
        .unwrap();
    for vendor in sandbox.vendors_to_test() {
        let id = sandbox.demo_bot(vendor).unwrap();
        let through_file = BotRef::in_account(AccountRef::new(vendor, "from-file"), id);
        let patch = ChatbotPatch::new().name("Set through the config file");
        if bots.check_update(&through_file, &patch).is_ok() {
            bots.update(&through_file, &patch).await.unwrap();
        }
        let unset = AccountRef::new(vendor, "unset");
        let listed = bots.account(&unset).expect("listed");
        assert!(!listed.is_usable());
        assert!(listed.secrets.iter().all(|s| !s.set));
        let before = sandbox.requests(vendor);
        let err = bots
            .update(&BotRef::in_account(unset, id), &patch)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Config);
        let text = err.to_string();
        assert!(text.contains("NEVER_SET_"), "{text}");
        // The file and the line of the account's table.
        assert!(text.contains(&format!("{}:", path.display())), "{text}");
        assert_eq!(sandbox.requests(vendor), before, "{vendor}: nothing sent");
    }
    // No secret in anything shown.
    let shown = format!("{bots:?} {:?}", bots.accounts());
    for (name, secret) in &env {
        if name.starts_with("FROM_FILE_") {
            assert!(!shown.contains(secret.as_str()), "{name} shown");
        }
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_config_file_that_holds_a_secret_is_refused_without_echoing_it() {
    let path = std::env::temp_dir().join(format!("chatbots-secret-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[accounts.okchat.client-a]\nOKCHAT_API_KEY = \"sk-live-do-not-echo\"\n",
    )
    .unwrap();
    let env = |name: &str| (name == "CHATBOTS_CONFIG").then(|| path.display().to_string());
    let err = Chatbots::builder().from_env_with(env).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    let text = format!("{err} {err:?}");
    assert!(text.contains(":2:"), "{text}");
    assert!(!text.contains("sk-live-do-not-echo"), "{text}");
    std::fs::remove_file(path).unwrap();
}
