//! The synthetic match the suite plays: a brief per seat and the frames of two short
//! sessions, shaped as the chair sends them (outcome notices ride in front of the next
//! question; items agreed on their own are announced again after the package vote).
//!
//! Everything here is plain wire data and a pure function of the seat index: the same
//! script runs in several matches whose ids alone differ, which is what the determinism
//! and replay checks compare.

use plenary_proto::v2;
use plenary_proto::v2::envelope::Body;

/// Bloc ids of the synthetic match, by index.
pub(crate) const BLOCS: [&str; 3] = ["west", "east", "neutral"];

/// Items on the synthetic agenda.
pub(crate) const ITEMS: u32 = 4;

/// Sessions in the synthetic match.
pub(crate) const SESSIONS: u32 = 2;

/// Rounds per item.
const MAX_ROUNDS: u32 = 3;

/// One message of the script, without the ids (filled in per seat).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Msg {
    /// Question: open the seat with its brief.
    Open,
    /// Question: a position (phase POSITIONS).
    Position(v2::RoundContext, v2::SeatView),
    /// Question: a vote (phase DECISION, SILENCE or PACKAGE).
    Vote(v2::RoundContext, v2::SeatView),
    /// Question: the stance at the end of a session.
    SessionEnd(v2::SessionSummary, v2::SeatView),
    /// Notice: how an item ended.
    Outcome(v2::ItemOutcome),
    /// Notice: drop the seat.
    Close,
}

impl Msg {
    /// Whether the message is a question (it gets exactly one answer).
    pub(crate) fn is_question(&self) -> bool {
        !matches!(self, Msg::Outcome(_) | Msg::Close)
    }

    /// Name of the check that judges the answer (or the silence) to this message.
    pub(crate) fn check(&self) -> &'static str {
        match self {
            Msg::Open => "open-seat",
            Msg::Position(..) => "position",
            Msg::Vote(c, _) => match v2::Phase::try_from(c.phase) {
                Ok(v2::Phase::Silence) => "vote-silence",
                Ok(v2::Phase::Package) => "vote-package",
                _ => "vote-decision",
            },
            Msg::SessionEnd(..) => "session-end",
            Msg::Outcome(_) => "outcome",
            Msg::Close => "close",
        }
    }

    /// Short description for reasons.
    pub(crate) fn label(&self) -> String {
        let phase = |p: i32| {
            v2::Phase::try_from(p)
                .map_or("UNSPECIFIED", |p| {
                    p.as_str_name().trim_start_matches("PHASE_")
                })
                .to_string()
        };
        match self {
            Msg::Open => "open".to_string(),
            Msg::Position(c, _) => format!(
                "position (session {}, item {}, round {})",
                c.session, c.item, c.round
            ),
            Msg::Vote(c, _) => format!(
                "vote {} (session {}, item {}, round {})",
                phase(c.phase),
                c.session,
                c.item,
                c.round
            ),
            Msg::SessionEnd(s, _) => format!("session_end (session {})", s.session),
            Msg::Outcome(o) => format!("outcome notice (session {}, item {})", o.session, o.item),
            Msg::Close => "close notice".to_string(),
        }
    }

    /// The envelope body for a seat whose brief is `brief`.
    pub(crate) fn body(&self, brief: &v2::SeatBrief) -> Body {
        match self.clone() {
            Msg::Open => Body::Open(brief.clone()),
            Msg::Position(c, v) => Body::Position(v2::PositionQuestion {
                context: Some(c),
                view: Some(v),
            }),
            Msg::Vote(c, v) => Body::Vote(v2::VoteQuestion {
                context: Some(c),
                view: Some(v),
            }),
            Msg::SessionEnd(s, v) => Body::SessionEnd(v2::SessionEndQuestion {
                summary: Some(s),
                view: Some(v),
            }),
            Msg::Outcome(o) => Body::Outcome(o),
            Msg::Close => Body::Close(v2::CloseSeat {}),
        }
    }
}

/// Agenda item `index`; its dimension comes from [`dimension`], the one table the
/// validator reads too.
fn item(index: u32, id: &str, kind: v2::ItemKind, status_quo: f64, in_scope: bool) -> v2::ItemInfo {
    v2::ItemInfo {
        index,
        id: id.to_string(),
        title: format!("Conformance item {id}"),
        dimension: plenary_proto::convert::WireEnum::wire(dimension(index)),
        kind: kind as i32,
        status_quo: Some(status_quo),
        // Item 3 (out of scope) has no reversion: deadlock keeps the policy in force.
        reversion: (index != 3).then_some(status_quo),
        in_scope,
        binding: in_scope,
        legally_binding: false,
        // The budget comes back every session; the declaration is a one-off.
        recurring: index != 3,
        // Items 1 and 2 form the group the chair may put to one package vote.
        group: (index == 1 || index == 2).then_some(0),
    }
}

/// The dimension of the script's agenda item `item` (as [`brief`] describes it).
pub(crate) fn dimension(item: u32) -> plenary_core::model::Dimension {
    use plenary_core::model::Dimension as D;
    match item {
        0 => D::General,
        1 => D::PoliticoMilitary,
        _ => D::Human,
    }
}

/// The public rules of the synthetic match.
fn rules(states: usize) -> v2::PublicRules {
    v2::PublicRules {
        design: "conformance".to_string(),
        sessions: SESSIONS,
        max_rounds: MAX_ROUNDS,
        mediation: v2::Mediation::Compromise as i32,
        linkage: v2::Linkage::Any as i32,
        naming_shaming: true,
        exit_allowed: true,
        states: u32::try_from(states).unwrap_or(u32::MAX),
        group_packages: true,
        moscow_mechanism: 2,
        crisis_threshold: 0.8,
        forfeit: 1.0,
    }
}

/// The brief of seat `seat` (playing `state`) of `states` seats in `match_id`.
pub(crate) fn brief(match_id: &str, seat: usize, state: &str, states: usize) -> v2::SeatBrief {
    use v2::ItemKind as K;
    let items = vec![
        item(0, "budget", K::UnifiedBudget, 50.0, true),
        item(1, "csbm", K::Csbm, 30.0, true),
        item(
            2,
            "election-observation",
            K::ElectionObservation,
            60.0,
            true,
        ),
        item(3, "declaration", K::Declaration, 40.0, false),
    ];
    // Two contrasting profiles, alternating over the seats: an eastern State that wants
    // little of everything and cares most about the human dimension, and a western one.
    let east = [
        (20.0, 0.9, 15.0),
        (10.0, 0.8, 20.0),
        (15.0, 1.0, 10.0),
        (30.0, 0.3, 40.0),
    ];
    let west = [
        (70.0, 0.6, 25.0),
        (60.0, 0.7, 20.0),
        (90.0, 0.9, 15.0),
        (55.0, 0.2, 30.0),
    ];
    let (profile, bloc) = if seat % 2 == 0 {
        (east, 1u32)
    } else {
        (west, 0u32)
    };
    let capability = 1.0 + seat as f64;
    v2::SeatBrief {
        match_id: match_id.to_string(),
        state: state.to_string(),
        seat: u32::try_from(seat).unwrap_or(u32::MAX),
        bloc: BLOCS[bloc as usize].to_string(),
        bloc_index: bloc,
        bloc_leader: seat < 2,
        capability,
        seed: 0x5eed_2021 + seat as u64,
        blocs: BLOCS.iter().map(|b| (*b).to_string()).collect(),
        items,
        preferences: profile
            .iter()
            .map(|&(ideal, salience, red_line)| v2::Preference {
                ideal,
                salience,
                red_line,
                capability,
            })
            .collect(),
        rules: Some(rules(states)),
        bargaining_power: capability * 1.5,
        voting_weight: capability.sqrt(),
        absent_items: Vec::new(),
        groups: vec![v2::GroupInfo {
            id: "security-and-observation".to_string(),
            title: "CSBMs with election observation".to_string(),
            items: vec![1, 2],
        }],
    }
}

fn blocs(
    means: [f64; 3],
    objections: [u32; 3],
    leader_vote: Option<v2::Vote>,
) -> Vec<v2::BlocSignal> {
    means
        .iter()
        .zip(objections)
        .map(|(&m, o)| v2::BlocSignal {
            mean_position: m,
            objections: o,
            present: 3,
            leader_position: Some(m),
            leader_vote: leader_vote.map(|v| v as i32),
        })
        .collect()
}

pub(crate) fn ctx(
    session: u32,
    item: u32,
    round: u32,
    phase: v2::Phase,
    proposal: Option<f64>,
) -> v2::RoundContext {
    let signals = match (phase, round) {
        // Round 0 positions: the signals still show the previous item (as the engine does).
        (v2::Phase::Positions, 0) | (v2::Phase::Package, _) => {
            blocs([60.0, 25.0, 45.0], [0, 0, 0], None)
        }
        (v2::Phase::Decision, 0) => blocs([65.0 + f64::from(item), 20.0, 45.0], [0, 0, 0], None),
        _ => blocs([66.0, 18.0, 47.0], [0, 2, 1], Some(v2::Vote::No)),
    };
    let last_objections = signals.iter().map(|b| b.objections).sum();
    // From round 1 of item 1, seat 1 offers its support on item 1 for item 2 near 70.
    let offers = if item == 1 && round >= 1 && phase != v2::Phase::Package {
        vec![v2::PublicOffer {
            from: 1,
            support: 1,
            want: 2,
            target: 70.0,
            tolerance: 5.0,
        }]
    } else {
        Vec::new()
    };
    let package = if phase == v2::Phase::Package {
        vec![
            v2::PackageEntry {
                item: 1,
                value: 42.0,
                status_quo: Some(30.0),
            },
            v2::PackageEntry {
                item: 2,
                value: 66.0,
                status_quo: Some(60.0),
            },
        ]
    } else {
        Vec::new()
    };
    v2::RoundContext {
        session,
        item,
        round,
        phase: phase as i32,
        proposal,
        blocs: signals,
        last_objections,
        offers,
        package,
        group: (phase == v2::Phase::Package).then_some(0),
    }
}

pub(crate) fn view(session: u32, link_refused: bool) -> v2::SeatView {
    v2::SeatView {
        legitimacy: if session == 0 { 0.6 } else { 0.3 },
        tension: 0.2 + 0.3 * f64::from(session),
        shamed: session,
        red_line_scale: if session == 0 { 1.0 } else { 0.8 },
        security_salience: if session == 0 { 1.0 } else { 1.2 },
        crisis: false,
        refused_link: link_refused.then_some(2),
        refused_offer: None,
    }
}

/// How each item of a session ends in the script.
fn decision(session: u32, item: u32) -> v2::Decision {
    match (session, item) {
        (_, 3) => v2::Decision::OutOfScope,
        (0, 1) => v2::Decision::Reverted,
        (1, 1) => v2::Decision::AdHoc,
        (0, 2) => v2::Decision::AdoptedBySilence,
        (1, 2) => v2::Decision::Provisional,
        _ => v2::Decision::Adopted,
    }
}

fn outcome(session: u32, item: u32, decision: v2::Decision, value: f64) -> v2::ItemOutcome {
    v2::ItemOutcome {
        session,
        item,
        decision: decision as i32,
        outcome: Some(value),
        binding: item != 3,
        rounds: 2,
        objections_by_bloc: if decision == v2::Decision::Reverted {
            vec![0, 2, 1]
        } else {
            vec![0, 0, 0]
        },
        shamed: if decision == v2::Decision::Reverted {
            vec!["ZZZ".to_string()]
        } else {
            Vec::new()
        },
        in_force: Some(value),
        legally_binding: false,
        objectors: if decision == v2::Decision::Reverted {
            vec![1, 3, 5]
        } else {
            Vec::new()
        },
        package: None,
    }
}

/// The frames of session `s`: each frame is the list of messages every seat gets in it
/// (notices first, then one question). Per item (all four in session 0, the first three
/// in session 1): two positions rounds, each followed by a decision vote, a silence vote
/// on item 2; then the package vote (`context.item` = the agenda length), the package's
/// second announcement of the items agreed on their own, and the session end.
pub(crate) fn session(s: u32) -> Vec<Vec<Msg>> {
    let mut frames = Vec::new();
    let mut pending: Vec<Msg> = Vec::new();
    let items = if s == 0 { ITEMS } else { ITEMS - 1 };
    let mut agreed = Vec::new();
    let push = |frames: &mut Vec<Vec<Msg>>, pending: &mut Vec<Msg>, q: Msg| {
        let mut f = std::mem::take(pending);
        f.push(q);
        frames.push(f);
    };
    for i in 0..items {
        let first = 40.0 + 5.0 * f64::from(i);
        let second = 45.0 + 3.0 * f64::from(i) + f64::from(s);
        let positions = v2::Phase::Positions;
        push(
            &mut frames,
            &mut pending,
            Msg::Position(ctx(s, i, 0, positions, None), view(s, false)),
        );
        let d = v2::Phase::Decision;
        push(
            &mut frames,
            &mut pending,
            Msg::Vote(ctx(s, i, 0, d, Some(first)), view(s, false)),
        );
        // Item 1's link was refused by the design: the seat learns it in round 1.
        push(
            &mut frames,
            &mut pending,
            Msg::Position(ctx(s, i, 1, positions, Some(first)), view(s, i == 1)),
        );
        push(
            &mut frames,
            &mut pending,
            Msg::Vote(ctx(s, i, 1, d, Some(second)), view(s, i == 1)),
        );
        if i == 2 {
            push(
                &mut frames,
                &mut pending,
                Msg::Vote(
                    ctx(s, i, 2, v2::Phase::Silence, Some(second)),
                    view(s, false),
                ),
            );
        }
        let dec = decision(s, i);
        let value = match dec {
            v2::Decision::Adopted | v2::Decision::AdoptedBySilence | v2::Decision::AdHoc => second,
            _ => 50.0,
        };
        if matches!(dec, v2::Decision::Adopted | v2::Decision::AdoptedBySilence) {
            agreed.push((i, dec, value));
        }
        pending.push(Msg::Outcome(outcome(s, i, dec, value)));
    }
    push(
        &mut frames,
        &mut pending,
        Msg::Vote(ctx(s, ITEMS, 0, v2::Phase::Package, None), view(s, false)),
    );
    // The package failed in session 0 and held in session 1: each item agreed on its
    // own is announced again.
    for (i, dec, value) in agreed {
        let (dec, value) = if s == 0 {
            (v2::Decision::PackageFailed, 50.0)
        } else {
            (dec, value)
        };
        pending.push(Msg::Outcome(outcome(s, i, dec, value)));
    }
    push(
        &mut frames,
        &mut pending,
        Msg::SessionEnd(
            v2::SessionSummary {
                session: s,
                decided: 2,
                items: ITEMS,
                my_gain: if s == 0 { -3.5 } else { 1.25 },
                tension: vec![
                    v2::TensionPair {
                        a: 0,
                        b: 1,
                        value: 0.4,
                    },
                    v2::TensionPair {
                        a: 0,
                        b: 2,
                        value: 0.1,
                    },
                    v2::TensionPair {
                        a: 1,
                        b: 2,
                        value: 0.2,
                    },
                ],
                shamed: if s == 0 { Vec::new() } else { vec![0] },
                events: vec![v2::EventInfo {
                    kind: v2::EventKind::Exercise as i32,
                    a: 0,
                    b: 1,
                }],
            },
            view(s, false),
        ),
    );
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_asks_every_kind_of_question() {
        let frames: Vec<Msg> = (0..SESSIONS).flat_map(session).flatten().collect();
        for check in [
            "position",
            "vote-decision",
            "vote-silence",
            "vote-package",
            "outcome",
            "session-end",
        ] {
            assert!(frames.iter().any(|m| m.check() == check), "{check}");
        }
        for s in 0..SESSIONS {
            for f in session(s) {
                // One question per frame, last; notices before it.
                assert!(f.last().unwrap().is_question());
                assert!(f[..f.len() - 1].iter().all(|m| !m.is_question()));
            }
            // The package vote: item = agenda length, no proposal.
            let package = session(s)
                .into_iter()
                .flatten()
                .find_map(|m| match m {
                    Msg::Vote(c, _) if c.phase == v2::Phase::Package as i32 => Some(c),
                    _ => None,
                })
                .unwrap();
            assert_eq!(package.proposal, None);
            assert_eq!(package.item, ITEMS);
        }
        // Session 0 ends with notices (the package's second announcements) riding with
        // the session end, the last question of the session.
        let last = session(0).pop().unwrap();
        assert!(matches!(last.last(), Some(Msg::SessionEnd(..))));
        assert!(last.len() > 1);
    }

    #[test]
    fn briefs_are_consistent() {
        let b = brief("m", 1, "FRA", 2);
        assert_eq!(b.items.len(), b.preferences.len());
        assert_eq!(b.items.len(), ITEMS as usize);
        assert_eq!(b.blocs[b.bloc_index as usize], b.bloc);
    }
}
