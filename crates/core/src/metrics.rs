//! What a match reports, per item, per session and for the whole match: capacity to
//! act, legitimacy, inclusiveness, tension, welfare and distance from reference
//! solutions. All structures serialize to JSON deterministically (vectors in State id
//! or agenda order, never hash maps).

use crate::model::{Dimension, ItemKind};
use crate::scenario::Scenario;
use crate::strategy::{Decision, EventKind, Fault, Phase};
use serde::{Deserialize, Serialize};

/// One item in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Session.
    pub session: u32,
    /// Agenda index.
    pub index: usize,
    /// Item id.
    pub id: String,
    /// Dimension.
    pub dimension: Dimension,
    /// Kind.
    pub kind: ItemKind,
    /// Body that decided it (None = out of scope).
    pub body: Option<String>,
    /// How it ended.
    pub decision: Decision,
    /// Counts as decided (capacity to act).
    pub decided: bool,
    /// Decided and binding.
    pub binding: bool,
    /// Decided and binding as international law.
    pub legally_binding: bool,
    /// Rounds used.
    pub rounds: u32,
    /// Policy in force at the start of the item (`None`: no policy yet).
    pub status_quo: Option<f64>,
    /// Outcome (policy adopted or fallen back to; `None`: no policy).
    pub outcome: Option<f64>,
    /// Policy in force after the item (partial compliance, ad hoc arrangements).
    pub in_force: Option<f64>,
    /// Last proposal on the table.
    pub proposal: Option<f64>,
    /// Compromise-model reference on true preferences.
    pub compromise_ref: f64,
    /// Nash bargaining reference on true preferences.
    pub nash_ref: f64,
    /// Yes votes in the final round.
    pub yes: u32,
    /// No votes / objections in the final round.
    pub no: u32,
    /// Abstentions in the final round.
    pub abstain: u32,
    /// Absent members in the final round.
    pub absent: u32,
    /// Objections per bloc (scenario bloc order).
    pub objections_by_bloc: Vec<u32>,
    /// Linkages accepted by the chair.
    pub links: u32,
    /// Linkages refused by the design.
    pub refused_links: u32,
    /// Trade offers made on this item (standing offers to support it).
    pub offers: u32,
    /// Votes turned into consent by an honoured trade offer.
    pub offers_honoured: u32,
    /// Trade offers refused by the design.
    pub refused_offers: u32,
    /// The group whose package vote adopted the item, if one did.
    pub package: Option<String>,
    /// States that walked out of the item (a crisis consequence).
    pub walkouts: Vec<String>,
    /// States named and shamed.
    pub shamed: Vec<String>,
    /// Sum over States of the utility of the policy in force after the item, measured
    /// against the item's status quo at the start of the match.
    pub welfare_gain: f64,
    /// Every round of the item: each positions round with the States' stated
    /// positions and the chair's proposal, each vote with every State's vote.
    pub history: Vec<RoundRecord>,
}

/// One round of an item, as the record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// Phase (`positions`, `decision`, `silence`, `package`).
    pub phase: Phase,
    /// Round within the item (package votes: the item's last round).
    pub round: u32,
    /// The proposal that came out of the positions (positions) or was voted on.
    pub proposal: Option<f64>,
    /// Per State in id order, its stated position (`null`: not asked or no valid answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<Vec<Option<f64>>>,
    /// Per State in id order, one character: `Y` yes, `N` no, `A` abstain, `.` not
    /// asked (not a member, absent, walked out, suspended, exited), `!` no valid answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<String>,
}

/// Legitimacy figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Legitimacy {
    /// Mean over States taking part.
    pub mean: f64,
    /// Minimum over States taking part.
    pub min: f64,
    /// Mean per bloc (scenario bloc order; members taking part).
    pub by_bloc: Vec<f64>,
}

/// Tension figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tension {
    /// Highest value any bloc pair reached.
    pub peak: f64,
    /// Highest value at the end.
    pub final_max: f64,
    /// Per bloc pair at the end (order of `MatchResult::bloc_pairs`).
    pub final_by_pair: Vec<f64>,
}

/// One session's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResult {
    /// Session number.
    pub session: u32,
    /// Items of this session.
    pub items: Vec<ItemResult>,
    /// Items decided / items in scope.
    pub capacity_to_act: f64,
    /// Items decided.
    pub decided: u32,
    /// Items in scope.
    pub in_scope: u32,
    /// Binding decisions / items in scope.
    pub binding_share: f64,
    /// Mean rounds to decision over decided items (0 if none).
    pub rounds_to_decision: f64,
    /// Legitimacy at the end of the session.
    pub legitimacy: Legitimacy,
    /// Share of States still taking part.
    pub inclusiveness: f64,
    /// Share of capability still taking part.
    pub inclusiveness_weighted: f64,
    /// Tension during the session.
    pub tension: Tension,
    /// Sum of utility gains over the status quo this session.
    pub welfare_gain: f64,
    /// Gini coefficient of States' satisfaction over the match so far (1 - salience-
    /// weighted distance of outcomes from ideals, normalised): 0 = everyone equally
    /// served.
    pub welfare_gini: f64,
    /// States that left at the end of the session.
    pub exits: u32,
    /// States withholding contributions after the session.
    pub withholding: u32,
    /// Steps-to-war events during the session.
    pub events: u32,
    /// Conduct reports and Moscow Mechanism missions naming a State this session.
    pub reports: u32,
    /// Walk-outs (State x item) during the session.
    pub walkouts: u32,
    /// Whether the design's Secretary General (`[secretary_general]`) was in office at
    /// the start of the session, so that its powers applied.
    pub sg_in_office: bool,
    /// Institutions with a head in office at the end of the session (ids).
    pub heads_in_office: Vec<String>,
}

/// Match-level summary (means over sessions; tension peak over the match).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchSummary {
    /// Mean capacity to act.
    pub capacity_to_act: f64,
    /// Mean binding share.
    pub binding_share: f64,
    /// Mean rounds to decision.
    pub rounds_to_decision: f64,
    /// Final mean legitimacy.
    pub legitimacy_mean: f64,
    /// Final minimum legitimacy.
    pub legitimacy_min: f64,
    /// Final inclusiveness.
    pub inclusiveness: f64,
    /// Peak tension.
    pub tension_peak: f64,
    /// Final tension (highest pair).
    pub tension_final: f64,
    /// Total welfare gain.
    pub welfare_gain: f64,
    /// Mean welfare Gini.
    pub welfare_gini: f64,
    /// Total exits.
    pub exits: u32,
    /// Total steps-to-war events.
    pub events: u32,
    /// Total conduct reports and Moscow Mechanism missions.
    pub reports: u32,
}

/// Per State over the match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateResult {
    /// State id.
    pub id: String,
    /// Bloc id.
    pub bloc: String,
    /// Strategy that played the seat.
    pub strategy: String,
    /// Capability.
    pub capability: f64,
    /// Utility of the policies in force over the match's status quo, summed over items
    /// and sessions (a flow: a policy counts in every session it stands), net of
    /// shaming costs.
    pub gain: f64,
    /// Final legitimacy.
    pub legitimacy: f64,
    /// Times named and shamed.
    pub shamed: u32,
    /// Session after which the State left, if it did.
    pub exited: Option<u32>,
    /// Violations recorded against its delegation.
    pub violations: u32,
    /// Score forfeited for violations (`[faults]` in the design): `forfeit` times the
    /// stake still open at the first violation.
    pub forfeit: f64,
    /// The score used for ranking: `gain - forfeit`.
    pub score: f64,
}

/// A delegation's failure to answer validly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// State id.
    pub state: String,
    /// Session.
    pub session: u32,
    /// Item id, if during an item.
    pub item: Option<String>,
    /// Round.
    pub round: u32,
    /// Phase (`open`, `positions`, `decision`, `silence`, `package`, `outcome`, `session-end`).
    pub phase: String,
    /// What went wrong.
    pub fault: Fault,
    /// Whether this strike suspended the delegation for the rest of the session.
    pub suspended: bool,
}

/// A seat whose delegation registered again during the match (a restarted process, or
/// another endpoint holding the State's token): from then on another process played it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reregistration {
    /// State id.
    pub state: String,
    /// Session during which it happened.
    pub session: u32,
}

/// A steps-to-war event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Session.
    pub session: u32,
    /// The item before which it happened.
    pub before: String,
    /// What happened.
    pub kind: EventKind,
    /// Bloc pair label (`west/csto`).
    pub pair: String,
    /// The pair's tension after it.
    pub tension: f64,
}

/// A report naming a State: an institution's conduct report or a Moscow Mechanism
/// mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRecord {
    /// Session (reports come at the session's end).
    pub session: u32,
    /// Institution id, or `moscow-mechanism`.
    pub by: String,
    /// The State named.
    pub state: String,
    /// How far the policy in force lies above the State's own ideal on the worst item
    /// of the dimension (the breach), or the number of invoking States for a mission.
    pub breach: f64,
}

/// Tension after a step (one point per finished item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensionPoint {
    /// Session.
    pub session: u32,
    /// Step number over the match.
    pub step: u32,
    /// Item just finished (None for the initial point).
    pub item: Option<String>,
    /// Tension per bloc pair.
    pub values: Vec<f64>,
}

/// Everything a match produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// Match id.
    pub match_id: String,
    /// Scenario id.
    pub scenario: String,
    /// Design id.
    pub design: String,
    /// Master seed.
    pub seed: u64,
    /// Whether the match ran to its end.
    pub complete: bool,
    /// Summary.
    pub summary: MatchSummary,
    /// Sessions.
    pub sessions: Vec<SessionResult>,
    /// States.
    pub states: Vec<StateResult>,
    /// Violations.
    pub violations: Vec<Violation>,
    /// Bloc pair labels (`west/csto`) in the order tension values use.
    pub bloc_pairs: Vec<String>,
    /// Tension after each item.
    pub tension_trace: Vec<TensionPoint>,
    /// Steps-to-war events.
    pub events: Vec<EventRecord>,
    /// Conduct reports and Moscow Mechanism missions.
    pub reports: Vec<ReportRecord>,
    /// Questions the match asked (rounds of the protocol); never above
    /// `Match::max_questions`.
    pub questions: u32,
    /// Decisions the match asked for: position and vote answers, one per seat asked.
    pub decisions: u64,
    /// Seats whose delegation registered again mid-match (remote runs only; absent
    /// when none, so in-process results are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reregistrations: Vec<Reregistration>,
}

/// Labels of bloc pairs in tension order.
pub fn bloc_pairs(sc: &Scenario) -> Vec<String> {
    let mut v = Vec::new();
    for a in 0..sc.blocs.len() {
        for b in a + 1..sc.blocs.len() {
            v.push(format!("{}/{}", sc.blocs[a].id, sc.blocs[b].id));
        }
    }
    v
}

/// Gini coefficient of non-negative values (0 for empty or all-zero input).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // G = sum_i (2i - n - 1) x_i / (n * sum x), i = 1..n over sorted values.
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x)
        .sum();
    weighted / (n as f64 * total)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn summarize_session(
    session: u32,
    sc: &Scenario,
    order: &[usize],
    all_items: &[ItemResult],
    legitimacy: &[f64],
    exited: &[Option<u32>],
    satisfaction: &[(f64, f64)],
    trace: &[TensionPoint],
) -> SessionResult {
    // In the order the chair took the agenda (items held for a package are recorded
    // when the package is decided, later than they were negotiated).
    let mut items: Vec<ItemResult> = all_items
        .iter()
        .filter(|r| r.session == session)
        .cloned()
        .collect();
    items.sort_by_key(|r| {
        order
            .iter()
            .position(|&i| i == r.index)
            .unwrap_or(usize::MAX)
    });
    // Out-of-scope items and one-off items settled earlier are not on this session's
    // agenda for the purpose of capacity to act.
    let in_scope = items
        .iter()
        .filter(|r| !matches!(r.decision, Decision::OutOfScope | Decision::Settled))
        .count() as u32;
    let decided = items.iter().filter(|r| r.decided).count() as u32;
    let binding = items.iter().filter(|r| r.binding).count() as u32;
    let ratio = |a: u32, b: u32| {
        if b > 0 {
            f64::from(a) / f64::from(b)
        } else {
            0.0
        }
    };
    let rounds: u32 = items.iter().filter(|r| r.decided).map(|r| r.rounds).sum();
    let present: Vec<usize> = (0..sc.states.len())
        .filter(|&s| exited[s].is_none())
        .collect();
    let leg: Vec<f64> = present.iter().map(|&s| legitimacy[s]).collect();
    let mean = if leg.is_empty() {
        0.0
    } else {
        leg.iter().sum::<f64>() / leg.len() as f64
    };
    let min = leg.iter().copied().fold(f64::INFINITY, f64::min);
    let by_bloc = (0..sc.blocs.len())
        .map(|b| {
            let v: Vec<f64> = present
                .iter()
                .filter(|&&s| sc.states[s].bloc == b)
                .map(|&s| legitimacy[s])
                .collect();
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    let cap_total: f64 = sc.states.iter().map(|s| s.capability).sum();
    let cap_present: f64 = present.iter().map(|&s| sc.states[s].capability).sum();
    let points: Vec<&TensionPoint> = trace.iter().filter(|p| p.session == session).collect();
    let max_of = |p: &TensionPoint| p.values.iter().copied().fold(0.0, f64::max);
    let peak = points.iter().map(|p| max_of(p)).fold(0.0, f64::max);
    let last = trace.last();
    let sats: Vec<f64> = present
        .iter()
        .map(|&s| {
            let (d, m) = satisfaction[s];
            if m > 0.0 { 1.0 - d / m } else { 1.0 }
        })
        .collect();
    SessionResult {
        session,
        capacity_to_act: ratio(decided, in_scope),
        decided,
        in_scope,
        binding_share: ratio(binding, in_scope),
        rounds_to_decision: if decided > 0 {
            f64::from(rounds) / f64::from(decided)
        } else {
            0.0
        },
        legitimacy: Legitimacy {
            mean,
            min: if min.is_finite() { min } else { 0.0 },
            by_bloc,
        },
        inclusiveness: present.len() as f64 / sc.states.len().max(1) as f64,
        inclusiveness_weighted: if cap_total > 0.0 {
            cap_present / cap_total
        } else {
            0.0
        },
        tension: Tension {
            peak,
            final_max: last.map(max_of).unwrap_or(0.0),
            final_by_pair: last.map(|p| p.values.clone()).unwrap_or_default(),
        },
        welfare_gain: items.iter().map(|r| r.welfare_gain).sum::<f64>(),
        welfare_gini: gini(&sats),
        exits: 0,
        withholding: 0,
        events: 0,
        reports: 0,
        walkouts: 0,
        sg_in_office: false,
        heads_in_office: Vec::new(),
        items,
    }
}

pub(crate) fn summarize_match(sessions: &[SessionResult]) -> MatchSummary {
    let n = sessions.len().max(1) as f64;
    let mean = |f: &dyn Fn(&SessionResult) -> f64| sessions.iter().map(f).sum::<f64>() / n;
    let last = sessions.last();
    MatchSummary {
        capacity_to_act: mean(&|s| s.capacity_to_act),
        binding_share: mean(&|s| s.binding_share),
        // Over decided items, not a mean of session means: a session that decided
        // nothing has no rounds to decision, not zero of them.
        rounds_to_decision: {
            let decided = sessions.iter().flat_map(|s| &s.items).filter(|i| i.decided);
            let (n, rounds) = decided.fold((0u32, 0u32), |(n, r), i| (n + 1, r + i.rounds));
            if n > 0 {
                f64::from(rounds) / f64::from(n)
            } else {
                0.0
            }
        },
        legitimacy_mean: last.map_or(0.0, |s| s.legitimacy.mean),
        legitimacy_min: last.map_or(0.0, |s| s.legitimacy.min),
        inclusiveness: last.map_or(1.0, |s| s.inclusiveness),
        tension_peak: sessions.iter().map(|s| s.tension.peak).fold(0.0, f64::max),
        tension_final: last.map_or(0.0, |s| s.tension.final_max),
        welfare_gain: sessions.iter().map(|s| s.welfare_gain).sum(),
        welfare_gini: mean(&|s| s.welfare_gini),
        exits: sessions.iter().map(|s| s.exits).sum(),
        events: sessions.iter().map(|s| s.events).sum(),
        reports: sessions.iter().map(|s| s.reports).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::gini;

    #[test]
    fn gini_hand_worked() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        // One of four holds everything: (n-1)/n = 0.75.
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
        // 1,2,3: sum_i (2i-4) x_i = -2*1 + 0*2 + 2*3 = 4; / (3*6) = 0.2222.
        assert!((gini(&[3.0, 1.0, 2.0]) - 4.0 / 18.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }
}
