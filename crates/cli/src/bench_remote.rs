//! `plenary bench remote`: speed of the remote path, next to a bare tonic baseline.
//!
//! For every size N it spawns N `plenary delegate` processes and N `plenary
//! echo-server` processes (one process per endpoint, the same process model), then
//! drives rounds from this process the way the chair does: one tonic [`Channel`] per
//! endpoint, every round one call to every endpoint, fanned out with `join_all`, each
//! call under a deadline. Delegations get real `Position` requests (built by an engine
//! [`Match`] after a real `OpenSeat` with each seat's brief), so they do their real
//! work; echo servers get an opaque payload of the same size and return it. The two
//! kinds run in alternating blocks in the same run. Then a whole match runs over the N
//! delegations with [`plenary_chair::run_remote`] and, for comparison, in-process.
//!
//! Printed per size: exchanges per second (calls completed), mean, p50 and p99 round
//! latency, delegation throughput as a share of the echo baseline, and the resident
//! memory (VmRSS) of the processes after the run. Figures only: nothing asserts a speed.
//!
//! `plenary echo-server` (hidden) is the baseline's server: `plenary.bench.v1.Echo`
//! plus health, on a current-thread runtime like `plenary delegate`.

use crate::common::{self, MatchArgs};
use crate::remote::{Proc, wait_serving};
use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::{Args, Subcommand};
use futures::future::join_all;
use plenary_core::engine::{Answers, Question};
use plenary_core::strategy::PositionAnswer;
use plenary_core::{Match, MatchResult, MatchSetup, Scenario};
use plenary_proto::bench::v1::echo_client::EchoClient;
use plenary_proto::bench::v1::echo_server::{Echo, EchoServer};
use plenary_proto::bench::v1::{EchoReply, EchoRequest};
use plenary_proto::v1;
use plenary_proto::v1::delegation_client::DelegationClient;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// gRPC name of the echo service (as reported by the echo server's health service).
const ECHO_SERVICE: &str = "plenary.bench.v1.Echo";
/// Deadline of every call, as the chair's default.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a spawned process may take to listen and report SERVING.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Alternating blocks (delegations, then echo) the measured rounds are split into.
const BLOCKS: usize = 4;

/// Modes of `plenary bench` besides the default in-process engine benchmark.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchMode {
    /// The remote path: delegation processes over gRPC next to a bare tonic echo baseline.
    #[command(
        after_help = "Spawns N `plenary delegate` and N `plenary echo-server` processes per size, drives rounds that call every endpoint concurrently (one channel per endpoint, as the chair does), then runs a whole match remotely and in-process.\n\nExamples:\n  plenary bench remote\n  plenary bench remote --sizes 7,57 --rounds 1000 --strategy dissociator"
    )]
    Remote(RemoteArgs),
}

/// Flags of `plenary bench remote`.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// Numbers of delegation processes to measure (as many echo processes run beside
    /// them). 57 plays osce-2021, 35 csce-1975, other sizes synthetic States.
    #[arg(long, value_delimiter = ',', default_value = "7,57",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub sizes: Vec<usize>,
    /// Measured rounds per size and endpoint kind (a round calls every endpoint once).
    #[arg(long, default_value_t = 1000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub rounds: usize,
    /// Built-in strategy every delegation plays (see `plenary strategies`).
    #[arg(long, default_value = "dissociator")]
    pub strategy: String,
    /// Design preset or file of the matches (briefs, questions, end-to-end match).
    #[arg(long, default_value = "osce-2021")]
    pub design: String,
    /// Master seed of the matches.
    #[arg(long, default_value_t = common::DEFAULT_SEED)]
    pub seed: u64,
}

/// Flags of `plenary echo-server`.
#[derive(Debug, Clone, Args)]
pub struct EchoServerArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed
    /// on stdout as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Exit when standard input closes (used by `plenary bench remote`).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

// ----- echo server ----------------------------------------------------------------------

/// The baseline service: returns the payload.
struct EchoService;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn echo(
        &self,
        request: tonic::Request<EchoRequest>,
    ) -> Result<tonic::Response<EchoReply>, tonic::Status> {
        Ok(tonic::Response::new(EchoReply {
            payload: request.into_inner().payload,
        }))
    }
}

/// `plenary echo-server`.
pub fn echo_server(args: &EchoServerArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {addr}")?;
            out.flush()?;
        }
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status(ECHO_SERVICE, tonic_health::ServingStatus::Serving)
            .await;
        // What `Server::serve(addr)` does: accepted sockets get TCP_NODELAY.
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(EchoServer::new(EchoService))
            .serve_with_incoming_shutdown(
                incoming,
                crate::remote::shutdown_signal(args.exit_with_stdin),
            )
            .await?;
        Ok(ExitCode::SUCCESS)
    });
    // Do not wait for the blocking stdin reader.
    rt.shutdown_timeout(Duration::from_millis(200));
    r
}

// ----- processes ------------------------------------------------------------------------

/// Spawns one endpoint process and waits until `health_service` is SERVING.
async fn spawn(args: &[String], health_service: &str) -> Result<Proc> {
    let p = Proc::spawn(format!("plenary {}", args[0]), args, START_TIMEOUT).await?;
    wait_serving(&p.url(), health_service, START_TIMEOUT).await?;
    Ok(p)
}

impl Proc {
    /// Resident memory in MiB (VmRSS of /proc/PID/status), if readable.
    fn rss_mib(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }

    /// CPU time the process has used so far (all its threads), in ns, if readable.
    fn cpu_ns(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(total)
    }
}

/// Starts all `argvs` concurrently; on any failure the started ones are dropped (killed).
async fn spawn_all(argvs: Vec<Vec<String>>, health_service: &str) -> Result<Vec<Proc>> {
    join_all(argvs.iter().map(|argv| spawn(argv, health_service)))
        .await
        .into_iter()
        .collect()
}

fn channel(url: &str) -> Result<Channel> {
    // As the chair's driver does.
    Ok(Endpoint::from_shared(url.to_string())?
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .connect_lazy())
}

// ----- measurement ----------------------------------------------------------------------

fn request<T>(msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.set_timeout(CALL_TIMEOUT);
    r
}

/// One call under the deadline, as the chair makes it.
async fn call<T>(
    fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Err(_) => bail!("call timed out"),
        Ok(Err(s)) => bail!("{:?}: {}", s.code(), s.message()),
        Ok(Ok(r)) => Ok(r.into_inner()),
    }
}

/// The delegation side of one size: clients and the questions they are asked.
struct Delegations {
    clients: Vec<DelegationClient<Channel>>,
    requests: Vec<v1::PositionRequest>,
    items: usize,
}

impl Delegations {
    /// One round: a Position call to every delegation, checked as the chair checks it.
    async fn round(&self) -> Result<()> {
        let calls = self
            .clients
            .iter()
            .zip(&self.requests)
            .map(|(c, req)| async move {
                let mut c = c.clone();
                let r = call(c.position(request(req.clone()))).await?;
                ensure!(
                    r.match_id == req.match_id && r.state == req.state,
                    "answer for the wrong seat"
                );
                let a = PositionAnswer::try_from(&r).map_err(|e| anyhow!("{e}"))?;
                ensure!(
                    a.link.is_none_or(|l| (l as usize) < self.items),
                    "link to an unknown item"
                );
                Ok(())
            });
        join_all(calls).await.into_iter().collect()
    }
}

/// The baseline side of one size.
struct Echoes {
    clients: Vec<EchoClient<Channel>>,
    payloads: Vec<Vec<u8>>,
}

impl Echoes {
    async fn round(&self) -> Result<()> {
        let calls = self
            .clients
            .iter()
            .zip(&self.payloads)
            .map(|(c, payload)| async move {
                let mut c = c.clone();
                let r = call(c.echo(request(EchoRequest {
                    payload: payload.clone(),
                })))
                .await?;
                ensure!(r.payload.len() == payload.len(), "echo of the wrong size");
                Ok(())
            });
        join_all(calls).await.into_iter().collect()
    }
}

/// Round latencies of one endpoint kind.
#[derive(Default)]
struct Timings {
    rounds: Vec<Duration>,
}

impl Timings {
    async fn measure<F: Future<Output = Result<()>>>(
        &mut self,
        rounds: usize,
        mut round: impl FnMut() -> F,
    ) -> Result<()> {
        for _ in 0..rounds {
            let t = Instant::now();
            round().await?;
            self.rounds.push(t.elapsed());
        }
        Ok(())
    }

    fn total(&self) -> Duration {
        self.rounds.iter().sum()
    }

    fn exchanges_per_sec(&self, endpoints: usize) -> f64 {
        (endpoints * self.rounds.len()) as f64 / self.total().as_secs_f64()
    }

    fn mean_ms(&self) -> f64 {
        1e3 * self.total().as_secs_f64() / self.rounds.len() as f64
    }

    /// Nearest-rank percentile, in ms.
    fn percentile_ms(&self, p: f64) -> f64 {
        let mut v = self.rounds.clone();
        v.sort_unstable();
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        1e3 * v[rank.clamp(1, v.len()) - 1].as_secs_f64()
    }
}

/// CPU time used so far by all of `procs`, in ns (`None` if any is unreadable).
fn cpu_ns(procs: &[Proc]) -> Option<u64> {
    procs.iter().map(Proc::cpu_ns).sum()
}

/// Server CPU per call, in µs, between two [`cpu_ns`] readings.
fn cpu_us_per_call(before: Option<u64>, after: Option<u64>, calls: usize) -> f64 {
    match (before, after) {
        (Some(b), Some(a)) if calls > 0 => a.saturating_sub(b) as f64 / 1e3 / calls as f64,
        _ => f64::NAN,
    }
}

/// Max and mean VmRSS of `procs`, in MiB.
fn rss(procs: &[Proc]) -> (f64, f64) {
    let v: Vec<f64> = procs.iter().filter_map(Proc::rss_mib).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let max = v.iter().copied().fold(0.0, f64::max);
    (max, v.iter().sum::<f64>() / v.len() as f64)
}

/// The match a size plays: a real scenario when the size matches one, else synthetic.
fn prepare(args: &RemoteArgs, n: usize) -> Result<common::Prepared> {
    let prepare = |scenario: &str| {
        common::prepare(&MatchArgs {
            scenario: scenario.into(),
            design: Some(args.design.clone()),
            seed: args.seed,
            strategies: Some(format!("default={}", args.strategy)),
            json: None,
            brief: true,
        })
    };
    for id in ["osce-2021", "csce-1975"] {
        if plenary_scenarios::scenario(id)?.states.len() == n {
            return prepare(id);
        }
    }
    let mut p = prepare("osce-2021")?;
    p.scenario = Arc::new(Scenario::synthetic(&p.scenario, n));
    p.strategies = vec![args.strategy.clone(); n];
    Ok(p)
}

/// Opens every seat of a fresh match on its delegation and returns the requests of the
/// match's first positions round.
async fn position_requests(
    p: &common::Prepared,
    clients: &[DelegationClient<Channel>],
    match_id: &str,
) -> Result<Vec<v1::PositionRequest>> {
    let mut m = Match::new(
        Arc::clone(&p.scenario),
        Arc::clone(&p.design),
        MatchSetup {
            match_id: match_id.to_string(),
            seed: p.seed,
            strategies: p.strategies.clone(),
        },
    );
    loop {
        let answers = match m.question() {
            Question::Open { seats } => {
                let seats = seats.to_vec();
                let opens = seats.iter().map(|&s| {
                    let mut c = clients[s].clone();
                    let brief = v1::SeatBrief::from(&m.brief(s));
                    async move { call(c.open_seat(request(brief))).await.map(|_| ()) }
                });
                for r in join_all(opens).await {
                    r.context("OpenSeat")?;
                }
                Answers::Acks(seats.iter().map(|_| Ok(())).collect())
            }
            // Items out of the design's scope end before any round.
            Question::Outcome { seats, .. } => {
                Answers::Acks(seats.iter().map(|_| Ok(())).collect())
            }
            Question::Positions { ctx, seats, views } => {
                ensure!(
                    seats.len() == clients.len(),
                    "the first positions round asks {} of {} seats",
                    seats.len(),
                    clients.len()
                );
                let context = v1::RoundContext::from(ctx);
                return Ok(seats
                    .iter()
                    .map(|&s| v1::PositionRequest {
                        match_id: match_id.to_string(),
                        state: p.scenario.states[s].id.clone(),
                        context: Some(context.clone()),
                        view: Some((&views[s]).into()),
                    })
                    .collect());
            }
            q => bail!("unexpected first question {q:?}"),
        };
        m.submit(answers)?;
    }
}

/// Figures of one size.
struct SizeReport {
    n: usize,
    scenario: String,
    payload: f64,
    delegation: Timings,
    echo: Timings,
    rss_delegation: (f64, f64),
    rss_echo: (f64, f64),
    cpu_delegation: f64,
    cpu_echo: f64,
    remote_match: Duration,
    in_process_match: Duration,
    identical: bool,
    complete: bool,
}

async fn measure_size(args: &RemoteArgs, n: usize) -> Result<SizeReport> {
    let p = prepare(args, n)?;
    let delegation_argvs = p
        .scenario
        .states
        .iter()
        .map(|s| {
            [
                "delegate",
                "--state",
                s.id.as_str(),
                "--strategy",
                args.strategy.as_str(),
                "--listen",
                "127.0.0.1:0",
            ]
            .map(String::from)
            .to_vec()
        })
        .collect();
    let echo_argvs = (0..n)
        .map(|_| {
            ["echo-server", "--listen", "127.0.0.1:0"]
                .map(String::from)
                .to_vec()
        })
        .collect();
    let (delegations, echoes) = tokio::try_join!(
        spawn_all(delegation_argvs, plenary_delegation::SERVICE_NAME),
        spawn_all(echo_argvs, ECHO_SERVICE),
    )?;
    let r = measure_procs(args, &p, &delegations, &echoes).await;
    join_all(
        delegations
            .into_iter()
            .chain(echoes)
            .map(|p| p.stop(Duration::from_secs(3))),
    )
    .await;
    r
}

async fn measure_procs(
    args: &RemoteArgs,
    p: &common::Prepared,
    delegation_procs: &[Proc],
    echo_procs: &[Proc],
) -> Result<SizeReport> {
    let n = delegation_procs.len();
    let dclients = delegation_procs
        .iter()
        .map(|d| {
            Ok(DelegationClient::new(channel(&d.url())?)
                .max_decoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(plenary_proto::MAX_MESSAGE_BYTES))
        })
        .collect::<Result<Vec<_>>>()?;
    let match_id = format!("bench-remote-{n}");
    let requests = position_requests(p, &dclients, &match_id).await?;
    let payloads: Vec<Vec<u8>> = requests
        .iter()
        .map(|r| vec![0x5a; plenary_proto::bench::encoded_len(r)])
        .collect();
    let payload = payloads.iter().map(Vec::len).sum::<usize>() as f64 / n as f64;
    let delegations = Delegations {
        clients: dclients,
        requests,
        items: p.scenario.agenda.len(),
    };
    let echoes = Echoes {
        clients: echo_procs
            .iter()
            .map(|e| Ok(EchoClient::new(channel(&e.url())?)))
            .collect::<Result<Vec<_>>>()?,
        payloads,
    };

    // Warm up both (connections, allocator, caches), then alternate measured blocks.
    let warm = (args.rounds / 10).clamp(1, 50);
    let mut discard = Timings::default();
    discard.measure(warm, || delegations.round()).await?;
    discard.measure(warm, || echoes.round()).await?;
    let (mut dt, mut et) = (Timings::default(), Timings::default());
    let cpu_before = (cpu_ns(delegation_procs), cpu_ns(echo_procs));
    for b in 0..BLOCKS {
        let rounds = args.rounds / BLOCKS + usize::from(b < args.rounds % BLOCKS);
        dt.measure(rounds, || delegations.round()).await?;
        et.measure(rounds, || echoes.round()).await?;
    }
    let cpu_after = (cpu_ns(delegation_procs), cpu_ns(echo_procs));
    let calls = n * args.rounds;
    let close = delegations
        .clients
        .iter()
        .zip(&delegations.requests)
        .map(|(c, r)| {
            let mut c = c.clone();
            let req = v1::CloseSeatRequest {
                match_id: r.match_id.clone(),
                state: r.state.clone(),
            };
            async move { call(c.close_seat(request(req))).await.map(|_| ()) }
        });
    for r in join_all(close).await {
        r.context("CloseSeat")?;
    }

    // A whole match over the same delegations, then the same match in-process.
    let seats = p
        .scenario
        .states
        .iter()
        .zip(delegation_procs)
        .map(|(s, d)| plenary_chair::SeatEndpoint {
            state: s.id.clone(),
            endpoint: d.url(),
            token: None,
        })
        .collect();
    let m = Match::new(Arc::clone(&p.scenario), Arc::clone(&p.design), p.setup());
    let t = Instant::now();
    let remote: MatchResult =
        plenary_chair::run_remote(m, seats, plenary_chair::CallConfig::default()).await;
    let remote_match = t.elapsed();
    let t = Instant::now();
    let local = common::run_prepared(p)?;
    let in_process_match = t.elapsed();

    Ok(SizeReport {
        n,
        scenario: p.scenario.id.clone(),
        payload,
        delegation: dt,
        echo: et,
        rss_delegation: rss(delegation_procs),
        rss_echo: rss(echo_procs),
        cpu_delegation: cpu_us_per_call(cpu_before.0, cpu_after.0, calls),
        cpu_echo: cpu_us_per_call(cpu_before.1, cpu_after.1, calls),
        remote_match,
        in_process_match,
        identical: remote == local,
        complete: remote.complete && remote.violations.is_empty(),
    })
}

fn print_report(r: &SizeReport) {
    let ratio = 100.0 * r.delegation.exchanges_per_sec(r.n) / r.echo.exchanges_per_sec(r.n);
    let row = |name: &str, t: &Timings, vs: &str, cpu: f64, (max, mean): (f64, f64)| {
        println!(
            "{:>6}  {:<13} {:>12.0} {:>9.3} {:>8.3} {:>8.3} {:>8} {:>13.1} {:>12.1} {:>13.1}",
            r.n,
            name,
            t.exchanges_per_sec(r.n),
            t.mean_ms(),
            t.percentile_ms(50.0),
            t.percentile_ms(99.0),
            vs,
            cpu,
            max,
            mean
        );
    };
    row(
        "delegation",
        &r.delegation,
        &format!("{ratio:.1}%"),
        r.cpu_delegation,
        r.rss_delegation,
    );
    row("echo baseline", &r.echo, "100%", r.cpu_echo, r.rss_echo);
    let factor = r.remote_match.as_secs_f64() / r.in_process_match.as_secs_f64().max(1e-9);
    println!(
        "{:>6}  full match {}: remote {:.1} ms, in-process {:.1} ms (x{factor:.0}); results {}{}",
        r.n,
        r.scenario,
        1e3 * r.remote_match.as_secs_f64(),
        1e3 * r.in_process_match.as_secs_f64(),
        if r.identical { "identical" } else { "DIFFER" },
        if r.complete { "" } else { " (violations!)" },
    );
    println!(
        "{:>6}  aim: throughput >= 80% of echo: {}; delegation RSS < 15 MiB: {}  (payload {:.0} B per call)",
        "",
        if ratio >= 80.0 { "met" } else { "NOT met" },
        if r.rss_delegation.0 < 15.0 {
            "met"
        } else {
            "NOT met"
        },
        r.payload
    );
}

/// `plenary bench remote`.
pub fn run(mode: &BenchMode) -> Result<ExitCode> {
    let BenchMode::Remote(args) = mode;
    plenary_strategies::check(&[args.strategy.as_str()]).context("--strategy")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Other load on the machine skews every figure: say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            l.split_whitespace()
                .next()
                .map(|s| format!(", load average {s} at start"))
        })
        .unwrap_or_default();
    println!(
        "remote path: {} rounds per size and endpoint kind (alternating blocks), strategy {}, one process per endpoint, one channel per endpoint, join_all fan-out{load}{}",
        args.rounds,
        args.strategy,
        if cfg!(debug_assertions) {
            " [debug build: not representative]"
        } else {
            ""
        }
    );
    println!(
        "{:>6}  {:<13} {:>12} {:>9} {:>8} {:>8} {:>8} {:>13} {:>12} {:>13}",
        "States",
        "endpoint",
        "exchanges/s",
        "mean ms",
        "p50 ms",
        "p99 ms",
        "vs echo",
        "srv CPU µs/x",
        "RSS max MiB",
        "RSS mean MiB"
    );
    let r = rt.block_on(async {
        for &n in &args.sizes {
            let report = measure_size(args, n)
                .await
                .with_context(|| format!("size {n}"))?;
            print_report(&report);
        }
        Ok(ExitCode::SUCCESS)
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let t = Timings {
            rounds: (1..=100).map(Duration::from_millis).collect(),
        };
        assert_eq!(t.percentile_ms(50.0), 50.0);
        assert_eq!(t.percentile_ms(99.0), 99.0);
        assert_eq!(t.percentile_ms(100.0), 100.0);
        assert!((t.mean_ms() - 50.5).abs() < 1e-9);
        assert!((t.exchanges_per_sec(2) - 200.0 / 5.05).abs() < 1e-6);
    }
}
