//! plenary-conformance: checks that a delegation endpoint honours the
//! `plenary.v1.Delegation` contract, whatever it is written in.
//!
//! [`check`] connects to an endpoint and plays a short synthetic match against it: it
//! opens the same seats (by default two States) in two matches whose ids alone differ,
//! asks every kind of question of two sessions (positions, decision, silence and package
//! votes, outcomes, session ends), then probes how the endpoint treats seats it never
//! opened and malformed requests, closes the seats and makes sure the endpoint still
//! serves. Every call is bounded by [`Options::timeout`], so a hanging endpoint fails
//! the run instead of stalling it. The result is a [`Report`] of the named checks in
//! [`CHECKS`], each passed or failed with a reason.
//!
//! ```no_run
//! # async fn demo() {
//! let report = plenary_conformance::check("http://127.0.0.1:50061", Default::default()).await;
//! println!("{report}");
//! assert!(report.passed());
//! # }
//! ```
//!
//! A refusal counts as a proper gRPC error when its status is one a handler returns on
//! purpose (`NOT_FOUND`, `INVALID_ARGUMENT`, `FAILED_PRECONDITION`, ...). `UNKNOWN`,
//! `INTERNAL`, `UNAVAILABLE` and `UNIMPLEMENTED` are what a crashed handler, a dropped
//! connection or a missing method produce, so they fail the check.

mod report;
mod script;

pub use report::{Check, Report};

use futures::future::join_all;
use plenary_proto::v1;
use plenary_proto::v1::delegation_client::DelegationClient;
use script::Step;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

/// Full gRPC name of the service under test (also asked of the health service).
pub const SERVICE_NAME: &str = "plenary.v1.Delegation";

/// The checks of the suite, in report order: `(name, what it verifies)`.
pub const CHECKS: &[(&str, &str)] = &[
    ("connect", "the endpoint accepts a gRPC connection"),
    (
        "health",
        "grpc.health.v1 answers SERVING (for \"\" or plenary.v1.Delegation)",
    ),
    (
        "open-seat",
        "OpenSeat with a synthetic brief succeeds for every seat of two matches, echoing match_id and state",
    ),
    (
        "position",
        "every Position answer echoes the seat and is finite: position in 0..100, salience in 0..1, link (if any) another agenda item",
    ),
    (
        "vote-decision",
        "every decision-phase Vote is YES, NO or ABSTAIN",
    ),
    (
        "vote-silence",
        "every silence-phase Vote is YES, NO or ABSTAIN",
    ),
    ("vote-package", "every package Vote is YES, NO or ABSTAIN"),
    (
        "outcome",
        "every Outcome notice is acknowledged, echoing the seat",
    ),
    (
        "session-end",
        "every SessionEnd answers STAY, WITHHOLD or EXIT",
    ),
    ("deadline", "every call is answered within the timeout"),
    (
        "determinism",
        "the same questions in two fresh matches get identical answers (memory is per match)",
    ),
    (
        "unknown-seat",
        "questions for a match or State never opened get a gRPC error status (not OK, not a crash, not a hang)",
    ),
    (
        "malformed-request",
        "a request without its context, a vote asked in the positions phase and a brief without rules get a gRPC error status",
    ),
    (
        "close-seat",
        "CloseSeat succeeds for every open seat, and a closed seat then gets an error",
    ),
    (
        "still-serving",
        "after all that, the endpoint is still SERVING and plays a fresh match",
    ),
];

/// How [`check`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Deadline of every call (and of connecting).
    pub timeout: Duration,
    /// The States of the seats opened in each match (ISO3 ids; at least one; empty
    /// means the default `FRA`, `RUS`).
    pub states: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_millis(2000),
            states: default_states(),
        }
    }
}

fn default_states() -> Vec<String> {
    vec!["FRA".to_string(), "RUS".to_string()]
}

/// Why one call did not give an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The endpoint URL does not parse.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// The parser's complaint.
        reason: String,
    },
    /// No connection could be made.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// No answer before the deadline.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The endpoint answered with a gRPC error status.
    #[error("gRPC status {code:?}: {message}")]
    Status {
        /// Status code.
        code: tonic::Code,
        /// Status message.
        message: String,
    },
}

impl Error {
    fn from_status(s: &tonic::Status) -> Error {
        Error::Status {
            code: s.code(),
            message: s.message().to_string(),
        }
    }
}

/// Normalises an endpoint: a bare `HOST:PORT` gets `http://`.
pub fn endpoint_url(endpoint: &str) -> String {
    let e = endpoint.trim();
    if e.contains("://") {
        e.to_string()
    } else {
        format!("http://{e}")
    }
}

/// Runs the whole suite against `endpoint` (`http://HOST:PORT` or `HOST:PORT`). Never
/// fails: a problem is a failed check in the report. Takes at most a few dozen
/// [`Options::timeout`]s even against an endpoint that hangs.
pub async fn check(endpoint: &str, opts: Options) -> Report {
    let mut opts = opts;
    // One seat per State: a repeated State would reopen (and reset) the same seat.
    let mut seen = std::collections::HashSet::new();
    opts.states.retain(|s| seen.insert(s.clone()));
    if opts.states.is_empty() {
        opts.states = default_states();
    }
    let mut report = Report {
        endpoint: endpoint.to_string(),
        checks: Vec::new(),
    };
    let channel = match connect(endpoint, opts.timeout).await {
        Ok(c) => c,
        Err(e) => {
            report.checks.push(Check::fail("connect", e.to_string()));
            for (name, _) in &CHECKS[1..] {
                report
                    .checks
                    .push(Check::fail(name, "not run: no connection"));
            }
            return report;
        }
    };
    report.checks.push(Check::pass(
        "connect",
        format!("connected to {}", endpoint_url(endpoint)),
    ));
    let mut run = Run::new(channel, opts);
    report.checks.push(run.health("health").await);
    run.play().await;
    report.checks.extend(run.script_checks());
    // Probes come after the transcript is complete (they may disturb seats).
    let unknown = run.unknown_seat().await;
    let malformed = run.malformed().await;
    let close = run.close_seats().await;
    let still = run.still_serving().await;
    report.checks.push(run.deadline());
    report.checks.push(run.determinism());
    report.checks.extend([unknown, malformed, close, still]);
    debug_assert!(
        report
            .checks
            .iter()
            .zip(CHECKS)
            .all(|(c, (n, _))| c.name == *n)
    );
    report
}

async fn connect(endpoint: &str, timeout: Duration) -> Result<Channel, Error> {
    let url = endpoint_url(endpoint);
    let ep = Endpoint::from_shared(url.clone())
        .map_err(|e| Error::Endpoint {
            endpoint: endpoint.to_string(),
            reason: e.to_string(),
        })?
        .connect_timeout(timeout);
    match tokio::time::timeout(timeout, ep.connect()).await {
        Err(_) => Err(Error::Timeout(timeout)),
        Ok(Err(e)) => Err(Error::Connect(format!("{url}: {}", source_chain(&e)))),
        Ok(Ok(c)) => Ok(c),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// An answer, stripped of its echoed ids.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Opened {
        strategy: String,
    },
    Position {
        position: f64,
        salience: f64,
        link: Option<u32>,
    },
    Vote(i32),
    Ack,
    Stance(i32),
    Closed,
}

/// An answer with the ids the endpoint echoed.
#[derive(Debug, Clone, PartialEq)]
struct Reply {
    match_id: String,
    state: String,
    answer: Answer,
}

/// One call of the script.
#[derive(Debug, Clone)]
struct Record {
    check: &'static str,
    label: String,
    /// Agenda item the question is about (for link checks).
    item: Option<u32>,
    /// Match index (0 or 1) and seat index.
    match_idx: usize,
    seat: usize,
    sent: (String, String),
    result: Result<Reply, Error>,
}

impl Record {
    fn who(&self) -> String {
        format!(
            "{} for {} in match {}",
            self.label, self.sent.1, self.sent.0
        )
    }
}

/// Bounds `fut` by `timeout`; returns the answer and how long it took.
async fn timed<T>(
    timeout: Duration,
    fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> (Result<T, Error>, Duration) {
    let start = Instant::now();
    let r = match tokio::time::timeout(timeout, fut).await {
        Err(_) => Err(Error::Timeout(timeout)),
        Ok(Err(s)) => Err(Error::from_status(&s)),
        Ok(Ok(r)) => Ok(r.into_inner()),
    };
    (r, start.elapsed())
}

/// A single call of any kind, as the probes make them.
#[derive(Debug, Clone)]
enum Call {
    Open(v1::SeatBrief),
    Position(v1::PositionRequest),
    Vote(v1::VoteRequest),
    Outcome(v1::OutcomeNotice),
    SessionEnd(v1::SessionEndRequest),
    Close(v1::CloseSeatRequest),
}

struct Run {
    client: DelegationClient<Channel>,
    channel: Channel,
    opts: Options,
    match_ids: [String; 2],
    prefix: String,
    steps: Vec<Step>,
    records: Vec<Record>,
    /// Label of the step after which the script stopped (a call timed out).
    stopped: Option<String>,
    /// Every call made (script and probes): label and outcome, for the deadline check.
    timings: Vec<(String, Duration, bool)>,
}

impl Run {
    fn new(channel: Channel, opts: Options) -> Run {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!("conformance-{}-{nanos}", std::process::id());
        let client = DelegationClient::new(channel.clone())
            .max_decoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(plenary_proto::MAX_MESSAGE_BYTES);
        Run {
            client,
            channel,
            match_ids: [format!("{prefix}-a"), format!("{prefix}-b")],
            prefix,
            opts,
            steps: script::steps(),
            records: Vec::new(),
            stopped: None,
            timings: Vec::new(),
        }
    }

    fn seats(&self) -> usize {
        self.opts.states.len()
    }

    /// A State id that is none of the seats'.
    fn stranger(&self) -> String {
        ["ZZZ", "ZZY", "ZZX", "ZZW"]
            .iter()
            .find(|s| !self.opts.states.iter().any(|t| t == *s))
            .map_or_else(|| "NOBODY".to_string(), |s| (*s).to_string())
    }

    async fn call(&self, call: Call) -> (Result<Reply, Error>, Duration) {
        let t = self.opts.timeout;
        let mut c = self.client.clone();
        match call {
            Call::Open(b) => {
                let (r, d) = timed(t, c.open_seat(b)).await;
                (
                    r.map(|r| Reply {
                        match_id: r.match_id,
                        state: r.state,
                        answer: Answer::Opened {
                            strategy: r.strategy,
                        },
                    }),
                    d,
                )
            }
            Call::Position(q) => {
                let (r, d) = timed(t, c.position(q)).await;
                let r = r.map(|r| Reply {
                    match_id: r.match_id,
                    state: r.state,
                    answer: Answer::Position {
                        position: r.position,
                        salience: r.salience,
                        link: r.link,
                    },
                });
                (r, d)
            }
            Call::Vote(q) => {
                let (r, d) = timed(t, c.vote(q)).await;
                (
                    r.map(|r| Reply {
                        match_id: r.match_id,
                        state: r.state,
                        answer: Answer::Vote(r.vote),
                    }),
                    d,
                )
            }
            Call::Outcome(q) => {
                let (r, d) = timed(t, c.outcome(q)).await;
                (
                    r.map(|r| Reply {
                        match_id: r.match_id,
                        state: r.state,
                        answer: Answer::Ack,
                    }),
                    d,
                )
            }
            Call::SessionEnd(q) => {
                let (r, d) = timed(t, c.session_end(q)).await;
                (
                    r.map(|r| Reply {
                        match_id: r.match_id,
                        state: r.state,
                        answer: Answer::Stance(r.stance),
                    }),
                    d,
                )
            }
            Call::Close(q) => {
                let (r, d) = timed(t, c.close_seat(q)).await;
                (
                    r.map(|r| Reply {
                        match_id: r.match_id,
                        state: r.state,
                        answer: Answer::Closed,
                    }),
                    d,
                )
            }
        }
    }

    fn question(&self, step: &Step, match_id: &str, seat: usize) -> Call {
        let state = self.opts.states[seat].clone();
        let match_id = match_id.to_string();
        match step.clone() {
            Step::Open => Call::Open(script::brief(&match_id, seat, &state, self.seats())),
            Step::Position(c, v) => Call::Position(v1::PositionRequest {
                match_id,
                state,
                context: Some(c),
                view: Some(v),
            }),
            Step::Vote(c, v) => Call::Vote(v1::VoteRequest {
                match_id,
                state,
                context: Some(c),
                view: Some(v),
            }),
            Step::Outcome(o) => Call::Outcome(v1::OutcomeNotice {
                match_id,
                state,
                outcome: Some(o),
            }),
            Step::SessionEnd(s, v) => Call::SessionEnd(v1::SessionEndRequest {
                match_id,
                state,
                summary: Some(s),
                view: Some(v),
            }),
        }
    }

    async fn health(&mut self, name: &'static str) -> Check {
        let mut client = HealthClient::new(self.channel.clone());
        let mut notes = Vec::new();
        for service in ["", SERVICE_NAME] {
            let (r, d) = timed(
                self.opts.timeout,
                client.check(HealthCheckRequest {
                    service: service.to_string(),
                }),
            )
            .await;
            self.timings.push((
                format!("Health.Check({service:?})"),
                d,
                matches!(r, Err(Error::Timeout(_))),
            ));
            match r {
                Ok(resp) if resp.status == ServingStatus::Serving as i32 => {
                    return Check::pass(name, format!("SERVING for {service:?}"));
                }
                Ok(resp) => notes.push(format!(
                    "{service:?}: {}",
                    ServingStatus::try_from(resp.status)
                        .map_or_else(|_| resp.status.to_string(), |s| s.as_str_name().to_string())
                )),
                Err(e) => notes.push(format!("{service:?}: {e}")),
            }
        }
        Check::fail(
            name,
            format!("grpc.health.v1 is not SERVING ({})", notes.join("; ")),
        )
    }

    /// Plays the script: each step asked of every seat of both matches at once.
    async fn play(&mut self) {
        let steps = std::mem::take(&mut self.steps);
        for step in &steps {
            let mut calls = Vec::new();
            for (m, match_id) in self.match_ids.iter().enumerate() {
                for seat in 0..self.seats() {
                    calls.push((m, seat, self.question(step, match_id, seat)));
                }
            }
            let answers = join_all(calls.iter().map(|(_, _, c)| self.call(c.clone()))).await;
            let mut timed_out = false;
            for ((m, seat, _), (result, took)) in calls.into_iter().zip(answers) {
                let late = matches!(result, Err(Error::Timeout(_)));
                timed_out |= late;
                let rec = Record {
                    check: step.check(),
                    label: step.label(),
                    item: step.item(),
                    match_idx: m,
                    seat,
                    sent: (self.match_ids[m].clone(), self.opts.states[seat].clone()),
                    result,
                };
                self.timings.push((rec.who(), took, late));
                self.records.push(rec);
            }
            if timed_out {
                // Do not wait out a hanging endpoint step after step.
                self.stopped = Some(step.label());
                break;
            }
        }
        self.steps = steps;
    }

    /// The checks judged on the script's answers, in [`CHECKS`] order.
    fn script_checks(&self) -> Vec<Check> {
        [
            "open-seat",
            "position",
            "vote-decision",
            "vote-silence",
            "vote-package",
            "outcome",
            "session-end",
        ]
        .into_iter()
        .map(|name| self.judge(name))
        .collect()
    }

    fn judge(&self, name: &'static str) -> Check {
        let expected = self.steps.iter().filter(|s| s.check() == name).count() * 2 * self.seats();
        let recs: Vec<&Record> = self.records.iter().filter(|r| r.check == name).collect();
        let mut bad = recs
            .iter()
            .filter_map(|r| validate(r).err().map(|e| format!("{}: {e}", r.who())));
        let first = bad.next();
        let more = bad.count();
        if let Some(first) = first {
            let also = if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            };
            return Check::fail(name, format!("{first}{also}"));
        }
        if recs.len() < expected {
            let why = self.stopped.as_deref().map_or_else(String::new, |s| {
                format!(": the script stopped after {s} timed out")
            });
            return Check::fail(
                name,
                format!("not run: {} of {expected} questions asked{why}", recs.len()),
            );
        }
        let extra = match name {
            "open-seat" => {
                let names: std::collections::BTreeSet<&str> = recs
                    .iter()
                    .filter_map(|r| match &r.result {
                        Ok(Reply {
                            answer: Answer::Opened { strategy },
                            ..
                        }) => Some(strategy.as_str()),
                        _ => None,
                    })
                    .collect();
                format!(
                    ", strategy {}",
                    names
                        .into_iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            _ => String::new(),
        };
        Check::pass(name, format!("{} answers valid{extra}", recs.len()))
    }

    fn deadline(&self) -> Check {
        let limit = self.opts.timeout.as_millis();
        let late: Vec<&(String, Duration, bool)> = self
            .timings
            .iter()
            .filter(|(_, d, timed_out)| *timed_out || *d > self.opts.timeout)
            .collect();
        if let Some((who, _, _)) = late.first() {
            return Check::fail(
                "deadline",
                format!(
                    "{} call(s) not answered within {limit} ms, first: {who}",
                    late.len()
                ),
            );
        }
        match self.timings.iter().max_by_key(|(_, d, _)| *d) {
            Some((who, d, _)) => Check::pass(
                "deadline",
                format!(
                    "{} calls, slowest {:.1} ms ({who}), limit {limit} ms",
                    self.timings.len(),
                    d.as_secs_f64() * 1e3
                ),
            ),
            None => Check::fail("deadline", "not run: no call made"),
        }
    }

    fn determinism(&self) -> Check {
        let name = "determinism";
        if let Some(s) = &self.stopped {
            return Check::fail(
                name,
                format!("not run: the script stopped after {s} timed out"),
            );
        }
        let fingerprint = |r: &Record| match &r.result {
            // Debug of f64 is the shortest representation that round-trips: equal
            // strings mean bit-identical numbers.
            Ok(reply) => format!("{:?}", reply.answer),
            Err(Error::Status { code, .. }) => format!("error {code:?}"),
            Err(e) => format!("error {e}"),
        };
        let mut compared = 0;
        for seat in 0..self.seats() {
            let a: Vec<&Record> = self
                .records
                .iter()
                .filter(|r| r.seat == seat && r.match_idx == 0)
                .collect();
            let b: Vec<&Record> = self
                .records
                .iter()
                .filter(|r| r.seat == seat && r.match_idx == 1)
                .collect();
            for (x, y) in a.iter().zip(&b) {
                let (fx, fy) = (fingerprint(x), fingerprint(y));
                if fx != fy {
                    return Check::fail(
                        name,
                        format!(
                            "{} for {}: {fx} in match {} but {fy} in match {}",
                            x.label, x.sent.1, x.sent.0, y.sent.0
                        ),
                    );
                }
                compared += 1;
            }
        }
        Check::pass(
            name,
            format!("{compared} answers identical across two matches"),
        )
    }

    /// Probes questions for seats that were never opened.
    async fn unknown_seat(&mut self) -> Check {
        let name = "unknown-seat";
        let ghost = format!("{}-never-opened", self.prefix);
        let known_match = self.match_ids[0].clone();
        let state = self.opts.states[0].clone();
        let stranger = self.stranger();
        let (ctx, view) = script::position_question();
        let (dctx, dview) = script::decision_question();
        let probes = vec![
            (
                format!("Position for {state} in unknown match {ghost}"),
                Call::Position(v1::PositionRequest {
                    match_id: ghost.clone(),
                    state: state.clone(),
                    context: Some(ctx.clone()),
                    view: Some(view),
                }),
            ),
            (
                format!("Position for unknown State {stranger} in match {known_match}"),
                Call::Position(v1::PositionRequest {
                    match_id: known_match.clone(),
                    state: stranger.clone(),
                    context: Some(ctx),
                    view: Some(view),
                }),
            ),
            (
                format!("Vote for unknown State {stranger} in match {known_match}"),
                Call::Vote(v1::VoteRequest {
                    match_id: known_match,
                    state: stranger,
                    context: Some(dctx),
                    view: Some(dview),
                }),
            ),
            (
                format!("Outcome in unknown match {ghost}"),
                Call::Outcome(v1::OutcomeNotice {
                    match_id: ghost.clone(),
                    state: state.clone(),
                    outcome: Some(v1::ItemOutcome {
                        decision: v1::Decision::Adopted as i32,
                        outcome: Some(50.0),
                        objections_by_bloc: vec![0; script::BLOCS.len()],
                        ..Default::default()
                    }),
                }),
            ),
            (
                format!("SessionEnd in unknown match {ghost}"),
                Call::SessionEnd(v1::SessionEndRequest {
                    match_id: ghost.clone(),
                    state: state.clone(),
                    summary: Some(v1::SessionSummary {
                        items: script::ITEMS,
                        ..Default::default()
                    }),
                    view: Some(view),
                }),
            ),
            (
                format!("CloseSeat in unknown match {ghost}"),
                Call::Close(v1::CloseSeatRequest {
                    match_id: ghost,
                    state,
                }),
            ),
        ];
        self.refusals(name, probes).await
    }

    /// Probes malformed requests.
    async fn malformed(&mut self) -> Check {
        let name = "malformed-request";
        let match_id = self.match_ids[0].clone();
        let state = self.opts.states[0].clone();
        let (ctx, view) = script::position_question();
        let mut no_rules = script::brief(
            &format!("{}-malformed", self.prefix),
            0,
            &state,
            self.seats(),
        );
        no_rules.rules = None;
        let probes = vec![
            (
                "Position without context".to_string(),
                Call::Position(v1::PositionRequest {
                    match_id: match_id.clone(),
                    state: state.clone(),
                    context: None,
                    view: Some(view),
                }),
            ),
            (
                "Vote asked in the positions phase".to_string(),
                Call::Vote(v1::VoteRequest {
                    match_id,
                    state,
                    context: Some(ctx),
                    view: Some(view),
                }),
            ),
            (
                "OpenSeat with a brief without rules".to_string(),
                Call::Open(no_rules),
            ),
        ];
        self.refusals(name, probes).await
    }

    /// Makes each call; every one must be refused with a deliberate gRPC error.
    async fn refusals(&mut self, name: &'static str, probes: Vec<(String, Call)>) -> Check {
        let mut codes = Vec::new();
        for (label, call) in probes {
            let (r, d) = self.call(call).await;
            self.timings
                .push((label.clone(), d, matches!(r, Err(Error::Timeout(_)))));
            match r {
                Ok(reply) => {
                    return Check::fail(
                        name,
                        format!(
                            "{label}: answered OK ({:?}) instead of an error",
                            reply.answer
                        ),
                    );
                }
                Err(Error::Status { code, message }) if !deliberate(code) => {
                    return Check::fail(
                        name,
                        format!(
                            "{label}: status {code:?} ({message}) looks like a crash or a missing handler; expected e.g. NOT_FOUND or INVALID_ARGUMENT"
                        ),
                    );
                }
                Err(Error::Status { code, .. }) => codes.push(format!("{code:?}")),
                Err(e) => return Check::fail(name, format!("{label}: {e}")),
            }
        }
        Check::pass(name, format!("refused with {}", codes.join(", ")))
    }

    /// Closes every seat of both matches, then asks a closed seat a question.
    async fn close_seats(&mut self) -> Check {
        let name = "close-seat";
        let mut closes = Vec::new();
        for match_id in &self.match_ids {
            for state in &self.opts.states {
                closes.push((match_id.clone(), state.clone()));
            }
        }
        let answers = join_all(closes.iter().map(|(m, s)| {
            self.call(Call::Close(v1::CloseSeatRequest {
                match_id: m.clone(),
                state: s.clone(),
            }))
        }))
        .await;
        let mut failure = None;
        for ((m, s), (r, d)) in closes.iter().zip(answers) {
            let label = format!("CloseSeat for {s} in match {m}");
            self.timings
                .push((label.clone(), d, matches!(r, Err(Error::Timeout(_)))));
            let problem = match r {
                Ok(reply) if reply.match_id != *m || reply.state != *s => {
                    Some(format!("echoed ({:?}, {:?})", reply.match_id, reply.state))
                }
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            if let (None, Some(p)) = (&failure, problem) {
                failure = Some(format!("{label}: {p}"));
            }
        }
        if let Some(f) = failure {
            return Check::fail(name, f);
        }
        let (ctx, view) = script::position_question();
        let probe = vec![(
            format!(
                "Position for {} in closed match {}",
                self.opts.states[0], self.match_ids[0]
            ),
            Call::Position(v1::PositionRequest {
                match_id: self.match_ids[0].clone(),
                state: self.opts.states[0].clone(),
                context: Some(ctx),
                view: Some(view),
            }),
        )];
        let after = self.refusals(name, probe).await;
        if after.passed {
            Check::pass(
                name,
                format!(
                    "{} seats closed; a closed seat is then {}",
                    closes.len(),
                    after.reason
                ),
            )
        } else {
            after
        }
    }

    /// Health again, then a fresh match: open, one position, close.
    async fn still_serving(&mut self) -> Check {
        let name = "still-serving";
        let health = self.health(name).await;
        if !health.passed {
            return health;
        }
        let match_id = format!("{}-after", self.prefix);
        let state = self.opts.states[0].clone();
        let (ctx, view) = script::position_question();
        let calls = [
            Call::Open(script::brief(&match_id, 0, &state, self.seats())),
            Call::Position(v1::PositionRequest {
                match_id: match_id.clone(),
                state: state.clone(),
                context: Some(ctx),
                view: Some(view),
            }),
            Call::Close(v1::CloseSeatRequest {
                match_id: match_id.clone(),
                state: state.clone(),
            }),
        ];
        for call in calls {
            let label = match &call {
                Call::Open(_) => "OpenSeat",
                Call::Position(_) => "Position",
                _ => "CloseSeat",
            };
            let (r, d) = self.call(call).await;
            let label = format!("{label} for {state} in fresh match {match_id}");
            self.timings
                .push((label.clone(), d, matches!(r, Err(Error::Timeout(_)))));
            let rec = Record {
                check: name,
                label: label.clone(),
                item: Some(0),
                match_idx: 2,
                seat: 0,
                sent: (match_id.clone(), state.clone()),
                result: r,
            };
            if let Err(e) = validate(&rec) {
                return Check::fail(name, format!("{label}: {e}"));
            }
        }
        Check::pass(
            name,
            "SERVING, and a fresh match was opened, played and closed",
        )
    }
}

/// Whether a refusal's status code is one a handler returns on purpose.
fn deliberate(code: tonic::Code) -> bool {
    use tonic::Code as C;
    matches!(
        code,
        C::InvalidArgument
            | C::NotFound
            | C::FailedPrecondition
            | C::OutOfRange
            | C::PermissionDenied
            | C::AlreadyExists
            | C::Aborted
            | C::Unauthenticated
    )
}

/// Checks one answer against the contract.
fn validate(r: &Record) -> Result<(), String> {
    let reply = r.result.as_ref().map_err(ToString::to_string)?;
    if reply.match_id != r.sent.0 || reply.state != r.sent.1 {
        return Err(format!(
            "echoed match_id {:?} and state {:?} instead of {:?} and {:?}",
            reply.match_id, reply.state, r.sent.0, r.sent.1
        ));
    }
    let kind = |v: i32, what: &str, names: &[&str]| {
        if (1..=3).contains(&v) {
            Ok(())
        } else {
            Err(format!("{what} {v} is not one of {}", names.join(", ")))
        }
    };
    match &reply.answer {
        Answer::Position {
            position,
            salience,
            link,
        } => {
            if !position.is_finite() || !(0.0..=100.0).contains(position) {
                return Err(format!(
                    "position {position} is not a finite number in 0..100"
                ));
            }
            if !salience.is_finite() || !(0.0..=1.0).contains(salience) {
                return Err(format!(
                    "salience {salience} is not a finite number in 0..1"
                ));
            }
            if let Some(l) = link {
                if *l >= script::ITEMS || Some(*l) == r.item {
                    return Err(format!(
                        "link {l} is not another agenda item (items 0..{})",
                        script::ITEMS
                    ));
                }
            }
            Ok(())
        }
        Answer::Vote(v) => kind(*v, "vote", &["VOTE_YES", "VOTE_NO", "VOTE_ABSTAIN"]),
        Answer::Stance(s) => kind(
            *s,
            "stance",
            &["STANCE_STAY", "STANCE_WITHHOLD", "STANCE_EXIT"],
        ),
        Answer::Opened { .. } | Answer::Ack | Answer::Closed => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_unique_and_kebab_case() {
        let mut names: Vec<&str> = CHECKS.iter().map(|(n, _)| *n).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len());
    }

    #[test]
    fn endpoints_get_a_scheme() {
        assert_eq!(endpoint_url("127.0.0.1:5"), "http://127.0.0.1:5");
        assert_eq!(endpoint_url(" http://h:1 "), "http://h:1");
    }

    #[test]
    fn crash_codes_are_not_deliberate() {
        assert!(deliberate(tonic::Code::NotFound));
        for c in [
            tonic::Code::Unknown,
            tonic::Code::Internal,
            tonic::Code::Unavailable,
            tonic::Code::Unimplemented,
        ] {
            assert!(!deliberate(c));
        }
    }

    fn record(answer: Answer, label: &str) -> Record {
        Record {
            check: "position",
            label: label.to_string(),
            item: Some(2),
            match_idx: 0,
            seat: 0,
            sent: ("m".into(), "RUS".into()),
            result: Ok(Reply {
                match_id: "m".into(),
                state: "RUS".into(),
                answer,
            }),
        }
    }

    #[test]
    fn positions_are_validated() {
        let label = "Position (session 0, item 2, round 0)";
        let ok = Answer::Position {
            position: 100.0,
            salience: 0.0,
            link: Some(1),
        };
        assert_eq!(validate(&record(ok, label)), Ok(()));
        let nan = Answer::Position {
            position: f64::NAN,
            salience: 0.5,
            link: None,
        };
        assert!(
            validate(&record(nan, label))
                .unwrap_err()
                .contains("position NaN")
        );
        let self_link = Answer::Position {
            position: 1.0,
            salience: 0.5,
            link: Some(2),
        };
        assert!(
            validate(&record(self_link, label))
                .unwrap_err()
                .contains("link 2")
        );
        let far_link = Answer::Position {
            position: 1.0,
            salience: 0.5,
            link: Some(script::ITEMS),
        };
        assert!(validate(&record(far_link, label)).is_err());
        let sal = Answer::Position {
            position: 1.0,
            salience: 1.5,
            link: None,
        };
        assert!(
            validate(&record(sal, label))
                .unwrap_err()
                .contains("salience 1.5")
        );
        assert!(
            validate(&record(Answer::Vote(0), "Vote"))
                .unwrap_err()
                .contains("vote 0")
        );
        let mut wrong = record(Answer::Ack, "Outcome");
        wrong.sent.1 = "FRA".into();
        assert!(validate(&wrong).unwrap_err().contains("echoed"));
    }

    #[tokio::test]
    async fn unreachable_endpoint_fails_every_check_quickly() {
        // Bind then drop a listener: nothing listens on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = Options {
            timeout: Duration::from_millis(500),
            ..Options::default()
        };
        let report = check(&format!("127.0.0.1:{port}"), opts).await;
        assert!(!report.passed());
        assert_eq!(report.checks.len(), CHECKS.len());
        assert!(report.checks.iter().all(|c| !c.passed));
        assert!(
            report
                .get("connect")
                .unwrap()
                .reason
                .contains("cannot connect"),
            "{report}"
        );
        let bad = check("http://[not an endpoint", Options::default()).await;
        assert!(
            bad.get("connect")
                .unwrap()
                .reason
                .contains("invalid endpoint"),
            "{bad}"
        );
    }
}
