//! Request throughput of the generated clients (a), hand-written reqwest
//! calls (b) and the facade (c), one request at a time and 64 in flight,
//! against a loopback server on its own thread that answers at once.
//! Run with `cargo xtask bench` (which also counts instructions per request
//! under callgrind, and measures 64 in flight against a server with a
//! vendor's latency with `overhead_count rounds`); `cargo test -p
//! chatbots-bench --benches` runs each benchmark once as a smoke test.
#![forbid(unsafe_code)]

use std::time::Duration;

use chatbots_bench::{IN_FLIGHT, Latency, Way, check_identical, run_batch, spawn_server, targets};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Requests per iteration at 64 in flight.
const BATCH: usize = 256;

fn overhead(c: &mut Criterion) {
    let server = spawn_server(Latency::NONE);
    // The client side: one thread, like the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let targets = runtime.block_on(targets(server.addr));
    runtime.block_on(check_identical(&server, &targets));

    for target in &targets {
        let vendor = target.vendor;
        let mut group = c.benchmark_group(format!("{vendor}-seq"));
        group.throughput(Throughput::Elements(1));
        for way in Way::ALL {
            group.bench_function(way.name(), |b| {
                b.iter(|| runtime.block_on(run_batch(target, way, 1, 1)))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("{vendor}-inflight{IN_FLIGHT}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.sample_size(20);
        for way in Way::ALL {
            group.bench_function(way.name(), |b| {
                b.iter(|| runtime.block_on(run_batch(target, way, BATCH, IN_FLIGHT)))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = overhead
}
criterion_main!(benches);
