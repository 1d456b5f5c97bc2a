//! The in-process commands (`run`, `designs`, `strategies`, `check`) and the flags that
//! every match-running command shares (`run`, `lab`).

use crate::output::UsageError;
use crate::report;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use plenary_core::MatchResult;
use plenary_scenarios::{
    Checked, LoadError, MatchPlan, PlanError, PlanRequest, Source, Strategies,
};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// Loads and checks everything a match needs, before anything runs: the one match-plan
/// resolution ([`MatchPlan::resolve`]) that the chair and the tournaments use too.
/// Names the user got wrong (an unknown preset, strategy, bloc or State, a malformed
/// assignment) are usage errors naming the flag; a file that does not load or a design
/// that does not fit is not.
pub fn prepare(args: &MatchArgs) -> Result<MatchPlan> {
    let check = |name: &str| plenary_strategies::check(&[name]).map_err(|e| e.to_string());
    MatchPlan::resolve(PlanRequest {
        scenario: Source::Spec(args.scenario.clone()),
        design: args.design.clone().map(Source::Spec),
        seed: args.seed,
        strategies: Strategies::Assign {
            spec: args.strategies.as_deref(),
            fallback_mix: plenary_strategies::DEFAULT_MIX,
            check: &check,
        },
        match_id: None,
    })
    .map_err(|e| match e {
        // The user's assignment: name the flag it came from.
        PlanError::Strategies(msg) if args.strategies.is_some() => {
            UsageError::new("--strategies", msg).into()
        }
        PlanError::Scenario { error, .. } if is_usage(&error) => {
            UsageError::new("--scenario", error).into()
        }
        PlanError::Design { error, .. } if args.design.is_some() && is_usage(&error) => {
            UsageError::new("--design", error).into()
        }
        e => e.into(),
    })
}

/// Whether a scenario or design spec failed to load because of the spec itself: it
/// names no preset (and is no path), or it cannot be a path at all.
pub fn is_usage(error: &LoadError) -> bool {
    matches!(
        error,
        LoadError::UnknownPreset { .. } | LoadError::BadSpec { .. }
    )
}

/// A scenario that did not load from `flag`'s value `spec`: a usage error (see
/// [`is_usage`]) or the load error in context.
pub fn scenario_error(flag: &str, spec: &str, error: LoadError) -> anyhow::Error {
    if is_usage(&error) {
        UsageError::new(flag, error).into()
    } else {
        anyhow::Error::new(error).context(format!("loading scenario `{spec}`"))
    }
}

/// Runs a prepared match in-process.
pub fn run_prepared(p: &MatchPlan) -> Result<MatchResult> {
    Ok(plenary_core::run_in_process(p.new_match(), &mut |brief| {
        plenary_strategies::create(&p.strategies[brief.seat as usize], brief)
            .expect("`prepare` checked every strategy name")
    }))
}

/// Writes `text` to `path`, or to standard output when `path` is `-`.
pub fn write_text(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        return Ok(out.flush()?);
    }
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// The results of a match in the documented output shape (`plenary schema
/// run-result`): labelled lists, schema and tool versions.
pub fn run_result(p: &MatchPlan, result: &MatchResult) -> plenary_tournament::results::RunResult {
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
/// file). `-` is stdout.
pub fn write_json(path: &std::path::Path, p: &MatchPlan, result: &MatchResult) -> Result<()> {
    write_text(path, &serde_json::to_string_pretty(&run_result(p, result))?)
}

/// `plenary run`.
pub fn run(args: &MatchArgs) -> Result<ExitCode> {
    let p = prepare(args)?;
    let result = run_prepared(&p)?;
    print!("{}", report::text(&p, &result, args.brief));
    if let Some(path) = &args.json {
        write_json(path, &p, &result)?;
        progress!("results written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// How a list command prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned lines for people.
    #[default]
    Text,
    /// A JSON array of objects with stable keys (listed in the command's --help).
    Json,
}

/// Flags of `plenary designs` and `plenary scenarios`.
#[derive(Debug, Clone, Args)]
pub struct DesignsArgs {
    /// Print this preset's file (a template to copy and change).
    #[arg(long, value_name = "ID")]
    pub show: Option<String>,
    /// Output format: text, or json (an array of objects; keys below).
    #[arg(long, value_enum, default_value_t = Format::Text, conflicts_with = "show")]
    pub format: Format,
}

/// Flags of `plenary strategies`.
#[derive(Debug, Clone, Args)]
pub struct StrategiesArgs {
    /// Output format: text, or json (an array of objects; keys below).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A text wrapped over lines (as TOML files hold descriptions) on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints a list as pretty JSON on stdout.
fn print_json(items: Vec<serde_json::Value>) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&items)?);
    Ok(ExitCode::SUCCESS)
}

/// `plenary designs`.
pub fn designs(args: &DesignsArgs) -> Result<ExitCode> {
    if let Some(id) = &args.show {
        return show(plenary_scenarios::DESIGNS, "design", id);
    }
    if args.format == Format::Json {
        let mut items = Vec::new();
        for (id, _) in plenary_scenarios::DESIGNS {
            let d = plenary_scenarios::design(id)?;
            let p = &d.procedure;
            items.push(json!({
                "id": id,
                "name": d.design.name,
                "description": one_line(&d.design.description),
                "mediation": p.mediation,
                "linkage": p.linkage,
                "naming_shaming": p.naming_shaming,
                "bodies": d.bodies.len(),
                "scope": p.scope.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            }));
        }
        return print_json(items);
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
    if args.format == Format::Json {
        let mut items = Vec::new();
        for (id, _) in plenary_scenarios::SCENARIOS {
            let s = plenary_scenarios::scenario(id)?;
            items.push(json!({
                "id": id,
                "name": s.name,
                "description": one_line(&s.description),
                "states": s.states.len(),
                "blocs": s.blocs.len(),
                "items": s.agenda.len(),
                "default_design": s.default_design.as_deref().unwrap_or(plenary_scenarios::FALLBACK_DESIGN),
            }));
        }
        return print_json(items);
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
        None => Err(UsageError::new(
            "--show",
            format!("no {kind} preset `{id}` (known: {})", ids(list)),
        )
        .into()),
    }
}

fn ids(list: &[(&str, &str)]) -> String {
    list.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

/// `plenary strategies`.
pub fn strategies(args: &StrategiesArgs) -> Result<ExitCode> {
    if args.format == Format::Json {
        let items = plenary_strategies::all()
            .iter()
            .map(|s| {
                json!({
                    "id": s.name,
                    "name": s.name,
                    "description": s.summary,
                    "idea": s.idea,
                })
            })
            .collect();
        return print_json(items);
    }
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
    /// For a scenario: check it with this design (preset id or file) instead of its
    /// default design.
    #[arg(long)]
    pub design: Option<String>,
    /// Also check this strategy assignment (as `run --strategies`) against the
    /// scenario. Default: the built-in mix, as `run` uses it.
    #[arg(long)]
    pub strategies: Option<String>,
}

/// `plenary check FILE`: everything `plenary run` would check before running. For a
/// scenario: the file, its default design (or `--design`) and the design's fit, and
/// the strategy assignment (`--strategies` or the built-in mix). For a design: the file,
/// and with `--scenario` its fit to that scenario and the assignment on it.
pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    let file = args.file.display().to_string();
    let plan = |scenario: String, design: Option<String>| {
        prepare(&MatchArgs {
            scenario,
            design,
            seed: DEFAULT_SEED,
            strategies: args.strategies.clone(),
            json: None,
            brief: true,
        })
    };
    let outcome = match plenary_scenarios::check_file(&args.file) {
        Ok(Checked::Scenario(s)) => {
            if args.scenario.is_some() {
                bail!(UsageError::new(
                    "--scenario",
                    format!("is for checking a design file; {file} is a scenario")
                ));
            }
            let summary = format!(
                "{file}: scenario `{}` is valid ({} States, {} blocs, {} items)",
                s.id,
                s.states.len(),
                s.blocs.len(),
                s.agenda.len()
            );
            plan(file.clone(), args.design.clone()).map(|p| {
                format!(
                    "{summary}; runs under design `{}` with strategies {}",
                    p.design.design.id,
                    distinct(&p.strategies)
                )
            })
        }
        Ok(Checked::Design(d)) => {
            if args.design.is_some() {
                bail!(UsageError::new(
                    "--design",
                    format!("is for checking a scenario file; {file} is a design")
                ));
            }
            match &args.scenario {
                Some(spec) => plan(spec.clone(), Some(file.clone())).map(|p| {
                    format!(
                        "{file}: design `{}` is valid and fits scenario `{}`",
                        d.design.id, p.scenario.id
                    )
                }),
                None => Ok(format!("{file}: design `{}` is valid", d.design.id)),
            }
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        // A flag naming no preset or strategy: exit 2 with `error:`, as `run` does.
        Err(e) if crate::output::is_usage(&e) => Err(e),
        Err(e) => {
            eprintln!("{}", crate::output::one_line(&e));
            Ok(ExitCode::from(1))
        }
    }
}

/// The distinct names of a list, sorted and joined.
fn distinct(names: &[String]) -> String {
    let set: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}
