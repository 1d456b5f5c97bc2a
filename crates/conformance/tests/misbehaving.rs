//! The suite against a second, independent implementation of the contract: a small
//! sequential `Play` server written here from the .proto, which passes everything when
//! honest and, told to misbehave in one way, fails exactly the check that verifies it.

use plenary_conformance::{CHECKS, Options, Report, Verdict};
use plenary_core::strategy::{Phase, SeatBrief};
use plenary_proto::convert;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::answer::Body as A;
use plenary_proto::v2::delegation_server::{Delegation, DelegationServer};
use plenary_proto::v2::envelope::Body;
use prost::Message;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;
use tonic::{Code, Request, Response, Status, Streaming};

/// Generous for honest parties on a loaded machine; faulty ones never answer at all.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound of any one suite run in these tests.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// One way to break the contract (all off: an honest endpoint).
#[derive(Debug, Clone, Default)]
struct Faults {
    /// Positions are NaN.
    nan: bool,
    /// Never answers the positions of this State in session 1.
    silent_positions_of: Option<&'static str>,
    /// Refuses questions of the wrong phase with this code (instead of FAILED_PRECONDITION).
    phase_code: Option<Code>,
    /// Refuses questions to seats that are not open with this code (instead of NOT_FOUND).
    not_found_code: Option<Code>,
    /// Answers outcome notices (with a YES vote).
    answer_outcomes: bool,
    /// A replayed open starts the seat's strategy over.
    reset_on_replayed_open: bool,
    /// A replayed question is asked of the strategy again.
    reask_on_replay: bool,
    /// Answers come from one counter shared by every seat (not deterministic).
    shared_memory: bool,
    /// Accepts any contract version.
    any_version: bool,
    /// Never sends anything on a Play stream.
    hang: bool,
    /// Requires this token, unless `token_ignored`.
    token: Option<String>,
    /// Accepts streams without the token.
    token_ignored: bool,
    /// Ends an oversized frame's stream with OK.
    ok_on_oversize: bool,
    /// No reflection service.
    no_reflection: bool,
}

struct Seat {
    brief: Vec<u8>,
    /// The strategy's memory: questions it answered.
    n: u64,
    seed: u64,
    last_seq: u64,
    last_answer: Option<v2::Answer>,
}

#[derive(Clone)]
struct Raw {
    faults: Arc<Faults>,
    seats: Arc<Mutex<HashMap<(String, String), Seat>>>,
    shared: Arc<AtomicU64>,
}

fn answer(env: &v2::Envelope, body: A) -> v2::Answer {
    v2::Answer {
        match_id: env.match_id.clone(),
        state: env.state.clone(),
        seq: env.seq,
        body: Some(body),
    }
}

fn refuse(env: &v2::Envelope, code: Code, message: impl Into<String>) -> Option<v2::Answer> {
    Some(answer(
        env,
        A::Refusal(v2::Refusal {
            code: code as i32,
            message: message.into(),
        }),
    ))
}

impl Raw {
    /// The strategy: a pure function of the seat's seed and memory (or of a counter
    /// shared by every seat, when told to be nondeterministic).
    fn decide(&self, seat: &mut Seat, body: &Body) -> A {
        let n = if self.faults.shared_memory {
            self.shared.fetch_add(1, Ordering::Relaxed)
        } else {
            seat.n
        };
        seat.n += 1;
        let k = seat.seed.wrapping_add(n);
        match body {
            Body::Position(q) => {
                let item = q.context.as_ref().map_or(0, |c| c.item);
                A::Position(v2::PositionAnswer {
                    position: if self.faults.nan {
                        f64::NAN
                    } else {
                        (k % 101) as f64
                    },
                    salience: 0.5,
                    link: (k % 2 == 0).then_some((item + 1) % 4),
                    offer: (k % 5 == 0).then_some(v2::Offer {
                        item: (item + 2) % 4,
                        target: (k % 89) as f64,
                        tolerance: 2.5,
                    }),
                    invoke: None,
                })
            }
            Body::Vote(_) => A::Vote(v2::VoteAnswer {
                vote: (k % 3) as i32 + 1,
            }),
            _ => A::Stance(v2::StanceAnswer {
                stance: (k % 2) as i32 + 1,
            }),
        }
    }

    /// Handles one envelope; returns the answer of a question.
    fn handle(&self, env: &v2::Envelope) -> Option<v2::Answer> {
        let f = &self.faults;
        let question = matches!(
            env.body,
            None | Some(Body::Open(_) | Body::Position(_) | Body::Vote(_) | Body::SessionEnd(_))
        );
        if let Err(e) = limits::check_match_id("match_id", &env.match_id)
            .and_then(|_| limits::check_state("state", &env.state))
        {
            return question
                .then(|| refuse(env, Code::InvalidArgument, e))
                .flatten();
        }
        let Some(body) = &env.body else {
            return refuse(env, Code::InvalidArgument, "field `body` is missing");
        };
        let key = (env.match_id.clone(), env.state.clone());
        let mut seats = self.seats.lock().unwrap();
        let not_found = f.not_found_code.unwrap_or(Code::NotFound);
        match body {
            Body::Open(b) => {
                let bytes = b.encode_to_vec();
                if let Err(e) = SeatBrief::try_from(b.clone()) {
                    return refuse(env, Code::InvalidArgument, e.to_string());
                }
                if b.match_id != env.match_id || b.state != env.state {
                    return refuse(env, Code::InvalidArgument, "brief ids differ");
                }
                let opened = answer(
                    env,
                    A::Opened(v2::Opened {
                        strategy: "raw".into(),
                    }),
                );
                if let Some(seat) = seats.get_mut(&key) {
                    if seat.brief != bytes {
                        return refuse(env, Code::AlreadyExists, "open with a different brief");
                    }
                    if f.reset_on_replayed_open {
                        seat.n = 0;
                    }
                    return Some(opened);
                }
                seats.insert(
                    key,
                    Seat {
                        brief: bytes,
                        n: 0,
                        seed: b.seed,
                        last_seq: env.seq,
                        last_answer: Some(opened.clone()),
                    },
                );
                Some(opened)
            }
            Body::Close(_) => {
                seats.remove(&key);
                None
            }
            Body::Outcome(_) => {
                let seat = seats.get_mut(&key)?;
                if env.seq <= seat.last_seq {
                    return None;
                }
                seat.last_seq = env.seq;
                f.answer_outcomes
                    .then(|| answer(env, A::Vote(v2::VoteAnswer { vote: 1 })))
            }
            q => {
                let Some(seat) = seats.get_mut(&key) else {
                    return refuse(env, not_found, "no such seat");
                };
                if env.seq <= seat.last_seq {
                    let cached = seat.last_answer.clone().filter(|a| a.seq == env.seq);
                    return match cached {
                        Some(_) if f.reask_on_replay => Some(answer(env, self.decide(seat, q))),
                        Some(a) => Some(a),
                        None => refuse(env, Code::OutOfRange, "older seq"),
                    };
                }
                // From here on the seat records what it answers, refusals included.
                seat.last_seq = env.seq;
                let phase = match q {
                    Body::Position(p) => {
                        convert::position_question(p.clone()).map(|(c, _)| Some(c.phase))
                    }
                    Body::Vote(v) => convert::vote_question(v.clone()).map(|(c, _)| Some(c.phase)),
                    Body::SessionEnd(s) => convert::session_end_question(s.clone()).map(|_| None),
                    _ => unreachable!("notices and opens are handled above"),
                };
                let wrong = |p: &Result<Option<Phase>, _>| match (q, p) {
                    (Body::Position(_), Ok(Some(p))) => *p != Phase::Positions,
                    (Body::Vote(_), Ok(Some(p))) => *p == Phase::Positions,
                    _ => false,
                };
                let a = match phase {
                    Err(e) => refuse(env, Code::InvalidArgument, e.to_string()),
                    p if wrong(&p) => refuse(
                        env,
                        f.phase_code.unwrap_or(Code::FailedPrecondition),
                        "wrong phase",
                    ),
                    _ => {
                        if let (Some(state), Body::Position(p)) = (f.silent_positions_of, q)
                            && state == env.state
                            && p.context.as_ref().is_some_and(|c| c.session == 1)
                        {
                            return None;
                        }
                        Some(answer(env, self.decide(seat, q)))
                    }
                };
                seat.last_answer = a.clone();
                a
            }
        }
    }

    async fn serve_stream(
        self,
        mut inbound: Streaming<v2::ChairFrame>,
        out: mpsc::Sender<Result<v2::DelegationFrame, Status>>,
    ) {
        let f = Arc::clone(&self.faults);
        if f.hang {
            // Hold the stream open, say nothing.
            while let Ok(Some(_)) = inbound.message().await {}
            return;
        }
        let fail = |s: Status| {
            let out = out.clone();
            async move {
                let _ = out.send(Err(s)).await;
            }
        };
        match inbound.message().await {
            Ok(Some(v2::ChairFrame {
                frame: Some(v2::chair_frame::Frame::Hello(h)),
            })) => {
                if !f.any_version && !h.versions.contains(&2) {
                    return fail(Status::failed_precondition("no common version")).await;
                }
                let hello = v2::DelegationHello {
                    version: h
                        .versions
                        .first()
                        .copied()
                        .filter(|_| f.any_version)
                        .unwrap_or(2),
                    agent: "raw-test-delegation".into(),
                };
                let frame = v2::delegation_frame::Frame::Hello(hello);
                if out
                    .send(Ok(v2::DelegationFrame { frame: Some(frame) }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(Some(_)) => return fail(Status::failed_precondition("hello first")).await,
            _ => return,
        }
        loop {
            let frame = match inbound.message().await {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(s) if s.code() == Code::OutOfRange && !f.ok_on_oversize => {
                    // tonic's decoder reports an oversized frame as OUT_OF_RANGE.
                    return fail(Status::resource_exhausted(s.message().to_string())).await;
                }
                Err(_) => return,
            };
            let batch = match frame.frame {
                Some(v2::chair_frame::Frame::Batch(b)) => b,
                _ => return fail(Status::failed_precondition("one hello, first")).await,
            };
            if batch.messages.len() > limits::MAX_BATCH {
                return fail(Status::resource_exhausted("too many envelopes")).await;
            }
            let answers: Vec<v2::Answer> = batch
                .messages
                .iter()
                .filter_map(|e| self.handle(e))
                .collect();
            if !answers.is_empty() {
                let frame = v2::delegation_frame::Frame::Answers(v2::Answers { answers });
                if out
                    .send(Ok(v2::DelegationFrame { frame: Some(frame) }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

type PlayStream = Pin<Box<dyn Stream<Item = Result<v2::DelegationFrame, Status>> + Send>>;

#[tonic::async_trait]
impl Delegation for Raw {
    type PlayStream = PlayStream;

    async fn play(
        &self,
        request: Request<Streaming<v2::ChairFrame>>,
    ) -> Result<Response<Self::PlayStream>, Status> {
        if let Some(t) = &self.faults.token
            && !self.faults.token_ignored
        {
            let given = request.metadata().get(plenary_proto::TOKEN_METADATA);
            if given.is_none_or(|g| g.as_bytes() != t.as_bytes()) {
                return Err(Status::unauthenticated("token"));
            }
        }
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(self.clone().serve_stream(request.into_inner(), tx));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// A raw endpoint on an ephemeral port; stops when dropped.
struct Endpoint {
    url: String,
    _stop: oneshot::Sender<()>,
}

async fn start(faults: Faults) -> Endpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let no_reflection = faults.no_reflection;
    let raw = Raw {
        faults: Arc::new(faults),
        seats: Arc::default(),
        shared: Arc::default(),
    };
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(
            plenary_proto::DELEGATION_SERVICE,
            tonic_health::ServingStatus::Serving,
        )
        .await;
    let reflection = |v1: bool| {
        let b = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(plenary_proto::FILE_DESCRIPTOR_SET);
        (v1, b)
    };
    let mut router = tonic::transport::Server::builder()
        .add_service(health)
        .add_service(
            DelegationServer::new(raw)
                .max_decoding_message_size(limits::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(limits::MAX_MESSAGE_BYTES),
        );
    if !no_reflection {
        let (_, b) = reflection(true);
        router = router.add_service(b.build_v1().unwrap());
        let (_, b) = reflection(false);
        router = router.add_service(b.build_v1alpha().unwrap());
    }
    tokio::spawn(router.serve_with_incoming_shutdown(
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        async {
            let _ = stopped.await;
        },
    ));
    Endpoint { url, _stop: stop }
}

async fn suite(faults: Faults, token: Option<&str>) -> Report {
    let endpoint = start(faults).await;
    let opts = Options {
        timeout: TIMEOUT,
        token: token.map(str::to_string),
        ..Options::default()
    };
    tokio::time::timeout(RUN_LIMIT, plenary_conformance::check(&endpoint.url, opts))
        .await
        .expect("a conformance run is bounded")
}

fn failed(r: &Report) -> Vec<&'static str> {
    r.failed()
}

fn reason<'r>(r: &'r Report, check: &str) -> &'r str {
    &r.get(check).unwrap().reason
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_raw_endpoint_passes_every_check() {
    let r = suite(Faults::default(), None).await;
    assert!(r.passed(), "{r}");
    assert_eq!(r.checks.len(), CHECKS.len());
    for c in &r.checks {
        let expected = if c.name == "token" {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(c.verdict, expected, "{r}");
    }
    assert!(reason(&r, "open-seat").contains("\"raw\""), "{r}");
    assert!(reason(&r, "token").contains("no token given"), "{r}");
    // With its token.
    let t = Faults {
        token: Some("tok-3f9c".into()),
        ..Faults::default()
    };
    let r = suite(t, Some("tok-3f9c")).await;
    assert!(r.passed(), "{r}");
    assert_eq!(r.get("token").unwrap().verdict, Verdict::Pass, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_checks() {
    let cases: Vec<(&str, Faults, &[&str])> = vec![
        (
            "NaN positions",
            Faults {
                nan: true,
                ..Faults::default()
            },
            &["position"],
        ),
        (
            "wrong code for a question in the wrong phase",
            Faults {
                phase_code: Some(Code::InvalidArgument),
                ..Faults::default()
            },
            &["wrong-phase"],
        ),
        (
            "wrong code for a seat that is not open",
            Faults {
                not_found_code: Some(Code::FailedPrecondition),
                ..Faults::default()
            },
            &["unknown-seat", "close"],
        ),
        (
            "answers outcome notices",
            Faults {
                answer_outcomes: true,
                ..Faults::default()
            },
            &["outcome"],
        ),
        (
            "a replayed open resets the strategy",
            Faults {
                reset_on_replayed_open: true,
                ..Faults::default()
            },
            &["replay-open"],
        ),
        (
            "a replayed question is asked again",
            Faults {
                reask_on_replay: true,
                ..Faults::default()
            },
            &["replay"],
        ),
        (
            "memory shared between seats",
            Faults {
                shared_memory: true,
                ..Faults::default()
            },
            &["determinism"],
        ),
        (
            "any contract version accepted",
            Faults {
                any_version: true,
                ..Faults::default()
            },
            &["hello"],
        ),
        (
            "an oversized frame ends with OK",
            Faults {
                ok_on_oversize: true,
                ..Faults::default()
            },
            &["stream-limits"],
        ),
        (
            "no reflection (advisory)",
            Faults {
                no_reflection: true,
                ..Faults::default()
            },
            &["reflection"],
        ),
    ];
    let mut reports = HashMap::new();
    for (what, faults, expected) in cases {
        let r = suite(faults, None).await;
        assert_eq!(failed(&r), expected, "{what}:\n{r}");
        reports.insert(what, r);
    }
    let r = |what: &str, check: &str| reason(&reports[what], check).to_string();
    let nan = r("NaN positions", "position");
    assert!(
        nan.contains("`position` is NaN: it must be a finite number in 0..=100")
            && nan.contains("seq 2"),
        "{nan}"
    );
    let phase = r(
        "wrong code for a question in the wrong phase",
        "wrong-phase",
    );
    assert!(
        phase.contains("vote in phase POSITIONS")
            && phase
                .contains("refused with INVALID_ARGUMENT (3) instead of FAILED_PRECONDITION (9)"),
        "{phase}"
    );
    let nf = r("wrong code for a seat that is not open", "unknown-seat");
    assert!(nf.contains("instead of NOT_FOUND (5)"), "{nf}");
    let outcome = r("answers outcome notices", "outcome");
    assert!(outcome.contains("notices are never answered"), "{outcome}");
    let reopen = r("a replayed open resets the strategy", "replay-open");
    assert!(
        reopen.contains("after the replayed open") && reopen.contains("must keep the seat"),
        "{reopen}"
    );
    let replay = r("a replayed question is asked again", "replay");
    assert!(
        replay.contains("where the first time it answered"),
        "{replay}"
    );
    let det = r("memory shared between seats", "determinism");
    assert!(det.contains("where match"), "{det}");
    // Without determinism the replay comparisons are left out, not failed.
    assert!(
        r("memory shared between seats", "replay").contains("not deterministic"),
        "{}",
        reports["memory shared between seats"]
    );
    let hello = r("any contract version accepted", "hello");
    assert!(hello.contains("offered only [99]"), "{hello}");
    let limits = r("an oversized frame ends with OK", "stream-limits");
    assert!(
        limits.contains(
            "a frame over 16 MiB: the stream ended with status OK instead of RESOURCE_EXHAUSTED"
        ),
        "{limits}"
    );
    // An advisory failure warns; the endpoint still conforms.
    assert!(reports["no reflection (advisory)"].passed());
    assert!(
        reports["no reflection (advisory)"]
            .to_string()
            .contains("WARN  reflection"),
        "{}",
        reports["no reflection (advisory)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_seat_fails_its_answers_and_the_deadline_only() {
    let r = suite(
        Faults {
            silent_positions_of: Some("RUS"),
            ..Faults::default()
        },
        None,
    )
    .await;
    assert_eq!(failed(&r), ["batched", "position", "deadline"], "{r}");
    let p = reason(&r, "position");
    assert!(
        p.contains("RUS in match") && p.contains("session 1") && p.contains("no answer"),
        "{p}"
    );
    assert!(reason(&r, "deadline").contains("RUS in match"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_checks() {
    // An endpoint that does not enforce its token fails `token` only.
    let lax = Faults {
        token: Some("T0k".into()),
        token_ignored: true,
        ..Faults::default()
    };
    let r = suite(lax, Some("T0k")).await;
    assert_eq!(failed(&r), ["token"], "{r}");
    assert!(
        reason(&r, "token").contains(
            "without x-plenary-token was accepted instead of ending with UNAUTHENTICATED"
        ),
        "{r}"
    );
    // Checked without its token, an endpoint that requires one: the reason says so.
    let strict = Faults {
        token: Some("T0k".into()),
        ..Faults::default()
    };
    let r = suite(strict, None).await;
    assert!(!r.passed());
    assert_eq!(r.get("token").unwrap().verdict, Verdict::Skip, "{r}");
    assert!(reason(&r, "hello").contains("requires a token"), "{r}");
    // A token that cannot travel as metadata is a failed check, not a crash.
    let r = suite(Faults::default(), Some("has space")).await;
    assert_eq!(r.get("token").unwrap().verdict, Verdict::Fail, "{r}");
    assert!(
        !reason(&r, "token").contains("has space"),
        "the token is never printed: {r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_fails_instead_of_stalling() {
    let endpoint = start(Faults {
        hang: true,
        ..Faults::default()
    })
    .await;
    let opts = Options {
        // A hang is unambiguous: a short timeout keeps the test short.
        timeout: Duration::from_millis(500),
        ..Options::default()
    };
    let r = tokio::time::timeout(RUN_LIMIT, plenary_conformance::check(&endpoint.url, opts))
        .await
        .expect("bounded");
    let passed: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.verdict != Verdict::Fail)
        .map(|c| c.name)
        .collect();
    // Health and reflection are other services; everything on Play fails.
    assert_eq!(passed, ["connect", "health", "token", "reflection"], "{r}");
    assert!(reason(&r, "hello").contains("nothing within 500 ms"), "{r}");
    assert!(
        reason(&r, "position").contains("not run: no Play stream could be opened"),
        "{r}"
    );
}
