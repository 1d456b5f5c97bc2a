//! plenary-conformance: checks that a delegation endpoint, written in any language,
//! honours the `plenary.v2.Delegation` contract (`proto/plenary/v2/delegation.proto`).
//!
//! [`check`] plays against the endpoint over real `Play` streams exactly as the chair
//! would, and returns a [`Report`] with one verdict per check of [`CHECKS`], each with a
//! reason naming what was verified or what was wrong (seat, seq, expected and received
//! codes or values). Every wait is bounded by [`Options::timeout`], so an endpoint that
//! hangs fails checks instead of stalling the run.
#![doc = include_str!("../README.md")]

mod checks;
mod ledger;
mod play;
mod probes;
mod report;
mod run;
mod script;
mod side;
mod validate;

pub use checks::{CHECKS, CheckSpec, Level, help_text, markdown_table};
pub use report::{Check, Report, Verdict};
pub use validate::{valid_position, valid_stance, valid_strategy, valid_vote};

use std::fmt;
use std::time::Duration;

/// Full gRPC name of the service under test (also asked of the health service).
pub const SERVICE_NAME: &str = plenary_proto::DELEGATION_SERVICE;

/// How [`check`] runs.
#[derive(Clone, PartialEq, Eq)]
pub struct Options {
    /// Deadline of every wait: connecting, each answer (it is also the `deadline_ms` of
    /// every question), each stream status.
    pub timeout: Duration,
    /// The States of the seats opened in each synthetic match (ids of 1..=64 bytes;
    /// empty means the default `FRA`, `RUS`). An endpoint that serves one State only is
    /// checked with that State alone.
    pub states: Vec<String>,
    /// The endpoint's token, sent as gRPC metadata `x-plenary-token` on every `Play`
    /// stream; with it the `token` check also verifies that streams without it, or with
    /// a wrong one, are refused. Never printed.
    pub token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_millis(5000),
            states: default_states(),
            token: None,
        }
    }
}

impl fmt::Debug for Options {
    /// Like a derived `Debug`, without the token's value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("timeout", &self.timeout)
            .field("states", &self.states)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn default_states() -> Vec<String> {
    vec!["FRA".to_string(), "RUS".to_string()]
}

/// The States to seat: trimmed, without repeats (a repeated State would be the same
/// seat), the default when none is left; each an id of 1..=64 bytes.
pub fn normalized_states(states: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in states {
        let s = s.trim();
        if s.is_empty() || out.iter().any(|o| o == s) {
            continue;
        }
        plenary_proto::limits::check_state("states", s)?;
        out.push(s.to_string());
    }
    if out.is_empty() {
        out = default_states();
    }
    Ok(out)
}

/// Normalises an endpoint: a bare `HOST:PORT` gets `http://`.
pub fn endpoint_url(endpoint: &str) -> String {
    let e = endpoint.trim();
    if e.contains("://") {
        e.to_string()
    } else {
        format!("http://{e}")
    }
}

/// Runs every check of [`CHECKS`] against `endpoint` (`http://HOST:PORT` or
/// `HOST:PORT`). Never fails: a problem is a failed check in the report. Against an
/// endpoint that hangs it takes a handful of [`Options::timeout`]s.
pub async fn check(endpoint: &str, opts: Options) -> Report {
    run::run(endpoint, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_get_a_scheme() {
        assert_eq!(endpoint_url("127.0.0.1:5"), "http://127.0.0.1:5");
        assert_eq!(endpoint_url(" http://h:1 "), "http://h:1");
    }

    #[test]
    fn states_are_trimmed_deduplicated_and_bounded() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            normalized_states(&s(&[" RUS", "RUS", "", "USA"])).unwrap(),
            s(&["RUS", "USA"])
        );
        assert_eq!(normalized_states(&[]).unwrap(), s(&["FRA", "RUS"]));
        assert!(normalized_states(&s(&[&"X".repeat(65)])).is_err());
    }

    #[test]
    fn the_token_is_never_printed() {
        let o = Options {
            token: Some("s3cret".into()),
            ..Options::default()
        };
        let text = format!("{o:?}");
        assert!(
            !text.contains("s3cret") && text.contains("redacted"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_fails_every_check() {
        // Bind then drop a listener: nothing listens on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let report = check(&format!("127.0.0.1:{port}"), Options::default()).await;
        assert!(!report.passed());
        assert_eq!(report.checks.len(), CHECKS.len());
        assert!(report.checks.iter().all(|c| !c.passed()), "{report}");
        assert!(
            report
                .get("connect")
                .unwrap()
                .reason
                .contains("cannot connect"),
            "{report}"
        );
        assert!(
            report
                .get("position")
                .unwrap()
                .reason
                .contains("not run: no connection"),
            "{report}"
        );
        let bad = check("http://[not an endpoint", Options::default()).await;
        assert!(
            bad.get("connect")
                .unwrap()
                .reason
                .contains("invalid endpoint"),
            "{bad}"
        );
    }
}
