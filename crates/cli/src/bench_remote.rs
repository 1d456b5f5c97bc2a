//! `plenary bench remote` (the work is `plenary_lab::bench`) and the hidden
//! `plenary echo-server` that serves its baseline.

use crate::common::{self, MatchArgs};
use crate::output::UsageExt;
use crate::remote::{block_on, shutdown_signal};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use plenary_lab::bench::{RemoteBenchOptions, RemoteBenchReport};
use std::path::PathBuf;
use std::process::ExitCode;

/// Modes of `plenary bench` besides the default in-process engine benchmark.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchMode {
    /// The remote path: delegation processes next to a bare tonic streaming echo, a
    /// batched endpoint, and a whole match over the processes.
    #[command(
        after_help = "Spawns one `plenary delegate` and one `plenary echo-server` process per State, plus one delegation playing every seat, and measures in one run: streaming echo rounds (the floor), the same rounds over the chair's links to the delegations, batched frames to the one endpoint, and a whole match through the chair's driver next to the in-process run.\n\nExamples:\n  plenary bench remote\n  plenary bench remote --rounds 2000 --json remote.json\n  plenary bench remote --scenario csce-1975"
    )]
    Remote(RemoteArgs),
}

/// Flags of `plenary bench remote`.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// Scenario whose States become the processes (osce-2021: 57).
    #[arg(long, default_value = "osce-2021")]
    pub scenario: String,
    /// Design of the match (default: the scenario's).
    #[arg(long)]
    pub design: Option<String>,
    /// Master seed of the match.
    #[arg(long, default_value_t = common::DEFAULT_SEED)]
    pub seed: u64,
    /// Measured rounds per kind (a round asks every process once).
    #[arg(long, default_value_t = 2000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub rounds: usize,
    /// Matches in flight in the batched measurement.
    #[arg(long, default_value_t = 16,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub batched_matches: usize,
    /// Built-in strategy of the batched endpoint.
    #[arg(long, default_value = "dissociator")]
    pub strategy: String,
    /// Also write every figure as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Flags of `plenary echo-server`.
#[derive(Debug, Clone, Args)]
pub struct EchoServerArgs {
    /// Address to listen on (port 0 picks a free port; printed as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Exit when standard input closes (used by `plenary bench remote`).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

/// `plenary echo-server`.
pub fn echo_server(args: &EchoServerArgs) -> Result<ExitCode> {
    block_on(false, async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        println!("listening on {}", listener.local_addr()?);
        use std::io::Write;
        std::io::stdout().flush()?;
        plenary_lab::bench::serve_echo(listener, shutdown_signal(args.exit_with_stdin)).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `plenary bench remote`.
pub fn run(mode: &BenchMode) -> Result<ExitCode> {
    let BenchMode::Remote(args) = mode;
    plenary_strategies::check(&[args.strategy.as_str()]).usage("--strategy")?;
    let plan = common::prepare(&MatchArgs {
        scenario: args.scenario.clone(),
        design: args.design.clone(),
        seed: args.seed,
        strategies: None,
        json: None,
        brief: true,
    })?;
    let exe = std::env::current_exe().context("locating the plenary binary")?;
    progress!(
        "bench remote: {} States of {} ({} + {} + 1 processes), {} rounds per kind...",
        plan.scenario.states.len(),
        plan.scenario.id,
        plan.scenario.states.len(),
        plan.scenario.states.len(),
        args.rounds
    );
    let opts = RemoteBenchOptions {
        exe,
        plan,
        rounds: args.rounds,
        batched_matches: args.batched_matches,
        strategy: args.strategy.clone(),
    };
    // One thread for the chair side and the echo client alike: on a small machine shared
    // with 115 server processes, cross-thread wake-ups cost more than they give.
    let r = block_on(false, async { Ok(plenary_lab::bench::remote(opts).await?) })?;
    print!("{}", table(&r));
    if let Some(path) = &args.json {
        common::write_text(path, &serde_json::to_string_pretty(&r)?)?;
        if path.as_os_str() != "-" {
            progress!("figures written to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table(r: &RemoteBenchReport) -> String {
    let mut o = String::new();
    let mut row = |k: &str, v: String, note: &str| {
        o.push_str(&format!("{k:<34} {v:>14}  {note}\n"));
    };
    row("processes per kind", r.processes.to_string(), "");
    row("rounds per kind", r.rounds.to_string(), "");
    row(
        "streaming_echo_exchanges_per_s",
        format!("{:.0}", r.streaming_echo_exchanges_per_s),
        "bare tonic bidirectional stream, one process per State",
    );
    row(
        "streaming_echo_round_ms",
        format!("{:.3}", r.streaming_echo_round_ms),
        &format!("p99 {:.3} ms", r.streaming_echo_round_p99_ms),
    );
    row(
        "delegation_exchanges_per_s",
        format!("{:.0}", r.delegation_exchanges_per_s),
        "real vote questions over the chair's links",
    );
    row(
        "delegation_round_ms",
        format!("{:.3}", r.delegation_round_ms),
        &format!("p99 {:.3} ms", r.delegation_round_p99_ms),
    );
    row(
        "streaming_ratio",
        format!("{:.3}", r.streaming_ratio),
        "aim >= 0.8",
    );
    row(
        "batched_decisions_per_s",
        format!("{:.0}", r.batched_decisions_per_s),
        &format!(
            "one process, {} seats per frame; aim >= 100000",
            r.batched_seats
        ),
    );
    row(
        "remote_match_ms",
        format!("{:.1}", r.remote_match_ms),
        "whole match through the chair's driver",
    );
    row(
        "in_process_match_ms",
        format!("{:.2}", r.in_process_match_ms),
        "",
    );
    row(
        "questions_per_match",
        r.questions_per_match.to_string(),
        "round trips the driver needed",
    );
    row(
        "remote_match_vs_floor",
        format!("{:.3}", r.remote_match_vs_floor),
        "remote_match_ms / (questions x echo round); aim <= 1.25",
    );
    row(
        "identical_to_in_process",
        r.identical_to_in_process.to_string(),
        "",
    );
    row(
        "delegation_rss_mib (max / mean)",
        format!(
            "{:.1} / {:.1}",
            r.delegation_rss_mib_max, r.delegation_rss_mib_mean
        ),
        "",
    );
    o
}
