//! Runs the bench's seed requests for instruction counting (`cargo xtask
//! bench` runs it under `valgrind --tool=callgrind`).
//!
//! ```text
//! overhead_count serve [--latency-ms MS]       # prints `listening ADDR`, serves until killed
//! overhead_count run ADDR VENDOR WAY N         # N sequential requests against ADDR
//! overhead_count vendors                       # the benched vendors, one slug a line
//! ```
//!
//! `WAY` is `sdk`/`a`, `raw`/`b` or `facade`/`c`. `run` uses one thread
//! (a current-thread runtime), so that only the client's work is counted
//! and the count does not depend on scheduling. The per-request cost is
//! the difference of two runs with different N, divided by the difference
//! of N: setup (process start, clients, first connection) cancels out.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chatbots::Vendor;
use chatbots_bench::{Recorder, Target, Way, run_batch, serve};

const USAGE: &str =
    "usage: overhead_count serve [--latency-ms MS] | run ADDR VENDOR WAY N | vendors";

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
            for vendor in chatbots_bench::VENDORS {
                println!("{vendor}");
            }
            ExitCode::SUCCESS
        }
        ["serve"] => serve_command(&runtime, Duration::ZERO),
        ["serve", "--latency-ms", ms] => match ms.parse::<u64>() {
            Ok(ms) => serve_command(&runtime, Duration::from_millis(ms)),
            Err(_) => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        },
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

/// `serve`: prints `listening ADDR`, then answers until killed.
fn serve_command(runtime: &tokio::runtime::Runtime, latency: Duration) -> ExitCode {
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
        serve(listener, Arc::new(Recorder::default()), latency).await;
        ExitCode::SUCCESS
    })
}
