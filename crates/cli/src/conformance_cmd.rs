//! `plenary conformance`: checks a delegation endpoint, in any language, against the
//! `plenary.v1.Delegation` contract with the `plenary-conformance` suite and prints one
//! line per check. Exits 1 when any check fails.

use anyhow::{Context, Result};
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `plenary conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Delegation endpoint to check: `http://HOST:PORT` or `HOST:PORT`.
    #[arg(long, env = "PLENARY_ENDPOINT")]
    pub endpoint: String,
    /// Deadline of every call (and of connecting), in milliseconds.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// States of the seats opened in each synthetic match (comma-separated ISO3 ids).
    #[arg(long, value_delimiter = ',', default_value = "FRA,RUS")]
    pub states: Vec<String>,
}

/// Runs the suite and prints the report.
pub fn run(args: &ConformanceArgs) -> Result<ExitCode> {
    let opts = plenary_conformance::Options {
        timeout: Duration::from_millis(args.timeout_ms),
        states: args
            .states
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
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
