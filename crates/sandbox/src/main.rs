//! `cargo run -p chatbots-sandbox -- --port 8080`: the sandbox on its own,
//! until Ctrl-C. Prints each vendor's base URL and credentials.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use chatbots_sandbox::{FaultRule, RateLimitRule, Sandbox, Vendor, printable};

const USAGE: &str = "\
usage: chatbots-sandbox [--port N] [--host ADDR] [--fault RULE]... [--rate-limit LIMIT]...
                        [--no-rate-limit] [--bots N]
                        [--converza-token-ttl SECONDS] [--body-limit BYTES]
                        [--header-read-timeout TIME] [--idle-timeout TIME]

  --port N          port to listen on (default 8080; 0 picks a free one)
  --host ADDR       address to bind (default 127.0.0.1)
  --fault RULE      inject a fault; repeatable. RULE is KIND[,FILTER...]:
                      KIND   latency=<ms, at most 600000> | rate-limit=<retry-after s>
                             | status=<code>
                             | malformed-json | truncate | reset
                             | drop-field=<field>: an update of a bot is
                               answered as usual but that field is not
                               stored (a shared name such as greeting, or
                               a body path such as settings.greeting;
                               at most 256 bytes; reads are untouched)
                      FILTER vendor=<slug> | route=<path prefix> | method=<METHOD>
                             | times=<n> | fraction=<0..1>
                    e.g. --fault status=503,vendor=okchat,times=2
                         --fault latency=1500,fraction=0.1
                         --fault drop-field=greeting,vendor=puretalk,times=1
                    While running: POST the same text to /_sandbox/faults,
                    DELETE /_sandbox/faults to clear.
                    GET /_sandbox/credentials answers every vendor's base URL
                    and credentials as JSON (what `chatbots --sandbox URL` reads).
  --rate-limit LIMIT  a vendor's rate limit; repeatable. LIMIT is
                    <vendor>=<rate>/s[,burst=<n>] or <vendor>=off: a token bucket
                    per credential (burst by default <rate> rounded up), 429 with
                    Retry-After in the vendor's error shape when empty.
                    StreamSkill's documented bucket (burst 30, 2/s) is on by
                    default, the others' are off.
                    e.g. --rate-limit okchat=10/s,burst=10
                         --rate-limit streamskill=off
  --no-rate-limit   turn off StreamSkill's token bucket (= --rate-limit streamskill=off)
  --bots N          seed N more bots per vendor (deterministic ids) for scale tests
  --converza-token-ttl SECONDS   lifetime of issued Converza JWTs (default 86400)
  --body-limit BYTES             largest accepted request body (default 1048576)
  --header-read-timeout TIME     a connection that has not sent a whole request head
                                 this long after the sandbox began waiting for one
                                 (at its start, or after the last answer) is closed
                                 (default 10s; TIME is <n>s or <n>ms, 1ms to 1 day)
  --idle-timeout TIME            a connection on which no byte moves this long while
                                 a body is read or an answer written is closed
                                 (default 60s; latency faults do not count)
";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Some(builder)) => run(builder),
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            // The message quotes arguments as given: escaped, so that they
            // cannot drive the terminal.
            eprintln!("chatbots-sandbox: {}\n\n{USAGE}", printable(&message));
            ExitCode::from(2)
        }
    }
}

fn parse(
    mut args: impl Iterator<Item = String>,
) -> Result<Option<chatbots_sandbox::SandboxBuilder>, String> {
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut port: u16 = 8080;
    let mut builder = Sandbox::builder();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("--port")?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port"))?;
            }
            "--host" => {
                let v = value("--host")?;
                host = v
                    .parse()
                    .map_err(|_| format!("--host: `{v}` is not an IP address"))?;
            }
            "--fault" => {
                let rule: FaultRule = value("--fault")?
                    .parse()
                    .map_err(|e| format!("--fault: {e}"))?;
                builder = builder.fault(rule);
            }
            "--rate-limit" => {
                let rule: RateLimitRule = value("--rate-limit")?
                    .parse()
                    .map_err(|e| format!("--rate-limit: {e}"))?;
                builder = builder.rate_limit_rule(rule);
            }
            "--no-rate-limit" => builder = builder.streamskill_rate_limit(None),
            "--bots" => {
                let v = value("--bots")?;
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--bots: `{v}` is not a whole number of bots ≥ 0"))?;
                builder = builder.bots(n);
            }
            "--converza-token-ttl" => {
                let v = value("--converza-token-ttl")?;
                let secs: u64 = v.parse().map_err(|_| {
                    format!("--converza-token-ttl: `{v}` is not a number of seconds")
                })?;
                builder = builder.converza_token_ttl(Duration::from_secs(secs));
            }
            "--body-limit" => {
                let v = value("--body-limit")?;
                let bytes: usize = v
                    .parse()
                    .map_err(|_| format!("--body-limit: `{v}` is not a number of bytes"))?;
                builder = builder.body_limit(bytes);
            }
            "--header-read-timeout" => {
                let v = value("--header-read-timeout")?;
                builder = builder.header_read_timeout(timeout("--header-read-timeout", &v)?);
            }
            "--idle-timeout" => {
                let v = value("--idle-timeout")?;
                builder = builder.idle_timeout(timeout("--idle-timeout", &v)?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(builder.addr(SocketAddr::new(host, port))))
}

/// `<n>s`, `<n>ms` or `<n>` (seconds), from 1 ms to a day.
fn timeout(flag: &str, text: &str) -> Result<Duration, String> {
    let (number, per_unit) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, Duration::from_millis(1))
    } else {
        (
            text.strip_suffix('s').unwrap_or(text),
            Duration::from_secs(1),
        )
    };
    let refused = || format!("{flag}: `{text}` is not a time from 1ms to 86400s (e.g. 10s, 300ms)");
    let n: u32 = number.parse().map_err(|_| refused())?;
    let time = per_unit * n;
    if time.is_zero() || time > Duration::from_secs(86_400) {
        return Err(refused());
    }
    Ok(time)
}

/// What the sandbox prints when it starts: where it listens, each
/// vendor's base URL and credentials, the fault rules.
fn banner(sandbox: &Sandbox) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_banner(&mut out, sandbox);
    out
}

fn write_banner(out: &mut String, sandbox: &Sandbox) -> std::fmt::Result {
    writeln!(
        out,
        "chatbots-sandbox listening on http://{}",
        sandbox.addr()
    )?;
    writeln!(out)?;
    for vendor in Vendor::ALL {
        let Some(creds) = sandbox.credentials(vendor) else {
            writeln!(
                out,
                "{}: not emulated (404 under /{vendor})",
                vendor.title()
            )?;
            continue;
        };
        writeln!(out, "{}", vendor.title())?;
        writeln!(out, "  base URL: {}", sandbox.base_url(vendor))?;
        writeln!(out, "  key:      {}", creds.key)?;
        if let Some(secret) = creds.secret {
            writeln!(out, "  secret:   {secret}")?;
        }
        writeln!(out, "  auth:     {}", creds.how)?;
        if let Some(limit) = sandbox.settings().rate_limit(vendor) {
            writeln!(out, "  limit:    {limit} per credential")?;
        }
        let seeded = sandbox.seeded_bots(vendor);
        if let (Some(first), Some(last)) = (seeded.first(), seeded.last()) {
            writeln!(out, "  bots:     {} seeded, {first} … {last}", seeded.len())?;
        }
        // Every other account: its own credentials and bots.
        for account in Sandbox::accounts().iter().skip(1) {
            let Some(creds) = sandbox.credentials_of(vendor, account) else {
                continue;
            };
            writeln!(out, "  account {account}:")?;
            writeln!(out, "    key:      {}", creds.key)?;
            if let Some(secret) = creds.secret {
                writeln!(out, "    secret:   {secret}")?;
            }
            if let Some(demo) = sandbox.demo_bot_in(vendor, account) {
                writeln!(out, "    demo bot: {demo}")?;
            }
            let seeded = sandbox.seeded_bots_in(vendor, account);
            if let (Some(first), Some(last)) = (seeded.first(), seeded.last()) {
                writeln!(
                    out,
                    "    bots:     {} seeded, {first} … {last}",
                    seeded.len()
                )?;
            }
        }
    }
    let rules = sandbox.faults().rules();
    if !rules.is_empty() {
        // Each as `--fault` takes it (control characters escaped).
        writeln!(out, "\nfaults:")?;
        for rule in rules {
            writeln!(out, "  {rule}")?;
        }
    }
    writeln!(
        out,
        "\nGET http://{}/_sandbox/credentials lists these as JSON.",
        sandbox.addr()
    )?;
    writeln!(out, "Ctrl-C stops it.")
}

fn run(builder: chatbots_sandbox::SandboxBuilder) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chatbots-sandbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let sandbox = match builder.start().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("chatbots-sandbox: cannot listen: {e}");
                return ExitCode::FAILURE;
            }
        };
        // A closed or full stdout (a parent that read only the first line)
        // must not stop the server: print once, ignore the outcome.
        let _ = std::io::stdout()
            .lock()
            .write_all(banner(&sandbox).as_bytes());
        let _ = tokio::signal::ctrl_c().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_banner_lists_every_accounts_credentials_and_bots() {
        let sandbox = Sandbox::builder().bots(3).start().await.expect("starts");
        let banner = banner(&sandbox);
        for vendor in sandbox.emulated_vendors() {
            for account in Sandbox::accounts() {
                let creds = sandbox.credentials_of(vendor, account).expect("emulated");
                assert!(banner.contains(creds.key), "{vendor}@{account}: {banner}");
                if let Some(secret) = creds.secret {
                    assert!(banner.contains(secret), "{vendor}@{account}");
                }
                let seeded = sandbox.seeded_bots_in(vendor, account);
                assert!(banner.contains(&seeded[2]), "{vendor}@{account}");
            }
        }
        assert!(banner.contains("account client-b:"), "{banner}");
    }
}
