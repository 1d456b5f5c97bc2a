//! `plenary bench`: engine speed in-process. Prints delegation decisions per second and
//! CPU time per session for the osce-2021 scenario and for synthetic memberships, so
//! growth with size is visible. Figures only; nothing here asserts a speed.

use crate::common::{self, MatchArgs};
use anyhow::Result;
use clap::Args;
use plenary_core::{Match, MatchSetup, Scenario};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Flags of `plenary bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Membership sizes to measure besides the real scenario (synthetic States).
    #[arg(long, value_delimiter = ',', default_value = "57,500,5000")]
    pub sizes: Vec<usize>,
    /// Minimum measuring time per size, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub millis: u64,
    /// Design preset or file.
    #[arg(long, default_value = "osce-2021")]
    pub design: String,
    /// Another benchmark instead of the in-process engine (`remote`: the gRPC path).
    #[command(subcommand)]
    pub mode: Option<crate::bench_remote::BenchMode>,
}

/// Runs one match, returning (decisions answered, sessions played). The engine counts
/// the decisions, so the strategies run unwrapped, exactly as in `plenary run`.
fn run_counting(
    p: &plenary_scenarios::MatchPlan,
    scenario: &Arc<Scenario>,
    seed: u64,
) -> (u64, u32) {
    let setup = MatchSetup {
        match_id: format!("bench-{seed}"),
        seed,
        strategies: p.strategies.clone(),
    };
    let m = Match::new(Arc::clone(scenario), Arc::clone(&p.design), setup);
    let strategies = &p.strategies;
    let result = plenary_core::run_in_process(m, &mut |b| {
        plenary_strategies::create(&strategies[b.seat as usize], b).expect("checked in prepare")
    });
    (result.decisions, result.sessions.len() as u32)
}

/// `plenary bench`.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if let Some(mode) = &args.mode {
        return crate::bench_remote::run(mode);
    }
    let base = common::prepare(&MatchArgs {
        scenario: "osce-2021".into(),
        design: Some(args.design.clone()),
        seed: common::DEFAULT_SEED,
        strategies: None,
        json: None,
        brief: true,
    })?;
    println!(
        "{:<26} {:>7} {:>6} {:>10} {:>14} {:>16} {:>12}",
        "membership", "States", "items", "sessions", "µs/session", "decisions/s", "ns/decision"
    );
    let mut rows: Vec<(Arc<Scenario>, plenary_scenarios::MatchPlan)> =
        vec![(Arc::clone(&base.scenario), base.clone())];
    for &n in &args.sizes {
        if n == base.scenario.states.len() {
            continue;
        }
        let sc = Arc::new(Scenario::synthetic(&base.scenario, n));
        // Synthetic States cycle through the real mix, seat by seat.
        let mut p = base.clone();
        p.strategies = (0..n)
            .map(|i| base.strategies[i % base.strategies.len()].clone())
            .collect();
        p.scenario = Arc::clone(&sc);
        rows.push((sc, p));
    }
    for (sc, p) in rows {
        let mut decisions = 0u64;
        let mut sessions = 0u64;
        let mut seed = 0u64;
        let start = Instant::now();
        while start.elapsed().as_millis() < u128::from(args.millis) || seed < 3 {
            let (d, s) = run_counting(&p, &sc, seed);
            decisions += d;
            sessions += u64::from(s);
            seed += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<26} {:>7} {:>6} {:>10} {:>14.1} {:>16.0} {:>12.1}",
            sc.id,
            sc.states.len(),
            sc.agenda.len(),
            sessions,
            1e6 * secs / sessions as f64,
            decisions as f64 / secs,
            1e9 * secs / decisions as f64
        );
    }
    println!(
        "\n(decisions = position and vote answers; a session = one pass over the agenda; includes drawing preferences and metrics)"
    );
    // Figures depend on what else runs: say so beside them.
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(l) => println!(
            "load average (1, 5, 15 min): {} on {cpus} CPU(s)",
            l.split_whitespace().take(3).collect::<Vec<_>>().join(", ")
        ),
        Err(_) => println!("{cpus} CPU(s); load average not available on this system"),
    }
    Ok(ExitCode::SUCCESS)
}
