//! The `plenary.v2.Secretariat` service: registration, sessions, results and events.
//!
//! Delegations register the endpoint that plays a State with that State's token (a
//! wrong token is `PERMISSION_DENIED`) and keep the registration stream open; a new
//! registration for the State replaces the old one, which is told (`Replaced`), logged
//! at the default level and recorded in the session's events. `StartSession` takes a
//! preset id or inline TOML (the chair never opens a file a caller names), resolves the
//! match plan, checks that every State has a delegation and runs the match in the
//! background with the remote driver; `Watch` streams the session's events (history
//! first, then live) and `GetResults` returns the results as JSON once the match is
//! over. Finished sessions beyond [`ChairConfig::keep_finished`] leave memory, oldest
//! first. Should the driver panic, the session still ends: `Watch` gets `Done` (not
//! complete) and `GetResults` an error.

use crate::driver::{CallConfig, DriveConfig, MAX_TIMEOUT_MS, Recorder, Route, Routes, run_match};
use crate::journal::{self, Header, JOURNAL_VERSION, Journal, SessionFiles};
use crate::link::{Hub, LinkConfig};
use futures::FutureExt;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::secretariat_server::{Secretariat as SecretariatApi, SecretariatServer};
use plenary_scenarios::{MatchPlan, PlanRequest, Source, Strategies};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tracing::{debug, info, instrument, warn};

pub use plenary_proto::SECRETARIAT_SERVICE as SERVICE_NAME;

/// Why serving stopped (or could not start).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the descriptor set.
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The listener's address could not be read.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
    /// The chair would listen beyond loopback without the tokens that protect it.
    #[error(
        "refusing to listen on {addr} (beyond loopback) without {missing}: anyone who can reach it could take a State's seat or start sessions; give --tokens and --operator-token-file (or PLENARY_OPERATOR_TOKEN), or listen on 127.0.0.1"
    )]
    Insecure {
        /// The address.
        addr: std::net::SocketAddr,
        /// What is missing.
        missing: &'static str,
    },
}

/// Who may register for which State.
#[derive(Debug, Clone, Default)]
pub enum Tokens {
    /// Anyone may register for any State (development on loopback only).
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
#[derive(Debug, Clone)]
pub struct ChairConfig {
    /// Registration tokens per State.
    pub tokens: Tokens,
    /// Token an operator must send (metadata `x-plenary-operator-token`) to start
    /// sessions; `None` lets anyone who reaches the chair start them (loopback only).
    pub operator_token: Option<String>,
    /// Default deadlines of questions to delegations.
    pub call: CallConfig,
    /// Finished sessions kept in memory for GetResults and Watch (older ones are
    /// dropped, oldest first; running sessions are always kept). With a state
    /// directory, results of dropped sessions are still read from disk.
    pub keep_finished: usize,
    /// Where sessions are journaled (`STATE_DIR/sessions/`): a restarted chair resumes
    /// every match in flight and still serves the results of finished ones.
    pub state_dir: Option<PathBuf>,
    /// Flush every journal record to disk (fsync): survives a machine crash, not just a
    /// killed process, at the cost of a disk flush per question.
    pub sync_journal: bool,
}

impl Default for ChairConfig {
    fn default() -> Self {
        ChairConfig {
            tokens: Tokens::Open,
            operator_token: None,
            call: CallConfig::default(),
            keep_finished: 64,
            state_dir: None,
            sync_journal: false,
        }
    }
}

/// Connections the chair accepts at once (delegations, registrations, operators,
/// watchers): past it a new connection is closed at once.
pub const MAX_CONNECTIONS: usize = 4096;

/// Events a live watcher may fall behind by before it resumes from the session log.
const EVENT_BUFFER: usize = 1024;

/// One State's registration.
#[derive(Debug)]
struct Entry {
    endpoint: String,
    token: Option<String>,
    generation: u64,
    /// Tells the registration's stream it was replaced.
    replaced: Option<oneshot::Sender<v2::Replaced>>,
}

/// Which endpoint plays which State: shared between the secretariat (which registers)
/// and running drivers (which follow re-registrations).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    inner: Arc<Mutex<HashMap<String, Entry>>>,
    version: Arc<AtomicU64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Self {
        Directory::default()
    }

    /// Registers (or re-registers) `state` at `endpoint`; the stream of the registration
    /// it replaces (if any) is told. Returns the new generation and a receiver that fires
    /// when this registration is replaced in turn.
    pub fn register(
        &self,
        state: &str,
        endpoint: &str,
        token: Option<String>,
    ) -> (u64, oneshot::Receiver<v2::Replaced>) {
        let (tx, rx) = oneshot::channel();
        let mut map = lock(&self.inner);
        let generation = map.get(state).map_or(0, |e| e.generation) + 1;
        let old = map.insert(
            state.to_string(),
            Entry {
                endpoint: endpoint.to_string(),
                token,
                generation,
                replaced: Some(tx),
            },
        );
        self.version.fetch_add(1, Ordering::AcqRel);
        if let Some(mut old) = old
            && let Some(tx) = old.replaced.take()
        {
            let _ = tx.send(v2::Replaced {
                generation,
                endpoint: endpoint.to_string(),
            });
        }
        (generation, rx)
    }

    /// Whether `state` is registered.
    pub fn contains(&self, state: &str) -> bool {
        lock(&self.inner).contains_key(state)
    }
}

impl Routes for Directory {
    fn route(&self, state: &str) -> Option<Route> {
        lock(&self.inner).get(state).map(|e| Route {
            endpoint: e.endpoint.clone(),
            token: e.token.clone(),
            generation: e.generation,
        })
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
}

#[derive(Debug)]
struct SessionLog {
    events: Vec<v2::SessionEvent>,
    /// The results JSON once the match is over, or why the session failed.
    results: Option<Result<String, String>>,
    /// Finished before this chair started: the results are in the session's file.
    on_disk: bool,
}

#[derive(Debug)]
struct Session {
    id: String,
    match_id: String,
    scenario: String,
    design: String,
    log: Mutex<SessionLog>,
    tx: broadcast::Sender<v2::SessionEvent>,
    /// The session's journal and results files, when the chair keeps state.
    files: Option<SessionFiles>,
}

impl Session {
    fn new(id: String, plan: &MatchPlan, capacity: usize, files: Option<SessionFiles>) -> Session {
        Session {
            files,
            id,
            match_id: plan.match_id.clone(),
            scenario: plan.scenario.id.clone(),
            design: plan.design.design.id.clone(),
            log: Mutex::new(SessionLog {
                events: Vec::new(),
                results: None,
                on_disk: false,
            }),
            tx: broadcast::channel(capacity).0,
        }
    }

    /// Events from `seq` on (from the stored log).
    fn events_from(&self, seq: u64) -> Vec<v2::SessionEvent> {
        let log = lock(&self.log);
        log.events
            .get(usize::try_from(seq).unwrap_or(usize::MAX)..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    fn push(&self, event: v2::session_event::Event) {
        let mut log = lock(&self.log);
        let e = v2::SessionEvent {
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
        let log = lock(&self.log);
        log.results.is_some() || log.on_disk
    }
}

/// The secretariat: the State directory, the tokens, the links and the sessions.
#[derive(Clone)]
pub struct Secretariat {
    directory: Directory,
    config: Arc<ChairConfig>,
    hub: Hub,
    chair_id: Arc<str>,
    sessions: Arc<Mutex<VecDeque<Arc<Session>>>>,
    stop: watch::Receiver<bool>,
}

fn random_id(prefix: &str) -> String {
    format!("{prefix}{:012x}", rand::random::<u64>() >> 16)
}

impl Secretariat {
    /// A secretariat with no registrations. Streams end when `stop` turns true.
    pub fn new(config: ChairConfig, stop: watch::Receiver<bool>) -> Self {
        let chair_id: Arc<str> = random_id("chair-").into();
        let hub = Hub::new(
            LinkConfig {
                connect_timeout: config.call.connect_timeout,
            },
            &chair_id,
        );
        Secretariat {
            directory: Directory::new(),
            config: Arc::new(config),
            hub,
            chair_id,
            sessions: Arc::new(Mutex::new(VecDeque::new())),
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
            .max_decoding_message_size(limits::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(limits::MAX_MESSAGE_BYTES)
    }

    /// Runs a session's match in the background (replaying `replay` first, for a
    /// resumed session) and stores its results.
    fn launch(
        &self,
        session: Arc<Session>,
        plan: &MatchPlan,
        call: CallConfig,
        recorder: Option<Box<dyn Recorder>>,
        replay: Option<VecDeque<journal::Record>>,
    ) {
        let this = self.clone();
        let m = plan.new_match();
        let states: Vec<String> = plan.scenario.states.iter().map(|s| s.id.clone()).collect();
        tokio::spawn(async move {
            if replay.is_some() {
                // A resumed match waits (a while) for its delegations to register
                // again, so the question in flight finds them.
                this.wait_registered(&states, Duration::from_secs(60)).await;
            }
            let sink_session = Arc::clone(&session);
            let cfg = DriveConfig {
                hub: this.hub.clone(),
                routes: Arc::new(this.directory.clone()),
                call,
                sink: Some(Box::new(move |e| {
                    // `Done` is announced once the results can be read.
                    if !matches!(e, v2::session_event::Event::Done(_)) {
                        sink_session.push(e);
                    }
                })),
                recorder,
                replay,
            };
            finish(&session, run_match(m, cfg)).await;
            this.evict();
        });
    }

    async fn wait_registered(&self, states: &[String], limit: Duration) {
        let start = tokio::time::Instant::now();
        while start.elapsed() < limit && !states.iter().all(|s| self.directory.contains(s)) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks up the sessions journaled under the state directory: finished ones are
    /// listed (their results are on disk), unfinished ones resume. Returns how many
    /// resumed. A journal that cannot be read is reported and left alone.
    pub fn resume(&self) -> Result<usize, journal::JournalError> {
        let Some(dir) = self.config.state_dir.clone() else {
            return Ok(0);
        };
        let sessions_dir = journal::prepare_dir(&dir)?;
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&sessions_dir)
            .map_err(|error| journal::JournalError::Io {
                path: sessions_dir.clone(),
                error,
            })?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "journal"))
            .collect();
        entries.sort();
        let mut resumed = 0;
        for path in entries {
            let read = match journal::read(&path) {
                Ok(r) => r,
                Err(e) => {
                    warn!(%e, "a journal cannot be read; its session is not resumed");
                    continue;
                }
            };
            let h = &read.header;
            let plan = match MatchPlan::resolve(PlanRequest {
                scenario: Source::Inline {
                    origin: format!("{} (journaled scenario)", h.session_id),
                    text: h.scenario_toml.clone(),
                },
                design: Some(Source::Inline {
                    origin: format!("{} (journaled design)", h.session_id),
                    text: h.design_toml.clone(),
                }),
                seed: h.seed,
                strategies: Strategies::Announced,
                match_id: Some(h.match_id.clone()),
            }) {
                Ok(p) => p,
                Err(e) => {
                    warn!(session = %h.session_id, %e, "a journaled match no longer loads");
                    continue;
                }
            };
            let files = SessionFiles::new(&dir, &h.session_id);
            let session = Arc::new(Session::new(
                h.session_id.clone(),
                &plan,
                EVENT_BUFFER,
                Some(files.clone()),
            ));
            if read.done {
                // Finished before the restart: GetResults reads its file.
                lock(&session.log).on_disk = true;
                lock(&self.sessions).push_back(session);
                continue;
            }
            let recorder = match Journal::append(&files.journal, self.config.sync_journal) {
                Ok(j) => j,
                Err(e) => {
                    warn!(%e, "a journal cannot be appended to; its session is not resumed");
                    continue;
                }
            };
            let call = CallConfig {
                timeout: Duration::from_millis(h.timeout_ms.clamp(1, MAX_TIMEOUT_MS)),
                ..self.config.call
            };
            info!(session = %h.session_id, match_id = %h.match_id, records = read.records.len(), "resuming a journaled session");
            lock(&self.sessions).push_back(Arc::clone(&session));
            self.launch(
                session,
                &plan,
                call,
                Some(Box::new(recorder)),
                Some(read.records),
            );
            resumed += 1;
        }
        self.evict();
        Ok(resumed)
    }

    fn find(&self, id: &str) -> Result<Arc<Session>, Status> {
        let sessions = lock(&self.sessions);
        let found = if id.is_empty() {
            sessions.back()
        } else {
            sessions.iter().find(|s| s.id == id)
        };
        found.cloned().ok_or_else(|| {
            if id.is_empty() {
                Status::not_found("no session has been started")
            } else {
                Status::not_found(format!("no session {}", limits::prefix(id)))
            }
        })
    }

    /// The results file of session `id`, if the chair keeps state and has one. Only ids
    /// of the chair's own form are looked up: a caller never names a path.
    fn results_on_disk(&self, id: &str) -> Option<String> {
        let dir = self.config.state_dir.as_deref()?;
        if !is_session_id(id) {
            return None;
        }
        let path = SessionFiles::new(dir, id).results;
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > limits::MAX_MESSAGE_BYTES as u64 {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }

    /// Drops the oldest finished sessions beyond the configured number.
    fn evict(&self) {
        let mut sessions = lock(&self.sessions);
        let mut finished = sessions.iter().filter(|s| s.done()).count();
        let keep = self.config.keep_finished;
        sessions.retain(|s| {
            if finished > keep && s.done() {
                finished -= 1;
                false
            } else {
                true
            }
        });
    }

    fn plan(&self, r: &v2::StartSessionRequest) -> Result<MatchPlan, Status> {
        let source = |field: &str, id: &str, text: &str| -> Result<Option<Source>, Status> {
            match (id.is_empty(), text.is_empty()) {
                (false, false) => Err(Status::invalid_argument(format!(
                    "give `{field}` or `{field}_toml`, not both"
                ))),
                (true, true) => Ok(None),
                (false, true) => {
                    limits::check_state(field, id).map_err(Status::invalid_argument)?;
                    Ok(Some(Source::Preset(id.to_string())))
                }
                (true, false) => {
                    if text.len() > limits::MAX_INLINE_TOML_BYTES {
                        return Err(Status::invalid_argument(format!(
                            "field `{field}_toml` is {} bytes; at most {}",
                            text.len(),
                            limits::MAX_INLINE_TOML_BYTES
                        )));
                    }
                    Ok(Some(Source::Inline {
                        origin: format!("{field}_toml"),
                        text: text.to_string(),
                    }))
                }
            }
        };
        let scenario = source("scenario", &r.scenario, &r.scenario_toml)?.ok_or_else(|| {
            Status::invalid_argument("field `scenario` (or `scenario_toml`) is empty")
        })?;
        let design = source("design", &r.design, &r.design_toml)?;
        if !r.match_id.is_empty() {
            limits::check_match_id("match_id", &r.match_id).map_err(Status::invalid_argument)?;
        }
        MatchPlan::resolve(PlanRequest {
            scenario,
            design,
            seed: r.seed,
            strategies: Strategies::Announced,
            match_id: (!r.match_id.is_empty()).then(|| r.match_id.clone()),
        })
        .map_err(|e| Status::invalid_argument(limits::truncate(&e.to_string(), 4096).to_string()))
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<v2::SessionEvent, Status>> + Send>>;
type RegistrationStream = Pin<Box<dyn Stream<Item = Result<v2::RegistrationEvent, Status>> + Send>>;

#[tonic::async_trait]
impl SecretariatApi for Secretariat {
    type RegisterStream = RegistrationStream;

    #[instrument(skip_all, fields(state = %limits::truncate(&request.get_ref().state, 64)))]
    async fn register(
        &self,
        request: Request<v2::RegisterRequest>,
    ) -> Result<Response<Self::RegisterStream>, Status> {
        let r = request.into_inner();
        limits::check_state("state", &r.state).map_err(Status::invalid_argument)?;
        limits::check_token("token", &r.token).map_err(Status::invalid_argument)?;
        if !self.config.tokens.admits(&r.state, &r.token) {
            warn!("registration refused: wrong token");
            return Err(Status::permission_denied(format!(
                "the token does not match State `{}`",
                r.state
            )));
        }
        limits::check_endpoint("endpoint", &r.endpoint).map_err(Status::invalid_argument)?;
        // Calls to the delegation carry the token it registered with, so a delegation
        // started with its token answers the chair only.
        let token = (!r.token.is_empty()).then(|| r.token.clone());
        let replacing = self.directory.contains(&r.state);
        let (generation, replaced) = self.directory.register(&r.state, &r.endpoint, token);
        if replacing {
            // A second registration of a State is a restart, or someone else holding its
            // token: either way the operator should see it.
            warn!(generation, endpoint = %r.endpoint, "State registered again: its seats move to the new endpoint");
        } else {
            info!(generation, endpoint = %r.endpoint, "delegation registered");
        }
        let (tx, rx) = mpsc::channel(2);
        let first = v2::RegistrationEvent {
            event: Some(v2::registration_event::Event::Registered(v2::Registered {
                generation,
                chair_id: self.chair_id.to_string(),
            })),
        };
        let mut stop = self.stop.clone();
        tokio::spawn(async move {
            if tx.send(Ok(first)).await.is_err() {
                return;
            }
            tokio::select! {
                r = replaced => {
                    if let Ok(rep) = r {
                        let _ = tx.send(Ok(v2::RegistrationEvent {
                            event: Some(v2::registration_event::Event::Replaced(rep)),
                        })).await;
                    }
                }
                _ = async { let _ = stop.wait_for(|s| *s).await; } => {}
                _ = tx.closed() => {}
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    #[instrument(skip_all, fields(scenario = %limits::truncate(&request.get_ref().scenario, 64), seed = request.get_ref().seed))]
    async fn start_session(
        &self,
        request: Request<v2::StartSessionRequest>,
    ) -> Result<Response<v2::StartSessionResponse>, Status> {
        if let Some(op) = &self.config.operator_token {
            let given = request
                .metadata()
                .get(plenary_proto::OPERATOR_TOKEN_METADATA)
                .map(|v| v.as_bytes());
            if !given.is_some_and(|g| constant_time_eq(g, op.as_bytes())) {
                return Err(Status::unauthenticated(format!(
                    "starting a session needs the operator token in metadata `{}`",
                    plenary_proto::OPERATOR_TOKEN_METADATA
                )));
            }
        }
        let r = request.into_inner();
        if r.timeout_ms > MAX_TIMEOUT_MS {
            return Err(Status::invalid_argument(format!(
                "field `timeout_ms` is {} ms; at most {MAX_TIMEOUT_MS} (one hour), or 0 for the chair's default",
                r.timeout_ms
            )));
        }
        let plan = self.plan(&r)?;
        let missing: Vec<&str> = plan
            .scenario
            .states
            .iter()
            .filter(|s| !self.directory.contains(&s.id))
            .map(|s| s.id.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Status::failed_precondition(format!(
                "{} of {} States have no registered delegation: {}",
                missing.len(),
                plan.scenario.states.len(),
                missing.join(", ")
            )));
        }
        let mut call = self.config.call;
        if r.timeout_ms > 0 {
            call.timeout = Duration::from_millis(r.timeout_ms);
        }
        let session = {
            let mut sessions = lock(&self.sessions);
            if sessions
                .iter()
                .any(|s| s.match_id == plan.match_id && !s.done())
            {
                return Err(Status::already_exists(format!(
                    "match `{}` is already running",
                    plan.match_id
                )));
            }
            // Unique across restarts too: an id whose files exist is taken.
            let taken = |id: &str| {
                sessions.iter().any(|s| s.id == id)
                    || self.config.state_dir.as_deref().is_some_and(|d| {
                        let f = SessionFiles::new(d, id);
                        f.journal.exists() || f.results.exists()
                    })
            };
            let mut id = random_id("s-");
            while taken(&id) {
                id = random_id("s-");
            }
            let files = self
                .config
                .state_dir
                .as_deref()
                .map(|d| SessionFiles::new(d, &id));
            let session = Arc::new(Session::new(id, &plan, EVENT_BUFFER, files));
            sessions.push_back(Arc::clone(&session));
            session
        };
        let recorder: Option<Box<dyn Recorder>> = match &session.files {
            None => None,
            Some(files) => {
                let header = Header {
                    version: JOURNAL_VERSION,
                    session_id: session.id.clone(),
                    match_id: plan.match_id.clone(),
                    seed: plan.seed,
                    timeout_ms: u64::try_from(call.timeout.as_millis()).unwrap_or(u64::MAX),
                    scenario_toml: plan.scenario_text.to_string(),
                    design_toml: plan.design_text.to_string(),
                };
                match Journal::create(&files.journal, &header, self.config.sync_journal) {
                    Ok(j) => Some(Box::new(j)),
                    Err(e) => {
                        lock(&self.sessions).retain(|s| !Arc::ptr_eq(s, &session));
                        return Err(Status::internal(format!("cannot journal the session: {e}")));
                    }
                }
            }
        };
        info!(session = %session.id, match_id = %plan.match_id, "session started");
        self.launch(session.clone(), &plan, call, recorder, None);
        Ok(Response::new(v2::StartSessionResponse {
            session_id: session.id.clone(),
            match_id: session.match_id.clone(),
        }))
    }

    #[instrument(skip_all)]
    async fn get_results(
        &self,
        request: Request<v2::GetResultsRequest>,
    ) -> Result<Response<v2::GetResultsResponse>, Status> {
        let id = request.into_inner().session_id;
        limits::check_match_id("session_id", &id).map_err(Status::invalid_argument)?;
        let session = match self.find(&id) {
            Ok(s) => s,
            Err(not_found) => {
                // Dropped from memory (or finished before a restart): its results file.
                return match self.results_on_disk(&id) {
                    Some(json) => Ok(Response::new(v2::GetResultsResponse {
                        done: true,
                        results_json: json,
                    })),
                    None => Err(not_found),
                };
            }
        };
        let log = lock(&session.log);
        Ok(Response::new(match &log.results {
            Some(Ok(json)) => v2::GetResultsResponse {
                done: true,
                results_json: json.clone(),
            },
            Some(Err(e)) => {
                return Err(Status::internal(format!(
                    "session `{}` failed: {e}",
                    session.id
                )));
            }
            None if log.on_disk => match self.results_on_disk(&session.id) {
                Some(json) => v2::GetResultsResponse {
                    done: true,
                    results_json: json,
                },
                None => {
                    return Err(Status::internal(format!(
                        "session `{}` finished before the chair restarted, but its results file is missing",
                        session.id
                    )));
                }
            },
            None => v2::GetResultsResponse {
                done: false,
                results_json: String::new(),
            },
        }))
    }

    type WatchStream = EventStream;

    #[instrument(skip_all)]
    async fn watch(
        &self,
        request: Request<v2::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let id = request.into_inner().session_id;
        if !id.is_empty() {
            limits::check_match_id("session_id", &id).map_err(Status::invalid_argument)?;
        }
        let session = self.find(&id)?;
        let (history, live) = {
            let log = lock(&session.log);
            (log.events.clone(), session.tx.subscribe())
        };
        let (out, rx) = mpsc::channel(256);
        tokio::spawn(forward(session, history, live, out, self.stop.clone()));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn list_sessions(
        &self,
        _request: Request<v2::ListSessionsRequest>,
    ) -> Result<Response<v2::ListSessionsResponse>, Status> {
        let sessions = lock(&self.sessions)
            .iter()
            .map(|s| v2::SessionInfo {
                session_id: s.id.clone(),
                match_id: s.match_id.clone(),
                done: s.done(),
                scenario: s.scenario.clone(),
                design: s.design.clone(),
            })
            .collect();
        Ok(Response::new(v2::ListSessionsResponse { sessions }))
    }
}

/// Runs a session's match and stores its outcome: the results JSON, or why it failed.
/// A panic of the driver still ends the session (watchers get `Done`, not complete;
/// GetResults an error), or watchers would wait forever and the match id stay taken.
async fn finish(session: &Session, run: impl Future<Output = plenary_core::MatchResult>) {
    let (results, done) = match std::panic::AssertUnwindSafe(run).catch_unwind().await {
        Ok(result) => {
            let json = serde_json::to_string_pretty(&result).unwrap_or_else(|e| {
                warn!(%e, "results do not serialize");
                String::new()
            });
            info!(session = %session.id, violations = result.violations.len(), "session done");
            let done = v2::Done {
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
            warn!(session = %session.id, panic = %what, "session failed: the driver panicked");
            let done = v2::Done {
                complete: false,
                violations: 0,
            };
            (Err(format!("the chair's driver panicked: {what}")), done)
        }
    };
    if let (Some(files), Ok(json)) = (&session.files, &results)
        && let Err(e) = write_results(&files.results, json)
    {
        warn!(session = %session.id, %e, "the results could not be written to disk");
    }
    lock(&session.log).results = Some(results);
    session.push(v2::session_event::Event::Done(done));
}

/// Writes a results file (0600) whole or not at all: a temporary file, then a rename.
fn write_results(path: &std::path::Path, json: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Whether `id` has the form of the chair's session ids (`s-` and 12 hex digits), the
/// only ids whose files are ever looked up on disk.
fn is_session_id(id: &str) -> bool {
    id.strip_prefix("s-")
        .is_some_and(|h| h.len() == 12 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Sends a session's events to a watcher: `history` first, then live events from
/// `live`, until `Done` (or the watcher leaves, or the chair stops). A watcher that
/// falls behind the live channel resumes from the session's stored log.
async fn forward(
    session: Arc<Session>,
    history: Vec<v2::SessionEvent>,
    mut live: broadcast::Receiver<v2::SessionEvent>,
    out: mpsc::Sender<Result<v2::SessionEvent, Status>>,
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
    out: &mpsc::Sender<Result<v2::SessionEvent, Status>>,
    next: &mut u64,
    events: impl IntoIterator<Item = v2::SessionEvent>,
) -> bool {
    for e in events {
        if e.seq < *next {
            continue;
        }
        let done = matches!(e.event, Some(v2::session_event::Event::Done(_)));
        *next = e.seq + 1;
        if out.send(Ok(e)).await.is_err() || done {
            return true;
        }
    }
    false
}

/// Serves the secretariat on `listener` until `shutdown` completes; then ends watch and
/// registration streams and drains in-flight calls (at most `grace`). Also serves
/// `grpc.health.v1.Health` (SERVING for `""` and [`SERVICE_NAME`]) and reflection (v1
/// and v1alpha). Refuses to listen beyond loopback without State and operator tokens.
pub async fn serve(
    config: ChairConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let secretariat = Secretariat::new(config, stop_rx);
    match secretariat.resume() {
        Ok(0) => {}
        Ok(n) => info!(sessions = n, "resumed journaled sessions"),
        Err(e) => warn!(%e, "the state directory cannot be read; no session resumed"),
    }
    serve_secretariat(
        secretariat,
        stop_tx,
        listener,
        shutdown,
        Duration::from_secs(5),
    )
    .await
}

/// Checks that a chair listening on `addr` is protected: beyond loopback it needs State
/// tokens and an operator token.
pub fn check_exposure(addr: std::net::SocketAddr, config: &ChairConfig) -> Result<(), Error> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if matches!(config.tokens, Tokens::Open) {
        return Err(Error::Insecure {
            addr,
            missing: "State tokens (--tokens)",
        });
    }
    if config.operator_token.is_none() {
        return Err(Error::Insecure {
            addr,
            missing: "an operator token (--operator-token-file)",
        });
    }
    Ok(())
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
    let addr = listener.local_addr()?;
    check_exposure(addr, &secretariat.config)?;
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(plenary_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    info!(%addr, chair_id = %secretariat.chair_id, "chair serving");
    let (drain_tx, mut drain_rx) = watch::channel(false);
    let server = tonic::transport::Server::builder()
        .initial_stream_window_size(Some(plenary_proto::transport::STREAM_WINDOW))
        .initial_connection_window_size(Some(plenary_proto::transport::CONNECTION_WINDOW))
        .http2_keepalive_interval(Some(plenary_proto::transport::KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(plenary_proto::transport::KEEPALIVE_TIMEOUT))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(secretariat.into_server())
        .serve_with_incoming_shutdown(
            plenary_proto::transport::incoming(listener, MAX_CONNECTIONS),
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
    use v2::session_event::Event;

    fn end(session: u32) -> Event {
        Event::SessionEnd(v2::SessionEnded { session, states: 1 })
    }

    fn session(capacity: usize) -> Arc<Session> {
        Arc::new(Session {
            id: "s1".into(),
            match_id: "m".into(),
            scenario: "x".into(),
            design: "y".into(),
            log: Mutex::new(SessionLog {
                events: Vec::new(),
                results: None,
                on_disk: false,
            }),
            tx: broadcast::channel(capacity).0,
            files: None,
        })
    }

    #[tokio::test]
    async fn a_lagging_watcher_resumes_from_the_log() {
        // A live channel of 4 events: the watcher below falls far behind it.
        let session = session(4);
        session.push(end(0));
        let (history, live) = {
            let log = session.log.lock().unwrap();
            (log.events.clone(), session.tx.subscribe())
        };
        for i in 1..40 {
            session.push(end(i));
        }
        session.push(Event::Done(v2::Done {
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

    #[tokio::test]
    async fn a_panicking_driver_still_ends_the_session() {
        let s = session(16);
        finish(&s, async { panic!("boom") }).await;
        let log = s.log.lock().unwrap();
        assert!(matches!(&log.results, Some(Err(e)) if e.contains("panicked: boom")));
        assert!(matches!(
            log.events.last().and_then(|e| e.event.clone()),
            Some(Event::Done(v2::Done {
                complete: false,
                ..
            }))
        ));
    }

    #[test]
    fn only_the_chairs_own_session_ids_are_looked_up_on_disk() {
        assert!(is_session_id("s-0123456789ab"));
        for bad in [
            "s-../../etc",
            "../s-0123456789ab",
            "s-0123456789abc",
            "s-01234567 9ab",
            "",
        ] {
            assert!(!is_session_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_new_registration_tells_the_one_it_replaces() {
        let d = Directory::new();
        let (g1, mut first) = d.register("RUS", "http://127.0.0.1:1", None);
        assert_eq!(g1, 1);
        let v = d.version();
        let (g2, _second) = d.register("RUS", "http://127.0.0.1:2", None);
        assert_eq!(g2, 2);
        assert_ne!(d.version(), v);
        let replaced = first.try_recv().expect("told");
        assert_eq!(replaced.generation, 2);
        assert_eq!(replaced.endpoint, "http://127.0.0.1:2");
        assert_eq!(d.route("RUS").unwrap().endpoint, "http://127.0.0.1:2");
    }

    #[test]
    fn beyond_loopback_the_chair_needs_both_tokens() {
        let lan: std::net::SocketAddr = "10.0.0.5:50050".parse().unwrap();
        let local: std::net::SocketAddr = "127.0.0.1:50050".parse().unwrap();
        let open = ChairConfig::default();
        assert!(check_exposure(local, &open).is_ok());
        assert!(
            check_exposure(lan, &open)
                .unwrap_err()
                .to_string()
                .contains("State tokens")
        );
        let half = ChairConfig {
            tokens: Tokens::Required(HashMap::new()),
            ..ChairConfig::default()
        };
        assert!(
            check_exposure(lan, &half)
                .unwrap_err()
                .to_string()
                .contains("operator token")
        );
        let full = ChairConfig {
            operator_token: Some("op".into()),
            ..half
        };
        assert!(check_exposure(lan, &full).is_ok());
    }
}
