//! Bulk updates: many bots, bounded concurrency per vendor, one outcome per
//! bot.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::Chatbots;
use crate::error::{Error, Subject};
use crate::model::{BotRef, ChatbotPatch, Vendor};

/// What [`Chatbots::update_many`] reports after each bot: how far it is
/// and how that bot went. A CLI drives a progress bar with it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// Bots finished so far, this one included.
    pub done: usize,
    /// Bots in the batch.
    pub total: usize,
    /// The bot just finished.
    pub bot: &'a BotRef,
    /// How it went.
    pub result: &'a Result<(), Error>,
}

/// A progress hook, shared by clones of the options.
type ProgressHook = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// Called with an item's place in the batch just before it is sent; an
/// error stops that item, unsent (a journal that cannot announce it).
pub(crate) type SendHook = Arc<dyn Fn(usize) -> Result<(), Error> + Send + Sync>;

/// How [`Chatbots::update_many`] runs.
///
/// ```
/// use chatbots::BulkOptions;
/// let options = BulkOptions::new()
///     .concurrency(4)
///     .on_progress(|p| eprintln!("{}/{} {}: {}", p.done, p.total, p.bot, if p.result.is_ok() { "ok" } else { "failed" }));
/// assert_eq!(options.concurrency_per_vendor(), 4);
/// ```
#[derive(Clone)]
pub struct BulkOptions {
    concurrency: usize,
    progress: Option<ProgressHook>,
    before_send: Option<SendHook>,
}

impl BulkOptions {
    /// The defaults: [`DEFAULT_CONCURRENCY`](Self::DEFAULT_CONCURRENCY)
    /// updates in flight per vendor, no progress hook.
    pub fn new() -> Self {
        Self {
            concurrency: Self::DEFAULT_CONCURRENCY,
            progress: None,
            before_send: None,
        }
    }

    /// Updates in flight per vendor by default. Each client also paces its
    /// requests to the vendor's rate limit, so more in flight only waits.
    pub const DEFAULT_CONCURRENCY: usize = 8;

    /// At most `n` updates in flight per vendor (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Updates in flight per vendor.
    pub fn concurrency_per_vendor(&self) -> usize {
        self.concurrency
    }

    /// Calls `hook` after each bot, from the task running the batch.
    pub fn on_progress(mut self, hook: impl Fn(Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` with each item's place in the batch just before it is
    /// sent (the journal's intent line).
    pub(crate) fn before_send(mut self, hook: SendHook) -> Self {
        self.before_send = Some(hook);
        self
    }
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// One bot of a batch and how its update went.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkOutcome {
    /// The bot.
    pub bot: BotRef,
    /// How its update went.
    pub result: Result<(), Error>,
}

/// A batch refused before anything was sent: the patches that break a
/// rule, each with its error. The others were valid, and not sent either.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkRefused {
    /// Each refused bot, with why, in the batch's order.
    pub refused: Vec<BulkOutcome>,
    /// Bots in the batch.
    pub total: usize,
}

impl fmt::Display for BulkRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} updates refused, nothing sent:",
            self.refused.len(),
            self.total
        )?;
        for outcome in &self.refused {
            if let Err(e) = &outcome.result {
                write!(f, "\n  {}: {e}", outcome.bot)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for BulkRefused {}

impl Chatbots {
    /// Applies many patches, one per bot, and reports every bot.
    ///
    /// Every patch is checked first (the rules of [`update`](Self::update),
    /// and each bot at most once: ids compare as [`BotRef::canonical`]
    /// spells them); if any is refused, nothing is sent and [`BulkRefused`]
    /// lists each refused bot. Otherwise all are sent, at most
    /// [`BulkOptions::concurrency`] at a time per vendor (vendors run side
    /// by side), and the answer holds one [`BulkOutcome`] per item, in the
    /// order given: one bot's failure never stops the others.
    ///
    /// ```no_run
    /// use chatbots::{BotRef, BulkOptions, ChatbotPatch, Chatbots, Vendor};
    ///
    /// # async fn demo(bots: Chatbots, ids: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    /// let patch = ChatbotPatch::new().greeting("Hi! How can I help?");
    /// let items = ids
    ///     .into_iter()
    ///     .map(|id| (BotRef::new(Vendor::PureTalk, id), patch.clone()));
    /// let outcomes = bots.update_many(items, &BulkOptions::new()).await?;
    /// for failed in outcomes.iter().filter(|o| o.result.is_err()) {
    ///     eprintln!("{}: {:?}", failed.bot, failed.result);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_many(
        &self,
        items: impl IntoIterator<Item = (BotRef, ChatbotPatch)>,
        options: &BulkOptions,
    ) -> Result<Vec<BulkOutcome>, BulkRefused> {
        let items: Vec<(BotRef, ChatbotPatch)> = items.into_iter().collect();
        let total = items.len();
        // One bot twice (in any spelling of its id) would be sent twice, in
        // no defined order: its final state would be either patch.
        let mut twice: HashMap<usize, Error> = self
            .repeats(items.iter().map(|(bot, _)| bot))
            .into_iter()
            .map(|(index, first)| {
                let rule = format!(
                    "is in the batch more than once (items {} and {}, counting from 1){}",
                    first + 1,
                    index + 1,
                    crate::client::through_two_names(&items[first].0, &items[index].0)
                );
                (
                    index,
                    Error::invalid(items[index].0.vendor, Subject::BotId("bot".into()), rule),
                )
            })
            .collect();
        let refused: Vec<BulkOutcome> = items
            .iter()
            .enumerate()
            .filter_map(|(index, (bot, patch))| {
                let result = match twice.remove(&index) {
                    Some(e) => Err(e),
                    None => self.check_update(bot, patch),
                };
                result.err().map(|e| BulkOutcome {
                    bot: bot.clone(),
                    result: Err(e),
                })
            })
            .collect();
        if !refused.is_empty() {
            return Err(BulkRefused { refused, total });
        }

        let mut results: Vec<Option<Result<(), Error>>> = (0..total).map(|_| None).collect();
        {
            // Each vendor's items, with their place in the batch.
            let mut by_vendor: BTreeMap<Vendor, Vec<(usize, &BotRef, &ChatbotPatch)>> =
                BTreeMap::new();
            for (index, (bot, patch)) in items.iter().enumerate() {
                by_vendor
                    .entry(bot.vendor)
                    .or_default()
                    .push((index, bot, patch));
            }
            let per_vendor = by_vendor.into_values().map(|batch| {
                stream::iter(batch)
                    .map(|(index, bot, patch)| async move {
                        let announced = match &options.before_send {
                            Some(hook) => hook(index),
                            None => Ok(()),
                        };
                        let result = match announced {
                            Ok(()) => self.update(bot, patch).await,
                            Err(e) => Err(e),
                        };
                        (index, bot, result)
                    })
                    .buffer_unordered(options.concurrency)
                    .boxed()
            });
            let mut all = stream::select_all(per_vendor);
            let mut done = 0;
            while let Some((index, bot, result)) = all.next().await {
                done += 1;
                if let Some(hook) = &options.progress {
                    hook(Progress {
                        done,
                        total,
                        bot,
                        result: &result,
                    });
                }
                results[index] = Some(result);
            }
        }
        Ok(items
            .into_iter()
            .zip(results)
            .map(|((bot, _), result)| BulkOutcome {
                bot,
                // Every item of every vendor's stream answered above.
                result: result.unwrap_or_else(|| {
                    Err(Error::config(
                        None,
                        "the update was not run (a bug in update_many)",
                    ))
                }),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatbots_sandbox::Sandbox;

    /// A bot whose announcement fails (a journal on a full disk) is not
    /// sent, and is reported with that error; the others go on.
    #[tokio::test]
    async fn an_item_whose_announcement_fails_is_not_sent() {
        let sandbox = Sandbox::builder().bots(3).start().await.unwrap();
        let vendor = sandbox.vendors_to_test()[0];
        let credentials = sandbox.credentials(vendor).unwrap();
        let secrets: Vec<&str> = std::iter::once(credentials.key)
            .chain(credentials.secret)
            .collect();
        let bots = Chatbots::builder()
            .account("sandbox", vendor, secrets)
            .account_base_url("sandbox", vendor, sandbox.base_url(vendor))
            .build()
            .unwrap();
        let account = crate::AccountRef::new(vendor, "sandbox");
        // Any field the vendor takes, with a value it takes.
        let info = crate::VendorInfo::of(vendor).unwrap();
        let patch = info
            .fields()
            .map(|field| match field.kind() {
                crate::FieldKind::Number => ChatbotPatch::new().temperature(0.5),
                _ => {
                    let mut patch = ChatbotPatch::new();
                    let _ = patch.set(field, crate::FieldValue::Text("en".into()));
                    patch
                }
            })
            .find(|patch| {
                let bot =
                    BotRef::in_account(account.clone(), sandbox.seeded_bots(vendor)[0].clone());
                bots.check_update(&bot, patch).is_ok()
            })
            .expect("a field the vendor takes");
        let items = || -> Vec<(BotRef, ChatbotPatch)> {
            sandbox
                .seeded_bots(vendor)
                .into_iter()
                .map(|id| (BotRef::in_account(account.clone(), id), patch.clone()))
                .collect()
        };
        // Warm up (a vendor may exchange its key for a token first), then
        // count the requests of three updates.
        bots.update_many(items().into_iter().take(1), &BulkOptions::new())
            .await
            .unwrap();
        let before = sandbox.requests(vendor);
        bots.update_many(items(), &BulkOptions::new())
            .await
            .unwrap();
        let three = sandbox.requests(vendor) - before;

        let options =
            BulkOptions::new()
                .concurrency(1)
                .before_send(Arc::new(|index| match index {
                    1 => Err(Error::config(None, "journal: No space left on device")),
                    _ => Ok(()),
                }));
        let before = sandbox.requests(vendor);
        let outcomes = bots.update_many(items(), &options).await.unwrap();
        let failed: Vec<_> = outcomes.iter().map(|o| o.result.is_err()).collect();
        assert_eq!(failed, [false, true, false], "{outcomes:?}");
        let err = outcomes[1].result.as_ref().unwrap_err().to_string();
        assert!(err.contains("No space left"), "{err}");
        // Two updates' requests, not three.
        assert_eq!((sandbox.requests(vendor) - before) * 3, three * 2);
    }
}
