//! The checks that need no seat, each on streams or services of its own: connecting,
//! health, the hello variants, the token, reflection and the stream limits.

use crate::SERVICE_NAME;
use crate::play::{self, Dial, Ended, Event, Failure, Play};
use crate::report::Check;
use crate::script;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use std::time::Duration;
use tokio::time::Instant;
use tonic::Code;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

pub(crate) async fn connect(endpoint: &str, timeout: Duration) -> Result<Channel, String> {
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
pub(crate) async fn health(name: &'static str, channel: &Channel, timeout: Duration) -> Check {
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
pub(crate) async fn hello_check(dial: &Dial) -> Check {
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
    let (two, three_two, unknown, batch_first, second, neither) = tokio::join!(
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
        refused(
            "a frame with neither hello nor batch",
            vec![play::hello(&[plenary_proto::CONTRACT_VERSION])],
            Some(v2::ChairFrame { frame: None }),
        ),
    );
    let agent = two.as_ref().ok().cloned();
    let problems: Vec<String> = [
        two.map(|_| ()),
        three_two.map(|_| ()),
        unknown,
        batch_first,
        second,
        neither,
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    Check::from_problems(
        name,
        &problems,
        format!(
            "version 2 chosen (agent {}); an unknown version, a batch first, a second hello and an empty frame end the stream with FAILED_PRECONDITION",
            limits::prefix(&agent.unwrap_or_default())
        ),
    )
}

/// With a token: streams without it or with a wrong one end with UNAUTHENTICATED.
pub(crate) async fn token_check(dial: &Dial, given: bool, invalid: Option<String>) -> Check {
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
pub(crate) async fn reflection(channel: &Channel, timeout: Duration) -> Check {
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

/// The limits of a frame, each on a stream of its own: a 15 MiB frame accepted, a
/// batch of 65 537 envelopes and a frame over 16 MiB ended with RESOURCE_EXHAUSTED.
/// `prefix` makes the (never opened) seats' match ids; `state` is a State the
/// endpoint serves.
pub(crate) async fn stream_limits(dial: &Dial, prefix: &str, state: &str) -> Check {
    let name = "stream-limits";
    let state = state.to_string();
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
    let dial = dial.clone();
    let t = dial.timeout;
    let deadline_ms = u32::try_from(t.as_millis()).unwrap_or(u32::MAX);
    // A 15 MiB frame is accepted: a question after it is answered.
    let big = async {
        let (mut play, _) = Play::open(&dial, &[plenary_proto::CONTRACT_VERSION])
            .await
            .map_err(|f| format!("a 15 MiB frame: {f}"))?;
        let id = format!("{}-limits", prefix);
        play.send(play::batch(vec![notice_of(&id, 15 * mib)])).await;
        let q = v2::Envelope {
            match_id: id.clone(),
            state: state.clone(),
            seq: 3,
            deadline_ms,
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
    let flood_id = format!("{}-flood", prefix);
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
        &format!("{}-huge", prefix),
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
