//! `plenary tournament`, `plenary merge`, `plenary report` and `plenary experiment`
//! (`designs`, `history`): tournaments of delegation strategies across designs and the
//! historical check of a scenario's baseline (see the `plenary-tournament` crate for
//! formats, seeds and statistics).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plenary_tournament::exec::ExecError;
use plenary_tournament::run::{self, Progress, RunOptions, RunReport, Shard};
use plenary_tournament::{
    Catalog, Config, Executor, InProcess, MatchSpec, StrategyMaker, config, output, plan, report,
    summary,
};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Flags of `plenary tournament`.
#[derive(Debug, Clone, Args)]
pub struct TournamentArgs {
    /// Tournament configuration (TOML). Default: the embedded default tournament
    /// (print it with --print-config).
    #[arg(long, value_name = "FILE", env = "PLENARY_TOURNAMENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Output directory: matches.jsonl, summary.json, *.csv, report.html.
    #[arg(long, value_name = "DIR", default_value = "tournament-out")]
    pub out: PathBuf,
    /// Continue an interrupted run in --out: skip matches already recorded.
    #[arg(long)]
    pub resume: bool,
    /// Run only matches with index % N == I (combine shards with `plenary merge`).
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Override the master seed of the configuration.
    #[arg(long, env = "PLENARY_SEED")]
    pub seed: Option<u64>,
    /// Override the replications of the configuration (top level).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Measure matches per second in-process (all cores and one core) on the first
    /// matches of the tournament; writes nothing.
    #[arg(long)]
    pub bench: bool,
    /// Matches to run per --bench measurement.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub bench_matches: usize,
    /// Print the configuration (the embedded default unless --config) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Run every match through the chair driver (`plenary_chair::run_remote`) against
    /// delegation processes over loopback gRPC: one `plenary delegate` process per
    /// strategy, serving any seat. Same seeds, same records as in-process.
    #[arg(long)]
    pub remote: bool,
    /// Start over: discard the records already in --out.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
}

/// Flags of `plenary merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Shard output directories of the same tournament.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory of the merged results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Flags of `plenary report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A tournament output directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Title of the page.
    #[arg(long, default_value = "plenary tournament report")]
    pub title: String,
}

/// `plenary experiment`.
#[derive(Debug, Clone, Subcommand)]
pub enum Experiment {
    /// Compare the four design presets on osce-2021 (capacity to act, legitimacy,
    /// inclusiveness, tension) over a mixed population of strategies.
    #[command(
        after_help = "Examples:\n  plenary experiment designs\n  plenary experiment designs --replications 60 --seed 7 --out designs-out"
    )]
    Designs(DesignsExperimentArgs),
    /// Run a scenario's baseline (default design, default strategy mix) over many seeds
    /// and score each agenda item against a sourced table of what really happened.
    #[command(
        after_help = "Tables: the embedded one of the scenario (osce-2021: the year 2021; csce-1975: the Helsinki Final Act), or --table FILE.\n\nExamples:\n  plenary experiment history\n  plenary experiment history --seeds 20 --json history.json\n  plenary experiment history --scenario csce-1975 --seeds 10"
    )]
    History(HistoryExperimentArgs),
}

/// Flags of `plenary experiment history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryExperimentArgs {
    /// Scenario: a preset id or a scenario file (its default design is used).
    #[arg(long, default_value = "osce-2021")]
    pub scenario: String,
    /// History table (TOML). Default: the embedded table of the scenario preset.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Number of seeds (matches) to run.
    #[arg(long, default_value_t = 20)]
    pub seeds: u32,
    /// Master seed the match seeds derive from.
    #[arg(long, default_value_t = crate::common::DEFAULT_SEED, env = "PLENARY_SEED")]
    pub seed: u64,
    /// Strategy assignment (`default=NAME,BLOC=NAME,STATE=NAME`). Default: the
    /// scenario's own default mix.
    #[arg(long)]
    pub strategies: Option<String>,
    /// Also write the scores (with `hit_rate` and per-item rates) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Flags of `plenary experiment designs`.
#[derive(Debug, Clone, Args)]
pub struct DesignsExperimentArgs {
    /// Matches per design.
    #[arg(long, default_value_t = 100)]
    pub replications: u32,
    /// Master seed.
    #[arg(long, default_value_t = crate::common::DEFAULT_SEED, env = "PLENARY_SEED")]
    pub seed: u64,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "experiment-designs")]
    pub out: PathBuf,
    /// Strategies of the population (comma-separated; default: every built-in).
    #[arg(long, value_delimiter = ',')]
    pub strategies: Option<Vec<String>>,
    /// Continue an interrupted run in --out.
    #[arg(long)]
    pub resume: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Matches per design and variant in the robustness check (0 = skip the check).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub robustness_replications: u32,
}

fn maker() -> Arc<StrategyMaker> {
    Arc::new(|name: &str, brief: &plenary_core::strategy::SeatBrief| {
        plenary_strategies::create(name, brief).map_err(|e| e.to_string())
    })
}

fn known() -> Vec<&'static str> {
    plenary_strategies::names()
}

/// Loads the configuration: `(origin, config)`.
fn load_config(path: Option<&Path>) -> Result<(String, Config)> {
    let names = known();
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let origin = p.display().to_string();
            let cfg = Config::parse(&origin, &text, &names)?;
            Ok((origin, cfg))
        }
        None => Ok((
            "embedded:default-tournament".into(),
            Config::default_config(&names)?,
        )),
    }
}

/// A progress bar on stderr when it is a terminal and CI is not set.
fn progress_bar() -> ProgressBar {
    let quiet = !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some();
    let pb = ProgressBar::with_draw_target(
        Some(0),
        if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} matches  {per_sec}  ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}

struct Prepared {
    cfg: Config,
    catalog: Arc<Catalog>,
    plan: plan::Plan,
}

fn prepare(origin: &str, cfg: Config) -> Result<Prepared> {
    let catalog = Arc::new(Catalog::load(origin, &cfg)?);
    let plan = plan::plan(&cfg, &catalog);
    Ok(Prepared { cfg, catalog, plan })
}

fn execute(
    p: &Prepared,
    out: Option<PathBuf>,
    resume: bool,
    shard: Option<Shard>,
    threads: Option<usize>,
    limit: Option<usize>,
) -> Result<RunReport> {
    let mut exec = InProcess::new(Arc::clone(&p.catalog), maker());
    if let Some(t) = threads {
        exec = exec.with_threads(t);
    }
    execute_with(p, &exec, out, resume, shard, limit)
}

fn execute_with(
    p: &Prepared,
    exec: &dyn Executor,
    out: Option<PathBuf>,
    resume: bool,
    shard: Option<Shard>,
    limit: Option<usize>,
) -> Result<RunReport> {
    let pb = progress_bar();
    let tick = |pr: Progress| {
        pb.set_length(pr.total);
        pb.set_position(pr.done);
    };
    let opts = RunOptions {
        out,
        resume,
        shard,
        limit,
        progress: Some(&tick),
    };
    let r = run::run(&p.cfg, &p.catalog, &p.plan, exec, &opts);
    pb.finish_and_clear();
    Ok(r?)
}

fn finish(dir: &Path, title: &str) -> Result<summary::Summary> {
    let s = summary::summarize_into(dir)?;
    print!("{}", summary::text_tables(&s));
    let html = report::write_report(dir, title)?;
    println!(
        "\nWritten to {}: matches.jsonl, summary.json, rankings.csv, designs.csv, head_to_head.csv, evolution.csv, tension.csv, {}",
        dir.display(),
        html.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    );
    Ok(s)
}

/// `plenary tournament`.
pub fn tournament(args: &TournamentArgs) -> Result<ExitCode> {
    let (origin, mut cfg) = load_config(args.config.as_deref())?;
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if let Some(r) = args.replications {
        if r == 0 {
            bail!("--replications must be at least 1");
        }
        cfg.replications = r;
    }
    if args.print_config {
        print!("{}", cfg.to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let p = prepare(&origin, cfg)?;
    if args.bench {
        return bench(&p, args);
    }
    eprintln!(
        "tournament {}: {} matches planned ({} fixed{}), master seed {}, {} threads{}",
        p.cfg.fingerprint(),
        p.plan.total,
        p.plan.fixed.len(),
        p.plan
            .evo
            .as_ref()
            .map(|e| format!(
                " + {} evolutionary",
                e.per_generation() * u64::from(e.generations)
            ))
            .unwrap_or_default(),
        p.cfg.seed,
        args.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        args.shard
            .map(|s| format!(", shard {}/{}", s.index, s.count))
            .unwrap_or_default(),
    );
    if args.force {
        let records = args.out.join(output::MATCHES);
        if records.exists() {
            std::fs::remove_file(&records)
                .with_context(|| format!("removing {}", records.display()))?;
        }
    }
    let start = Instant::now();
    if !p.cfg.endpoints.is_empty() && !args.remote {
        eprintln!(
            "external delegations in the config ({}): running remotely",
            p.cfg
                .endpoints
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let r = if args.remote || !p.cfg.endpoints.is_empty() {
        let remote = Remote::start(&p, args.threads)?;
        eprintln!(
            "remote: {} delegation processes ({})",
            remote.endpoints.len(),
            remote
                .endpoints
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        execute_with(
            &p,
            &remote,
            Some(args.out.clone()),
            args.resume,
            args.shard,
            None,
        )?
    } else {
        execute(
            &p,
            Some(args.out.clone()),
            args.resume,
            args.shard,
            args.threads,
            None,
        )?
    };
    eprintln!(
        "ran {} matches in {:.1} s ({:.0} matches/s){}{}{}",
        r.written + r.resimulated,
        r.elapsed.as_secs_f64(),
        r.per_second(),
        if r.skipped > 0 {
            format!(", {} already done", r.skipped)
        } else {
            String::new()
        },
        if r.repaired > 0 {
            format!(", cut a truncated last line of {} bytes", r.repaired)
        } else {
            String::new()
        },
        if r.resimulated > 0 {
            format!(
                ", {} of them other shards' evolutionary matches (not written)",
                r.resimulated
            )
        } else {
            String::new()
        },
    );
    finish(&args.out, "plenary tournament report")?;
    if args.shard.is_some() {
        println!("(this is one shard: combine the shards with `plenary merge DIR... --out DIR`)");
    }
    eprintln!("total wall time {:.1} s", start.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn bench(p: &Prepared, args: &TournamentArgs) -> Result<ExitCode> {
    let cores = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!(
        "in-process tournament throughput (first {} matches of the tournament, nothing written)",
        args.bench_matches
    );
    let mut rows = Vec::new();
    for threads in [cores, 1] {
        let r = execute(
            p,
            None,
            false,
            None,
            Some(threads),
            Some(args.bench_matches),
        )?;
        println!(
            "  {:>2} thread{}: {:>5} matches in {:>6.2} s = {:>8.1} matches/s",
            threads,
            if threads == 1 { " " } else { "s" },
            r.written,
            r.elapsed.as_secs_f64(),
            r.per_second()
        );
        rows.push(r.per_second());
        if cores == 1 {
            break;
        }
    }
    if rows.len() == 2 && rows[1] > 0.0 {
        println!("  speed-up {:.2}x on {cores} threads", rows[0] / rows[1]);
    }
    println!(
        "  whole tournament ({} matches) would take about {:.1} s on {cores} threads",
        p.plan.total,
        p.plan.total as f64 / rows[0].max(1e-9)
    );
    // The same matches over spawned delegation processes (one per strategy, reused
    // across matches): every question is a gRPC call, so far fewer are worth timing.
    let n = args.bench_matches.min(4);
    let remote = Remote::start(p, Some(cores))?;
    let r = execute_with(p, &remote, None, false, None, Some(n))?;
    println!(
        "over {} delegation processes: {:>5} matches in {:>6.2} s = {:>8.1} matches/s ({:.0}x the in-process time per match)",
        remote.endpoints.len(),
        r.written,
        r.elapsed.as_secs_f64(),
        r.per_second(),
        rows[0] / r.per_second().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// `plenary merge`.
pub fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let n = output::merge(&args.dirs, &args.out)?;
    let cfg = output::read_config(&args.out)?;
    eprintln!(
        "merged {} records from {} directories into {}",
        n,
        args.dirs.len(),
        args.out.display()
    );
    if let Ok(catalog) = Catalog::load("merged config", &cfg) {
        let planned = plan::plan(&cfg, &catalog).total;
        if n < planned {
            eprintln!(
                "warning: {} of {} planned matches are missing (a shard not finished?)",
                planned - n,
                planned
            );
        }
    }
    finish(&args.out, "plenary tournament report")?;
    Ok(ExitCode::SUCCESS)
}

/// `plenary report`.
pub fn report_cmd(args: &ReportArgs) -> Result<ExitCode> {
    let path = report::write_report(&args.dir, &args.title)?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The configuration of `plenary experiment designs`.
pub fn designs_experiment_config(args: &DesignsExperimentArgs) -> Result<Config> {
    let strategies = args
        .strategies
        .clone()
        .unwrap_or_else(|| known().into_iter().map(String::from).collect());
    let cfg = Config {
        seed: args.seed,
        replications: args.replications,
        strategies,
        designs: [
            "osce-2021",
            "csce-1975",
            "path1-upgraded",
            "path2-conference",
        ]
        .map(String::from)
        .to_vec(),
        scenarios: vec!["osce-2021".into()],
        neutral_blocs: vec!["non-aligned".into(), "nn".into()],
        rotation: None,
        bloc_vs_bloc: None,
        evolutionary: None,
        invasion: None,
        endpoints: Default::default(),
        population: Some(config::Population { replications: None }),
    };
    cfg.validate("--strategies", &known())?;
    Ok(cfg)
}

/// `plenary experiment ...`.
pub fn experiment(which: &Experiment) -> Result<ExitCode> {
    match which {
        Experiment::History(args) => history_experiment(args),
        Experiment::Designs(args) => designs_experiment(args),
    }
}

/// `plenary experiment designs`: the four designs over a mixed population (written to
/// --out like a tournament), the figures per design, and the robustness check.
fn designs_experiment(args: &DesignsExperimentArgs) -> Result<ExitCode> {
    use plenary_tournament::robustness::{self, Recorder};
    let cfg = designs_experiment_config(args)?;
    let p = prepare("experiment designs", cfg)?;
    eprintln!(
        "design experiment: {} designs x {} matches on osce-2021, every seat drawn from {} strategies, master seed {}",
        p.cfg.designs.len(),
        args.replications,
        p.cfg.strategies.len(),
        p.cfg.seed
    );
    let mut inner = InProcess::new(Arc::clone(&p.catalog), maker());
    if let Some(t) = args.threads {
        inner = inner.with_threads(t);
    }
    let recorder = Recorder::new(&inner);
    let r = execute_with(
        &p,
        &recorder,
        Some(args.out.clone()),
        args.resume,
        None,
        None,
    )?;
    eprintln!(
        "ran {} matches in {:.1} s",
        r.written,
        r.elapsed.as_secs_f64()
    );
    // Matches a resumed run skipped are simulated again in memory (same seeds, same
    // results) so the figures always cover every match of the experiment.
    let mut figures = recorder.take();
    let missing: Vec<MatchSpec> = p
        .plan
        .fixed
        .iter()
        .filter(|s| !figures.contains_key(&s.index))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let again = Recorder::new(&inner);
        plenary_tournament::exec::run_parallel::<ExecError>(
            &missing,
            &again,
            inner.parallelism(),
            |_, _| Ok(()),
        )?;
        figures.extend(again.take());
    }
    let design_of: BTreeMap<u64, &str> = p
        .plan
        .fixed
        .iter()
        .map(|s| (s.index, s.design.as_str()))
        .collect();
    let by_design = robustness::by_design(
        figures
            .iter()
            .filter_map(|(i, f)| design_of.get(i).map(|d| (*d, f))),
    );
    print!("{}", designs_table(&p.cfg.designs, &by_design));

    let mut doc = serde_json::Map::new();
    doc.insert(
        "designs".into(),
        serde_json::to_value(
            by_design
                .iter()
                .map(|(d, accs)| {
                    (
                        d.clone(),
                        accs.iter()
                            .map(|(m, a)| (m.key().to_string(), a.stat()))
                            .collect::<BTreeMap<_, _>>(),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        )?,
    );
    if args.robustness_replications > 0 {
        let sc = p
            .catalog
            .scenarios
            .get("osce-2021")
            .cloned()
            .context("the design experiment runs on osce-2021")?;
        let designs: Vec<Arc<plenary_core::Design>> = robustness::CLAIM_DESIGNS
            .iter()
            .map(|d| {
                p.catalog
                    .designs
                    .get(*d)
                    .cloned()
                    .with_context(|| format!("design `{d}` not loaded"))
            })
            .collect::<Result<_>>()?;
        let default_mix = plenary_core::assignment::Assignment::parse(&scenario_mix(&sc))
            .and_then(|a| a.resolve(&sc, "dissociator"))
            .context("the scenario's default strategy mix")?;
        let started = Instant::now();
        let report = robustness::run(&robustness::Setup {
            scenario: Arc::clone(&sc),
            designs,
            reference_dynamics: p.catalog.designs["osce-2021"].dynamics.clone(),
            population: &p.cfg.strategies,
            default_mix: &default_mix,
            seed: p.cfg.seed,
            replications: args.robustness_replications,
            make: maker(),
            threads: args.threads,
        })?;
        eprintln!(
            "robustness: {} variants x {} designs x {} matches in {:.1} s",
            report.variants.len(),
            robustness::CLAIM_DESIGNS.len(),
            args.robustness_replications,
            started.elapsed().as_secs_f64()
        );
        print!("{}", robustness::text(&report));
        doc.insert("robustness".into(), serde_json::to_value(&report)?);
    }
    let path = args.out.join("experiment.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    summary::summarize_into(&args.out)?;
    let html = report::write_report(
        &args.out,
        "plenary experiment: institutional designs compared",
    )?;
    println!(
        "\nFigures and robustness: {}\nChart and tables: {}",
        path.display(),
        html.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The strategy assignment a scenario is played with when none is given: its own
/// `default_strategies`, else the built-in mix.
fn scenario_mix(sc: &plenary_core::Scenario) -> String {
    plenary_strategies::default_mix(sc).to_string()
}

/// `plenary experiment history`.
fn history_experiment(args: &HistoryExperimentArgs) -> Result<ExitCode> {
    use plenary_core::assignment::Assignment;
    use plenary_tournament::history::{self, HistoryTable};
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    let sc = plenary_scenarios::load_scenario(&args.scenario)
        .with_context(|| format!("loading scenario `{}`", args.scenario))?;
    let design_spec = sc
        .default_design
        .clone()
        .unwrap_or_else(|| "osce-2021".to_string());
    let design = plenary_scenarios::load_design(&design_spec)
        .with_context(|| format!("loading design `{design_spec}`"))?;
    design
        .validate_for(&design_spec, &sc)
        .with_context(|| format!("design `{design_spec}` does not fit scenario `{}`", sc.id))?;
    let (origin, text) = match &args.table {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ),
        None => match plenary_scenarios::history(&sc.id) {
            Some(t) => (format!("embedded:history/{}", sc.id), t.to_string()),
            None => bail!(
                "scenario `{}` has no embedded history table (tables: {}); give one with --table FILE",
                sc.id,
                plenary_scenarios::HISTORY
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let table = HistoryTable::parse(&origin, &text)?;
    table.validate_for(&origin, &sc, &design)?;
    let mix = args.strategies.clone().unwrap_or_else(|| scenario_mix(&sc));
    let strategies = Assignment::parse(&mix)
        .and_then(|a| a.resolve(&sc, "dissociator"))
        .context("--strategies")?;
    let mut names: Vec<&str> = strategies.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    plenary_strategies::check(&names).context("--strategies")?;
    let seeds = history::seeds(args.seed, &sc.id, args.seeds);
    eprintln!(
        "history experiment: {} under {} with `{}`, {} seeds from master seed {}",
        sc.id,
        design.design.id,
        mix,
        seeds.len(),
        args.seed
    );
    let started = Instant::now();
    let sc = Arc::new(sc);
    let design = Arc::new(design);
    let results = history::run(
        Arc::clone(&sc),
        Arc::clone(&design),
        &strategies,
        &seeds,
        maker(),
        args.threads,
    )?;
    eprintln!(
        "ran {} matches in {:.1} s",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    let report = history::score(
        &table, &origin, &sc, &design, &mix, args.seed, &seeds, &results,
    );
    print!("{}", history::text(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing results to {}", path.display()))?;
        eprintln!("results written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The comparison table of the design experiment, with a reading guide.
fn designs_table(
    designs: &[String],
    by_design: &BTreeMap<
        String,
        BTreeMap<plenary_tournament::robustness::Metric, plenary_tournament::stats::Acc>,
    >,
) -> String {
    use plenary_tournament::robustness::{Metric, cell};
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "\nDesigns on osce-2021 (mean and 95% CI over matches):");
    let _ = write!(o, "  {:<20}", "metric");
    for d in designs {
        let _ = write!(o, " {:>26}", d);
    }
    o.push('\n');
    for m in Metric::ALL {
        let _ = write!(o, "  {:<20}", m.label());
        for d in designs {
            let c = by_design
                .get(d)
                .and_then(|a| a.get(&m))
                .map_or_else(|| "-".to_string(), |a| cell(&a.stat()));
            let _ = write!(o, " {:>26}", c);
        }
        o.push('\n');
    }
    o.push_str(
        "\nHow to read: capacity to act = share of in-scope agenda items decided (mean over sessions);\n\
         legitimacy = States' consent to the institution at the end of the match (0..1; mean and the\n\
         lowest State); inclusiveness = share of States still taking part; tension = highest\n\
         bloc-pair tension (0..1), peak over the match and at its end; welfare gain = sum\n\
         over States of the utility of the policies in force against the status quo; ad hoc\n\
         arrangements and decided items (per dimension) are counted over all sessions of a match.\n\
         Each design plays the same number of matches with every seat's strategy drawn at random from\n\
         the population. The numbers come from the model, not from observed history; intervals that\n\
         do not overlap mark differences the model produces reliably at this number of matches.\n",
    );
    o
}

/// Runs matches through the chair driver against delegation processes: one
/// `plenary delegate` child per strategy (each serves any seat, keyed by match and
/// State), called over loopback gRPC. The children exit when their stdin closes or
/// when this executor is dropped.
struct Remote {
    rt: tokio::runtime::Runtime,
    catalog: Arc<Catalog>,
    endpoints: BTreeMap<String, String>,
    children: std::sync::Mutex<Vec<std::process::Child>>,
    threads: usize,
}

impl Remote {
    fn start(p: &Prepared, threads: Option<usize>) -> Result<Remote> {
        let mut names: Vec<String> = p
            .plan
            .fixed
            .iter()
            .flat_map(|s| s.strategies.iter().cloned())
            .collect();
        names.extend(p.cfg.strategies.iter().cloned());
        names.sort();
        names.dedup();
        let exe = std::env::current_exe().context("locating the plenary binary")?;
        let any_state = p
            .catalog
            .scenarios
            .values()
            .next()
            .and_then(|s| s.states.first())
            .map(|s| s.id.clone())
            .unwrap_or_default();
        let mut endpoints = BTreeMap::new();
        let mut children = Vec::new();
        let mut started = || -> Result<()> {
            for name in &names {
                if let Some(url) = p.cfg.endpoints.get(name) {
                    external_healthy(url).with_context(|| {
                        format!("external delegation `{name}` at {url} (config `endpoints.{name}`)")
                    })?;
                    endpoints.insert(name.clone(), url.clone());
                    continue;
                }
                let mut child = std::process::Command::new(&exe)
                    .args([
                        "delegate",
                        "--state",
                        &any_state,
                        "--strategy",
                        name,
                        "--any-seat",
                        "--listen",
                        "127.0.0.1:0",
                        "--exit-with-stdin",
                    ])
                    .env(
                        "RUST_LOG",
                        std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
                    )
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::inherit())
                    .spawn()
                    .with_context(|| format!("starting a delegation process for `{name}`"))?;
                let stdout = child.stdout.take().context("delegation stdout")?;
                let mut line = String::new();
                let read = std::io::BufReader::new(stdout)
                    .read_line(&mut line)
                    .context("reading the delegation's address");
                let addr = line
                    .trim()
                    .strip_prefix("listening on ")
                    .map(str::to_string);
                let Some(addr) = addr else {
                    // Say why: a delegation that died prints nothing.
                    let exited = exit_status(&mut child);
                    children.push(child);
                    read?;
                    match exited {
                        Some(status) => bail!(
                            "the delegation process for `{name}` exited ({status}) before printing its address"
                        ),
                        None => bail!(
                            "the delegation process for `{name}` printed `{}` instead of its address",
                            line.trim()
                        ),
                    }
                };
                children.push(child);
                endpoints.insert(name.clone(), format!("http://{addr}"));
            }
            Ok(())
        };
        let ok = started();
        let threads = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let remote = Remote {
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .enable_all()
                .build()?,
            catalog: Arc::clone(&p.catalog),
            endpoints,
            children: std::sync::Mutex::new(children),
            threads,
        };
        ok?;
        Ok(remote)
    }
}

/// The exit status of a child whose stdout just closed (it may take a moment to exit).
fn exit_status(child: &mut std::process::Child) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if start.elapsed() < std::time::Duration::from_secs(2) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            _ => return None,
        }
    }
}

/// Checks that an external delegation answers the standard health service (5 s).
fn external_healthy(url: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(crate::remote::wait_serving(
        url,
        plenary_delegation::SERVICE_NAME,
        std::time::Duration::from_secs(5),
    ))
}

/// Deadline of every call in a remote tournament. Much longer than the chair's 10 s
/// default on purpose: a tournament fails a match on any violation, and with every
/// core busy running matches a call may wait long for its turn, so a short deadline
/// would make the results depend on the machine's load instead of the strategies.
const TOURNAMENT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

impl Executor for Remote {
    fn run(&self, spec: &MatchSpec) -> Result<plenary_core::MatchResult, ExecError> {
        let sc = self
            .catalog
            .scenarios
            .get(&spec.scenario)
            .ok_or_else(|| ExecError::new(spec, "scenario not loaded"))?;
        let design = self
            .catalog
            .designs
            .get(&spec.design)
            .ok_or_else(|| ExecError::new(spec, "design not loaded"))?;
        let mut seats = Vec::with_capacity(sc.states.len());
        for (st, name) in sc.states.iter().zip(&spec.strategies) {
            let endpoint = self.endpoints.get(name).ok_or_else(|| {
                ExecError::new(spec, format!("no delegation process for `{name}`"))
            })?;
            seats.push(plenary_chair::SeatEndpoint {
                state: st.id.clone(),
                endpoint: endpoint.clone(),
                token: None,
            });
        }
        let setup = plenary_core::MatchSetup {
            match_id: spec.match_id.clone(),
            seed: spec.seed,
            strategies: spec.strategies.clone(),
        };
        let m = plenary_core::Match::new(Arc::clone(sc), Arc::clone(design), setup);
        let result = self.rt.handle().block_on(plenary_chair::run_remote(
            m,
            seats,
            plenary_chair::CallConfig {
                timeout: TOURNAMENT_CALL_TIMEOUT,
                ..plenary_chair::CallConfig::default()
            },
        ));
        if let Some(v) = result.violations.first() {
            return Err(ExecError::new(
                spec,
                format!(
                    "delegation of {} failed in {}: {:?}",
                    v.state, v.phase, v.fault
                ),
            ));
        }
        Ok(result)
    }

    fn parallelism(&self) -> usize {
        self.threads
    }

    fn name(&self) -> &str {
        "remote"
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let mut children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        for c in children.iter_mut() {
            // Closing stdin asks the child to exit; kill makes sure it does.
            drop(c.stdin.take());
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
