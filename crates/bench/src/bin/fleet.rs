//! The fleet benchmark's client (`cargo xtask bench-fleet` runs it against a
//! standalone sandbox in another process).
//!
//! ```text
//! fleet updates SANDBOX_URL N [--vendor V] [--skip K] [--redis URL]
//!                                # N updates per vendor through update_many, all at once
//!                                # (only V; seeded bots K+1..K+N; pacing shared in Redis)
//! fleet list SANDBOX_URL VENDOR  # list_stream over every bot; peak resident memory growth
//! fleet stats SANDBOX_URL        # the sandbox's GET /_sandbox/stats
//! fleet vendors                  # the vendors the facade can list
//! ```
//!
//! Each prints one JSON object per line.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chatbots::{BotRef, BulkOptions, ChatbotPatch, Chatbots, Vendor};
use chatbots_sandbox::{Credentials, Sandbox};
use futures::StreamExt;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const USAGE: &str = "usage: fleet updates SANDBOX_URL N [--vendor V] [--skip K] [--redis URL] \
     | fleet list SANDBOX_URL VENDOR | fleet stats SANDBOX_URL | fleet vendors";

/// What `fleet updates` takes after its URL and count.
#[derive(Default)]
struct UpdateOptions {
    vendor: Option<Vendor>,
    skip: usize,
    redis: Option<String>,
}

fn update_options(flags: &[&str]) -> Result<UpdateOptions, String> {
    let mut options = UpdateOptions::default();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let value = flags.next().ok_or(USAGE)?;
        match *flag {
            "--vendor" => {
                options.vendor =
                    Some(Vendor::from_name(value).ok_or(format!("unknown vendor `{value}`"))?);
            }
            "--skip" => options.skip = value.parse().map_err(|_| USAGE)?,
            "--redis" => options.redis = Some(value.to_string()),
            _ => return Err(USAGE.to_string()),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["updates", url, n, flags @ ..] => match (n.parse(), update_options(flags)) {
            (Ok(n), Ok(options)) => runtime.block_on(updates(url, n, options)),
            (Err(_), _) => Err(USAGE.to_string()),
            (_, Err(e)) => Err(e),
        },
        ["stats", url] => runtime.block_on(stats(url)),
        ["vendors"] => {
            for vendor in Vendor::ALL {
                let line = json!({ "vendor": vendor.name(), "can_list": chatbots::VendorInfo::of(vendor).is_some_and(|v| v.can_list()) });
                println!("{line}");
            }
            Ok(())
        }
        ["list", url, vendor] => match Vendor::from_name(vendor) {
            Some(vendor) => runtime.block_on(list(url, vendor)),
            None => Err(format!("unknown vendor `{vendor}`")),
        },
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A facade client for every vendor of the sandbox at `url`.
fn client(url: &str) -> Result<Chatbots, String> {
    client_with(url, None)
}

/// The sandbox's counts (`GET /_sandbox/stats`), printed as they come.
async fn stats(url: &str) -> Result<(), String> {
    // The runtime's settings install the TLS provider reqwest is built without.
    let http = chatbots::ClientConfig::default()
        .http_client()
        .map_err(|e| e.to_string())?;
    let text = http
        .get(format!("{url}/_sandbox/stats"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// A facade client for every vendor of the sandbox at `url`, its pacing
/// shared through the Redis at `redis`.
fn client_with(url: &str, redis: Option<&str>) -> Result<Chatbots, String> {
    let mut env = BTreeMap::new();
    for vendor in Vendor::ALL {
        // A vendor the sandbox does not emulate stays unconfigured.
        let Some(credentials) = Credentials::of(vendor) else {
            continue;
        };
        let names = chatbots::credential_variables(vendor);
        let values = [Some(credentials.key), credentials.secret];
        for (name, value) in names.iter().zip(values.into_iter().flatten()) {
            env.insert(name.to_string(), value.to_string());
        }
        env.insert(
            format!("{}_BASE_URL", vendor.env_prefix()),
            format!("{url}/{}", vendor.name()),
        );
    }
    let builder = Chatbots::builder()
        .timeout(Duration::from_secs(30))
        .from_env_with(|name| env.get(name).cloned())
        .map_err(|e| e.to_string())?;
    let builder = match redis {
        Some(redis) => builder.shared_pacing(redis),
        None => builder,
    };
    builder.build().map_err(|e| e.to_string())
}

/// Counts the 429 answers each vendor's client received, from the
/// runtime's `chatbots.request` spans (`vendor`) and their `response`
/// events (`status`).
#[derive(Clone, Default)]
struct RateLimited(Arc<Mutex<BTreeMap<String, u64>>>);

/// The vendor of a `chatbots.request` span.
struct SpanVendor(String);

#[derive(Default)]
struct Fields {
    vendor: Option<String>,
    status: Option<u64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "vendor" {
            self.vendor = Some(value.to_string());
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.status = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RateLimited {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(vendor), Some(span)) = (fields.vendor, ctx.span(id)) {
            span.extensions_mut().insert(SpanVendor(vendor));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.status != Some(429) {
            return;
        }
        let vendor = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find_map(|span| span.extensions().get::<SpanVendor>().map(|v| v.0.clone()))
        });
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry(vendor.unwrap_or_default()).or_default() += 1;
    }
}

async fn updates(url: &str, n: usize, options: UpdateOptions) -> Result<(), String> {
    let counter = RateLimited::default();
    let subscriber = tracing_subscriber::registry().with(counter.clone());
    tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
    let bots = client_with(url, options.redis.as_deref())?;
    let vendors: Vec<Vendor> = Vendor::ALL
        .into_iter()
        .filter(|v| options.vendor.is_none_or(|only| only == *v))
        .collect();
    let mut items = Vec::new();
    for &vendor in &vendors {
        let ids = Sandbox::seeded_bots_of(vendor, options.skip + n);
        for (i, id) in ids.into_iter().enumerate().skip(options.skip) {
            let patch = ChatbotPatch::new().name(format!("Fleet bot {i}"));
            // StreamSkill has no name: its shared field is the language.
            let patch = match bots.check_update(&BotRef::new(vendor, id.clone()), &patch) {
                Ok(()) => patch,
                Err(_) => ChatbotPatch::new().language(if i % 2 == 0 { "en" } else { "de" }),
            };
            items.push((BotRef::new(vendor, id), patch));
        }
    }
    // When each vendor's last update finished.
    let finished: Arc<Mutex<BTreeMap<Vendor, Duration>>> = Arc::default();
    let started = Instant::now();
    let seen = finished.clone();
    let options = BulkOptions::new().concurrency(n).on_progress(move |p| {
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(p.bot.vendor, started.elapsed());
    });
    let outcomes = bots
        .update_many(items, &options)
        .await
        .map_err(|e| e.to_string())?;
    let finished = finished
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let limited = counter
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for vendor in vendors {
        let mine = outcomes.iter().filter(|o| o.bot.vendor == vendor);
        let failed: Vec<String> = mine
            .clone()
            .filter_map(|o| o.result.as_ref().err().map(|e| e.to_string()))
            .collect();
        let line = json!({
            "vendor": vendor.name(),
            "updates": mine.count(),
            "wall_s": finished.get(&vendor).map(Duration::as_secs_f64),
            "rate_limited": limited.get(vendor.name()).copied().unwrap_or(0),
            "failed": failed.len(),
            "first_failure": failed.first(),
        });
        println!("{line}");
    }
    Ok(())
}

async fn list(url: &str, vendor: Vendor) -> Result<(), String> {
    let bots = client(url)?;
    // Connections, TLS and the token exchange set up before measuring.
    bots.list_stream(vendor).next().await;
    // Reset the peak to what is resident now (Linux: `clear_refs` 5).
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("clear_refs: {e}"))?;
    let before = chatbots_bench::memory::status_kib("VmRSS:").ok_or("no VmRSS")?;
    let started = Instant::now();
    let mut count = 0u64;
    let mut stream = bots.list_stream(vendor);
    while let Some(bot) = stream.next().await {
        bot.map_err(|e| e.to_string())?;
        count += 1;
    }
    let peak = chatbots_bench::memory::status_kib("VmHWM:").ok_or("no VmHWM")?;
    let line = json!({
        "vendor": vendor.name(),
        "bots": count,
        "wall_s": started.elapsed().as_secs_f64(),
        "rss_before_kib": before,
        "peak_kib": peak,
        "growth_kib": peak.saturating_sub(before),
    });
    println!("{line}");
    Ok(())
}
