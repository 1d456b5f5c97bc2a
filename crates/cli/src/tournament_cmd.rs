//! `plenary tournament`, `plenary merge`, `plenary report` and `plenary experiment`
//! (`designs`, `history`): tournaments of delegation strategies across designs and the
//! historical check of a scenario's baseline (see the `plenary-tournament` crate for
//! formats, seeds and statistics).

use crate::output::{UsageError, UsageExt};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plenary_lab::{Entrant, RemoteExecutor, RemoteOptions};
use plenary_tournament::exec::ExecError;
use plenary_tournament::run::{self, Progress, RunOptions, RunReport, Shard};
use plenary_tournament::{
    Catalog, Config, Executor, InProcess, MatchSpec, StrategyMaker, config, output, plan, report,
    summary,
};
use std::collections::BTreeMap;
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
    /// Matches per design and variant in the robustness check (0 = skip the check).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub robustness_replications: u32,
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

/// Progress of a run on stderr: a bar on a terminal (unless CI is set), otherwise a
/// line at every tenth of the run, so logs and pipes see it advance too.
struct Reporter {
    bar: Option<ProgressBar>,
    last: AtomicU64,
    what: &'static str,
}

impl Reporter {
    fn new(what: &'static str) -> Reporter {
        let terminal = crate::output::progress_bar();
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
            progress!(
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
            bail!(UsageError::new("--replications", "must be at least 1"));
        }
        cfg.replications = r;
        // The plan size limit applies to the overridden configuration too.
        cfg.validate(&format!("{origin} with --replications {r}"), &known())?;
    }
    if args.print_config {
        print!("{}", cfg.to_commented_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let p = prepare(&origin, cfg)?;
    if args.bench {
        return bench(&p, args);
    }
    progress!(
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
        progress!(
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
    let stop = stop_on_signal();
    let target = Target {
        out: Some(args.out.clone()),
        resume: args.resume,
        shard: args.shard,
        limit: None,
        stop: Some(&stop),
        what: "tournament",
    };
    let r = if args.remote || !p.cfg.endpoints.is_empty() || !p.cfg.commands.is_empty() {
        let remote = start_remote(&p, config_dir(args.config.as_deref()))?;
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
    progress!(
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
    progress!("total wall time {:.1} s", start.elapsed().as_secs_f64());
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
        progress!(
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
    // The same matches over delegation endpoints spawned once (one per strategy),
    // many matches in flight over the shared streams.
    let n = args.bench_matches.min(200);
    progress!("bench: {n} matches over delegation endpoints");
    let remote = start_remote(p, config_dir(args.config.as_deref()))?;
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
    progress!(
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
    let p = plenary_scenarios::MatchPlan {
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
        match_id: r.recorded.outcome.match_id.clone(),
        // The report does not print the files' texts.
        scenario_text: Arc::from(""),
        design_text: Arc::from(""),
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
    progress!("exported {n} matches: one row per match, one row per State per match");
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
        commands: Default::default(),
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
    progress!(
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
    let stop = stop_on_signal();
    let r = execute_with(
        &p,
        &recorder,
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
    progress!(
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
            &stop,
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
        progress!(
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
        bail!(UsageError::new("--seeds", "must be at least 1"));
    }
    let sc = plenary_scenarios::load_scenario(&args.scenario)
        .map_err(|e| crate::common::scenario_error("--scenario", &args.scenario, e))?;
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
        .usage("--strategies")?;
    let mut names: Vec<&str> = strategies.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    plenary_strategies::check(&names).usage("--strategies")?;
    let seeds = history::seeds(args.seed, &sc.id, args.seeds);
    progress!(
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
    progress!(
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
        progress!("results written to {}", path.display());
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
    progress!(
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
