//! `plenary tournament`, `plenary merge`, `plenary report` and
//! `plenary experiment designs`: tournaments of delegation strategies across designs
//! (see the `plenary-tournament` crate for formats, seeds and statistics).

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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Override the master seed of the configuration (0 to 2^53 - 1).
    #[arg(long, env = "PLENARY_SEED", value_parser = plenary_tournament::results::parse_seed)]
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

/// Flags of `plenary replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A tournament output directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The match: its id (the `match_id` field of matches.jsonl, e.g.
    /// `rotation/osce-2021/csce-1975/r0/leader/hardliner`) or its index.
    #[arg(value_name = "MATCH")]
    pub which: String,
    /// Directory for result.json and match.html (default: DIR/replay/INDEX).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only the session summaries, not every item.
    #[arg(long)]
    pub brief: bool,
}

/// Flags of `plenary export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A tournament output directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Flags of `plenary schema`.
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// The schema to print (without it: the list of schemas).
    #[arg(value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(plenary_tournament::schema::names()))]
    pub name: Option<String>,
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
    /// Master seed (0 to 2^53 - 1).
    #[arg(long, default_value_t = crate::common::DEFAULT_SEED, env = "PLENARY_SEED", value_parser = plenary_tournament::results::parse_seed)]
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

/// Progress of a run on stderr: a bar on a terminal (unless CI is set), otherwise a
/// line at every tenth of the run, so logs and pipes see it advance too.
struct Reporter {
    bar: Option<ProgressBar>,
    last: AtomicU64,
    what: &'static str,
}

impl Reporter {
    fn new(what: &'static str) -> Reporter {
        let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = terminal.then(|| {
            let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} matches  {per_sec}  ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            pb
        });
        Reporter {
            bar,
            last: AtomicU64::new(u64::MAX),
            what,
        }
    }

    fn tick(&self, pr: Progress) {
        if let Some(pb) = &self.bar {
            pb.set_length(pr.total);
            pb.set_position(pr.done);
            return;
        }
        if pr.total == 0 {
            return;
        }
        let tenth = pr.done * 10 / pr.total;
        if self.last.swap(tenth, Ordering::Relaxed) != tenth {
            eprintln!(
                "{}: {}/{} matches ({}%)",
                self.what,
                pr.done,
                pr.total,
                pr.done * 100 / pr.total
            );
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

/// A flag set by the first Ctrl-C (or SIGTERM): the run finishes the matches in hand
/// and stops. A second one quits at once (exit 130; the records written so far stay
/// valid for --resume).
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            crate::remote::shutdown_signal(false).await;
            flag.store(true, Ordering::Relaxed);
            eprintln!(
                "\ninterrupted: finishing the matches in hand and writing them (Ctrl-C again to quit at once)"
            );
            crate::remote::shutdown_signal(false).await;
            std::process::exit(130);
        });
    });
    stop
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

/// Where and how a run goes.
struct Target<'a> {
    out: Option<PathBuf>,
    resume: bool,
    shard: Option<Shard>,
    limit: Option<usize>,
    stop: Option<&'a AtomicBool>,
    what: &'static str,
}

fn execute(p: &Prepared, threads: Option<usize>, t: &Target<'_>) -> Result<RunReport> {
    let mut exec = InProcess::new(Arc::clone(&p.catalog), maker());
    if let Some(n) = threads {
        exec = exec.with_threads(n);
    }
    execute_with(p, &exec, t)
}

fn execute_with(p: &Prepared, exec: &dyn Executor, t: &Target<'_>) -> Result<RunReport> {
    let reporter = Reporter::new(t.what);
    let tick = |pr: Progress| reporter.tick(pr);
    let opts = RunOptions {
        out: t.out.clone(),
        resume: t.resume,
        shard: t.shard,
        limit: t.limit,
        progress: Some(&tick),
        stop: t.stop,
    };
    let r = run::run(&p.cfg, &p.catalog, &p.plan, exec, &opts);
    reporter.finish();
    Ok(r?)
}

/// The command that resumes an interrupted `plenary tournament`.
fn resume_command(args: &TournamentArgs) -> String {
    let mut c = String::from("plenary tournament");
    if let Some(cfg) = &args.config {
        c.push_str(&format!(" --config {}", cfg.display()));
    }
    if let Some(seed) = args.seed {
        c.push_str(&format!(" --seed {seed}"));
    }
    if let Some(r) = args.replications {
        c.push_str(&format!(" --replications {r}"));
    }
    if let Some(s) = args.shard {
        c.push_str(&format!(" --shard {}/{}", s.index, s.count));
    }
    if args.remote {
        c.push_str(" --remote");
    }
    c.push_str(&format!(" --out {} --resume", args.out.display()));
    c
}

fn finish(dir: &Path, title: &str) -> Result<summary::Summary> {
    let s = summary::summarize_into(dir)?;
    print!("{}", summary::text_tables(&s));
    let html = report::write_report(dir, title)?;
    println!(
        "\nWritten to {}: matches.jsonl, {}, {}",
        dir.display(),
        summary::SUMMARY_FILES.join(", "),
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
        print!("{}", cfg.to_commented_toml());
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
    let stop = stop_on_signal();
    let target = Target {
        out: Some(args.out.clone()),
        resume: args.resume,
        shard: args.shard,
        limit: None,
        stop: Some(&stop),
        what: "tournament",
    };
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
        execute_with(&p, &remote, &target)?
    } else {
        execute(&p, args.threads, &target)?
    };
    if r.interrupted {
        eprintln!(
            "stopped after {} matches this run ({} of {} recorded in {}); every finished match is saved.\nResume with:\n  {}",
            r.written,
            r.written + r.skipped,
            r.planned,
            args.out.display(),
            resume_command(args)
        );
        return Ok(ExitCode::from(130));
    }
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
    if let Some(sh) = args.shard {
        println!(
            "(shard {}/{}: the rankings above cover this shard's matches only; combine the shards with `plenary merge DIR... --out DIR`)",
            sh.index, sh.count
        );
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
        eprintln!(
            "bench: {} matches on {threads} thread{}",
            args.bench_matches,
            if threads == 1 { "" } else { "s" }
        );
        let r = execute(
            p,
            Some(threads),
            &Target {
                out: None,
                resume: false,
                shard: None,
                limit: Some(args.bench_matches),
                stop: None,
                what: "bench",
            },
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
    eprintln!("bench: {n} matches over delegation processes");
    let remote = Remote::start(p, Some(cores))?;
    let r = execute_with(
        p,
        &remote,
        &Target {
            out: None,
            resume: false,
            shard: None,
            limit: Some(n),
            stop: None,
            what: "bench (remote)",
        },
    )?;
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

/// `plenary replay`.
pub fn replay(args: &ReplayArgs) -> Result<ExitCode> {
    let r = plenary_tournament::replay::replay(&args.dir, &args.which, maker())?;
    let p = crate::common::Prepared {
        scenario: Arc::clone(&r.scenario),
        design: Arc::clone(&r.design),
        strategies: r
            .recorded
            .outcome
            .states
            .iter()
            .map(|s| s.strategy.clone())
            .collect(),
        seed: r.recorded.outcome.seed,
    };
    print!("{}", crate::report::text(&p, &r.result, args.brief));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join("replay").join(r.recorded.index.to_string()));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let json = out.join("result.json");
    std::fs::write(&json, serde_json::to_string_pretty(&r.run)? + "\n")
        .with_context(|| format!("writing {}", json.display()))?;
    let html = out.join("match.html");
    std::fs::write(
        &html,
        plenary_tournament::match_page::render(&r.run, &r.recorded.outcome.match_id),
    )
    .with_context(|| format!("writing {}", html.display()))?;
    println!(
        "\nMatch {} (index {}), recorded by the {} executor: results in {}, match page {}",
        r.recorded.outcome.match_id,
        r.recorded.index,
        r.recorded.executor,
        json.display(),
        html.display()
    );
    let diff = r.differences();
    if diff.is_empty() {
        println!(
            "The replay equals its record in {} (every field).",
            output::MATCHES
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: the replay differs from its record in: {} (the code, or the scenario or design files, changed since the tournament ran)",
            diff.join(", ")
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `plenary export`.
#[cfg(feature = "parquet")]
pub fn export(args: &ExportArgs) -> Result<ExitCode> {
    let (m, s, n) = plenary_tournament::export::write_parquet(&args.dir)?;
    println!("{}\n{}", m.display(), s.display());
    eprintln!("exported {n} matches: one row per match, one row per State per match");
    Ok(ExitCode::SUCCESS)
}

/// `plenary export` in a build without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
pub fn export(_args: &ExportArgs) -> Result<ExitCode> {
    bail!(
        "this plenary was built without the `parquet` feature: rebuild with `cargo build --features parquet`"
    )
}

/// `plenary schema`.
pub fn schema(args: &SchemaArgs) -> Result<ExitCode> {
    match &args.name {
        Some(name) => {
            let text = plenary_tournament::schema::schema(name)
                .with_context(|| format!("unknown schema `{name}`"))?;
            print!("{text}");
        }
        None => {
            for (name, what) in plenary_tournament::schema::SCHEMAS {
                println!("{name:<18} {what}");
            }
        }
    }
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
            let stop = stop_on_signal();
            let r = execute(
                &p,
                args.threads,
                &Target {
                    out: Some(args.out.clone()),
                    resume: args.resume,
                    shard: None,
                    limit: None,
                    stop: Some(&stop),
                    what: "experiment",
                },
            )?;
            if r.interrupted {
                eprintln!(
                    "stopped after {} matches; resume with:\n  plenary experiment designs --replications {} --seed {} --out {} --resume",
                    r.written,
                    args.replications,
                    args.seed,
                    args.out.display()
                );
                return Ok(ExitCode::from(130));
            }
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
