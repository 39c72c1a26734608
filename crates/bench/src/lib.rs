//! Request-overhead benchmark support (`cargo xtask bench`).
//!
//! For each vendor's seed operation the same request is sent three ways:
//!
//! - [`Way::Sdk`] (a): the generated vendor client's builder call;
//! - [`Way::Raw`] (b): a hand-written `reqwest` call with the same method,
//!   path, headers and JSON body, on a `reqwest::Client` built with the
//!   SDK's settings ([`chatbots_runtime::ClientConfig::http_client`]). It
//!   serializes the same request struct and decodes the answer into the
//!   same response struct, so that the difference to (a) is the SDK's own
//!   machinery (builder, hooks, retries, tracing, error handling), not serde;
//! - [`Way::Facade`] (c): [`chatbots::Chatbots::update`] with a
//!   [`ChatbotPatch`](chatbots::ChatbotPatch) that produces the same body.
//!
//! Both (a) and (b) clone their body per request (the builder takes it by
//! value; a caller builds a fresh body per request either way).
//!
//! The answers come from [`serve`], a minimal HTTP/1.1 server on loopback
//! that returns a fixed, realistic success body per seed endpoint, at once
//! or after a fixed latency (a vendor answers in tens to hundreds of
//! milliseconds: with [`SERVER_LATENCY`], throughput at 64 in flight shows
//! whether the client's own cost matters to a user at all).
//! [`check_identical`] asserts once that (a), (b) and (c) put the same
//! bytes on the wire.

//!
//! Every vendor's seed data (the update's method, path, body, answer and
//! bot, the credential header, the token exchange) comes from its spec's
//! examples and its facade module ([`seed`]); only the generated clients'
//! typed calls are written per vendor (`sdk.rs`). A vendor without them is
//! refused by [`Target::new`], naming what it lacks.
//!
//! One concept per file: `latency.rs` (the server's wait), `way.rs` (the
//! three ways), `spec.rs` and `seed.rs` (the seed data), `server.rs`,
//! `sdk.rs` and `target.rs` (sending), `rounds.rs` (batches, rounds and the
//! identical-bytes check), `memory.rs` (the memory benchmarks' measuring).

#![recursion_limit = "256"]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod latency;
pub mod memory;
mod rounds;
mod sdk;
mod seed;
mod server;
// The spec reader of the facade's tests, shared rather than copied; the
// bench uses part of it.
#[allow(dead_code)]
#[path = "../../chatbots/tests/support/spec.rs"]
mod spec;
mod target;
mod way;

use chatbots::Vendor;

pub use latency::{Latency, SERVER_LATENCY};
pub use rounds::{
    IN_FLIGHT, ROUND_REQUESTS, check_identical, interleaved_rounds, run_batch, targets,
};
pub use seed::{Seed, seed, seed_bot, seed_patch, seed_request};
pub use server::{Recorder, Seen, Server, serve, spawn_server};
pub use target::Target;
pub use way::Way;

/// The vendors the bench drives, in `Vendor::ALL`'s order: those whose
/// spec has the seed data and whose generated client the bench calls. Each
/// other one is named on stderr with what it lacks.
pub fn benched() -> Vec<Vendor> {
    Vendor::ALL
        .into_iter()
        .filter(|v| match seed(*v).and_then(|_| sdk::Sdk::supports(*v)) {
            Ok(()) => true,
            Err(why) => {
                eprintln!("not benched: {why}");
                false
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benched_vendor_has_seed_data() {
        let benched = benched();
        assert!(!benched.is_empty());
        for vendor in benched {
            let seed = seed_request(vendor).expect("seed request");
            assert!(seed.is_object(), "{vendor}");
            seed_patch(vendor).expect("seed patch");
            seed_bot(vendor).expect("seed bot");
        }
    }

    /// Every vendor the bench has a generated-client call for has its
    /// seed data (a spec that loses an example the bench needs fails here,
    /// instead of the bench silently measuring fewer vendors).
    #[test]
    fn every_vendor_with_a_typed_call_is_benched() {
        for vendor in Vendor::ALL {
            if sdk::Sdk::supports(vendor).is_ok() {
                assert!(seed(vendor).is_ok(), "{:?}", seed(vendor).err());
            }
        }
    }

    /// Way (c) goes through the mapping of shared fields: each benched
    /// vendor's facade patch sets every shared field its seed body holds
    /// in a form the field takes.
    #[test]
    fn the_facade_patch_sets_shared_fields() {
        for vendor in benched() {
            let patch = seed_patch(vendor).expect("seed patch");
            let shared: Vec<chatbots::Field> = chatbots::Field::ALL
                .into_iter()
                .filter(|f| patch.sets(*f))
                .collect();
            eprintln!("{vendor}: shared {shared:?}");
            assert!(!shared.is_empty(), "{vendor}: {patch:?}");
        }
    }
}
