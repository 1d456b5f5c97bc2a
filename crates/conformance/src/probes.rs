//! The refusal probes: messages the contract's table of refusals says an endpoint must
//! refuse, each with the exact code due (and the notices it must leave unanswered).
//! They go out in one frame, after the script, to a seat that is open and to seats that
//! are not.

use crate::ledger::Expect;
use crate::script::{self, ITEMS};
use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;
use tonic::Code;

/// Whom a probe is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The first State's seat of match a (open).
    Open,
    /// The first State in a match never opened.
    Ghost,
    /// A State with no seat, in match a.
    Stranger,
    /// The first State, with an empty match id.
    NoMatch,
    /// Match a, with an empty State.
    NoState,
    /// The first State, in a match id one byte over its limit.
    LongMatch,
    /// Match a, with a State id that breaks the id rules (a space).
    BadState,
    /// Match a, with a State id one byte over its limit.
    LongState,
    /// The first State in fresh match number `k` (for opens).
    Fresh(usize),
}

/// One probe.
pub(crate) struct Probe {
    pub check: &'static str,
    pub label: String,
    pub target: Target,
    pub body: Option<Body>,
    pub expect: Expect,
}

const NOT_FOUND: &[Code] = &[Code::NotFound];
const INVALID: &[Code] = &[Code::InvalidArgument];
const PHASE: &[Code] = &[Code::FailedPrecondition];

fn position(context: Option<v2::RoundContext>, view: Option<v2::SeatView>) -> Option<Body> {
    Some(Body::Position(v2::PositionQuestion { context, view }))
}

fn vote(context: Option<v2::RoundContext>, view: Option<v2::SeatView>) -> Option<Body> {
    Some(Body::Vote(v2::VoteQuestion { context, view }))
}

fn session_end(summary: Option<v2::SessionSummary>, view: Option<v2::SeatView>) -> Option<Body> {
    Some(Body::SessionEnd(v2::SessionEndQuestion { summary, view }))
}

/// Every probe, in sending order. `brief(k)` is a valid brief for fresh match `k`.
pub(crate) fn probes(brief: impl Fn(usize) -> v2::SeatBrief) -> Vec<Probe> {
    let pos = || Some(script::ctx(0, 0, 0, v2::Phase::Positions, None));
    let dec = || Some(script::ctx(0, 0, 0, v2::Phase::Decision, Some(50.0)));
    let view = || Some(script::view(0, false));
    let summary = || {
        Some(v2::SessionSummary {
            session: 0,
            decided: 1,
            items: ITEMS,
            ..Default::default()
        })
    };
    let mut unspecified = script::ctx(0, 0, 0, v2::Phase::Positions, None);
    unspecified.phase = v2::Phase::Unspecified as i32;
    let unspecified = || Some(unspecified.clone());
    let notice = v2::ItemOutcome {
        decision: v2::Decision::Adopted as i32,
        outcome: Some(50.0),
        in_force: Some(50.0),
        objections_by_bloc: vec![0; script::BLOCS.len()],
        ..Default::default()
    };
    let stranger: &[Code] = &[Code::NotFound, Code::PermissionDenied];
    let question = |check, label: &str, target, body, codes| Probe {
        check,
        label: label.to_string(),
        target,
        body,
        expect: Expect::Refusal(codes),
    };
    let (u, m, w) = ("unknown-seat", "malformed", "wrong-phase");
    use Target::{Ghost, NoMatch, NoState, Open};
    let mut p = vec![
        question(
            u,
            "position for a match never opened",
            Ghost,
            position(pos(), view()),
            NOT_FOUND,
        ),
        question(
            u,
            "vote for a match never opened",
            Ghost,
            vote(dec(), view()),
            NOT_FOUND,
        ),
        question(
            u,
            "session_end for a match never opened",
            Ghost,
            session_end(summary(), view()),
            NOT_FOUND,
        ),
        Probe {
            check: u,
            label: "outcome notice for a match never opened".into(),
            target: Ghost,
            body: Some(Body::Outcome(notice)),
            expect: Expect::Silence,
        },
        Probe {
            check: u,
            label: "close notice for a match never opened".into(),
            target: Ghost,
            body: Some(Body::Close(v2::CloseSeat {})),
            expect: Expect::Silence,
        },
        question(
            u,
            "position for a State with no seat in the match",
            Target::Stranger,
            position(pos(), view()),
            stranger,
        ),
        question(m, "envelope without body", Open, None, INVALID),
        question(
            m,
            "position without context",
            Open,
            position(None, view()),
            INVALID,
        ),
        question(
            m,
            "position without view",
            Open,
            position(pos(), None),
            INVALID,
        ),
        question(m, "vote without context", Open, vote(None, view()), INVALID),
        question(m, "vote without view", Open, vote(dec(), None), INVALID),
        question(
            m,
            "session_end without summary",
            Open,
            session_end(None, view()),
            INVALID,
        ),
        question(
            m,
            "session_end without view",
            Open,
            session_end(summary(), None),
            INVALID,
        ),
        question(
            m,
            "position with phase UNSPECIFIED",
            Open,
            position(unspecified(), view()),
            INVALID,
        ),
        question(
            m,
            "vote with phase UNSPECIFIED",
            Open,
            vote(unspecified(), view()),
            INVALID,
        ),
        question(
            m,
            "envelope without match_id",
            NoMatch,
            position(pos(), view()),
            INVALID,
        ),
        question(
            m,
            "envelope without state",
            NoState,
            position(pos(), view()),
            INVALID,
        ),
        question(
            m,
            "envelope with a match_id of 257 bytes",
            Target::LongMatch,
            position(pos(), view()),
            INVALID,
        ),
        question(
            m,
            "envelope with a State id of 65 bytes",
            Target::LongState,
            position(pos(), view()),
            INVALID,
        ),
        question(
            m,
            "envelope with a State id holding a space",
            Target::BadState,
            position(pos(), view()),
            INVALID,
        ),
    ];
    type Spoil = fn(&mut v2::SeatBrief);
    let spoilers: [(&str, Spoil); 7] = [
        ("open whose brief has no rules", |b| b.rules = None),
        ("open with mediation UNSPECIFIED", |b| {
            if let Some(r) = &mut b.rules {
                r.mediation = v2::Mediation::Unspecified as i32;
            }
        }),
        ("open with linkage UNSPECIFIED", |b| {
            if let Some(r) = &mut b.rules {
                r.linkage = v2::Linkage::Unspecified as i32;
            }
        }),
        ("open with an item of dimension UNSPECIFIED", |b| {
            b.items[0].dimension = v2::Dimension::Unspecified as i32;
        }),
        ("open with an item of kind UNSPECIFIED", |b| {
            b.items[1].kind = v2::ItemKind::Unspecified as i32;
        }),
        ("open whose preferences and items differ in length", |b| {
            b.preferences.pop();
        }),
        (
            "open whose brief names another match than its envelope",
            |b| {
                b.match_id.push_str("-other");
            },
        ),
    ];
    for (k, (label, spoil)) in spoilers.into_iter().enumerate() {
        let mut b = brief(k);
        spoil(&mut b);
        p.push(question(
            m,
            label,
            Target::Fresh(k),
            Some(Body::Open(b)),
            INVALID,
        ));
    }
    p.push(question(
        w,
        "vote in phase POSITIONS",
        Open,
        vote(pos(), view()),
        PHASE,
    ));
    for phase in [v2::Phase::Decision, v2::Phase::Silence, v2::Phase::Package] {
        let mut c = script::ctx(0, 0, 1, phase, Some(50.0));
        if phase == v2::Phase::Package {
            c.item = ITEMS;
            c.proposal = None;
        }
        let label = format!(
            "position in phase {}",
            phase.as_str_name().trim_start_matches("PHASE_")
        );
        p.push(question(w, &label, Open, position(Some(c), view()), PHASE));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_of_the_contract_is_probed() {
        let p = probes(|k| script::brief(&format!("m{k}"), 0, "RUS", 2));
        let codes = |check: &str| -> Vec<&[Code]> {
            p.iter()
                .filter(|x| x.check == check)
                .filter_map(|x| match x.expect {
                    Expect::Refusal(c) => Some(c),
                    _ => None,
                })
                .collect()
        };
        assert!(codes("malformed").iter().all(|c| *c == INVALID));
        assert!(codes("wrong-phase").iter().all(|c| *c == PHASE));
        assert_eq!(codes("malformed").len(), 21);
        assert_eq!(codes("wrong-phase").len(), 4);
        assert!(p.iter().any(|x| x.body.is_none()));
        // Every spoiled brief really differs from the valid one of its match.
        for x in &p {
            if let (Some(Body::Open(b)), Target::Fresh(k)) = (&x.body, x.target) {
                assert_ne!(
                    b,
                    &script::brief(&format!("m{k}"), 0, "RUS", 2),
                    "{}",
                    x.label
                );
            }
        }
    }
}
