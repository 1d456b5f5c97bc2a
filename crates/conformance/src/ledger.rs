//! Every message the checker sent on the Play streams of a run, and what came back for
//! it. Answers are matched to messages by (match_id, state, seq) on the stream they
//! arrived on, so answers may come in any order and any grouping; whatever matches
//! nothing is kept as unsolicited, a second answer to a question as a duplicate.

use crate::play::code_name;
use crate::validate;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::answer::Body as A;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// (match_id, state, seq): what an answer echoes.
pub(crate) type Key = (String, String, u64);

/// What the checker expects back for a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expect {
    /// The answer of a question's kind (judged by [`judge`]).
    Answer(Kind),
    /// A refusal with one of these codes.
    Refusal(&'static [tonic::Code]),
    /// Nothing (a notice).
    Silence,
}

/// The kind of a question, which decides the answer body due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `open`: `opened`.
    Open,
    /// `position` on `item` of an agenda of `agenda` items: `position`.
    Position {
        /// Agenda index the position is about.
        item: u32,
        /// Agenda length.
        agenda: u32,
        /// The seat answering.
        seat: u32,
        /// Seats of the match.
        seats: u32,
    },
    /// `vote`: `vote`.
    Vote,
    /// `session_end`: `stance`.
    SessionEnd,
}

impl Kind {
    fn due(self) -> &'static str {
        match self {
            Kind::Open => "opened",
            Kind::Position { .. } => "position",
            Kind::Vote => "vote",
            Kind::SessionEnd => "stance",
        }
    }
}

/// Where a message came from, for the checks that compare answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The scripted match number `m`, seat `seat`.
    Script {
        /// Match index.
        m: usize,
        /// Seat index.
        seat: usize,
    },
    /// Anything else (probes, replays, a fresh match).
    Other,
}

/// One message sent.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: Key,
    /// The check this message's answer (or silence) counts for.
    pub check: &'static str,
    /// Short description (`position (session 0, item 1, round 0)`).
    pub label: String,
    pub expect: Expect,
    pub origin: Origin,
    /// Stream number it went out on.
    pub stream: usize,
    /// When its frame was handed to the stream; `Err(why)` when it could not be sent.
    pub sent: Result<Instant, String>,
    /// Everything that came back for it, with arrival times.
    pub answers: Vec<(v2::Answer, Instant)>,
}

impl Entry {
    /// Whether the message is a question.
    pub(crate) fn is_question(&self) -> bool {
        self.expect != Expect::Silence
    }

    /// `RUS in match M, seq 4: position (session 0, item 1, round 0)` (the ids are the
    /// checker's own, at most 64 bytes).
    pub(crate) fn who(&self) -> String {
        let (m, s, seq) = &self.key;
        let quote = |x: &str| {
            if x.is_empty() {
                "\"\"".to_string()
            } else if x.len() > 64 {
                format!("{}… ({} bytes)", limits::truncate(x, 40), x.len())
            } else {
                x.to_string()
            }
        };
        format!(
            "{} in match {}, seq {seq}: {}",
            quote(s),
            quote(m),
            self.label
        )
    }

    /// The first answer's body, if any.
    pub(crate) fn body(&self) -> Option<&A> {
        self.answers.first().and_then(|(a, _)| a.body.as_ref())
    }

    /// How long the first answer took, if there is one.
    pub(crate) fn took(&self) -> Option<Duration> {
        match (&self.sent, self.answers.first()) {
            (Ok(sent), Some((_, at))) => Some(at.saturating_duration_since(*sent)),
            _ => None,
        }
    }

    /// Why there is no answer, for a reason text.
    pub(crate) fn missing(&self, timeout: Duration) -> String {
        match &self.sent {
            Err(why) => format!("not sent: {why}"),
            Ok(_) => format!("no answer (waited {} ms or more)", timeout.as_millis()),
        }
    }
}

/// A short description of an answer body.
pub(crate) fn describe(body: Option<&A>) -> String {
    match body {
        None => "an answer without a body".to_string(),
        Some(A::Opened(o)) => format!("opened {:?}", limits::truncate(&o.strategy, 80)),
        Some(A::Position(p)) => format!(
            "position {:?}, salience {:?}, link {:?}",
            p.position, p.salience, p.link
        ),
        Some(A::Vote(v)) => format!("vote {}", v.vote),
        Some(A::Stance(s)) => format!("stance {}", s.stance),
        Some(A::Refusal(r)) => format!(
            "a refusal {} ({})",
            code_text(r.code),
            limits::truncate(&r.message, 200)
        ),
    }
}

/// `NOT_FOUND (5)` for a raw code.
pub(crate) fn code_text(code: i32) -> String {
    format!("{} ({code})", code_name(tonic::Code::from_i32(code)))
}

/// Whether two answer bodies are identical, numbers bit for bit.
pub(crate) fn same(a: Option<&A>, b: Option<&A>) -> bool {
    match (a, b) {
        (Some(A::Position(x)), Some(A::Position(y))) => {
            x.position.to_bits() == y.position.to_bits()
                && x.salience.to_bits() == y.salience.to_bits()
                && x.link == y.link
                && x.invoke == y.invoke
                && match (&x.offer, &y.offer) {
                    (Some(o), Some(q)) => {
                        o.item == q.item
                            && o.target.to_bits() == q.target.to_bits()
                            && o.tolerance.to_bits() == q.tolerance.to_bits()
                    }
                    (None, None) => true,
                    _ => false,
                }
        }
        (Some(A::Refusal(x)), Some(A::Refusal(y))) => x.code == y.code,
        _ => a == b,
    }
}

/// Judges the first answer of a message against what it expects; `Err` names what is
/// wrong (including "no answer").
pub(crate) fn judge(e: &Entry, timeout: Duration) -> Result<(), String> {
    match &e.expect {
        Expect::Silence => match e.answers.first() {
            None => Ok(()),
            Some((a, _)) => Err(format!(
                "answered ({}); notices are never answered",
                describe(a.body.as_ref())
            )),
        },
        Expect::Refusal(codes) => {
            let want = codes
                .iter()
                .map(|c| code_text(*c as i32))
                .collect::<Vec<_>>()
                .join(" or ");
            match e.body() {
                None if e.answers.is_empty() => Err(format!(
                    "{} where a refusal with {want} is due",
                    e.missing(timeout)
                )),
                Some(A::Refusal(r)) if codes.iter().any(|c| *c as i32 == r.code) => Ok(()),
                Some(A::Refusal(r)) => Err(format!(
                    "refused with {} instead of {want} ({})",
                    code_text(r.code),
                    limits::truncate(&r.message, 200)
                )),
                other => Err(format!(
                    "answered {} instead of refusing with {want}",
                    describe(other)
                )),
            }
        }
        Expect::Answer(kind) => {
            let Some(body) = e.body() else {
                return Err(if e.answers.is_empty() {
                    e.missing(timeout)
                } else {
                    "answered without a body".to_string()
                });
            };
            match (kind, body) {
                (Kind::Open, A::Opened(o)) => validate::valid_strategy(&o.strategy),
                (
                    Kind::Position {
                        item,
                        agenda,
                        seat,
                        seats,
                    },
                    A::Position(p),
                ) => validate::valid_position(
                    &plenary_core::answers::PositionQuestion {
                        item: *item,
                        items: *agenda,
                        dimension: crate::script::dimension(*item),
                        seats: *seats,
                        seat: *seat,
                    },
                    &plenary_core::strategy::PositionAnswer::from(p),
                ),
                (Kind::Vote, A::Vote(v)) => validate::valid_vote(v.vote),
                (Kind::SessionEnd, A::Stance(s)) => validate::valid_stance(s.stance),
                (_, A::Refusal(r)) => {
                    let hint = if r.code == tonic::Code::PermissionDenied as i32 {
                        " (the endpoint does not serve this State: name the States it serves with --states)"
                    } else {
                        ""
                    };
                    Err(format!(
                        "refused with {} ({}){hint}",
                        code_text(r.code),
                        limits::truncate(&r.message, 200)
                    ))
                }
                (k, other) => Err(format!(
                    "answered {} where `{}` is due",
                    describe(Some(other)),
                    k.due()
                )),
            }
        }
    }
}

/// The messages of a run and their answers.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub entries: Vec<Entry>,
    by_key: HashMap<Key, Vec<usize>>,
    /// Answers that match no message sent on their stream.
    pub unsolicited: Vec<(usize, v2::Answer)>,
    /// Answer frames received and the largest number of answers in one.
    pub answer_frames: usize,
    pub largest_answer_frame: usize,
}

impl Ledger {
    /// Records a message; returns its index.
    pub(crate) fn add(&mut self, e: Entry) -> usize {
        let i = self.entries.len();
        self.by_key.entry(e.key.clone()).or_default().push(i);
        self.entries.push(e);
        i
    }

    /// Files an answer that arrived on `stream` at `at`.
    pub(crate) fn file(&mut self, stream: usize, a: v2::Answer, at: Instant) {
        let key = (a.match_id.clone(), a.state.clone(), a.seq);
        let candidates: Vec<usize> = self
            .by_key
            .get(&key)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| self.entries[i].stream == stream)
                    .collect()
            })
            .unwrap_or_default();
        let questions: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| self.entries[i].is_question())
            .collect();
        let target = questions
            .iter()
            .copied()
            .find(|&i| self.entries[i].answers.is_empty())
            .or_else(|| questions.last().copied())
            .or_else(|| candidates.last().copied())
            .or_else(|| self.cut_echo(stream, &a));
        match target {
            Some(i) => self.entries[i].answers.push((a, at)),
            None => self.unsolicited.push((stream, a)),
        }
    }

    /// The question an answer belongs to when it echoes ids over their limits cut to the
    /// limits (an endpoint need not send an over-long id back): same seq, and each id
    /// either equal to the one sent or a prefix of it of at least 64 bytes.
    fn cut_echo(&self, stream: usize, a: &v2::Answer) -> Option<usize> {
        let cut = |sent: &str, got: &str| sent == got || (got.len() >= 64 && sent.starts_with(got));
        self.entries.iter().position(|e| {
            e.stream == stream
                && e.is_question()
                && e.answers.is_empty()
                && e.key.2 == a.seq
                && (e.key.0 != a.match_id || e.key.1 != a.state)
                && cut(&e.key.0, &a.match_id)
                && cut(&e.key.1, &a.state)
        })
    }

    /// Whether every question in `ids` has an answer.
    pub(crate) fn answered(&self, ids: &[usize]) -> bool {
        ids.iter().all(|&i| {
            let e = &self.entries[i];
            !e.is_question() || !e.answers.is_empty()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, expect: Expect, stream: usize) -> Entry {
        Entry {
            key: ("m".into(), "RUS".into(), seq),
            check: "position",
            label: "position (session 0, item 1, round 0)".into(),
            expect,
            origin: Origin::Other,
            stream,
            sent: Ok(Instant::now()),
            answers: Vec::new(),
        }
    }

    fn answer(seq: u64, body: A) -> v2::Answer {
        v2::Answer {
            match_id: "m".into(),
            state: "RUS".into(),
            seq,
            body: Some(body),
        }
    }

    #[test]
    fn answers_go_to_their_question_on_their_stream() {
        let pos = Kind::Position {
            item: 1,
            agenda: 4,
            seat: 0,
            seats: 2,
        };
        let mut l = Ledger::default();
        let a = l.add(entry(2, Expect::Answer(pos), 0));
        let n = l.add(entry(3, Expect::Silence, 0));
        let replay = l.add(entry(2, Expect::Answer(pos), 1));
        let p = A::Position(v2::PositionAnswer {
            position: 1.0,
            salience: 0.5,
            link: None,
            ..Default::default()
        });
        let at = Instant::now();
        l.file(0, answer(2, p.clone()), at);
        assert!(l.answered(&[a, n]) && !l.answered(&[replay]));
        l.file(1, answer(2, p.clone()), at);
        assert!(l.answered(&[replay]));
        // A duplicate, an answered notice, an answer for nothing.
        l.file(0, answer(2, p.clone()), at);
        l.file(0, answer(3, p.clone()), at);
        l.file(0, answer(9, p), at);
        assert_eq!(l.entries[a].answers.len(), 2);
        assert_eq!(l.entries[n].answers.len(), 1);
        assert_eq!(l.unsolicited.len(), 1);
        let t = Duration::from_secs(1);
        assert_eq!(judge(&l.entries[a], t), Ok(()));
        assert!(
            judge(&l.entries[n], t)
                .unwrap_err()
                .contains("notices are never answered")
        );
        assert_eq!(
            l.entries[a].who(),
            "RUS in match m, seq 2: position (session 0, item 1, round 0)"
        );
    }

    #[test]
    fn over_long_ids_may_come_back_cut_to_their_limits() {
        let mut l = Ledger::default();
        let mut e = entry(2, Expect::Refusal(&[tonic::Code::InvalidArgument]), 0);
        e.key = ("m".repeat(300), "S".repeat(65), 2);
        let i = l.add(e);
        let mut a = answer(2, A::Refusal(v2::Refusal::default()));
        a.match_id = "m".repeat(256);
        a.state = "S".repeat(64);
        l.file(0, a.clone(), Instant::now());
        assert_eq!(l.entries[i].answers.len(), 1);
        // A cut to nothing, or another seq, matches nothing.
        a.state = String::new();
        l.file(0, a, Instant::now());
        assert_eq!(l.unsolicited.len(), 1);
    }

    #[test]
    fn refusals_are_judged_by_their_exact_code() {
        let mut e = entry(2, Expect::Refusal(&[tonic::Code::NotFound]), 0);
        let t = Duration::from_secs(1);
        assert!(judge(&e, t).unwrap_err().starts_with("no answer"));
        e.answers.push((
            answer(
                2,
                A::Refusal(v2::Refusal {
                    code: 3,
                    message: "bad".into(),
                }),
            ),
            Instant::now(),
        ));
        assert_eq!(
            judge(&e, t).unwrap_err(),
            "refused with INVALID_ARGUMENT (3) instead of NOT_FOUND (5) (bad)"
        );
        e.answers[0].0.body = Some(A::Refusal(v2::Refusal {
            code: 5,
            message: String::new(),
        }));
        assert_eq!(judge(&e, t), Ok(()));
        e.answers[0].0.body = Some(A::Vote(v2::VoteAnswer { vote: 1 }));
        assert!(
            judge(&e, t)
                .unwrap_err()
                .starts_with("answered vote 1 instead")
        );
    }

    #[test]
    fn bodies_compare_bit_for_bit() {
        let p = |x: f64| {
            A::Position(v2::PositionAnswer {
                position: x,
                salience: 0.5,
                link: None,
                ..Default::default()
            })
        };
        assert!(same(Some(&p(f64::NAN)), Some(&p(f64::NAN))));
        assert!(!same(Some(&p(0.0)), Some(&p(-0.0))));
        assert!(same(Some(&p(1.0)), Some(&p(1.0))));
        assert!(!same(None, Some(&p(1.0))));
    }
}
