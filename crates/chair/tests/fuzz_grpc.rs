//! Fuzzing every gRPC request type of the chair and of a served delegation (proptest,
//! a fixed number of cases so it runs in `cargo test`; `PROPTEST_CASES=N` for longer).
//!
//! Whatever a caller sends: no panic (the servers still answer health afterwards), an
//! answer within a bounded time, an error status a handler chooses on purpose (never
//! INTERNAL or UNKNOWN), and an error message that stays short (no echo of a megabyte
//! of input).

use plenary_core::strategy::{
    PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy as Delegate, Vote,
};
use plenary_proto::v2;
use plenary_proto::v2::delegation_client::DelegationClient;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::Duration;
use tonic::Code;
use tonic::transport::Channel;

struct Yes;

impl Delegate for Yes {
    fn name(&self) -> &str {
        "yes"
    }
    fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
        PositionAnswer {
            position: 50.0,
            salience: 0.5,
            link: None,
        }
    }
    fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
        Vote::Yes
    }
}

struct Servers {
    rt: tokio::runtime::Runtime,
    chair: String,
    delegation: String,
}

/// One chair and one delegation for the whole file (started once).
fn servers() -> &'static Servers {
    static S: OnceLock<Servers> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (chair, delegation) = rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let chair = format!("http://{}", l.local_addr().unwrap());
            tokio::spawn(plenary_chair::serve(
                plenary_chair::ChairConfig::default(),
                l,
                std::future::pending(),
            ));
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let delegation = format!("http://{}", l.local_addr().unwrap());
            tokio::spawn(plenary_delegation::serve(
                |_: &SeatBrief| Box::new(Yes) as Box<dyn Delegate>,
                l,
                std::future::pending(),
            ));
            for url in [&chair, &delegation] {
                plenary_lab_health(url).await;
            }
            (chair, delegation)
        });
        Servers {
            rt,
            chair,
            delegation,
        }
    })
}

async fn plenary_lab_health(url: &str) {
    let start = tokio::time::Instant::now();
    loop {
        let ok = async {
            let ch = Channel::from_shared(url.to_string())
                .ok()?
                .connect()
                .await
                .ok()?;
            tonic_health::pb::health_client::HealthClient::new(ch)
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .ok()
        }
        .await;
        if ok.is_some() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{url} never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Codes a handler returns on purpose for bad input.
fn deliberate(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument
            | Code::NotFound
            | Code::PermissionDenied
            | Code::FailedPrecondition
            | Code::Unauthenticated
            | Code::AlreadyExists
            | Code::ResourceExhausted
            | Code::OutOfRange
    )
}

fn check_status(what: &str, s: &tonic::Status) {
    assert!(
        deliberate(s.code()),
        "{what}: {:?}: {}",
        s.code(),
        s.message()
    );
    assert!(
        s.message().len() <= 4096,
        "{what}: a {} byte message",
        s.message().len()
    );
}

/// Strings from empty to megabytes, printable, with control characters, paths.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Z]{3}",
        ".{0,80}",
        Just("/dev/zero".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("http://user:pw@127.0.0.1:1".to_string()),
        Just("http://127.0.0.1:99999".to_string()),
        (1usize..4).prop_map(|k| "x".repeat(k * 400_000)),
    ]
}

fn timed<T>(fut: impl std::future::Future<Output = T>) -> T {
    servers()
        .rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), fut).await })
        .expect("every call is answered in bounded time")
}

fn chair() -> SecretariatClient<Channel> {
    let url = servers().chair.clone();
    timed(async move {
        SecretariatClient::connect(url)
            .await
            .unwrap()
            .max_decoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn register_never_misbehaves(state in text(), endpoint in text(), token in text()) {
        let mut c = chair();
        let r = timed(c.register(v2::RegisterRequest { state, endpoint, token }));
        if let Err(s) = r {
            check_status("Register", &s);
        }
    }

    #[test]
    fn start_session_never_misbehaves(
        scenario in text(),
        design in text(),
        scenario_toml in text(),
        design_toml in text(),
        match_id in text(),
        seed in any::<u64>(),
        timeout_ms in any::<u64>(),
    ) {
        let mut c = chair();
        let r = timed(c.start_session(v2::StartSessionRequest {
            scenario, design, seed, match_id, timeout_ms, scenario_toml, design_toml,
        }));
        if let Err(s) = r {
            check_status("StartSession", &s);
        }
    }

    #[test]
    fn reads_never_misbehave(session_id in text()) {
        let mut c = chair();
        if let Err(s) = timed(c.get_results(v2::GetResultsRequest { session_id: session_id.clone() })) {
            check_status("GetResults", &s);
        }
        if let Err(s) = timed(c.watch(v2::WatchRequest { session_id })) {
            check_status("Watch", &s);
        }
        let listed = timed(c.list_sessions(v2::ListSessionsRequest {}));
        prop_assert!(listed.is_ok());
    }

    #[test]
    fn play_never_misbehaves(
        versions in prop::collection::vec(any::<u32>(), 0..4),
        ids in prop::collection::vec((text(), text(), any::<u64>()), 0..6),
        kinds in prop::collection::vec(0u8..8, 0..6),
        phase in any::<i32>(),
    ) {
        let url = servers().delegation.clone();
        let frames: Vec<v2::ChairFrame> = std::iter::once(v2::ChairFrame {
            frame: Some(v2::chair_frame::Frame::Hello(v2::ChairHello {
                versions: if versions.is_empty() { vec![2] } else { versions },
                chair_id: "fuzz".into(),
            })),
        })
        .chain(std::iter::once(v2::ChairFrame {
            frame: Some(v2::chair_frame::Frame::Batch(v2::Batch {
                messages: ids
                    .into_iter()
                    .zip(kinds.into_iter().cycle())
                    .map(|((match_id, state, seq), kind)| {
                        let ctx = Some(v2::RoundContext { phase, ..Default::default() });
                        let body = match kind {
                            0 => Some(v2::envelope::Body::Open(v2::SeatBrief {
                                match_id: match_id.clone(),
                                state: state.clone(),
                                ..Default::default()
                            })),
                            1 => Some(v2::envelope::Body::Position(v2::PositionQuestion {
                                context: ctx, view: None,
                            })),
                            2 => Some(v2::envelope::Body::Vote(v2::VoteQuestion {
                                context: ctx, view: Some(v2::SeatView::default()),
                            })),
                            3 => Some(v2::envelope::Body::SessionEnd(v2::SessionEndQuestion::default())),
                            4 => Some(v2::envelope::Body::Outcome(v2::ItemOutcome::default())),
                            5 => Some(v2::envelope::Body::Close(v2::CloseSeat {})),
                            _ => None,
                        };
                        v2::Envelope { match_id, state, seq, deadline_ms: 1000, body }
                    })
                    .collect(),
            })),
        }))
        .collect();
        let answers = timed(async move {
            let mut c = DelegationClient::connect(url)
                .await
                .unwrap()
                .max_decoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES);
            let mut stream = match c.play(tokio_stream::iter(frames)).await {
                Ok(r) => r.into_inner(),
                Err(s) => return Err(s),
            };
            let mut got = Vec::new();
            loop {
                match stream.message().await {
                    Ok(Some(f)) => got.push(f),
                    Ok(None) => return Ok(got),
                    Err(s) => return Err(s),
                }
            }
        });
        match answers {
            Err(s) => check_status("Play", &s),
            Ok(frames) => {
                for f in frames {
                    if let Some(v2::delegation_frame::Frame::Answers(a)) = f.frame {
                        for a in a.answers {
                            if let Some(v2::answer::Body::Refusal(r)) = a.body {
                                prop_assert!(deliberate(Code::from_i32(r.code)), "{r:?}");
                                prop_assert!(r.message.len() <= plenary_proto::limits::MAX_REFUSAL_BYTES);
                            }
                            prop_assert!(a.match_id.len() <= plenary_proto::limits::MAX_MATCH_ID_BYTES);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn after_the_fuzz_both_servers_still_serve() {
    // Run some hostile traffic first (any order of tests is fine: each leaves the
    // servers as it found them).
    let mut c = chair();
    let _ = timed(c.register(v2::RegisterRequest {
        state: "x".repeat(2_000_000),
        endpoint: String::new(),
        token: String::new(),
    }));
    for url in [servers().chair.clone(), servers().delegation.clone()] {
        timed(plenary_lab_health(&url));
    }
}
