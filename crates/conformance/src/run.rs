//! One run of the suite against one endpoint: the order in which it exercises the
//! endpoint, and the verdict of every check.
//!
//! The order: connect; health, the hello variants, the token and reflection ([`side`],
//! concurrently); the main script over two streams (the chair half-closes the first
//! after session 0, replays on the second, then the [`probes`] and the closes); the
//! stream limits; then whether the endpoint still serves. Every message sent goes into
//! a [`Ledger`] with what came back for it; the verdicts ([`verdicts`]) are judged from
//! it at the end, so each check fails for its own reason only.

use crate::Options;
use crate::checks::CHECKS;
use crate::ledger::{Entry, Expect, Kind, Ledger, Origin};
use crate::play::{self, Dial, Ended, Event, Play};
use crate::probes::{self, Target};
use crate::report::{Check, Report};
use crate::script::{self, ITEMS, Msg};
use crate::side;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use tonic::Code;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;

mod verdicts;

/// The scripted matches, by index: two whose answers must be identical, one whose open
/// is replayed, one whose questions are replayed.
const MATCHES: [&str; 4] = ["a", "b", "reopen", "replay"];
const MA: usize = 0;
const MB: usize = 1;
const REOPEN: usize = 2;
const REPLAY: usize = 3;

/// Largest frame the checker sends (the over-limit frame of `stream-limits`).
const MAX_SEND: usize = limits::MAX_MESSAGE_BYTES + (1 << 20);

/// A message about to be sent.
struct Planned {
    env: v2::Envelope,
    check: &'static str,
    label: String,
    expect: Expect,
    origin: Origin,
}

/// A scripted message sent to a seat: its seq, what it was and its ledger entry.
#[derive(Clone)]
struct Sent {
    seq: u64,
    msg: Msg,
    entry: usize,
}

/// What the replay frames sent.
#[derive(Default)]
struct Replays {
    /// (replayed question's entry, original entry).
    question: Vec<(usize, usize)>,
    /// Older-seq questions (OUT_OF_RANGE due).
    old: Vec<usize>,
    /// Replayed notices (silence due).
    notice: Vec<usize>,
    /// (replayed identical open, original open).
    open: Vec<(usize, usize)>,
    /// Opens with a different brief (ALREADY_EXISTS due).
    different: Vec<usize>,
}

/// What the close frames sent.
#[derive(Default)]
struct Closes {
    /// Close notices and questions after them (all in `close`'s ledger entries).
    entries: Vec<usize>,
    /// (first position after reopening, the original first position of the seat).
    fresh: Vec<(usize, usize)>,
}

/// The state of one run.
struct Run {
    dial: Dial,
    states: Vec<String>,
    timeout: Duration,
    deadline_ms: u32,
    prefix: String,
    ledger: Ledger,
    play: Option<Play>,
    /// Number of the current stream (streams of the main script count from 1).
    stream_no: usize,
    half_closed: bool,
    /// Why no stream can be opened any more.
    dead: Option<String>,
    seqs: HashMap<(String, String), u64>,
    /// Seats that missed a deadline: later frames do not wait for them.
    unwaited: HashSet<(String, String)>,
    /// Problems for the `stream` and `outcome` checks, found while running.
    stream_problems: Vec<String>,
    outcome_problems: Vec<String>,
    /// What the last frame carried (for a reason when the stream ends after it).
    last_frame: (String, bool),
    /// Script messages per (match, seat), in order.
    sent: HashMap<(usize, usize), Vec<Sent>>,
    replays: Replays,
    closes: Closes,
    /// Entries of the fresh match of `still-serving`.
    fresh: Vec<usize>,
    /// Entries of the opens of the match with the longest id.
    long_opens: Vec<usize>,
}

/// Runs the whole suite; never fails (problems are failed checks).
pub(crate) async fn run(endpoint: &str, opts: Options) -> Report {
    let mut verdicts: BTreeMap<&'static str, Check> = BTreeMap::new();
    let done = |verdicts: BTreeMap<&'static str, Check>| Report {
        endpoint: endpoint.to_string(),
        checks: CHECKS
            .iter()
            .map(|c| {
                verdicts
                    .get(c.name)
                    .cloned()
                    .unwrap_or_else(|| Check::fail(c.name, "not run"))
            })
            .collect(),
    };
    let not_run = |verdicts: &mut BTreeMap<&'static str, Check>, why: &str| {
        for c in CHECKS {
            verdicts
                .entry(c.name)
                .or_insert_with(|| Check::fail(c.name, format!("not run: {why}")));
        }
    };
    let timeout = opts.timeout.max(Duration::from_millis(1));
    let states = match crate::normalized_states(&opts.states) {
        Ok(s) => s,
        Err(e) => {
            verdicts.insert("connect", Check::fail("connect", e));
            not_run(&mut verdicts, "the options are invalid");
            return done(verdicts);
        }
    };
    let (token, token_error) = match opts.token.as_deref() {
        None => (None, None),
        Some(t) => match limits::check_token("token", t)
            .and_then(|_| AsciiMetadataValue::try_from(t).map_err(|e| e.to_string()))
        {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(format!("the token given cannot be sent: {e}"))),
        },
    };
    let channel = match side::connect(endpoint, timeout).await {
        Ok(c) => c,
        Err(e) => {
            verdicts.insert("connect", Check::fail("connect", e));
            not_run(&mut verdicts, "no connection");
            return done(verdicts);
        }
    };
    verdicts.insert(
        "connect",
        Check::pass(
            "connect",
            format!("connected to {}", crate::endpoint_url(endpoint)),
        ),
    );
    let dial = Dial {
        channel: channel.clone(),
        token,
        timeout,
        max_send: MAX_SEND,
    };

    // Side checks first, concurrently: each is bounded by the timeout.
    let (health, hello, token_check, reflection) = tokio::join!(
        side::health("health", &channel, timeout),
        side::hello_check(&dial),
        side::token_check(&dial, opts.token.is_some(), token_error),
        side::reflection(&channel, timeout),
    );
    for c in [health, hello, token_check, reflection] {
        verdicts.insert(c.name, c);
    }

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut run = Run {
        dial,
        states,
        timeout,
        deadline_ms: u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX),
        // Unique per run, so runs against one endpoint never share a seat: at most 37
        // bytes, leaving room for the suffixes within the 64 bytes of a match id.
        prefix: format!("conformance-{:x}-{:x}", std::process::id(), nanos as u64),
        ledger: Ledger::default(),
        play: None,
        stream_no: 0,
        half_closed: false,
        dead: None,
        seqs: HashMap::new(),
        unwaited: HashSet::new(),
        stream_problems: Vec::new(),
        outcome_problems: Vec::new(),
        last_frame: (String::new(), false),
        sent: HashMap::new(),
        replays: Replays::default(),
        closes: Closes::default(),
        fresh: Vec::new(),
        long_opens: Vec::new(),
    };
    run.script().await;
    if let Some(why) = run.dead.clone() {
        for name in ["stream-limits", "still-serving"] {
            verdicts.insert(name, Check::fail(name, format!("not run: {why}")));
        }
    } else {
        let limits = side::stream_limits(&run.dial, &run.prefix, &run.states[0]).await;
        verdicts.insert("stream-limits", limits);
        verdicts.insert("still-serving", run.still_serving(&channel).await);
    }
    for c in run.verdicts() {
        verdicts.insert(c.name, c);
    }
    done(verdicts)
}

fn kind_of(msg: &Msg, seat: usize, seats: usize) -> Expect {
    match msg {
        Msg::Open => Expect::Answer(Kind::Open),
        Msg::Position(c, _) => Expect::Answer(Kind::Position {
            item: c.item,
            agenda: ITEMS,
            seat: u32::try_from(seat).unwrap_or(u32::MAX),
            seats: u32::try_from(seats).unwrap_or(u32::MAX),
        }),
        Msg::Vote(..) => Expect::Answer(Kind::Vote),
        Msg::SessionEnd(..) => Expect::Answer(Kind::SessionEnd),
        Msg::Outcome(_) | Msg::Close => Expect::Silence,
    }
}

impl Run {
    fn match_id(&self, m: usize) -> String {
        format!("{}-{}", self.prefix, MATCHES[m])
    }

    fn brief(&self, m: usize, seat: usize) -> v2::SeatBrief {
        script::brief(
            &self.match_id(m),
            seat,
            &self.states[seat],
            self.states.len(),
        )
    }

    fn next_seq(&mut self, match_id: &str, state: &str) -> u64 {
        let s = self
            .seqs
            .entry((match_id.to_string(), state.to_string()))
            .or_insert(0);
        *s += 1;
        *s
    }

    fn envelope(&self, match_id: &str, state: &str, seq: u64, body: Option<Body>) -> v2::Envelope {
        let question = !matches!(body, Some(Body::Outcome(_) | Body::Close(_)));
        v2::Envelope {
            match_id: match_id.to_string(),
            state: state.to_string(),
            seq,
            deadline_ms: if question { self.deadline_ms } else { 0 },
            body,
        }
    }

    /// A scripted message to seat `seat` of match `m`, with the seat's next seq.
    fn plan_script(&mut self, m: usize, seat: usize, msg: &Msg) -> Planned {
        let match_id = self.match_id(m);
        let state = self.states[seat].clone();
        let seq = if matches!(msg, Msg::Open) {
            self.seqs.insert((match_id.clone(), state.clone()), 1);
            1
        } else {
            self.next_seq(&match_id, &state)
        };
        let body = msg.body(&self.brief(m, seat));
        Planned {
            env: self.envelope(&match_id, &state, seq, Some(body)),
            check: msg.check(),
            label: msg.label(),
            expect: kind_of(msg, seat, self.states.len()),
            origin: Origin::Script { m, seat },
        }
    }

    /// A probe: any envelope, with the check it counts for and what is due.
    fn probe(
        &mut self,
        check: &'static str,
        label: &str,
        match_id: &str,
        state: &str,
        body: Option<Body>,
        expect: Expect,
    ) -> Planned {
        let seq = self.next_seq(match_id, state);
        Planned {
            env: self.envelope(match_id, state, seq, body),
            check,
            label: label.to_string(),
            expect,
            origin: Origin::Other,
        }
    }

    /// Makes sure a stream is open (a new one after an end); false when none can be.
    async fn ensure_stream(&mut self) -> bool {
        if self.dead.is_some() {
            return false;
        }
        if let Some(p) = &self.play
            && p.ended.is_none()
            && !self.half_closed
        {
            return true;
        }
        match Play::open(&self.dial, &[plenary_proto::CONTRACT_VERSION]).await {
            Ok((p, _)) => {
                self.play = Some(p);
                self.stream_no += 1;
                self.half_closed = false;
                true
            }
            Err(f) => {
                self.dead = Some(format!("no Play stream could be opened ({f})"));
                self.play = None;
                false
            }
        }
    }

    /// Sends one frame of `planned` messages (in order); returns their ledger entries.
    async fn send_frame(&mut self, planned: Vec<Planned>) -> Vec<usize> {
        let ok = self.ensure_stream().await;
        let outcome = planned
            .iter()
            .any(|p| matches!(p.env.body, Some(Body::Outcome(_))));
        let mut kinds: Vec<String> = planned.iter().map(|p| p.label.clone()).collect();
        kinds.dedup();
        if kinds.is_empty() {
            kinds.push("an empty batch".to_string());
        }
        self.last_frame = (kinds.join(", "), outcome);
        let envs: Vec<v2::Envelope> = planned.iter().map(|p| p.env.clone()).collect();
        let sent = match (ok, self.play.as_mut()) {
            (true, Some(play)) => Ok(play.send(play::batch(envs)).await),
            _ => Err(self.dead.clone().unwrap_or_else(|| "no stream".to_string())),
        };
        planned
            .into_iter()
            .map(|p| {
                self.ledger.add(Entry {
                    key: (p.env.match_id, p.env.state, p.env.seq),
                    check: p.check,
                    label: p.label,
                    expect: p.expect,
                    origin: p.origin,
                    stream: self.stream_no,
                    sent: sent.clone(),
                    answers: Vec::new(),
                })
            })
            .collect()
    }

    /// Reads the stream until every question of `ids` is answered (all of them, or only
    /// those of seats still waited for) or their deadline passes; seats that missed it
    /// are not waited for again.
    async fn wait(&mut self, ids: &[usize], all: bool) {
        let relevant: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| {
                let e = &self.ledger.entries[i];
                e.is_question()
                    && e.sent.is_ok()
                    && (all || !self.unwaited.contains(&(e.key.0.clone(), e.key.1.clone())))
            })
            .collect();
        let until = relevant
            .iter()
            .filter_map(|&i| self.ledger.entries[i].sent.as_ref().ok().copied())
            .min()
            .unwrap_or_else(Instant::now)
            + self.timeout;
        self.pump(until, Some(&relevant)).await;
        for &i in &relevant {
            let e = &self.ledger.entries[i];
            if e.answers.is_empty() {
                self.unwaited.insert((e.key.0.clone(), e.key.1.clone()));
            }
        }
    }

    /// Files what the stream delivers until `until`, until `want` is answered (or, with
    /// `None`, until the stream ends).
    async fn pump(&mut self, until: Instant, want: Option<&[usize]>) {
        let Run {
            play,
            ledger,
            stream_no,
            half_closed,
            stream_problems,
            outcome_problems,
            last_frame,
            ..
        } = self;
        let Some(play) = play.as_mut() else {
            return;
        };
        loop {
            if want.is_some_and(|w| ledger.answered(w)) {
                return;
            }
            match play.next(until).await {
                None => return,
                Some(Event::Frame(f, at)) => match f.frame {
                    Some(v2::delegation_frame::Frame::Answers(a)) => {
                        ledger.answer_frames += 1;
                        ledger.largest_answer_frame =
                            ledger.largest_answer_frame.max(a.answers.len());
                        for ans in a.answers {
                            ledger.file(*stream_no, ans, at);
                        }
                    }
                    Some(v2::delegation_frame::Frame::Hello(_)) => stream_problems.push(format!(
                        "stream {stream_no}: a second DelegationHello (the contract has exactly one, first)"
                    )),
                    None => stream_problems
                        .push(format!("stream {stream_no}: a DelegationFrame with nothing set")),
                },
                Some(Event::End(e)) => {
                    if !*half_closed {
                        let why = format!(
                            "stream {stream_no} ended with {e} before the chair half-closed it, after a frame of {}",
                            last_frame.0
                        );
                        if last_frame.1 {
                            outcome_problems.push(why.clone());
                        }
                        stream_problems.push(why);
                    }
                    return;
                }
            }
        }
    }

    /// Half-closes the current stream and waits for its end, which must be OK.
    async fn end_stream(&mut self) {
        let Some(play) = self.play.as_mut() else {
            return;
        };
        if play.ended.is_some() {
            return;
        }
        play.half_close();
        self.half_closed = true;
        let until = Instant::now() + self.timeout;
        self.pump(until, None).await;
        let n = self.stream_no;
        match self.play.as_ref().and_then(|p| p.ended.clone()) {
            Some(Ended::Ok) => {}
            Some(e) => self.stream_problems.push(format!(
                "stream {n} ended with {e} after the chair half-closed it; OK is due"
            )),
            None => self.stream_problems.push(format!(
                "stream {n} did not end within {} ms after the chair half-closed it",
                self.timeout.as_millis()
            )),
        }
    }

    /// One scripted frame: `msgs` to every seat of every match.
    /// One scripted frame, with `extra` messages at its end; returns the entries of the
    /// extra messages.
    async fn script_frame_with(&mut self, msgs: &[Msg], extra: Vec<Planned>) -> Vec<usize> {
        let mut planned = Vec::new();
        let mut record = Vec::new();
        for m in 0..MATCHES.len() {
            for seat in 0..self.states.len() {
                for msg in msgs {
                    let p = self.plan_script(m, seat, msg);
                    record.push((m, seat, p.env.seq, msg.clone()));
                    planned.push(p);
                }
            }
        }
        let scripted = planned.len();
        planned.extend(extra);
        let ids = self.send_frame(planned).await;
        for ((m, seat, seq, msg), entry) in record.into_iter().zip(&ids) {
            self.sent.entry((m, seat)).or_default().push(Sent {
                seq,
                msg,
                entry: *entry,
            });
        }
        self.wait(&ids, false).await;
        ids[scripted..].to_vec()
    }

    /// One scripted frame: `msgs` to every seat of every match.
    async fn script_frame(&mut self, msgs: &[Msg]) {
        self.script_frame_with(msgs, Vec::new()).await;
    }

    /// A match id of exactly the contract's limit.
    fn long_match_id(&self) -> String {
        let mut id = format!("{}-long-", self.prefix);
        while id.len() < limits::MAX_MATCH_ID_BYTES {
            id.push('l');
        }
        id
    }

    /// The main script: opens, session 0, a new stream, replays, session 1, probes,
    /// closes.
    async fn script(&mut self) {
        if !self.ensure_stream().await {
            return;
        }
        // The opens carry one more match, whose id is as long as the contract allows.
        let long = self.long_match_id();
        let mut extra = Vec::new();
        for seat in 0..self.states.len() {
            let state = self.states[seat].clone();
            let brief = script::brief(&long, seat, &state, self.states.len());
            self.seqs.insert((long.clone(), state.clone()), 0);
            let label = format!("open ({}-byte match id)", long.len());
            extra.push(self.probe(
                "open-seat",
                &label,
                &long,
                &state,
                Some(Body::Open(brief)),
                Expect::Answer(Kind::Open),
            ));
        }
        self.long_opens = self.script_frame_with(&[Msg::Open], extra).await;
        // An empty batch is ignored (the stream goes on).
        self.send_frame(Vec::new()).await;
        for frame in script::session(0) {
            self.script_frame(&frame).await;
        }
        self.end_stream().await;
        if !self.ensure_stream().await {
            return;
        }
        self.replay_frames().await;
        // Seq numbers may skip: session 1 starts one number further on, in every seat.
        for seat in 0..self.states.len() {
            for m in 0..MATCHES.len() {
                self.next_seq(&self.match_id(m), &self.states[seat].clone());
            }
        }
        for frame in script::session(1) {
            self.script_frame(&frame).await;
        }
        self.probes().await;
        self.close_frames().await;
        self.end_stream().await;
    }

    fn script_sent(&self, m: usize, seat: usize) -> Vec<Sent> {
        self.sent.get(&(m, seat)).cloned().unwrap_or_default()
    }

    /// Replays at the start of the second stream, as a chair that reconnected would.
    async fn replay_frames(&mut self) {
        let mut first = Vec::new();
        let mut second = Vec::new();
        let mut r = Replays::default();
        let mut tags_first = Vec::new();
        let mut tags_second = Vec::new();
        for seat in 0..self.states.len() {
            let state = self.states[seat].clone();
            // The reopen match: the same open again, then a different brief.
            let reopen_id = self.match_id(REOPEN);
            let original_open = self
                .script_sent(REOPEN, seat)
                .first()
                .map(|s| s.entry)
                .unwrap_or_default();
            let brief = self.brief(REOPEN, seat);
            first.push(Planned {
                env: self.envelope(&reopen_id, &state, 1, Some(Body::Open(brief.clone()))),
                check: "replay-open",
                label: "open replayed with the same brief".to_string(),
                expect: Expect::Answer(Kind::Open),
                origin: Origin::Other,
            });
            tags_first.push(Some(original_open));
            let mut other = brief;
            other.seed = other.seed.wrapping_add(1);
            second.push(Planned {
                env: self.envelope(&reopen_id, &state, 1, Some(Body::Open(other))),
                check: "replay-open",
                label: "open replayed with a different brief (seed + 1)".to_string(),
                expect: Expect::Refusal(&[Code::AlreadyExists]),
                origin: Origin::Other,
            });
            tags_second.push("different");
            // The replay match: its last question again, its last notice again, and an
            // older question.
            let replay_id = self.match_id(REPLAY);
            let sent = self.script_sent(REPLAY, seat);
            let brief = self.brief(REPLAY, seat);
            if let Some(last) = sent.iter().rev().find(|s| s.msg.is_question()) {
                first.push(Planned {
                    env: self.envelope(&replay_id, &state, last.seq, Some(last.msg.body(&brief))),
                    check: "replay",
                    label: format!("{} sent again", last.msg.label()),
                    expect: kind_of(&last.msg, seat, self.states.len()),
                    origin: Origin::Other,
                });
                tags_first.push(Some(last.entry));
            }
            if let Some(notice) = sent.iter().rev().find(|s| !s.msg.is_question()) {
                second.push(Planned {
                    env: self.envelope(
                        &replay_id,
                        &state,
                        notice.seq,
                        Some(notice.msg.body(&brief)),
                    ),
                    check: "replay",
                    label: format!("{} sent again", notice.msg.label()),
                    expect: Expect::Silence,
                    origin: Origin::Other,
                });
                tags_second.push("notice");
            }
            if let Some(old) = sent.iter().find(|s| matches!(s.msg, Msg::Position(..))) {
                second.push(Planned {
                    env: self.envelope(&replay_id, &state, old.seq, Some(old.msg.body(&brief))),
                    check: "replay",
                    label: format!("{} sent again after later questions", old.msg.label()),
                    expect: Expect::Refusal(&[Code::OutOfRange]),
                    origin: Origin::Other,
                });
                tags_second.push("old");
            }
        }
        let ids = self.send_frame(first).await;
        for (id, original) in ids.iter().zip(tags_first) {
            let original = original.unwrap_or_default();
            if self.ledger.entries[*id].check == "replay-open" {
                r.open.push((*id, original));
            } else {
                r.question.push((*id, original));
            }
        }
        self.wait(&ids, true).await;
        let ids = self.send_frame(second).await;
        for (id, tag) in ids.iter().zip(tags_second) {
            match tag {
                "different" => r.different.push(*id),
                "notice" => r.notice.push(*id),
                _ => r.old.push(*id),
            }
        }
        self.wait(&ids, true).await;
        self.replays = r;
    }

    /// The refusal probes of [`crate::probes`], all in one frame.
    async fn probes(&mut self) {
        let a = self.match_id(MA);
        let state = self.states[0].clone();
        let stranger = ["ZZZ", "ZZY", "ZZX", "ZZW", "ZZV"]
            .iter()
            .find(|s| !self.states.iter().any(|t| t == *s))
            .map_or_else(|| "ZZZZZZ".to_string(), |s| (*s).to_string());
        let prefix = self.prefix.clone();
        let fresh = |k: usize| format!("{prefix}-malformed-{k}");
        let n = self.states.len();
        let list = probes::probes(|k| script::brief(&fresh(k), 0, &state, n));
        let mut planned = Vec::new();
        for p in list {
            let (match_id, who) = match p.target {
                Target::Open => (a.clone(), state.clone()),
                Target::Ghost => (format!("{}-ghost", self.prefix), state.clone()),
                Target::Stranger => (a.clone(), stranger.clone()),
                Target::NoMatch => (String::new(), state.clone()),
                Target::NoState => (a.clone(), String::new()),
                Target::Fresh(k) => (fresh(k), state.clone()),
                Target::LongMatch => (format!("{}x", self.long_match_id()), state.clone()),
                Target::BadState => (a.clone(), "R S".to_string()),
                Target::LongState => (a.clone(), "S".repeat(65)),
            };
            // Seats never opened get seqs from 2 (as if their open had been seq 1),
            // opens seq 1.
            let key = (match_id.clone(), who.clone());
            let first = u64::from(!matches!(p.body, Some(Body::Open(_))));
            self.seqs.entry(key).or_insert(first);
            planned.push(self.probe(p.check, &p.label, &match_id, &who, p.body, p.expect));
        }
        let envs: Vec<v2::Envelope> = planned.iter().map(|p| p.env.clone()).collect();
        let ids = self.send_frame(planned).await;
        let mut planned_env: HashMap<usize, v2::Envelope> = ids.iter().copied().zip(envs).collect();
        self.wait(&ids, true).await;
        // The open seat's last question was refused: sent again, the same refusal.
        let last = ids.iter().copied().rfind(|&i| {
            let e = &self.ledger.entries[i];
            e.key.0 == a && e.key.1 == state && e.is_question()
        });
        if let Some(original) = last {
            let e = self.ledger.entries[original].clone();
            let env = planned_env.remove(&original).unwrap_or_default();
            let again = Planned {
                env,
                check: "replay",
                label: format!("{} sent again (refused the first time)", e.label),
                expect: e.expect.clone(),
                origin: Origin::Other,
            };
            let ids = self.send_frame(vec![again]).await;
            self.replays.question.push((ids[0], original));
            self.wait(&ids, true).await;
        }
    }

    /// Closes every scripted seat; asks a closed seat a question; reopens match a's
    /// seats and asks their first position again; closes them.
    async fn close_frames(&mut self) {
        let mut c1 = Vec::new();
        let mut after = Vec::new();
        for m in 0..MATCHES.len() {
            for seat in 0..self.states.len() {
                let id = self.match_id(m);
                let state = self.states[seat].clone();
                c1.push(self.probe(
                    "close",
                    "close notice",
                    &id,
                    &state,
                    Some(Body::Close(v2::CloseSeat {})),
                    Expect::Silence,
                ));
                if m == MA {
                    after.push((id, state));
                }
            }
        }
        let first_position = script::session(0)
            .into_iter()
            .flatten()
            .find(|m| matches!(m, Msg::Position(..)))
            .unwrap_or(Msg::Open);
        for (id, state) in &after {
            let body = first_position.body(&v2::SeatBrief::default());
            c1.push(self.probe(
                "close",
                "position to a closed seat",
                id,
                state,
                Some(body),
                Expect::Refusal(&[Code::NotFound]),
            ));
        }
        let long = self.long_match_id();
        for seat in 0..self.states.len() {
            let state = self.states[seat].clone();
            c1.push(self.probe(
                "close",
                "close notice",
                &long,
                &state,
                Some(Body::Close(v2::CloseSeat {})),
                Expect::Silence,
            ));
        }
        let ids = self.send_frame(c1).await;
        self.closes.entries.extend(&ids);
        self.wait(&ids, true).await;

        let mut c2 = Vec::new();
        let mut originals = Vec::new();
        for seat in 0..self.states.len() {
            let id = self.match_id(MA);
            let state = self.states[seat].clone();
            self.seqs.insert((id.clone(), state.clone()), 0);
            let brief = self.brief(MA, seat);
            c2.push(self.probe(
                "close",
                "open of a closed seat",
                &id,
                &state,
                Some(Body::Open(brief.clone())),
                Expect::Answer(Kind::Open),
            ));
            let original = self
                .script_sent(MA, seat)
                .into_iter()
                .find(|s| s.msg == first_position);
            c2.push(self.probe(
                "close",
                &format!("{} after reopening", first_position.label()),
                &id,
                &state,
                Some(first_position.body(&brief)),
                kind_of(&first_position, seat, self.states.len()),
            ));
            originals.push(original.map(|s| s.entry));
        }
        let ids = self.send_frame(c2).await;
        self.closes.entries.extend(&ids);
        for (k, original) in originals.into_iter().enumerate() {
            if let Some(o) = original {
                self.closes.fresh.push((ids[2 * k + 1], o));
            }
        }
        self.wait(&ids, true).await;

        let mut c3 = Vec::new();
        for seat in 0..self.states.len() {
            let id = self.match_id(MA);
            let state = self.states[seat].clone();
            c3.push(self.probe(
                "close",
                "close notice after reopening",
                &id,
                &state,
                Some(Body::Close(v2::CloseSeat {})),
                Expect::Silence,
            ));
        }
        let ids = self.send_frame(c3).await;
        self.closes.entries.extend(&ids);
    }

    /// Health again, then a fresh match on a new stream: open, a position, a vote,
    /// close.
    async fn still_serving(&mut self, channel: &Channel) -> Check {
        let name = "still-serving";
        let h = side::health(name, channel, self.timeout).await;
        if !h.passed() {
            return h;
        }
        // A stream of its own.
        self.play = None;
        self.half_closed = false;
        if !self.ensure_stream().await {
            return Check::fail(
                name,
                self.dead.clone().unwrap_or_else(|| "no stream".into()),
            );
        }
        let id = format!("{}-fresh", self.prefix);
        let frames = script::session(0);
        let position = frames.first().and_then(|f| f.last()).cloned();
        let vote = frames.get(1).and_then(|f| f.last()).cloned();
        let mut steps = vec![Msg::Open];
        steps.extend(position);
        steps.extend(vote);
        steps.push(Msg::Close);
        for msg in steps {
            let mut planned = Vec::new();
            for seat in 0..self.states.len() {
                let state = self.states[seat].clone();
                let brief = script::brief(&id, seat, &state, self.states.len());
                if msg == Msg::Open {
                    self.seqs.insert((id.clone(), state.clone()), 0);
                }
                let label = format!("{} in a fresh match", msg.label());
                planned.push(self.probe(
                    name,
                    &label,
                    &id,
                    &state,
                    Some(msg.body(&brief)),
                    kind_of(&msg, seat, self.states.len()),
                ));
            }
            let ids = self.send_frame(planned).await;
            self.fresh.extend(&ids);
            self.wait(&ids, true).await;
        }
        self.end_stream().await;
        let problems: Vec<String> = self
            .fresh
            .iter()
            .filter_map(|&i| {
                let e = &self.ledger.entries[i];
                verdicts::kind_ok(e, self.timeout)
                    .err()
                    .map(|p| format!("{}: {p}", e.who()))
            })
            .collect();
        Check::from_problems(
            name,
            &problems,
            "SERVING, and a fresh match was opened, played and closed on a new stream".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_ids_fit_the_contract() {
        let prefix = format!("conformance-{:x}-{:x}", u32::MAX, u64::MAX);
        for m in MATCHES
            .iter()
            .chain(&["ghost", "fresh", "malformed-5", "limits", "flood", "huge"])
        {
            let id = format!("{prefix}-{m}");
            assert!(limits::check_match_id("match_id", &id).is_ok(), "{id}");
        }
    }
}
