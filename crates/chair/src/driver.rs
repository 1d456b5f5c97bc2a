//! The remote driver: runs a [`Match`] with delegations reached over gRPC.
//!
//! It mirrors [`plenary_core::run_in_process`] question for question. For each question
//! every seat asked is called concurrently (one tonic [`Channel`] per endpoint, a
//! deadline on every call); a timeout becomes [`Fault::Timeout`], a transport or
//! server error [`Fault::Unavailable`], an answer that breaks the contract (NaN, off
//! the scale, an unknown enum, the wrong match or State echoed) [`Fault::Invalid`].
//! Answers are submitted in seat order, whatever order they arrived in.
//!
//! Every call carries the State's registration token (if it registered with one) in
//! the metadata [`plenary_proto::TOKEN_METADATA`], so a delegation can refuse callers
//! other than the chair.
//!
//! Seats are looked up in a shared [`Directory`]. When a delegation registers again
//! (say, after a restart) the driver sees the new generation before the next
//! question, replays the seat's `OpenSeat` to the new endpoint and reinstates the seat
//! ([`Match::reinstate`]), so it takes part again from the next round.

use futures::future::join_all;
use plenary_core::Match;
use plenary_core::engine::{Answers, Question};
use plenary_core::metrics::MatchResult;
use plenary_core::strategy::{Fault, PositionAnswer, Reply, SeatBrief, Stance, Vote};
use plenary_proto::convert::{self, WireEnum};
use plenary_proto::v1;
use plenary_proto::v1::delegation_client::DelegationClient;
use plenary_proto::v1::session_event::Event;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tracing::{debug, warn};

/// Longest call deadline a session may ask for, in milliseconds (one hour). Far longer
/// deadlines cannot be sent to delegations (gRPC encodes them in at most 8 digits).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// Deadlines of the calls to delegations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallConfig {
    /// Deadline of every call (a late answer is a [`Fault::Timeout`]).
    pub timeout: Duration,
    /// Deadline to establish a connection to an endpoint.
    pub connect_timeout: Duration,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// A State and the delegation endpoint that plays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatEndpoint {
    /// State id.
    pub state: String,
    /// Endpoint URL, e.g. `http://127.0.0.1:50051`.
    pub endpoint: String,
    /// Token sent with every call to the endpoint (metadata
    /// [`plenary_proto::TOKEN_METADATA`]); `None` sends none.
    pub token: Option<String>,
}

/// The current registration of one State.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Endpoint URL.
    pub endpoint: String,
    /// How many times the State registered (1 for the first registration).
    pub generation: u64,
    /// Strategy name the delegation announced (may be empty).
    pub strategy: String,
    /// The State's token, sent with every call to the endpoint (`None`: no token).
    pub token: Option<String>,
}

/// Which endpoint plays which State: shared between the secretariat (which registers)
/// and running drivers (which look up, and notice re-registrations).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    inner: Arc<RwLock<HashMap<String, Registration>>>,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Self {
        Directory::default()
    }

    /// A directory with a fixed endpoint per State.
    pub fn from_seats(seats: &[SeatEndpoint]) -> Self {
        let d = Directory::new();
        for s in seats {
            d.register_with_token(&s.state, &s.endpoint, "", s.token.clone());
        }
        d
    }

    /// Registers (or re-registers) `state` at `endpoint` without a token; returns the
    /// new generation.
    pub fn register(&self, state: &str, endpoint: &str, strategy: &str) -> u64 {
        self.register_with_token(state, endpoint, strategy, None)
    }

    /// Registers (or re-registers) `state` at `endpoint`; every call to it carries
    /// `token`. Returns the new generation.
    pub fn register_with_token(
        &self,
        state: &str,
        endpoint: &str,
        strategy: &str,
        token: Option<String>,
    ) -> u64 {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let generation = map.get(state).map_or(0, |r| r.generation) + 1;
        map.insert(
            state.to_string(),
            Registration {
                endpoint: endpoint.to_string(),
                generation,
                strategy: strategy.to_string(),
                token,
            },
        );
        generation
    }

    /// The registration of `state`, if any.
    pub fn get(&self, state: &str) -> Option<Registration> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(state)
            .cloned()
    }
}

/// Receives the events of a running match (item opened, proposal, decision,
/// violation, session end, done).
pub type EventSink = Box<dyn FnMut(Event) + Send + Sync>;

/// Runs `m` to its end with the delegations at `seats` (fixed endpoints).
pub async fn run_remote(m: Match, seats: Vec<SeatEndpoint>, cfg: CallConfig) -> MatchResult {
    run_remote_with(m, Directory::from_seats(&seats), cfg, None).await
}

/// One seat's connection: which registration it follows and its client.
struct Link {
    generation: u64,
    client: Option<DelegationClient<Channel>>,
    token: Option<AsciiMetadataValue>,
}

struct Driver {
    dir: Directory,
    cfg: CallConfig,
    states: Vec<String>,
    match_id: String,
    items: usize,
    links: Vec<Link>,
    channels: HashMap<String, Channel>,
    sink: Option<EventSink>,
}

impl Driver {
    fn emit(&mut self, e: Event) {
        if let Some(sink) = &mut self.sink {
            sink(e);
        }
    }

    fn channel(&mut self, endpoint: &str) -> Result<Channel, String> {
        if let Some(c) = self.channels.get(endpoint) {
            return Ok(c.clone());
        }
        let c = Endpoint::from_shared(endpoint.to_string())
            .map_err(|e| format!("bad endpoint `{endpoint}`: {e}"))?
            .connect_timeout(self.cfg.connect_timeout)
            .tcp_nodelay(true)
            .connect_lazy();
        self.channels.insert(endpoint.to_string(), c.clone());
        Ok(c)
    }

    /// Follows the directory: returns the seats whose registration changed (or that
    /// registered for the first time); before the match is open they are ignored.
    fn refresh(&mut self) -> Vec<usize> {
        let mut changed = Vec::new();
        for seat in 0..self.states.len() {
            let Some(reg) = self.dir.get(&self.states[seat]) else {
                continue;
            };
            if reg.generation == self.links[seat].generation {
                continue;
            }
            let client = match self.channel(&reg.endpoint) {
                Ok(c) => Some(
                    DelegationClient::new(c)
                        .max_decoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
                        .max_encoding_message_size(plenary_proto::MAX_MESSAGE_BYTES),
                ),
                Err(e) => {
                    warn!(state = %self.states[seat], %e, "cannot use registered endpoint");
                    None
                }
            };
            let token = reg.token.as_deref().and_then(|t| {
                MetadataValue::try_from(t)
                    .map_err(|_| {
                        warn!(state = %self.states[seat], "the State's token cannot be sent as metadata");
                    })
                    .ok()
            });
            self.links[seat] = Link {
                generation: reg.generation,
                client,
                token,
            };
            changed.push(seat);
        }
        changed
    }

    fn client(&self, seat: usize) -> Result<DelegationClient<Channel>, Fault> {
        self.links[seat].client.clone().ok_or_else(|| {
            Fault::Unavailable(format!(
                "no delegation registered for State {}",
                self.states[seat]
            ))
        })
    }

    /// A request to `seat` under the deadline, with the seat's token.
    fn request<T>(&self, seat: usize, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        r.set_timeout(self.cfg.timeout);
        if let Some(t) = &self.links[seat].token {
            r.metadata_mut()
                .insert(plenary_proto::TOKEN_METADATA, t.clone());
        }
        r
    }

    fn echo(&self, seat: usize, match_id: &str, state: &str) -> Result<(), Fault> {
        if match_id != self.match_id || state != self.states[seat] {
            return Err(Fault::Invalid(format!(
                "answer names match `{match_id}` and State `{state}`, expected `{}` and `{}`",
                self.match_id, self.states[seat]
            )));
        }
        Ok(())
    }

    async fn open(&self, seats: &[usize], briefs: Vec<SeatBrief>) -> Vec<Reply<()>> {
        let calls = seats.iter().zip(briefs).map(|(&seat, brief)| async move {
            let mut client = self.client(seat)?;
            let r = call(
                &self.cfg,
                client.open_seat(self.request(seat, v1::SeatBrief::from(&brief))),
            )
            .await?;
            self.echo(seat, &r.match_id, &r.state)
        });
        join_all(calls).await
    }
}

/// Runs one call under the deadline and maps every failure to a [`Fault`].
async fn call<T>(
    cfg: &CallConfig,
    fut: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, Fault> {
    match tokio::time::timeout(cfg.timeout, fut).await {
        Err(_) => Err(Fault::Timeout),
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(s)) if s.code() == tonic::Code::DeadlineExceeded => Err(Fault::Timeout),
        // tonic enforces the request's own deadline client-side as CANCELLED.
        Ok(Err(s))
            if s.code() == tonic::Code::Cancelled && s.message().contains("Timeout expired") =>
        {
            Err(Fault::Timeout)
        }
        Ok(Err(s)) => Err(Fault::Unavailable(format!(
            "{:?}: {}",
            s.code(),
            s.message()
        ))),
    }
}

fn fault_kind(f: &Fault) -> (&'static str, String) {
    match f {
        Fault::Timeout => ("timeout", String::new()),
        Fault::Unavailable(d) => ("unavailable", d.clone()),
        Fault::Invalid(d) => ("invalid", d.clone()),
    }
}

/// Checks a position beyond its wire form: the link must name another item.
fn check_position(item: u32, items: usize, a: PositionAnswer) -> Reply<PositionAnswer> {
    if let Some(l) = a.link {
        if l as usize >= items {
            return Err(Fault::Invalid(format!(
                "field `link` names unknown item {l}"
            )));
        }
        if l == item {
            return Err(Fault::Invalid("field `link` names the item itself".into()));
        }
    }
    Ok(a)
}

/// Runs `m` to its end with the delegations in `dir`, following re-registrations,
/// and reports events to `sink`. The session always completes: a seat that cannot
/// answer is recorded as a violation (and suspended past the design's strike limit).
pub async fn run_remote_with(
    mut m: Match,
    dir: Directory,
    cfg: CallConfig,
    sink: Option<EventSink>,
) -> MatchResult {
    let states: Vec<String> = m.scenario().states.iter().map(|s| s.id.clone()).collect();
    let n = states.len();
    let mut d = Driver {
        dir,
        cfg,
        match_id: m.match_id().to_string(),
        items: m.scenario().agenda.len(),
        links: (0..n)
            .map(|_| Link {
                generation: 0,
                client: None,
                token: None,
            })
            .collect(),
        channels: HashMap::new(),
        states,
        sink,
    };
    let mut opened = false;
    loop {
        let changed = d.refresh();
        if opened && !changed.is_empty() {
            // Re-registered delegations get their seat again and take part from the
            // next round.
            let briefs = changed.iter().map(|&s| m.brief(s)).collect();
            let acks = d.open(&changed, briefs).await;
            for (&seat, ack) in changed.iter().zip(acks) {
                match ack {
                    Ok(()) => {
                        debug!(state = %d.states[seat], "seat replayed after re-registration");
                        m.reinstate(seat);
                    }
                    Err(f) => warn!(state = %d.states[seat], ?f, "replaying OpenSeat failed"),
                }
            }
        }
        let (phase, session, asked, answers) = match m.question() {
            Question::Done => break,
            Question::Open { seats } => {
                let seats = seats.to_vec();
                let briefs = seats.iter().map(|&s| m.brief(s)).collect();
                let acks = d.open(&seats, briefs).await;
                opened = true;
                ("open", 0, seats, Answers::Acks(acks))
            }
            Question::Positions { ctx, seats, views } => {
                let seats = seats.to_vec();
                if ctx.round == 0 {
                    let it = &m.scenario().agenda[ctx.item as usize];
                    d.emit(Event::ItemOpened(v1::ItemOpened {
                        session: ctx.session,
                        item: ctx.item,
                        item_id: it.id.clone(),
                        title: it.title.clone(),
                    }));
                }
                let wire_ctx = v1::RoundContext::from(ctx);
                let item = ctx.item;
                let calls = seats.iter().map(|&seat| {
                    let req = v1::PositionRequest {
                        match_id: d.match_id.clone(),
                        state: d.states[seat].clone(),
                        context: Some(wire_ctx.clone()),
                        view: Some((&views[seat]).into()),
                    };
                    let d = &d;
                    async move {
                        let mut client = d.client(seat)?;
                        let r = call(&d.cfg, client.position(d.request(seat, req))).await?;
                        d.echo(seat, &r.match_id, &r.state)?;
                        let a = PositionAnswer::try_from(&r)
                            .map_err(|e| Fault::Invalid(e.to_string()))?;
                        check_position(item, d.items, a)
                    }
                });
                let answers = join_all(calls).await;
                ("positions", ctx.session, seats, Answers::Positions(answers))
            }
            Question::Votes { ctx, seats, views } => {
                let seats = seats.to_vec();
                d.emit(Event::Proposal(v1::ProposalMade {
                    session: ctx.session,
                    item: ctx.item,
                    round: ctx.round,
                    phase: ctx.phase.wire(),
                    value: ctx.proposal,
                    voters: seats.len() as u32,
                }));
                let wire_ctx = v1::RoundContext::from(ctx);
                let calls = seats.iter().map(|&seat| {
                    let req = v1::VoteRequest {
                        match_id: d.match_id.clone(),
                        state: d.states[seat].clone(),
                        context: Some(wire_ctx.clone()),
                        view: Some((&views[seat]).into()),
                    };
                    let d = &d;
                    async move {
                        let mut client = d.client(seat)?;
                        let r = call(&d.cfg, client.vote(d.request(seat, req))).await?;
                        d.echo(seat, &r.match_id, &r.state)?;
                        convert::vote("vote", r.vote).map_err(|e| Fault::Invalid(e.to_string()))
                    }
                });
                let answers: Vec<Reply<Vote>> = join_all(calls).await;
                let phase = match ctx.phase {
                    plenary_core::strategy::Phase::Silence => "silence",
                    plenary_core::strategy::Phase::Package => "package",
                    _ => "decision",
                };
                (phase, ctx.session, seats, Answers::Votes(answers))
            }
            Question::Outcome { outcome, seats } => {
                let seats = seats.to_vec();
                let wire = v1::ItemOutcome::from(outcome);
                let item_id = m
                    .scenario()
                    .agenda
                    .get(outcome.item as usize)
                    .map(|i| i.id.clone())
                    .unwrap_or_default();
                d.emit(Event::Decision(v1::DecisionMade {
                    item_id,
                    outcome: Some(wire.clone()),
                }));
                let calls = seats.iter().map(|&seat| {
                    let req = v1::OutcomeNotice {
                        match_id: d.match_id.clone(),
                        state: d.states[seat].clone(),
                        outcome: Some(wire.clone()),
                    };
                    let d = &d;
                    async move {
                        let mut client = d.client(seat)?;
                        let r = call(&d.cfg, client.outcome(d.request(seat, req))).await?;
                        d.echo(seat, &r.match_id, &r.state)
                    }
                });
                let answers = join_all(calls).await;
                ("outcome", outcome.session, seats, Answers::Acks(answers))
            }
            Question::SessionEnd {
                summaries,
                seats,
                views,
            } => {
                let seats = seats.to_vec();
                let session = summaries.first().map_or(0, |s| s.session);
                d.emit(Event::SessionEnd(v1::SessionEnded {
                    session,
                    states: seats.len() as u32,
                }));
                let calls = seats.iter().map(|&seat| {
                    let req = v1::SessionEndRequest {
                        match_id: d.match_id.clone(),
                        state: d.states[seat].clone(),
                        summary: Some((&summaries[seat]).into()),
                        view: Some((&views[seat]).into()),
                    };
                    let d = &d;
                    async move {
                        let mut client = d.client(seat)?;
                        let r = call(&d.cfg, client.session_end(d.request(seat, req))).await?;
                        d.echo(seat, &r.match_id, &r.state)?;
                        convert::stance("stance", r.stance)
                            .map_err(|e| Fault::Invalid(e.to_string()))
                    }
                });
                let answers: Vec<Reply<Stance>> = join_all(calls).await;
                ("session-end", session, seats, Answers::Stances(answers))
            }
        };
        let faults: Vec<(usize, Fault)> = faults_of(&asked, &answers);
        m.submit(answers)
            .expect("the remote driver answers every seat it is asked, in seat order");
        for (seat, f) in faults {
            let (fault, detail) = fault_kind(&f);
            warn!(state = %d.states[seat], phase, fault, %detail, "violation");
            let suspended = m.is_suspended(seat);
            d.emit(Event::Violation(v1::ViolationRecorded {
                state: d.states[seat].clone(),
                session,
                phase: phase.to_string(),
                fault: fault.to_string(),
                detail,
                suspended,
            }));
        }
    }
    close_all(&d).await;
    let result = m.into_results();
    d.emit(Event::Done(v1::Done {
        complete: result.complete,
        violations: result.violations.len() as u32,
    }));
    result
}

fn faults_of(asked: &[usize], answers: &Answers) -> Vec<(usize, Fault)> {
    fn errs<T>(asked: &[usize], v: &[Reply<T>]) -> Vec<(usize, Fault)> {
        asked
            .iter()
            .zip(v)
            .filter_map(|(&s, r)| r.as_ref().err().map(|f| (s, f.clone())))
            .collect()
    }
    match answers {
        Answers::Acks(v) => errs(asked, v),
        Answers::Positions(v) => errs(asked, v),
        Answers::Votes(v) => errs(asked, v),
        Answers::Stances(v) => errs(asked, v),
    }
}

/// Closes every seat that has a client (best effort: the match is over either way).
async fn close_all(d: &Driver) {
    let calls = (0..d.states.len())
        .filter(|&s| d.links[s].client.is_some())
        .map(|seat| {
            let req = v1::CloseSeatRequest {
                match_id: d.match_id.clone(),
                state: d.states[seat].clone(),
            };
            async move {
                if let Ok(mut client) = d.client(seat) {
                    let _ = call(&d.cfg, client.close_seat(d.request(seat, req))).await;
                }
            }
        });
    join_all(calls).await;
}
