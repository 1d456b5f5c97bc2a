//! The in-process commands (`run`, `designs`, `strategies`, `check`) and the flags that
//! every match-running command shares (`run`, `lab`).

use crate::report;
use anyhow::{Context, Result, bail};
use clap::Args;
use plenary_core::assignment::Assignment;
use plenary_core::{Design, Match, MatchResult, MatchSetup, Scenario};
use plenary_scenarios::Checked;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Default master seed (any fixed value; printed in every report).
pub const DEFAULT_SEED: u64 = 2021;

/// What a single match is run with.
#[derive(Debug, Clone, Args)]
pub struct MatchArgs {
    /// Scenario: a preset id (osce-2021, csce-1975) or a path to a scenario .toml file.
    #[arg(long, default_value = "osce-2021", env = "PLENARY_SCENARIO")]
    pub scenario: String,
    /// Design: a preset id (csce-1975, osce-2021, path1-upgraded, path2-conference) or a
    /// path to a design .toml file. Default: the scenario's default design.
    #[arg(long, env = "PLENARY_DESIGN")]
    pub design: Option<String>,
    /// Master seed (0 to 2^53 - 1): the same seed and configuration give identical
    /// results.
    #[arg(long, default_value_t = DEFAULT_SEED, env = "PLENARY_SEED", value_parser = plenary_tournament::results::parse_seed)]
    pub seed: u64,
    /// Strategy assignment: `default=NAME,BLOC=NAME,STATE=NAME` (State rules win over
    /// bloc rules). Default: the built-in mix.
    #[arg(long, env = "PLENARY_STRATEGIES")]
    pub strategies: Option<String>,
    /// Also write machine-readable results (JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print only the session summaries, not every item.
    #[arg(long)]
    pub brief: bool,
}

/// A match ready to run: validated inputs and the strategy of every seat.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Scenario.
    pub scenario: Arc<Scenario>,
    /// Design.
    pub design: Arc<Design>,
    /// Strategy name per seat.
    pub strategies: Vec<String>,
    /// Seed.
    pub seed: u64,
}

impl Prepared {
    /// Match id used for a single run.
    pub fn match_id(&self) -> String {
        format!(
            "{}:{}:{}",
            self.scenario.id, self.design.design.id, self.seed
        )
    }

    /// The setup of the match.
    pub fn setup(&self) -> MatchSetup {
        MatchSetup {
            match_id: self.match_id(),
            seed: self.seed,
            strategies: self.strategies.clone(),
        }
    }
}

/// Loads and checks everything a match needs, before anything runs.
pub fn prepare(args: &MatchArgs) -> Result<Prepared> {
    let scenario = plenary_scenarios::load_scenario(&args.scenario)
        .with_context(|| format!("loading scenario `{}`", args.scenario))?;
    let design_spec = args
        .design
        .clone()
        .or_else(|| scenario.default_design.clone())
        .unwrap_or_else(|| "osce-2021".to_string());
    let design = plenary_scenarios::load_design(&design_spec)
        .with_context(|| format!("loading design `{design_spec}`"))?;
    design
        .validate_for(&design_spec, &scenario)
        .with_context(|| {
            format!(
                "design `{design_spec}` does not fit scenario `{}`",
                scenario.id
            )
        })?;
    let spec = args
        .strategies
        .as_deref()
        .unwrap_or(plenary_strategies::DEFAULT_MIX);
    let assignment = Assignment::parse(spec).context("--strategies")?;
    // The default mix names osce-2021 blocs; on other scenarios keep its default only.
    let assignment = if args.strategies.is_none() && scenario.bloc("west").is_none() {
        Assignment {
            default: assignment.default.clone(),
            rules: Vec::new(),
        }
    } else {
        assignment
    };
    let strategies = assignment
        .resolve(&scenario, "dissociator")
        .context("--strategies")?;
    let mut names: Vec<&str> = strategies.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    plenary_strategies::check(&names).context("--strategies")?;
    Ok(Prepared {
        scenario: Arc::new(scenario),
        design: Arc::new(design),
        strategies,
        seed: args.seed,
    })
}

/// Runs a prepared match in-process.
pub fn run_prepared(p: &Prepared) -> Result<MatchResult> {
    let m = Match::new(Arc::clone(&p.scenario), Arc::clone(&p.design), p.setup());
    Ok(plenary_core::run_in_process(m, &mut |brief| {
        plenary_strategies::create(&p.strategies[brief.seat as usize], brief)
            .expect("`prepare` checked every strategy name")
    }))
}

/// The results of a match in the documented output shape (`plenary schema
/// run-result`): labelled lists, schema and tool versions.
pub fn run_result(p: &Prepared, result: &MatchResult) -> plenary_tournament::results::RunResult {
    let neutral = plenary_tournament::plan::NEUTRAL_BLOCS.map(String::from);
    let classes = plenary_tournament::plan::seat_classes(&p.scenario, &neutral);
    plenary_tournament::results::RunResult::new(
        &p.scenario,
        &result.scenario,
        &result.design,
        result,
        &classes,
    )
}

/// Writes results as pretty JSON in the documented shape (the report is printed
/// first, so a failing write loses nothing that was computed: the error names the
/// file).
pub fn write_json(path: &std::path::Path, p: &Prepared, result: &MatchResult) -> Result<()> {
    let text = serde_json::to_string_pretty(&run_result(p, result))?;
    std::fs::write(path, text + "\n")
        .with_context(|| format!("writing results to {}", path.display()))
}

/// `plenary run`.
pub fn run(args: &MatchArgs) -> Result<ExitCode> {
    let p = prepare(args)?;
    let result = run_prepared(&p)?;
    print!("{}", report::text(&p, &result, args.brief));
    if let Some(path) = &args.json {
        write_json(path, &p, &result)?;
        eprintln!("results written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Flags of `plenary designs`.
#[derive(Debug, Clone, Args)]
pub struct DesignsArgs {
    /// Print this preset's file (a template to copy and change).
    #[arg(long, value_name = "ID")]
    pub show: Option<String>,
}

/// `plenary designs`.
pub fn designs(args: &DesignsArgs) -> Result<ExitCode> {
    if let Some(id) = &args.show {
        return show(plenary_scenarios::DESIGNS, "design", id);
    }
    println!("Design presets (plenary designs --show ID prints one as a template):");
    for (id, _) in plenary_scenarios::DESIGNS {
        let d = plenary_scenarios::design(id)?;
        let p = &d.procedure;
        println!(
            "  {:<18} {}\n  {:<18} mediation {:?}, linkage {:?}, naming/shaming {}, {} bod{}, scope {}",
            id,
            d.design.name,
            "",
            p.mediation,
            p.linkage,
            if p.naming_shaming { "on" } else { "off" },
            d.bodies.len(),
            if d.bodies.len() == 1 { "y" } else { "ies" },
            p.scope
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("+"),
        );
    }
    println!("\nScenarios: see `plenary scenarios`.");
    Ok(ExitCode::SUCCESS)
}

/// `plenary scenarios`.
pub fn scenarios(args: &DesignsArgs) -> Result<ExitCode> {
    if let Some(id) = &args.show {
        return show(plenary_scenarios::SCENARIOS, "scenario", id);
    }
    println!("Scenarios (plenary scenarios --show ID prints one as a template):");
    for (id, _) in plenary_scenarios::SCENARIOS {
        let s = plenary_scenarios::scenario(id)?;
        println!(
            "  {:<18} {} ({} States in {} blocs, {} items; default design {})",
            id,
            s.name,
            s.states.len(),
            s.blocs.len(),
            s.agenda.len(),
            s.default_design.as_deref().unwrap_or("osce-2021")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(list: &[(&str, &str)], kind: &str, id: &str) -> Result<ExitCode> {
    match list.iter().find(|(k, _)| *k == id) {
        Some((_, text)) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("no {kind} preset `{id}` (known: {})", ids(list)),
    }
}

fn ids(list: &[(&str, &str)]) -> String {
    list.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

/// `plenary strategies`.
pub fn strategies() -> Result<ExitCode> {
    println!("Built-in strategies (use with --strategies default=NAME,BLOC=NAME,STATE=NAME):");
    for s in plenary_strategies::all() {
        println!("  {:<18} {}", s.name, s.summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Flags of `plenary check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The scenario or design file to validate.
    pub file: PathBuf,
    /// For a design: also check it against this scenario (preset id or file).
    #[arg(long)]
    pub scenario: Option<String>,
}

/// `plenary check FILE`.
pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    match plenary_scenarios::check_file(&args.file) {
        Ok(Checked::Scenario(s)) => {
            println!(
                "{}: scenario `{}` is valid ({} States, {} blocs, {} items)",
                args.file.display(),
                s.id,
                s.states.len(),
                s.blocs.len(),
                s.agenda.len()
            );
        }
        Ok(Checked::Design(d)) => {
            if let Some(spec) = &args.scenario {
                let s = plenary_scenarios::load_scenario(spec)?;
                if let Err(e) = d.validate_for(&args.file.display().to_string(), &s) {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(1));
                }
            }
            println!("{}: design `{}` is valid", args.file.display(), d.design.id);
        }
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Logs go to stderr; `RUST_LOG` overrides the default (warnings, info for plenary).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,plenary=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
