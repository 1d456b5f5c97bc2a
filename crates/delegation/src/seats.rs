//! The seats an endpoint plays and the per-seat worker that answers their messages.
//!
//! Every seat has a slot in the [`Seats`] table: its strategy (once opened), the highest
//! sequence number it processed, its last answer (for replays), and a queue of messages
//! not yet processed. Messages to one seat are processed in order by at most one task at
//! a time; different seats are processed concurrently, so one slow strategy never makes
//! the other seats of the endpoint late.

use plenary_core::strategy::{Phase, SeatBrief, Strategy, StrategyFactory};
use plenary_proto::convert::{self, ConvertError, WireEnum};
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tonic::Code;
use tracing::debug;

/// Where a processed question's answer goes: the stream that delivered it.
#[derive(Clone)]
pub(crate) struct ReplyTo {
    pub tx: mpsc::UnboundedSender<v2::Answer>,
    /// Questions of the stream not yet answered (the writer flushes when it reaches 0).
    pub outstanding: Arc<AtomicUsize>,
}

impl ReplyTo {
    pub(crate) fn send(&self, a: v2::Answer) {
        // A closed stream drops its answers: the chair asks again on its next stream.
        let _ = self.tx.send(a);
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Opened {
    strategy: Box<dyn Strategy>,
    brief_digest: (usize, u64),
    name: String,
    /// The strategy panicked: its memory may be half-updated, so it answers no more.
    failed: bool,
}

#[derive(Default)]
struct SlotState {
    opened: Option<Opened>,
    /// Highest seq processed (0 = none).
    last_seq: u64,
    /// The last question answered, for replays.
    last_answer: Option<v2::Answer>,
    queue: VecDeque<(v2::Envelope, Option<ReplyTo>)>,
    running: bool,
    last_used: Option<Instant>,
    closed: bool,
}

type Key = (String, String);

/// The seat table of one served endpoint.
pub(crate) struct Seats<F> {
    factory: F,
    slots: Mutex<HashMap<Key, Arc<Mutex<SlotState>>>>,
    max_seats: usize,
    only_state: Option<String>,
}

/// A refusal answer for `env`.
pub(crate) fn refusal(env: &v2::Envelope, code: Code, message: impl Into<String>) -> v2::Answer {
    let message = message.into();
    v2::Answer {
        match_id: limits::truncate(&env.match_id, limits::MAX_MATCH_ID_BYTES).to_string(),
        state: limits::truncate(&env.state, plenary_core::validate::MAX_ID_BYTES).to_string(),
        seq: env.seq,
        body: Some(v2::answer::Body::Refusal(v2::Refusal {
            code: code as i32,
            message: limits::truncate(&message, limits::MAX_REFUSAL_BYTES).to_string(),
        })),
    }
}

/// Whether an envelope gets an answer: a question, or an envelope without a body (the
/// contract refuses it with INVALID_ARGUMENT). Notices do not.
pub(crate) fn is_question(env: &v2::Envelope) -> bool {
    matches!(
        env.body,
        None | Some(Body::Open(_) | Body::Position(_) | Body::Vote(_) | Body::SessionEnd(_))
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Slots are only touched by short critical sections that cannot panic halfway; a
    // strategy that panics does so outside the lock.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn digest(brief: &v2::SeatBrief) -> (usize, u64) {
    use prost::Message;
    let bytes = brief.encode_to_vec();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    (bytes.len(), h.finish())
}

impl<F: StrategyFactory + 'static> Seats<F> {
    pub(crate) fn new(factory: F, max_seats: usize, only_state: Option<String>) -> Self {
        Seats {
            factory,
            slots: Mutex::new(HashMap::new()),
            max_seats,
            only_state,
        }
    }

    /// Open seats (for tests and metrics).
    pub(crate) fn open_seats(&self) -> usize {
        lock(&self.slots)
            .values()
            .filter(|s| lock(s).opened.is_some())
            .count()
    }

    /// The slot an envelope goes to, or why it goes nowhere: `Err(Some(refusal))` for a
    /// question that cannot reach a seat, `Err(None)` for a notice to drop.
    fn route(
        &self,
        env: &v2::Envelope,
        question: bool,
    ) -> Result<(Key, Arc<Mutex<SlotState>>), Option<v2::Answer>> {
        let refuse = |code, msg: String| {
            if question {
                Err(Some(refusal(env, code, msg)))
            } else {
                debug!(%msg, "notice dropped");
                Err(None)
            }
        };
        if let Err(e) = limits::check_match_id("match_id", &env.match_id)
            .and_then(|_| limits::check_state("state", &env.state))
        {
            return refuse(Code::InvalidArgument, e);
        }
        if env.body.is_none() {
            return refuse(Code::InvalidArgument, "field `body` is missing".into());
        }
        if let Some(only) = &self.only_state
            && &env.state != only
        {
            return refuse(
                Code::PermissionDenied,
                format!(
                    "this delegation serves only State `{only}`; the message is for State {}",
                    limits::prefix(&env.state)
                ),
            );
        }
        let key = (env.match_id.clone(), env.state.clone());
        let mut slots = lock(&self.slots);
        if let Some(s) = slots.get(&key) {
            return Ok((key, Arc::clone(s)));
        }
        if !matches!(env.body, Some(Body::Open(_))) {
            drop(slots);
            if !question {
                // A notice for an unknown seat (a close after eviction, say).
                return Err(None);
            }
            return refuse(
                Code::NotFound,
                format!(
                    "no open seat for State {} in match {} (open must come first)",
                    limits::prefix(&env.state),
                    limits::prefix(&env.match_id)
                ),
            );
        }
        if slots.len() >= self.max_seats {
            drop(slots);
            return refuse(
                Code::ResourceExhausted,
                format!(
                    "this endpoint already plays {} seats, its limit",
                    self.max_seats
                ),
            );
        }
        let s = Arc::new(Mutex::new(SlotState::default()));
        slots.insert(key.clone(), Arc::clone(&s));
        Ok((key, s))
    }

    /// Routes one envelope: refuses it at once when it cannot reach a seat, otherwise
    /// queues it on its seat and makes sure a worker runs. `reply` is `None` for notices.
    pub(crate) fn dispatch(self: &Arc<Self>, env: v2::Envelope, reply: Option<ReplyTo>) {
        let (key, slot) = match self.route(&env, reply.is_some()) {
            Ok(x) => x,
            Err(refused) => {
                if let (Some(r), Some(a)) = (reply, refused) {
                    r.send(a);
                }
                return;
            }
        };
        let start = {
            let mut st = lock(&slot);
            st.queue.push_back((env, reply));
            st.last_used = Some(Instant::now());
            !std::mem::replace(&mut st.running, true)
        };
        if start {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.work(&key, slot) });
        }
    }

    /// Answers a frame whose envelopes all go to one seat right here, in order, when the
    /// seat has no work queued: no task to spawn and no writer to wake, which is most of
    /// the cost of a one-seat endpoint's turn. Returns the envelopes back when the seat
    /// is busy (the caller dispatches them instead).
    pub(crate) fn answer_inline(
        self: &Arc<Self>,
        envs: Vec<v2::Envelope>,
    ) -> Result<Vec<v2::Answer>, Vec<v2::Envelope>> {
        let Some(first) = envs.first() else {
            return Ok(Vec::new());
        };
        let (key, slot) = match self.route(first, is_question(first)) {
            Ok(x) => x,
            // Let dispatch refuse each envelope on its own.
            Err(_) => return Err(envs),
        };
        {
            let mut st = lock(&slot);
            if st.running || !st.queue.is_empty() {
                return Err(envs);
            }
            st.running = true;
            st.last_used = Some(Instant::now());
        }
        let mut answers = Vec::new();
        for env in envs {
            if let Some(a) = self.process(&slot, env) {
                answers.push(a);
            }
        }
        // Anything queued meanwhile (another stream) gets a worker.
        let queued = {
            let mut st = lock(&slot);
            let q = !st.queue.is_empty();
            if !q {
                st.running = false;
            }
            q
        };
        if queued {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.work(&key, slot) });
        } else {
            self.forget_if_closed(&key, &slot);
        }
        Ok(answers)
    }

    /// Drains a seat's queue in order.
    fn work(&self, key: &Key, slot: Arc<Mutex<SlotState>>) {
        loop {
            let next = {
                let mut st = lock(&slot);
                match st.queue.pop_front() {
                    Some(x) => x,
                    None => {
                        st.running = false;
                        break;
                    }
                }
            };
            let (env, reply) = next;
            let answer = self.process(&slot, env);
            if let (Some(r), Some(a)) = (reply, answer) {
                r.send(a);
            }
        }
        self.forget_if_closed(key, &slot);
    }

    /// A closed seat leaves the table, unless a new open for it is already queued.
    fn forget_if_closed(&self, key: &Key, slot: &Arc<Mutex<SlotState>>) {
        let mut slots = lock(&self.slots);
        let st = lock(slot);
        if st.closed && st.queue.is_empty() && !st.running {
            drop(st);
            if slots.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
                slots.remove(key);
            }
        }
    }

    /// Processes one message of a seat; returns the answer of a question.
    fn process(&self, slot: &Mutex<SlotState>, env: v2::Envelope) -> Option<v2::Answer> {
        let question = is_question(&env);
        let mut st = lock(slot);
        // Replays: a notice already seen is ignored; the last question gets its answer
        // again without asking the strategy; older questions are out of range.
        if env.seq <= st.last_seq && st.opened.is_some() {
            if !question {
                return None;
            }
            if let Some(last) = st.last_answer.as_ref().filter(|a| a.seq == env.seq) {
                // A replayed open with a different brief is a different seat.
                if let (Some(Body::Open(b)), Some(o)) = (&env.body, &st.opened)
                    && digest(b) != o.brief_digest
                {
                    return Some(refusal(
                        &env,
                        Code::AlreadyExists,
                        "this seat is open with a different brief",
                    ));
                }
                return Some(last.clone());
            }
            if let Some(Body::Open(b)) = &env.body
                && let Some(o) = &st.opened
            {
                return Some(if digest(b) == o.brief_digest {
                    opened(&env, &o.name)
                } else {
                    refusal(
                        &env,
                        Code::AlreadyExists,
                        "this seat is open with a different brief",
                    )
                });
            }
            return Some(refusal(
                &env,
                Code::OutOfRange,
                format!(
                    "seq {} is older than this seat's last answered question (seq {})",
                    env.seq, st.last_seq
                ),
            ));
        }
        let seq = env.seq;
        let answer = match env.body {
            Some(Body::Open(b)) => {
                // The seat is not open here (a replayed open of an open seat was answered
                // above): it opens afresh, numbering from this open, even when its slot
                // still remembers a closed seat's messages.
                st.last_seq = 0;
                st.last_answer = None;
                let d = digest(&b);
                match SeatBrief::try_from(b) {
                    Err(e) => Some(invalid(&env.match_id, &env.state, seq, e)),
                    Ok(brief) if brief.match_id != env.match_id || brief.state != env.state => {
                        Some(refusal_for(
                            &env.match_id,
                            &env.state,
                            seq,
                            Code::InvalidArgument,
                            "field `open.match_id`/`open.state` differ from the envelope's",
                        ))
                    }
                    Ok(brief) => {
                        let strategy = self.factory.create(&brief);
                        let name = limits::truncate(strategy.name(), limits::MAX_STRATEGY_BYTES)
                            .to_string();
                        debug!(match_id = %brief.match_id, state = %brief.state, strategy = %name, "seat opened");
                        st.opened = Some(Opened {
                            strategy,
                            brief_digest: d,
                            name: name.clone(),
                            failed: false,
                        });
                        st.closed = false;
                        Some(opened_for(&env.match_id, &env.state, seq, &name))
                    }
                }
            }
            Some(Body::Close(_)) => {
                st.opened = None;
                st.last_answer = None;
                st.closed = true;
                None
            }
            body => {
                let ids = (env.match_id.as_str(), env.state.as_str());
                let Some(o) = st.opened.as_mut() else {
                    return question.then(|| {
                        refusal_for(
                            ids.0,
                            ids.1,
                            seq,
                            Code::NotFound,
                            "this seat is not open (open must come first)",
                        )
                    });
                };
                if o.failed {
                    return question.then(|| {
                        refusal_for(
                            ids.0,
                            ids.1,
                            seq,
                            Code::Internal,
                            "this seat's strategy failed earlier and answers no more",
                        )
                    });
                }
                // A strategy that panics must not take the endpoint's other seats with it:
                // the question is refused with INTERNAL and the seat answers no more.
                let strategy = &mut o.strategy;
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                    || match body {
                        Some(Body::Position(q)) => Some(match convert::position_question(q) {
                            Err(e) => invalid(ids.0, ids.1, seq, e),
                            Ok((ctx, _)) if ctx.phase != Phase::Positions => refusal_for(
                                ids.0,
                                ids.1,
                                seq,
                                Code::FailedPrecondition,
                                format!(
                                    "a position asked in phase {}; positions are asked in phase POSITIONS",
                                    phase_name(ctx.phase)
                                ),
                            ),
                            Ok((ctx, view)) => {
                                let a = strategy.position(&ctx, &view);
                                answer(ids, seq, v2::answer::Body::Position((&a).into()))
                            }
                        }),
                        Some(Body::Vote(q)) => Some(match convert::vote_question(q) {
                            Err(e) => invalid(ids.0, ids.1, seq, e),
                            Ok((ctx, _)) if ctx.phase == Phase::Positions => refusal_for(
                                ids.0,
                                ids.1,
                                seq,
                                Code::FailedPrecondition,
                                "a vote asked in phase POSITIONS; votes are asked in DECISION, SILENCE and PACKAGE",
                            ),
                            Ok((ctx, view)) => {
                                let v = strategy.vote(&ctx, &view);
                                answer(
                                    ids,
                                    seq,
                                    v2::answer::Body::Vote(v2::VoteAnswer { vote: v.wire() }),
                                )
                            }
                        }),
                        Some(Body::SessionEnd(q)) => Some(match convert::session_end_question(q) {
                            Err(e) => invalid(ids.0, ids.1, seq, e),
                            Ok((summary, view)) => {
                                let s = strategy.session_end(&summary, &view);
                                answer(
                                    ids,
                                    seq,
                                    v2::answer::Body::Stance(v2::StanceAnswer { stance: s.wire() }),
                                )
                            }
                        }),
                        Some(Body::Outcome(out)) => {
                            match plenary_core::strategy::ItemOutcome::try_from(out) {
                                Ok(out) => strategy.outcome(&out),
                                Err(e) => debug!(%e, "outcome notice dropped"),
                            }
                            None
                        }
                        Some(Body::Open(_) | Body::Close(_)) | None => None,
                    },
                ));
                match caught {
                    Ok(a) => a,
                    Err(_) => {
                        o.failed = true;
                        question.then(|| {
                            refusal_for(
                                ids.0,
                                ids.1,
                                seq,
                                Code::Internal,
                                "the strategy failed (panicked) computing this answer",
                            )
                        })
                    }
                }
            }
        };
        st.last_seq = st.last_seq.max(seq);
        if let Some(a) = &answer {
            st.last_answer = Some(a.clone());
        }
        answer
    }

    /// Drops seats that have not heard from the chair for `idle` (a chair that vanished
    /// mid-match, say): their memory is bounded in time as well as in count.
    pub(crate) fn evict_idle(&self, idle: Duration) -> usize {
        let now = Instant::now();
        let mut slots = lock(&self.slots);
        let before = slots.len();
        slots.retain(|_, s| {
            let st = lock(s);
            st.running || st.last_used.is_some_and(|t| now.duration_since(t) < idle)
        });
        before - slots.len()
    }
}

fn answer(ids: (&str, &str), seq: u64, body: v2::answer::Body) -> v2::Answer {
    v2::Answer {
        match_id: ids.0.to_string(),
        state: ids.1.to_string(),
        seq,
        body: Some(body),
    }
}

fn opened(env: &v2::Envelope, name: &str) -> v2::Answer {
    opened_for(&env.match_id, &env.state, env.seq, name)
}

fn opened_for(match_id: &str, state: &str, seq: u64, name: &str) -> v2::Answer {
    answer(
        (match_id, state),
        seq,
        v2::answer::Body::Opened(v2::Opened {
            strategy: name.to_string(),
        }),
    )
}

fn refusal_for(
    match_id: &str,
    state: &str,
    seq: u64,
    code: Code,
    message: impl Into<String>,
) -> v2::Answer {
    answer(
        (match_id, state),
        seq,
        v2::answer::Body::Refusal(v2::Refusal {
            code: code as i32,
            message: message.into(),
        }),
    )
}

fn invalid(match_id: &str, state: &str, seq: u64, e: ConvertError) -> v2::Answer {
    refusal_for(match_id, state, seq, Code::InvalidArgument, e.to_string())
}

fn phase_name(p: Phase) -> &'static str {
    v2::Phase::from(p)
        .as_str_name()
        .trim_start_matches("PHASE_")
}
