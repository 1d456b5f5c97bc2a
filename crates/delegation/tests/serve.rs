//! The Rust SDK over real gRPC: it passes the whole conformance suite in-process, and
//! the behaviour only the SDK defines (seat limits, idle eviction, restricted States,
//! tokens, replayed opens, slow seats, strategies that panic) holds.

use plenary_conformance::{CHECKS, Options, Report, Verdict};
use plenary_core::strategy::{
    ItemOutcome, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance,
    Strategy, Vote,
};
use plenary_delegation::{DelegationService, ServeConfig};
use plenary_proto::v2;
use plenary_proto::v2::answer::Body as A;
use plenary_proto::v2::envelope::Body;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tonic::Code;

/// Generous for an honest party on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound of any one wait in these tests.
const LIMIT: Duration = Duration::from_secs(120);

/// A strategy with memory: every answer depends on the seat's seed and on everything
/// it was told before, so a reset or a repeated question shows in its later answers.
struct Tally {
    seed: u64,
    heard: u64,
}

impl Tally {
    fn tick(&mut self) -> u64 {
        self.heard += 1;
        self.seed.wrapping_add(self.heard * 7)
    }
}

impl Strategy for Tally {
    fn name(&self) -> &str {
        "tally"
    }
    fn position(&mut self, ctx: &RoundContext, _: &SeatView) -> PositionAnswer {
        let k = self.tick();
        PositionAnswer {
            position: (k % 101) as f64,
            salience: (k % 11) as f64 / 10.0,
            link: (k % 3 == 0).then_some((ctx.item + 1) % 4),
            // Offers ride the wire too: determinism and replay must cover them.
            offer: (k % 5 == 0).then_some(plenary_core::strategy::Offer {
                item: (ctx.item + 2) % 4,
                target: (k % 97) as f64,
                tolerance: 5.0,
            }),
            invoke: None,
        }
    }
    fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
        [Vote::Yes, Vote::No, Vote::Abstain][(self.tick() % 3) as usize]
    }
    fn outcome(&mut self, _: &ItemOutcome) {
        self.tick();
    }
    fn session_end(&mut self, _: &SessionSummary, _: &SeatView) -> Stance {
        [Stance::Stay, Stance::Withhold][(self.tick() % 2) as usize]
    }
}

fn tally(b: &SeatBrief) -> Box<dyn Strategy> {
    Box::new(Tally {
        seed: b.seed,
        heard: 0,
    })
}

/// A served SDK endpoint on an ephemeral port; stops when dropped.
struct Served {
    url: String,
    _stop: oneshot::Sender<()>,
}

async fn serve<F: plenary_delegation::StrategyFactory + 'static>(
    service: DelegationService<F>,
) -> Served {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(plenary_delegation::serve_service(
        service,
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    plenary_test_support::wait_healthy(addr, plenary_delegation::SERVICE_NAME, LIMIT)
        .await
        .unwrap();
    Served {
        url: format!("http://{addr}"),
        _stop: stop,
    }
}

async fn suite(url: &str, states: &[&str], token: Option<&str>) -> Report {
    let opts = Options {
        timeout: TIMEOUT,
        states: states.iter().map(|s| s.to_string()).collect(),
        token: token.map(str::to_string),
    };
    tokio::time::timeout(LIMIT * 2, plenary_conformance::check(url, opts))
        .await
        .expect("a conformance run is bounded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_passes_the_whole_conformance_suite() {
    let served = serve(DelegationService::new(tally)).await;
    let r = suite(&served.url, &["FRA", "RUS", "USA"], None).await;
    assert!(r.passed(), "{r}");
    assert_eq!(r.checks.len(), CHECKS.len());
    for c in &r.checks {
        let due = if c.name == "token" {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(c.verdict, due, "{r}");
    }
    assert!(
        r.get("open-seat").unwrap().reason.contains("\"tally\""),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_sdk_passes_with_its_state_and_token() {
    let config = ServeConfig {
        only_state: Some("RUS".into()),
        token: Some("tok-3f9c0a".into()),
        ..ServeConfig::default()
    };
    let served = serve(DelegationService::with_config(tally, config)).await;
    let r = suite(&served.url, &["RUS"], Some("tok-3f9c0a")).await;
    assert!(r.passed(), "{r}");
    assert!(r.checks.iter().all(|c| c.verdict == Verdict::Pass), "{r}");
}

/// The chair's side of one Play stream, for the SDK-specific tests.
struct Chair {
    tx: mpsc::Sender<v2::ChairFrame>,
    rx: tonic::Streaming<v2::DelegationFrame>,
    answers: HashMap<(String, String, u64), v2::Answer>,
}

fn envelope(match_id: &str, state: &str, seq: u64, body: Body) -> v2::Envelope {
    v2::Envelope {
        match_id: match_id.into(),
        state: state.into(),
        seq,
        deadline_ms: 10_000,
        body: Some(body),
    }
}

fn brief(match_id: &str, state: &str, seed: u64) -> Body {
    let item = |index: u32| v2::ItemInfo {
        index,
        id: format!("i{index}"),
        dimension: v2::Dimension::Human as i32,
        kind: v2::ItemKind::Declaration as i32,
        status_quo: Some(50.0),
        reversion: Some(50.0),
        in_scope: true,
        binding: true,
        ..Default::default()
    };
    Body::Open(v2::SeatBrief {
        match_id: match_id.into(),
        state: state.into(),
        seed,
        items: (0..4).map(item).collect(),
        preferences: vec![v2::Preference::default(); 4],
        rules: Some(v2::PublicRules {
            design: "d".into(),
            sessions: 1,
            max_rounds: 2,
            mediation: v2::Mediation::Nash as i32,
            linkage: v2::Linkage::Any as i32,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn position() -> Body {
    Body::Position(v2::PositionQuestion {
        context: Some(v2::RoundContext {
            phase: v2::Phase::Positions as i32,
            ..Default::default()
        }),
        view: Some(v2::SeatView::default()),
    })
}

fn close() -> Body {
    Body::Close(v2::CloseSeat {})
}

impl Chair {
    /// Opens a stream (with `token` as metadata, if any) and completes the hello.
    async fn open(url: &str, token: Option<&str>) -> Result<Chair, tonic::Status> {
        let mut client = v2::delegation_client::DelegationClient::connect(url.to_string())
            .await
            .unwrap();
        let (tx, frames) = mpsc::channel(16);
        tx.send(v2::ChairFrame {
            frame: Some(v2::chair_frame::Frame::Hello(v2::ChairHello {
                versions: vec![2],
                chair_id: "test".into(),
            })),
        })
        .await
        .unwrap();
        let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(frames));
        if let Some(t) = token {
            req.metadata_mut()
                .insert(plenary_delegation::TOKEN_METADATA, t.parse().unwrap());
        }
        let mut rx = client.play(req).await?.into_inner();
        match tokio::time::timeout(LIMIT, rx.message()).await.unwrap()? {
            Some(v2::DelegationFrame {
                frame: Some(v2::delegation_frame::Frame::Hello(h)),
            }) => assert_eq!(h.version, 2),
            other => panic!("expected a hello, got {other:?}"),
        }
        Ok(Chair {
            tx,
            rx,
            answers: HashMap::new(),
        })
    }

    async fn send(&self, messages: Vec<v2::Envelope>) {
        let frame = v2::chair_frame::Frame::Batch(v2::Batch { messages });
        self.tx
            .send(v2::ChairFrame { frame: Some(frame) })
            .await
            .unwrap();
    }

    /// Waits for the answer to (match, state, seq).
    async fn answer(&mut self, match_id: &str, state: &str, seq: u64) -> v2::Answer {
        let key = (match_id.to_string(), state.to_string(), seq);
        loop {
            if let Some(a) = self.answers.remove(&key) {
                return a;
            }
            let frame = tokio::time::timeout(LIMIT, self.rx.message())
                .await
                .unwrap_or_else(|_| panic!("no answer for {key:?}"))
                .unwrap()
                .unwrap_or_else(|| panic!("the stream ended before the answer for {key:?}"));
            let Some(v2::delegation_frame::Frame::Answers(a)) = frame.frame else {
                panic!("not an Answers frame: {frame:?}");
            };
            for a in a.answers {
                self.answers
                    .insert((a.match_id.clone(), a.state.clone(), a.seq), a);
            }
        }
    }

    /// Sends `messages` and returns the answer to the last one.
    async fn ask(&mut self, messages: Vec<v2::Envelope>) -> v2::Answer {
        let last = messages.last().unwrap().clone();
        self.send(messages).await;
        self.answer(&last.match_id, &last.state, last.seq).await
    }
}

fn refusal_code(a: &v2::Answer) -> Option<Code> {
    match &a.body {
        Some(A::Refusal(r)) => Some(Code::from_i32(r.code)),
        _ => None,
    }
}

fn position_of(a: &v2::Answer) -> f64 {
    match &a.body {
        Some(A::Position(p)) => p.position,
        other => panic!("not a position: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_beyond_the_seat_limit_is_refused_with_resource_exhausted() {
    let config = ServeConfig {
        max_seats: 2,
        ..ServeConfig::default()
    };
    let served = serve(DelegationService::with_config(tally, config)).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    chair
        .send(vec![
            envelope("m", "AUT", 1, brief("m", "AUT", 1)),
            envelope("m", "BEL", 1, brief("m", "BEL", 2)),
            envelope("m", "CAN", 1, brief("m", "CAN", 3)),
        ])
        .await;
    for s in ["AUT", "BEL"] {
        let a = chair.answer("m", s, 1).await;
        assert!(matches!(a.body, Some(A::Opened(_))), "{a:?}");
    }
    let third = chair.answer("m", "CAN", 1).await;
    assert_eq!(
        refusal_code(&third),
        Some(Code::ResourceExhausted),
        "{third:?}"
    );
    // The seats within the limit play on.
    let a = chair.ask(vec![envelope("m", "BEL", 2, position())]).await;
    assert!(matches!(a.body, Some(A::Position(_))), "{a:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_seats_are_evicted_and_busy_ones_kept() {
    // A seat idle for longer than `seat_idle` is dropped by eviction...
    let short = DelegationService::with_config(
        tally,
        ServeConfig {
            seat_idle: Duration::from_millis(1),
            ..ServeConfig::default()
        },
    );
    let served = serve(short.clone()).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    let a = chair
        .ask(vec![envelope("m", "AUT", 1, brief("m", "AUT", 1))])
        .await;
    assert!(matches!(a.body, Some(A::Opened(_))), "{a:?}");
    let give_up = tokio::time::Instant::now() + LIMIT;
    while short.open_seats() > 0 {
        short.evict_idle();
        assert!(tokio::time::Instant::now() < give_up, "never evicted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let gone = chair.ask(vec![envelope("m", "AUT", 2, position())]).await;
    assert_eq!(refusal_code(&gone), Some(Code::NotFound), "{gone:?}");

    // ...and one heard from within `seat_idle` is not.
    let long = DelegationService::with_config(tally, ServeConfig::default());
    let served = serve(long.clone()).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    chair
        .ask(vec![envelope("m", "AUT", 1, brief("m", "AUT", 1))])
        .await;
    assert_eq!(long.evict_idle(), 0);
    assert_eq!(long.open_seats(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegation_for_one_state_refuses_others_with_permission_denied() {
    let config = ServeConfig {
        only_state: Some("RUS".into()),
        ..ServeConfig::default()
    };
    let served = serve(DelegationService::with_config(tally, config)).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    let usa = chair
        .ask(vec![envelope("m", "USA", 1, brief("m", "USA", 1))])
        .await;
    assert_eq!(refusal_code(&usa), Some(Code::PermissionDenied), "{usa:?}");
    let Some(A::Refusal(r)) = &usa.body else {
        unreachable!()
    };
    assert!(
        r.message.contains("RUS") && r.message.contains("USA"),
        "{r:?}"
    );
    let q = chair.ask(vec![envelope("m", "USA", 2, position())]).await;
    assert_eq!(refusal_code(&q), Some(Code::PermissionDenied), "{q:?}");
    let rus = chair
        .ask(vec![envelope("m", "RUS", 1, brief("m", "RUS", 1))])
        .await;
    assert!(matches!(rus.body, Some(A::Opened(_))), "{rus:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_without_the_token_are_unauthenticated_and_health_stays_open() {
    let config = ServeConfig {
        token: Some("T0k".into()),
        ..ServeConfig::default()
    };
    // `serve` waits for health without any token: health is open.
    let served = serve(DelegationService::with_config(tally, config)).await;
    for token in [None, Some("t0k"), Some("T0k-")] {
        let e = Chair::open(&served.url, token).await.err().unwrap();
        assert_eq!(e.code(), Code::Unauthenticated, "{token:?}: {e:?}");
    }
    let mut chair = Chair::open(&served.url, Some("T0k")).await.unwrap();
    let a = chair
        .ask(vec![envelope("m", "RUS", 1, brief("m", "RUS", 1))])
        .await;
    assert!(matches!(a.body, Some(A::Opened(_))), "{a:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_open_never_resets_a_strategy() {
    let served = serve(DelegationService::new(tally)).await;
    // Two seats with the same brief but their match id: one is replayed, one not.
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    let open = |m: &str| envelope(m, "RUS", 1, brief("m", "RUS", 9));
    let mut open_b = open("b");
    if let Some(Body::Open(b)) = &mut open_b.body {
        b.match_id = "b".into();
    }
    let mut open_a = open("a");
    if let Some(Body::Open(b)) = &mut open_a.body {
        b.match_id = "a".into();
    }
    chair.send(vec![open_a.clone(), open_b]).await;
    chair.answer("a", "RUS", 1).await;
    chair.answer("b", "RUS", 1).await;
    for m in ["a", "b"] {
        chair.ask(vec![envelope(m, "RUS", 2, position())]).await;
    }
    // The open again, on the same stream and on a new one: `opened`, seat untouched.
    let again = chair.ask(vec![open_a.clone()]).await;
    assert!(matches!(again.body, Some(A::Opened(_))), "{again:?}");
    drop(chair);
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    let again = chair.ask(vec![open_a]).await;
    assert!(matches!(again.body, Some(A::Opened(_))), "{again:?}");
    let a = chair.ask(vec![envelope("a", "RUS", 3, position())]).await;
    let b = chair.ask(vec![envelope("b", "RUS", 3, position())]).await;
    assert_eq!(
        position_of(&a).to_bits(),
        position_of(&b).to_bits(),
        "the replayed seat answers as the untouched one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_seat_does_not_hold_back_the_answers_of_other_seats() {
    // SLOW's strategy blocks in `position` until the test lets it go.
    let gate: Arc<Mutex<Option<std::sync::mpsc::Receiver<()>>>> = Arc::default();
    let (release, held) = std::sync::mpsc::channel::<()>();
    *gate.lock().unwrap() = Some(held);
    struct Slow {
        gate: Arc<Mutex<Option<std::sync::mpsc::Receiver<()>>>>,
    }
    impl Strategy for Slow {
        fn name(&self) -> &str {
            "slow"
        }
        fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
            if let Some(rx) = self.gate.lock().unwrap().take() {
                let _ = rx.recv_timeout(LIMIT);
            }
            PositionAnswer {
                position: 1.0,
                salience: 1.0,
                link: None,
                ..Default::default()
            }
        }
        fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
            Vote::Yes
        }
    }
    let factory = move |b: &SeatBrief| -> Box<dyn Strategy> {
        if b.state == "SLOW" {
            Box::new(Slow {
                gate: Arc::clone(&gate),
            })
        } else {
            tally(b)
        }
    };
    let served = serve(DelegationService::new(factory)).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    chair
        .send(vec![
            envelope("m", "SLOW", 1, brief("m", "SLOW", 1)),
            envelope("m", "FAST", 1, brief("m", "FAST", 2)),
        ])
        .await;
    chair.answer("m", "SLOW", 1).await;
    chair.answer("m", "FAST", 1).await;
    // One frame asks both; FAST's answer comes while SLOW is still blocked.
    chair
        .send(vec![
            envelope("m", "SLOW", 2, position()),
            envelope("m", "FAST", 2, position()),
        ])
        .await;
    let fast = chair.answer("m", "FAST", 2).await;
    assert!(matches!(fast.body, Some(A::Position(_))), "{fast:?}");
    assert!(
        !chair.answers.contains_key(&("m".into(), "SLOW".into(), 2)),
        "SLOW cannot have answered: it is blocked"
    );
    release.send(()).unwrap();
    let slow = chair.answer("m", "SLOW", 2).await;
    assert!(matches!(slow.body, Some(A::Position(_))), "{slow:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_closed_and_reopened_in_one_frame_starts_afresh() {
    let served = serve(DelegationService::new(tally)).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    let first = chair
        .ask(vec![
            envelope("m", "RUS", 1, brief("m", "RUS", 5)),
            envelope("m", "RUS", 2, position()),
        ])
        .await;
    // Close and open again in one frame: the seat's queue still holds the close when
    // the open arrives, so the SDK reuses its slot. The new seat numbers from 1 again.
    let again = chair
        .ask(vec![
            envelope("m", "RUS", 3, close()),
            envelope("m", "RUS", 1, brief("m", "RUS", 5)),
            envelope("m", "RUS", 2, position()),
        ])
        .await;
    assert!(matches!(again.body, Some(A::Position(_))), "{again:?}");
    assert_eq!(
        position_of(&again).to_bits(),
        position_of(&first).to_bits(),
        "a fresh seat answers as the first one did"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_that_panics_is_refused_with_internal_and_the_others_play_on() {
    struct Panics;
    impl Strategy for Panics {
        fn name(&self) -> &str {
            "panics"
        }
        fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
            panic!("a strategy bug");
        }
        fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
            Vote::Yes
        }
    }
    let factory = |b: &SeatBrief| -> Box<dyn Strategy> {
        if b.state == "BAD" {
            Box::new(Panics)
        } else {
            tally(b)
        }
    };
    let served = serve(DelegationService::new(factory)).await;
    let mut chair = Chair::open(&served.url, None).await.unwrap();
    chair
        .send(vec![
            envelope("m", "BAD", 1, brief("m", "BAD", 1)),
            envelope("m", "OK", 1, brief("m", "OK", 2)),
        ])
        .await;
    chair.answer("m", "BAD", 1).await;
    chair.answer("m", "OK", 1).await;
    for seq in [2, 3] {
        chair
            .send(vec![
                envelope("m", "BAD", seq, position()),
                envelope("m", "OK", seq, position()),
            ])
            .await;
        let bad = chair.answer("m", "BAD", seq).await;
        assert_eq!(refusal_code(&bad), Some(Code::Internal), "{bad:?}");
        let ok = chair.answer("m", "OK", seq).await;
        assert!(matches!(ok.body, Some(A::Position(_))), "{ok:?}");
    }
}
