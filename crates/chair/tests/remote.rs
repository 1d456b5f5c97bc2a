//! The remote driver and the secretariat against in-process delegation servers (real
//! gRPC over loopback, port 0).
//!
//! Deadlines here are generous (10 s per question for honest delegations): the verdicts
//! must not depend on an idle machine. Faulty parties are unambiguous: they answer NaN,
//! or never answer at all.

use plenary_chair::{
    CallConfig, ChairConfig, Directory, DriveConfig, FixedRoutes, Hub, LinkConfig, Route, Tokens,
    run_match,
};
use plenary_core::metrics::MatchResult;
use plenary_core::strategy::{
    Fault, PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote,
};
use plenary_core::{Match, MatchSetup};
use plenary_proto::v2;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use std::collections::HashMap;
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
        PositionAnswer {
            position: if self.nan_positions {
                f64::NAN
            } else {
                p.ideal
            },
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
            match_id: format!("test-{seed}"),
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

async fn serve_config(
    config: plenary_delegation::ServeConfig,
    factory: impl plenary_delegation::StrategyFactory + 'static,
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        plenary_delegation::serve_with(config, factory, listener, async {
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

async fn serve(factory: impl plenary_delegation::StrategyFactory + 'static) -> Server {
    serve_config(plenary_delegation::ServeConfig::default(), factory).await
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

fn fixed(states: &[String], url: impl Fn(usize) -> String) -> Arc<FixedRoutes> {
    Arc::new(FixedRoutes(
        states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    s.clone(),
                    Route {
                        endpoint: url(i),
                        token: None,
                        generation: 1,
                    },
                )
            })
            .collect::<HashMap<_, _>>(),
    ))
}

fn drive(routes: Arc<dyn plenary_chair::Routes>, call: CallConfig) -> DriveConfig {
    let hub = Hub::new(
        LinkConfig {
            connect_timeout: call.connect_timeout,
        },
        "test-chair",
    );
    DriveConfig::new(hub, routes, call)
}

fn states_of(m: &Match) -> Vec<String> {
    m.scenario().states.iter().map(|s| s.id.clone()).collect()
}

#[tokio::test]
async fn remote_run_equals_in_process_run_with_one_shared_endpoint() {
    plenary_test_support::trace_init();
    let server = serve(sincere).await;
    let m = new_match(7);
    let states = states_of(&m);
    let remote = run_match(m, drive(fixed(&states, |_| server.url.clone()), cfg())).await;
    let local = plenary_core::run_in_process(new_match(7), &mut |b| sincere(b));
    assert!(remote.complete);
    assert!(remote.violations.is_empty(), "{:?}", remote.violations);
    assert_eq!(json(&remote), json(&local));
}

#[tokio::test]
async fn many_matches_in_flight_share_one_endpoint_and_equal_in_process() {
    plenary_test_support::trace_init();
    let server = serve(sincere).await;
    let states = states_of(&new_match(0));
    let routes = fixed(&states, |_| server.url.clone());
    let d = drive(routes.clone(), cfg());
    let hub = d.hub.clone();
    let runs = (1..=6u64).map(|seed| {
        let cfg = DriveConfig::new(hub.clone(), routes.clone(), cfg());
        tokio::spawn(run_match(new_match(seed), cfg))
    });
    let results = futures::future::join_all(runs).await;
    for (i, r) in results.into_iter().enumerate() {
        let r = r.unwrap();
        let seed = i as u64 + 1;
        assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
        let local = plenary_core::run_in_process(new_match(seed), &mut |b| sincere(b));
        assert_eq!(json(&r), json(&local), "seed {seed}");
    }
}

#[tokio::test]
async fn each_delegation_receives_only_its_own_preferences() {
    plenary_test_support::trace_init();
    let m = new_match(11);
    let prefs = m.preferences().clone();
    let states = states_of(&m);
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
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let r = run_match(m, drive(fixed(&states, |i| urls[i].clone()), cfg())).await;
    assert!(r.complete && r.violations.is_empty(), "{:?}", r.violations);
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
    let states = states_of(&m);
    let bad = states[0].clone();
    let bad2 = bad.clone();
    let server = serve(move |b: &SeatBrief| -> Box<dyn Strategy> {
        Box::new(Sincere {
            brief: b.clone(),
            nan_positions: b.state == bad2,
        })
    })
    .await;
    let r = run_match(m, drive(fixed(&states, |_| server.url.clone()), cfg())).await;
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
    for s in 0..3 {
        assert!(r.violations.iter().filter(|v| v.session == s).count() <= 3);
    }
    // One validator (plenary_core::answers): the same faulty strategy played in-process
    // gives byte-identical results, violation texts included.
    let bad3 = bad.clone();
    let local = plenary_core::run_in_process(new_match(3), &mut |b| {
        Box::new(Sincere {
            brief: b.clone(),
            nan_positions: b.state == bad3,
        })
    });
    assert_eq!(json(&r), json(&local));
}

#[tokio::test]
async fn a_re_registered_delegation_gets_its_seat_back() {
    plenary_test_support::trace_init();
    let m = new_match(5);
    let states = states_of(&m);
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
        let _ = dir.register(s, if i == 0 { &dead } else { &server.url }, None);
    }
    let (first, second) = (states[0].clone(), states[1].clone());
    let (dir2, url) = (dir.clone(), revived.url.clone());
    let mut done = false;
    let mut d = drive(Arc::new(dir.clone()), cfg());
    d.sink = Some(Box::new(move |e: v2::session_event::Event| {
        if let v2::session_event::Event::Violation(v) = &e
            && v.suspended
            && !done
        {
            done = true;
            let _ = dir2.register(&first, &url, None);
            let _ = dir2.register(&second, &url, None);
        }
    }));
    let r = run_match(m, d).await;
    assert!(r.complete);
    let mut replayed = opened.lock().unwrap().clone();
    replayed.sort();
    assert_eq!(
        replayed,
        vec![states[0].clone(), states[1].clone()],
        "the seat opened on the new endpoint, and for the late registration"
    );
    for late in [&states[0], &states[1]] {
        let v: Vec<_> = r.violations.iter().filter(|v| v.state == *late).collect();
        assert!(
            v.last().unwrap().suspended,
            "nothing after the suspension: {v:?}"
        );
        assert_eq!(v.iter().filter(|v| v.suspended).count(), 1, "{v:?}");
        assert!(v.iter().all(|v| matches!(v.fault, Fault::Unavailable(_))));
    }
    // The seats play under the strategy their new delegation announced.
    assert!(r.states.iter().all(|s| s.strategy == "sincere"));
}

#[tokio::test]
async fn a_delegation_that_never_answers_times_out_and_nobody_else_does() {
    plenary_test_support::trace_init();
    let m = new_match(8);
    let states = states_of(&m);
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
    // Honest parties get 10 s per question; the black hole never answers, so its seat
    // is struck at every question until suspended, whatever the load.
    let call = CallConfig {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(1),
    };
    let routes = fixed(&states, |i| {
        if i == 1 {
            hole_url.clone()
        } else {
            server.url.clone()
        }
    });
    let r = run_match(m, drive(routes, call)).await;
    assert!(r.complete);
    assert!(!r.violations.is_empty());
    assert!(
        r.violations.iter().all(|v| v.state == states[1]),
        "only the black hole is struck: {:?}",
        r.violations
    );
    assert!(r.violations.iter().any(|v| v.suspended));
}

/// Keeps `state` registered at `endpoint` with the chair at `chair` (until the test
/// ends); returns once the chair confirmed it.
async fn register(chair: &str, state: &str, endpoint: &str, token: &str) {
    let (tx, rx) = oneshot::channel();
    let mut tx = Some(tx);
    let reg = plenary_delegation::Registration {
        chair: chair.to_string(),
        state: state.to_string(),
        endpoint: endpoint.to_string(),
        token: token.to_string(),
    };
    tokio::spawn(plenary_delegation::register(
        reg,
        Duration::from_secs(30),
        move |_| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        },
        std::future::pending(),
    ));
    tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("registered in time")
        .expect("registered");
}

async fn start_chair(config: ChairConfig) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        plenary_chair::serve(config, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(30))
        .await
        .unwrap();
    (format!("http://{addr}"), stop)
}

fn with_tokens(tokens: HashMap<String, String>) -> ChairConfig {
    ChairConfig {
        tokens: Tokens::Required(tokens),
        call: cfg(),
        ..ChairConfig::default()
    }
}

async fn play_to_the_end(
    chair: &mut SecretariatClient<tonic::transport::Channel>,
    start: v2::StartSessionRequest,
) -> (v2::StartSessionResponse, Vec<v2::SessionEvent>) {
    let started = chair.start_session(start).await.unwrap().into_inner();
    let mut stream = chair
        .watch(v2::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    tokio::time::timeout(Duration::from_secs(300), async {
        while let Some(e) = stream.message().await.unwrap() {
            events.push(e);
        }
    })
    .await
    .expect("the watch ends");
    (started, events)
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
    let (chair_url, stop) = start_chair(with_tokens(tokens)).await;
    let server = serve(sincere).await;
    plenary_test_support::wait_healthy(
        server.addr,
        "plenary.v2.Delegation",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    for s in &states {
        register(&chair_url, s, &server.url, &format!("token-{s}")).await;
    }
    let mut chair = SecretariatClient::connect(chair_url.clone()).await.unwrap();
    // An impostor with the wrong token is refused and the State stays where it was.
    let err = chair
        .register(v2::RegisterRequest {
            state: states[0].clone(),
            endpoint: "http://127.0.0.1:9".into(),
            token: "guess".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    assert!(err.message().contains(&states[0]), "{}", err.message());
    // An endpoint the chair could never call is refused at once.
    let err = chair
        .register(v2::RegisterRequest {
            state: states[0].clone(),
            endpoint: "http://127.0.0.1:99999".into(),
            token: format!("token-{}", states[0]),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    let (started, seen) = play_to_the_end(
        &mut chair,
        v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed: 9,
            ..Default::default()
        },
    )
    .await;
    // The match id is opaque: it does not carry the seed.
    assert!(
        started.match_id.starts_with('m') && started.match_id.len() == 17,
        "{}",
        started.match_id
    );
    assert!(!started.match_id.contains("csce") && !started.match_id.contains(":9"));
    assert!(
        seen.iter().enumerate().all(|(i, e)| e.seq == i as u64),
        "events in order, none lost"
    );
    let kinds = |f: fn(&v2::session_event::Event) -> bool| {
        seen.iter()
            .filter(|e| e.event.as_ref().is_some_and(f))
            .count()
    };
    use v2::session_event::Event as E;
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
        .get_results(v2::GetResultsRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(results.done);
    let r: MatchResult = serde_json::from_str(&results.results_json).unwrap();
    assert!(r.complete && r.violations.is_empty());
    assert!(
        r.states.iter().all(|s| s.strategy == "sincere"),
        "labels are what the delegations announced"
    );
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

    let listed = chair
        .list_sessions(v2::ListSessionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.sessions.len(), 1);
    assert!(listed.sessions[0].done);

    // Unknown sessions are NOT_FOUND; starting without delegations is refused; a path is
    // never opened, whatever a caller names.
    let err = chair
        .get_results(v2::GetResultsRequest {
            session_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = chair
        .start_session(v2::StartSessionRequest {
            scenario: "osce-2021".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    for path in ["/dev/zero", "/etc/passwd", "../x.toml"] {
        let err = chair
            .start_session(v2::StartSessionRequest {
                scenario: path.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{path}");
        // A path is not even an id: refused before any lookup.
        assert!(
            err.message().contains("field `scenario`"),
            "{path}: {}",
            err.message()
        );
    }
    drop(stop);
}

#[tokio::test]
async fn an_operator_token_guards_start_session() {
    plenary_test_support::trace_init();
    let config = ChairConfig {
        operator_token: Some("op-secret".into()),
        ..ChairConfig::default()
    };
    let (chair_url, _stop) = start_chair(config).await;
    let mut chair = SecretariatClient::connect(chair_url).await.unwrap();
    let err = chair
        .start_session(v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let mut req = tonic::Request::new(v2::StartSessionRequest {
        scenario: "csce-1975".into(),
        ..Default::default()
    });
    req.metadata_mut().insert(
        plenary_proto::OPERATOR_TOKEN_METADATA,
        "op-secret".parse().unwrap(),
    );
    // Past the token, the request is judged on its merits (no delegations yet).
    let err = chair.start_session(req).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test]
async fn a_replaced_registration_is_told_and_recorded() {
    plenary_test_support::trace_init();
    let (chair_url, _stop) = start_chair(ChairConfig::default()).await;
    let mut chair = SecretariatClient::connect(chair_url.clone()).await.unwrap();
    let mut first = chair
        .register(v2::RegisterRequest {
            state: "RUS".into(),
            endpoint: "http://127.0.0.1:1001".into(),
            token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let ev = first.message().await.unwrap().unwrap();
    assert!(matches!(
        ev.event,
        Some(v2::registration_event::Event::Registered(v2::Registered {
            generation: 1,
            ..
        }))
    ));
    let mut second = chair
        .register(v2::RegisterRequest {
            state: "RUS".into(),
            endpoint: "http://127.0.0.1:1002".into(),
            token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(second.message().await.unwrap().is_some());
    match first.message().await.unwrap().and_then(|e| e.event) {
        Some(v2::registration_event::Event::Replaced(r)) => {
            assert_eq!(r.generation, 2);
            assert_eq!(r.endpoint, "http://127.0.0.1:1002");
        }
        other => panic!("expected Replaced, got {other:?}"),
    }
    assert!(
        first.message().await.unwrap().is_none(),
        "then the stream ends"
    );
}

#[tokio::test]
async fn shutdown_ends_watch_streams_and_returns_promptly() {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let config = ChairConfig {
        call: CallConfig {
            timeout: Duration::from_secs(30),
            ..CallConfig::default()
        },
        ..ChairConfig::default()
    };
    let server = tokio::spawn(plenary_chair::serve(config, listener, async {
        let _ = rx.await;
    }));
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(30))
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
    let chair_url = format!("http://{addr}");
    for s in plenary_scenarios::scenario("csce-1975").unwrap().states {
        register(&chair_url, &s.id, &hole_url, "").await;
    }
    let mut chair = SecretariatClient::connect(chair_url).await.unwrap();
    let started = chair
        .start_session(v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = chair
        .watch(v2::WatchRequest {
            session_id: started.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let r = chair
        .get_results(v2::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!r.done && r.results_json.is_empty());
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
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
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("serve returns within the grace period")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_chair_sends_each_endpoints_token_on_its_stream() {
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
    let (chair_url, _stop) = start_chair(with_tokens(tokens)).await;
    let server = serve_config(
        plenary_delegation::ServeConfig {
            token: Some("T".into()),
            ..Default::default()
        },
        sincere,
    )
    .await;
    for s in &states {
        register(&chair_url, s, &server.url, "T").await;
    }
    let mut chair = SecretariatClient::connect(chair_url).await.unwrap();
    let (started, events) = play_to_the_end(
        &mut chair,
        v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            seed: 3,
            ..Default::default()
        },
    )
    .await;
    let violations: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            Some(v2::session_event::Event::Violation(v)) => Some(v.clone()),
            _ => None,
        })
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
    let r = chair
        .get_results(v2::GetResultsRequest {
            session_id: started.session_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.done);
}

#[tokio::test]
async fn huge_timeouts_are_refused() {
    plenary_test_support::trace_init();
    let (chair_url, _stop) = start_chair(ChairConfig::default()).await;
    let mut chair = SecretariatClient::connect(chair_url).await.unwrap();
    let err = chair
        .start_session(v2::StartSessionRequest {
            scenario: "csce-1975".into(),
            timeout_ms: plenary_chair::MAX_TIMEOUT_MS + 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("timeout_ms"), "{err:?}");
}
