//! `vitrine preview-token …`: mint and inspect the signed preview tokens a marketer adds to a
//! live URL (`?vitrine_preview=…`) to force segments, experiment arms or a date and read the
//! decision trace in `x-vitrine-explain`.
//!
//! Keys come only from `VITRINE_PREVIEW_KEYS` (never argv), a ring of its own: minting is
//! refused when it shares a secret with `VITRINE_COOKIE_KEYS` (set in the same environment),
//! as the Worker refuses such a ring. Exit codes: 0 ok, 1 the token was refused, 2 usage.

use std::process::ExitCode;

use clap::Subcommand;
use vitrine_compile::parse_duration;
use vitrine_core::cookie::{Attrs, KeyRing};
use vitrine_core::preview_token::{self, Preview, PARAM};

use crate::campaigns;

/// The preview key ring's variable.
const KEYS: &str = "VITRINE_PREVIEW_KEYS";

/// `vitrine preview-token` subcommands.
#[derive(Subcommand)]
pub enum PreviewTokenCmd {
    /// Sign a preview with a key of VITRINE_PREVIEW_KEYS; prints the token (or the URL).
    Mint {
        /// Key id to sign with (default: the current key, the first of the ring).
        #[arg(long)]
        kid: Option<String>,
        /// Preview as a profile with this segment (repeatable; replaces the visitor's own).
        #[arg(long = "segment", value_name = "SEGMENT")]
        segments: Vec<String>,
        /// Preview as a profile with these attributes (JSON object, as in the profile cookie).
        #[arg(long, value_name = "JSON")]
        attrs: Option<String>,
        /// Preview as an anonymous visitor.
        #[arg(long, conflicts_with_all = ["segments", "attrs"])]
        anonymous: bool,
        /// Force an experiment arm, `experiment=arm` (or `experiment=holdout`; repeatable).
        #[arg(long = "variant", value_name = "EXPERIMENT=ARM")]
        variants: Vec<String>,
        /// Decide as at this moment, RFC 3339 (`2026-12-24T10:00:00Z`).
        #[arg(long)]
        at: Option<String>,
        /// Lifetime: `90s`, `15m`, `2h`, at most `24h`.
        #[arg(long, default_value = "15m")]
        ttl: String,
        /// Print this page URL with the token added, instead of the bare token.
        #[arg(long)]
        url: Option<String>,
    },
    /// Verify a token with VITRINE_PREVIEW_KEYS and print what it forces as JSON; exit 1 with
    /// the exact reason when refused.
    Inspect {
        /// The token (the `vitrine_preview` value).
        token: String,
        /// Verify as of this Unix time instead of now.
        #[arg(long)]
        now: Option<u64>,
    },
}

/// Runs a preview-token subcommand; `Err` is a usage problem (exit 2).
pub fn run(cmd: PreviewTokenCmd) -> Result<ExitCode, String> {
    match cmd {
        PreviewTokenCmd::Mint {
            kid,
            segments,
            attrs,
            anonymous,
            variants,
            at,
            ttl,
            url,
        } => {
            let preview = Preview {
                segments: (!segments.is_empty()).then_some(segments),
                attrs: attrs.as_deref().map(parse_attrs).transpose()?,
                anonymous,
                variants: variants
                    .iter()
                    .map(|v| parse_variant(v))
                    .collect::<Result<_, _>>()?,
                at: at.as_deref().map(parse_at).transpose()?,
            };
            let ttl = parse_duration(&ttl)
                .ok_or_else(|| format!("--ttl {ttl}: write a number with s, m or h, e.g. 15m"))?;
            mint(kid.as_deref(), &preview, u64::from(ttl), url.as_deref())
        }
        PreviewTokenCmd::Inspect { token, now } => inspect(token.trim(), now),
    }
}

fn mint(
    kid: Option<&str>,
    preview: &Preview,
    ttl: u64,
    url: Option<&str>,
) -> Result<ExitCode, String> {
    let ring = ring()?;
    let key = match kid {
        Some(kid) => ring
            .get(kid)
            .ok_or_else(|| format!("{KEYS} has no key {kid:?}"))?,
        None => ring.current(),
    };
    let now = campaigns::now();
    let token = preview_token::mint(preview, key, now, ttl).map_err(|e| e.to_string())?;
    match url {
        Some(url) => println!("{}", with_token(url, &token)),
        None => println!("{token}"),
    }
    eprintln!(
        "valid for {ttl} s (until Unix {}), forcing: {}",
        now + ttl,
        match preview.summary() {
            s if s.is_empty() => "nothing (explain only)".to_owned(),
            s => s,
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn inspect(token: &str, now: Option<u64>) -> Result<ExitCode, String> {
    let ring = ring()?;
    match preview_token::verify(token, &ring, now.unwrap_or_else(campaigns::now)) {
        Ok(v) => {
            let p = &v.preview;
            let json = serde_json::json!({
                "iat": v.iat,
                "exp": v.exp,
                "segments": p.segments,
                "attributes": p.attrs.as_ref().map(|a| a.0.keys().collect::<Vec<_>>()),
                "anonymous": p.anonymous,
                "variants": p.variants.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                "at": p.at,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("refused: {why} ({})", why.code());
            Ok(ExitCode::from(1))
        }
    }
}

/// The preview ring, refused when it shares a secret with the profile ring.
fn ring() -> Result<KeyRing, String> {
    let text = std::env::var(KEYS)
        .map_err(|_| format!("{KEYS} is not set (format: kid:base64url-secret[,…])"))?;
    let ring = KeyRing::parse(&text).map_err(|e| format!("{KEYS}: {e}"))?;
    if let Ok(profile) = std::env::var("VITRINE_COOKIE_KEYS") {
        if KeyRing::parse(&profile).is_ok_and(|p| p.shares_a_secret_with(&ring)) {
            return Err(format!(
                "{KEYS} shares a secret with VITRINE_COOKIE_KEYS; give previews their own key \
                 (openssl rand 32 | basenc --base64url | tr -d =)"
            ));
        }
    }
    Ok(ring)
}

fn parse_attrs(json: &str) -> Result<Attrs, String> {
    serde_json::from_str(json).map_err(|e| format!("--attrs: {e}"))
}

fn parse_variant(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("--variant {text}: write experiment=arm, e.g. strip-copy=shipping"))
}

fn parse_at(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("--at {text}: {e} (write RFC 3339, e.g. 2026-12-24T10:00:00Z)"))
}

/// `url` with `vitrine_preview=TOKEN` added to its query (before any fragment).
fn with_token(url: &str, token: &str) -> String {
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}{PARAM}={token}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_goes_into_the_query_before_the_fragment() {
        assert_eq!(
            with_token("https://s/p", "t"),
            "https://s/p?vitrine_preview=t"
        );
        assert_eq!(
            with_token("https://s/p?a=1#top", "t"),
            "https://s/p?a=1&vitrine_preview=t#top"
        );
    }
}
