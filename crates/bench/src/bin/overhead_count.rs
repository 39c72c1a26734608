//! Runs the bench's seed requests for instruction counting (`cargo xtask
//! bench` runs it under `valgrind --tool=callgrind`).
//!
//! ```text
//! overhead_count serve                        # prints `listening ADDR`, serves until killed
//! overhead_count run ADDR VENDOR WAY N         # N sequential requests against ADDR
//! overhead_count vendors                       # the benched vendors, one slug a line
//! overhead_count rounds VENDOR ROUNDS [--latency-ms MIN[-MAX]]
//!                                              # req/s at 64 in flight with latency, interleaved
//! ```
//!
//! `WAY` is `sdk`/`a`, `raw`/`b` or `facade`/`c`. `run` uses one thread
//! (a current-thread runtime), so that only the client's work is counted
//! and the count does not depend on scheduling. The per-request cost is
//! the difference of two runs with different N, divided by the difference
//! of N: setup (process start, clients, first connection) cancels out.
//!
//! `rounds` starts its own server on another thread, answering after
//! [`SERVER_LATENCY`] (or `--latency-ms`: a fixed `20`, or a range
//! `10-30`), and prints the latency's range in milliseconds and the
//! requests per second of (a), (b) and (c) from
//! [`interleaved_rounds`](chatbots_bench::interleaved_rounds):
//! `MIN MAX A B C`.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chatbots::Vendor;
use chatbots_bench::{Latency, Recorder, SERVER_LATENCY, Target, Way, run_batch, serve};

const USAGE: &str = "usage: overhead_count serve | run ADDR VENDOR WAY N \
                     | rounds VENDOR ROUNDS [--latency-ms MIN[-MAX]] | vendors";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["vendors"] => {
            for vendor in chatbots_bench::benched() {
                println!("{vendor}");
            }
            ExitCode::SUCCESS
        }
        ["serve"] => serve_command(&runtime),
        ["rounds", vendor, rounds, latency @ ..] => {
            let latency = match latency {
                [] => Some(SERVER_LATENCY),
                ["--latency-ms", ms] => parse_latency(ms),
                _ => None,
            };
            let (Ok(vendor), Ok(rounds), Some(latency)) =
                (vendor.parse::<Vendor>(), rounds.parse::<usize>(), latency)
            else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let server = chatbots_bench::spawn_server(latency);
            runtime.block_on(async {
                let target = match Target::new(vendor, server.addr).await {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{vendor}: cannot set up: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                let [a, b, c] = chatbots_bench::interleaved_rounds(&target, rounds).await;
                let (min, max) = (latency.min, latency.max);
                println!("{} {} {a} {b} {c}", min.as_millis(), max.as_millis());
                ExitCode::SUCCESS
            })
        }
        ["run", addr, vendor, way, n] => {
            let (Ok(addr), Ok(vendor), Some(way), Ok(n)) = (
                addr.parse::<SocketAddr>(),
                vendor.parse::<Vendor>(),
                Way::parse(way),
                n.parse::<usize>(),
            ) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            runtime.block_on(async {
                let target = match Target::new(vendor, addr).await {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{vendor}: cannot set up: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                run_batch(&target, way, n, 1).await;
                ExitCode::SUCCESS
            })
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `MIN` or `MIN-MAX`, in milliseconds.
fn parse_latency(text: &str) -> Option<Latency> {
    let ms = |t: &str| t.parse::<u64>().ok().map(Duration::from_millis);
    let latency = match text.split_once('-') {
        Some((min, max)) => Latency {
            min: ms(min)?,
            max: ms(max)?,
        },
        None => Latency::fixed(ms(text)?),
    };
    (latency.min <= latency.max).then_some(latency)
}

/// `serve`: prints `listening ADDR`, then answers at once until killed.
fn serve_command(runtime: &tokio::runtime::Runtime) -> ExitCode {
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot bind 127.0.0.1:0: {e}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(addr) => {
                println!("listening {addr}");
                let _ = std::io::stdout().flush();
            }
            Err(e) => {
                eprintln!("no local address: {e}");
                return ExitCode::FAILURE;
            }
        }
        serve(listener, Arc::new(Recorder::default()), Latency::NONE).await;
        ExitCode::SUCCESS
    })
}
