//! `vitrine cookie …`: mint and inspect profile cookies, inspect activity cookies.
//!
//! Key rings come only from the environment (`VITRINE_COOKIE_KEYS`, `VITRINE_ACTIVITY_KEYS`),
//! in the same `kid:secret[,…]` format the Worker reads, never from argv (argv is visible to
//! every user of the machine in `ps`). Exit codes: 0 ok, 1 the token was rejected, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Subcommand;
use vitrine_core::cookie::{self, activity, KeyRing, TimePolicy, VerifiedProfile};

/// `vitrine cookie` subcommands.
#[derive(Subcommand)]
pub enum CookieCmd {
    /// Sign claims (a JSON file) with a key of VITRINE_COOKIE_KEYS; prints the token.
    Mint {
        /// Key id to sign with (default: the current key, the first of the ring).
        #[arg(long)]
        kid: Option<String>,
        /// JSON object of claims (`sub`, `exp` required; see docs/profile-claims.schema.json).
        #[arg(long)]
        claims: PathBuf,
    },
    /// Verify a profile token with VITRINE_COOKIE_KEYS and print its claims as JSON; exit 1
    /// with the exact reason when rejected.
    Inspect {
        /// The token (the cookie value).
        token: String,
        #[command(flatten)]
        clock: Clock,
    },
    /// Verify an activity cookie value with VITRINE_ACTIVITY_KEYS and print it as JSON.
    Activity {
        /// The `__Host-vitrine_activity` cookie value.
        value: String,
    },
}

/// Clock and time policy for `inspect`.
#[derive(clap::Args)]
pub struct Clock {
    /// Verify as of this Unix time instead of now.
    #[arg(long)]
    now: Option<u64>,
    /// Clock skew tolerated on exp/nbf/iat, seconds.
    #[arg(long, default_value_t = 60)]
    leeway: u64,
    /// Refuse profiles issued longer ago than this many seconds.
    #[arg(long)]
    max_age: Option<u64>,
}

/// Runs a cookie subcommand; `Err` is a usage or I/O problem (exit 2).
pub fn run(cmd: CookieCmd) -> Result<ExitCode, String> {
    match cmd {
        CookieCmd::Mint { kid, claims } => mint(kid.as_deref(), &claims),
        CookieCmd::Inspect { token, clock } => inspect(token.trim(), &clock),
        CookieCmd::Activity { value } => {
            let ring = ring("VITRINE_ACTIVITY_KEYS")?;
            match activity::open(value.trim(), &ring) {
                Ok(opened) => {
                    print_json(&serde_json::json!({
                        "activity": opened.activity,
                        "rotated": opened.rotated,
                    }));
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => Ok(rejected(&why.to_string(), why.code())),
            }
        }
    }
}

fn mint(kid: Option<&str>, path: &PathBuf) -> Result<ExitCode, String> {
    let ring = ring("VITRINE_COOKIE_KEYS")?;
    let key = match kid {
        Some(kid) => ring
            .get(kid)
            .ok_or_else(|| format!("kid {kid:?} is not in VITRINE_COOKIE_KEYS"))?,
        None => ring.current(),
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    if !claims.is_object() {
        return Err(format!("{}: claims must be a JSON object", path.display()));
    }
    let token = cookie::mint_with_key(&claims, key);
    // Tell the user now if the edge would refuse what they minted.
    if let Err(why) = cookie::verify(&token, &ring, now(), TimePolicy::default()) {
        eprintln!(
            "warning: the edge will reject this token: {why} ({})",
            why.code()
        );
    }
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn inspect(token: &str, clock: &Clock) -> Result<ExitCode, String> {
    let ring = ring("VITRINE_COOKIE_KEYS")?;
    let policy = TimePolicy {
        leeway_secs: clock.leeway,
        max_age_secs: clock.max_age,
    };
    match cookie::verify(token, &ring, clock.now.unwrap_or_else(now), policy) {
        Ok(profile) => {
            print_json(&claims_json(&profile));
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => Ok(rejected(&why.to_string(), why.code())),
    }
}

/// The verified claims (unverified attributes already dropped).
fn claims_json(p: &VerifiedProfile) -> serde_json::Value {
    serde_json::json!({ "sub": p.sub, "seg": p.segments, "attrs": p.attrs, "exp": p.exp })
}

fn rejected(reason: &str, code: &str) -> ExitCode {
    eprintln!("rejected: {reason} ({code})");
    ExitCode::from(1)
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// The key ring in environment variable `name`.
pub fn ring(name: &str) -> Result<KeyRing, String> {
    let text = std::env::var(name)
        .map_err(|_| format!("{name} is not set (format: kid:base64url-secret[,…])"))?;
    KeyRing::parse(&text).map_err(|e| format!("{name}: {e}"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
