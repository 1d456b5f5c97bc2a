//! The multi-process commands: `delegate` (one delegation process), `chair` (the
//! secretariat), `watch` (a session's events, live) and `lab` (a whole room: the chair
//! plus one delegation process per State, run to the end and torn down).
//!
//! Every long-running command stops on SIGINT or SIGTERM. Processes that `lab` spawns
//! also stop when their standard input closes, so they cannot outlive the lab even if
//! it is killed outright.

use crate::common::{self, MatchArgs};
use crate::report;
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use plenary_core::MatchResult;
use plenary_core::strategy::{SeatBrief, Strategy};
use plenary_proto::v1;
use plenary_proto::v1::secretariat_client::SecretariatClient;
use plenary_proto::v1::session_event::Event;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Flags of `plenary delegate`.
#[derive(Debug, Clone, Args)]
pub struct DelegateArgs {
    /// The State this delegation plays (its id, e.g. RUS). Requests for other States
    /// are refused (PERMISSION_DENIED) unless --any-seat.
    #[arg(long, env = "PLENARY_STATE")]
    pub state: String,
    /// Serve any State's seat (one endpoint playing many seats, as tournaments do);
    /// --state is then only the State it registers for.
    #[arg(long, env = "PLENARY_ANY_SEAT")]
    pub any_seat: bool,
    /// Built-in strategy to play (see `plenary strategies`).
    #[arg(long, env = "PLENARY_STRATEGY")]
    pub strategy: String,
    /// Address to listen on (port 0 picks a free port; the bound address is printed
    /// on stdout as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:0", env = "PLENARY_LISTEN")]
    pub listen: String,
    /// Register with the chair at this URL once listening.
    #[arg(long, value_name = "CHAIR_URL", requires = "token")]
    pub register: Option<String>,
    /// The State's registration token (from the lab configuration). Every call must
    /// then carry it in metadata `x-plenary-token` (the chair sends it), so only the
    /// chair can open seats or read the State's preferences.
    #[arg(long, env = "PLENARY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// URL the chair should call (default: http://ADDR of the bound listener).
    #[arg(long, value_name = "URL")]
    pub advertise: Option<String>,
    /// Exit when standard input closes (used by `plenary lab`).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

/// Flags of `plenary chair`.
#[derive(Debug, Clone, Args)]
pub struct ChairArgs {
    /// Address to listen on (printed on stdout as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:50050", env = "PLENARY_CHAIR_LISTEN")]
    pub listen: String,
    /// TOML file with one token per State (`[tokens]` table, `RUS = "..."`). Without
    /// it anyone may register for any State.
    #[arg(long, value_name = "FILE", env = "PLENARY_TOKENS")]
    pub tokens: Option<PathBuf>,
    /// Default deadline of every call to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
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
}

/// Flags of `plenary lab`: those of `plenary run`, plus the call deadline.
#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// What to run (the same flags as `plenary run`).
    #[command(flatten)]
    pub run: MatchArgs,
    /// Deadline of every call to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// Seat a State with a delegation you run yourself (any language) instead of a
    /// spawned one: `STATE=URL`, repeatable. The lab registers the URL with the chair
    /// under the State's token; the strategy shown in reports is `external`.
    #[arg(long, value_name = "STATE=URL", value_parser = parse_external)]
    pub external: Vec<(String, String)>,
}

/// Flags of `plenary session`: run one match on a chair that is already running and
/// whose delegations register by themselves (compose, Kubernetes, your own processes).
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// URL of the chair, e.g. http://127.0.0.1:50050.
    #[arg(long, env = "PLENARY_CHAIR")]
    pub chair: String,
    /// What to run (the same flags as `plenary run`; the chair loads the same scenario
    /// and design, so file paths must be valid where the chair runs).
    #[command(flatten)]
    pub run: MatchArgs,
    /// Deadline of every call to a delegation, in milliseconds (1 to 3600000).
    #[arg(long, default_value_t = 10_000, env = "PLENARY_TIMEOUT_MS", value_parser = timeout_ms())]
    pub timeout_ms: u64,
    /// How long to wait for the chair and for every State to register, in seconds.
    #[arg(long, default_value_t = 120)]
    pub wait_secs: u64,
}

/// The parser of every `--timeout-ms`: at least 1 ms, at most what the chair accepts.
pub(crate) fn timeout_ms() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=plenary_chair::MAX_TIMEOUT_MS)
}

/// Parses `STATE=URL` of `--external`.
fn parse_external(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((state, url)) if !state.trim().is_empty() && !url.trim().is_empty() => {
            Ok((state.trim().to_string(), url.trim().to_string()))
        }
        _ => Err(format!(
            "`{s}` is not of the form STATE=URL (e.g. RUS=http://127.0.0.1:50061)"
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
    if let Some((state, _)) = f.tokens.iter().find(|(_, t)| t.is_empty()) {
        bail!("the token of {state} is empty");
    }
    Ok(f.tokens.into_iter().collect())
}

pub(crate) fn render_tokens(tokens: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "# Registration tokens, one per State (generated by `plenary lab`).\n[tokens]\n",
    );
    for (state, token) in tokens {
        out.push_str(&format!("{state} = \"{token}\"\n"));
    }
    out
}

/// Resolves on SIGINT or SIGTERM, or (with `stdin`) when standard input closes.
pub(crate) async fn shutdown_signal(stdin: bool) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        #[cfg(unix)]
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
fn block_on<T>(multi_thread: bool, f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
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
    plenary_strategies::check(&[args.strategy.as_str()]).context("--strategy")?;
    if let Some(t) = &args.token
        && tonic::metadata::AsciiMetadataValue::try_from(t.as_str()).is_err()
    {
        bail!("--token must be printable ASCII (it is sent as gRPC metadata)");
    }
    let config = plenary_delegation::ServeConfig {
        only_state: (!args.any_seat).then(|| args.state.clone()),
        token: args.token.clone(),
    };
    block_on(false, async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        print_flush(&format!("listening on {addr}"));
        let name = args.strategy.clone();
        let factory = move |brief: &SeatBrief| -> Box<dyn Strategy> {
            // Checked above; the fallback keeps a served delegation from panicking.
            plenary_strategies::create(&name, brief)
                .or_else(|_| plenary_strategies::create("dissociator", brief))
                .expect("built-in strategy")
        };
        let mut server = tokio::spawn(plenary_delegation::serve_with(
            config,
            factory,
            listener,
            shutdown_signal(args.exit_with_stdin),
        ));
        if let (Some(chair), Some(token)) = (&args.register, &args.token) {
            let endpoint = args
                .advertise
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            tokio::select! {
                r = register(chair, &args.state, &endpoint, token, &args.strategy) => {
                    let generation = r?;
                    print_flush(&format!("registered {} with {chair} (generation {generation})", args.state));
                }
                r = &mut server => {
                    r??;
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
        server.await??;
        Ok(ExitCode::SUCCESS)
    })
}

/// Registers with the chair, retrying while it is not up yet (at most 30 s).
async fn register(
    chair: &str,
    state: &str,
    endpoint: &str,
    token: &str,
    strategy: &str,
) -> Result<u64> {
    let start = Instant::now();
    loop {
        let attempt = async {
            let mut c = SecretariatClient::connect(chair.to_string())
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            c.register(v1::RegisterRequest {
                state: state.to_string(),
                endpoint: endpoint.to_string(),
                token: token.to_string(),
                strategy: strategy.to_string(),
            })
            .await
        };
        match attempt.await {
            Ok(r) => return Ok(r.into_inner().generation),
            Err(s)
                if s.code() == tonic::Code::Unavailable
                    && start.elapsed() < Duration::from_secs(30) =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(s) => bail!(
                "registering {state} with {chair} failed: {:?}: {}",
                s.code(),
                s.message()
            ),
        }
    }
}

// ----- chair ----------------------------------------------------------------------------

/// `plenary chair`.
pub fn chair(args: &ChairArgs) -> Result<ExitCode> {
    let tokens = match &args.tokens {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let map =
                parse_tokens(&text).with_context(|| format!("tokens file {}", path.display()))?;
            plenary_chair::Tokens::Required(map)
        }
        None => {
            tracing::warn!("no --tokens: any process may register for any State");
            plenary_chair::Tokens::Open
        }
    };
    let config = plenary_chair::ChairConfig {
        tokens,
        call: plenary_chair::CallConfig {
            timeout: Duration::from_millis(args.timeout_ms),
            ..Default::default()
        },
    };
    block_on(true, async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        print_flush(&format!("listening on {}", listener.local_addr()?));
        plenary_chair::serve(config, listener, shutdown_signal(args.exit_with_stdin)).await?;
        Ok(ExitCode::SUCCESS)
    })
}

// ----- watch ----------------------------------------------------------------------------

fn describe(e: &v1::SessionEvent) -> Option<String> {
    let text = match e.event.as_ref()? {
        Event::ItemOpened(i) => format!(
            "session {} item {}: {} ({})",
            i.session + 1,
            i.item,
            i.item_id,
            i.title
        ),
        Event::Proposal(p) => {
            let phase = v1::Phase::try_from(p.phase).map_or("?", |ph| ph.as_str_name());
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
            let decision = v1::Decision::try_from(o.decision).map_or("?", |x| x.as_str_name());
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
        let mut c = SecretariatClient::connect(args.chair.clone())
            .await
            .with_context(|| format!("connecting to {}", args.chair))?;
        let mut stream = c
            .watch(v1::WatchRequest {
                session_id: args.session.clone().unwrap_or_default(),
            })
            .await
            .map_err(|s| anyhow!("{}", s.message()))?
            .into_inner();
        let stop = shutdown_signal(false);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                m = stream.message() => match m.map_err(|s| anyhow!("{}", s.message()))? {
                    Some(e) => if let Some(line) = describe(&e) { print_flush(&line) },
                    None => break,
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

// ----- lab ------------------------------------------------------------------------------

/// A child `plenary` process (of `lab` and `bench remote`): killed when dropped,
/// stopped gently by closing its stdin.
pub(crate) struct Proc {
    name: String,
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Proc {
    /// Spawns `plenary ARGS --exit-with-stdin` and waits (at most `timeout`) for its
    /// `listening on ADDR` line.
    pub(crate) async fn spawn(name: String, args: &[String], timeout: Duration) -> Result<Proc> {
        let exe = std::env::current_exe().context("locating the plenary binary")?;
        let mut cmd = Command::new(exe);
        cmd.args(args).arg("--exit-with-stdin");
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        // Own process group: a terminal's Ctrl-C reaches the lab, which stops its
        // children itself, in order.
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().with_context(|| format!("spawning {name}"))?;
        let out = child.stdout.take().context("child stdout")?;
        let mut stdout = BufReader::new(out).lines();
        let listening = tokio::time::timeout(timeout, async {
            while let Some(line) = stdout.next_line().await? {
                if let Some(a) = line.strip_prefix("listening on ") {
                    return Ok(Some(a.trim().parse::<SocketAddr>()?));
                }
            }
            Ok::<_, anyhow::Error>(None)
        })
        .await
        .map_err(|_| anyhow!("{name} did not start listening within {timeout:?}"))??;
        let Some(addr) = listening else {
            let status = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            return Err(match status {
                Ok(Ok(status)) => anyhow!("{name} exited ({status}) before listening"),
                _ => anyhow!("{name} closed its stdout before listening"),
            });
        };
        Ok(Proc {
            name,
            child,
            addr,
            stdout,
        })
    }

    /// `http://ADDR`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Result<()> {
        let name = &self.name;
        tokio::time::timeout(timeout, async {
            while let Some(line) = self.stdout.next_line().await? {
                if line.starts_with(prefix) {
                    return Ok(());
                }
            }
            Err(anyhow!("{name} exited before `{prefix}`"))
        })
        .await
        .map_err(|_| anyhow!("{name}: no `{prefix}` within {timeout:?}"))?
    }

    /// Closes stdin (the child then shuts down gracefully), waits, then kills.
    pub(crate) async fn stop(mut self, grace: Duration) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Polls `grpc.health.v1.Health` at `url` until `service` reports SERVING, for at most
/// `timeout` (the one readiness check of the multi-process commands).
pub(crate) async fn wait_serving(url: &str, service: &str, timeout: Duration) -> Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let endpoint = tonic::transport::Endpoint::from_shared(url.to_string())
        .with_context(|| format!("`{url}` is not a valid URL"))?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2));
    let mut last = String::from("no answer");
    let poll = async {
        loop {
            match endpoint.connect().await {
                Ok(channel) => {
                    let r = HealthClient::new(channel)
                        .check(HealthCheckRequest {
                            service: service.to_string(),
                        })
                        .await;
                    match r.map(|r| r.into_inner().status) {
                        Ok(s) if s == ServingStatus::Serving as i32 => return,
                        Ok(s) => last = format!("status {s}"),
                        Err(e) => last = e.message().to_string(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    match tokio::time::timeout(timeout, poll).await {
        Ok(()) => Ok(()),
        Err(_) => bail!("{url} ({service}) not SERVING after {timeout:?}: {last}"),
    }
}

pub(crate) fn random_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    format!("{:032x}", rng.random::<u128>())
}

/// `plenary lab`.
pub fn lab(args: &LabArgs) -> Result<ExitCode> {
    let mut p = common::prepare(&args.run)?;
    for (state, url) in &args.external {
        let seat = p.scenario.seat(state).with_context(|| {
            format!(
                "--external {state}={url}: `{state}` is not a State of scenario `{}`",
                p.scenario.id
            )
        })?;
        tonic::transport::Endpoint::from_shared(url.clone())
            .with_context(|| format!("--external {state}={url}: not a valid URL"))?;
        p.strategies[seat] = "external".to_string();
    }
    let dir = tempfile::Builder::new()
        .prefix("plenary-lab-")
        .tempdir()
        .context("creating a temp dir")?;
    let tokens: BTreeMap<String, String> = p
        .scenario
        .states
        .iter()
        .map(|s| (s.id.clone(), random_token()))
        .collect();
    let tokens_path = dir.path().join("tokens.toml");
    std::fs::write(&tokens_path, render_tokens(&tokens)).context("writing the tokens file")?;
    let result = block_on(true, async {
        let mut procs: Vec<Proc> = Vec::new();
        let outcome = tokio::select! {
            r = run_lab(args, &p, &tokens, &tokens_path, &mut procs) => r.map(Some),
            _ = shutdown_signal(false) => Ok(None),
        };
        // Stop every child, whatever happened (delegations first, then the chair).
        let grace = Duration::from_secs(3);
        let chair = if procs.is_empty() {
            None
        } else {
            Some(procs.remove(0))
        };
        futures::future::join_all(procs.into_iter().map(|c| c.stop(grace))).await;
        if let Some(c) = chair {
            c.stop(grace).await;
        }
        outcome
    });
    drop(dir);
    match result? {
        None => {
            eprintln!("plenary lab: interrupted; every process stopped");
            Ok(ExitCode::from(130))
        }
        Some(result) => {
            print!("{}", report::text(&p, &result, args.run.brief));
            if let Some(path) = &args.run.json {
                common::write_json(path, &result)?;
                eprintln!("results written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run_lab(
    args: &LabArgs,
    p: &common::Prepared,
    tokens: &BTreeMap<String, String>,
    tokens_path: &Path,
    procs: &mut Vec<Proc>,
) -> Result<MatchResult> {
    let t0 = Instant::now();
    let start_timeout = Duration::from_secs(60);
    let chair = Proc::spawn(
        "chair".into(),
        &[
            "chair".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--tokens".into(),
            tokens_path.display().to_string(),
            "--timeout-ms".into(),
            args.timeout_ms.to_string(),
        ],
        start_timeout,
    )
    .await?;
    let chair_url = chair.url();
    procs.push(chair);
    wait_serving(
        &chair_url,
        plenary_chair::service::SERVICE_NAME,
        start_timeout,
    )
    .await?;

    let external: BTreeMap<&str, &str> = args
        .external
        .iter()
        .map(|(s, u)| (s.as_str(), u.as_str()))
        .collect();
    let spawns = p
        .scenario
        .states
        .iter()
        .zip(&p.strategies)
        .filter(|(s, _)| !external.contains_key(s.id.as_str()))
        .map(|(s, strategy)| {
            let argv = vec![
                "delegate".to_string(),
                "--state".into(),
                s.id.clone(),
                "--strategy".into(),
                strategy.clone(),
                "--listen".into(),
                "127.0.0.1:0".into(),
                "--register".into(),
                chair_url.clone(),
                "--token".into(),
                tokens[&s.id].clone(),
            ];
            let name = format!("delegation {}", s.id);
            async move {
                let mut d = Proc::spawn(name, &argv, start_timeout).await?;
                wait_serving(&d.url(), plenary_delegation::SERVICE_NAME, start_timeout).await?;
                d.wait_line("registered ", start_timeout).await?;
                Ok::<_, anyhow::Error>(d)
            }
        });
    let mut first_error = None;
    for r in futures::future::join_all(spawns).await {
        match r {
            Ok(d) => procs.push(d),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Delegations run by the user: wait until they answer health, then register them
    // under their State's token (the user never needs to see the token).
    for (state, url) in &external {
        wait_serving(url, plenary_delegation::SERVICE_NAME, start_timeout)
            .await
            .with_context(|| format!("--external {state}={url}"))?;
        let generation = register(&chair_url, state, url, &tokens[*state], "external")
            .await
            .with_context(|| format!("--external {state}={url}"))?;
        tracing::info!(state, url, generation, "external delegation registered");
    }
    tracing::info!(delegations = procs.len() - 1 + external.len(), elapsed = ?t0.elapsed(), "lab ready");
    let r = run_on_chair(
        &chair_url,
        &args.run,
        p,
        args.timeout_ms,
        Duration::from_secs(5),
    )
    .await?;
    tracing::info!(elapsed = ?t0.elapsed(), "lab done");
    Ok(r)
}

/// Starts a session on a running chair, follows it to the end and returns its results.
/// StartSession is retried while the chair is unreachable or still waiting for
/// registrations, until `wait` has passed.
async fn run_on_chair(
    chair_url: &str,
    run: &MatchArgs,
    p: &common::Prepared,
    timeout_ms: u64,
    wait: Duration,
) -> Result<MatchResult> {
    let start = Instant::now();
    let (mut c, started) = loop {
        let attempt = async {
            let mut c = SecretariatClient::connect(chair_url.to_string())
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            let started = c
                .start_session(v1::StartSessionRequest {
                    scenario: run.scenario.clone(),
                    design: run.design.clone().unwrap_or_default(),
                    seed: p.seed,
                    strategies: p.strategies.clone(),
                    match_id: p.match_id(),
                    timeout_ms,
                })
                .await?
                .into_inner();
            Ok::<_, tonic::Status>((c, started))
        };
        match attempt.await {
            Ok(x) => break x,
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unavailable | tonic::Code::FailedPrecondition
                ) && start.elapsed() < wait =>
            {
                tracing::debug!(status = %s.message(), "chair not ready yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(s) => bail!("starting the session on {chair_url}: {}", s.message()),
        }
    };
    let limit = match_limit(p, timeout_ms);
    let json = follow(&mut c, chair_url, &started.session_id, limit).await?;
    serde_json::from_str(&json).context("parsing the chair's results")
}

/// Follows session `id` to its end and returns its results JSON: live events while
/// they flow; should the stream fail or end early, GetResults is polled instead (the
/// chair finishes the session either way). Fails once `limit` has passed.
async fn follow(
    c: &mut SecretariatClient<tonic::transport::Channel>,
    chair_url: &str,
    id: &str,
    limit: Duration,
) -> Result<String> {
    tokio::time::timeout(limit, async {
        if let Err(e) = print_events(c, id).await {
            tracing::warn!("{e:#}; polling for the results instead");
        }
        poll_results(c, chair_url, id).await
    })
    .await
    .map_err(|_| {
        anyhow!(
            "session {id} on {chair_url} was not done after {limit:?}, the longest a match \
             of this size can take with this call deadline"
        )
    })?
}

/// The longest a match can take on the chair: every question waits at most one call
/// deadline (positions and votes per round, a silence or package vote, the outcome per
/// item; the stances per session; opening and closing the seats), plus a minute.
fn match_limit(p: &common::Prepared, timeout_ms: u64) -> Duration {
    let sessions = u64::from(p.design.procedure.sessions.max(1));
    let rounds = u64::from(p.design.procedure.max_rounds.max(1));
    let items = p.scenario.agenda.len() as u64;
    let questions = 2 + sessions * (items * (2 * rounds + 2) + 2);
    Duration::from_millis(questions.saturating_mul(timeout_ms)) + Duration::from_secs(60)
}

/// Prints a session's violations and session ends until its `Done` event.
async fn print_events(
    c: &mut SecretariatClient<tonic::transport::Channel>,
    id: &str,
) -> Result<()> {
    let mut events = c
        .watch(v1::WatchRequest {
            session_id: id.to_string(),
        })
        .await
        .map_err(|s| anyhow!("watching the session: {}", s.message()))?
        .into_inner();
    while let Some(e) = events
        .message()
        .await
        .map_err(|s| anyhow!("watching the session: {}", s.message()))?
    {
        if let Some(Event::Violation(_)) | Some(Event::SessionEnd(_)) = &e.event
            && let Some(line) = describe(&e)
        {
            eprintln!("{}", line.trim_start());
        }
        if let Some(Event::Done(_)) = &e.event {
            return Ok(());
        }
    }
    bail!("the chair ended the event stream before the session was done")
}

/// Polls GetResults every 200 ms until the session is done; returns the results JSON.
/// Gives up when the chair has been unreachable for 30 s or reports an error.
async fn poll_results(
    c: &mut SecretariatClient<tonic::transport::Channel>,
    chair_url: &str,
    id: &str,
) -> Result<String> {
    let mut unreachable_since: Option<Instant> = None;
    loop {
        let mut req = tonic::Request::new(v1::GetResultsRequest {
            session_id: id.to_string(),
        });
        req.set_timeout(Duration::from_secs(10));
        match c.get_results(req).await {
            Ok(r) => {
                let r = r.into_inner();
                if r.done {
                    return Ok(r.results_json);
                }
                unreachable_since = None;
            }
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unavailable
                        | tonic::Code::DeadlineExceeded
                        | tonic::Code::Cancelled
                ) =>
            {
                let since = *unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(30) {
                    bail!(
                        "reading the results of session {id}: {chair_url} unreachable for 30 s ({})",
                        s.message()
                    );
                }
            }
            Err(s) => bail!("reading the results of session {id}: {}", s.message()),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `plenary session`.
pub fn session(args: &SessionArgs) -> Result<ExitCode> {
    let p = common::prepare(&args.run)?;
    let result = block_on(true, async {
        tokio::select! {
            r = run_on_chair(&args.chair, &args.run, &p, args.timeout_ms, Duration::from_secs(args.wait_secs)) => r.map(Some),
            _ = shutdown_signal(false) => Ok(None),
        }
    })?;
    let Some(result) = result else {
        eprintln!("plenary session: interrupted (the chair finishes the session on its own)");
        return Ok(ExitCode::from(130));
    };
    print!("{}", report::text(&p, &result, args.run.brief));
    if let Some(path) = &args.run.json {
        common::write_json(path, &result)?;
        eprintln!("results written to {}", path.display());
    }
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
        let map: BTreeMap<String, String> = [("AUT".to_string(), random_token())].into();
        assert_eq!(
            parse_tokens(&render_tokens(&map)).unwrap()["AUT"],
            map["AUT"]
        );
    }

    /// A chair whose Watch stream fails at once (as a lagging watcher's did) and whose
    /// results are done after `polls` GetResults calls (never if `None`).
    struct FlakyChair {
        polls: Option<u32>,
        seen: std::sync::atomic::AtomicU32,
    }

    #[tonic::async_trait]
    impl v1::secretariat_server::Secretariat for FlakyChair {
        async fn register(
            &self,
            _: tonic::Request<v1::RegisterRequest>,
        ) -> Result<tonic::Response<v1::RegisterResponse>, tonic::Status> {
            Err(tonic::Status::unimplemented("register"))
        }
        async fn start_session(
            &self,
            _: tonic::Request<v1::StartSessionRequest>,
        ) -> Result<tonic::Response<v1::StartSessionResponse>, tonic::Status> {
            Err(tonic::Status::unimplemented("start"))
        }
        async fn get_results(
            &self,
            _: tonic::Request<v1::GetResultsRequest>,
        ) -> Result<tonic::Response<v1::GetResultsResponse>, tonic::Status> {
            let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let done = self.polls.is_some_and(|p| n >= p);
            Ok(tonic::Response::new(v1::GetResultsResponse {
                done,
                results_json: if done { "{}".into() } else { String::new() },
            }))
        }
        type WatchStream = std::pin::Pin<
            Box<dyn futures::Stream<Item = Result<v1::SessionEvent, tonic::Status>> + Send>,
        >;
        async fn watch(
            &self,
            _: tonic::Request<v1::WatchRequest>,
        ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
            let events = vec![Err(tonic::Status::data_loss(
                "watcher fell 7 events behind",
            ))];
            Ok(tonic::Response::new(Box::pin(futures::stream::iter(
                events,
            ))))
        }
    }

    async fn flaky_chair(polls: Option<u32>) -> SecretariatClient<tonic::transport::Channel> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let chair = FlakyChair {
            polls,
            seen: Default::default(),
        };
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(v1::secretariat_server::SecretariatServer::new(chair))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        SecretariatClient::connect(url).await.unwrap()
    }

    #[tokio::test]
    async fn a_failed_event_stream_falls_back_to_polling_the_results() {
        let mut c = flaky_chair(Some(3)).await;
        let json = follow(&mut c, "chair", "s1", Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(json, "{}");
    }

    #[tokio::test]
    async fn following_a_session_that_never_ends_gives_up_at_the_limit() {
        let mut c = flaky_chair(None).await;
        let e = follow(&mut c, "chair", "s1", Duration::from_millis(700))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("not done after"), "{e}");
    }

    #[test]
    fn the_wait_for_a_match_grows_with_the_call_deadline() {
        let p = common::prepare(&MatchArgs {
            scenario: "csce-1975".into(),
            design: None,
            seed: 1,
            strategies: None,
            json: None,
            brief: true,
        })
        .unwrap();
        let (short, long) = (match_limit(&p, 10), match_limit(&p, 10_000));
        assert!(short >= Duration::from_secs(60) && long > short + Duration::from_secs(600));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
