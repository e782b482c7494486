//! `--remote`: the Analytics Engine SQL API request and the reading of its answer. Pure: the
//! CLI sends the [`Request`] (it owns the HTTP client) and hands the answer to [`read`].
//!
//! The query selects the columns of [`layout::COLUMNS`] plus `_sample_interval` (a sampled row
//! is flagged, never counted as one visitor) from the dataset, oldest first, in `FORMAT JSON`.
//! The token is sent only in the `Authorization` header and never printed.

use super::input::{self, Parsed};
use vitrine_core::measure::sink::layout;

/// The SQL API endpoint; `{account}` is the account id.
pub const ENDPOINT: &str =
    "https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql";

/// Default dataset the edge writes to.
pub const DEFAULT_DATASET: &str = "vitrine_events";

/// Why the remote read cannot go on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoteError {
    /// No API token.
    #[error("CLOUDFLARE_API_TOKEN is not set: create a token with the \"Account Analytics: Read\" permission and export it")]
    MissingToken,
    /// No account id.
    #[error("CLOUDFLARE_ACCOUNT_ID is not set: export your account id (dashboard → Workers & Pages → Account ID)")]
    MissingAccount,
    /// A dataset name that is not an identifier (it is pasted into SQL).
    #[error("dataset {0:?} is not a name (letters, digits and _ only)")]
    Dataset(String),
    /// An account id that is not hex.
    #[error("CLOUDFLARE_ACCOUNT_ID {0:?} is not an account id (hex digits)")]
    Account(String),
    /// The API answered with an error status.
    #[error("Analytics Engine SQL API answered HTTP {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The answer is not the expected JSON.
    #[error(transparent)]
    Input(#[from] input::InputError),
}

/// Where and how to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// POST target.
    pub url: String,
    /// `Authorization` header value.
    pub authorization: String,
    /// The SQL text (the request body).
    pub sql: String,
}

/// Builds the request from the environment's token and account, the dataset and a start time.
pub fn request(
    token: Option<&str>,
    account: Option<&str>,
    dataset: &str,
    since: Option<u64>,
) -> Result<Request, RemoteError> {
    let token = token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(RemoteError::MissingToken)?;
    let account = account
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or(RemoteError::MissingAccount)?;
    if !account.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RemoteError::Account(account.to_owned()));
    }
    Ok(Request {
        url: ENDPOINT.replace("{account}", account),
        authorization: format!("Bearer {token}"),
        sql: sql(dataset, since)?,
    })
}

/// The query for `dataset` since `since` (Unix seconds, on the event's own `ts`).
pub fn sql(dataset: &str, since: Option<u64>) -> Result<String, RemoteError> {
    let valid = !dataset.is_empty()
        && dataset
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !dataset.as_bytes()[0].is_ascii_digit();
    if !valid {
        return Err(RemoteError::Dataset(dataset.to_owned()));
    }
    let filter = since.map_or(String::new(), |s| format!(" WHERE double1 >= {s}"));
    Ok(format!(
        "SELECT {}, _sample_interval FROM {dataset}{filter} ORDER BY double1 FORMAT JSON",
        layout::COLUMNS.join(", ")
    ))
}

/// Reads the answer: an error status is an error, the body the SQL API's JSON.
pub fn read(status: u16, body: &str) -> Result<Parsed, RemoteError> {
    if !(200..300).contains(&status) {
        let start: String = body.chars().take(300).collect();
        return Err(RemoteError::Status {
            status,
            body: start,
        });
    }
    Ok(input::sql_json(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_account_token_and_columns() {
        let r = request(
            Some("tok"),
            Some("0123abcd"),
            "vitrine_events",
            Some(1_764_000_000),
        );
        let r = r.unwrap_or_else(|e| Request {
            url: e.to_string(),
            authorization: String::new(),
            sql: String::new(),
        });
        assert_eq!(
            r.url,
            "https://api.cloudflare.com/client/v4/accounts/0123abcd/analytics_engine/sql"
        );
        assert_eq!(r.authorization, "Bearer tok");
        assert_eq!(
            r.sql,
            "SELECT index1, blob1, blob2, blob3, blob4, blob5, blob6, blob7, blob8, double1, double2, double3, double4, blob9, _sample_interval FROM vitrine_events WHERE double1 >= 1764000000 ORDER BY double1 FORMAT JSON"
        );
    }

    #[test]
    fn missing_or_unsafe_settings_are_refused_by_name() {
        assert_eq!(
            request(None, Some("ab"), "d", None),
            Err(RemoteError::MissingToken)
        );
        assert_eq!(
            request(Some(" "), Some("ab"), "d", None),
            Err(RemoteError::MissingToken)
        );
        assert_eq!(
            request(Some("t"), None, "d", None),
            Err(RemoteError::MissingAccount)
        );
        assert!(matches!(
            request(Some("t"), Some("ab/../x"), "d", None),
            Err(RemoteError::Account(_))
        ));
        for bad in ["", "x; DROP TABLE y", "1abc", "a-b"] {
            assert_eq!(
                sql(bad, None),
                Err(RemoteError::Dataset(bad.into())),
                "{bad}"
            );
        }
        assert!(RemoteError::MissingToken
            .to_string()
            .contains("CLOUDFLARE_API_TOKEN"));
    }

    #[test]
    fn answers_are_read_or_refused_with_the_status() {
        let ok = r#"{"meta":[],"data":[{"index1":"","blob1":"exposure","blob2":"e","blob3":"",
            "blob4":"a","blob5":"v","blob6":"","blob7":"","blob8":"","double1":5,"double2":0,
            "double3":0,"double4":2,"_sample_interval":1}],"rows":1}"#;
        let parsed = read(200, ok).unwrap_or_default();
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.bad_count, 0);
        let err = read(403, "Authentication error").err();
        assert!(
            matches!(&err, Some(RemoteError::Status { status: 403, body }) if body.contains("Authentication")),
            "{err:?}"
        );
        assert!(matches!(read(200, "oops"), Err(RemoteError::Input(_))));
    }
}
