//! Sending the seed request many times: every vendor's target, the check
//! that the three ways send the same bytes, batches and interleaved rounds.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::seed::seed_request;
use crate::server::Server;
use crate::target::Target;
use crate::way::Way;

/// Builds every vendor's target against the server at `addr` and sends one
/// request each way (establishing connections and Converza's token).
pub async fn targets(addr: SocketAddr) -> Vec<Target> {
    let mut all = Vec::new();
    for vendor in crate::benched() {
        let target = Target::new(vendor, addr)
            .await
            .unwrap_or_else(|e| panic!("{vendor}: cannot set up: {e}"));
        for way in Way::ALL {
            if let Err(e) = target.send(way).await {
                panic!("{vendor} {}: the warm-up request failed: {e}", way.name());
            }
        }
        all.push(target);
    }
    all
}

/// Asserts that (a), (b) and (c) send byte-identical requests (method,
/// path and query, headers, body) for every target, and that the body is
/// the seed body.
pub async fn check_identical(server: &Server, targets: &[Target]) {
    for target in targets {
        let mut seen = Vec::new();
        for way in Way::ALL {
            server.recorder.start();
            if let Err(e) = target.send(way).await {
                panic!("{} {}: request failed: {e}", target.vendor, way.name());
            }
            let mut requests = server.recorder.stop();
            assert_eq!(
                requests.len(),
                1,
                "{} {}: expected one request",
                target.vendor,
                way.name()
            );
            seen.push((way, requests.remove(0)));
        }
        let (_, first) = &seen[0];
        for (way, request) in &seen[1..] {
            assert_eq!(
                request,
                first,
                "{}: {} sends a different request than sdk",
                target.vendor,
                way.name()
            );
        }
        let sent: Value = serde_json::from_slice(&first.body).expect("a JSON body");
        assert_eq!(
            numbers_as_f64(sent),
            numbers_as_f64(seed_request(target.vendor).expect("a benched vendor")),
            "{}: the body is not the seed body",
            target.vendor
        );
    }
}

/// JSON with every number as f64 (`1` and `1.0` compare equal).
fn numbers_as_f64(value: Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_f64(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Sends `n` requests `way`, at most `in_flight` at a time; panics on the
/// first failure (a benchmark of failing requests measures nothing).
pub async fn run_batch(target: &Target, way: Way, n: usize, in_flight: usize) {
    use futures::StreamExt;
    if in_flight <= 1 {
        for _ in 0..n {
            if let Err(e) = target.send(way).await {
                panic!("{} {}: {e}", target.vendor, way.name());
            }
        }
        return;
    }
    let mut results = futures::stream::iter(0..n)
        .map(|_| target.send(way))
        .buffer_unordered(in_flight);
    while let Some(result) = results.next().await {
        if let Err(e) = result {
            panic!("{} {}: {e}", target.vendor, way.name());
        }
    }
}

/// Requests per iteration of [`interleaved_rounds`].
pub const ROUND_REQUESTS: usize = 512;
/// Requests in flight in [`interleaved_rounds`].
pub const IN_FLIGHT: usize = 64;

/// Requests per second of (a), (b) and (c) at [`IN_FLIGHT`], measured in
/// `rounds` rounds of [`ROUND_REQUESTS`] requests per way, the ways taking
/// turns (in a rotating order) within each round, after one warm-up round.
/// On a shared machine the load drifts over seconds: taking turns puts
/// each way under the same drift, where measuring one way after the other
/// (as criterion does) can put a few percent between identical code.
pub async fn interleaved_rounds(target: &Target, rounds: usize) -> [f64; 3] {
    for way in Way::ALL {
        run_batch(target, way, ROUND_REQUESTS, IN_FLIGHT).await;
    }
    let mut spent = [Duration::ZERO; 3];
    for round in 0..rounds {
        for turn in 0..Way::ALL.len() {
            let i = (round + turn) % Way::ALL.len();
            let started = std::time::Instant::now();
            run_batch(target, Way::ALL[i], ROUND_REQUESTS, IN_FLIGHT).await;
            spent[i] += started.elapsed();
        }
    }
    let total = (ROUND_REQUESTS * rounds) as f64;
    spent.map(|d| total / d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use chatbots::Vendor;

    use super::*;
    use crate::latency::Latency;
    use crate::server::spawn_server;

    async fn one_request(server: &Server) -> Duration {
        let target = Target::new(Vendor::HotTask, server.addr)
            .await
            .expect("the hottask target");
        let start = Instant::now();
        target.send(Way::Raw).await.expect("the raw request");
        start.elapsed()
    }

    #[tokio::test]
    async fn the_server_answers_after_its_latency() {
        let fast = spawn_server(Latency::NONE);
        let slow = spawn_server(Latency::fixed(Duration::from_millis(150)));
        let (fast, slow) = (one_request(&fast).await, one_request(&slow).await);
        assert!(slow >= Duration::from_millis(150), "{slow:?}");
        assert!(fast < Duration::from_millis(150), "{fast:?}");
    }

    #[tokio::test]
    async fn interleaved_rounds_measure_each_way() {
        let server = spawn_server(Latency::NONE);
        let target = Target::new(Vendor::OkChat, server.addr)
            .await
            .expect("the okchat target");
        let rates = interleaved_rounds(&target, 1).await;
        assert!(rates.iter().all(|r| r.is_finite() && *r > 0.0), "{rates:?}");
    }

    #[tokio::test]
    async fn the_three_ways_send_the_same_request() {
        let server = spawn_server(Latency::NONE);
        let targets = targets(server.addr).await;
        check_identical(&server, &targets).await;
    }
}
