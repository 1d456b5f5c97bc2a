//! The verdicts, judged at the end of a run from what the ledger recorded: each check
//! fails for its own reason only, naming the seat, the seq, what was due and what came.

use super::{MA, MATCHES, MB, REOPEN, REPLAY, Run};
use crate::ledger::{Entry, Expect, Kind, Origin, describe, judge, same};
use crate::report::Check;
use crate::script::Msg;
use plenary_proto::limits;
use plenary_proto::v2::answer::Body as A;
use std::time::Duration;

impl Run {
    /// Entries of `check` whose origin is the script (all matches).
    fn scripted(&self, check: &str) -> Vec<&Entry> {
        self.ledger
            .entries
            .iter()
            .filter(|e| e.check == check && matches!(e.origin, Origin::Script { .. }))
            .collect()
    }

    fn problems(&self, entries: &[&Entry]) -> Vec<String> {
        entries
            .iter()
            .filter_map(|e| {
                judge(e, self.timeout)
                    .err()
                    .map(|p| format!("{}: {p}", e.who()))
            })
            .collect()
    }

    /// The script entry of match `m`, seat `seat`, seq `seq`.
    fn script_entry(&self, m: usize, seat: usize, seq: u64) -> Option<&Entry> {
        self.sent
            .get(&(m, seat))?
            .iter()
            .find(|s| s.seq == seq)
            .map(|s| &self.ledger.entries[s.entry])
    }

    /// Every answer of match `m` to a scripted question compared with match a's (same
    /// seat, same seq), from seq `from` on. Returns differences and the number compared.
    fn compare_with_a(&self, m: usize, from: impl Fn(usize) -> u64) -> (Vec<String>, usize) {
        let mut diffs = Vec::new();
        let mut compared = 0;
        for seat in 0..self.states.len() {
            for s in self.sent.get(&(m, seat)).map_or(&[][..], |v| &v[..]) {
                if s.seq < from(seat) || !s.msg.is_question() {
                    continue;
                }
                let (Some(x), Some(y)) = (
                    self.script_entry(MA, seat, s.seq),
                    Some(&self.ledger.entries[s.entry]),
                ) else {
                    continue;
                };
                if x.body().is_none() || y.body().is_none() {
                    continue;
                }
                compared += 1;
                if !same(x.body(), y.body()) {
                    diffs.push(format!(
                        "{}: {} where match {} answered {}",
                        y.who(),
                        describe(y.body()),
                        x.key.0,
                        describe(x.body())
                    ));
                }
            }
        }
        (diffs, compared)
    }

    /// The first seq of session 1 for `seat` (after the replays).
    fn session_one_from(&self, m: usize) -> impl Fn(usize) -> u64 + '_ {
        move |seat| {
            let sent = self.sent.get(&(m, seat)).map_or(&[][..], |v| &v[..]);
            sent.iter()
                .find(|s| match &s.msg {
                    Msg::Position(c, _) | Msg::Vote(c, _) => c.session == 1,
                    Msg::SessionEnd(x, _) => x.session == 1,
                    _ => false,
                })
                .map_or(u64::MAX, |s| s.seq)
        }
    }

    /// The reason of a check that had nothing to judge.
    fn not_run(&self) -> String {
        format!(
            "not run: {}",
            self.dead.as_deref().unwrap_or("nothing of it was sent")
        )
    }

    /// Every check judged on the ledger, in no particular order.
    pub(super) fn verdicts(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let t = self.timeout;
        let n_seats = self.states.len();

        // open-seat
        let mut opens = self.scripted("open-seat");
        opens.extend(self.long_opens.iter().map(|&i| &self.ledger.entries[i]));
        let mut p = self.problems(&opens);
        if opens.is_empty() {
            p.push(self.not_run());
        }
        let names: std::collections::BTreeSet<String> = opens
            .iter()
            .filter_map(|e| match e.body() {
                Some(A::Opened(o)) => Some(format!("{:?}", o.strategy)),
                _ => None,
            })
            .collect();
        out.push(Check::from_problems(
            "open-seat",
            &p,
            format!(
                "{} seats of {} matches (one with a match id of {} bytes) opened in one frame; strategy {}",
                opens.len(),
                MATCHES.len() + 1,
                limits::MAX_MATCH_ID_BYTES,
                names.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));

        // batched
        let mut problems = Vec::new();
        if self.ledger.entries.is_empty() {
            problems.push(self.not_run());
        }
        let script_questions: Vec<&Entry> = self
            .ledger
            .entries
            .iter()
            .filter(|e| matches!(e.origin, Origin::Script { .. }) && e.is_question())
            .collect();
        let missing: Vec<&&Entry> = script_questions
            .iter()
            .filter(|e| e.answers.is_empty())
            .collect();
        if let Some(first) = missing.first() {
            problems.push(format!(
                "{} of {} questions of the script never answered; first: {}: {}",
                missing.len(),
                script_questions.len(),
                first.who(),
                first.missing(t)
            ));
        }
        for e in self
            .ledger
            .entries
            .iter()
            .filter(|e| e.is_question() && e.answers.len() > 1)
        {
            problems.push(format!("{}: answered {} times", e.who(), e.answers.len()));
        }
        for (stream, a) in &self.ledger.unsolicited {
            problems.push(format!(
                "stream {stream}: an answer for State {} in match {} seq {} ({}), which matches no question sent on that stream",
                limits::prefix(&a.state),
                limits::prefix(&a.match_id),
                a.seq,
                describe(a.body.as_ref())
            ));
        }
        out.push(Check::from_problems(
            "batched",
            &problems,
            format!(
                "{} questions, each frame to {} seats of {} matches, answered exactly once in {} answer frames (up to {} answers each)",
                script_questions.len(),
                n_seats,
                MATCHES.len(),
                self.ledger.answer_frames,
                self.ledger.largest_answer_frame
            ),
        ));

        for name in [
            "position",
            "vote-decision",
            "vote-silence",
            "vote-package",
            "session-end",
        ] {
            let es = self.scripted(name);
            let ok = if es.is_empty() {
                "not asked".to_string()
            } else {
                format!("{} answers valid", es.len())
            };
            let mut p = self.problems(&es);
            if es.is_empty() {
                p.push(self.not_run());
            }
            out.push(Check::from_problems(name, &p, ok));
        }

        // outcome
        let notices = self.scripted("outcome");
        let mut p = self.problems(&notices);
        p.extend(self.outcome_problems.iter().cloned());
        if notices.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "outcome",
            &p,
            format!(
                "{} outcome notices, each in front of a question, left unanswered; the stream went on",
                notices.len()
            ),
        ));

        // deadline
        let questions: Vec<&Entry> = self
            .ledger
            .entries
            .iter()
            .filter(|e| e.is_question())
            .collect();
        let mut late = Vec::new();
        for e in &questions {
            match e.took() {
                Some(d) if d > t => {
                    late.push(format!("{}: answered after {} ms", e.who(), d.as_millis()))
                }
                Some(_) => {}
                None => late.push(format!("{}: {}", e.who(), e.missing(t))),
            }
        }
        let slowest = questions
            .iter()
            .filter_map(|e| e.took().map(|d| (d, e.who())))
            .max_by_key(|(d, _)| *d);
        let deadline = if let Some(first) = late.first() {
            Check::fail(
                "deadline",
                format!(
                    "{} of {} questions not answered within their deadline_ms ({} ms); first: {first}",
                    late.len(),
                    questions.len(),
                    self.deadline_ms
                ),
            )
        } else if let Some((d, who)) = slowest {
            Check::pass(
                "deadline",
                format!(
                    "{} questions answered within {} ms; slowest {:.1} ms ({who})",
                    questions.len(),
                    self.deadline_ms,
                    d.as_secs_f64() * 1e3
                ),
            )
        } else {
            Check::fail("deadline", self.not_run())
        };
        out.push(deadline);

        // determinism: match a against match b.
        let (diffs, compared) = self.compare_with_a(MB, |_| 0);
        let deterministic = diffs.is_empty() && compared > 0;
        out.push(if compared == 0 {
            Check::fail(
                "determinism",
                if self.ledger.entries.is_empty() {
                    self.not_run()
                } else {
                    "not run: no answer of match b to compare".to_string()
                },
            )
        } else {
            Check::from_problems(
                "determinism",
                &diffs,
                format!("{compared} answers identical in two matches whose ids alone differ"),
            )
        });

        // stream
        let mut p = self.stream_problems.clone();
        if let Some(why) = &self.dead {
            p.push(why.clone());
        }
        if let Some(e) = self.ledger.entries.iter().find(|e| {
            e.stream > 1
                && matches!(e.origin, Origin::Script { .. })
                && matches!(e.body(), Some(A::Refusal(_)))
        }) {
            p.push(format!(
                "{}: {} on the second stream, after a seq gap: seats go on across streams, and seq numbers may skip",
                e.who(),
                describe(e.body())
            ));
        }
        out.push(Check::from_problems(
            "stream",
            &p,
            "every stream stayed open until the chair half-closed it, then ended with OK; every seat went on on the second stream".into(),
        ));

        // replay
        let mut p = Vec::new();
        for &(replayed, original) in &self.replays.question {
            let (r, o) = (
                &self.ledger.entries[replayed],
                &self.ledger.entries[original],
            );
            // A question refused the first time is judged on sameness alone: whether the
            // refusal was right is its own check's business.
            let judged = match o.body() {
                Some(A::Refusal(_)) if r.answers.is_empty() => Err(r.missing(t)),
                Some(A::Refusal(_)) => Ok(()),
                _ => judge(r, t),
            };
            match judged {
                Err(e) => p.push(format!("{}: {e}", r.who())),
                Ok(()) if !same(r.body(), o.body()) => p.push(format!(
                    "{}: {} where the first time it answered {}",
                    r.who(),
                    describe(r.body()),
                    describe(o.body())
                )),
                Ok(()) => {}
            }
        }
        for &i in self.replays.old.iter().chain(&self.replays.notice) {
            let e = &self.ledger.entries[i];
            if let Err(x) = judge(e, t) {
                p.push(format!("{}: {x}", e.who()));
            }
        }
        let (later, compared) = if deterministic {
            self.compare_with_a(REPLAY, self.session_one_from(REPLAY))
        } else {
            (Vec::new(), 0)
        };
        p.extend(later.into_iter().map(|d| format!("after the replays, {d}")));
        if self.replays.question.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "replay",
            &p,
            if deterministic {
                format!("same answer to the replayed question, OUT_OF_RANGE for an older seq, replayed notice unanswered; {compared} later answers as an undisturbed seat's")
            } else {
                "same answer to the replayed question, OUT_OF_RANGE for an older seq, replayed notice unanswered (later answers not compared: the endpoint is not deterministic)".to_string()
            },
        ));

        // replay-open
        let mut p = Vec::new();
        for &(replayed, original) in &self.replays.open {
            let (r, o) = (
                &self.ledger.entries[replayed],
                &self.ledger.entries[original],
            );
            match judge(r, t) {
                Err(e) => p.push(format!("{}: {e}", r.who())),
                Ok(()) if !same(r.body(), o.body()) => p.push(format!(
                    "{}: {} where the first open answered {}",
                    r.who(),
                    describe(r.body()),
                    describe(o.body())
                )),
                Ok(()) => {}
            }
        }
        for &i in &self.replays.different {
            let e = &self.ledger.entries[i];
            if let Err(x) = judge(e, t) {
                p.push(format!("{}: {x}", e.who()));
            }
        }
        let (later, compared) = if deterministic {
            self.compare_with_a(REOPEN, self.session_one_from(REOPEN))
        } else {
            (Vec::new(), 0)
        };
        p.extend(later.into_iter().map(|d| {
            format!("after the replayed open, {d} (a replayed open must keep the seat as it is)")
        }));
        if self.replays.open.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "replay-open",
            &p,
            if deterministic {
                format!("the same brief answered `opened` again, a different brief ALREADY_EXISTS; {compared} later answers as an undisturbed seat's")
            } else {
                "the same brief answered `opened` again, a different brief ALREADY_EXISTS (later answers not compared: the endpoint is not deterministic)".to_string()
            },
        ));

        // Probes.
        for (name, ok) in [
            (
                "unknown-seat",
                "refused with NOT_FOUND (notices unanswered)",
            ),
            ("malformed", "refused with INVALID_ARGUMENT"),
            ("wrong-phase", "refused with FAILED_PRECONDITION"),
        ] {
            let es: Vec<&Entry> = self
                .ledger
                .entries
                .iter()
                .filter(|e| e.check == name)
                .collect();
            let mut p = self.problems(&es);
            if es.is_empty() {
                p.push(self.not_run());
            }
            out.push(Check::from_problems(
                name,
                &p,
                format!("{} probes {ok}", es.len()),
            ));
        }

        // close
        let es: Vec<&Entry> = self
            .closes
            .entries
            .iter()
            .map(|&i| &self.ledger.entries[i])
            .collect();
        // Values are the other checks' business: here, only the kind of each answer.
        let mut p: Vec<String> = es
            .iter()
            .filter_map(|e| kind_ok(e, t).err().map(|x| format!("{}: {x}", e.who())))
            .collect();
        if deterministic {
            for &(fresh, original) in &self.closes.fresh {
                let (f, o) = (&self.ledger.entries[fresh], &self.ledger.entries[original]);
                if f.body().is_some() && !same(f.body(), o.body()) {
                    p.push(format!(
                        "{}: {} where a fresh seat answered {} (an open after close must open the seat afresh)",
                        f.who(),
                        describe(f.body()),
                        describe(o.body())
                    ));
                }
            }
        }
        if es.is_empty() {
            p.push(self.not_run());
        }
        out.push(Check::from_problems(
            "close",
            &p,
            format!(
                "{} seats closed without an answer; a closed seat refused with NOT_FOUND, then reopened afresh{}",
                MATCHES.len() * n_seats,
                if deterministic { "" } else { " (not compared: the endpoint is not deterministic)" }
            ),
        ));
        out
    }
}

/// Whether an entry got an answer of the right kind (values not judged).
pub(super) fn kind_ok(e: &Entry, timeout: Duration) -> Result<(), String> {
    match (&e.expect, e.body()) {
        (Expect::Silence | Expect::Refusal(_), _) => judge(e, timeout),
        (_, None) => Err(if e.answers.is_empty() {
            e.missing(timeout)
        } else {
            "answered without a body".into()
        }),
        (Expect::Answer(Kind::Open), Some(A::Opened(_)))
        | (Expect::Answer(Kind::Position { .. }), Some(A::Position(_)))
        | (Expect::Answer(Kind::Vote), Some(A::Vote(_)))
        | (Expect::Answer(Kind::SessionEnd), Some(A::Stance(_))) => Ok(()),
        (_, other) => Err(format!("answered {}", describe(other))),
    }
}
