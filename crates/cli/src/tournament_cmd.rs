//! `plenary tournament`, `plenary merge`, `plenary report` and
//! `plenary experiment designs`: tournaments of delegation strategies across designs
//! (see the `plenary-tournament` crate for formats, seeds and statistics).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plenary_lab::{Entrant, RemoteExecutor, RemoteOptions};
use plenary_tournament::run::{self, Progress, RunOptions, RunReport, Shard};
use plenary_tournament::{
    Catalog, Config, Executor, InProcess, StrategyMaker, config, output, plan, report, summary,
};
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
    /// Matches to run per --bench measurement (at least 1).
    #[arg(long, default_value_t = 400, value_name = "N", value_parser = at_least_one)]
    pub bench_matches: usize,
    /// Print the configuration (the embedded default unless --config) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// With --bench: also write the figures as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", requires = "bench")]
    pub json: Option<PathBuf>,
    /// Run every match through the chair's driver against delegation endpoints over
    /// loopback gRPC: one `plenary delegate` process per strategy, serving any seat,
    /// many matches in flight. Same seeds, same records as in-process.
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
}

/// A count of at least 1 (`--bench-matches 0` promised a 15,000,000,000 s tournament).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a count: {e}")),
    }
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
            let text = plenary_scenarios::bounded::read_toml(p)?;
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
        // The plan size limit applies to the overridden configuration too.
        cfg.validate(&format!("{origin} with --replications {r}"), &known())?;
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
    if (!p.cfg.endpoints.is_empty() || !p.cfg.commands.is_empty()) && !args.remote {
        eprintln!(
            "entrants that run as their own processes in the config ({}): running remotely",
            p.cfg
                .endpoints
                .keys()
                .chain(p.cfg.commands.keys())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let r = if args.remote || !p.cfg.endpoints.is_empty() || !p.cfg.commands.is_empty() {
        let remote = start_remote(&p, config_dir(args.config.as_deref()))?;
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
    // The same matches over delegation endpoints spawned once (one per strategy),
    // many matches in flight over the shared streams.
    let n = args.bench_matches.min(200);
    let remote = start_remote(p, config_dir(args.config.as_deref()))?;
    let r = execute_with(p, &remote, None, false, None, Some(n))?;
    let endpoints = remote.endpoints().len();
    drop(remote);
    let remote_per_s = r.per_second();
    println!(
        "over {endpoints} delegation endpoints: {:>5} matches in {:>6.2} s = {:>8.1} matches/s ({:.0}x the in-process time per match)",
        r.written,
        r.elapsed.as_secs_f64(),
        remote_per_s,
        rows[0] / remote_per_s.max(1e-9)
    );
    if let Some(path) = &args.json {
        let doc = serde_json::json!({
            "schema_version": 1,
            "tool_version": env!("CARGO_PKG_VERSION"),
            "in_process_matches_per_s": rows[0],
            "in_process_matches_per_s_one_thread": rows.get(1).copied().unwrap_or(rows[0]),
            "threads": cores,
            "remote_matches_per_s": remote_per_s,
            "remote_matches": r.written,
            "remote_endpoints": endpoints,
        });
        crate::common::write_text(path, &serde_json::to_string_pretty(&doc)?)?;
    }
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
        commands: Default::default(),
        population: Some(config::Population { replications: None }),
    };
    cfg.validate("--strategies", &known())?;
    Ok(cfg)
}

/// `plenary experiment ...`.
pub fn experiment(which: &Experiment) -> Result<ExitCode> {
    match which {
        Experiment::Designs(args) => {
            let cfg = designs_experiment_config(args)?;
            let p = prepare("experiment designs", cfg)?;
            eprintln!(
                "design experiment: {} designs x {} matches on osce-2021, every seat drawn from {} strategies, master seed {}",
                p.cfg.designs.len(),
                args.replications,
                p.cfg.strategies.len(),
                p.cfg.seed
            );
            let r = execute(
                &p,
                Some(args.out.clone()),
                args.resume,
                None,
                args.threads,
                None,
            )?;
            eprintln!(
                "ran {} matches in {:.1} s",
                r.written,
                r.elapsed.as_secs_f64()
            );
            let s = summary::summarize_into(&args.out)?;
            print!("{}", designs_table(&s));
            let html = report::write_report(
                &args.out,
                "plenary experiment: institutional designs compared",
            )?;
            println!("\nChart and tables: {}", html.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The comparison table of the design experiment, with a reading guide.
fn designs_table(s: &summary::Summary) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let metrics = [
        ("capacity_to_act", "capacity to act"),
        ("legitimacy_mean", "legitimacy mean"),
        ("legitimacy_min", "legitimacy min"),
        ("inclusiveness", "inclusiveness"),
        ("tension_peak", "tension peak"),
        ("tension_final", "tension final"),
    ];
    let _ = writeln!(o, "\nDesigns on osce-2021 (mean and 95% CI over matches):");
    let mut designs: Vec<&str> = s
        .designs
        .iter()
        .filter(|d| d.format == "all")
        .map(|d| d.design.as_str())
        .collect();
    designs.dedup();
    let _ = write!(o, "  {:<18}", "metric");
    for d in &designs {
        let _ = write!(o, " {:>26}", d);
    }
    o.push('\n');
    for (key, label) in metrics {
        let _ = write!(o, "  {:<18}", label);
        for d in &designs {
            let cell = s
                .designs
                .iter()
                .find(|r| r.format == "all" && r.design == *d && r.metric == key)
                .map(|r| match (r.stat.mean, r.stat.ci_low, r.stat.ci_high) {
                    (Some(m), Some(l), Some(h)) => format!("{m:.3} [{l:.3}, {h:.3}]"),
                    (Some(m), _, _) => format!("{m:.3}"),
                    _ => "-".into(),
                })
                .unwrap_or_default();
            let _ = write!(o, " {:>26}", cell);
        }
        o.push('\n');
    }
    o.push_str(
        "\nHow to read: capacity to act = share of in-scope agenda items decided (mean over sessions);\n\
         legitimacy = States' consent to the institution at the end of the match (0..1; mean and the\n\
         lowest State); inclusiveness = share of States still taking part; tension = highest bloc-pair\n\
         tension (0..1), peak over the match and at its end. Each design plays the same number of\n\
         matches with every seat's strategy drawn at random from the population. The numbers come\n\
         from the model, not from observed history; intervals that do not overlap mark differences\n\
         the model produces reliably at this number of matches.\n",
    );
    o
}

/// The directory of the config file (command entrants run there); `None` for the
/// current directory.
fn config_dir(config: Option<&Path>) -> Option<&Path> {
    config
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
}

/// Starts one delegation endpoint per entrant of the tournament: built-in strategies as
/// `plenary delegate --any-seat` processes, `[commands]` entrants by their command,
/// `[endpoints]` entrants where they already run.
fn start_remote(p: &Prepared, config_dir: Option<&Path>) -> Result<RemoteExecutor> {
    let mut names: Vec<String> = p
        .plan
        .fixed
        .iter()
        .flat_map(|s| s.strategies.iter().cloned())
        .collect();
    names.extend(p.cfg.strategies.iter().cloned());
    names.sort();
    names.dedup();
    let entrants = names
        .into_iter()
        .map(|name| {
            let e = if let Some(url) = p.cfg.endpoints.get(&name) {
                Entrant::Endpoint(url.clone())
            } else if let Some(cmd) = p.cfg.commands.get(&name) {
                Entrant::Command(cmd.clone())
            } else {
                Entrant::Builtin
            };
            (name, e)
        })
        .collect();
    let exe = std::env::current_exe().context("locating the plenary binary")?;
    let opts = RemoteOptions {
        cwd: config_dir.map(Path::to_path_buf),
        ..RemoteOptions::new(exe)
    };
    let remote = RemoteExecutor::start(Arc::clone(&p.catalog), entrants, opts)?;
    eprintln!(
        "remote: {} delegation endpoints ({})",
        remote.endpoints().len(),
        remote
            .endpoints()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(remote)
}
