//! Links: one `Play` stream per delegation endpoint, shared by every match in flight.
//!
//! A [`Hub`] keeps one [`Link`] per (endpoint, token). Drivers hand a link the
//! envelopes of one question (plus the notices that ride with it), each question with
//! the sender of its answer. Whoever finds the link idle sends what every driver queued
//! meanwhile as ONE frame, directly from its own task (flat combining: no hand-off to a
//! link task, no extra wake-up per turn), so an endpoint that plays many seats of many
//! matches gets one frame per turn, not one call per seat. A separate reader task
//! resolves answers by (match, state, seq), so a busy network in one direction never
//! holds up the other.
//!
//! A link connects lazily and again after a failure (at most every
//! [`RECONNECT_EVERY`]); while it is down, questions fail at once with
//! [`Fault::Unavailable`] naming the reason, and the engine records the violation.

use plenary_core::strategy::Fault;
use plenary_proto::v2;
use plenary_proto::v2::delegation_client::DelegationClient;
use plenary_proto::{TOKEN_METADATA, limits, transport};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Endpoint;
use tracing::{debug, warn};

/// Shortest time between two connection attempts to one endpoint.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// What an answer to one question resolves to.
pub type AnswerResult = Result<v2::Answer, Fault>;

/// Connection settings of links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// Deadline to connect and complete the hello.
    pub connect_timeout: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// One envelope to send, with the receiver of its answer if it is a question.
pub struct Outgoing {
    /// The envelope.
    pub env: v2::Envelope,
    /// Where the answer goes (`None` for notices).
    pub answer: Option<oneshot::Sender<AnswerResult>>,
}

/// A handle on the link to one endpoint.
#[derive(Clone)]
pub struct Link {
    shared: Arc<Shared>,
}

struct Shared {
    endpoint: String,
    token: Option<String>,
    config: LinkConfig,
    chair_id: Arc<str>,
    /// Envelopes queued by drivers, sent by whoever holds `conn` next.
    queue: Mutex<Vec<Outgoing>>,
    conn: tokio::sync::Mutex<ConnState>,
    /// Set when the endpoint registered again: the next send dials at once, whatever
    /// the reconnect pause of an earlier failure says.
    retry: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct ConnState {
    conn: Option<Conn>,
    /// The last failed attempt to connect: when, and why.
    failed: Option<(Instant, String)>,
}

impl Link {
    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// The endpoint registered again (a restarted process at the same address): the
    /// next send dials it at once instead of waiting out [`RECONNECT_EVERY`].
    pub fn retry_now(&self) {
        self.shared
            .retry
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Queues envelopes (in order) for the next frame and, if nobody is sending right
    /// now, sends everything queued. Questions that cannot be sent (the endpoint is down)
    /// resolve at once to [`Fault::Unavailable`].
    pub async fn send(&self, batch: Vec<Outgoing>) {
        let shared = &self.shared;
        lock(&shared.queue).extend(batch);
        loop {
            // Someone else is sending: they will take our envelopes with theirs.
            let Ok(mut state) = shared.conn.try_lock() else {
                return;
            };
            loop {
                let batch = std::mem::take(&mut *lock(&shared.queue));
                if batch.is_empty() {
                    break;
                }
                shared.send_frame(&mut state, batch).await;
            }
            drop(state);
            // Envelopes queued between our last look and the unlock would wait for the
            // next sender: look once more.
            if lock(&shared.queue).is_empty() {
                return;
            }
        }
    }
}

impl Shared {
    async fn send_frame(&self, state: &mut ConnState, batch: Vec<Outgoing>) {
        let dead = state.conn.as_ref().and_then(|c| lock(&c.dead).clone());
        if let Some(why) = dead {
            debug!(endpoint = %self.endpoint, %why, "stream to delegation ended");
            state.conn = None;
        }
        if state.conn.is_none() {
            let retry = self.retry.swap(false, std::sync::atomic::Ordering::AcqRel);
            if let Some((at, why)) = &state.failed
                && !retry
                && at.elapsed() < RECONNECT_EVERY
            {
                fail_all(batch, why);
                return;
            }
            match connect(
                &self.endpoint,
                self.token.as_deref(),
                self.config,
                &self.chair_id,
            )
            .await
            {
                Ok(c) => {
                    state.failed = None;
                    state.conn = Some(c);
                }
                Err(why) => {
                    warn!(endpoint = %self.endpoint, %why, "cannot reach delegation");
                    fail_all(batch, &why);
                    state.failed = Some((Instant::now(), why));
                    return;
                }
            }
        }
        let c = state.conn.as_ref().expect("connected above");
        let mut messages = Vec::with_capacity(batch.len());
        {
            let mut pending = lock(&c.pending);
            // Questions whose driver gave up (deadline) leave the table here.
            if pending.len() > 1024 {
                pending.retain(|_, tx| !tx.is_closed());
            }
            for o in batch {
                if let Some(a) = o.answer {
                    let key = (o.env.match_id.clone(), o.env.state.clone(), o.env.seq);
                    pending.insert(key, a);
                }
                messages.push(o.env);
            }
        }
        for chunk in chunks(messages) {
            let frame = v2::ChairFrame {
                frame: Some(v2::chair_frame::Frame::Batch(v2::Batch { messages: chunk })),
            };
            if c.frames.send(frame).await.is_err() {
                break;
            }
        }
        // The reader marks the stream dead before failing what is pending; a question
        // registered after that must not wait for its deadline.
        if c.frames.is_closed() || lock(&c.dead).is_some() {
            let why = lock(&c.dead)
                .clone()
                .unwrap_or_else(|| "the stream to the delegation closed".to_string());
            fail_pending(&c.pending, &why);
        }
    }
}

fn fail_all(batch: Vec<Outgoing>, why: &str) {
    for o in batch {
        if let Some(a) = o.answer {
            let _ = a.send(Err(Fault::Unavailable(why.to_string())));
        }
    }
}

type Key = (String, String, u64);
type Pending = Arc<Mutex<HashMap<Key, oneshot::Sender<AnswerResult>>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Links by (endpoint, token).
type LinkTable = HashMap<(String, Option<String>), Link>;

/// The links of one chair (or one tournament runner), by endpoint and token.
#[derive(Clone)]
pub struct Hub {
    links: Arc<Mutex<LinkTable>>,
    config: LinkConfig,
    chair_id: Arc<str>,
}

impl Hub {
    /// A hub with no links yet. `chair_id` goes into every hello (informational).
    pub fn new(config: LinkConfig, chair_id: &str) -> Hub {
        Hub {
            links: Arc::new(Mutex::new(HashMap::new())),
            config,
            chair_id: chair_id.into(),
        }
    }

    /// The link to `endpoint`, sending `token` as [`TOKEN_METADATA`] (connected on
    /// first use).
    pub fn link(&self, endpoint: &str, token: Option<&str>) -> Link {
        let key = (endpoint.to_string(), token.map(str::to_string));
        lock(&self.links)
            .entry(key)
            .or_insert_with(|| Link {
                shared: Arc::new(Shared {
                    endpoint: endpoint.to_string(),
                    token: token.map(str::to_string),
                    config: self.config,
                    chair_id: Arc::clone(&self.chair_id),
                    queue: Mutex::new(Vec::new()),
                    conn: tokio::sync::Mutex::new(ConnState::default()),
                    retry: std::sync::atomic::AtomicBool::new(false),
                }),
            })
            .clone()
    }

    /// Drops every link (their streams end once in-flight envelopes are sent).
    pub fn clear(&self) {
        lock(&self.links).clear();
    }
}

/// A live stream.
struct Conn {
    frames: mpsc::Sender<v2::ChairFrame>,
    pending: Pending,
    dead: Arc<Mutex<Option<String>>>,
}

/// Splits a frame's envelopes into batches the contract allows.
fn chunks(mut messages: Vec<v2::Envelope>) -> Vec<Vec<v2::Envelope>> {
    if messages.len() <= limits::MAX_BATCH {
        return vec![messages];
    }
    let mut out = Vec::new();
    while messages.len() > limits::MAX_BATCH {
        let rest = messages.split_off(limits::MAX_BATCH);
        out.push(std::mem::replace(&mut messages, rest));
    }
    out.push(messages);
    out
}

fn fail_pending(pending: &Pending, why: &str) {
    for (_, tx) in lock(pending).drain() {
        let _ = tx.send(Err(Fault::Unavailable(why.to_string())));
    }
}

/// Opens the `Play` stream and completes the hello.
async fn connect(
    endpoint: &str,
    token: Option<&str>,
    config: LinkConfig,
    chair_id: &str,
) -> Result<Conn, String> {
    let ep = Endpoint::from_shared(endpoint.to_string())
        .map_err(|e| format!("bad endpoint URL {}: {e}", limits::prefix(endpoint)))?
        .connect_timeout(config.connect_timeout)
        .tcp_nodelay(true)
        // Answers of every seat in flight come back in large frames too.
        .initial_stream_window_size(transport::STREAM_WINDOW)
        .initial_connection_window_size(transport::CONNECTION_WINDOW)
        .http2_keep_alive_interval(transport::KEEPALIVE_INTERVAL)
        .keep_alive_timeout(transport::KEEPALIVE_TIMEOUT);
    let token = token
        .map(|t| {
            AsciiMetadataValue::try_from(t)
                .map_err(|_| "the endpoint's token cannot be sent as metadata".to_string())
        })
        .transpose()?;
    let work = async {
        let channel = ep
            .connect()
            .await
            .map_err(|e| format!("connecting to {endpoint}: {}", error_chain(&e)))?;
        let mut client = DelegationClient::new(channel)
            .max_decoding_message_size(limits::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(limits::MAX_MESSAGE_BYTES);
        let (frames, frames_rx) = mpsc::channel::<v2::ChairFrame>(16);
        frames
            .send(v2::ChairFrame {
                frame: Some(v2::chair_frame::Frame::Hello(v2::ChairHello {
                    versions: vec![plenary_proto::CONTRACT_VERSION],
                    chair_id: chair_id.to_string(),
                })),
            })
            .await
            .map_err(|_| "hello not sent".to_string())?;
        let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(frames_rx));
        if let Some(t) = &token {
            req.metadata_mut().insert(TOKEN_METADATA, t.clone());
        }
        let mut answers = client
            .play(req)
            .await
            .map_err(|s| {
                format!(
                    "{endpoint} refused the Play stream: {:?}: {}",
                    s.code(),
                    s.message()
                )
            })?
            .into_inner();
        match answers.message().await {
            Ok(Some(v2::DelegationFrame {
                frame: Some(v2::delegation_frame::Frame::Hello(h)),
            })) if h.version == plenary_proto::CONTRACT_VERSION => {}
            Ok(Some(v2::DelegationFrame {
                frame: Some(v2::delegation_frame::Frame::Hello(h)),
            })) => {
                return Err(format!(
                    "{endpoint} chose contract version {}; this chair speaks [{}]",
                    h.version,
                    plenary_proto::CONTRACT_VERSION
                ));
            }
            Ok(Some(_)) => {
                return Err(format!(
                    "{endpoint} did not answer the hello with a DelegationHello"
                ));
            }
            Ok(None) => return Err(format!("{endpoint} ended the stream at its hello")),
            Err(s) => {
                return Err(format!(
                    "{endpoint} ended the stream at its hello: {:?}: {}",
                    s.code(),
                    s.message()
                ));
            }
        }
        Ok((frames, answers))
    };
    let (frames, mut answers) = tokio::time::timeout(config.connect_timeout, work)
        .await
        .map_err(|_| {
            format!(
                "{endpoint} did not complete the hello within {:?}",
                config.connect_timeout
            )
        })??;
    let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
    let dead = Arc::new(Mutex::new(None));
    {
        let pending = Arc::clone(&pending);
        let dead = Arc::clone(&dead);
        let endpoint = endpoint.to_string();
        tokio::spawn(async move {
            let why = loop {
                match answers.message().await {
                    Ok(Some(v2::DelegationFrame {
                        frame: Some(v2::delegation_frame::Frame::Answers(a)),
                    })) => {
                        let mut p = lock(&pending);
                        for ans in a.answers {
                            let key = (ans.match_id.clone(), ans.state.clone(), ans.seq);
                            if let Some(tx) = p.remove(&key) {
                                let _ = tx.send(Ok(ans));
                            }
                        }
                    }
                    Ok(Some(_)) => {
                        break format!("{endpoint} sent a second hello or an empty frame");
                    }
                    Ok(None) => break format!("{endpoint} ended the Play stream"),
                    Err(s) => {
                        break format!(
                            "the Play stream to {endpoint} failed: {:?}: {}",
                            s.code(),
                            s.message()
                        );
                    }
                }
            };
            *lock(&dead) = Some(why.clone());
            fail_pending(&pending, &why);
        });
    }
    Ok(Conn {
        frames,
        pending,
        dead,
    })
}

/// An error with its sources, on one line (tonic's transport errors hide the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
