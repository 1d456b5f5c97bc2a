//! `plenary conformance`: checks a delegation endpoint, in any language, against the
//! `plenary.v2.Delegation` contract with the `plenary-conformance` suite, and prints one
//! line per check. Exits 0 when every required check passes, 1 otherwise, 2 on usage
//! errors (clap's, and a token that cannot be read).
//!
//! The endpoint's token never comes from the command line (anyone on the machine can
//! read a process's arguments): `--token` takes it from the environment variable
//! `PLENARY_TOKEN`, `--token-file` from a file only its owner may read.

use anyhow::{Context, Result};
use clap::Args;
use plenary_proto::limits;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The environment variable `--token` reads.
pub const TOKEN_ENV: &str = "PLENARY_TOKEN";

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
    /// Send the endpoint's token (metadata `x-plenary-token`), read from the environment
    /// variable PLENARY_TOKEN, and check that streams without it are refused.
    #[arg(long, conflicts_with = "token_file")]
    pub token: bool,
    /// Like --token, reading the token from FILE: a regular file only its owner may
    /// read (mode 0600), holding the token on its first line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

fn long_help() -> String {
    format!(
        "{}\nThe token is never taken from the command line: use --token with PLENARY_TOKEN in the environment, or --token-file FILE (mode 0600).\n\nExit status: 0 when every required check passes (advisory failures are warnings), 1 otherwise, 2 on usage errors.\n\nExamples:\n  plenary conformance --endpoint http://127.0.0.1:50061\n  plenary conformance --endpoint 127.0.0.1:50061 --states RUS --timeout-ms 10000\n  PLENARY_TOKEN=... plenary conformance --endpoint 127.0.0.1:50061 --states RUS --token\n  plenary conformance --endpoint 127.0.0.1:50061 --token-file rus.token",
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
    limits::check_id("--states", s)?;
    Ok(s.to_string())
}

/// The token of `--token` / `--token-file`, or why it cannot be had (a usage error).
fn token(args: &ConformanceArgs) -> Result<Option<String>, String> {
    let (token, origin) = if let Some(path) = &args.token_file {
        (
            read_token_file(path)?,
            format!("--token-file {}", path.display()),
        )
    } else if args.token {
        match std::env::var(TOKEN_ENV) {
            Ok(t) => (t.trim().to_string(), TOKEN_ENV.to_string()),
            Err(_) => {
                return Err(format!(
                    "--token reads the token from the environment variable {TOKEN_ENV}, which is not set (or not UTF-8)"
                ));
            }
        }
    } else {
        return Ok(None);
    };
    if token.is_empty() {
        return Err(format!("the token in {origin} is empty"));
    }
    // The message names the rule, never the token.
    limits::check_token("token", &token).map_err(|e| format!("the token in {origin}: {e}"))?;
    Ok(Some(token))
}

/// Reads a token file: a regular file, not readable by group or others, small.
fn read_token_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("--token-file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("--token-file {shown}: not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "--token-file {shown}: readable by others (mode {mode:04o}); make it private with `chmod 600 {shown}`"
            ));
        }
    }
    let mut text = String::new();
    let limit = limits::MAX_TOKEN_BYTES as u64 + 2;
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_string(&mut text))
        .map_err(|e| format!("--token-file {shown}: {e}"))?;
    if text.len() as u64 > limit {
        return Err(format!(
            "--token-file {shown}: longer than a token ({} bytes at most)",
            limits::MAX_TOKEN_BYTES
        ));
    }
    Ok(text.lines().next().unwrap_or_default().trim().to_string())
}

/// Runs the suite and prints the report.
pub fn run(args: &ConformanceArgs) -> Result<ExitCode> {
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
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

    #[cfg(unix)]
    #[test]
    fn token_files_must_be_private_regular_and_short() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "s3cret-token\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = token(&args(false, Some(path.clone()))).unwrap_err();
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            token(&args(false, Some(path.clone()))).unwrap().as_deref(),
            Some("s3cret-token")
        );
        std::fs::write(&path, "x".repeat(1000)).unwrap();
        let e = token(&args(false, Some(path.clone()))).unwrap_err();
        assert!(e.contains("longer than a token"), "{e}");
        std::fs::write(&path, "has space\n").unwrap();
        let e = token(&args(false, Some(path))).unwrap_err();
        assert!(!e.contains("has space") && e.contains("printable"), "{e}");
        let e = token(&args(false, Some(dir.path().to_path_buf()))).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        assert_eq!(token(&args(false, None)).unwrap(), None);
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
