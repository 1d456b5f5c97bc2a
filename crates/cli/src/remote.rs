//! The multi-process commands: `delegate` (one delegation process), `chair` (the
//! secretariat), `watch` (a session's events, live), `lab` (a whole room: the chair plus
//! one delegation process per State), `session` (a match on a running chair), `health`
//! (a readiness probe) and `tokens` (a tokens file for a scenario). The work is in
//! `plenary-lab`; this module parses, prints and maps exit codes.
//!
//! Secrets never come from the command line (any user can read `/proc/PID/cmdline`):
//! tokens come from the environment or from files only their owner can read.

use crate::common::{self, MatchArgs};
use crate::output::UsageExt;
use crate::report;
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use futures::FutureExt;
use plenary_core::MatchResult;
use plenary_core::strategy::{SeatBrief, Strategy};
use plenary_lab::{ChairClient, FollowOptions, Lab, LabOptions};
use plenary_proto::v2;
use plenary_proto::v2::session_event::Event;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Exit code of a match that completed with violations (a delegation timed out, answered
/// invalidly or was unreachable); `--accept-violations` turns it into 0.
pub const EXIT_VIOLATIONS: u8 = 3;

/// Exit code after Ctrl-C or SIGTERM.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Environment variable with a delegation's token.
pub const TOKEN_ENV: &str = plenary_lab::lab::TOKEN_ENV;

/// Environment variable with the operator token (for `session`).
pub const OPERATOR_TOKEN_ENV: &str = plenary_lab::deploy::OPERATOR_TOKEN_ENV;

/// Environment variable with the chair's tokens file content (for orchestrators that
/// hand secrets over as environment variables: a file mounted from a Kubernetes Secret
/// is group-readable, and `--tokens` refuses such files).
pub const TOKENS_TOML_ENV: &str = plenary_lab::deploy::TOKENS_TOML_ENV;

/// Largest secret file or secret environment variable (64 KiB).
const MAX_SECRET_BYTES: usize = 64 * 1024;

/// Flags of `plenary delegate`.
#[derive(Debug, Clone, Args)]
pub struct DelegateArgs {
    /// The State this delegation plays (its id, e.g. RUS). Seats of other States are
    /// refused (PERMISSION_DENIED) unless --any-seat.
    #[arg(long, env = "PLENARY_STATE", required_unless_present = "any_seat")]
    pub state: Option<String>,
    /// Serve any State's seat (one endpoint playing many seats, as tournaments do).
    #[arg(long, env = "PLENARY_ANY_SEAT")]
    pub any_seat: bool,
    /// Built-in strategy to play (see `plenary strategies`).
    #[arg(long, env = "PLENARY_STRATEGY")]
    pub strategy: String,
    /// Address to listen on (port 0 picks a free port; the bound address is printed on
    /// stdout as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:0", env = "PLENARY_LISTEN")]
    pub listen: String,
    /// Register with the chair at this URL once listening, and again whenever the chair
    /// comes back after a restart. Needs --state and the State's token.
    #[arg(
        long,
        value_name = "CHAIR_URL",
        env = "PLENARY_REGISTER",
        requires = "state"
    )]
    pub register: Option<String>,
    /// File holding the State's token (0600; or set PLENARY_TOKEN). With a token, only
    /// callers that send it (the chair) can open seats or read the State's preferences.
    #[arg(long, value_name = "FILE", env = "PLENARY_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// URL the chair should call (default: http://ADDR of the bound listener).
    #[arg(long, value_name = "URL", env = "PLENARY_ADVERTISE")]
    pub advertise: Option<String>,
    /// Exit when standard input closes (used by `plenary lab`).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

/// Flags of `plenary chair`.
#[derive(Debug, Clone, Args)]
pub struct ChairArgs {
    /// Address to listen on (printed on stdout as `listening on ADDR`). Beyond loopback
    /// the chair refuses to start without --tokens and --operator-token-file.
    #[arg(long, default_value = "127.0.0.1:50050", env = "PLENARY_CHAIR_LISTEN")]
    pub listen: String,
    /// TOML file with one token per State (`[tokens]` table, `RUS = "..."`), readable
    /// by its owner only (`plenary tokens` writes one). Or the file's content in the
    /// environment variable PLENARY_TOKENS_TOML (Kubernetes `secretKeyRef`). Without
    /// either, anyone may register for any State (loopback only).
    #[arg(long, value_name = "FILE", env = "PLENARY_TOKENS")]
    pub tokens: Option<PathBuf>,
    /// File holding the operator token that StartSession requires (0600; or set
    /// PLENARY_OPERATOR_TOKEN).
    #[arg(long, value_name = "FILE", env = "PLENARY_OPERATOR_TOKEN_FILE")]
    pub operator_token_file: Option<PathBuf>,
    /// Default deadline of every question to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// Finished sessions kept in memory for GetResults and Watch (older ones are dropped;
    /// with --state-dir their results are still served from disk).
    #[arg(long, default_value_t = 64, env = "PLENARY_KEEP_FINISHED")]
    pub keep_finished: usize,
    /// Journal every session in DIR/sessions (0700): a chair restarted with the same
    /// directory resumes the matches in flight exactly and serves finished results.
    #[arg(long, value_name = "DIR", env = "PLENARY_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// With --state-dir: flush every journal record to disk (survives a machine crash,
    /// not only a killed process).
    #[arg(long, requires = "state_dir", env = "PLENARY_SYNC_JOURNAL")]
    pub sync_journal: bool,
    /// Exit when standard input closes (used by `plenary lab`).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

/// Flags of `plenary watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// URL of the chair, e.g. http://127.0.0.1:50050.
    pub chair: String,
    /// Session id (default: the most recently started session).
    #[arg(long)]
    pub session: Option<String>,
    /// Wait (up to this many seconds) for a session to start instead of failing when
    /// there is none yet.
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "600")]
    pub wait: Option<u64>,
    /// Give up when the chair has not answered for this many seconds.
    #[arg(long, default_value_t = 60)]
    pub stall_secs: u64,
}

/// Flags of `plenary lab`: those of `plenary run`, plus the lab's own.
#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// What to run (the same flags as `plenary run`).
    #[command(flatten)]
    pub run: MatchArgs,
    /// Deadline of every question to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// Seat a State with a delegation you run yourself (any language) instead of a
    /// spawned one: `STATE=URL`, repeatable. The lab registers the URL with the chair
    /// under the State's token; reports show the strategy your delegation announces.
    #[arg(long, value_name = "STATE=URL", value_parser = parse_external)]
    pub external: Vec<(String, String)>,
    /// Keep the chair and the delegations up after the match (for `plenary session` and
    /// `plenary watch`) until Ctrl-C; prints the chair's URL and the operator token file.
    #[arg(long)]
    pub keep: bool,
    /// Exit 0 even when the match completed with violations (default: exit 3).
    #[arg(long)]
    pub accept_violations: bool,
}

/// Flags of `plenary session`: run one match on a chair that is already running and
/// whose delegations register by themselves (compose, Kubernetes, your own processes).
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// URL of the chair, e.g. http://127.0.0.1:50050.
    #[arg(long, env = "PLENARY_CHAIR")]
    pub chair: String,
    /// What to run (the same flags as `plenary run`; scenario and design files are read
    /// here and sent to the chair inline).
    #[command(flatten)]
    pub run: MatchArgs,
    /// Deadline of every question to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// How long to wait for the chair and for every State to register, in seconds.
    #[arg(long, default_value_t = 120, env = "PLENARY_WAIT_SECS")]
    pub wait_secs: u64,
    /// Give up when the chair has not answered for this many seconds.
    #[arg(long, default_value_t = 60, env = "PLENARY_STALL_SECS")]
    pub stall_secs: u64,
    /// File holding the chair's operator token (0600; or set PLENARY_OPERATOR_TOKEN).
    #[arg(long, value_name = "FILE", env = "PLENARY_OPERATOR_TOKEN_FILE")]
    pub operator_token_file: Option<PathBuf>,
    /// Exit 0 even when the match completed with violations (default: exit 3).
    #[arg(long)]
    pub accept_violations: bool,
}

/// Flags of `plenary health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// URL of a chair or delegation, e.g. http://127.0.0.1:50050.
    pub url: String,
    /// Service to ask about ("" = the whole server).
    #[arg(long, default_value = "")]
    pub service: String,
    /// Deadline of the check, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
}

/// Flags of `plenary tokens`.
#[derive(Debug, Clone, Args)]
pub struct TokensArgs {
    /// Scenario whose States get a token (preset id or file).
    #[arg(long, default_value = "osce-2021")]
    pub scenario: String,
    /// File to write (created 0600; refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The parser of every `--timeout-ms`: at least 1 ms, at most what the chair accepts.
pub(crate) fn timeout_ms() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=plenary_chair::MAX_TIMEOUT_MS)
}

/// Parses `STATE=URL` of `--external`; the URL is checked here, so a typo fails at
/// once instead of after the start timeout.
fn parse_external(s: &str) -> Result<(String, String), String> {
    use plenary_core::validate::{check_id, parse_endpoint_url, quote};
    match s.split_once('=') {
        Some((state, url)) if !state.trim().is_empty() && !url.trim().is_empty() => {
            let (state, url) = (state.trim(), url.trim());
            check_id(state).map_err(|e| format!("State {}: {e}", quote(state)))?;
            parse_endpoint_url(url).map_err(|e| e.to_string())?;
            Ok((state.to_string(), url.to_string()))
        }
        _ => Err(format!(
            "{} is not of the form STATE=URL (e.g. RUS=http://127.0.0.1:50061)",
            quote(s)
        )),
    }
}

/// The tokens file of `plenary chair --tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    tokens: BTreeMap<String, String>,
}

/// Parses a tokens file (pure: tests call it directly).
pub fn parse_tokens(text: &str) -> Result<HashMap<String, String>> {
    let f: TokensFile = toml::from_str(text)?;
    for (state, token) in &f.tokens {
        plenary_proto::limits::check_state("state", state).map_err(|e| anyhow!("{e}"))?;
        if token.is_empty() {
            bail!("the token of {state} is empty");
        }
        plenary_proto::limits::check_token(&format!("tokens.{state}"), token)
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(f.tokens.into_iter().collect())
}

/// Reads a secret file: a regular file of at most 64 KiB that only its owner can read.
pub fn read_secret_file(path: &Path) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    if meta.len() > MAX_SECRET_BYTES as u64 {
        bail!(
            "{}: {} bytes; a secret file holds at most 64 KiB",
            path.display(),
            meta.len()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "{}: readable by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// A token from `file`, else from the environment variable `env`.
fn token_from(file: Option<&Path>, env: &str) -> Result<Option<String>> {
    let token = match file {
        Some(p) => Some(read_secret_file(p)?.trim().to_string()),
        None => std::env::var(env).ok().map(|t| t.trim().to_string()),
    };
    if let Some(t) = &token {
        plenary_proto::limits::check_token("token", t).map_err(|e| anyhow!("{e}"))?;
    }
    Ok(token.filter(|t| !t.is_empty()))
}

/// Resolves on SIGINT or SIGTERM, or (with `stdin`) when standard input closes.
pub(crate) async fn shutdown_signal(stdin: bool) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    let eof = async {
        if !stdin {
            return std::future::pending::<()>().await;
        }
        // A plain thread: a blocking read cannot be cancelled, and this one must not
        // hold up the runtime's shutdown.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 256];
            let mut input = std::io::stdin();
            while let Ok(n) = input.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
        _ = eof => {}
    }
    tracing::info!("shutting down");
}

/// Runs `f` on a runtime that is dropped without waiting for the blocking stdin reader.
pub(crate) fn block_on<T>(
    multi_thread: bool,
    f: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let rt = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let r = rt.block_on(f);
    rt.shutdown_timeout(Duration::from_millis(200));
    r
}

fn print_flush(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

// ----- delegate -------------------------------------------------------------------------

/// `plenary delegate`.
pub fn delegate(args: &DelegateArgs) -> Result<ExitCode> {
    plenary_strategies::check(&[args.strategy.as_str()]).usage("--strategy")?;
    let token = token_from(args.token_file.as_deref(), TOKEN_ENV)?;
    if args.register.is_some() && token.is_none() {
        bail!("--register needs the State's token: set {TOKEN_ENV} or give --token-file");
    }
    let config = plenary_delegation::ServeConfig {
        only_state: if args.any_seat {
            None
        } else {
            args.state.clone()
        },
        token: token.clone(),
        ..Default::default()
    };
    // One thread: a delegation process is one of many on the machine, and its work is
    // microseconds per answer.
    block_on(false, async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        print_flush(&format!("listening on {addr}"));
        let name = args.strategy.clone();
        let factory = move |brief: &SeatBrief| -> Box<dyn Strategy> {
            plenary_strategies::create(&name, brief).expect("checked at start-up")
        };
        let stop = shutdown_signal(args.exit_with_stdin).shared();
        let server = plenary_delegation::serve_with(config, factory, listener, stop.clone());
        let keeper = async {
            let (Some(chair), Some(token), Some(state)) = (&args.register, &token, &args.state)
            else {
                return std::future::pending::<Result<()>>().await;
            };
            let endpoint = args
                .advertise
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            let reg = plenary_delegation::Registration {
                chair: chair.clone(),
                state: state.clone(),
                endpoint,
                token: token.clone(),
            };
            let (state, chair) = (state.clone(), chair.clone());
            plenary_delegation::register(
                reg,
                Duration::from_secs(60),
                move |generation| {
                    print_flush(&format!(
                        "registered {state} with {chair} (generation {generation})"
                    ));
                },
                stop.clone(),
            )
            .await?;
            Ok(())
        };
        tokio::select! {
            r = server => r?,
            r = keeper => r?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

// ----- chair ----------------------------------------------------------------------------

/// `plenary chair`.
pub fn chair(args: &ChairArgs) -> Result<ExitCode> {
    let from_env = std::env::var(TOKENS_TOML_ENV).ok();
    let tokens = match (&args.tokens, from_env) {
        (Some(path), _) => {
            let text = read_secret_file(path)?;
            let map =
                parse_tokens(&text).with_context(|| format!("tokens file {}", path.display()))?;
            plenary_chair::Tokens::Required(map)
        }
        (None, Some(text)) => {
            if text.len() > MAX_SECRET_BYTES {
                bail!(
                    "{TOKENS_TOML_ENV}: {} bytes; tokens hold at most 64 KiB",
                    text.len()
                );
            }
            let map = parse_tokens(&text).context(TOKENS_TOML_ENV)?;
            plenary_chair::Tokens::Required(map)
        }
        (None, None) => {
            tracing::warn!("no --tokens: any process may register for any State");
            plenary_chair::Tokens::Open
        }
    };
    let operator_token = token_from(args.operator_token_file.as_deref(), OPERATOR_TOKEN_ENV)?;
    let config = plenary_chair::ChairConfig {
        tokens,
        operator_token,
        call: plenary_chair::CallConfig {
            timeout: Duration::from_millis(args.timeout_ms),
            ..Default::default()
        },
        keep_finished: args.keep_finished,
        state_dir: args.state_dir.clone(),
        sync_journal: args.sync_journal,
    };
    block_on(true, async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        plenary_chair::service::check_exposure(addr, &config)?;
        print_flush(&format!("listening on {addr}"));
        plenary_chair::serve(config, listener, shutdown_signal(args.exit_with_stdin)).await?;
        Ok(ExitCode::SUCCESS)
    })
}

// ----- watch ----------------------------------------------------------------------------

/// One line per event, as `plenary watch` prints them.
pub fn describe(e: &v2::SessionEvent) -> Option<String> {
    let text = match e.event.as_ref()? {
        Event::ItemOpened(i) => format!(
            "session {} item {}: {} ({})",
            i.session + 1,
            i.item,
            i.item_id,
            i.title
        ),
        Event::Proposal(p) => {
            let phase = v2::Phase::try_from(p.phase).map_or("?", |ph| ph.as_str_name());
            let value = p.value.map_or("-".to_string(), |v| format!("{v:.2}"));
            format!(
                "  round {} {}: proposal {value} to {} voters",
                p.round + 1,
                phase.trim_start_matches("PHASE_").to_lowercase(),
                p.voters
            )
        }
        Event::Decision(d) => {
            let o = d.outcome.clone().unwrap_or_default();
            let decision = v2::Decision::try_from(o.decision).map_or("?", |x| x.as_str_name());
            format!(
                "  {} -> {} at {:.2} after {} round(s)",
                d.item_id,
                decision
                    .trim_start_matches("DECISION_")
                    .to_lowercase()
                    .replace('_', " "),
                o.outcome.unwrap_or(f64::NAN),
                o.rounds
            )
        }
        Event::Violation(v) => format!(
            "  violation: {} in {} ({}{}){}",
            v.state,
            v.phase,
            v.fault,
            if v.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", v.detail)
            },
            if v.suspended { ", suspended" } else { "" }
        ),
        Event::SessionEnd(s) => format!(
            "== session {} ended ({} States asked for their stance)",
            s.session + 1,
            s.states
        ),
        Event::Reregistered(r) => format!(
            "  {} registered again (generation {}) at {}",
            r.state, r.generation, r.endpoint
        ),
        Event::Resumed(r) => format!(
            "the chair restarted and resumed ({} steps replayed)",
            r.replayed
        ),
        Event::Done(d) => format!(
            "done: {}, {} violation(s)",
            if d.complete { "complete" } else { "cut short" },
            d.violations
        ),
    };
    Some(text)
}

/// `plenary watch`.
pub fn watch(args: &WatchArgs) -> Result<ExitCode> {
    block_on(false, async {
        let mut c = ChairClient::connect(&args.chair, None, Duration::from_secs(10)).await?;
        let session = match &args.session {
            Some(s) => s.clone(),
            None => {
                let wait = Duration::from_secs(args.wait.unwrap_or(0));
                let start = tokio::time::Instant::now();
                loop {
                    let sessions = c.sessions().await?;
                    if let Some(s) = sessions.last() {
                        break s.session_id.clone();
                    }
                    if start.elapsed() >= wait {
                        bail!(
                            "no session has been started on {}{}",
                            args.chair,
                            if args.wait.is_none() {
                                " (use --wait to wait for one)"
                            } else {
                                ""
                            }
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
        let opts = FollowOptions {
            stall: Duration::from_secs(args.stall_secs),
            limit: Duration::from_secs(365 * 86_400),
        };
        tokio::select! {
            r = c.follow(&session, opts, |e| {
                if let Some(line) = describe(e) {
                    print_flush(&line);
                }
            }) => { r?; }
            _ = shutdown_signal(false) => return Ok(ExitCode::from(EXIT_INTERRUPTED)),
        }
        Ok(ExitCode::SUCCESS)
    })
}

// ----- lab and session ------------------------------------------------------------------

/// Prints what the operator should see while a match runs: violations, re-registrations
/// and session ends.
fn progress(e: &v2::SessionEvent) {
    if matches!(
        e.event,
        Some(
            Event::Violation(_) | Event::SessionEnd(_) | Event::Reregistered(_) | Event::Resumed(_)
        )
    ) && let Some(line) = describe(e)
    {
        progress!("{}", line.trim_start());
    }
}

/// Prints the report, writes the JSON and maps the outcome to an exit code.
fn finish(
    plan: &plenary_scenarios::MatchPlan,
    result: &MatchResult,
    run: &MatchArgs,
    accept_violations: bool,
) -> Result<ExitCode> {
    print!("{}", report::text(plan, result, run.brief));
    if let Some(path) = &run.json {
        common::write_json(path, plan, result)?;
        progress!("results written to {}", path.display());
    }
    if !result.complete {
        bail!("the match did not run to its end");
    }
    if !result.violations.is_empty() && !accept_violations {
        eprintln!(
            "the match completed with {} violation(s); exit {EXIT_VIOLATIONS} (--accept-violations exits 0)",
            result.violations.len()
        );
        return Ok(ExitCode::from(EXIT_VIOLATIONS));
    }
    Ok(ExitCode::SUCCESS)
}

/// `plenary lab`.
pub fn lab(args: &LabArgs) -> Result<ExitCode> {
    let plan = common::prepare(&args.run)?;
    for (state, url) in &args.external {
        if plan.scenario.seat(state).is_none() {
            bail!(
                "--external {state}={url}: `{state}` is not a State of scenario `{}`",
                plan.scenario.id
            );
        }
    }
    let exe = std::env::current_exe().context("locating the plenary binary")?;
    let opts = LabOptions {
        external: args.external.clone(),
        ..LabOptions::new(exe, args.timeout_ms)
    };
    let outcome = block_on(true, async {
        let lab = tokio::select! {
            r = Lab::start(&plan, opts) => r?,
            _ = shutdown_signal(false) => return Ok(None),
        };
        let result = tokio::select! {
            r = lab.run(&plan, progress) => r.map(Some),
            _ = shutdown_signal(false) => Ok(None),
        };
        if args.keep && matches!(result, Ok(Some(_))) {
            eprintln!(
                "lab kept up: chair {} (operator token in {}); Ctrl-C stops it",
                lab.chair_url(),
                lab.operator_token_file().display()
            );
            if let Ok(Some(r)) = &result {
                print!("{}", report::text(&plan, r, args.run.brief));
            }
            shutdown_signal(false).await;
            lab.stop().await;
            return Ok(None);
        }
        lab.stop().await;
        Ok::<_, anyhow::Error>(result?)
    })?;
    match outcome {
        None if args.keep => Ok(ExitCode::SUCCESS),
        None => {
            eprintln!("plenary lab: interrupted; every process stopped");
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Some(result) => finish(&plan, &result, &args.run, args.accept_violations),
    }
}

/// `plenary session`.
pub fn session(args: &SessionArgs) -> Result<ExitCode> {
    let plan = common::prepare(&args.run)?;
    let operator = token_from(args.operator_token_file.as_deref(), OPERATOR_TOKEN_ENV)?;
    let result = block_on(true, async {
        tokio::select! {
            r = async {
                let mut c = ChairClient::connect(&args.chair, operator.as_deref(), Duration::from_secs(args.wait_secs)).await?;
                c.run(
                    &plan,
                    args.timeout_ms,
                    Duration::from_secs(args.wait_secs),
                    Duration::from_secs(args.stall_secs),
                    progress,
                )
                .await
                .map_err(anyhow::Error::from)
            } => r.map(Some),
            _ = shutdown_signal(false) => Ok(None),
        }
    })?;
    let Some(result) = result else {
        eprintln!("plenary session: interrupted (the chair finishes the session on its own)");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    };
    finish(&plan, &result, &args.run, args.accept_violations)
}

// ----- health and tokens ----------------------------------------------------------------

/// `plenary health`: exit 0 when the service answers SERVING, 1 otherwise.
pub fn health(args: &HealthArgs) -> Result<ExitCode> {
    let deadline = Duration::from_millis(args.timeout_ms.max(1));
    let r = block_on(false, async {
        Ok(plenary_lab::health::check(&args.url, &args.service, deadline).await)
    })?;
    match r {
        Ok(()) => {
            println!("SERVING");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `plenary tokens`: a tokens file for every State of a scenario, 0600.
pub fn tokens(args: &TokensArgs) -> Result<ExitCode> {
    let scenario = plenary_scenarios::load_scenario(&args.scenario)
        .map_err(|e| common::scenario_error("--scenario", &args.scenario, e))?;
    let tokens: BTreeMap<String, String> = scenario
        .states
        .iter()
        .map(|s| (s.id.clone(), plenary_lab::lab::random_token()))
        .collect();
    plenary_lab::lab::write_private(&args.out, &plenary_lab::lab::render_tokens(&tokens))
        .with_context(|| format!("writing {} (it must not exist yet)", args.out.display()))?;
    progress!(
        "{} tokens written to {} (mode 0600)",
        tokens.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_files_parse_and_reject_unknown_keys() {
        let t = parse_tokens("[tokens]\nRUS = \"a\"\nUSA = \"b\"\n").unwrap();
        assert_eq!(t["RUS"], "a");
        assert!(parse_tokens("[tokens]\nRUS = \"a\"\n[other]\n").is_err());
        assert!(parse_tokens("[tokens]\nRUS = \"\"\n").is_err());
        assert!(parse_tokens("[tokens]\nRUS = \"has space\"\n").is_err());
        let map: BTreeMap<String, String> =
            [("AUT".to_string(), plenary_lab::lab::random_token())].into();
        assert_eq!(
            parse_tokens(&plenary_lab::lab::render_tokens(&map)).unwrap()["AUT"],
            map["AUT"]
        );
    }

    #[test]
    fn secret_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, "secret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_secret_file(&p).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&p).unwrap(), "secret\n");
        assert!(read_secret_file(dir.path()).is_err());
    }

    #[test]
    fn external_urls_are_checked_at_parse_time() {
        assert!(parse_external("RUS=http://127.0.0.1:50061").is_ok());
        for bad in [
            "USA=notaurl",
            "USA=http://127.0.0.1:99999",
            "USA",
            "=http://h:1",
        ] {
            assert!(parse_external(bad).is_err(), "{bad}");
        }
    }
}
