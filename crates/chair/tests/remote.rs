//! The remote driver and the secretariat against in-process delegation servers (real
//! gRPC over loopback, port 0).

use plenary_chair::{
    CallConfig, ChairConfig, Directory, SeatEndpoint, Tokens, run_remote, run_remote_with,
};
use plenary_core::metrics::MatchResult;
use plenary_core::strategy::{
    Fault, PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote,
};
use plenary_core::{Match, MatchSetup};
use plenary_proto::v1;
use plenary_proto::v1::secretariat_client::SecretariatClient;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Sincere test strategy: states its ideal, accepts what is within its red line.
struct Sincere {
    brief: SeatBrief,
    nan_positions: bool,
}

impl Strategy for Sincere {
    fn name(&self) -> &str {
        "sincere"
    }
    fn position(&mut self, ctx: &RoundContext, _: &SeatView) -> PositionAnswer {
        let p = self.brief.preferences[ctx.item as usize];
        if self.nan_positions {
            return PositionAnswer {
                position: f64::NAN,
                salience: p.salience,
                link: None,
                ..Default::default()
            };
        }
        PositionAnswer {
            position: p.ideal,
            salience: p.salience,
            link: None,
            ..Default::default()
        }
    }
    fn vote(&mut self, ctx: &RoundContext, _: &SeatView) -> Vote {
        match (ctx.proposal, self.brief.preferences.get(ctx.item as usize)) {
            (Some(x), Some(p)) if (x - p.ideal).abs() > p.red_line => Vote::No,
            _ => Vote::Yes,
        }
    }
}

fn sincere(brief: &SeatBrief) -> Box<dyn Strategy> {
    Box::new(Sincere {
        brief: brief.clone(),
        nan_positions: false,
    })
}

fn new_match(seed: u64) -> Match {
    let scenario = Arc::new(plenary_scenarios::scenario("csce-1975").unwrap());
    let design = Arc::new(plenary_scenarios::design("csce-1975").unwrap());
    let n = scenario.states.len();
    Match::new(
        scenario,
        design,
        MatchSetup {
            match_id: format!("test:{seed}"),
            seed,
            strategies: vec!["sincere".into(); n],
        },
    )
}

struct Server {
    url: String,
    addr: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn serve(factory: impl plenary_delegation::StrategyFactory + 'static) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        plenary_delegation::serve(factory, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        url: format!("http://{addr}"),
        addr,
        _stop: stop,
    }
}

fn json(r: &MatchResult) -> String {
    serde_json::to_string_pretty(r).unwrap()
}

fn cfg() -> CallConfig {
    CallConfig {
        timeout: Duration::from_secs(10),
        ..CallConfig::default()
    }
}

#[tokio::test]
async fn remote_run_equals_in_process_run_with_one_shared_endpoint() {
    plenary_test_support::trace_init();
    let server = serve(sincere).await;
    let m = new_match(7);
    let seats = m
        .scenario()
        .states
        .iter()
        .map(|s| SeatEndpoint {
            state: s.id.clone(),
            endpoint: server.url.clone(),
            token: None,
        })
        .collect();
    let remote = run_remote(m, seats, cfg()).await;
    let local = plenary_core::run_in_process(new_match(7), &mut |b| sincere(b));
    assert!(remote.complete);
    assert!(remote.violations.is_empty(), "{:?}", remote.violations);
    assert_eq!(json(&remote), json(&local));
}

#[tokio::test]
async fn each_delegation_receives_only_its_own_preferences() {
    plenary_test_support::trace_init();
    let m = new_match(11);
    let prefs = m.preferences().clone();
    let states: Vec<String> = m.scenario().states.iter().map(|s| s.id.clone()).collect();
    let mut servers = Vec::new();
    let mut logs = Vec::new();
    for _ in &states {
        let log: Arc<Mutex<Vec<SeatBrief>>> = Arc::default();
        let rec = Arc::clone(&log);
        servers.push(
            serve(move |b: &SeatBrief| {
                rec.lock().unwrap().push(b.clone());
                sincere(b)
            })
            .await,
        );
        logs.push(log);
    }
    let seats = states
        .iter()
        .zip(&servers)
        .map(|(s, srv)| SeatEndpoint {
            state: s.clone(),
            endpoint: srv.url.clone(),
            token: None,
        })
        .collect();
    let r = run_remote(m, seats, cfg()).await;
    assert!(r.complete && r.violations.is_empty());
    for (seat, log) in logs.iter().enumerate() {
        let briefs = log.lock().unwrap();
        assert_eq!(briefs.len(), 1, "{} was opened once", states[seat]);
        for b in briefs.iter() {
            assert_eq!(b.state, states[seat]);
            assert_eq!(b.seat as usize, seat);
            assert_eq!(
                b.preferences.as_slice(),
                prefs.row(seat),
                "only {}'s own preferences",
                states[seat]
            );
        }
    }
}

#[tokio::test]
async fn invalid_answers_are_struck_and_suspended_and_the_match_completes() {
    plenary_test_support::trace_init();
    let m = new_match(3);
    let bad = m.scenario().states[0].id.clone();
    let bad2 = bad.clone();
    let server = serve(move |b: &SeatBrief| -> Box<dyn Strategy> {
        Box::new(Sincere {
            brief: b.clone(),
            nan_positions: b.state == bad2,
        })
    })
    .await;
    let seats = m
        .scenario()
        .states
        .iter()
        .map(|s| SeatEndpoint {
            state: s.id.clone(),
            endpoint: server.url.clone(),
            token: None,
        })
        .collect();
    let r = run_remote(m, seats, cfg()).await;
    assert!(r.complete);
    assert!(!r.violations.is_empty());
    assert!(
        r.violations.iter().all(|v| v.state == bad),
        "only {bad} misbehaves"
    );
    assert!(
        r.violations
            .iter()
            .all(|v| matches!(&v.fault, Fault::Invalid(d) if d.contains("position"))),
        "{:?}",
        r.violations[0]
    );
    assert!(
        r.violations.iter().any(|v| v.suspended),
        "suspended past the strike limit"
    );
    // Suspended for the rest of each session: at most strike-limit (3) strikes a session.
    for s in 0..3 {
        assert!(r.violations.iter().filter(|v| v.session == s).count() <= 3);
    }
}

#[tokio::test]
async fn a_re_registered_delegation_gets_its_seat_back() {
    plenary_test_support::trace_init();
    let m = new_match(5);
    let states: Vec<String> = m.scenario().states.iter().map(|s| s.id.clone()).collect();
    let server = serve(sincere).await;
    // The first State's endpoint is dead (connection refused).
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let opened: Arc<Mutex<Vec<String>>> = Arc::default();
    let rec = Arc::clone(&opened);
    let revived = serve(move |b: &SeatBrief| {
        rec.lock().unwrap().push(b.state.clone());
        sincere(b)
    })
    .await;
    let dir = Directory::new();
    // The second State has no delegation at all when the match opens.
    for (i, s) in states.iter().enumerate().filter(|(i, _)| *i != 1) {
        dir.register(s, if i == 0 { &dead } else { &server.url }, "sincere");
    }
    let (first, second) = (states[0].clone(), states[1].clone());
    let (dir2, url) = (dir.clone(), revived.url.clone());
    let mut done = false;
    let sink = Box::new(move |e: v1::session_event::Event| {
        if let v1::session_event::Event::Violation(v) = &e
            && v.suspended
            && !done
        {
            done = true;
            dir2.register(&first, &url, "sincere");
            dir2.register(&second, &url, "sincere");
        }
    });
    let r = run_remote_with(m, dir, cfg(), Some(sink)).await;
    assert!(r.complete);
    let mut replayed = opened.lock().unwrap().clone();
    replayed.sort();
    assert_eq!(
        replayed,
        vec![states[0].clone(), states[1].clone()],
        "OpenSeat replayed to the new endpoint, and sent to the late registration"
    );
    for late in [&states[0], &states[1]] {
        let v: Vec<_> = r.violations.iter().filter(|v| v.state == *late).collect();
        assert!(
            v.last().unwrap().suspended,
            "nothing after the suspension: {v:?}"
        );
    }
    let v: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.state == states[0])
        .collect();
    // Struck until suspended (the strike at `open` is wiped when the first session
    // starts), then re-registered: no violation after the suspending one.
    assert!(v.len() >= 3, "{v:?}");
    assert!(
        v.last().unwrap().suspended,
        "nothing after the suspension: {v:?}"
    );
    assert_eq!(v.iter().filter(|v| v.suspended).count(), 1);
    assert!(v.iter().all(|v| matches!(v.fault, Fault::Unavailable(_))));
}

async fn start_chair(tokens: Tokens) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let config = ChairConfig {
        tokens,
        call: cfg(),
    };
    tokio::spawn(async move {
        plenary_chair::serve(config, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

#[tokio::test]
async fn secretariat_registers_with_tokens_runs_sessions_and_streams_events() {
    plenary_test_support::trace_init();
    let scenario = plenary_scenarios::scenario("csce-1975").unwrap();
    let states: Vec<String> = scenario.states.iter().map(|s| s.id.clone()).collect();
    let tokens = states
        .iter()
        .map(|s| (s.clone(), format!("token-{s}")))
        .collect();
    let (addr, stop) = start_chair(Tokens::Required(tokens)).await;
    let server = serve(sincere).await;
    for (addr, name) in [
        (addr, ""),
        (addr, "plenary.v1.Secretariat"),
        (server.addr, ""),
        (server.addr, "plenary.v1.Delegation"),
    ] {
        plenary_test_support::wait_healthy(addr, name, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let mut chair = SecretariatClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    for s in &states {
        let r = chair
            .register(v1::RegisterRequest {
                state: s.clone(),
                endpoint: server.url.clone(),
                token: format!("token-{s}"),
                strategy: "sincere".into(),
            })
            .await
            .unwrap();
        assert!(r.into_inner().ok);
    }
    // An impostor with the wrong token is refused and the State stays where it was.
    let impostor = serve(move |b: &SeatBrief| -> Box<dyn Strategy> {
        Box::new(Sincere {
            brief: b.clone(),
            nan_positions: true,
        })
    })
    .await;
    let err = chair
        .register(v1::RegisterRequest {
            state: states[0].clone(),
            endpoint: impostor.url.clone(),
            token: "guess".into(),
            strategy: "impostor".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    assert!(err.message().contains(&states[0]), "{}", err.message());

    let started = chair
        .start_session(v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            design: String::new(),
            seed: 9,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.match_id, "csce-1975:csce-1975:9");
    let mut events = chair
        .watch(v1::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(e) = events.message().await.unwrap() {
        seen.push(e);
    }
    assert!(
        seen.iter().enumerate().all(|(i, e)| e.seq == i as u64),
        "events in order, none lost"
    );
    let kinds = |f: fn(&v1::session_event::Event) -> bool| {
        seen.iter()
            .filter(|e| e.event.as_ref().is_some_and(f))
            .count()
    };
    use v1::session_event::Event as E;
    assert!(kinds(|e| matches!(e, E::ItemOpened(_))) > 0);
    assert!(kinds(|e| matches!(e, E::Proposal(_))) > 0);
    assert!(kinds(|e| matches!(e, E::Decision(_))) > 0);
    assert_eq!(kinds(|e| matches!(e, E::SessionEnd(_))), 3);
    assert_eq!(kinds(|e| matches!(e, E::Violation(_))), 0);
    assert!(matches!(
        seen.last().and_then(|e| e.event.clone()),
        Some(E::Done(_))
    ));

    let results = chair
        .get_results(v1::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(results.done);
    let r: MatchResult = serde_json::from_str(&results.results_json).unwrap();
    assert!(r.complete && r.violations.is_empty());
    assert!(r.states.iter().all(|s| s.strategy == "sincere"));
    // Same as the in-process run of the same match.
    let scenario = Arc::new(scenario);
    let design = Arc::new(plenary_scenarios::design("csce-1975").unwrap());
    let setup = MatchSetup {
        match_id: r.match_id.clone(),
        seed: 9,
        strategies: vec!["sincere".into(); states.len()],
    };
    let local =
        plenary_core::run_in_process(Match::new(scenario, design, setup), &mut |b| sincere(b));
    assert_eq!(results.results_json, json(&local));

    // Unknown sessions are NOT_FOUND; starting without delegations is refused.
    let err = chair
        .get_results(v1::GetResultsRequest {
            session_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = chair
        .start_session(v1::StartSessionRequest {
            scenario: "osce-2021".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    drop(stop);
}

#[tokio::test]
async fn a_delegation_that_never_answers_times_out() {
    plenary_test_support::trace_init();
    let m = new_match(8);
    let states: Vec<String> = m.scenario().states.iter().map(|s| s.id.clone()).collect();
    let server = serve(sincere).await;
    // A black hole: accepts connections and never says a word.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_url = format!("http://{}", hole.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = hole.accept().await {
            held.push(sock);
        }
    });
    let seats = states
        .iter()
        .enumerate()
        .map(|(i, s)| SeatEndpoint {
            state: s.clone(),
            endpoint: if i == 1 {
                hole_url.clone()
            } else {
                server.url.clone()
            },
            token: None,
        })
        .collect();
    let cfg = CallConfig {
        timeout: Duration::from_millis(1000),
        ..CallConfig::default()
    };
    let r = run_remote(m, seats, cfg).await;
    assert!(r.complete);
    assert!(!r.violations.is_empty());
    assert!(
        r.violations
            .iter()
            .all(|v| v.state == states[1] && v.fault == Fault::Timeout),
        "{:?}",
        r.violations
    );
    assert!(r.violations.iter().any(|v| v.suspended));
}

#[tokio::test]
async fn shutdown_ends_watch_streams_and_returns_promptly() {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let config = ChairConfig {
        tokens: Tokens::Open,
        call: CallConfig {
            timeout: Duration::from_secs(30),
            ..CallConfig::default()
        },
    };
    let server = tokio::spawn(plenary_chair::serve(config, listener, async {
        let _ = rx.await;
    }));
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(10))
        .await
        .unwrap();
    // Every State "plays" from a black hole, so the session hangs on its first question.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_url = format!("http://{}", hole.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = hole.accept().await {
            held.push(sock);
        }
    });
    let mut chair = SecretariatClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    for s in plenary_scenarios::scenario("csce-1975").unwrap().states {
        chair
            .register(v1::RegisterRequest {
                state: s.id,
                endpoint: hole_url.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let started = chair
        .start_session(v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = chair
        .watch(v1::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let r = chair
        .get_results(v1::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!r.done && r.results_json.is_empty());
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => return None,
                Err(s) => return Some(s.code()),
            }
        }
    })
    .await
    .expect("the watch stream ends on shutdown");
    assert_eq!(ended, Some(tonic::Code::Unavailable));
    drop(chair);
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns within the grace period")
        .unwrap()
        .unwrap();
}

/// Serves `sincere` admitting only callers that send `token`.
async fn serve_with_token(token: &str) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let config = plenary_delegation::ServeConfig {
        only_state: None,
        token: Some(token.to_string()),
    };
    tokio::spawn(async move {
        plenary_delegation::serve_with(config, sincere, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        url: format!("http://{addr}"),
        addr,
        _stop: stop,
    }
}

async fn play_to_the_end(
    chair: &mut SecretariatClient<tonic::transport::Channel>,
    start: v1::StartSessionRequest,
) -> (String, Vec<v1::SessionEvent>) {
    let started = chair.start_session(start).await.unwrap().into_inner();
    let mut stream = chair
        .watch(v1::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(e) = stream.message().await.unwrap() {
            events.push(e);
        }
    })
    .await
    .expect("the watch ends");
    (started.session_id, events)
}

#[tokio::test]
async fn the_chair_sends_each_states_token_with_every_call() {
    plenary_test_support::trace_init();
    let states: Vec<String> = plenary_scenarios::scenario("csce-1975")
        .unwrap()
        .states
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let tokens = states
        .iter()
        .map(|s| (s.clone(), "T".to_string()))
        .collect();
    let (addr, _stop) = start_chair(Tokens::Required(tokens)).await;
    let server = serve_with_token("T").await;
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(10))
        .await
        .unwrap();
    let mut chair = SecretariatClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    for s in &states {
        chair
            .register(v1::RegisterRequest {
                state: s.clone(),
                endpoint: server.url.clone(),
                token: "T".into(),
                strategy: "sincere".into(),
            })
            .await
            .unwrap();
    }
    let (id, events) = play_to_the_end(
        &mut chair,
        v1::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed: 3,
            ..Default::default()
        },
    )
    .await;
    let violations: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            Some(v1::session_event::Event::Violation(v)) => Some(v.clone()),
            _ => None,
        })
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
    let r = chair
        .get_results(v1::GetResultsRequest { session_id: id })
        .await
        .unwrap()
        .into_inner();
    assert!(r.done);
}

#[tokio::test]
async fn huge_timeouts_are_refused_and_a_panicking_driver_still_ends_the_session() {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_stop, rx) = oneshot::channel::<()>();
    // A default deadline no gRPC request can carry: tonic panics sending it.
    let config = ChairConfig {
        tokens: Tokens::Open,
        call: CallConfig {
            timeout: Duration::from_secs(u64::MAX / 4),
            ..CallConfig::default()
        },
    };
    tokio::spawn(plenary_chair::serve(config, listener, async {
        let _ = rx.await;
    }));
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(10))
        .await
        .unwrap();
    let server = serve(sincere).await;
    let mut chair = SecretariatClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    for s in plenary_scenarios::scenario("csce-1975").unwrap().states {
        chair
            .register(v1::RegisterRequest {
                state: s.id,
                endpoint: server.url.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let start = |timeout_ms| v1::StartSessionRequest {
        scenario: "csce-1975".into(),
        match_id: "m-panic".into(),
        timeout_ms,
        ..Default::default()
    };
    let err = chair
        .start_session(start(plenary_chair::MAX_TIMEOUT_MS + 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("timeout_ms"), "{err:?}");

    // 0 = the chair's default, which makes the driver panic: the session still ends.
    let (id, events) = play_to_the_end(&mut chair, start(0)).await;
    match events.last().and_then(|e| e.event.as_ref()) {
        Some(v1::session_event::Event::Done(d)) => assert!(!d.complete),
        other => panic!("the watch ends with Done, not {other:?}"),
    }
    let err = chair
        .get_results(v1::GetResultsRequest { session_id: id })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Internal);
    assert!(err.message().contains("panicked"), "{err:?}");
    // The match id is free again.
    chair.start_session(start(0)).await.unwrap();
}
