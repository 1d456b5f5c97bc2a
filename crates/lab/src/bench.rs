//! `plenary bench remote`: the speed of the remote path, next to what the transport
//! allows, measured in one run.
//!
//! - **Streaming echo** (the floor): N `plenary echo-server` processes, one
//!   bidirectional stream each; a round sends one frame to every process and waits for
//!   every echo. The payload is sized like a delegation's question envelope.
//! - **Delegations**: N `plenary delegate` processes, each playing one seat of a real
//!   match (opened with its real brief), driven through the chair's own links
//!   ([`plenary_chair::Hub`]): a round sends every seat a real vote question and waits
//!   for every answer, exactly as the chair's driver does.
//! - **Batched**: one delegation process playing all N seats of M matches; a round is
//!   ONE frame of N x M questions.
//! - **A whole match** over the N delegation processes with the chair's driver, and the
//!   same match in-process; the driver counts the round trips it needed.
//!
//! Echo and delegation rounds alternate in blocks so that load on the machine falls on
//! both alike. Figures only: nothing here asserts a speed.

use crate::health;
use crate::lab::LabError;
use crate::supervisor::{Child, ChildSpec, Supervisor};
use plenary_chair::link::{Link, Outgoing};
use plenary_chair::{
    CallConfig, DriveConfig, FixedRoutes, Hub, LinkConfig, Route, run_match_counted,
};
use plenary_core::MatchResult;
use plenary_proto::bench::v1::EchoFrame;
use plenary_proto::bench::v1::echo_client::EchoClient;
use plenary_proto::bench::v1::echo_server::{Echo, EchoServer};
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use plenary_scenarios::MatchPlan;
use prost::Message;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;

/// gRPC name of the echo service.
pub const ECHO_SERVICE: &str = "plenary.bench.v1.Echo";

/// How the benchmark runs.
#[derive(Debug, Clone)]
pub struct RemoteBenchOptions {
    /// The `plenary` binary.
    pub exe: PathBuf,
    /// The match: its States are the processes (osce-2021: 57).
    pub plan: MatchPlan,
    /// Measured rounds per kind.
    pub rounds: usize,
    /// Matches in flight in the batched measurement.
    pub batched_matches: usize,
    /// Built-in strategy of the batched process (the others play the plan's mix).
    pub strategy: String,
}

/// Every figure of one run (the JSON that `--json FILE` writes).
#[derive(Debug, Clone, Serialize)]
pub struct RemoteBenchReport {
    /// Version of this document's shape.
    pub schema_version: u32,
    /// plenary's version.
    pub tool_version: String,
    /// Processes of each kind (States of the match).
    pub processes: usize,
    /// Measured rounds per kind.
    pub rounds: usize,
    /// Bytes of the echo payload (one question envelope).
    pub payload_bytes: usize,
    /// Streaming echo: exchanges (frames echoed) per second over N processes.
    pub streaming_echo_exchanges_per_s: f64,
    /// Streaming echo: mean time of one N-way round, ms.
    pub streaming_echo_round_ms: f64,
    /// Streaming echo: 99th percentile of the round time, ms.
    pub streaming_echo_round_p99_ms: f64,
    /// Delegations: question-answer exchanges per second over N processes.
    pub delegation_exchanges_per_s: f64,
    /// Delegations: mean time of one N-way round, ms.
    pub delegation_round_ms: f64,
    /// Delegations: 99th percentile of the round time, ms.
    pub delegation_round_p99_ms: f64,
    /// `delegation_exchanges_per_s / streaming_echo_exchanges_per_s`.
    pub streaming_ratio: f64,
    /// One process playing every seat of `batched_matches` matches: answers per second.
    pub batched_decisions_per_s: f64,
    /// Seats per batched frame.
    pub batched_seats: usize,
    /// A whole match over N delegation processes, ms.
    pub remote_match_ms: f64,
    /// The same match in-process, ms.
    pub in_process_match_ms: f64,
    /// Round trips the chair's driver needed for the match.
    pub questions_per_match: u64,
    /// `remote_match_ms / (questions_per_match x streaming_echo_round_ms)`.
    pub remote_match_vs_floor: f64,
    /// Whether the remote match's results equal the in-process run's, byte for byte.
    pub identical_to_in_process: bool,
    /// Largest resident memory of a delegation process after the run, MiB.
    pub delegation_rss_mib_max: f64,
    /// Mean resident memory of the delegation processes after the run, MiB.
    pub delegation_rss_mib_mean: f64,
}

// ----- echo server ----------------------------------------------------------------------

/// The baseline service: returns every frame as soon as it arrives.
struct EchoService;

type EchoStream = Pin<Box<dyn Stream<Item = Result<EchoFrame, tonic::Status>> + Send>>;

#[tonic::async_trait]
impl Echo for EchoService {
    type StreamStream = EchoStream;

    async fn stream(
        &self,
        request: tonic::Request<tonic::Streaming<EchoFrame>>,
    ) -> Result<tonic::Response<Self::StreamStream>, tonic::Status> {
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            while let Ok(Some(f)) = inbound.message().await {
                if tx.send(Ok(f)).await.is_err() {
                    break;
                }
            }
        });
        Ok(tonic::Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// Serves the echo baseline (and health) on `listener` until `shutdown`.
pub async fn serve_echo(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(ECHO_SERVICE, tonic_health::ServingStatus::Serving)
        .await;
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(
            EchoServer::new(EchoService)
                .max_decoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(plenary_proto::transport::incoming(listener, 1024), shutdown)
        .await
}

// ----- measurement ----------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// One echo stream.
struct EchoLink {
    tx: mpsc::Sender<EchoFrame>,
    rx: tonic::Streaming<EchoFrame>,
}

async fn echo_link(url: &str) -> Result<EchoLink, LabError> {
    let channel = tonic::transport::Endpoint::from_shared(url.to_string())
        .map_err(|e| LabError::NotReady(e.to_string()))?
        .tcp_nodelay(true)
        .connect()
        .await
        .map_err(|e| LabError::NotReady(format!("{url}: {e}")))?;
    let (tx, frames) = mpsc::channel(16);
    let rx = EchoClient::new(channel)
        .stream(tokio_stream::wrappers::ReceiverStream::new(frames))
        .await
        .map_err(|s| LabError::NotReady(format!("{url}: {}", s.message())))?
        .into_inner();
    Ok(EchoLink { tx, rx })
}

async fn echo_round(links: &mut [EchoLink], payload: &[u8]) -> Result<(), LabError> {
    for l in links.iter() {
        l.tx.send(EchoFrame {
            payload: payload.to_vec(),
        })
        .await
        .map_err(|_| LabError::NotReady("an echo stream closed".into()))?;
    }
    let all = links.iter_mut().map(|l| l.rx.message());
    for r in futures::future::join_all(all).await {
        match r {
            Ok(Some(_)) => {}
            _ => return Err(LabError::NotReady("an echo stream failed".into())),
        }
    }
    Ok(())
}

/// A real vote question to `state` in `match_id`.
fn vote(match_id: &str, state: &str, seq: u64, ctx: &v2::RoundContext) -> v2::Envelope {
    v2::Envelope {
        match_id: match_id.to_string(),
        state: state.to_string(),
        seq,
        deadline_ms: 10_000,
        body: Some(Body::Vote(v2::VoteQuestion {
            context: Some(ctx.clone()),
            view: Some(v2::SeatView {
                legitimacy: 0.7,
                tension: 0.4,
                shamed: 0,
                ..Default::default()
            }),
        })),
    }
}

/// Sends every envelope through its link and waits for every answer; fails on any
/// refusal or missing answer (a benchmark of broken answers measures nothing).
async fn exchange(batches: Vec<(Link, Vec<v2::Envelope>)>) -> Result<usize, LabError> {
    let mut waits = Vec::new();
    for (link, envs) in batches {
        let mut out = Vec::with_capacity(envs.len());
        for env in envs {
            let (tx, rx) = oneshot::channel();
            out.push(Outgoing {
                env,
                answer: Some(tx),
            });
            waits.push(rx);
        }
        link.send(out).await;
    }
    let n = waits.len();
    for r in futures::future::join_all(waits).await {
        match r {
            Ok(Ok(a)) if !matches!(a.body, Some(v2::answer::Body::Refusal(_)) | None) => {}
            Ok(Ok(a)) => {
                return Err(LabError::NotReady(format!(
                    "a delegation refused a benchmark question: {:?}",
                    a.body
                )));
            }
            Ok(Err(f)) => return Err(LabError::NotReady(format!("no answer: {f:?}"))),
            Err(_) => return Err(LabError::NotReady("a link stopped".into())),
        }
    }
    Ok(n)
}

fn rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs the whole benchmark (see the module docs).
pub async fn remote(opts: RemoteBenchOptions) -> Result<RemoteBenchReport, LabError> {
    let states: Vec<String> = opts
        .plan
        .scenario
        .states
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let mut procs = Supervisor::new();
    let result = measure(&opts, &states, &mut procs).await;
    procs.stop_all(Duration::from_secs(2)).await;
    result
}

async fn spawn_all(
    exe: &PathBuf,
    specs: Vec<(String, Vec<String>, &'static str)>,
    procs: &mut Supervisor,
) -> Result<Vec<String>, LabError> {
    let spawns = specs.into_iter().map(|(name, args, service)| async move {
        let c = Child::spawn(ChildSpec::new(name, exe, args)).await?;
        health::wait_serving(&c.url(), service, Duration::from_secs(60))
            .await
            .map_err(|e| LabError::NotReady(e.to_string()))?;
        Ok::<_, LabError>(c)
    });
    let mut urls = Vec::new();
    for r in futures::future::join_all(spawns).await {
        let c = r?;
        urls.push(c.url());
        procs.adopt(c);
    }
    Ok(urls)
}

async fn measure(
    opts: &RemoteBenchOptions,
    states: &[String],
    procs: &mut Supervisor,
) -> Result<RemoteBenchReport, LabError> {
    let plan = &opts.plan;
    let n = states.len();
    // Each State's process plays the plan's strategy for it, so the whole match below
    // can be compared with the in-process run.
    let delegate = |state: Option<&str>, strategy: &str| {
        let mut a = vec![
            "delegate".to_string(),
            "--strategy".into(),
            strategy.to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--exit-with-stdin".into(),
        ];
        match state {
            Some(s) => a.extend(["--state".into(), s.to_string()]),
            None => a.push("--any-seat".into()),
        }
        a
    };
    let mut specs: Vec<(String, Vec<String>, &'static str)> = states
        .iter()
        .zip(&plan.strategies)
        .map(|(s, strategy)| {
            (
                format!("delegation {s}"),
                delegate(Some(s), strategy),
                plenary_proto::DELEGATION_SERVICE,
            )
        })
        .collect();
    specs.extend((0..n).map(|i| {
        (
            format!("echo {i}"),
            vec![
                "echo-server".into(),
                "--listen".into(),
                "127.0.0.1:0".into(),
                "--exit-with-stdin".into(),
            ],
            ECHO_SERVICE,
        )
    }));
    specs.push((
        "batched delegation".into(),
        delegate(None, &opts.strategy),
        plenary_proto::DELEGATION_SERVICE,
    ));
    let urls = spawn_all(&opts.exe, specs, procs).await?;
    let (delegation_urls, rest) = urls.split_at(n);
    let (echo_urls, batched_url) = rest.split_at(n);
    let batched_url = batched_url[0].clone();

    let hub = Hub::new(LinkConfig::default(), "bench");
    let bench_match = "bench-exchanges";
    // Open one real seat per delegation process (its real brief).
    let m = plan.new_match();
    let links: Vec<Link> = delegation_urls.iter().map(|u| hub.link(u, None)).collect();
    let opens = links
        .iter()
        .zip(0..n)
        .map(|(l, seat)| {
            let mut brief = m.brief(seat);
            brief.match_id = bench_match.to_string();
            let env = v2::Envelope {
                match_id: bench_match.to_string(),
                state: states[seat].clone(),
                seq: 1,
                deadline_ms: 10_000,
                body: Some(Body::Open((&brief).into())),
            };
            (l.clone(), vec![env])
        })
        .collect();
    exchange(opens).await?;
    let ctx = v2::RoundContext {
        session: 0,
        item: 0,
        round: 0,
        phase: v2::Phase::Decision as i32,
        proposal: Some(55.0),
        blocs: plan
            .scenario
            .blocs
            .iter()
            .map(|_| v2::BlocSignal {
                mean_position: 50.0,
                objections: 1,
                present: 10,
                leader_position: Some(52.0),
                leader_vote: Some(v2::Vote::Yes as i32),
            })
            .collect(),
        last_objections: 3,
        ..Default::default()
    };
    let payload = vec![7u8; vote(bench_match, &states[0], 2, &ctx).encoded_len()];
    let mut echo: Vec<EchoLink> = Vec::with_capacity(n);
    for u in echo_urls {
        echo.push(echo_link(u).await?);
    }
    // Warm-up, then alternating blocks.
    let mut seq = 1u64;
    for _ in 0..20 {
        echo_round(&mut echo, &payload).await?;
        seq += 1;
        let batches = links
            .iter()
            .zip(states)
            .map(|(l, s)| (l.clone(), vec![vote(bench_match, s, seq, &ctx)]))
            .collect();
        exchange(batches).await?;
    }
    let blocks = 4usize;
    let per_block = opts.rounds.div_ceil(blocks).max(1);
    let (mut echo_times, mut deleg_times) = (Vec::new(), Vec::new());
    let (mut echo_total, mut deleg_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..blocks {
        let t0 = Instant::now();
        for _ in 0..per_block {
            let t = Instant::now();
            echo_round(&mut echo, &payload).await?;
            echo_times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        echo_total += t0.elapsed();
        let t0 = Instant::now();
        for _ in 0..per_block {
            seq += 1;
            let batches = links
                .iter()
                .zip(states)
                .map(|(l, s)| (l.clone(), vec![vote(bench_match, s, seq, &ctx)]))
                .collect();
            let t = Instant::now();
            exchange(batches).await?;
            deleg_times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        deleg_total += t0.elapsed();
    }
    drop(echo);
    let rounds = per_block * blocks;
    let echo_rate = (rounds * n) as f64 / echo_total.as_secs_f64();
    let deleg_rate = (rounds * n) as f64 / deleg_total.as_secs_f64();
    echo_times.sort_by(f64::total_cmp);
    deleg_times.sort_by(f64::total_cmp);

    // Batched: one process plays every seat of M matches; one frame per round.
    let blink = hub.link(&batched_url, None);
    let matches: Vec<String> = (0..opts.batched_matches.max(1))
        .map(|k| format!("bench-batched-{k}"))
        .collect();
    let mut opens = Vec::new();
    for mid in &matches {
        for (seat, state) in states.iter().enumerate().take(n) {
            let mut brief = m.brief(seat);
            brief.match_id = mid.clone();
            opens.push(v2::Envelope {
                match_id: mid.clone(),
                state: state.clone(),
                seq: 1,
                deadline_ms: 10_000,
                body: Some(Body::Open((&brief).into())),
            });
        }
    }
    exchange(vec![(blink.clone(), opens)]).await?;
    let batched_rounds = (opts.rounds / 4).max(20);
    let mut answered = 0usize;
    let t0 = Instant::now();
    // seq 1 was the open.
    for bseq in (2u64..).take(batched_rounds) {
        let envs = matches
            .iter()
            .flat_map(|mid| states.iter().map(move |s| (mid, s)))
            .map(|(mid, s)| vote(mid, s, bseq, &ctx))
            .collect();
        answered += exchange(vec![(blink.clone(), envs)]).await?;
    }
    let batched_rate = answered as f64 / t0.elapsed().as_secs_f64();

    // A whole match over the N processes through the chair's driver.
    let routes: HashMap<String, Route> = states
        .iter()
        .zip(delegation_urls)
        .map(|(s, u)| {
            (
                s.clone(),
                Route {
                    endpoint: u.clone(),
                    token: None,
                    generation: 1,
                },
            )
        })
        .collect();
    let cfg = DriveConfig::new(
        hub.clone(),
        Arc::new(FixedRoutes(routes)),
        CallConfig::default(),
    );
    let t = Instant::now();
    let (remote, stats) = run_match_counted(plan.new_match(), cfg).await;
    let remote_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let local = in_process(plan);
    let local_ms = t.elapsed().as_secs_f64() * 1e3;
    let identical = serde_json::to_string(&remote).ok() == serde_json::to_string(&local).ok();

    let rss: Vec<f64> = procs.children()[..n]
        .iter()
        .filter_map(|c| rss_mib(c.pid()))
        .collect();
    let echo_round_ms = mean(&echo_times);
    hub.clear();
    Ok(RemoteBenchReport {
        schema_version: 1,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        processes: n,
        rounds,
        payload_bytes: payload.len(),
        streaming_echo_exchanges_per_s: echo_rate,
        streaming_echo_round_ms: echo_round_ms,
        streaming_echo_round_p99_ms: percentile(&echo_times, 0.99),
        delegation_exchanges_per_s: deleg_rate,
        delegation_round_ms: mean(&deleg_times),
        delegation_round_p99_ms: percentile(&deleg_times, 0.99),
        streaming_ratio: deleg_rate / echo_rate.max(1e-9),
        batched_decisions_per_s: batched_rate,
        batched_seats: n * matches.len(),
        remote_match_ms: remote_ms,
        in_process_match_ms: local_ms,
        questions_per_match: stats.round_trips,
        remote_match_vs_floor: remote_ms / (stats.round_trips as f64 * echo_round_ms).max(1e-9),
        identical_to_in_process: identical,
        delegation_rss_mib_max: rss.iter().copied().fold(0.0, f64::max),
        delegation_rss_mib_mean: mean(&rss),
    })
}

fn in_process(plan: &MatchPlan) -> MatchResult {
    plenary_core::run_in_process(plan.new_match(), &mut |brief| {
        plenary_strategies::create(&plan.strategies[brief.seat as usize], brief)
            .expect("the plan's strategies are built in")
    })
}
