//! `cargo run -p chatbots-sandbox -- --port 8080`: the sandbox on its own,
//! until Ctrl-C. Prints each vendor's base URL and credentials.
#![forbid(unsafe_code)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use chatbots_sandbox::{FaultRule, RateLimitRule, Sandbox, Vendor};

const USAGE: &str = "\
usage: chatbots-sandbox [--port N] [--host ADDR] [--fault RULE]... [--rate-limit LIMIT]...
                        [--no-rate-limit] [--bots N]
                        [--converza-token-ttl SECONDS] [--body-limit BYTES]

  --port N          port to listen on (default 8080; 0 picks a free one)
  --host ADDR       address to bind (default 127.0.0.1)
  --fault RULE      inject a fault; repeatable. RULE is KIND[,FILTER...]:
                      KIND   latency=<ms> | rate-limit=<retry-after s> | status=<code>
                             | malformed-json | truncate | reset
                      FILTER vendor=<slug> | route=<path prefix> | method=<METHOD>
                             | times=<n> | fraction=<0..1>
                    e.g. --fault status=503,vendor=okchat,times=2
                         --fault latency=1500,fraction=0.1
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
";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Some(builder)) => run(builder),
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("chatbots-sandbox: {message}\n\n{USAGE}");
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
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(builder.addr(SocketAddr::new(host, port))))
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
        println!("chatbots-sandbox listening on http://{}", sandbox.addr());
        println!();
        for vendor in Vendor::ALL {
            let creds = sandbox.credentials(vendor);
            println!("{}", vendor.title());
            println!("  base URL: {}", sandbox.base_url(vendor));
            println!("  key:      {}", creds.key);
            if let Some(secret) = creds.secret {
                println!("  secret:   {secret}");
            }
            println!("  auth:     {}", creds.how);
            if let Some(limit) = sandbox.settings().rate_limit(vendor) {
                println!("  limit:    {limit} per credential");
            }
            let seeded = sandbox.seeded_bots(vendor);
            if let (Some(first), Some(last)) = (seeded.first(), seeded.last()) {
                println!("  bots:     {} seeded, {first} … {last}", seeded.len());
            }
        }
        let rules = sandbox.faults().rules();
        if !rules.is_empty() {
            println!("\nfaults: {rules:?}");
        }
        println!(
            "\nGET http://{}/_sandbox/credentials lists these as JSON.",
            sandbox.addr()
        );
        println!("Ctrl-C stops it.");
        let _ = tokio::signal::ctrl_c().await;
        ExitCode::SUCCESS
    })
}
