//! One run of the suite against one endpoint: the order in which it exercises the
//! endpoint, and the verdict of every check.
//!
//! The order: connect; health, the hello variants, the token and reflection (side
//! streams, concurrently); the main script over two streams (the chair half-closes the
//! first after session 0, replays on the second, then probes and closes); the stream
//! limits; then whether the endpoint still serves. Verdicts are judged at the end from
//! what was recorded, so each check fails for its own reason only.

use crate::checks::CHECKS;
use crate::ledger::{Entry, Expect, Kind, Ledger, Origin, describe, judge, same};
use crate::play::{self, Dial, Ended, Event, Failure, Play};
use crate::report::{Check, Report};
use crate::script::{self, ITEMS, Msg};
use crate::{Options, SERVICE_NAME};
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::answer::Body as A;
use plenary_proto::v2::envelope::Body;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use tonic::Code;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

/// The scripted matches, by index: two whose answers must be identical, one whose open
/// is replayed, one whose questions are replayed.
const MATCHES: [&str; 4] = ["a", "b", "reopen", "replay"];
const MA: usize = 0;
const MB: usize = 1;
const REOPEN: usize = 2;
const REPLAY: usize = 3;

/// Largest frame the checker sends (the over-limit frame of `stream-limits`).
const MAX_SEND: usize = limits::MAX_MESSAGE_BYTES + (1 << 20);

/// A message about to be sent.
struct Planned {
    env: v2::Envelope,
    check: &'static str,
    label: String,
    expect: Expect,
    origin: Origin,
}

/// A scripted message sent to a seat: its seq, what it was and its ledger entry.
#[derive(Clone)]
struct Sent {
    seq: u64,
    msg: Msg,
    entry: usize,
}

/// What the replay frames sent.
#[derive(Default)]
struct Replays {
    /// (replayed question's entry, original entry).
    question: Vec<(usize, usize)>,
    /// Older-seq questions (OUT_OF_RANGE due).
    old: Vec<usize>,
    /// Replayed notices (silence due).
    notice: Vec<usize>,
    /// (replayed identical open, original open).
    open: Vec<(usize, usize)>,
    /// Opens with a different brief (ALREADY_EXISTS due).
    different: Vec<usize>,
}

/// What the close frames sent.
#[derive(Default)]
struct Closes {
    /// Close notices and questions after them (all in `close`'s ledger entries).
    entries: Vec<usize>,
    /// (first position after reopening, the original first position of the seat).
    fresh: Vec<(usize, usize)>,
}

struct Run {
    dial: Dial,
    states: Vec<String>,
    timeout: Duration,
    deadline_ms: u32,
    prefix: String,
    ledger: Ledger,
    play: Option<Play>,
    /// Number of the current stream (streams of the main script count from 1).
    stream_no: usize,
    half_closed: bool,
    /// Why no stream can be opened any more.
    dead: Option<String>,
    seqs: HashMap<(String, String), u64>,
    /// Seats that missed a deadline: later frames do not wait for them.
    unwaited: HashSet<(String, String)>,
    /// Problems for the `stream` and `outcome` checks, found while running.
    stream_problems: Vec<String>,
    outcome_problems: Vec<String>,
    /// What the last frame carried (for a reason when the stream ends after it).
    last_frame: (String, bool),
    /// Script messages per (match, seat), in order.
    sent: HashMap<(usize, usize), Vec<Sent>>,
    /// Entries of the script's session-1 questions, per (match, seat): compared with
    /// match a after the replays.
    replays: Replays,
    closes: Closes,
    fresh: Vec<usize>,
}

/// Runs the whole suite; never fails (problems are failed checks).
pub(crate) async fn run(endpoint: &str, opts: Options) -> Report {
    let mut verdicts: BTreeMap<&'static str, Check> = BTreeMap::new();
    let done = |verdicts: BTreeMap<&'static str, Check>| Report {
        endpoint: endpoint.to_string(),
        checks: CHECKS
            .iter()
            .map(|c| {
                verdicts
                    .get(c.name)
                    .cloned()
                    .unwrap_or_else(|| Check::fail(c.name, "not run"))
            })
            .collect(),
    };
    let not_run = |verdicts: &mut BTreeMap<&'static str, Check>, why: &str| {
        for c in CHECKS {
            verdicts
                .entry(c.name)
                .or_insert_with(|| Check::fail(c.name, format!("not run: {why}")));
        }
    };
    let timeout = opts.timeout.max(Duration::from_millis(1));
    let states = match crate::normalized_states(&opts.states) {
        Ok(s) => s,
        Err(e) => {
            verdicts.insert("connect", Check::fail("connect", e));
            not_run(&mut verdicts, "the options are invalid");
            return done(verdicts);
        }
    };
    let (token, token_error) = match opts.token.as_deref() {
        None => (None, None),
        Some(t) => match limits::check_token("token", t)
            .and_then(|_| AsciiMetadataValue::try_from(t).map_err(|e| e.to_string()))
        {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(format!("the token given cannot be sent: {e}"))),
        },
    };
    let channel = match connect(endpoint, timeout).await {
        Ok(c) => c,
        Err(e) => {
            verdicts.insert("connect", Check::fail("connect", e));
            not_run(&mut verdicts, "no connection");
            return done(verdicts);
        }
    };
    verdicts.insert(
        "connect",
        Check::pass(
            "connect",
            format!("connected to {}", crate::endpoint_url(endpoint)),
        ),
    );
    let dial = Dial {
        channel: channel.clone(),
        token,
        timeout,
        max_send: MAX_SEND,
    };

    // Side checks first, concurrently: each is bounded by the timeout.
    let (health, hello, token_check, reflection) = tokio::join!(
        health("health", &channel, timeout),
        hello_check(&dial),
        token_check(&dial, opts.token.is_some(), token_error),
        reflection(&channel, timeout),
    );
    for c in [health, hello, token_check, reflection] {
        verdicts.insert(c.name, c);
    }

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut run = Run {
        dial,
        states,
        timeout,
        deadline_ms: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
        // Unique per run, so runs against one endpoint never share a seat: at most 37
        // bytes, leaving room for the suffixes within the 64 bytes of a match id.
        prefix: format!("conformance-{:x}-{:x}", std::process::id(), nanos as u64),
        ledger: Ledger::default(),
        play: None,
        stream_no: 0,
        half_closed: false,
        dead: None,
        seqs: HashMap::new(),
        unwaited: HashSet::new(),
        stream_problems: Vec::new(),
        outcome_problems: Vec::new(),
        last_frame: (String::new(), false),
        sent: HashMap::new(),
        replays: Replays::default(),
        closes: Closes::default(),
        fresh: Vec::new(),
    };
    run.script().await;
    if let Some(why) = run.dead.clone() {
        for name in ["stream-limits", "still-serving"] {
            verdicts.insert(name, Check::fail(name, format!("not run: {why}")));
        }
    } else {
        verdicts.insert("stream-limits", run.stream_limits().await);
        verdicts.insert("still-serving", run.still_serving(&channel).await);
    }
    for c in run.verdicts() {
        verdicts.insert(c.name, c);
    }
    done(verdicts)
}

async fn connect(endpoint: &str, timeout: Duration) -> Result<Channel, String> {
    let url = crate::endpoint_url(endpoint);
    let ep = Endpoint::from_shared(url.clone())
        .map_err(|e| format!("invalid endpoint {}: {e}", limits::prefix(endpoint)))?
        .connect_timeout(timeout)
        .tcp_nodelay(true);
    match tokio::time::timeout(timeout, ep.connect()).await {
        Err(_) => Err(format!(
            "cannot connect to {url}: nothing within {} ms",
            timeout.as_millis()
        )),
        Ok(Err(e)) => Err(format!("cannot connect to {url}: {}", source_chain(&e))),
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

/// Health must be SERVING for "" and for the delegation service.
async fn health(name: &'static str, channel: &Channel, timeout: Duration) -> Check {
    let ask = |service: &'static str| {
        let mut client = HealthClient::new(channel.clone());
        async move {
            let req = HealthCheckRequest {
                service: service.to_string(),
            };
            match tokio::time::timeout(timeout, client.check(req)).await {
                Err(_) => Err(format!(
                    "{service:?}: no answer within {} ms",
                    timeout.as_millis()
                )),
                Ok(Err(s)) => Err(format!(
                    "{service:?}: {}",
                    Ended::Status(s.code(), s.message().to_string())
                )),
                Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32 => Ok(()),
                Ok(Ok(r)) => Err(format!(
                    "{service:?}: {}",
                    ServingStatus::try_from(r.get_ref().status).map_or_else(
                        |_| r.get_ref().status.to_string(),
                        |s| { s.as_str_name().to_string() }
                    )
                )),
            }
        }
    };
    let (all, named) = tokio::join!(ask(""), ask(SERVICE_NAME));
    let problems: Vec<String> = [all, named].into_iter().filter_map(Result::err).collect();
    if problems.is_empty() {
        Check::pass(name, format!("SERVING for \"\" and {SERVICE_NAME:?}"))
    } else {
        Check::fail(
            name,
            format!("grpc.health.v1 is not SERVING: {}", problems.join("; ")),
        )
    }
}

/// The stream-level statuses a hello may end with.
async fn hello_check(dial: &Dial) -> Check {
    let name = "hello";
    let t = dial.timeout;
    let chose = |offer: &'static [u32]| async move {
        match Play::open(dial, offer).await {
            Ok((_, h)) if h.version == plenary_proto::CONTRACT_VERSION => {
                if h.agent.len() > limits::MAX_AGENT_BYTES {
                    Err(format!(
                        "offered {offer:?}: the hello's agent is {} bytes; at most {}",
                        h.agent.len(),
                        limits::MAX_AGENT_BYTES
                    ))
                } else {
                    Ok(h.agent)
                }
            }
            Ok((_, h)) => Err(format!(
                "offered {offer:?}: chose version {} instead of {}",
                h.version,
                plenary_proto::CONTRACT_VERSION
            )),
            Err(Failure::Ended(Ended::Status(Code::Unauthenticated, m))) => Err(format!(
                "offered {offer:?}: the stream ended with {}: the endpoint requires a token (metadata {}); none or a wrong one was given",
                Ended::Status(Code::Unauthenticated, m),
                plenary_proto::TOKEN_METADATA
            )),
            Err(f) => Err(format!("offered {offer:?}: {f}")),
        }
    };
    let refused = |what: &'static str,
                   first: Vec<v2::ChairFrame>,
                   second: Option<v2::ChairFrame>| async move {
        let until = Instant::now() + t;
        let has_second = second.is_some();
        let mut play = match Play::start(dial, None, first).await {
            Err(Failure::Ended(Ended::Status(Code::FailedPrecondition, _))) => return Ok(()),
            Err(f) => return Err(format!("{what}: {f} instead of FAILED_PRECONDITION")),
            Ok(p) => p,
        };
        if let Some(second) = second {
            match play.expect_hello(until).await {
                Ok(_) => {
                    play.send(second).await;
                }
                Err(f) => return Err(format!("{what}: before the second hello, {f}")),
            }
        }
        loop {
            match play.next(until).await {
                None => {
                    return Err(format!(
                        "{what}: the stream did not end with FAILED_PRECONDITION within {} ms",
                        t.as_millis()
                    ));
                }
                Some(Event::End(Ended::Status(Code::FailedPrecondition, _))) => return Ok(()),
                Some(Event::End(e)) => {
                    return Err(format!(
                        "{what}: the stream ended with {e} instead of FAILED_PRECONDITION"
                    ));
                }
                Some(Event::Frame(
                    v2::DelegationFrame {
                        frame: Some(v2::delegation_frame::Frame::Hello(h)),
                    },
                    _,
                )) if !has_second => {
                    return Err(format!(
                        "{what}: answered with a DelegationHello choosing {} instead of ending the stream with FAILED_PRECONDITION",
                        h.version
                    ));
                }
                Some(Event::Frame(..)) => {}
            }
        }
    };
    let ghost = v2::Envelope {
        match_id: "conformance-hello".into(),
        state: "ZZZ".into(),
        seq: 2,
        deadline_ms: 0,
        body: Some(Body::Close(v2::CloseSeat {})),
    };
    let (two, three_two, unknown, batch_first, second) = tokio::join!(
        chose(&[2]),
        chose(&[3, 2]),
        refused("offered only [99]", vec![play::hello(&[99])], None),
        refused(
            "a batch as the first frame",
            vec![play::batch(vec![ghost])],
            None
        ),
        refused(
            "a second hello",
            vec![play::hello(&[plenary_proto::CONTRACT_VERSION])],
            Some(play::hello(&[plenary_proto::CONTRACT_VERSION])),
        ),
    );
    let agent = two.as_ref().ok().cloned();
    let problems: Vec<String> = [
        two.map(|_| ()),
        three_two.map(|_| ()),
        unknown,
        batch_first,
        second,
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    Check::from_problems(
        name,
        &problems,
        format!(
            "version 2 chosen (agent {}); an unknown version, a batch first and a second hello end the stream with FAILED_PRECONDITION",
            limits::prefix(&agent.unwrap_or_default())
        ),
    )
}

/// With a token: streams without it or with a wrong one end with UNAUTHENTICATED.
async fn token_check(dial: &Dial, given: bool, invalid: Option<String>) -> Check {
    let name = "token";
    if let Some(why) = invalid {
        return Check::fail(name, why);
    }
    let without = Play::open_with_token(dial, Some(None)).await;
    if !given {
        return Check::skip(
            name,
            match without {
                Ok(_) => "no token given; the endpoint accepts streams without one".to_string(),
                Err(f) => format!(
                    "no token given; a stream without one got: {f} (give the endpoint's token to check it)"
                ),
            },
        );
    }
    let mut problems = Vec::new();
    let unauthenticated = |what: &str, r: Result<(), Failure>| match r {
        Err(Failure::Ended(Ended::Status(Code::Unauthenticated, _))) => None,
        Ok(()) => Some(format!(
            "a stream {what} was accepted instead of ending with UNAUTHENTICATED"
        )),
        Err(f) => Some(format!("a stream {what}: {f} instead of UNAUTHENTICATED")),
    };
    problems.extend(unauthenticated("without x-plenary-token", without));
    let wrong = dial.token.as_ref().and_then(|t| {
        let mut w = t.to_str().unwrap_or_default().to_string();
        w.push('x');
        AsciiMetadataValue::try_from(w.as_str()).ok()
    });
    problems.extend(unauthenticated(
        "with a wrong token",
        Play::open_with_token(dial, Some(wrong)).await,
    ));
    if let Err(f) = Play::open_with_token(dial, None).await {
        problems.push(format!("a stream with the token given: {f}"));
    }
    Check::from_problems(
        name,
        &problems,
        "without the token or with a wrong one: UNAUTHENTICATED; with it: accepted".to_string(),
    )
}

/// Server reflection v1 and v1alpha must list the delegation service (advisory).
async fn reflection(channel: &Channel, timeout: Duration) -> Check {
    use tonic_reflection::pb::{v1, v1alpha};
    let name = "reflection";
    let v1 = async {
        let mut c = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
        let req = v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
        };
        let work = async {
            let mut s = c
                .server_reflection_info(tokio_stream::iter([req]))
                .await?
                .into_inner();
            let r = s.message().await?;
            Ok::<_, tonic::Status>(match r.and_then(|r| r.message_response) {
                Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(l)) => {
                    l.service.into_iter().map(|s| s.name).collect()
                }
                _ => Vec::new(),
            })
        };
        tokio::time::timeout(timeout, work).await
    };
    let v1alpha = async {
        let mut c = v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone());
        let req = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
            ),
        };
        let work = async {
            let mut s = c
                .server_reflection_info(tokio_stream::iter([req]))
                .await?
                .into_inner();
            let r = s.message().await?;
            Ok::<_, tonic::Status>(match r.and_then(|r| r.message_response) {
                Some(
                    v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(l),
                ) => l.service.into_iter().map(|s| s.name).collect(),
                _ => Vec::new(),
            })
        };
        tokio::time::timeout(timeout, work).await
    };
    let (a, b) = tokio::join!(v1, v1alpha);
    let judge = |version: &str, r: Result<Result<Vec<String>, tonic::Status>, _>| match r {
        Err(_) => Some(format!(
            "{version}: no answer within {} ms",
            timeout.as_millis()
        )),
        Ok(Err(s)) => Some(format!(
            "{version}: {}",
            Ended::Status(s.code(), s.message().to_string())
        )),
        Ok(Ok(names)) if names.iter().any(|n| n == SERVICE_NAME) => None,
        Ok(Ok(names)) => Some(format!(
            "{version}: lists {names:?}, without {SERVICE_NAME}"
        )),
    };
    let problems: Vec<String> = [
        judge("grpc.reflection.v1", a),
        judge("grpc.reflection.v1alpha", b),
    ]
    .into_iter()
    .flatten()
    .collect();
    Check::from_problems(
        name,
        &problems,
        format!("grpc.reflection.v1 and v1alpha list {SERVICE_NAME}"),
    )
}

fn kind_of(msg: &Msg) -> Expect {
    match msg {
        Msg::Open => Expect::Answer(Kind::Open),
        Msg::Position(c, _) => Expect::Answer(Kind::Position {
            item: c.item,
            agenda: ITEMS,
        }),
        Msg::Vote(..) => Expect::Answer(Kind::Vote),
        Msg::SessionEnd(..) => Expect::Answer(Kind::SessionEnd),
        Msg::Outcome(_) | Msg::Close => Expect::Silence,
    }
}

impl Run {
    fn match_id(&self, m: usize) -> String {
        format!("{}-{}", self.prefix, MATCHES[m])
    }

    fn brief(&self, m: usize, seat: usize) -> v2::SeatBrief {
        script::brief(
            &self.match_id(m),
            seat,
            &self.states[seat],
            self.states.len(),
        )
    }

    fn next_seq(&mut self, match_id: &str, state: &str) -> u64 {
        let s = self
            .seqs
            .entry((match_id.to_string(), state.to_string()))
            .or_insert(0);
        *s += 1;
        *s
    }

    fn envelope(&self, match_id: &str, state: &str, seq: u64, body: Option<Body>) -> v2::Envelope {
        let question = !matches!(body, Some(Body::Outcome(_) | Body::Close(_)));
        v2::Envelope {
            match_id: match_id.to_string(),
            state: state.to_string(),
            seq,
            deadline_ms: if question { self.deadline_ms } else { 0 },
            body,
        }
    }

    /// A scripted message to seat `seat` of match `m`, with the seat's next seq.
    fn plan_script(&mut self, m: usize, seat: usize, msg: &Msg) -> Planned {
        let match_id = self.match_id(m);
        let state = self.states[seat].clone();
        let seq = if matches!(msg, Msg::Open) {
            self.seqs.insert((match_id.clone(), state.clone()), 1);
            1
        } else {
            self.next_seq(&match_id, &state)
        };
        let body = msg.body(&self.brief(m, seat));
        Planned {
            env: self.envelope(&match_id, &state, seq, Some(body)),
            check: msg.check(),
            label: msg.label(),
            expect: kind_of(msg),
            origin: Origin::Script { m, seat },
        }
    }

    /// A probe: any envelope, with the check it counts for and what is due.
    fn probe(
        &mut self,
        check: &'static str,
        label: &str,
        match_id: &str,
        state: &str,
        body: Option<Body>,
        expect: Expect,
    ) -> Planned {
        let seq = self.next_seq(match_id, state);
        Planned {
            env: self.envelope(match_id, state, seq, body),
            check,
            label: label.to_string(),
            expect,
            origin: Origin::Other,
        }
    }

    /// Makes sure a stream is open (a new one after an end); false when none can be.
    async fn ensure_stream(&mut self) -> bool {
        if self.dead.is_some() {
            return false;
        }
        if let Some(p) = &self.play
            && p.ended.is_none()
            && !self.half_closed
        {
            return true;
        }
        match Play::open(&self.dial, &[plenary_proto::CONTRACT_VERSION]).await {
            Ok((p, _)) => {
                self.play = Some(p);
                self.stream_no += 1;
                self.half_closed = false;
                true
            }
            Err(f) => {
                self.dead = Some(format!("no Play stream could be opened ({f})"));
                self.play = None;
                false
            }
        }
    }

    /// Sends one frame of `planned` messages (in order); returns their ledger entries.
    async fn send_frame(&mut self, planned: Vec<Planned>) -> Vec<usize> {
        let ok = self.ensure_stream().await;
        let outcome = planned
            .iter()
            .any(|p| matches!(p.env.body, Some(Body::Outcome(_))));
        let mut kinds: Vec<String> = planned.iter().map(|p| p.label.clone()).collect();
        kinds.dedup();
        self.last_frame = (kinds.join(", "), outcome);
        let envs: Vec<v2::Envelope> = planned.iter().map(|p| p.env.clone()).collect();
        let sent = match (ok, self.play.as_mut()) {
            (true, Some(play)) => Ok(play.send(play::batch(envs)).await),
            _ => Err(self.dead.clone().unwrap_or_else(|| "no stream".to_string())),
        };
        planned
            .into_iter()
            .map(|p| {
                self.ledger.add(Entry {
                    key: (p.env.match_id, p.env.state, p.env.seq),
                    check: p.check,
                    label: p.label,
                    expect: p.expect,
                    origin: p.origin,
                    stream: self.stream_no,
                    sent: sent.clone(),
                    answers: Vec::new(),
                })
            })
            .collect()
    }

    /// Reads the stream until every question of `ids` is answered (all of them, or only
    /// those of seats still waited for) or their deadline passes; seats that missed it
    /// are not waited for again.
    async fn wait(&mut self, ids: &[usize], all: bool) {
        let relevant: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| {
                let e = &self.ledger.entries[i];
                e.is_question()
                    && e.sent.is_ok()
                    && (all || !self.unwaited.contains(&(e.key.0.clone(), e.key.1.clone())))
            })
            .collect();
        let until = relevant
            .iter()
            .filter_map(|&i| self.ledger.entries[i].sent.as_ref().ok().copied())
            .min()
            .unwrap_or_else(Instant::now)
            + self.timeout;
        self.pump(until, Some(&relevant)).await;
        for &i in &relevant {
            let e = &self.ledger.entries[i];
            if e.answers.is_empty() {
                self.unwaited.insert((e.key.0.clone(), e.key.1.clone()));
            }
        }
    }

    /// Files what the stream delivers until `until`, until `want` is answered (or, with
    /// `None`, until the stream ends).
    async fn pump(&mut self, until: Instant, want: Option<&[usize]>) {
        let Run {
            play,
            ledger,
            stream_no,
            half_closed,
            stream_problems,
            outcome_problems,
            last_frame,
            ..
        } = self;
        let Some(play) = play.as_mut() else {
            return;
        };
        loop {
            if want.is_some_and(|w| ledger.answered(w)) {
                return;
            }
            match play.next(until).await {
                None => return,
                Some(Event::Frame(f, at)) => match f.frame {
                    Some(v2::delegation_frame::Frame::Answers(a)) => {
                        ledger.answer_frames += 1;
                        ledger.largest_answer_frame =
                            ledger.largest_answer_frame.max(a.answers.len());
                        for ans in a.answers {
                            ledger.file(*stream_no, ans, at);
                        }
                    }
                    Some(v2::delegation_frame::Frame::Hello(_)) => stream_problems.push(format!(
                        "stream {stream_no}: a second DelegationHello (the contract has exactly one, first)"
                    )),
                    None => stream_problems
                        .push(format!("stream {stream_no}: a DelegationFrame with nothing set")),
                },
                Some(Event::End(e)) => {
                    if !*half_closed {
                        let why = format!(
                            "stream {stream_no} ended with {e} before the chair half-closed it, after a frame of {}",
                            last_frame.0
                        );
                        if last_frame.1 {
                            outcome_problems.push(why.clone());
                        }
                        stream_problems.push(why);
                    }
                    return;
                }
            }
        }
    }

    /// Half-closes the current stream and waits for its end, which must be OK.
    async fn end_stream(&mut self) {
        let Some(play) = self.play.as_mut() else {
            return;
        };
        if play.ended.is_some() {
            return;
        }
        play.half_close();
        self.half_closed = true;
        let until = Instant::now() + self.timeout;
        self.pump(until, None).await;
        let n = self.stream_no;
        match self.play.as_ref().and_then(|p| p.ended.clone()) {
            Some(Ended::Ok) => {}
            Some(e) => self.stream_problems.push(format!(
                "stream {n} ended with {e} after the chair half-closed it; OK is due"
            )),
            None => self.stream_problems.push(format!(
                "stream {n} did not end within {} ms after the chair half-closed it",
                self.timeout.as_millis()
            )),
        }
    }

    /// One scripted frame: `msgs` to every seat of every match.
    async fn script_frame(&mut self, msgs: &[Msg]) {
        let mut planned = Vec::new();
        let mut record = Vec::new();
        for m in 0..MATCHES.len() {
            for seat in 0..self.states.len() {
                for msg in msgs {
                    let p = self.plan_script(m, seat, msg);
                    record.push((m, seat, p.env.seq, msg.clone()));
                    planned.push(p);
                }
            }
        }
        let ids = self.send_frame(planned).await;
        for ((m, seat, seq, msg), entry) in record.into_iter().zip(&ids) {
            self.sent.entry((m, seat)).or_default().push(Sent {
                seq,
                msg,
                entry: *entry,
            });
        }
        self.wait(&ids, false).await;
    }

    /// The main script: opens, session 0, a new stream, replays, session 1, probes,
    /// closes.
    async fn script(&mut self) {
        if !self.ensure_stream().await {
            return;
        }
        self.script_frame(&[Msg::Open]).await;
        for frame in script::session(0) {
            self.script_frame(&frame).await;
        }
        self.end_stream().await;
        if !self.ensure_stream().await {
            return;
        }
        self.replay_frames().await;
        for frame in script::session(1) {
            self.script_frame(&frame).await;
        }
        self.probes().await;
        self.close_frames().await;
        self.end_stream().await;
    }

    fn script_sent(&self, m: usize, seat: usize) -> Vec<Sent> {
        self.sent.get(&(m, seat)).cloned().unwrap_or_default()
    }

    /// Replays at the start of the second stream, as a chair that reconnected would.
    async fn replay_frames(&mut self) {
        let mut first = Vec::new();
        let mut second = Vec::new();
        let mut r = Replays::default();
        let mut tags_first = Vec::new();
        let mut tags_second = Vec::new();
        for seat in 0..self.states.len() {
            let state = self.states[seat].clone();
            // The reopen match: the same open again, then a different brief.
            let reopen_id = self.match_id(REOPEN);
            let original_open = self
                .script_sent(REOPEN, seat)
                .first()
                .map(|s| s.entry)
                .unwrap_or_default();
            let brief = self.brief(REOPEN, seat);
            first.push(Planned {
                env: self.envelope(&reopen_id, &state, 1, Some(Body::Open(brief.clone()))),
                check: "replay-open",
                label: "open replayed with the same brief".to_string(),
                expect: Expect::Answer(Kind::Open),
                origin: Origin::Other,
            });
            tags_first.push(Some(original_open));
            let mut other = brief;
            other.seed = other.seed.wrapping_add(1);
            second.push(Planned {
                env: self.envelope(&reopen_id, &state, 1, Some(Body::Open(other))),
                check: "replay-open",
                label: "open replayed with a different brief (seed + 1)".to_string(),
                expect: Expect::Refusal(&[Code::AlreadyExists]),
                origin: Origin::Other,
            });
            tags_second.push("different");
            // The replay match: its last question again, its last notice again, and an
            // older question.
            let replay_id = self.match_id(REPLAY);
            let sent = self.script_sent(REPLAY, seat);
            let brief = self.brief(REPLAY, seat);
            if let Some(last) = sent.iter().rev().find(|s| s.msg.is_question()) {
                first.push(Planned {
                    env: self.envelope(&replay_id, &state, last.seq, Some(last.msg.body(&brief))),
                    check: "replay",
                    label: format!("{} sent again", last.msg.label()),
                    expect: kind_of(&last.msg),
                    origin: Origin::Other,
                });
                tags_first.push(Some(last.entry));
            }
            if let Some(notice) = sent.iter().rev().find(|s| !s.msg.is_question()) {
                second.push(Planned {
                    env: self.envelope(
                        &replay_id,
                        &state,
                        notice.seq,
                        Some(notice.msg.body(&brief)),
                    ),
                    check: "replay",
                    label: format!("{} sent again", notice.msg.label()),
                    expect: Expect::Silence,
                    origin: Origin::Other,
                });
                tags_second.push("notice");
            }
            if let Some(old) = sent.iter().find(|s| matches!(s.msg, Msg::Position(..))) {
                second.push(Planned {
                    env: self.envelope(&replay_id, &state, old.seq, Some(old.msg.body(&brief))),
                    check: "replay",
                    label: format!("{} sent again after later questions", old.msg.label()),
                    expect: Expect::Refusal(&[Code::OutOfRange]),
                    origin: Origin::Other,
                });
                tags_second.push("old");
            }
        }
        let ids = self.send_frame(first).await;
        for (id, original) in ids.iter().zip(tags_first) {
            let original = original.unwrap_or_default();
            if self.ledger.entries[*id].check == "replay-open" {
                r.open.push((*id, original));
            } else {
                r.question.push((*id, original));
            }
        }
        self.wait(&ids, true).await;
        let ids = self.send_frame(second).await;
        for (id, tag) in ids.iter().zip(tags_second) {
            match tag {
                "different" => r.different.push(*id),
                "notice" => r.notice.push(*id),
                _ => r.old.push(*id),
            }
        }
        self.wait(&ids, true).await;
        self.replays = r;
    }

    /// Refusal probes, all in one frame: unknown seats, malformed messages, questions
    /// in the wrong phase.
    async fn probes(&mut self) {
        let a = self.match_id(MA);
        let state = self.states[0].clone();
        let ghost = format!("{}-ghost", self.prefix);
        let stranger = ["ZZZ", "ZZY", "ZZX", "ZZW", "ZZV"]
            .iter()
            .find(|s| !self.states.iter().any(|t| t == *s))
            .map_or_else(|| "ZZZZZZ".to_string(), |s| (*s).to_string());
        let pos = || script::ctx(0, 0, 0, v2::Phase::Positions, None);
        let dec = || script::ctx(0, 0, 0, v2::Phase::Decision, Some(50.0));
        let view = || script::view(0, false);
        let position = |c: Option<v2::RoundContext>, v: Option<v2::SeatView>| {
            Some(Body::Position(v2::PositionQuestion {
                context: c,
                view: v,
            }))
        };
        let vote = |c: Option<v2::RoundContext>, v: Option<v2::SeatView>| {
            Some(Body::Vote(v2::VoteQuestion {
                context: c,
                view: v,
            }))
        };
        let summary = || v2::SessionSummary {
            session: 0,
            decided: 1,
            items: ITEMS,
            my_gain: 0.0,
            tension: Vec::new(),
        };
        let session_end = |s: Option<v2::SessionSummary>, v: Option<v2::SeatView>| {
            Some(Body::SessionEnd(v2::SessionEndQuestion {
                summary: s,
                view: v,
            }))
        };
        const NF: &[Code] = &[Code::NotFound];
        const IA: &[Code] = &[Code::InvalidArgument];
        const FP: &[Code] = &[Code::FailedPrecondition];
        let mut p = Vec::new();
        // Unknown seats.
        self.seqs.insert((ghost.clone(), state.clone()), 1);
        let u = "unknown-seat";
        p.push(self.probe(
            u,
            "position for a match never opened",
            &ghost,
            &state,
            position(Some(pos()), Some(view())),
            Expect::Refusal(NF),
        ));
        p.push(self.probe(
            u,
            "vote for a match never opened",
            &ghost,
            &state,
            vote(Some(dec()), Some(view())),
            Expect::Refusal(NF),
        ));
        p.push(self.probe(
            u,
            "session_end for a match never opened",
            &ghost,
            &state,
            session_end(Some(summary()), Some(view())),
            Expect::Refusal(NF),
        ));
        let notice = v2::ItemOutcome {
            decision: v2::Decision::Adopted as i32,
            outcome: 50.0,
            in_force: 50.0,
            objections_by_bloc: vec![0; script::BLOCS.len()],
            ..Default::default()
        };
        p.push(self.probe(
            u,
            "outcome notice for a match never opened",
            &ghost,
            &state,
            Some(Body::Outcome(notice)),
            Expect::Silence,
        ));
        p.push(self.probe(
            u,
            "close notice for a match never opened",
            &ghost,
            &state,
            Some(Body::Close(v2::CloseSeat {})),
            Expect::Silence,
        ));
        self.seqs.insert((a.clone(), stranger.clone()), 1);
        p.push(self.probe(
            u,
            "position for a State with no seat in the match",
            &a,
            &stranger,
            position(Some(pos()), Some(view())),
            Expect::Refusal(&[Code::NotFound, Code::PermissionDenied]),
        ));
        // Malformed messages to an open seat.
        let m = "malformed";
        p.push(self.probe(
            m,
            "envelope without body",
            &a,
            &state,
            None,
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "position without context",
            &a,
            &state,
            position(None, Some(view())),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "position without view",
            &a,
            &state,
            position(Some(pos()), None),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "vote without context",
            &a,
            &state,
            vote(None, Some(view())),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "vote without view",
            &a,
            &state,
            vote(Some(dec()), None),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "session_end without summary",
            &a,
            &state,
            session_end(None, Some(view())),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "session_end without view",
            &a,
            &state,
            session_end(Some(summary()), None),
            Expect::Refusal(IA),
        ));
        let mut unspecified = pos();
        unspecified.phase = v2::Phase::Unspecified as i32;
        p.push(self.probe(
            m,
            "position with phase UNSPECIFIED",
            &a,
            &state,
            position(Some(unspecified.clone()), Some(view())),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "vote with phase UNSPECIFIED",
            &a,
            &state,
            vote(Some(unspecified), Some(view())),
            Expect::Refusal(IA),
        ));
        self.seqs.insert((String::new(), state.clone()), 0);
        p.push(self.probe(
            m,
            "envelope without match_id",
            "",
            &state,
            position(Some(pos()), Some(view())),
            Expect::Refusal(IA),
        ));
        p.push(self.probe(
            m,
            "envelope without state",
            &a,
            "",
            position(Some(pos()), Some(view())),
            Expect::Refusal(IA),
        ));
        type Spoil = fn(&mut v2::SeatBrief);
        let spoilers: [(&str, Spoil); 6] = [
            ("open whose brief has no rules", |b| b.rules = None),
            ("open with mediation UNSPECIFIED", |b| {
                if let Some(r) = &mut b.rules {
                    r.mediation = v2::Mediation::Unspecified as i32;
                }
            }),
            ("open with linkage UNSPECIFIED", |b| {
                if let Some(r) = &mut b.rules {
                    r.linkage = v2::Linkage::Unspecified as i32;
                }
            }),
            ("open with an item of dimension UNSPECIFIED", |b| {
                b.items[0].dimension = v2::Dimension::Unspecified as i32;
            }),
            ("open with an item of kind UNSPECIFIED", |b| {
                b.items[1].kind = v2::ItemKind::Unspecified as i32;
            }),
            ("open whose preferences and items differ in length", |b| {
                b.preferences.pop();
            }),
        ];
        for (k, (label, spoil)) in spoilers.into_iter().enumerate() {
            let id = format!("{}-malformed-{k}", self.prefix);
            let mut brief = script::brief(&id, 0, &state, self.states.len());
            spoil(&mut brief);
            self.seqs.insert((id.clone(), state.clone()), 0);
            p.push(self.probe(
                m,
                label,
                &id,
                &state,
                Some(Body::Open(brief)),
                Expect::Refusal(IA),
            ));
        }
        // Questions of the wrong phase to an open seat.
        let w = "wrong-phase";
        p.push(self.probe(
            w,
            "vote in phase POSITIONS",
            &a,
            &state,
            vote(Some(pos()), Some(view())),
            Expect::Refusal(FP),
        ));
        for phase in [v2::Phase::Decision, v2::Phase::Silence, v2::Phase::Package] {
            let mut c = script::ctx(0, 0, 1, phase, Some(50.0));
            if phase == v2::Phase::Package {
                c.item = ITEMS;
                c.proposal = None;
            }
            let label = format!(
                "position in phase {}",
                phase.as_str_name().trim_start_matches("PHASE_")
            );
            p.push(self.probe(
                w,
                &label,
                &a,
                &state,
                position(Some(c), Some(view())),
                Expect::Refusal(FP),
            ));
        }
        let ids = self.send_frame(p).await;
        self.wait(&ids, true).await;
    }

    /// Closes every scripted seat; asks a closed seat a question; reopens match a's
    /// seats and asks their first position again; closes them.
    async fn close_frames(&mut self) {
        let mut c1 = Vec::new();
        let mut after = Vec::new();
        for m in 0..MATCHES.len() {
            for seat in 0..self.states.len() {
                let id = self.match_id(m);
                let state = self.states[seat].clone();
                c1.push(self.probe(
                    "close",
                    "close notice",
                    &id,
                    &state,
                    Some(Body::Close(v2::CloseSeat {})),
                    Expect::Silence,
                ));
                if m == MA {
                    after.push((id, state));
                }
            }
        }
        let first_position = script::session(0)
            .into_iter()
            .flatten()
            .find(|m| matches!(m, Msg::Position(..)))
            .unwrap_or(Msg::Open);
        for (id, state) in &after {
            let body = first_position.body(&v2::SeatBrief::default());
            c1.push(self.probe(
                "close",
                "position to a closed seat",
                id,
                state,
                Some(body),
                Expect::Refusal(&[Code::NotFound]),
            ));
        }
        let ids = self.send_frame(c1).await;
        self.closes.entries.extend(&ids);
        self.wait(&ids, true).await;

        let mut c2 = Vec::new();
        let mut originals = Vec::new();
        for seat in 0..self.states.len() {
            let id = self.match_id(MA);
            let state = self.states[seat].clone();
            self.seqs.insert((id.clone(), state.clone()), 0);
            let brief = self.brief(MA, seat);
            c2.push(self.probe(
                "close",
                "open of a closed seat",
                &id,
                &state,
                Some(Body::Open(brief.clone())),
                Expect::Answer(Kind::Open),
            ));
            let original = self
                .script_sent(MA, seat)
                .into_iter()
                .find(|s| s.msg == first_position);
            c2.push(self.probe(
                "close",
                &format!("{} after reopening", first_position.label()),
                &id,
                &state,
                Some(first_position.body(&brief)),
                kind_of(&first_position),
            ));
            originals.push(original.map(|s| s.entry));
        }
        let ids = self.send_frame(c2).await;
        self.closes.entries.extend(&ids);
        for (k, original) in originals.into_iter().enumerate() {
            if let Some(o) = original {
                self.closes.fresh.push((ids[2 * k + 1], o));
            }
        }
        self.wait(&ids, true).await;

        let mut c3 = Vec::new();
        for seat in 0..self.states.len() {
            let id = self.match_id(MA);
            let state = self.states[seat].clone();
            c3.push(self.probe(
                "close",
                "close notice after reopening",
                &id,
                &state,
                Some(Body::Close(v2::CloseSeat {})),
                Expect::Silence,
            ));
        }
        let ids = self.send_frame(c3).await;
        self.closes.entries.extend(&ids);
    }

    /// The limits of a frame, each on a stream of its own.
    async fn stream_limits(&mut self) -> Check {
        let name = "stream-limits";
        let state = self.states[0].clone();
        let notice_of = |match_id: &str, bytes: usize| {
            // Strings of 64 bytes, as many as it takes.
            let id = "Z".repeat(64);
            let n = bytes / 66 + 1;
            v2::Envelope {
                match_id: match_id.to_string(),
                state: state.clone(),
                seq: 2,
                deadline_ms: 0,
                body: Some(Body::Outcome(v2::ItemOutcome {
                    decision: v2::Decision::Adopted as i32,
                    shamed: vec![id; n],
                    ..Default::default()
                })),
            }
        };
        let mib = 1usize << 20;
        let dial = self.dial.clone();
        let t = self.timeout;
        // A 15 MiB frame is accepted: a question after it is answered.
        let big = async {
            let (mut play, _) = Play::open(&dial, &[plenary_proto::CONTRACT_VERSION])
                .await
                .map_err(|f| format!("a 15 MiB frame: {f}"))?;
            let id = format!("{}-limits", self.prefix);
            play.send(play::batch(vec![notice_of(&id, 15 * mib)])).await;
            let q = v2::Envelope {
                match_id: id.clone(),
                state: state.clone(),
                seq: 3,
                deadline_ms: self.deadline_ms,
                body: Some(Body::Vote(v2::VoteQuestion {
                    context: Some(script::ctx(0, 0, 0, v2::Phase::Decision, Some(50.0))),
                    view: Some(script::view(0, false)),
                })),
            };
            play.send(play::batch(vec![q])).await;
            let until = Instant::now() + t;
            loop {
                match play.next(until).await {
                    None => {
                        return Err(format!(
                            "after a frame of 15 MiB (within the 16 MiB limit), a question got no answer within {} ms",
                            t.as_millis()
                        ));
                    }
                    Some(Event::End(e)) => {
                        return Err(format!(
                            "a frame of 15 MiB (within the 16 MiB limit) ended the stream with {e}"
                        ));
                    }
                    Some(Event::Frame(
                        v2::DelegationFrame {
                            frame: Some(v2::delegation_frame::Frame::Answers(a)),
                        },
                        _,
                    )) if a.answers.iter().any(|a| a.match_id == id) => return Ok(()),
                    Some(Event::Frame(..)) => {}
                }
            }
        };
        let exhausted = |what: &'static str, frame: v2::ChairFrame| {
            let dial = dial.clone();
            async move {
                let (mut play, _) = Play::open(&dial, &[plenary_proto::CONTRACT_VERSION])
                    .await
                    .map_err(|f| format!("{what}: {f}"))?;
                play.send(frame).await;
                match play.expect_end(Instant::now() + t).await {
                    Some(Ended::Status(Code::ResourceExhausted, _)) => Ok(()),
                    Some(e) => Err(format!(
                        "{what}: the stream ended with {e} instead of RESOURCE_EXHAUSTED"
                    )),
                    None => Err(format!(
                        "{what}: the stream did not end with RESOURCE_EXHAUSTED within {} ms",
                        t.as_millis()
                    )),
                }
            }
        };
        let flood_id = format!("{}-flood", self.prefix);
        let flood: Vec<v2::Envelope> = (0..=limits::MAX_BATCH as u64)
            .map(|i| v2::Envelope {
                match_id: flood_id.clone(),
                state: state.clone(),
                seq: i + 2,
                deadline_ms: 0,
                body: Some(Body::Close(v2::CloseSeat {})),
            })
            .collect();
        let huge = notice_of(
            &format!("{}-huge", self.prefix),
            limits::MAX_MESSAGE_BYTES + 1024,
        );
        let (big, flood, huge) = tokio::join!(
            big,
            exhausted("a batch of 65 537 envelopes", play::batch(flood)),
            exhausted("a frame over 16 MiB", play::batch(vec![huge])),
        );
        let problems: Vec<String> = [big, flood, huge]
            .into_iter()
            .filter_map(Result::err)
            .collect();
        Check::from_problems(
            name,
            &problems,
            "a 15 MiB frame accepted; 65 537 envelopes and a frame over 16 MiB: RESOURCE_EXHAUSTED"
                .to_string(),
        )
    }

    /// Health again, then a fresh match on a new stream: open, a position, a vote,
    /// close.
    async fn still_serving(&mut self, channel: &Channel) -> Check {
        let name = "still-serving";
        let h = health(name, channel, self.timeout).await;
        if !h.passed() {
            return h;
        }
        // A stream of its own.
        self.play = None;
        self.half_closed = false;
        if !self.ensure_stream().await {
            return Check::fail(
                name,
                self.dead.clone().unwrap_or_else(|| "no stream".into()),
            );
        }
        let id = format!("{}-fresh", self.prefix);
        let frames = script::session(0);
        let position = frames.first().and_then(|f| f.last()).cloned();
        let vote = frames.get(1).and_then(|f| f.last()).cloned();
        let mut steps = vec![Msg::Open];
        steps.extend(position);
        steps.extend(vote);
        steps.push(Msg::Close);
        for msg in steps {
            let mut planned = Vec::new();
            for seat in 0..self.states.len() {
                let state = self.states[seat].clone();
                let brief = script::brief(&id, seat, &state, self.states.len());
                if msg == Msg::Open {
                    self.seqs.insert((id.clone(), state.clone()), 0);
                }
                let label = format!("{} in a fresh match", msg.label());
                planned.push(self.probe(
                    name,
                    &label,
                    &id,
                    &state,
                    Some(msg.body(&brief)),
                    kind_of(&msg),
                ));
            }
            let ids = self.send_frame(planned).await;
            self.fresh.extend(&ids);
            self.wait(&ids, true).await;
        }
        self.end_stream().await;
        let problems: Vec<String> = self
            .fresh
            .iter()
            .filter_map(|&i| {
                let e = &self.ledger.entries[i];
                kind_ok(e, self.timeout)
                    .err()
                    .map(|p| format!("{}: {p}", e.who()))
            })
            .collect();
        Check::from_problems(
            name,
            &problems,
            "SERVING, and a fresh match was opened, played and closed on a new stream".into(),
        )
    }

    /// Entries of `check` whose origin is the script (all matches).
    fn scripted(&self, check: &str) -> Vec<&Entry> {
        self.ledger
            .entries
            .iter()
            .filter(|e| e.check == check && matches!(e.origin, Origin::Script { .. }))
            .collect()
    }

    fn problems(&self, entries: &[&Entry]) -> Vec<String> {
        entries
            .iter()
            .filter_map(|e| {
                judge(e, self.timeout)
                    .err()
                    .map(|p| format!("{}: {p}", e.who()))
            })
            .collect()
    }

    /// The script entry of match `m`, seat `seat`, seq `seq`.
    fn script_entry(&self, m: usize, seat: usize, seq: u64) -> Option<&Entry> {
        self.sent
            .get(&(m, seat))?
            .iter()
            .find(|s| s.seq == seq)
            .map(|s| &self.ledger.entries[s.entry])
    }

    /// Every answer of match `m` to a scripted question compared with match a's (same
    /// seat, same seq), from seq `from` on. Returns differences and the number compared.
    fn compare_with_a(&self, m: usize, from: impl Fn(usize) -> u64) -> (Vec<String>, usize) {
        let mut diffs = Vec::new();
        let mut compared = 0;
        for seat in 0..self.states.len() {
            for s in self.sent.get(&(m, seat)).map_or(&[][..], |v| &v[..]) {
                if s.seq < from(seat) || !s.msg.is_question() {
                    continue;
                }
                let (Some(x), Some(y)) = (
                    self.script_entry(MA, seat, s.seq),
                    Some(&self.ledger.entries[s.entry]),
                ) else {
                    continue;
                };
                if x.body().is_none() || y.body().is_none() {
                    continue;
                }
                compared += 1;
                if !same(x.body(), y.body()) {
                    diffs.push(format!(
                        "{}: {} where match {} answered {}",
                        y.who(),
                        describe(y.body()),
                        x.key.0,
                        describe(x.body())
                    ));
                }
            }
        }
        (diffs, compared)
    }

    /// The first seq of session 1 for `seat` (after the replays).
    fn session_one_from(&self, m: usize) -> impl Fn(usize) -> u64 + '_ {
        move |seat| {
            let sent = self.sent.get(&(m, seat)).map_or(&[][..], |v| &v[..]);
            sent.iter()
                .find(|s| match &s.msg {
                    Msg::Position(c, _) | Msg::Vote(c, _) => c.session == 1,
                    Msg::SessionEnd(x, _) => x.session == 1,
                    _ => false,
                })
                .map_or(u64::MAX, |s| s.seq)
        }
    }

    /// The reason of a check that had nothing to judge.
    fn not_run(&self) -> String {
        format!(
            "not run: {}",
            self.dead.as_deref().unwrap_or("nothing of it was sent")
        )
    }

    fn verdicts(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let t = self.timeout;
        let n_seats = self.states.len();

        // open-seat
        let opens = self.scripted("open-seat");
        let mut p = self.problems(&opens);
        if opens.is_empty() {
            p.push(self.not_run());
        }
        let names: std::collections::BTreeSet<String> = opens
            .iter()
            .filter_map(|e| match e.body() {
                Some(A::Opened(o)) => Some(format!("{:?}", o.strategy)),
                _ => None,
            })
            .collect();
        out.push(Check::from_problems(
            "open-seat",
            &p,
            format!(
                "{} seats of {} matches opened in one frame; strategy {}",
                opens.len(),
                MATCHES.len(),
                names.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));

        // batched
        let mut problems = Vec::new();
        if self.ledger.entries.is_empty() {
            problems.push(self.not_run());
        }
        let script_questions: Vec<&Entry> = self
            .ledger
            .entries
            .iter()
            .filter(|e| matches!(e.origin, Origin::Script { .. }) && e.is_question())
            .collect();
        let missing: Vec<&&Entry> = script_questions
            .iter()
            .filter(|e| e.answers.is_empty())
            .collect();
        if let Some(first) = missing.first() {
            problems.push(format!(
                "{} of {} questions of the script never answered; first: {}: {}",
                missing.len(),
                script_questions.len(),
                first.who(),
                first.missing(t)
            ));
        }
        for e in self
            .ledger
            .entries
            .iter()
            .filter(|e| e.is_question() && e.answers.len() > 1)
        {
            problems.push(format!("{}: answered {} times", e.who(), e.answers.len()));
        }
        for (stream, a) in &self.ledger.unsolicited {
            problems.push(format!(
                "stream {stream}: an answer for State {} in match {} seq {} ({}), which matches no question sent on that stream",
                limits::prefix(&a.state),
                limits::prefix(&a.match_id),
                a.seq,
                describe(a.body.as_ref())
            ));
        }
        out.push(Check::from_problems(
            "batched",
            &problems,
            format!(
                "{} questions, each frame to {} seats of {} matches, answered exactly once in {} answer frames (up to {} answers each)",
                script_questions.len(),
                n_seats,
                MATCHES.len(),
                self.ledger.answer_frames,
                self.ledger.largest_answer_frame
            ),
        ));

        for name in [
            "position",
            "vote-decision",
            "vote-silence",
            "vote-package",
            "session-end",
        ] {
            let es = self.scripted(name);
            let ok = if es.is_empty() {
                "not asked".to_string()
            } else {
                format!("{} answers valid", es.len())
            };
            let mut p = self.problems(&es);
            if es.is_empty() {
                p.push(self.not_run());
            }
            out.push(Check::from_problems(name, &p, ok));
        }

        // outcome
        let notices = self.scripted("outcome");
        let mut p = self.problems(&notices);
        p.extend(self.outcome_problems.iter().cloned());
        if notices.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "outcome",
            &p,
            format!(
                "{} outcome notices, each in front of a question, left unanswered; the stream went on",
                notices.len()
            ),
        ));

        // deadline
        let questions: Vec<&Entry> = self
            .ledger
            .entries
            .iter()
            .filter(|e| e.is_question())
            .collect();
        let mut late = Vec::new();
        for e in &questions {
            match e.took() {
                Some(d) if d > t => {
                    late.push(format!("{}: answered after {} ms", e.who(), d.as_millis()))
                }
                Some(_) => {}
                None => late.push(format!("{}: {}", e.who(), e.missing(t))),
            }
        }
        let slowest = questions
            .iter()
            .filter_map(|e| e.took().map(|d| (d, e.who())))
            .max_by_key(|(d, _)| *d);
        let deadline = if let Some(first) = late.first() {
            Check::fail(
                "deadline",
                format!(
                    "{} of {} questions not answered within their deadline_ms ({} ms); first: {first}",
                    late.len(),
                    questions.len(),
                    self.deadline_ms
                ),
            )
        } else if let Some((d, who)) = slowest {
            Check::pass(
                "deadline",
                format!(
                    "{} questions answered within {} ms; slowest {:.1} ms ({who})",
                    questions.len(),
                    self.deadline_ms,
                    d.as_secs_f64() * 1e3
                ),
            )
        } else {
            Check::fail("deadline", self.not_run())
        };
        out.push(deadline);

        // determinism: match a against match b.
        let (diffs, compared) = self.compare_with_a(MB, |_| 0);
        let deterministic = diffs.is_empty() && compared > 0;
        out.push(if compared == 0 {
            Check::fail(
                "determinism",
                if self.ledger.entries.is_empty() {
                    self.not_run()
                } else {
                    "not run: no answer of match b to compare".to_string()
                },
            )
        } else {
            Check::from_problems(
                "determinism",
                &diffs,
                format!("{compared} answers identical in two matches whose ids alone differ"),
            )
        });

        // stream
        let mut p = self.stream_problems.clone();
        if let Some(why) = &self.dead {
            p.push(why.clone());
        }
        for e in &self.ledger.entries {
            if e.stream > 1
                && matches!(e.origin, Origin::Script { .. })
                && matches!(e.body(), Some(A::Refusal(r)) if r.code == Code::NotFound as i32)
            {
                p.push(format!(
                    "{}: refused with NOT_FOUND on the second stream: seats must survive the end of a stream",
                    e.who()
                ));
                break;
            }
        }
        out.push(Check::from_problems(
            "stream",
            &p,
            "every stream stayed open until the chair half-closed it, then ended with OK; every seat went on on the second stream".into(),
        ));

        // replay
        let mut p = Vec::new();
        for &(replayed, original) in &self.replays.question {
            let (r, o) = (
                &self.ledger.entries[replayed],
                &self.ledger.entries[original],
            );
            match judge(r, t) {
                Err(e) => p.push(format!("{}: {e}", r.who())),
                Ok(()) if !same(r.body(), o.body()) => p.push(format!(
                    "{}: {} where the first time it answered {}",
                    r.who(),
                    describe(r.body()),
                    describe(o.body())
                )),
                Ok(()) => {}
            }
        }
        for &i in self.replays.old.iter().chain(&self.replays.notice) {
            let e = &self.ledger.entries[i];
            if let Err(x) = judge(e, t) {
                p.push(format!("{}: {x}", e.who()));
            }
        }
        let (later, compared) = if deterministic {
            self.compare_with_a(REPLAY, self.session_one_from(REPLAY))
        } else {
            (Vec::new(), 0)
        };
        p.extend(later.into_iter().map(|d| format!("after the replays, {d}")));
        if self.replays.question.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "replay",
            &p,
            if deterministic {
                format!("same answer to the replayed question, OUT_OF_RANGE for an older seq, replayed notice unanswered; {compared} later answers as an undisturbed seat's")
            } else {
                "same answer to the replayed question, OUT_OF_RANGE for an older seq, replayed notice unanswered (later answers not compared: the endpoint is not deterministic)".to_string()
            },
        ));

        // replay-open
        let mut p = Vec::new();
        for &(replayed, original) in &self.replays.open {
            let (r, o) = (
                &self.ledger.entries[replayed],
                &self.ledger.entries[original],
            );
            match judge(r, t) {
                Err(e) => p.push(format!("{}: {e}", r.who())),
                Ok(()) if !same(r.body(), o.body()) => p.push(format!(
                    "{}: {} where the first open answered {}",
                    r.who(),
                    describe(r.body()),
                    describe(o.body())
                )),
                Ok(()) => {}
            }
        }
        for &i in &self.replays.different {
            let e = &self.ledger.entries[i];
            if let Err(x) = judge(e, t) {
                p.push(format!("{}: {x}", e.who()));
            }
        }
        let (later, compared) = if deterministic {
            self.compare_with_a(REOPEN, self.session_one_from(REOPEN))
        } else {
            (Vec::new(), 0)
        };
        p.extend(later.into_iter().map(|d| {
            format!("after the replayed open, {d} (a replayed open must keep the seat as it is)")
        }));
        if self.replays.open.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "replay-open",
            &p,
            if deterministic {
                format!("the same brief answered `opened` again, a different brief ALREADY_EXISTS; {compared} later answers as an undisturbed seat's")
            } else {
                "the same brief answered `opened` again, a different brief ALREADY_EXISTS (later answers not compared: the endpoint is not deterministic)".to_string()
            },
        ));

        // Probes.
        for (name, ok) in [
            (
                "unknown-seat",
                "refused with NOT_FOUND (notices unanswered)",
            ),
            ("malformed", "refused with INVALID_ARGUMENT"),
            ("wrong-phase", "refused with FAILED_PRECONDITION"),
        ] {
            let es: Vec<&Entry> = self
                .ledger
                .entries
                .iter()
                .filter(|e| e.check == name)
                .collect();
            let mut p = self.problems(&es);
            if es.is_empty() {
                p.push(self.not_run());
            }
            out.push(Check::from_problems(
                name,
                &p,
                format!("{} probes {ok}", es.len()),
            ));
        }

        // close
        let es: Vec<&Entry> = self
            .closes
            .entries
            .iter()
            .map(|&i| &self.ledger.entries[i])
            .collect();
        // Values are the other checks' business: here, only the kind of each answer.
        let mut p: Vec<String> = es
            .iter()
            .filter_map(|e| kind_ok(e, t).err().map(|x| format!("{}: {x}", e.who())))
            .collect();
        if deterministic {
            for &(fresh, original) in &self.closes.fresh {
                let (f, o) = (&self.ledger.entries[fresh], &self.ledger.entries[original]);
                if f.body().is_some() && !same(f.body(), o.body()) {
                    p.push(format!(
                        "{}: {} where a fresh seat answered {} (an open after close must open the seat afresh)",
                        f.who(),
                        describe(f.body()),
                        describe(o.body())
                    ));
                }
            }
        }
        if es.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "close",
            &p,
            format!(
                "{} seats closed without an answer; a closed seat refused with NOT_FOUND, then reopened afresh{}",
                MATCHES.len() * n_seats,
                if deterministic { "" } else { " (not compared: the endpoint is not deterministic)" }
            ),
        ));
        out
    }
}

/// Whether an entry got an answer of the right kind (values not judged).
fn kind_ok(e: &Entry, timeout: Duration) -> Result<(), String> {
    match (&e.expect, e.body()) {
        (Expect::Silence | Expect::Refusal(_), _) => judge(e, timeout),
        (_, None) => Err(if e.answers.is_empty() {
            e.missing(timeout)
        } else {
            "answered without a body".into()
        }),
        (Expect::Answer(Kind::Open), Some(A::Opened(_)))
        | (Expect::Answer(Kind::Position { .. }), Some(A::Position(_)))
        | (Expect::Answer(Kind::Vote), Some(A::Vote(_)))
        | (Expect::Answer(Kind::SessionEnd), Some(A::Stance(_))) => Ok(()),
        (_, other) => Err(format!("answered {}", describe(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_ids_fit_the_contract() {
        let prefix = format!("conformance-{:x}-{:x}", u32::MAX, u64::MAX);
        for m in MATCHES
            .iter()
            .chain(&["ghost", "fresh", "malformed-5", "limits", "flood", "huge"])
        {
            let id = format!("{prefix}-{m}");
            assert!(limits::check_id("match_id", &id).is_ok(), "{id}");
        }
    }
}
