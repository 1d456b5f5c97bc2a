//! The chair client: start a session, follow it to its end, read its results.
//!
//! Used by `plenary session`, `plenary watch`, labs and soaks. Following a session never
//! waits silently on a chair that stalled or vanished: the connection sends HTTP/2
//! pings, a watchdog checks the chair's health every few seconds, and when the chair has
//! not answered for [`FollowOptions::stall`] the follow fails saying so. A broken event
//! stream alone is not fatal: the client falls back to polling the results, since the
//! chair finishes the session either way.

use crate::health;
use plenary_core::metrics::MatchResult;
use plenary_proto::v2;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use plenary_scenarios::MatchPlan;
use std::time::Duration;
use tokio::time::Instant;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};
use tracing::debug;

/// Why talking to the chair failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The chair URL does not parse.
    #[error("chair URL `{0}` is not valid")]
    Url(String),
    /// The chair could not be reached in time.
    #[error("the chair at {url} is unreachable: {why}")]
    Unreachable {
        /// Chair URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The chair refused a request.
    #[error("the chair at {url} refused {what}: {code:?}: {message}")]
    Refused {
        /// Chair URL.
        url: String,
        /// The request.
        what: &'static str,
        /// Status code.
        code: tonic::Code,
        /// The chair's reason.
        message: String,
    },
    /// The chair stopped answering while a session was followed.
    #[error(
        "the chair at {url} has not answered for {silent:?} (stalled or gone) while session {session} was running"
    )]
    Stalled {
        /// Chair URL.
        url: String,
        /// Session id.
        session: String,
        /// How long it was silent.
        silent: Duration,
    },
    /// The session did not end within the longest a match of its size can take.
    #[error(
        "session {session} on {url} was not done after {limit:?}, the longest this match can take"
    )]
    TooLong {
        /// Chair URL.
        url: String,
        /// Session id.
        session: String,
        /// The limit.
        limit: Duration,
    },
    /// The session failed on the chair.
    #[error("session {session} failed on the chair: {message}")]
    Failed {
        /// Session id.
        session: String,
        /// The chair's reason.
        message: String,
    },
    /// The results JSON did not parse.
    #[error("the chair's results for session {session} do not parse: {why}")]
    Results {
        /// Session id.
        session: String,
        /// Why.
        why: String,
    },
}

/// How to follow a session.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// Give up when the chair has not answered for this long.
    pub stall: Duration,
    /// Give up when the session has not ended after this long.
    pub limit: Duration,
}

/// A connection to a chair.
pub struct ChairClient {
    url: String,
    client: SecretariatClient<Channel>,
    operator_token: Option<AsciiMetadataValue>,
}

impl ChairClient {
    /// Connects to the chair at `url`, retrying for at most `wait` (a chair that is
    /// starting up). `operator_token` goes with StartSession.
    pub async fn connect(
        url: &str,
        operator_token: Option<&str>,
        wait: Duration,
    ) -> Result<ChairClient, ClientError> {
        let endpoint = Endpoint::from_shared(url.to_string())
            .map_err(|_| ClientError::Url(url.to_string()))?
            .connect_timeout(Duration::from_secs(3))
            .tcp_nodelay(true)
            // Pings reveal a chair that stopped answering (SIGSTOP, a dead host) even
            // while a stream waits quietly for events.
            .http2_keep_alive_interval(Duration::from_secs(5))
            .keep_alive_timeout(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        let operator_token = operator_token
            .map(|t| {
                AsciiMetadataValue::try_from(t).map_err(|_| ClientError::Refused {
                    url: url.to_string(),
                    what: "the operator token",
                    code: tonic::Code::InvalidArgument,
                    message: "it must be printable ASCII".into(),
                })
            })
            .transpose()?;
        let start = Instant::now();
        loop {
            match endpoint.connect().await {
                Ok(channel) => {
                    return Ok(ChairClient {
                        url: url.to_string(),
                        client: SecretariatClient::new(channel)
                            .max_decoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES),
                        operator_token,
                    });
                }
                Err(e) if start.elapsed() < wait => {
                    debug!(%e, "chair not up yet");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    return Err(ClientError::Unreachable {
                        url: url.to_string(),
                        why: e.to_string(),
                    });
                }
            }
        }
    }

    /// The chair's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn refused(&self, what: &'static str, s: &tonic::Status) -> ClientError {
        ClientError::Refused {
            url: self.url.clone(),
            what,
            code: s.code(),
            message: s.message().to_string(),
        }
    }

    /// Starts `plan` on the chair, sending its scenario and design inline (the chair
    /// never opens files named by a client). Retries while the chair is unreachable or
    /// some States have not registered yet, for at most `wait`.
    pub async fn start(
        &mut self,
        plan: &MatchPlan,
        timeout_ms: u64,
        wait: Duration,
    ) -> Result<v2::StartSessionResponse, ClientError> {
        let start = Instant::now();
        loop {
            let mut req = tonic::Request::new(v2::StartSessionRequest {
                scenario_toml: plan.scenario_text.to_string(),
                design_toml: plan.design_text.to_string(),
                seed: plan.seed,
                match_id: plan.match_id.clone(),
                timeout_ms,
                ..Default::default()
            });
            if let Some(t) = &self.operator_token {
                req.metadata_mut()
                    .insert(plenary_proto::OPERATOR_TOKEN_METADATA, t.clone());
            }
            match self.client.start_session(req).await {
                Ok(r) => return Ok(r.into_inner()),
                Err(s)
                    if matches!(
                        s.code(),
                        tonic::Code::Unavailable | tonic::Code::FailedPrecondition
                    ) && start.elapsed() < wait =>
                {
                    debug!(status = %s.message(), "chair not ready yet");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(s) => return Err(self.refused("StartSession", &s)),
            }
        }
    }

    /// The sessions the chair knows.
    pub async fn sessions(&mut self) -> Result<Vec<v2::SessionInfo>, ClientError> {
        self.client
            .list_sessions(v2::ListSessionsRequest {})
            .await
            .map(|r| r.into_inner().sessions)
            .map_err(|s| self.refused("ListSessions", &s))
    }

    /// Streams session `id`'s events to `on_event` until `Done` (or until the chair
    /// stalls), then reads and returns its results JSON.
    pub async fn follow(
        &mut self,
        id: &str,
        opts: FollowOptions,
        mut on_event: impl FnMut(&v2::SessionEvent),
    ) -> Result<String, ClientError> {
        let deadline = Instant::now() + opts.limit;
        let mut events = match self
            .client
            .watch(v2::WatchRequest {
                session_id: id.to_string(),
            })
            .await
        {
            Ok(s) => Some(s.into_inner()),
            Err(s) if s.code() == tonic::Code::NotFound => {
                return Err(self.refused("Watch", &s));
            }
            Err(s) => {
                debug!(status = %s.message(), "watch failed; polling the results");
                None
            }
        };
        let mut last_heard = Instant::now();
        let mut next_probe = Instant::now() + Duration::from_secs(5);
        loop {
            if Instant::now() > deadline {
                return Err(ClientError::TooLong {
                    url: self.url.clone(),
                    session: id.to_string(),
                    limit: opts.limit,
                });
            }
            if last_heard.elapsed() > opts.stall {
                return Err(ClientError::Stalled {
                    url: self.url.clone(),
                    session: id.to_string(),
                    silent: last_heard.elapsed(),
                });
            }
            match events.as_mut() {
                Some(stream) => {
                    let probe = tokio::time::sleep_until(next_probe);
                    tokio::select! {
                        m = stream.message() => match m {
                            Ok(Some(e)) => {
                                last_heard = Instant::now();
                                let done = matches!(e.event, Some(v2::session_event::Event::Done(_)));
                                on_event(&e);
                                if done {
                                    return self.results(id).await;
                                }
                            }
                            Ok(None) => events = None,
                            Err(s) => {
                                debug!(status = %s.message(), "event stream broke; polling the results");
                                events = None;
                            }
                        },
                        _ = probe => {
                            next_probe = Instant::now() + Duration::from_secs(5);
                            if health::check(&self.url, "", Duration::from_secs(5)).await.is_ok() {
                                last_heard = Instant::now();
                            }
                        }
                    }
                }
                None => {
                    match self.poll(id).await {
                        Ok(Some(json)) => return Ok(json),
                        Ok(None) => last_heard = Instant::now(),
                        Err(e @ ClientError::Failed { .. }) => return Err(e),
                        Err(e @ ClientError::Refused { .. }) => return Err(e),
                        Err(e) => debug!(%e, "the chair did not answer"),
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    }

    /// One poll of the results: `Some(json)` once done.
    pub async fn poll(&mut self, id: &str) -> Result<Option<String>, ClientError> {
        let mut req = tonic::Request::new(v2::GetResultsRequest {
            session_id: id.to_string(),
        });
        req.set_timeout(Duration::from_secs(5));
        match self.client.get_results(req).await {
            Ok(r) => {
                let r = r.into_inner();
                Ok(r.done.then_some(r.results_json))
            }
            Err(s) if s.code() == tonic::Code::Internal => Err(ClientError::Failed {
                session: id.to_string(),
                message: s.message().to_string(),
            }),
            Err(s) if s.code() == tonic::Code::NotFound => Err(self.refused("GetResults", &s)),
            Err(s) => Err(ClientError::Unreachable {
                url: self.url.clone(),
                why: s.message().to_string(),
            }),
        }
    }

    async fn results(&mut self, id: &str) -> Result<String, ClientError> {
        let start = Instant::now();
        loop {
            match self.poll(id).await {
                Ok(Some(json)) => return Ok(json),
                Ok(None) | Err(ClientError::Unreachable { .. })
                    if start.elapsed() < Duration::from_secs(30) =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(None) => {
                    return Err(ClientError::Failed {
                        session: id.to_string(),
                        message: "Done was announced but the results never came".into(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts `plan`, follows it and parses its results.
    pub async fn run(
        &mut self,
        plan: &MatchPlan,
        timeout_ms: u64,
        wait: Duration,
        stall: Duration,
        on_event: impl FnMut(&v2::SessionEvent),
    ) -> Result<MatchResult, ClientError> {
        let started = self.start(plan, timeout_ms, wait).await?;
        let limit = match_limit(plan, timeout_ms);
        let json = self
            .follow(
                &started.session_id,
                FollowOptions { stall, limit },
                on_event,
            )
            .await?;
        serde_json::from_str(&json).map_err(|e| ClientError::Results {
            session: started.session_id,
            why: e.to_string(),
        })
    }
}

/// The longest a match of `plan` can take on a chair: every question waits at most one
/// deadline, plus a minute.
pub fn match_limit(plan: &MatchPlan, timeout_ms: u64) -> Duration {
    let questions = plan.new_match().max_questions();
    Duration::from_millis(questions.saturating_mul(timeout_ms.max(1))) + Duration::from_secs(60)
}
