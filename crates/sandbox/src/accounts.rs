//! The accounts the sandbox serves at every emulated vendor: `default` (the
//! documented credentials and fixtures) and [`SECOND_ACCOUNT`] (a second
//! credential set with bots of its own), so that clients holding several
//! accounts per vendor can be tested.
//!
//! Each vendor module declares its accounts ([`Account`], in the order of
//! [`ACCOUNTS`]) in its `EMULATED` entry. What is generic lives here: which
//! account a request is made with, and routing it to that account's own
//! router and state ([`by_account`]). Because every account has its own
//! state, a bot of another account is exactly as unknown as a bot that does
//! not exist — the vendor's own 404 — on every route, lists show the
//! caller's bots only, and no write can reach another account's data.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{Extensions, HeaderMap};
use tower::ServiceExt;

use crate::Credentials;

/// The name of the account each vendor's documented sandbox credentials
/// open, and the one [`Sandbox::credentials`](crate::Sandbox::credentials),
/// [`Sandbox::demo_bot`](crate::Sandbox::demo_bot) and
/// [`Sandbox::seeded_bots`](crate::Sandbox::seeded_bots) mean.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The name of the second account every emulated vendor serves: its own
/// credentials ([`Sandbox::credentials_of`](crate::Sandbox::credentials_of)),
/// its own bots, none of the default account's.
pub const SECOND_ACCOUNT: &str = "client-b";

/// Every account of every emulated vendor, the default one first.
pub(crate) const ACCOUNTS: [&str; 2] = [DEFAULT_ACCOUNT, SECOND_ACCOUNT];

/// One account of an emulated vendor, as its module declares it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Account {
    pub(crate) credentials: Credentials,
    /// A bot of this account that accepts edits and reads back.
    pub(crate) demo_bot: &'static str,
    /// The id of the `n`th bot `--bots` seeds in this account (from 1),
    /// deterministic so that scale tests can name them. A second account's
    /// demo bot is its bot 0.
    pub(crate) seeded_bot: fn(usize) -> String,
}

/// The account a request is served for: put in the request's extensions
/// by [`by_account`], read by the vendors' auth extractors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seat {
    /// Its position in [`ACCOUNTS`] and in the vendor's declaration.
    pub(crate) index: usize,
    pub(crate) account: Account,
}

impl Seat {
    /// Whether this is the default account (the documented fixtures).
    pub(crate) fn is_default(&self) -> bool {
        self.index == 0
    }

    /// The key this account's requests must carry (Converza: its key id).
    pub(crate) fn key(&self) -> &'static str {
        self.account.credentials.key
    }

    /// The account's name, `default` or [`SECOND_ACCOUNT`].
    pub(crate) fn name(&self) -> &'static str {
        ACCOUNTS[self.index]
    }

    /// The bots this account seeds besides the vendor's fixtures, as
    /// `(id, name)`: the default account's `count` bots "Sandbox bot 1"…;
    /// another account's demo bot and `count` bots named after it ("Client B
    /// demo bot", "Client B support bot 1"…), which is all it holds.
    pub(crate) fn seeded_bots(&self, count: usize) -> Vec<(String, String)> {
        let seeded = self.account.seeded_bot;
        if self.is_default() {
            return (1..=count)
                .map(|n| (seeded(n), format!("Sandbox bot {n}")))
                .collect();
        }
        let label = label(self.name());
        std::iter::once((
            self.account.demo_bot.to_string(),
            format!("{label} demo bot"),
        ))
        .chain((1..=count).map(|n| (seeded(n), format!("{label} support bot {n}"))))
        .collect()
    }

    /// The seat a request was routed to; `None` outside [`by_account`]
    /// (then no credential is accepted).
    pub(crate) fn of(extensions: &Extensions) -> Option<Seat> {
        extensions.get::<Seat>().copied()
    }

    /// Whether `presented` is the key of the account the request was
    /// routed to: what the vendors' auth extractors check.
    pub(crate) fn accepts(extensions: &Extensions, presented: Option<&str>) -> bool {
        Seat::of(extensions).is_some_and(|seat| presented == Some(seat.key()))
    }
}

/// An account name for people: `client-b` → `Client B`.
fn label(name: &str) -> String {
    name.split(['-', '_', '.'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The position of the account named `name` in [`ACCOUNTS`].
pub(crate) fn named(name: &str) -> Option<usize> {
    ACCOUNTS.iter().position(|a| *a == name)
}

/// The account whose key is `presented` (for vendors whose requests carry
/// the key itself).
pub(crate) fn with_key(accounts: &[Account], presented: Option<&str>) -> Option<usize> {
    let presented = presented?;
    accounts.iter().position(|a| a.credentials.key == presented)
}

/// [`by_account`] for a vendor whose requests carry the key itself, which
/// `key_of` reads (the same function its auth extractor checks).
pub(crate) fn by_key(
    accounts: &[Account],
    key_of: fn(&HeaderMap) -> Option<&str>,
    build: impl FnMut(Seat) -> Router,
) -> Router {
    let keys: Arc<[Account]> = accounts.into();
    by_account(
        accounts,
        move |request: &Request| with_key(&keys, key_of(request.headers())),
        build,
    )
}

/// A vendor's router serving each account from its own router: `build`
/// makes one per account (own state, seeded for that account), and each
/// request goes to the one `account_of` names — the default account's
/// when it names none (no or unknown credential), whose auth then refuses
/// it as before. The chosen [`Seat`] travels in the request's extensions.
pub(crate) fn by_account<F>(
    accounts: &[Account],
    account_of: F,
    mut build: impl FnMut(Seat) -> Router,
) -> Router
where
    F: Fn(&Request) -> Option<usize> + Clone + Send + Sync + 'static,
{
    let routers: Arc<[Router]> = accounts
        .iter()
        .enumerate()
        .map(|(index, account)| {
            let seat = Seat {
                index,
                account: *account,
            };
            build(seat).layer(axum::Extension(seat))
        })
        .collect();
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let index = account_of(&request)
            .filter(|i| *i < routers.len())
            .unwrap_or(0);
        routers[index].clone().oneshot(request)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_names() {
        assert_eq!(label(SECOND_ACCOUNT), "Client B");
        assert_eq!(label("acme_eu.prod"), "Acme Eu Prod");
    }
}
