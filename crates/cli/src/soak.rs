//! `plenary soak` (the work is `plenary_lab::soak`): parses, prints the table, writes
//! `--json FILE` and maps the verdict to the exit code.

use crate::common::{self, MatchArgs};
use crate::remote::{block_on, shutdown_signal, timeout_ms};
use anyhow::{Context, Result, bail};
use clap::Args;
use plenary_lab::soak::{FaultKind, SoakOptions, SoakReport};
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `plenary soak`.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// Scenario every session plays: a preset id or a file.
    #[arg(long, default_value = "csce-1975")]
    pub scenario: String,
    /// Design: a preset id or a file (default: the scenario's).
    #[arg(long)]
    pub design: Option<String>,
    /// Strategy assignment, as `plenary run --strategies` (default: the built-in mix).
    #[arg(long)]
    pub strategies: Option<String>,
    /// Seed of the fault plan; each session's match seed is drawn from it.
    #[arg(long, default_value_t = common::DEFAULT_SEED)]
    pub seed: u64,
    /// Sessions to play.
    #[arg(long, default_value_t = 100,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub sessions: usize,
    /// Most delegation faults in one session.
    #[arg(long, default_value_t = 10)]
    pub max_faults: u32,
    /// Share of sessions without delegation faults (0 to 1): their results must equal
    /// the in-process run.
    #[arg(long, default_value_t = 0.3)]
    pub fault_free_share: f64,
    /// Chair kills over the whole soak (each in a different session).
    #[arg(long, default_value_t = 10)]
    pub chair_kills: u32,
    /// Delegation fault kinds: kill (SIGKILL, then a restart), stop (SIGSTOP, then
    /// SIGCONT), drop (every connection cut).
    #[arg(long, value_delimiter = ',', default_value = "kill,stop,drop", value_parser = parse_kind)]
    pub kinds: Vec<FaultKind>,
    /// Deadline of every question, in milliseconds.
    #[arg(long, default_value_t = 2000, value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// Faults fall within this many milliseconds from the start of a session (scaled down
    /// to 80% of the length of session 0, a fault-free calibration session, when shorter).
    #[arg(long, default_value_t = 3000)]
    pub window_ms: u64,
    /// Also write the figures (and every session) as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<FaultKind, String> {
    FaultKind::parse(s).ok_or_else(|| format!("`{s}` is not a fault kind (kill, stop, drop)"))
}

/// `plenary soak`.
pub fn run(args: &SoakArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.fault_free_share) {
        bail!(
            "--fault-free-share {} is outside 0..=1",
            args.fault_free_share
        );
    }
    let plan = common::prepare(&MatchArgs {
        scenario: args.scenario.clone(),
        design: args.design.clone(),
        seed: args.seed,
        strategies: args.strategies.clone(),
        json: None,
        brief: true,
    })?;
    let exe = std::env::current_exe().context("locating the plenary binary")?;
    let opts = SoakOptions {
        exe,
        plan,
        sessions: args.sessions,
        seed: args.seed,
        max_faults: args.max_faults,
        fault_free_share: args.fault_free_share,
        chair_kills: args.chair_kills,
        kinds: args.kinds.clone(),
        timeout_ms: args.timeout_ms,
        window_ms: args.window_ms,
    };
    progress!(
        "soak: {} sessions of {} under {}, up to {} delegation faults each ({}), {} chair kills, seed {}",
        args.sessions,
        opts.plan.scenario.id,
        opts.plan.design.design.id,
        args.max_faults,
        args.kinds
            .iter()
            .map(|k| format!("{k:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", "),
        args.chair_kills,
        args.seed
    );
    let report = block_on(true, async {
        tokio::select! {
            r = plenary_lab::soak::run(opts, |o| {
                progress!(
                    "  session {:>3}: {:<9} {:>2}/{:<2} faults{} {:>3} violations {:>6.1} s{}",
                    o.index,
                    if o.completed { "completed" } else { "LOST" },
                    o.faults,
                    o.faults_planned,
                    if o.chair_killed { " + chair kill" } else { "             " },
                    o.violations,
                    o.seconds,
                    match o.identical_to_in_process {
                        Some(true) => "  identical to in-process",
                        Some(false) => "  DIFFERS from in-process",
                        None => "",
                    }
                );
            }) => Ok(Some(r?)),
            _ = shutdown_signal(false) => Ok(None),
        }
    })?;
    let Some(report) = report else {
        eprintln!("plenary soak: interrupted; every process stopped");
        return Ok(ExitCode::from(crate::remote::EXIT_INTERRUPTED));
    };
    print!("{}", table(&report));
    if let Some(path) = &args.json {
        common::write_text(path, &serde_json::to_string_pretty(&report)?)?;
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn table(r: &SoakReport) -> String {
    let mut o = String::new();
    let mut row = |k: &str, v: String| o.push_str(&format!("{k:<36} {v:>10}\n"));
    row("sessions_total", r.sessions_total.to_string());
    row("sessions_completed", r.sessions_completed.to_string());
    row("sessions_lost", r.sessions_lost.to_string());
    row("chair_restarts", r.chair_restarts.to_string());
    row("faults_planned", r.faults_planned.to_string());
    row("faults_injected", r.faults_injected.to_string());
    for (k, v) in &r.faults_by_kind {
        row(&format!("  {k}"), v.to_string());
    }
    row(
        "sessions_without_delegation_faults",
        r.sessions_without_delegation_faults.to_string(),
    );
    row(
        "identical_to_in_process",
        r.identical_to_in_process.to_string(),
    );
    row("violations_total", r.violations_total.to_string());
    row("wall_seconds", format!("{:.1}", r.wall_seconds));
    o.push_str(if r.passed() {
        "verdict: no session lost; every session without delegation faults equals its in-process run\n"
    } else {
        "verdict: FAILED (a session was lost, or a session without delegation faults differs from in-process)\n"
    });
    o
}
