//! `--redis URL` (and `CHATBOTS_REDIS_URL`): the CLI's pacing shared
//! through a real `redis-server` (issue 23), and calls that go on when
//! that Redis does not answer.

use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use chatbots_sandbox::{Sandbox, Vendor};

const HOW: &str = "this test needs redis-server (`apt-get install -y redis-server`)";

/// A `redis-server` of its own on a unix socket, stopped when dropped.
struct Redis {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    fn start() -> Redis {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("redis.sock");
        let child = Process::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}; {HOW}"));
        // Owned first, so that it is stopped whatever happens next.
        let redis = Redis { child, dir };
        for _ in 0..500 {
            if socket.exists() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not open {}; {HOW}", socket.display());
    }

    fn url(&self) -> String {
        format!(
            "redis+unix://{}",
            self.dir.path().join("redis.sock").display()
        )
    }

    /// The keys, by `redis-cli` (shipped with redis-server).
    fn keys(&self) -> String {
        let output = Process::new("redis-cli")
            .arg("-s")
            .arg(self.dir.path().join("redis.sock"))
            .args(["KEYS", "*"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}; {HOW}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

fn sandbox() -> (tokio::runtime::Runtime, Sandbox) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = runtime.block_on(Sandbox::start()).expect("sandbox");
    (runtime, sandbox)
}

fn get(sandbox: &Sandbox, redis: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatbots"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--sandbox")
        .arg(format!("http://{}", sandbox.addr()))
        .args(["--redis", redis, "--json", "get"])
        .arg(format!(
            "okchat:{}",
            sandbox.demo_bot(Vendor::OkChat).expect("emulated")
        ));
    command
}

#[test]
fn redis_option_shares_the_budget_in_redis() {
    let (_runtime, sandbox) = sandbox();
    let redis = Redis::start();
    get(&sandbox, &redis.url()).assert().success();
    let keys = redis.keys();
    assert!(keys.contains("chatbots:pace:"), "{keys}");
    let key = sandbox.credentials(Vendor::OkChat).expect("emulated").key;
    assert!(!keys.contains(key), "{keys}");
}

#[test]
fn a_redis_that_does_not_answer_does_not_stop_the_command() {
    let (_runtime, sandbox) = sandbox();
    // Nothing listens on port 1; the password never shows.
    let output = get(&sandbox, "redis://:pw-1234@127.0.0.1:1/")
        .assert()
        .success();
    let shown = format!("{output:?}");
    assert!(!shown.contains("pw-1234"), "{shown}");
}
