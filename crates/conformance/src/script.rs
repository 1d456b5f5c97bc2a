//! The synthetic match the suite plays against an endpoint: a brief for each seat and
//! the ordered questions of two short sessions.
//!
//! Everything here is plain wire data and a pure function of the seat index: the same
//! script runs in two matches whose ids alone differ, which is what the determinism
//! check compares.

use plenary_proto::v1;

/// Bloc ids of the synthetic match, by index.
pub(crate) const BLOCS: [&str; 3] = ["west", "east", "neutral"];

/// Items on the synthetic agenda.
pub(crate) const ITEMS: u32 = 4;

/// Sessions in the synthetic match.
const SESSIONS: u32 = 2;

/// Rounds per item.
const MAX_ROUNDS: u32 = 3;

/// One question of the script, without the ids (filled in per seat).
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// `OpenSeat` with the seat's brief.
    Open,
    /// `Position` (phase positions).
    Position(v1::RoundContext, v1::SeatView),
    /// `Vote` (phase decision, silence or package).
    Vote(v1::RoundContext, v1::SeatView),
    /// `Outcome`.
    Outcome(v1::ItemOutcome),
    /// `SessionEnd`.
    SessionEnd(v1::SessionSummary, v1::SeatView),
}

impl Step {
    /// Name of the check this question belongs to.
    pub(crate) fn check(&self) -> &'static str {
        match self {
            Step::Open => "open-seat",
            Step::Position(..) => "position",
            Step::Vote(c, _) => vote_check(c.phase),
            Step::Outcome(_) => "outcome",
            Step::SessionEnd(..) => "session-end",
        }
    }

    /// The agenda item the question is about, if any.
    pub(crate) fn item(&self) -> Option<u32> {
        match self {
            Step::Position(c, _) | Step::Vote(c, _) => Some(c.item),
            Step::Outcome(o) => Some(o.item),
            Step::Open | Step::SessionEnd(..) => None,
        }
    }

    /// Short description for failure reasons.
    pub(crate) fn label(&self) -> String {
        match self {
            Step::Open => "OpenSeat".to_string(),
            Step::Position(c, _) => format!(
                "Position (session {}, item {}, round {})",
                c.session, c.item, c.round
            ),
            Step::Vote(c, _) => format!(
                "Vote {} (session {}, item {}, round {})",
                phase_name(c.phase),
                c.session,
                c.item,
                c.round
            ),
            Step::Outcome(o) => format!("Outcome (session {}, item {})", o.session, o.item),
            Step::SessionEnd(s, _) => format!("SessionEnd (session {})", s.session),
        }
    }
}

/// The check of a vote in `phase`.
pub(crate) fn vote_check(phase: i32) -> &'static str {
    match v1::Phase::try_from(phase) {
        Ok(v1::Phase::Silence) => "vote-silence",
        Ok(v1::Phase::Package) => "vote-package",
        _ => "vote-decision",
    }
}

/// Lower-case phase name.
pub(crate) fn phase_name(phase: i32) -> &'static str {
    match v1::Phase::try_from(phase) {
        Ok(v1::Phase::Positions) => "positions",
        Ok(v1::Phase::Decision) => "decision",
        Ok(v1::Phase::Silence) => "silence",
        Ok(v1::Phase::Package) => "package",
        _ => "unspecified",
    }
}

fn item(
    index: u32,
    id: &str,
    dimension: v1::Dimension,
    kind: v1::ItemKind,
    status_quo: f64,
    in_scope: bool,
) -> v1::ItemInfo {
    v1::ItemInfo {
        index,
        id: id.to_string(),
        title: format!("Conformance item {id}"),
        dimension: dimension as i32,
        kind: kind as i32,
        status_quo: Some(status_quo),
        reversion: None,
        in_scope,
        binding: in_scope,
        recurring: true,
        ..Default::default()
    }
}

/// The public rules of the synthetic match.
pub(crate) fn rules(states: usize) -> v1::PublicRules {
    v1::PublicRules {
        design: "conformance".to_string(),
        sessions: SESSIONS,
        max_rounds: MAX_ROUNDS,
        mediation: v1::Mediation::Compromise as i32,
        linkage: v1::Linkage::Any as i32,
        naming_shaming: true,
        exit_allowed: true,
        states: u32::try_from(states).unwrap_or(u32::MAX),
        crisis_threshold: 0.85,
        forfeit: 1.0,
        ..Default::default()
    }
}

/// The brief of seat `seat` (playing `state`) in `match_id`.
pub(crate) fn brief(match_id: &str, seat: usize, state: &str, states: usize) -> v1::SeatBrief {
    use v1::{Dimension as D, ItemKind as K};
    let items = vec![
        item(0, "budget", D::General, K::UnifiedBudget, 50.0, true),
        item(1, "csbm", D::PoliticoMilitary, K::Csbm, 30.0, true),
        item(
            2,
            "election-observation",
            D::Human,
            K::ElectionObservation,
            60.0,
            true,
        ),
        item(3, "declaration", D::Human, K::Declaration, 40.0, false),
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
    v1::SeatBrief {
        match_id: match_id.to_string(),
        state: state.to_string(),
        seat: u32::try_from(seat).unwrap_or(u32::MAX),
        bloc: BLOCS[bloc as usize].to_string(),
        bloc_index: bloc,
        bloc_leader: seat < 2,
        capability,
        seed: 2021 + seat as u64,
        blocs: BLOCS.iter().map(|b| (*b).to_string()).collect(),
        items,
        preferences: profile
            .iter()
            .map(|&(ideal, salience, red_line)| v1::Preference {
                ideal,
                salience,
                red_line,
                capability,
            })
            .collect(),
        rules: Some(rules(states)),
        bargaining_power: capability,
        voting_weight: capability,
        ..Default::default()
    }
}

fn blocs(
    means: [f64; 3],
    objections: [u32; 3],
    leader_vote: Option<v1::Vote>,
) -> Vec<v1::BlocSignal> {
    means
        .iter()
        .zip(objections)
        .map(|(&m, o)| v1::BlocSignal {
            mean_position: m,
            objections: o,
            present: 3,
            leader_position: Some(m),
            leader_vote: leader_vote.map(|v| v as i32),
        })
        .collect()
}

fn ctx(
    session: u32,
    item: u32,
    round: u32,
    phase: v1::Phase,
    proposal: Option<f64>,
    signals: Vec<v1::BlocSignal>,
) -> v1::RoundContext {
    let last_objections = signals.iter().map(|b| b.objections).sum();
    v1::RoundContext {
        session,
        item,
        round,
        phase: phase as i32,
        proposal,
        blocs: signals,
        last_objections,
        ..Default::default()
    }
}

/// How each item of a session ends in the script.
fn decision(session: u32, item: u32) -> v1::Decision {
    match (session, item) {
        (_, 3) => v1::Decision::OutOfScope,
        (0, 1) => v1::Decision::Reverted,
        (1, 1) => v1::Decision::AdHoc,
        (0, 2) => v1::Decision::AdoptedBySilence,
        (1, 2) => v1::Decision::Provisional,
        _ => v1::Decision::Adopted,
    }
}

/// The questions of the script, in order: open the seat, then per session and item two
/// positions rounds each followed by a decision vote (a silence vote on item 2), the
/// outcome, a package vote and the session end.
pub(crate) fn steps() -> Vec<Step> {
    let mut steps = vec![Step::Open];
    let view = |session: u32| v1::SeatView {
        legitimacy: if session == 0 { 0.6 } else { 0.3 },
        tension: 0.2 + 0.3 * f64::from(session),
        shamed: session,
        red_line_scale: 1.0,
        security_salience: 1.0,
        ..Default::default()
    };
    for s in 0..SESSIONS {
        let items = if s == 0 { ITEMS } else { ITEMS - 1 };
        for i in 0..items {
            let first = 40.0 + 5.0 * f64::from(i);
            let second = 45.0 + 3.0 * f64::from(i) + f64::from(s);
            // Round 0: the signals still show the previous item (as the engine does).
            let stale = blocs([60.0, 25.0, 45.0], [0, 0, 0], None);
            steps.push(Step::Position(
                ctx(s, i, 0, v1::Phase::Positions, None, stale),
                view(s),
            ));
            let live = blocs([65.0 + f64::from(i), 20.0, 45.0], [0, 0, 0], None);
            steps.push(Step::Vote(
                ctx(s, i, 0, v1::Phase::Decision, Some(first), live),
                view(s),
            ));
            let after = blocs([66.0, 18.0, 47.0], [0, 2, 1], Some(v1::Vote::No));
            steps.push(Step::Position(
                ctx(s, i, 1, v1::Phase::Positions, Some(first), after.clone()),
                view(s),
            ));
            steps.push(Step::Vote(
                ctx(s, i, 1, v1::Phase::Decision, Some(second), after.clone()),
                view(s),
            ));
            if i == 2 {
                steps.push(Step::Vote(
                    ctx(s, i, 2, v1::Phase::Silence, Some(second), after),
                    view(s),
                ));
            }
            let d = decision(s, i);
            let outcome = match d {
                v1::Decision::Adopted | v1::Decision::AdoptedBySilence | v1::Decision::AdHoc => {
                    second
                }
                _ => 50.0,
            };
            steps.push(Step::Outcome(v1::ItemOutcome {
                session: s,
                item: i,
                decision: d as i32,
                outcome: Some(outcome),
                binding: i != 3,
                rounds: 2,
                objections_by_bloc: if d == v1::Decision::Reverted {
                    vec![0, 2, 1]
                } else {
                    vec![0, 0, 0]
                },
                shamed: Vec::new(),
                in_force: Some(outcome),
                ..Default::default()
            }));
        }
        let package = ctx(
            s,
            items,
            0,
            v1::Phase::Package,
            None,
            blocs([60.0, 25.0, 45.0], [0, 1, 0], None),
        );
        steps.push(Step::Vote(package, view(s)));
        steps.push(Step::SessionEnd(
            v1::SessionSummary {
                session: s,
                decided: 2,
                items: ITEMS,
                my_gain: if s == 0 { -3.5 } else { 1.25 },
                tension: vec![
                    v1::TensionPair {
                        a: 0,
                        b: 1,
                        value: 0.4,
                    },
                    v1::TensionPair {
                        a: 0,
                        b: 2,
                        value: 0.1,
                    },
                    v1::TensionPair {
                        a: 1,
                        b: 2,
                        value: 0.2,
                    },
                ],
                ..Default::default()
            },
            view(s),
        ));
    }
    steps
}

/// A valid positions question (for probes).
pub(crate) fn position_question() -> (v1::RoundContext, v1::SeatView) {
    (
        ctx(
            0,
            0,
            0,
            v1::Phase::Positions,
            None,
            blocs([60.0, 25.0, 45.0], [0, 0, 0], None),
        ),
        v1::SeatView {
            legitimacy: 0.7,
            tension: 0.1,
            shamed: 0,
            red_line_scale: 1.0,
            security_salience: 1.0,
            ..Default::default()
        },
    )
}

/// A valid decision question (for probes).
pub(crate) fn decision_question() -> (v1::RoundContext, v1::SeatView) {
    (
        ctx(
            0,
            0,
            0,
            v1::Phase::Decision,
            Some(50.0),
            blocs([60.0, 25.0, 45.0], [0, 0, 0], None),
        ),
        v1::SeatView {
            legitimacy: 0.7,
            tension: 0.1,
            shamed: 0,
            red_line_scale: 1.0,
            security_salience: 1.0,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_covers_every_question() {
        let steps = steps();
        for check in [
            "open-seat",
            "position",
            "vote-decision",
            "vote-silence",
            "vote-package",
            "outcome",
            "session-end",
        ] {
            assert!(steps.iter().any(|s| s.check() == check), "{check}");
        }
        assert!(matches!(steps[0], Step::Open));
    }

    #[test]
    fn briefs_are_consistent() {
        let b = brief("m", 1, "FRA", 2);
        assert_eq!(b.items.len(), b.preferences.len());
        assert_eq!(b.items.len(), ITEMS as usize);
        assert_eq!(b.blocs[b.bloc_index as usize], b.bloc);
    }
}
