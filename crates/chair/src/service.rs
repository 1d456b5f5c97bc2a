//! The `plenary.v1.Secretariat` service: registration, sessions, results and events.
//!
//! Delegations register the endpoint that plays a State with that State's token (a
//! wrong token is `PERMISSION_DENIED`, and the State stays with whoever registered it
//! rightfully). `StartSession` loads the scenario and design, checks that every State
//! has a delegation and runs the match in the background with the remote driver;
//! `Watch` streams the session's events (history first, then live) and `GetResults`
//! returns the results as JSON once the match is over. Should the driver panic, the
//! session still ends: `Watch` gets `Done` (not complete) and `GetResults` an error.

use crate::driver::{CallConfig, Directory, MAX_TIMEOUT_MS, run_remote_with};
use futures::FutureExt;
use plenary_core::{Match, MatchSetup};
use plenary_proto::v1;
use plenary_proto::v1::secretariat_server::{Secretariat as SecretariatApi, SecretariatServer};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tracing::{debug, info, instrument, warn};

/// Full gRPC name of the secretariat service (as reported by health checks).
pub const SERVICE_NAME: &str = "plenary.v1.Secretariat";

/// Why serving stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the descriptor set.
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Who may register for which State.
#[derive(Debug, Clone, Default)]
pub enum Tokens {
    /// Anyone may register for any State (development only).
    #[default]
    Open,
    /// Only the holder of a State's token may register for it; States without a token
    /// cannot be registered.
    Required(HashMap<String, String>),
}

impl Tokens {
    fn admits(&self, state: &str, token: &str) -> bool {
        match self {
            Tokens::Open => true,
            Tokens::Required(map) => map
                .get(state)
                .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes())),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How the chair runs.
#[derive(Debug, Clone, Default)]
pub struct ChairConfig {
    /// Registration tokens per State.
    pub tokens: Tokens,
    /// Default deadlines of calls to delegations.
    pub call: CallConfig,
}

/// Events a live watcher may fall behind by before it resumes from the session log.
const EVENT_BUFFER: usize = 1024;

#[derive(Debug)]
struct SessionLog {
    events: Vec<v1::SessionEvent>,
    /// The results JSON once the match is over, or why the session failed.
    results: Option<Result<String, String>>,
}

#[derive(Debug)]
struct Session {
    id: String,
    match_id: String,
    log: Mutex<SessionLog>,
    tx: broadcast::Sender<v1::SessionEvent>,
}

impl Session {
    fn new(id: String, match_id: String, capacity: usize) -> Session {
        Session {
            id,
            match_id,
            log: Mutex::new(SessionLog {
                events: Vec::new(),
                results: None,
            }),
            tx: broadcast::channel(capacity).0,
        }
    }

    /// Events from `seq` on (from the stored log).
    fn events_from(&self, seq: u64) -> Vec<v1::SessionEvent> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.events
            .get(usize::try_from(seq).unwrap_or(usize::MAX)..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    fn push(&self, event: v1::session_event::Event) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let e = v1::SessionEvent {
            session_id: self.id.clone(),
            seq: log.events.len() as u64,
            event: Some(event),
        };
        log.events.push(e.clone());
        // Sent under the lock, so a watcher that snapshots the history under the same
        // lock sees every event exactly once.
        let _ = self.tx.send(e);
    }

    fn done(&self) -> bool {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .results
            .is_some()
    }
}

/// The secretariat: the State directory, the tokens and the sessions.
#[derive(Clone)]
pub struct Secretariat {
    directory: Directory,
    config: Arc<ChairConfig>,
    sessions: Arc<Mutex<Vec<Arc<Session>>>>,
    counter: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
}

impl Secretariat {
    /// A secretariat with no registrations. Watch streams end when `stop` turns true.
    pub fn new(config: ChairConfig, stop: watch::Receiver<bool>) -> Self {
        Secretariat {
            directory: Directory::new(),
            config: Arc::new(config),
            sessions: Arc::new(Mutex::new(Vec::new())),
            counter: Arc::new(AtomicU64::new(0)),
            stop,
        }
    }

    /// The State directory (shared with running drivers).
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The tonic server of this service, with plenary's message size limits.
    pub fn into_server(self) -> SecretariatServer<Self> {
        SecretariatServer::new(self)
            .max_decoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
    }

    fn find(&self, id: &str) -> Result<Arc<Session>, Status> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let found = if id.is_empty() {
            sessions.last()
        } else {
            sessions.iter().find(|s| s.id == id)
        };
        found.cloned().ok_or_else(|| {
            if id.is_empty() {
                Status::not_found("no session has been started")
            } else {
                Status::not_found(format!("no session `{id}`"))
            }
        })
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<v1::SessionEvent, Status>> + Send>>;

#[tonic::async_trait]
impl SecretariatApi for Secretariat {
    #[instrument(skip_all, fields(state = %request.get_ref().state, endpoint = %request.get_ref().endpoint))]
    async fn register(
        &self,
        request: Request<v1::RegisterRequest>,
    ) -> Result<Response<v1::RegisterResponse>, Status> {
        let r = request.into_inner();
        if r.state.is_empty() {
            return Err(Status::invalid_argument("field `state` is empty"));
        }
        if !self.config.tokens.admits(&r.state, &r.token) {
            warn!("registration refused: wrong token");
            return Err(Status::permission_denied(format!(
                "the token does not match State `{}`",
                r.state
            )));
        }
        let uri: tonic::codegen::http::Uri = r
            .endpoint
            .parse()
            .map_err(|e| Status::invalid_argument(format!("field `endpoint` is not a URL: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http")) || uri.host().is_none() {
            return Err(Status::invalid_argument(
                "field `endpoint` must be an http://HOST:PORT URL",
            ));
        }
        // Calls to the delegation carry the token it registered with, so a delegation
        // started with its token answers the chair only.
        let token = (!r.token.is_empty()).then(|| r.token.clone());
        let generation =
            self.directory
                .register_with_token(&r.state, &r.endpoint, &r.strategy, token);
        info!(generation, "delegation registered");
        Ok(Response::new(v1::RegisterResponse {
            ok: true,
            generation,
        }))
    }

    #[instrument(skip_all, fields(scenario = %request.get_ref().scenario, design = %request.get_ref().design, seed = request.get_ref().seed))]
    async fn start_session(
        &self,
        request: Request<v1::StartSessionRequest>,
    ) -> Result<Response<v1::StartSessionResponse>, Status> {
        let r = request.into_inner();
        let scenario = plenary_scenarios::load_scenario(&r.scenario)
            .map_err(|e| Status::invalid_argument(format!("scenario `{}`: {e}", r.scenario)))?;
        let design_spec = if r.design.is_empty() {
            scenario
                .default_design
                .clone()
                .unwrap_or_else(|| "osce-2021".to_string())
        } else {
            r.design.clone()
        };
        let design = plenary_scenarios::load_design(&design_spec)
            .map_err(|e| Status::invalid_argument(format!("design `{design_spec}`: {e}")))?;
        design.validate_for(&design_spec, &scenario).map_err(|e| {
            Status::invalid_argument(format!(
                "design `{design_spec}` does not fit the scenario: {e}"
            ))
        })?;
        let n = scenario.states.len();
        let mut missing = Vec::new();
        let mut registered = Vec::with_capacity(n);
        for s in &scenario.states {
            match self.directory.get(&s.id) {
                Some(reg) => registered.push(reg.strategy),
                None => missing.push(s.id.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(Status::failed_precondition(format!(
                "{} of {n} States have no registered delegation: {}",
                missing.len(),
                missing.join(", ")
            )));
        }
        let strategies = if r.strategies.is_empty() {
            registered
        } else if r.strategies.len() == n {
            r.strategies
        } else {
            return Err(Status::invalid_argument(format!(
                "field `strategies` has {} names for {n} States",
                r.strategies.len()
            )));
        };
        let match_id = if r.match_id.is_empty() {
            format!("{}:{}:{}", scenario.id, design.design.id, r.seed)
        } else {
            r.match_id
        };
        let mut call = self.config.call;
        if r.timeout_ms > MAX_TIMEOUT_MS {
            return Err(Status::invalid_argument(format!(
                "field `timeout_ms` is {} ms; at most {MAX_TIMEOUT_MS} (one hour), or 0 for the chair's default",
                r.timeout_ms
            )));
        }
        if r.timeout_ms > 0 {
            call.timeout = Duration::from_millis(r.timeout_ms);
        }
        let session = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            if sessions.iter().any(|s| s.match_id == match_id && !s.done()) {
                return Err(Status::already_exists(format!(
                    "match `{match_id}` is already running"
                )));
            }
            let id = format!("s{}", self.counter.fetch_add(1, Ordering::Relaxed) + 1);
            let session = Arc::new(Session::new(id, match_id.clone(), EVENT_BUFFER));
            sessions.push(Arc::clone(&session));
            session
        };
        let m = Match::new(
            Arc::new(scenario),
            Arc::new(design),
            MatchSetup {
                match_id: match_id.clone(),
                seed: r.seed,
                strategies,
            },
        );
        info!(session = %session.id, %match_id, "session started");
        let runner = Arc::clone(&session);
        let dir = self.directory.clone();
        tokio::spawn(async move {
            let sink_session = Arc::clone(&runner);
            let sink = Box::new(move |e| {
                // `Done` is announced once the results can be read (below).
                if !matches!(e, v1::session_event::Event::Done(_)) {
                    sink_session.push(e);
                }
            });
            // A panic of the driver must still end the session: otherwise watchers
            // wait forever and the match id stays taken.
            let run = std::panic::AssertUnwindSafe(run_remote_with(m, dir, call, Some(sink)));
            let (results, done) = match run.catch_unwind().await {
                Ok(result) => {
                    let json = serde_json::to_string_pretty(&result).unwrap_or_else(|e| {
                        warn!(%e, "results do not serialize");
                        String::new()
                    });
                    info!(session = %runner.id, violations = result.violations.len(), "session done");
                    let done = v1::Done {
                        complete: result.complete,
                        violations: result.violations.len() as u32,
                    };
                    (Ok(json), done)
                }
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    warn!(session = %runner.id, panic = %what, "session failed: the driver panicked");
                    let done = v1::Done {
                        complete: false,
                        violations: 0,
                    };
                    (Err(format!("the chair's driver panicked: {what}")), done)
                }
            };
            runner.log.lock().unwrap_or_else(|e| e.into_inner()).results = Some(results);
            runner.push(v1::session_event::Event::Done(done));
        });
        Ok(Response::new(v1::StartSessionResponse {
            session_id: session.id.clone(),
            match_id,
        }))
    }

    #[instrument(skip_all, fields(session = %request.get_ref().session_id))]
    async fn get_results(
        &self,
        request: Request<v1::GetResultsRequest>,
    ) -> Result<Response<v1::GetResultsResponse>, Status> {
        let session = self.find(&request.into_inner().session_id)?;
        let log = session.log.lock().unwrap_or_else(|e| e.into_inner());
        Ok(Response::new(match &log.results {
            Some(Ok(json)) => v1::GetResultsResponse {
                done: true,
                results_json: json.clone(),
            },
            Some(Err(e)) => {
                return Err(Status::internal(format!(
                    "session `{}` failed: {e}",
                    session.id
                )));
            }
            None => v1::GetResultsResponse {
                done: false,
                results_json: String::new(),
            },
        }))
    }

    type WatchStream = EventStream;

    #[instrument(skip_all, fields(session = %request.get_ref().session_id))]
    async fn watch(
        &self,
        request: Request<v1::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let session = self.find(&request.into_inner().session_id)?;
        let (history, live) = {
            let log = session.log.lock().unwrap_or_else(|e| e.into_inner());
            (log.events.clone(), session.tx.subscribe())
        };
        let (out, rx) = mpsc::channel(256);
        tokio::spawn(forward(session, history, live, out, self.stop.clone()));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// Sends a session's events to a watcher: `history` first, then live events from
/// `live`, until `Done` (or the watcher leaves, or the chair stops). A watcher that
/// falls behind the live channel resumes from the session's stored log.
async fn forward(
    session: Arc<Session>,
    history: Vec<v1::SessionEvent>,
    mut live: broadcast::Receiver<v1::SessionEvent>,
    out: mpsc::Sender<Result<v1::SessionEvent, Status>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut next = 0u64;
    if send_from(&out, &mut next, history).await {
        return;
    }
    loop {
        tokio::select! {
            _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                let _ = out.send(Err(Status::unavailable("the chair is shutting down"))).await;
                return;
            }
            r = live.recv() => match r {
                Ok(e) => {
                    if send_from(&out, &mut next, [e]).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(k)) => {
                    debug!(session = %session.id, skipped = k, "watcher fell behind; resuming from the log");
                    let backlog = session.events_from(next);
                    if send_from(&out, &mut next, backlog).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// Sends the events numbered `next` or later, advancing `next`; true when the watch is
/// over (`Done` sent, or the watcher left).
async fn send_from(
    out: &mpsc::Sender<Result<v1::SessionEvent, Status>>,
    next: &mut u64,
    events: impl IntoIterator<Item = v1::SessionEvent>,
) -> bool {
    for e in events {
        if e.seq < *next {
            continue;
        }
        let done = matches!(e.event, Some(v1::session_event::Event::Done(_)));
        *next = e.seq + 1;
        if out.send(Ok(e)).await.is_err() || done {
            return true;
        }
    }
    false
}

/// Serves the secretariat on `listener` until `shutdown` completes; then ends watch
/// streams and drains in-flight calls (at most `grace`). Also serves
/// `grpc.health.v1.Health` (SERVING for `""` and [`SERVICE_NAME`]) and reflection.
pub async fn serve(
    config: ChairConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let secretariat = Secretariat::new(config, stop_rx);
    serve_secretariat(
        secretariat,
        stop_tx,
        listener,
        shutdown,
        Duration::from_secs(5),
    )
    .await
}

/// [`serve`] for a secretariat built beforehand; `stop` must be the sender of the
/// receiver it was built with.
pub async fn serve_secretariat(
    secretariat: Secretariat,
    stop: watch::Sender<bool>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(plenary_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    info!(addr = ?listener.local_addr().ok(), "chair serving");
    let (drain_tx, mut drain_rx) = watch::channel(false);
    let server = tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection)
        .add_service(secretariat.into_server())
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            async move {
                shutdown.await;
                info!("chair shutting down");
                let _ = stop.send(true);
                let _ = drain_tx.send(true);
            },
        );
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r?,
        _ = async {
            let drained = drain_rx.wait_for(|d| *d).await.is_ok();
            if !drained {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        } => warn!("in-flight calls did not drain within the grace period"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use v1::session_event::Event;

    fn end(session: u32) -> Event {
        Event::SessionEnd(v1::SessionEnded { session, states: 1 })
    }

    #[tokio::test]
    async fn a_lagging_watcher_resumes_from_the_log() {
        // A live channel of 4 events: the watcher below falls far behind it.
        let session = Arc::new(Session::new("s1".into(), "m".into(), 4));
        session.push(end(0));
        let (history, live) = {
            let log = session.log.lock().unwrap();
            (log.events.clone(), session.tx.subscribe())
        };
        for i in 1..40 {
            session.push(end(i));
        }
        session.push(Event::Done(v1::Done {
            complete: true,
            violations: 0,
        }));
        let (out, mut rx) = mpsc::channel(256);
        let (_stop_tx, stop) = watch::channel(false);
        tokio::time::timeout(
            Duration::from_secs(10),
            forward(Arc::clone(&session), history, live, out, stop),
        )
        .await
        .expect("the watch ends at Done");
        let mut seqs = Vec::new();
        while let Some(e) = rx.recv().await {
            seqs.push(e.expect("no error").seq);
        }
        assert_eq!(
            seqs,
            (0..41).collect::<Vec<u64>>(),
            "every event once, in order"
        );
    }
}
