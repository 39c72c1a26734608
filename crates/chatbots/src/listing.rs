//! Complete listings: every page of a vendor's list, fetched one page at a
//! time as the caller reads on.

use std::collections::HashSet;

use futures::stream::{self, Stream, TryStreamExt};

use crate::error::Error;
use crate::model::Chatbot;
use crate::vendors::{Driver, Page};

/// Where a listing stands between pages.
struct Cursor {
    /// The next page to ask for, counting from 1.
    page: u32,
    /// Whether the vendor said the last page was the last.
    done: bool,
    /// The ids on the previous page: a vendor that answers the same page
    /// again (one that ignores `page`) ends the listing instead of looping.
    previous: Vec<String>,
    /// Every id given out, so that a bot that moves to a later page while
    /// the listing runs (another was created or deleted) is given once.
    seen: HashSet<String>,
}

/// Every bot of `driver`'s vendor, page after page, each once. Holds one
/// page (and the ids seen) in memory. Ends after the page the vendor marks
/// as the last, on an empty page, or on a page that repeats the previous
/// one; ends after the first error, which it yields.
pub(crate) fn every_bot(
    driver: &dyn Driver,
) -> impl Stream<Item = Result<Chatbot, Error>> + Send + '_ {
    let start = Cursor {
        page: 1,
        done: false,
        previous: Vec::new(),
        seen: HashSet::new(),
    };
    stream::try_unfold(start, move |mut at| async move {
        if at.done {
            return Ok::<_, Error>(None);
        }
        let Page { bots, more } = driver.list_page(at.page).await?;
        let ids: Vec<String> = bots.iter().map(|b| b.bot.id.clone()).collect();
        if bots.is_empty() || ids == at.previous {
            return Ok(None);
        }
        at.done = !more;
        at.page = match at.page.checked_add(1) {
            Some(next) => next,
            None => {
                at.done = true;
                at.page
            }
        };
        at.previous = ids;
        let fresh: Vec<Chatbot> = bots
            .into_iter()
            .filter(|b| at.seen.insert(b.bot.id.clone()))
            .collect();
        Ok(Some((
            stream::iter(fresh.into_iter().map(Ok::<_, Error>)),
            at,
        )))
    })
    .try_flatten()
}
