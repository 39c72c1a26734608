//! Several accounts per vendor against the real sandbox: bots name their
//! account, calls go through its credential, and what cannot be sent is
//! refused before anything is.

mod common;

use chatbots::{AccountRef, BotRef, BulkOptions, ChatbotPatch, Chatbots, ErrorKind, Vendor};
use chatbots_sandbox::Sandbox;

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
