//! The remote driver: runs a [`Match`] with delegations reached over `plenary.v2`.
//!
//! It mirrors [`plenary_core::run_in_process`] question for question. Every question
//! goes to the seats asked as one envelope each, grouped by endpoint into one frame per
//! link ([`crate::link`]); notices that need no answer (item outcomes) are not a round
//! trip of their own: they wait in the seat's endpoint outbox and ride in front of the
//! next question's envelope. Answers are awaited until the question's deadline and then
//! handed to the engine in seat order, whatever order they arrived in; a missing answer
//! is a [`Fault::Timeout`], a refusal or a broken stream a [`Fault::Unavailable`], an
//! answer of the wrong kind a [`Fault::Invalid`]. Whether an answer's values are
//! acceptable is the engine's call (one validator, in-process and remote).
//!
//! Seats recover: a seat whose `open` failed gets it again (bounded) in front of its next
//! question, and a State whose delegation registered again (a restart) is opened on the
//! new endpoint and reinstated. Everything the engine is fed goes through one
//! [`Recorder`], which the chair's journal implements, so a restarted chair can rebuild
//! the match exactly.

use crate::journal::Record;
use crate::link::{AnswerResult, Hub, Link, Outgoing};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use plenary_core::Match;
use plenary_core::engine::{Answers, Question};
use plenary_core::metrics::MatchResult;
use plenary_core::strategy::{Fault, PositionAnswer, Reply, Stance, Vote};
use plenary_proto::convert::{self, WireEnum};
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use plenary_proto::v2::session_event::Event;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tracing::{debug, warn};

/// Longest call deadline a session may ask for, in milliseconds (one hour).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// Times a seat's `open` is retried in a match before the seat is left to its faults.
pub const MAX_OPEN_TRIES: u32 = 3;

/// Deadlines of the questions to delegations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallConfig {
    /// Deadline of every question (a late answer is a [`Fault::Timeout`]).
    pub timeout: Duration,
    /// Deadline to connect to an endpoint and complete the hello.
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

/// How to reach the delegation that plays a State.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Endpoint URL.
    pub endpoint: String,
    /// Token sent as `x-plenary-token` on the endpoint's stream.
    pub token: Option<String>,
    /// Changes when the State's delegation registers again.
    pub generation: u64,
}

/// Where each State's delegation is: the chair's directory of registrations, or a fixed
/// table (tournaments).
pub trait Routes: Send + Sync {
    /// The current route of `state`, if any.
    fn route(&self, state: &str) -> Option<Route>;
    /// A number that changes whenever any route changes (lets the driver skip the scan).
    fn version(&self) -> u64;
}

/// A fixed table of routes.
#[derive(Debug, Clone, Default)]
pub struct FixedRoutes(pub HashMap<String, Route>);

impl Routes for FixedRoutes {
    fn route(&self, state: &str) -> Option<Route> {
        self.0.get(state).cloned()
    }
    fn version(&self) -> u64 {
        0
    }
}

/// Everything the engine is fed, in order; a journal implements it to rebuild a match
/// after a restart. Failing to record is logged, never fatal to the match.
pub trait Recorder: Send {
    /// The answers to the pending question, about to be submitted.
    fn answers(&mut self, answers: &Answers);
    /// A seat's announced strategy name.
    fn named(&mut self, seat: usize, name: &str);
    /// A seat's endpoint said the seat is not open (it is opened again before its next
    /// question).
    fn unopened(&mut self, seat: usize);
    /// A seat reinstated (its delegation registered again).
    fn reinstated(&mut self, seat: usize);
    /// The match is over.
    fn done(&mut self, complete: bool);
}

/// Receives the events of a running match (item opened, proposal, decision,
/// violation, session end, re-registration, done).
pub type EventSink = Box<dyn FnMut(Event) + Send + Sync>;

/// What a driver runs with.
pub struct DriveConfig {
    /// The links to endpoints (shared by every match of the chair or tournament).
    pub hub: Hub,
    /// Where each State's delegation is.
    pub routes: Arc<dyn Routes>,
    /// Deadlines.
    pub call: CallConfig,
    /// Events, if anyone listens.
    pub sink: Option<EventSink>,
    /// The journal, if the match is durable.
    pub recorder: Option<Box<dyn Recorder>>,
    /// A journal to replay first (a restarted chair resuming the match): its answers
    /// are fed to the engine without asking anyone, then the match goes on live.
    pub replay: Option<VecDeque<Record>>,
}

impl DriveConfig {
    /// A driver over `hub` and `routes` with deadlines `call`: no events, no journal.
    pub fn new(hub: Hub, routes: Arc<dyn Routes>, call: CallConfig) -> Self {
        DriveConfig {
            hub,
            routes,
            call,
            sink: None,
            recorder: None,
            replay: None,
        }
    }
}

/// Per-seat state of the driver.
struct SeatLink {
    state: String,
    generation: u64,
    link: Option<Link>,
    /// Last sequence number sent to the seat (0: nothing yet; `open` is always 1).
    seq: u64,
    opened: bool,
    open_tries: u32,
    /// Notices waiting to ride with the seat's next question (or the match's end).
    outbox: Vec<v2::Envelope>,
}

struct Driver {
    cfg: DriveConfig,
    match_id: String,
    seats: Vec<SeatLink>,
    routes_version: Option<u64>,
    /// The seats were asked to open: a route that changes now is a re-registration.
    started: bool,
    stats: DriveStats,
    /// Records still to replay, and how many of them are answers.
    replay: VecDeque<Record>,
    replay_answers: usize,
    /// The replay just ended: the next refresh finds the delegations that were playing
    /// before the restart (their seats are still open there), not re-registrations.
    resuming: bool,
}

/// What a driver sent, for benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriveStats {
    /// Round trips: questions the driver waited for (each goes to every seat asked).
    pub round_trips: u64,
    /// Questions to single seats (envelopes awaiting an answer).
    pub seat_questions: u64,
    /// Notices (envelopes that rode along without an answer).
    pub notices: u64,
}

/// Runs `m` to its end and returns its results. The match always completes: a seat
/// that cannot answer is recorded as a violation (and suspended past the design's strike
/// limit).
pub async fn run_match(m: Match, cfg: DriveConfig) -> MatchResult {
    run_match_counted(m, cfg).await.0
}

/// [`run_match`], also returning what the driver sent.
pub async fn run_match_counted(mut m: Match, cfg: DriveConfig) -> (MatchResult, DriveStats) {
    let seats = m
        .scenario()
        .states
        .iter()
        .map(|s| SeatLink {
            state: s.id.clone(),
            generation: 0,
            link: None,
            seq: 0,
            opened: false,
            open_tries: 0,
            outbox: Vec::new(),
        })
        .collect();
    let mut cfg = cfg;
    let replay = cfg.replay.take().unwrap_or_default();
    let replay_answers = replay
        .iter()
        .filter(|r| matches!(r, Record::Answers { .. }))
        .count();
    let mut d = Driver {
        match_id: m.match_id().to_string(),
        cfg,
        seats,
        routes_version: None,
        started: false,
        stats: DriveStats::default(),
        replay,
        replay_answers,
        resuming: false,
    };
    d.play(&mut m).await;
    d.close_all().await;
    if let Some(r) = &mut d.cfg.recorder {
        r.done(m.is_done());
    }
    let result = m.into_results();
    d.emit(Event::Done(v2::Done {
        complete: result.complete,
        violations: result.violations.len() as u32,
    }));
    (result, d.stats)
}

impl Driver {
    fn emit(&mut self, e: Event) {
        if let Some(sink) = &mut self.cfg.sink {
            sink(e);
        }
    }

    /// Follows the routes: a State whose registration changed gets the new endpoint and
    /// must be opened there. Returns the seats that changed after having been opened.
    fn refresh(&mut self) -> Vec<usize> {
        let v = self.cfg.routes.version();
        if self.routes_version == Some(v) {
            return Vec::new();
        }
        self.routes_version = Some(v);
        let mut moved = Vec::new();
        for (i, s) in self.seats.iter_mut().enumerate() {
            let Some(r) = self.cfg.routes.route(&s.state) else {
                continue;
            };
            if r.generation == s.generation && s.link.is_some() {
                continue;
            }
            s.generation = r.generation;
            let link = self.cfg.hub.link(&r.endpoint, r.token.as_deref());
            // A registration is news that the endpoint is up, even at an address whose
            // last connection attempt failed.
            link.retry_now();
            s.link = Some(link);
            if self.resuming {
                // The endpoint that played the seat before the restart: its seat is
                // still open there (if not, it says so and the seat is opened again).
                continue;
            }
            // Queued notices stay: an endpoint that does not know the seat ignores
            // them, and one that does (the chair came back) needs them.
            s.opened = false;
            s.open_tries = 0;
            if self.started {
                moved.push(i);
            }
        }
        self.resuming = false;
        moved
    }

    /// Applies the records before the next answers of a replay (seats named, opened
    /// again or reinstated), exactly as they happened live. Nothing replayed is
    /// recorded again: it is in the journal already.
    fn apply_replayed(&mut self, m: &mut Match, until_answers: bool) -> Option<Answers> {
        while let Some(r) = self.replay.pop_front() {
            if let Some(a) = self.apply_record(m, r)
                && until_answers
            {
                return Some(a);
            }
        }
        None
    }

    /// Applies one replayed record; returns the answers it carries, if any.
    fn apply_record(&mut self, m: &mut Match, r: Record) -> Option<Answers> {
        match r {
            Record::Answers { answers } => {
                self.replay_answers -= 1;
                return Some(answers.into());
            }
            Record::Named { seat, name } if seat < self.seats.len() => {
                self.seats[seat].opened = true;
                m.name_strategy(seat, &name);
            }
            Record::Reinstated { seat } if seat < self.seats.len() => {
                m.reinstate(seat);
                self.seats[seat].opened = false;
                self.seats[seat].open_tries = 0;
            }
            Record::Unopened { seat } if seat < self.seats.len() => {
                self.seats[seat].opened = false;
            }
            _ => {}
        }
        None
    }

    /// The next answers of the journal, with the records before them applied.
    fn replayed(&mut self, m: &mut Match) -> Answers {
        self.apply_replayed(m, true)
            .expect("replaying() promised answers ahead in the journal")
    }

    /// Whether the engine's next answers come from the journal.
    fn replaying(&self) -> bool {
        self.replay_answers > 0
    }

    async fn play(&mut self, m: &mut Match) {
        let replayed = self.replay_answers as u64;
        let mut in_replay = replayed > 0;
        loop {
            if self.replaying() {
                // Reinstatements recorded before this question happened before it.
                while matches!(self.replay.front(), Some(Record::Reinstated { .. })) {
                    let r = self.replay.pop_front().expect("checked above");
                    self.apply_record(m, r);
                }
            } else if in_replay {
                // The journal is used up: what is left of it happened during the
                // question in flight when the chair stopped. Then go on live, with the
                // delegations that were playing before.
                self.apply_replayed(m, false);
                in_replay = false;
                self.resuming = true;
                self.emit(Event::Resumed(v2::Resumed { replayed }));
            }
            let moved = if self.replaying() {
                Vec::new()
            } else {
                self.refresh()
            };
            for seat in moved {
                let generation = self.seats[seat].generation;
                let endpoint = self.seats[seat]
                    .link
                    .as_ref()
                    .map(|l| l.endpoint().to_string())
                    .unwrap_or_default();
                warn!(state = %self.seats[seat].state, generation, endpoint = %endpoint, "delegation registered again mid-match; reopening its seat (recorded in the results)");
                m.reinstate(seat);
                if let Some(r) = &mut self.cfg.recorder {
                    r.reinstated(seat);
                }
                self.emit(Event::Reregistered(v2::SeatReregistered {
                    state: self.seats[seat].state.clone(),
                    generation,
                    endpoint,
                }));
            }
            let replayed_now = self.replaying();
            let (session, answers) = match m.question() {
                Question::Done => return,
                Question::Open { seats } => {
                    let seats = seats.to_vec();
                    self.started = true;
                    let answers = match self.ask(m, &seats, |_| None).await {
                        None => self.replayed(m),
                        Some(replies) => {
                            Answers::Acks(replies.into_iter().map(|r| r.map(|_| ())).collect())
                        }
                    };
                    (0, answers)
                }
                Question::Positions { ctx, seats, views } => {
                    let seats = seats.to_vec();
                    if ctx.round == 0 {
                        let it = &m.scenario().agenda[ctx.item as usize];
                        let e = Event::ItemOpened(v2::ItemOpened {
                            session: ctx.session,
                            item: ctx.item,
                            item_id: it.id.clone(),
                            title: it.title.clone(),
                        });
                        self.emit(e);
                    }
                    let wire_ctx = v2::RoundContext::from(ctx);
                    let views = views.to_vec();
                    let session = ctx.session;
                    let replies = self
                        .ask(m, &seats, |seat| {
                            Some(Body::Position(v2::PositionQuestion {
                                context: Some(wire_ctx.clone()),
                                view: Some((&views[seat]).into()),
                            }))
                        })
                        .await;
                    let answers = match replies {
                        None => self.replayed(m),
                        Some(replies) => Answers::Positions(
                            replies
                                .into_iter()
                                .map(|r| {
                                    r.and_then(|a| match a {
                                        v2::answer::Body::Position(p) => {
                                            Ok(PositionAnswer::from(&p))
                                        }
                                        other => Err(wrong_kind("position", &other)),
                                    })
                                })
                                .collect(),
                        ),
                    };
                    (session, answers)
                }
                Question::Votes { ctx, seats, views } => {
                    let seats = seats.to_vec();
                    self.emit(Event::Proposal(v2::ProposalMade {
                        session: ctx.session,
                        item: ctx.item,
                        round: ctx.round,
                        phase: ctx.phase.wire(),
                        value: ctx.proposal,
                        voters: seats.len() as u32,
                    }));
                    let wire_ctx = v2::RoundContext::from(ctx);
                    let views = views.to_vec();
                    let session = ctx.session;
                    let replies = self
                        .ask(m, &seats, |seat| {
                            Some(Body::Vote(v2::VoteQuestion {
                                context: Some(wire_ctx.clone()),
                                view: Some((&views[seat]).into()),
                            }))
                        })
                        .await;
                    let answers = match replies {
                        None => self.replayed(m),
                        Some(replies) => Answers::Votes(
                            replies
                                .into_iter()
                                .map(|r| {
                                    r.and_then(|a| match a {
                                        v2::answer::Body::Vote(v) => {
                                            convert::vote("vote.vote", v.vote)
                                                .map_err(|e| Fault::Invalid(e.to_string()))
                                        }
                                        other => Err(wrong_kind("vote", &other)),
                                    })
                                })
                                .collect::<Vec<Reply<Vote>>>(),
                        ),
                    };
                    (session, answers)
                }
                Question::Outcome { outcome, seats } => {
                    let seats = seats.to_vec();
                    let wire = v2::ItemOutcome::from(outcome);
                    let item_id = m
                        .scenario()
                        .agenda
                        .get(outcome.item as usize)
                        .map(|i| i.id.clone())
                        .unwrap_or_default();
                    self.emit(Event::Decision(v2::DecisionMade {
                        item_id,
                        outcome: Some(wire.clone()),
                    }));
                    // A notice: it rides with the seat's next question; nothing to wait for.
                    for &seat in &seats {
                        self.notice(seat, Body::Outcome(wire.clone()));
                    }
                    let session = outcome.session;
                    let answers = if self.replaying() {
                        self.replayed(m)
                    } else {
                        Answers::Acks(seats.iter().map(|_| Ok(())).collect())
                    };
                    (session, answers)
                }
                Question::SessionEnd {
                    summaries,
                    seats,
                    views,
                } => {
                    let seats = seats.to_vec();
                    let session = summaries.first().map_or(0, |s| s.session);
                    self.emit(Event::SessionEnd(v2::SessionEnded {
                        session,
                        states: seats.len() as u32,
                    }));
                    let summaries = summaries.to_vec();
                    let views = views.to_vec();
                    let replies = self
                        .ask(m, &seats, |seat| {
                            Some(Body::SessionEnd(v2::SessionEndQuestion {
                                summary: Some((&summaries[seat]).into()),
                                view: Some((&views[seat]).into()),
                            }))
                        })
                        .await;
                    let answers = match replies {
                        None => self.replayed(m),
                        Some(replies) => Answers::Stances(
                            replies
                                .into_iter()
                                .map(|r| {
                                    r.and_then(|a| match a {
                                        v2::answer::Body::Stance(s) => {
                                            convert::stance("stance.stance", s.stance)
                                                .map_err(|e| Fault::Invalid(e.to_string()))
                                        }
                                        other => Err(wrong_kind("stance", &other)),
                                    })
                                })
                                .collect::<Vec<Reply<Stance>>>(),
                        ),
                    };
                    (session, answers)
                }
            };
            if !replayed_now && let Some(r) = &mut self.cfg.recorder {
                r.answers(&answers);
            }
            let before = m.violations().len();
            m.submit(answers)
                .expect("the remote driver answers every seat it is asked, in seat order");
            // Every violation the engine recorded, including answers it judged invalid.
            let new: Vec<v2::ViolationRecorded> = m.violations()[before..]
                .iter()
                .map(|v| {
                    let (fault, detail) = fault_kind(&v.fault);
                    warn!(state = %v.state, phase = %v.phase, fault, %detail, "violation");
                    v2::ViolationRecorded {
                        state: v.state.clone(),
                        session,
                        phase: v.phase.clone(),
                        fault: fault.to_string(),
                        detail,
                        suspended: v.suspended,
                    }
                })
                .collect();
            for v in new {
                self.emit(Event::Violation(v));
            }
        }
    }

    fn envelope(&mut self, seat: usize, body: Body, deadline_ms: u32) -> v2::Envelope {
        let s = &mut self.seats[seat];
        s.seq += 1;
        v2::Envelope {
            match_id: self.match_id.clone(),
            state: s.state.clone(),
            seq: s.seq,
            deadline_ms,
            body: Some(body),
        }
    }

    fn notice(&mut self, seat: usize, body: Body) {
        // Numbered whether or not the seat has an endpoint now: sequence numbers must
        // not depend on who was registered when (a replay has nobody).
        let env = self.envelope(seat, body, 0);
        self.seats[seat].outbox.push(env);
    }

    fn open_envelope(&self, m: &Match, seat: usize, deadline_ms: u32) -> v2::Envelope {
        v2::Envelope {
            match_id: self.match_id.clone(),
            state: self.seats[seat].state.clone(),
            seq: 1,
            deadline_ms,
            body: Some(Body::Open(v2::SeatBrief::from(&m.brief(seat)))),
        }
    }

    /// Asks `seats` one question (`body(seat)`; `None` asks only for the open) and
    /// returns each seat's answer body in `seats` order. Seats not yet opened on their
    /// endpoint get their `open` in the same frame, in front of the question. While a
    /// journal is replayed the same envelopes are numbered but not sent, and `None` says
    /// that the answers come from the journal.
    async fn ask(
        &mut self,
        m: &mut Match,
        seats: &[usize],
        body: impl Fn(usize) -> Option<Body>,
    ) -> Option<Vec<Result<v2::answer::Body, Fault>>> {
        let timeout = self.cfg.call.timeout;
        let deadline_ms = u32::try_from(timeout.as_millis())
            .unwrap_or(u32::MAX)
            .max(1);
        let mut frames: HashMap<String, (Link, Vec<Outgoing>)> = HashMap::new();
        let mut waits: Vec<(usize, oneshot::Receiver<AnswerResult>, bool)> =
            Vec::with_capacity(seats.len());
        let mut opens: Vec<(usize, oneshot::Receiver<AnswerResult>)> = Vec::new();
        let mut out: Vec<Option<Result<v2::answer::Body, Fault>>> = vec![None; seats.len()];
        for (k, &seat) in seats.iter().enumerate() {
            // Numbering first, the same whether the seat has an endpoint or not (a
            // replay has none): sequence numbers must come out as they did live.
            let mut batch: Vec<Outgoing> = std::mem::take(&mut self.seats[seat].outbox)
                .into_iter()
                .map(|env| Outgoing { env, answer: None })
                .collect();
            let question = body(seat);
            let only_open = question.is_none();
            let needs_open = only_open
                || (!self.seats[seat].opened && self.seats[seat].open_tries < MAX_OPEN_TRIES);
            let mut open_rx = None;
            if needs_open {
                self.seats[seat].open_tries += 1;
                let (tx, rx) = oneshot::channel();
                let env = self.open_envelope(m, seat, deadline_ms);
                self.seats[seat].seq = self.seats[seat].seq.max(1);
                batch.push(Outgoing {
                    env,
                    answer: Some(tx),
                });
                open_rx = Some(rx);
            }
            let mut question_rx = None;
            if let Some(b) = question {
                let env = self.envelope(seat, b, deadline_ms);
                let (tx, rx) = oneshot::channel();
                batch.push(Outgoing {
                    env,
                    answer: Some(tx),
                });
                question_rx = Some(rx);
            }
            let Some(link) = self.seats[seat].link.clone() else {
                out[k] = Some(Err(Fault::Unavailable(format!(
                    "no delegation registered for State {}",
                    self.seats[seat].state
                ))));
                continue;
            };
            match (open_rx, question_rx) {
                (Some(rx), None) => waits.push((k, rx, true)),
                (open, Some(rx)) => {
                    if let Some(o) = open {
                        opens.push((seat, o));
                    }
                    waits.push((k, rx, false));
                }
                (None, None) => {}
            }
            frames
                .entry(link.endpoint().to_string())
                .or_insert_with(|| (link, Vec::new()))
                .1
                .extend(batch);
        }
        self.stats.round_trips += 1;
        if self.replaying() {
            return None;
        }
        for (_, batch) in frames.values() {
            for o in batch {
                if o.answer.is_some() {
                    self.stats.seat_questions += 1;
                } else {
                    self.stats.notices += 1;
                }
            }
        }
        let now = tokio::time::Instant::now();
        // A deadline beyond the clock's range means "wait as long as it takes".
        let mut deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        // Every endpoint at once, and none longer than the deadline: an endpoint that
        // stops reading its stream holds up only its own seats.
        let sends = frames
            .into_values()
            .map(|(link, batch)| async move { link.send(batch).await });
        let _ = tokio::time::timeout_at(deadline, futures::future::join_all(sends)).await;
        let mut pending: FuturesUnordered<_> = waits
            .into_iter()
            .map(|(k, rx, is_open)| async move {
                let r = rx.await.unwrap_or_else(|_| {
                    Err(Fault::Unavailable(
                        "the link to the endpoint stopped".into(),
                    ))
                });
                (k, r, is_open)
            })
            .collect();
        let mut open_pending: FuturesUnordered<_> = opens
            .into_iter()
            .map(|(seat, rx)| async move {
                let r = rx.await.unwrap_or_else(|_| {
                    Err(Fault::Unavailable(
                        "the link to the endpoint stopped".into(),
                    ))
                });
                (seat, r)
            })
            .collect();
        // The chair itself may fall behind (a stopped or starved process): time it did
        // not run is not time a delegation was late. A deadline that fires well after it
        // was due starts again from now (a few times at most): answers that arrived
        // while the chair was not running are read before anyone is called late.
        let slack = (timeout / 10).max(Duration::from_secs(1));
        let mut extensions = 0;
        let mut grace = 0;
        // One timer per question, reset when the deadline moves (a new timer per answer
        // costs a timer-wheel registration for each of the seats).
        let sleep = tokio::time::sleep_until(deadline);
        tokio::pin!(sleep);
        while !pending.is_empty() || !open_pending.is_empty() {
            tokio::select! {
                biased;
                Some((k, r, is_open)) = pending.next(), if !pending.is_empty() => {
                    let seat = seats[k];
                    out[k] = Some(if is_open {
                        self.opened(m, seat, r).map(|name| v2::answer::Body::Opened(v2::Opened { strategy: name }))
                    } else {
                        self.answer_body(seat, r)
                    });
                }
                Some((seat, r)) = open_pending.next(), if !open_pending.is_empty() => {
                    if let Err(f) = self.opened(m, seat, r) {
                        let (fault, detail) = fault_kind(&f);
                        debug!(state = %self.seats[seat].state, fault, %detail, "reopening the seat failed");
                    }
                }
                _ = &mut sleep => {
                    let late = tokio::time::Instant::now().saturating_duration_since(deadline);
                    if late > slack && extensions < 3 {
                        extensions += 1;
                        warn!(?late, "the chair itself ran late; the question gets a new deadline");
                        deadline = tokio::time::Instant::now() + timeout.min(Duration::from_secs(3600));
                    } else if grace < 3 {
                        // Let the stream readers deliver what already arrived.
                        grace += 1;
                        tokio::task::yield_now().await;
                    } else {
                        break;
                    }
                    // Due again at once after a grace turn, or at the new deadline.
                    sleep.as_mut().reset(deadline);
                }
            }
        }
        Some(
            out.into_iter()
                .map(|r| r.unwrap_or(Err(Fault::Timeout)))
                .collect(),
        )
    }

    /// Takes an `opened` answer: the seat is open and named; errors are faults.
    fn opened(&mut self, m: &mut Match, seat: usize, r: AnswerResult) -> Result<String, Fault> {
        let body = self.answer_body(seat, r)?;
        let name = match body {
            v2::answer::Body::Opened(o) => o.strategy,
            other => return Err(wrong_kind("opened", &other)),
        };
        if name.is_empty() || name.len() > limits::MAX_STRATEGY_BYTES {
            return Err(Fault::Invalid(format!(
                "field `opened.strategy` must be 1..={} bytes; got {} bytes",
                limits::MAX_STRATEGY_BYTES,
                name.len()
            )));
        }
        self.seats[seat].opened = true;
        m.name_strategy(seat, &name);
        if let Some(r) = &mut self.cfg.recorder {
            r.named(seat, &name);
        }
        Ok(name)
    }

    /// The body of an answer, or the fault it amounts to. A refusal saying the seat is
    /// not open makes the driver open it again before the seat's next question.
    fn answer_body(&mut self, seat: usize, r: AnswerResult) -> Result<v2::answer::Body, Fault> {
        match r?.body {
            Some(v2::answer::Body::Refusal(refusal)) => {
                let code = tonic::Code::from_i32(refusal.code);
                if code == tonic::Code::NotFound {
                    self.seats[seat].opened = false;
                    if let Some(r) = &mut self.cfg.recorder {
                        r.unopened(seat);
                    }
                }
                Err(Fault::Unavailable(format!(
                    "the delegation refused the question: {code:?}: {}",
                    limits::truncate(&refusal.message, limits::MAX_REFUSAL_BYTES)
                )))
            }
            Some(b) => Ok(b),
            None => Err(Fault::Invalid("the answer has no body".into())),
        }
    }

    /// Sends the outboxes and a close to every seat that has a link (best effort: the
    /// match is over either way).
    async fn close_all(&mut self) {
        let mut frames: HashMap<String, (Link, Vec<Outgoing>)> = HashMap::new();
        for seat in 0..self.seats.len() {
            let Some(link) = self.seats[seat].link.clone() else {
                continue;
            };
            let close = self.envelope(seat, Body::Close(v2::CloseSeat {}), 0);
            let entry = frames
                .entry(link.endpoint().to_string())
                .or_insert_with(|| (link, Vec::new()));
            for env in std::mem::take(&mut self.seats[seat].outbox)
                .into_iter()
                .chain([close])
            {
                entry.1.push(Outgoing { env, answer: None });
            }
        }
        for (_, (link, batch)) in frames {
            link.send(batch).await;
        }
    }
}

fn wrong_kind(expected: &str, got: &v2::answer::Body) -> Fault {
    let got = match got {
        v2::answer::Body::Opened(_) => "opened",
        v2::answer::Body::Position(_) => "position",
        v2::answer::Body::Vote(_) => "vote",
        v2::answer::Body::Stance(_) => "stance",
        v2::answer::Body::Refusal(_) => "refusal",
    };
    Fault::Invalid(format!("expected a `{expected}` answer, got `{got}`"))
}

/// The kind and detail of a fault, as events and logs show them.
pub fn fault_kind(f: &Fault) -> (&'static str, String) {
    // A timeout says all in its kind; events and logs carry no detail for it.
    let detail = match f {
        Fault::Timeout => String::new(),
        _ => f.detail().to_string(),
    };
    (f.kind(), detail)
}
