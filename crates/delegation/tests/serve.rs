//! The delegation service over real gRPC: health, the seat lifecycle and validation.

use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote};
use plenary_proto::convert::WireEnum;
use plenary_proto::v1;
use plenary_proto::v1::delegation_client::DelegationClient;
use std::time::Duration;
use tokio::sync::oneshot;

struct Fixed;

impl Strategy for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
        PositionAnswer {
            position: 42.5,
            salience: 0.25,
            link: Some(1),
            ..Default::default()
        }
    }
    fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote {
        Vote::Abstain
    }
}

fn brief(match_id: &str, state: &str) -> v1::SeatBrief {
    v1::SeatBrief {
        match_id: match_id.into(),
        state: state.into(),
        rules: Some(v1::PublicRules {
            design: "d".into(),
            sessions: 1,
            max_rounds: 2,
            mediation: v1::Mediation::Nash as i32,
            linkage: v1::Linkage::Any as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn ctx(phase: v1::Phase) -> Option<v1::RoundContext> {
    Some(v1::RoundContext {
        phase: phase as i32,
        ..Default::default()
    })
}

#[tokio::test]
async fn serves_health_seats_and_validates_requests() {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(plenary_delegation::serve(
        |_: &SeatBrief| Box::new(Fixed) as Box<dyn Strategy>,
        listener,
        async {
            let _ = rx.await;
        },
    ));
    for name in ["", plenary_delegation::SERVICE_NAME] {
        plenary_test_support::wait_healthy(addr, name, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let mut c = DelegationClient::connect(format!("http://{addr}"))
        .await
        .unwrap();

    // A question for a seat that was never opened.
    let q = v1::PositionRequest {
        match_id: "m1".into(),
        state: "RUS".into(),
        context: ctx(v1::Phase::Positions),
        view: Some(v1::SeatView::default()),
    };
    let e = c.position(q.clone()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
    assert!(
        e.message().contains("RUS") && e.message().contains("m1"),
        "{}",
        e.message()
    );

    // A brief with an unknown enum is refused, naming the field.
    let mut bad = brief("m1", "RUS");
    bad.rules.as_mut().unwrap().mediation = 77;
    let e = c.open_seat(bad).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains("rules.mediation"), "{}", e.message());

    // Two seats of two matches on one endpoint.
    for (m, s) in [("m1", "RUS"), ("m2", "RUS"), ("m1", "USA")] {
        let r = c.open_seat(brief(m, s)).await.unwrap().into_inner();
        assert_eq!(
            (r.match_id.as_str(), r.state.as_str(), r.strategy.as_str()),
            (m, s, "fixed")
        );
    }
    let a = c.position(q.clone()).await.unwrap().into_inner();
    assert_eq!((a.position, a.salience, a.link), (42.5, 0.25, Some(1)));
    assert_eq!((a.match_id.as_str(), a.state.as_str()), ("m1", "RUS"));

    // The wrong phase, a missing context.
    let e = c
        .position(v1::PositionRequest {
            context: ctx(v1::Phase::Decision),
            ..q.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition);
    let e = c
        .position(v1::PositionRequest {
            context: None,
            ..q.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains("context"));

    let v = c
        .vote(v1::VoteRequest {
            match_id: "m2".into(),
            state: "RUS".into(),
            context: ctx(v1::Phase::Silence),
            view: Some(v1::SeatView::default()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.vote, Vote::Abstain.wire());

    let closed = c
        .close_seat(v1::CloseSeatRequest {
            match_id: "m1".into(),
            state: "RUS".into(),
        })
        .await;
    assert!(closed.is_ok());
    assert_eq!(
        c.position(q).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    let e = c
        .close_seat(v1::CloseSeatRequest {
            match_id: "m1".into(),
            state: "RUS".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);

    drop(c);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_restricted_delegation_admits_only_its_state_with_its_token() {
    plenary_test_support::trace_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let config = plenary_delegation::ServeConfig {
        only_state: Some("RUS".into()),
        token: Some("T".into()),
    };
    let server = tokio::spawn(plenary_delegation::serve_with(
        config,
        |_: &SeatBrief| Box::new(Fixed) as Box<dyn Strategy>,
        listener,
        async {
            let _ = rx.await;
        },
    ));
    plenary_test_support::wait_healthy(addr, "", Duration::from_secs(10))
        .await
        .unwrap();
    let mut c = DelegationClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let with_token = |token: &str, msg: v1::SeatBrief| {
        let mut r = tonic::Request::new(msg);
        r.metadata_mut()
            .insert(plenary_delegation::TOKEN_METADATA, token.parse().unwrap());
        r
    };
    // No token, a wrong token: UNAUTHENTICATED, whatever the State.
    let e = c.open_seat(brief("m", "RUS")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    let e = c
        .open_seat(with_token("t", brief("m", "RUS")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unauthenticated, "{e:?}");
    // The right token for another State: PERMISSION_DENIED, naming both.
    let e = c
        .open_seat(with_token("T", brief("m", "USA")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("RUS") && e.message().contains("USA"));
    let mut q = tonic::Request::new(v1::PositionRequest {
        match_id: "m".into(),
        state: "USA".into(),
        context: ctx(v1::Phase::Positions),
        view: Some(v1::SeatView::default()),
    });
    q.metadata_mut()
        .insert(plenary_delegation::TOKEN_METADATA, "T".parse().unwrap());
    let e = c.position(q).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::PermissionDenied, "{e:?}");
    // Its own State with its token is served.
    let r = c
        .open_seat(with_token("T", brief("m", "RUS")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.state, "RUS");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
