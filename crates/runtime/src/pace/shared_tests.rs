//! Shared pacing against a real `redis-server` (issue 23): two pacers on
//! two connections are one budget, a 429 seen by one holds the other,
//! `SCRIPT FLUSH` and a stopped Redis are survived, nothing secret is
//! stored or shown.
//!
//! The Redis is `CHATBOTS_TEST_REDIS_URL` if set (`.ci/run` starts one),
//! else one started here from `redis-server` on a unix socket; the test
//! that stops Redis always starts its own. Without either, the tests fail
//! saying how to get one: they are never skipped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use tokio::time::Instant;

use super::shared::{OnOutage, Shared, SharedPacing};
use super::{NoTurn, Pacer, RateLimit};
use crate::CredentialId;

const HOW: &str = "these tests need a Redis: install redis-server (`apt-get install -y \
    redis-server`), or start one (`redis-server --port 6390 --save '' --appendonly no`) and \
    set CHATBOTS_TEST_REDIS_URL=redis://127.0.0.1:6390";

/// A Redis for one test; the one it started is stopped when dropped.
struct Redis {
    url: String,
    child: Option<Child>,
    dir: Option<PathBuf>,
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // In case a test failed while it was stopped.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Redis {
    /// The test Redis: `CHATBOTS_TEST_REDIS_URL`, or one of its own.
    fn any() -> Redis {
        match std::env::var("CHATBOTS_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Redis {
                url,
                child: None,
                dir: None,
            },
            _ => Redis::own(),
        }
    }

    /// A `redis-server` of its own, on a unix socket, persistence off.
    fn own() -> Redis {
        let dir = std::env::temp_dir().join(format!(
            "chatbots-redis-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let binary =
            std::env::var("CHATBOTS_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{binary}`: {e}; {HOW}"));
        let redis = Redis {
            url: format!("redis+unix://{}", socket.display()),
            child: Some(child),
            dir: Some(dir),
        };
        for _ in 0..500 {
            if socket.exists() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("`{binary}` did not open {}; {HOW}", socket.display());
    }

    fn pid(&self) -> String {
        self.child
            .as_ref()
            .expect("a Redis of its own")
            .id()
            .to_string()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    async fn command(&self, args: &[&str]) -> redis::Value {
        let client =
            redis::Client::open(self.url.as_str()).unwrap_or_else(|e| panic!("{e}; {HOW}"));
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("{e}; {HOW}"));
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command.query_async(&mut connection).await.unwrap()
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::hash::RandomState::new().build_hasher().finish()
}

/// Settings with a prefix of this test's own, so that tests sharing one
/// Redis do not share budgets.
fn settings(redis: &Redis) -> SharedPacing {
    SharedPacing {
        key_prefix: format!("chatbots-test:{}:", rand_suffix()),
        command_timeout: Duration::from_millis(200),
        ..SharedPacing::new(redis.url.clone())
    }
}

/// A pacer of its own (its own connection), as another process has.
fn process(settings: &SharedPacing, limit: Option<RateLimit>, secret: &str) -> Arc<Pacer> {
    let credential = CredentialId::of([secret.as_bytes()]);
    let shared = Shared::new(
        settings.clone(),
        "test",
        "http://vendor.test",
        limit,
        limit.map_or(1, super::usable_burst),
        credential.stable(),
    );
    Arc::new(Pacer::with(limit, Some(Arc::new(shared))))
}

const LIMIT: RateLimit = RateLimit {
    burst: 5,
    per_second: 10.0,
};

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Logs written while a test runs, to read back.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || logs.clone())
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn two_processes_on_one_credential_share_one_budget() {
    let redis = Redis::any();
    let settings = settings(&redis);
    // A slow limit, so that "at once" and "paced" are 250 ms apart: a
    // loaded machine's Redis round trips do not blur them.
    const SLOW: RateLimit = RateLimit {
        burst: 5,
        per_second: 2.0,
    };
    let a = process(&settings, Some(SLOW), "key-1");
    let b = process(&settings, Some(SLOW), "key-1");
    let start = Instant::now();
    // 12 turns, 6 each, at once. Alone, each would send 4 (the burst less
    // a spare token) at once and be done in 1 s; together they get 4 at
    // once between them, then one every 500 ms.
    let turns: Vec<_> = (0..12)
        .map(|i| {
            let pacer = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                pacer.acquire(far()).await.unwrap();
                Instant::now() - start
            })
        })
        .collect();
    let mut times = Vec::new();
    for turn in turns {
        times.push(turn.await.unwrap());
    }
    times.sort();
    let at_once = times
        .iter()
        .filter(|t| **t < Duration::from_millis(250))
        .count();
    assert_eq!(at_once, 4, "{times:?}");
    assert!(times[11] >= Duration::from_millis(3750), "{times:?}");
    assert!(times[11] < Duration::from_millis(6000), "{times:?}");
    // Another credential has a budget of its own.
    let c = process(&settings, Some(SLOW), "key-2");
    let started = Instant::now();
    c.acquire(far()).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(250));
    // Both counted as processes of the budget.
    a.acquire(far()).await.unwrap();
    let shared = a.shared.as_ref().unwrap();
    assert_eq!(
        shared.processes.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test]
async fn a_429_seen_by_one_process_holds_the_others() {
    let redis = Redis::any();
    let settings = settings(&redis);
    let a = process(&settings, Some(LIMIT), "key");
    let b = process(&settings, Some(LIMIT), "key");
    let permit = a.acquire(far()).await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("2"));
    a.observe(
        permit,
        StatusCode::TOO_MANY_REQUESTS,
        &headers,
        Duration::from_secs(60),
    );
    // The hold goes to Redis on a task of its own.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let turn = b.acquire(far()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1700), "{turn:?}");
    assert!(turn.waited >= Duration::from_millis(1700), "{turn:?}");
}

/// A turn B reserved before A's 429 is cancelled by A's hold: B learns of
/// it from Redis when its turn comes, not only from its own 429s.
#[tokio::test]
async fn a_hold_from_another_process_cancels_turns_already_reserved() {
    let redis = Redis::any();
    let settings = settings(&redis);
    // One request at once (2 less a spare token), then one a second.
    let limit = RateLimit {
        burst: 2,
        per_second: 1.0,
    };
    let a = process(&settings, Some(limit), "key");
    let b = process(&settings, Some(limit), "key");
    let permit = a.acquire(far()).await.unwrap();
    let start = Instant::now();
    let waiting = {
        let b = b.clone();
        tokio::spawn(async move {
            let turn = b.acquire(far()).await.unwrap();
            (Instant::now(), turn)
        })
    };
    // B's turn is granted, a second ahead, before A's 429 comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    let throttled = Instant::now();
    a.observe(
        permit,
        StatusCode::TOO_MANY_REQUESTS,
        &headers,
        Duration::from_secs(60),
    );
    let (sent, turn) = waiting.await.unwrap();
    // Not at its reserved second: after A's hold (3 s from the 429, less
    // the time the hold takes to reach Redis).
    assert!(
        sent - throttled >= Duration::from_millis(2900),
        "sent {:?} after the 429, {:?} after asking; {turn:?}",
        sent - throttled,
        sent - start
    );
    assert!(sent - start < Duration::from_secs(5), "{:?}", sent - start);
    assert!(turn.waited >= Duration::from_millis(2900), "{turn:?}");
}

/// Every turn's answer tells how much of a hold is left: a process knows of
/// another's hold (its `wait`, which a retry's deadline check reads) as soon
/// as it asks for a turn.
#[tokio::test]
async fn every_turn_tells_the_hold_another_process_set() {
    let redis = Redis::any();
    let settings = settings(&redis);
    let a = process(&settings, Some(LIMIT), "key");
    let b = process(&settings, Some(LIMIT), "key");
    let permit = a.acquire(far()).await.unwrap();
    b.acquire(far()).await.unwrap();
    assert_eq!(b.wait(), Duration::ZERO);
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("2"));
    a.observe(
        permit,
        StatusCode::TOO_MANY_REQUESTS,
        &headers,
        Duration::from_secs(60),
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = {
        let b = b.clone();
        tokio::spawn(async move { b.acquire(far()).await.unwrap() })
    };
    // Known once Redis has answered B's turn (a few ms; more on a busy
    // machine).
    let mut wait = Duration::ZERO;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        wait = b.wait();
        if !wait.is_zero() {
            break;
        }
    }
    assert!(wait >= Duration::from_millis(1200), "{wait:?}");
    waiting.await.unwrap();
}

#[tokio::test]
async fn a_learned_rate_is_shared_and_a_storm_lowers_it_once() {
    let redis = Redis::any();
    let settings = settings(&redis);
    let a = process(&settings, None, "key");
    let b = process(&settings, None, "key");
    let mut permits = Vec::new();
    for pacer in [&a, &b] {
        for _ in 0..4 {
            permits.push((pacer.clone(), pacer.acquire(far()).await.unwrap()));
        }
    }
    assert_eq!(a.rate(), None, "probing: nothing learned");
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("1"));
    // Every request of the storm comes back 429, in both processes.
    for (pacer, permit) in permits {
        pacer.observe(
            permit,
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            Duration::from_secs(60),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Lowered once, from the probing rate (16/s) to 70 % of it: not
    // 16 × 0.7^8.
    b.acquire(far()).await.unwrap();
    let rate = b.rate().expect("learned");
    assert!((rate - 11.2).abs() < 0.2, "{rate}");
    a.acquire(far()).await.unwrap();
    let shared_rate = a.rate().unwrap();
    // The same rate, grown a little since (5 % of it per second).
    assert!(
        shared_rate >= rate && shared_rate < 12.5,
        "{shared_rate} {rate}"
    );
}

#[tokio::test]
async fn script_flush_mid_run_is_survived() {
    let redis = Redis::any();
    let logs = Logs::default();
    let _guard = logs.capture();
    let settings = settings(&redis);
    let a = process(&settings, Some(LIMIT), "key");
    a.acquire(far()).await.unwrap();
    redis.command(&["SCRIPT", "FLUSH"]).await;
    a.acquire(far()).await.unwrap();
    let shared = a.shared.as_ref().unwrap();
    assert!(!shared.in_outage(), "{}", logs.text());
    assert!(!logs.text().contains("does not answer"), "{}", logs.text());
}

#[tokio::test]
async fn redis_stopped_for_5_s_falls_back_locally_and_sharing_resumes() {
    let redis = Redis::own();
    let logs = Logs::default();
    let _guard = logs.capture();
    let settings = settings(&redis);
    let limit = RateLimit {
        burst: 4,
        per_second: 20.0,
    };
    let a = process(&settings, Some(limit), "key");
    let b = process(&settings, Some(limit), "key");
    let start = Instant::now();
    let mut stopped = false;
    let mut resumed = false;
    let mut turns = 0;
    let mut saw_outage = false;
    while start.elapsed() < Duration::from_secs(9) {
        if !stopped && start.elapsed() >= Duration::from_secs(1) {
            redis.signal("-STOP");
            stopped = true;
        }
        if stopped && !resumed && start.elapsed() >= Duration::from_secs(6) {
            redis.signal("-CONT");
            resumed = true;
        }
        for pacer in [&a, &b] {
            // Every turn is given: no call fails because Redis is away.
            pacer.acquire(far()).await.unwrap();
            turns += 1;
        }
        saw_outage |= a.shared.as_ref().unwrap().in_outage();
    }
    assert!(saw_outage, "{}", logs.text());
    for pacer in [&a, &b] {
        assert!(
            !pacer.shared.as_ref().unwrap().in_outage(),
            "{}",
            logs.text()
        );
    }
    let text = logs.text();
    // One warning per process and outage, and the return noted.
    assert_eq!(text.matches("does not answer").count(), 2, "{text}");
    assert!(text.contains("answers again"), "{text}");
    // At the shared rate most of the time: 20/s over 9 s, less the stop.
    assert!(turns > 60, "{turns}");
}

#[tokio::test]
async fn without_redis_a_process_paces_at_its_share_or_fails_if_asked() {
    let logs = Logs::default();
    let _guard = logs.capture();
    // Nothing listens on port 1; the URL holds a password.
    let settings = SharedPacing {
        command_timeout: Duration::from_millis(100),
        assumed_processes: 2,
        ..SharedPacing::new("redis://:s3cret-pw@127.0.0.1:1/")
    };
    let limit = RateLimit {
        burst: 8,
        per_second: 20.0,
    };
    let a = process(&settings, Some(limit), "key");
    let start = Instant::now();
    for _ in 0..8 {
        a.acquire(far()).await.unwrap();
    }
    // Half the limit (2 processes assumed): a burst of 3 (4 less a spare
    // token), then 10/s.
    assert!(
        start.elapsed() >= Duration::from_millis(450),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(a.rate(), Some(10.0));
    let text = logs.text();
    assert_eq!(text.matches("does not answer").count(), 1, "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");

    let failing = SharedPacing {
        on_outage: OnOutage::Fail,
        ..settings
    };
    let b = process(&failing, Some(limit), "key");
    // Fails instead, saying so: not a turn past the deadline.
    match b.acquire(far()).await {
        Err(NoTurn::SharedOutage(why)) => {
            assert!(why.contains("Redis at 127.0.0.1:1 did not answer"), "{why}");
            assert!(!why.contains("s3cret-pw"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // While the outage lasts (Redis not asked again yet), the same.
    assert!(matches!(
        b.acquire(far()).await,
        Err(NoTurn::SharedOutage(_))
    ));
}

#[tokio::test]
async fn keys_and_debug_never_hold_a_secret() {
    let redis = Redis::any();
    let secret = "sk-live-0123456789abcdef";
    let settings = SharedPacing {
        deployment_key: SecretString::from("deployment-key-42"),
        ..settings(&redis)
    };
    let a = process(&settings, Some(LIMIT), secret);
    a.acquire(far()).await.unwrap();
    let redis::Value::Array(keys) = redis
        .command(&["KEYS", &format!("{}*", settings.key_prefix)])
        .await
    else {
        panic!("KEYS answers an array");
    };
    assert_eq!(keys.len(), 2, "the budget and its processes");
    let unkeyed: String = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for key in keys {
        let redis::Value::BulkString(key) = key else {
            panic!("a key is a string");
        };
        let key = String::from_utf8(key).unwrap();
        let hash = key.strip_prefix(&settings.key_prefix).unwrap();
        let hash = hash.strip_suffix(":processes").unwrap_or(hash);
        assert_eq!(hash.len(), 64, "{key}");
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
        assert!(!key.contains(secret) && !key.contains(&unkeyed), "{key}");
    }
    // The same credential gives the same key in every process; another
    // deployment key, another.
    let again = process(&settings, Some(LIMIT), secret);
    assert_eq!(
        a.shared.as_ref().unwrap().key(),
        again.shared.as_ref().unwrap().key()
    );
    let other = SharedPacing {
        deployment_key: SecretString::from("another"),
        ..settings.clone()
    };
    let other = process(&other, Some(LIMIT), secret);
    assert_ne!(
        a.shared.as_ref().unwrap().key(),
        other.shared.as_ref().unwrap().key()
    );
    let debug = format!("{a:?} {settings:?}");
    assert!(
        !debug.contains(secret) && !debug.contains("deployment-key-42"),
        "{debug}"
    );
}
