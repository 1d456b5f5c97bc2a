//! `plenary conformance`: checks a delegation endpoint, in any language, against the
//! `plenary.v2.Delegation` contract with the `plenary-conformance` suite, and prints one
//! line per check. Exits 0 when every required check passes, 1 otherwise, 2 on usage
//! errors (clap's, and a token that cannot be had).
//!
//! The endpoint's token comes, as for `plenary delegate`, from `--token-file` (a private
//! file) or the environment variable `PLENARY_TOKEN`, never from the command line
//! (anyone on the machine can read a process's arguments). `--token` makes a missing
//! token a usage error.

use crate::remote::{TOKEN_ENV, read_secret_file};
use anyhow::{Context, Result};
use clap::Args;
use plenary_proto::limits;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Longest deadline `--timeout-ms` accepts (one hour, as a session's).
const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// Options of `plenary conformance`.
#[derive(Debug, Args)]
#[command(after_long_help = long_help())]
pub struct ConformanceArgs {
    /// Delegation endpoint to check: `http://HOST:PORT` or `HOST:PORT`.
    #[arg(long, env = "PLENARY_ENDPOINT", value_parser = endpoint)]
    pub endpoint: String,
    /// Deadline of every wait (connecting, each answer, each stream status) and the
    /// `deadline_ms` of every question, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_MS))]
    pub timeout_ms: u64,
    /// States of the seats opened in each synthetic match (comma-separated ids). An
    /// endpoint that serves one State only is checked with that State.
    #[arg(long, value_delimiter = ',', default_value = "FRA,RUS", value_parser = state)]
    pub states: Vec<String>,
    /// Check with the endpoint's token (metadata `x-plenary-token`), taken from
    /// --token-file or the environment variable PLENARY_TOKEN; without one, a usage
    /// error. A token found there is used even without --token.
    #[arg(long)]
    pub token: bool,
    /// File holding the endpoint's token: a regular file only its owner may read (mode
    /// 0600). Takes precedence over PLENARY_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

fn long_help() -> String {
    format!(
        "{}\nThe token is never taken from the command line: put it in PLENARY_TOKEN or a 0600 --token-file.\n\nExit status: 0 when every required check passes (advisory failures are warnings), 1 otherwise, 2 on usage errors.\n\nExamples:\n  plenary conformance --endpoint http://127.0.0.1:50061\n  plenary conformance --endpoint 127.0.0.1:50061 --states RUS --timeout-ms 10000\n  PLENARY_TOKEN=... plenary conformance --endpoint 127.0.0.1:50061 --states RUS --token\n  plenary conformance --endpoint 127.0.0.1:50061 --states RUS --token-file rus.token",
        plenary_conformance::help_text()
    )
}

fn endpoint(s: &str) -> Result<String, String> {
    let url = plenary_conformance::endpoint_url(s);
    limits::check_endpoint("--endpoint", &url)?;
    Ok(url)
}

fn state(s: &str) -> Result<String, String> {
    let s = s.trim();
    limits::check_state("--states", s)?;
    Ok(s.to_string())
}

/// The token: `--token-file`, else `PLENARY_TOKEN`; `Err` is a usage error.
fn token(args: &ConformanceArgs, env: Option<String>) -> Result<Option<String>> {
    let (token, origin) = match &args.token_file {
        Some(path) => (
            Some(read_secret_file(path)?.trim().to_string()),
            format!("--token-file {}", path.display()),
        ),
        None => (env.map(|t| t.trim().to_string()), TOKEN_ENV.to_string()),
    };
    let token = token.filter(|t| !t.is_empty());
    match &token {
        // The message names the rule, never the token.
        Some(t) => limits::check_token("token", t)
            .map_err(|e| anyhow::anyhow!("the token in {origin}: {e}"))?,
        None if args.token => anyhow::bail!(
            "--token: no token in --token-file or in the environment variable {TOKEN_ENV}"
        ),
        None => {}
    }
    Ok(token)
}

/// Runs the suite and prints the report.
pub fn run(args: &ConformanceArgs) -> Result<ExitCode> {
    let token = match token(args, std::env::var(TOKEN_ENV).ok()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let opts = plenary_conformance::Options {
        timeout: Duration::from_millis(args.timeout_ms),
        states: args.states.clone(),
        token,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(plenary_conformance::check(&args.endpoint, opts));
    println!("{report}");
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(token: bool, token_file: Option<PathBuf>) -> ConformanceArgs {
        ConformanceArgs {
            endpoint: "http://127.0.0.1:1".into(),
            timeout_ms: 1,
            states: vec![],
            token,
            token_file,
        }
    }

    #[test]
    fn the_token_comes_from_a_private_file_or_the_environment() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "from-file\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env = || Some("from-env".to_string());
        let from = |a: &ConformanceArgs, e: Option<String>| token(a, e).unwrap();
        assert_eq!(
            from(&args(false, Some(path.clone())), env()).as_deref(),
            Some("from-file")
        );
        assert_eq!(from(&args(false, None), env()).as_deref(), Some("from-env"));
        assert_eq!(from(&args(false, None), None), None);
        let e = token(&args(true, None), Some("  ".into())).unwrap_err();
        assert!(e.to_string().contains("PLENARY_TOKEN"), "{e}");
        let e = token(&args(false, None), Some("has space".into())).unwrap_err();
        assert!(!e.to_string().contains("has space"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = token(&args(false, Some(path)), env()).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[test]
    fn the_help_lists_every_check() {
        let help = long_help();
        for c in plenary_conformance::CHECKS {
            assert!(
                help.contains(c.name) && help.contains(c.verifies),
                "{}",
                c.name
            );
        }
    }
}
