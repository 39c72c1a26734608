//! The bots `--bots` seeds, read through each vendor's lists and reads,
//! and an emulated rate limit's 429: the same schemas as the fixtures. Which
//! reads return them is each vendor module's `seeded_reads`.

use reqwest::Method;

use crate::Contract;

/// A request: method, path below the base URL, JSON body.
pub(crate) type Read = (Method, String, Option<serde_json::Value>);

/// Sends `reads` (those of `contract.vendor` that return its seeded bots),
/// then `bucket_read` until the vendor's bucket is empty (the sandbox has a
/// limit of `burst` requests).
pub(crate) async fn exercise(contract: &mut Contract, reads: Vec<Read>, bucket_read: &str) {
    let vendor = contract.vendor;
    for (method, path, body) in reads {
        let (status, answer) = contract.json(method, &path, body).await;
        assert_eq!(status, 200, "{vendor} {path}: {answer}");
        // A success in the vendor's terms (HotTask's envelope says so).
        let probe = chatbots_sandbox::probe(vendor).expect("emulated");
        for check in probe.success {
            assert!(
                check.holds(&answer),
                "{vendor} {path}: {check:?} in {answer}"
            );
        }
    }
    // Until the bucket is empty.
    let mut status = 200;
    for _ in 0..100 {
        status = contract.json(Method::GET, bucket_read, None).await.0;
        if status == 429 {
            break;
        }
    }
    assert_eq!(status, 429, "{vendor}: the bucket never emptied");
}
