//! Reading the current state of a fleet's bots: a complete listing per
//! account at a vendor that lists, `get` for bots the listing lacks and at
//! vendors without a list, nothing at a vendor that cannot read. Every
//! call goes through the account's client, so it is paced like any other;
//! a bot is only ever read through its own account.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, StreamExt};

use super::plan::PlanOptions;
use crate::Chatbots;
use crate::error::{Error, ErrorKind};
use crate::model::{AccountRef, BotRef, Chatbot};
use crate::vendors;

/// `get`s in flight per account: each client paces itself, so more would
/// only wait.
const GETS_IN_FLIGHT: usize = 8;

/// What is known of a bot now.
#[derive(Debug)]
pub(crate) enum State {
    /// As the vendor reports it.
    Read(Box<Chatbot>),
    /// The vendor has no operation that reads it.
    Unreadable,
    /// Reading it failed.
    Failed(Error),
}

/// The state of each of `bots`, in their order. Accounts are read side by
/// side.
pub(crate) async fn read_all(
    chatbots: &Chatbots,
    bots: &[BotRef],
    options: &PlanOptions,
) -> Vec<State> {
    let total = bots.len();
    let done = AtomicUsize::new(0);
    let known = || {
        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(hook) = &options.progress {
            hook(now, total);
        }
    };
    // By account, not by vendor: a listing shows one account's bots only.
    let mut by_account: BTreeMap<AccountRef, Vec<(usize, &BotRef)>> = BTreeMap::new();
    for (index, bot) in bots.iter().enumerate() {
        by_account
            .entry(bot.account_ref())
            .or_default()
            .push((index, bot));
    }
    let per_account = by_account
        .into_iter()
        .map(|(account, wanted)| read_account(chatbots, account, wanted, &known));
    let mut states: Vec<Option<State>> = (0..total).map(|_| None).collect();
    for (index, state) in futures::future::join_all(per_account)
        .await
        .into_iter()
        .flatten()
    {
        states[index] = Some(state);
    }
    states
        .into_iter()
        .map(|s| {
            // Every index was read above, by its account.
            s.unwrap_or_else(|| {
                State::Failed(Error::config(None, "the bot was not read (a bug in plan)"))
            })
        })
        .collect()
}

/// The state of `wanted` bots of one account, with their indices.
async fn read_account(
    chatbots: &Chatbots,
    account: AccountRef,
    wanted: Vec<(usize, &BotRef)>,
    known: &(impl Fn() + Sync),
) -> Vec<(usize, State)> {
    let vendor = account.vendor;
    let registered = match vendors::find(vendor) {
        Ok(registered) => registered,
        Err(e) => {
            return wanted
                .into_iter()
                .map(|(i, _)| {
                    known();
                    (i, State::Failed(e.clone()))
                })
                .collect();
        }
    };
    if registered.get_operation.is_none() && registered.list_operation.is_none() {
        return wanted
            .into_iter()
            .map(|(i, _)| {
                known();
                (i, State::Unreadable)
            })
            .collect();
    }
    let mut out = Vec::with_capacity(wanted.len());
    let mut rest = wanted;
    let mut listing_error = None;
    if registered.list_operation.is_some() {
        // Keep only the bots asked for: the listing may be much larger.
        // Ids compare in the vendor's canonical form: the listing spells a
        // UUID its way, the fleet file perhaps another.
        let canonical = registered.canonical_id;
        let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, bot) in &rest {
            ids.entry(canonical(&bot.id).into_owned())
                .or_default()
                .push(*i);
        }
        let mut found: HashMap<usize, Chatbot> = HashMap::new();
        let mut listing = chatbots.list_stream(&account);
        while let Some(item) = listing.next().await {
            match item {
                Ok(bot) => {
                    if let Some(indices) = ids.get(canonical(&bot.bot.id).as_ref()) {
                        for i in indices {
                            if !found.contains_key(i) {
                                known();
                            }
                            found.insert(*i, bot.clone());
                        }
                    }
                }
                Err(e) => {
                    listing_error = Some(e);
                    break;
                }
            }
        }
        rest.retain(|(i, _)| match found.remove(i) {
            Some(bot) => {
                out.push((*i, State::Read(Box::new(bot))));
                false
            }
            None => true,
        });
    }
    if registered.get_operation.is_some() {
        let got: Vec<(usize, State)> = stream::iter(rest)
            .map(|(i, bot)| async move {
                let state = match chatbots.get(bot).await {
                    Ok(found) => State::Read(Box::new(found)),
                    Err(e) => State::Failed(e),
                };
                (i, state)
            })
            .buffer_unordered(GETS_IN_FLIGHT)
            .inspect(|_| known())
            .collect()
            .await;
        out.extend(got);
    } else {
        for (i, bot) in rest {
            known();
            let e = listing_error.clone().unwrap_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    Some(vendor),
                    format!("{bot} is not in the listing of {account}"),
                )
            });
            out.push((i, State::Failed(e)));
        }
    }
    out
}
