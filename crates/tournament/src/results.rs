//! The documented output shapes: what `plenary run --json` writes (a [`RunResult`]) and
//! what a tournament appends to `matches.jsonl` (a [`MatchRecord`]). Both carry
//! `schema_version` and `tool_version`, and both embed ONE [`Outcome`] (match id,
//! scenario, design, seed, summary metrics, every State, the tension trace), so a
//! field means the same thing, with the same name and type, in both files.
//!
//! These types are the output contract, kept apart from the engine's internal
//! `plenary_core::MatchResult` on purpose: every list indexed by bloc or bloc pair is
//! labelled here (a map from bloc id or pair label to the value), optional values are
//! always written (`null`, never a missing key), and seeds stay below 2^53 so every
//! JSON reader (JavaScript, pyarrow, DuckDB) keeps them exact. The conversions
//! destructure the engine's structs field by field, so a field added to the engine's
//! results fails to compile here instead of silently missing from the files.
//!
//! The JSON Schemas in `schemas/` are generated from these types ([`crate::schema`]).

use crate::plan::Role;
use plenary_core::metrics::{
    EventRecord, ItemResult, Legitimacy, MatchSummary, ReportRecord, RoundRecord, SessionResult,
    StateResult, Tension, TensionPoint, Violation,
};
use plenary_core::model::{Dimension, ItemKind};
use plenary_core::strategy::{Decision, EventKind, Fault, Phase};
use plenary_core::{MatchResult, Scenario};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the output shapes (bumped on any incompatible change to a field).
pub const SCHEMA_VERSION: u32 = 1;

/// Largest seed written to any output: 2^53 - 1, the largest integer every JSON
/// reader (IEEE doubles) and Arrow's JSON reader keep exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The tool that wrote an output: `plenary <version>`.
pub fn tool_version() -> String {
    format!("plenary {}", env!("CARGO_PKG_VERSION"))
}

/// Checks a user-given seed (master seed, `--seed`): it must fit in 53 bits so that the
/// files that record it keep it exactly.
pub fn check_seed(seed: u64) -> Result<u64, String> {
    if seed <= MAX_SEED {
        Ok(seed)
    } else {
        Err(format!(
            "seed {seed} is too large: seeds are at most 2^53 - 1 = {MAX_SEED} so that every JSON reader keeps them exactly"
        ))
    }
}

/// Parses a seed argument (`--seed`): a decimal integer at most [`MAX_SEED`].
pub fn parse_seed(s: &str) -> Result<u64, String> {
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a seed (a whole number from 0 to {MAX_SEED})"))?;
    check_seed(v)
}

/// How an item ended (see `plenary_core::strategy::Decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionOut {
    /// Adopted by the body's rule.
    Adopted,
    /// Adopted under the silence procedure.
    AdoptedBySilence,
    /// Failed; the States that accepted apply it among themselves.
    AdHoc,
    /// Budget blocked: provisional 1/12 allotments of the last budget.
    Provisional,
    /// Failed: the reversion point applies.
    Reverted,
    /// No body of the design may decide it.
    OutOfScope,
    /// Agreed on its own but lost in the final package vote.
    PackageFailed,
    /// Co-operation suspended by a crisis: not negotiated; the deadlock fallback applies.
    Suspended,
    /// A one-off item decided in an earlier session: it stays in force, not re-opened.
    Settled,
}

impl From<Decision> for DecisionOut {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Adopted => DecisionOut::Adopted,
            Decision::AdoptedBySilence => DecisionOut::AdoptedBySilence,
            Decision::AdHoc => DecisionOut::AdHoc,
            Decision::Provisional => DecisionOut::Provisional,
            Decision::Reverted => DecisionOut::Reverted,
            Decision::OutOfScope => DecisionOut::OutOfScope,
            Decision::PackageFailed => DecisionOut::PackageFailed,
            Decision::Suspended => DecisionOut::Suspended,
            Decision::Settled => DecisionOut::Settled,
        }
    }
}

/// OSCE dimension ("basket") of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DimensionOut {
    /// Arms control, CSBMs, conflict prevention.
    PoliticoMilitary,
    /// Economic and environmental co-operation.
    EconomicEnvironmental,
    /// Human rights, democratic institutions, media freedom.
    Human,
    /// Organisational items.
    General,
}

impl From<Dimension> for DimensionOut {
    fn from(d: Dimension) -> Self {
        match d {
            Dimension::PoliticoMilitary => DimensionOut::PoliticoMilitary,
            Dimension::EconomicEnvironmental => DimensionOut::EconomicEnvironmental,
            Dimension::Human => DimensionOut::Human,
            Dimension::General => DimensionOut::General,
        }
    }
}

/// Kind of agenda item, written as the scenario files name it (`unified-budget`,
/// `field-mission`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ItemKindOut(pub String);

impl From<ItemKind> for ItemKindOut {
    fn from(k: ItemKind) -> Self {
        // The engine's own kebab-case name, so the two never disagree.
        let v = serde_json::to_value(k).expect("item kinds serialize");
        ItemKindOut(v.as_str().unwrap_or_default().to_string())
    }
}

/// Why a delegation's answer did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// No answer before the deadline.
    Timeout,
    /// The delegation could not be reached or failed.
    Unavailable,
    /// The answer broke the contract (out of scale, NaN, wrong item, ...).
    Invalid,
}

/// Institution metrics of one match (means over sessions; tension peak over the match).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryOut {
    /// Mean over sessions of the share of in-scope items decided.
    pub capacity_to_act: f64,
    /// Mean over sessions of the share of in-scope items decided and binding.
    pub binding_share: f64,
    /// Mean rounds to decision over decided items (0 when none was decided).
    pub rounds_to_decision: f64,
    /// Mean legitimacy (0..1) over States taking part at the end.
    pub legitimacy_mean: f64,
    /// Lowest legitimacy of a State taking part at the end.
    pub legitimacy_min: f64,
    /// Share of States still taking part at the end.
    pub inclusiveness: f64,
    /// Highest bloc-pair tension (0..1) reached in the match.
    pub tension_peak: f64,
    /// Highest bloc-pair tension at the end.
    pub tension_final: f64,
    /// Sum over States and sessions of the utility gain over the status quo.
    pub welfare_gain: f64,
    /// Mean over sessions of the Gini coefficient of States' satisfaction.
    pub welfare_gini: f64,
    /// States that left.
    pub exits: u32,
    /// Steps-to-war events (exercises, alliance building, armament, incidents).
    pub events: u32,
    /// Conduct reports and Moscow Mechanism missions.
    pub reports: u32,
}

impl From<&MatchSummary> for SummaryOut {
    fn from(s: &MatchSummary) -> Self {
        let MatchSummary {
            capacity_to_act,
            binding_share,
            rounds_to_decision,
            legitimacy_mean,
            legitimacy_min,
            inclusiveness,
            tension_peak,
            tension_final,
            welfare_gain,
            welfare_gini,
            exits,
            events,
            reports,
        } = *s;
        SummaryOut {
            capacity_to_act,
            binding_share,
            rounds_to_decision,
            legitimacy_mean,
            legitimacy_min,
            inclusiveness,
            tension_peak,
            tension_final,
            welfare_gain,
            welfare_gini,
            exits,
            events,
            reports,
        }
    }
}

/// One State over the match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StateOutcome {
    /// State id.
    pub id: String,
    /// Bloc id.
    pub bloc: String,
    /// Seat class: `leader` (largest capability of its bloc), `member` (other States
    /// of aligned blocs) or `neutral` (other States of the neutral blocs).
    pub class: String,
    /// Strategy that played the seat.
    pub strategy: String,
    /// Capability (weight in weighted rules and in inclusiveness).
    pub capability: f64,
    /// Utility of the policies in force over the match's status quo, summed over items
    /// and sessions, net of shaming costs.
    pub gain: f64,
    /// Legitimacy (0..1) of the organisation in this State's eyes at the end.
    pub legitimacy: f64,
    /// Times named and shamed.
    pub shamed: u32,
    /// Session (0-based) after which the State left; `null` if it stayed.
    pub exited: Option<u32>,
    /// Violations recorded against its delegation.
    pub violations: u32,
    /// Score forfeited for violations (the design's `[faults]`).
    pub forfeit: f64,
    /// The score tournaments rank by: `gain - forfeit`.
    pub score: f64,
}

/// Tension after one step of the match (step 0: the start; then one per finished item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TensionStep {
    /// Step number over the match.
    pub step: u32,
    /// Session (0-based).
    pub session: u32,
    /// Item just finished (`null` for the initial point).
    pub item: Option<String>,
    /// Highest bloc-pair tension after the step.
    pub max: f64,
}

/// What every output about one match holds: the same fields, names and types in run
/// results and in tournament match records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    /// Match id.
    pub match_id: String,
    /// Scenario: a preset id or the path of a scenario file, as given.
    pub scenario: String,
    /// Design: a preset id or the path of a design file, as given.
    pub design: String,
    /// Match seed (below 2^53).
    pub seed: u64,
    /// Whether the match ran to its end.
    pub complete: bool,
    /// Institution metrics of the match.
    pub summary: SummaryOut,
    /// Every State, in scenario order.
    pub states: Vec<StateOutcome>,
    /// Tension after every step (the highest pair).
    pub tension: Vec<TensionStep>,
    /// Tension (0..1) of every bloc pair, keyed `blocA/blocB`: one value per entry of
    /// `tension`, in the same order (kept by pair rather than by step: a third of the
    /// size in every match record).
    pub tension_by_pair: BTreeMap<String, Vec<f64>>,
}

impl Outcome {
    /// The outcome of `r`, naming the scenario and design as given (`scenario`,
    /// `design`) and giving each seat its class (`classes`, scenario order).
    pub fn new(scenario: &str, design: &str, r: &MatchResult, classes: &[&str]) -> Outcome {
        Outcome {
            match_id: r.match_id.clone(),
            scenario: scenario.to_string(),
            design: design.to_string(),
            seed: r.seed,
            complete: r.complete,
            summary: SummaryOut::from(&r.summary),
            states: r
                .states
                .iter()
                .enumerate()
                .map(|(i, s)| state_out(s, classes.get(i).copied().unwrap_or("member")))
                .collect(),
            tension: r.tension_trace.iter().map(tension_step).collect(),
            tension_by_pair: r
                .bloc_pairs
                .iter()
                .enumerate()
                .map(|(k, pair)| {
                    let v = r
                        .tension_trace
                        .iter()
                        .map(|p| p.values.get(k).copied().unwrap_or(0.0))
                        .collect();
                    (pair.clone(), v)
                })
                .collect(),
        }
    }

    /// Mean score (gain net of forfeits) per strategy over the seats it played:
    /// `(strategy, mean, seats)`.
    pub fn gains_by_strategy(&self) -> BTreeMap<&str, (f64, u32)> {
        let mut m: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
        for s in &self.states {
            let e = m.entry(s.strategy.as_str()).or_default();
            e.0 += s.score;
            e.1 += 1;
        }
        for v in m.values_mut() {
            v.0 /= f64::from(v.1);
        }
        m
    }
}

fn state_out(s: &StateResult, class: &str) -> StateOutcome {
    let StateResult {
        id,
        bloc,
        strategy,
        capability,
        gain,
        legitimacy,
        shamed,
        exited,
        violations,
        forfeit,
        score,
    } = s;
    StateOutcome {
        id: id.clone(),
        bloc: bloc.clone(),
        class: class.to_string(),
        strategy: strategy.clone(),
        capability: *capability,
        gain: *gain,
        legitimacy: *legitimacy,
        shamed: *shamed,
        exited: *exited,
        violations: *violations,
        forfeit: *forfeit,
        score: *score,
    }
}

fn by_label<T: Copy>(labels: &[String], values: &[T]) -> BTreeMap<String, T> {
    labels.iter().cloned().zip(values.iter().copied()).collect()
}

fn tension_step(p: &TensionPoint) -> TensionStep {
    let TensionPoint {
        session,
        step,
        item,
        values,
    } = p;
    TensionStep {
        step: *step,
        session: *session,
        item: item.clone(),
        max: values.iter().copied().fold(0.0, f64::max),
    }
}

/// Legitimacy at the end of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LegitimacyOut {
    /// Mean over States taking part.
    pub mean: f64,
    /// Lowest of a State taking part.
    pub min: f64,
    /// Mean per bloc (members taking part), keyed by bloc id.
    pub by_bloc: BTreeMap<String, f64>,
}

/// Tension during a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TensionOut {
    /// Highest value any bloc pair reached in the session.
    pub peak: f64,
    /// Highest value at the end of the session.
    pub final_max: f64,
    /// Per bloc pair at the end of the session, keyed `blocA/blocB`.
    pub final_by_pair: BTreeMap<String, f64>,
}

/// One item in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemOut {
    /// Session (0-based).
    pub session: u32,
    /// Agenda index.
    pub index: usize,
    /// Item id.
    pub id: String,
    /// Dimension.
    pub dimension: DimensionOut,
    /// Kind.
    pub kind: ItemKindOut,
    /// Body that decided it (`null`: out of scope).
    pub body: Option<String>,
    /// How it ended.
    pub decision: DecisionOut,
    /// Counts as decided (capacity to act).
    pub decided: bool,
    /// Decided and binding.
    pub binding: bool,
    /// Decided and binding as international law.
    pub legally_binding: bool,
    /// Rounds used.
    pub rounds: u32,
    /// Policy in force at the start of the item (`null`: no policy yet).
    pub status_quo: Option<f64>,
    /// Outcome: the policy adopted or fallen back to (`null`: no policy).
    pub outcome: Option<f64>,
    /// Policy in force after the item (partial compliance, ad hoc arrangements;
    /// `null`: no policy).
    pub in_force: Option<f64>,
    /// Last proposal on the table (`null`: none was made).
    pub proposal: Option<f64>,
    /// Compromise-model reference solution on the true preferences.
    pub compromise_ref: f64,
    /// Nash bargaining reference solution on the true preferences.
    pub nash_ref: f64,
    /// Yes votes in the final round.
    pub yes: u32,
    /// No votes / objections in the final round.
    pub no: u32,
    /// Abstentions in the final round.
    pub abstain: u32,
    /// Absent members in the final round.
    pub absent: u32,
    /// Objections in the final round per bloc, keyed by bloc id.
    pub objections_by_bloc: BTreeMap<String, u32>,
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
    /// The group whose package vote adopted the item (`null`: none).
    pub package: Option<String>,
    /// States that walked out of the item.
    pub walkouts: Vec<String>,
    /// States named and shamed.
    pub shamed: Vec<String>,
    /// Sum over States of the utility of the policy in force after the item, against
    /// the item's status quo at the start of the match.
    pub welfare_gain: f64,
    /// Every round of the item: the proposal, and each State's stated position or vote.
    pub history: Vec<RoundOut>,
}

/// Which question a round asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseOut {
    /// States stated positions.
    Positions,
    /// Accept, object or abstain on the chair's proposal.
    Decision,
    /// The proposal under the silence procedure.
    Silence,
    /// Final package vote.
    Package,
}

/// A State's answer in a vote round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VoteOut {
    /// Yes / no objection / silence kept.
    Yes,
    /// No / objection / silence broken.
    No,
    /// Abstained.
    Abstain,
    /// Not asked (not a member, absent, walked out, suspended, exited).
    NotAsked,
    /// No valid answer.
    Invalid,
}

/// One round of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoundOut {
    /// Which question the round asked.
    pub phase: PhaseOut,
    /// Round within the item (package votes: the item's last round).
    pub round: u32,
    /// The proposal that came out of the positions, or the one voted on.
    pub proposal: Option<f64>,
    /// Positions rounds: each State's stated position, keyed by State id (`null`: not
    /// asked or no valid answer). `null` in vote rounds.
    pub positions: Option<BTreeMap<String, Option<f64>>>,
    /// Vote rounds: each State's vote, keyed by State id. `null` in positions rounds.
    pub votes: Option<BTreeMap<String, VoteOut>>,
}

fn round_out(r: &RoundRecord, states: &[String]) -> RoundOut {
    let RoundRecord {
        phase,
        round,
        proposal,
        positions,
        votes,
    } = r;
    RoundOut {
        phase: match phase {
            Phase::Positions => PhaseOut::Positions,
            Phase::Decision => PhaseOut::Decision,
            Phase::Silence => PhaseOut::Silence,
            Phase::Package => PhaseOut::Package,
        },
        round: *round,
        proposal: *proposal,
        positions: positions
            .as_ref()
            .map(|p| states.iter().cloned().zip(p.iter().copied()).collect()),
        votes: votes.as_ref().map(|v| {
            states
                .iter()
                .cloned()
                .zip(v.chars().map(|c| match c {
                    'Y' => VoteOut::Yes,
                    'N' => VoteOut::No,
                    'A' => VoteOut::Abstain,
                    '.' => VoteOut::NotAsked,
                    _ => VoteOut::Invalid,
                }))
                .collect()
        }),
    }
}

fn item_out(it: &ItemResult, blocs: &[String], states: &[String]) -> ItemOut {
    let ItemResult {
        session,
        index,
        id,
        dimension,
        kind,
        body,
        decision,
        decided,
        binding,
        legally_binding,
        rounds,
        status_quo,
        outcome,
        in_force,
        proposal,
        compromise_ref,
        nash_ref,
        yes,
        no,
        abstain,
        absent,
        objections_by_bloc,
        links,
        refused_links,
        offers,
        offers_honoured,
        refused_offers,
        package,
        walkouts,
        shamed,
        welfare_gain,
        history,
    } = it;
    ItemOut {
        session: *session,
        index: *index,
        id: id.clone(),
        dimension: (*dimension).into(),
        kind: (*kind).into(),
        body: body.clone(),
        decision: (*decision).into(),
        decided: *decided,
        binding: *binding,
        legally_binding: *legally_binding,
        rounds: *rounds,
        status_quo: *status_quo,
        outcome: *outcome,
        in_force: *in_force,
        proposal: *proposal,
        compromise_ref: *compromise_ref,
        nash_ref: *nash_ref,
        yes: *yes,
        no: *no,
        abstain: *abstain,
        absent: *absent,
        objections_by_bloc: by_label(blocs, objections_by_bloc),
        links: *links,
        refused_links: *refused_links,
        offers: *offers,
        offers_honoured: *offers_honoured,
        refused_offers: *refused_offers,
        package: package.clone(),
        walkouts: walkouts.clone(),
        shamed: shamed.clone(),
        welfare_gain: *welfare_gain,
        history: history.iter().map(|r| round_out(r, states)).collect(),
    }
}

/// One session's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionOut {
    /// Session number (0-based).
    pub session: u32,
    /// Items of this session.
    pub items: Vec<ItemOut>,
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
    pub legitimacy: LegitimacyOut,
    /// Share of States still taking part.
    pub inclusiveness: f64,
    /// Share of capability still taking part.
    pub inclusiveness_weighted: f64,
    /// Tension during the session.
    pub tension: TensionOut,
    /// Sum of utility gains over the status quo this session.
    pub welfare_gain: f64,
    /// Gini coefficient of States' satisfaction over the match so far.
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
    /// Whether a Secretary General was in office at the start of the session.
    pub sg_in_office: bool,
    /// Institutions with a head in office at the end of the session (ids).
    pub heads_in_office: Vec<String>,
}

fn session_out(
    s: &SessionResult,
    blocs: &[String],
    pairs: &[String],
    states: &[String],
) -> SessionOut {
    let SessionResult {
        session,
        items,
        capacity_to_act,
        decided,
        in_scope,
        binding_share,
        rounds_to_decision,
        legitimacy,
        inclusiveness,
        inclusiveness_weighted,
        tension,
        welfare_gain,
        welfare_gini,
        exits,
        withholding,
        events,
        reports,
        walkouts,
        sg_in_office,
        heads_in_office,
    } = s;
    let Legitimacy { mean, min, by_bloc } = legitimacy;
    let Tension {
        peak,
        final_max,
        final_by_pair,
    } = tension;
    SessionOut {
        session: *session,
        items: items.iter().map(|i| item_out(i, blocs, states)).collect(),
        capacity_to_act: *capacity_to_act,
        decided: *decided,
        in_scope: *in_scope,
        binding_share: *binding_share,
        rounds_to_decision: *rounds_to_decision,
        legitimacy: LegitimacyOut {
            mean: *mean,
            min: *min,
            by_bloc: by_label(blocs, by_bloc),
        },
        inclusiveness: *inclusiveness,
        inclusiveness_weighted: *inclusiveness_weighted,
        tension: TensionOut {
            peak: *peak,
            final_max: *final_max,
            final_by_pair: by_label(pairs, final_by_pair),
        },
        welfare_gain: *welfare_gain,
        welfare_gini: *welfare_gini,
        exits: *exits,
        withholding: *withholding,
        events: *events,
        reports: *reports,
        walkouts: *walkouts,
        sg_in_office: *sg_in_office,
        heads_in_office: heads_in_office.clone(),
    }
}

/// A steps-to-war event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventOut {
    /// Session (0-based).
    pub session: u32,
    /// The item before which it happened.
    pub before: String,
    /// What happened: `exercise`, `alliance`, `armament`, `incident`.
    pub kind: String,
    /// Bloc pair (`blocA/blocB`).
    pub pair: String,
    /// The pair's tension after it.
    pub tension: f64,
}

fn event_out(e: &EventRecord) -> EventOut {
    let EventRecord {
        session,
        before,
        kind,
        pair,
        tension,
    } = e;
    EventOut {
        session: *session,
        before: before.clone(),
        kind: match kind {
            EventKind::Exercise => "exercise",
            EventKind::Alliance => "alliance",
            EventKind::Armament => "armament",
            EventKind::Incident => "incident",
        }
        .to_string(),
        pair: pair.clone(),
        tension: *tension,
    }
}

/// A report naming a State: an institution's conduct report or a Moscow Mechanism
/// mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportOut {
    /// Session (0-based; reports come at the session's end).
    pub session: u32,
    /// Institution id, or `moscow-mechanism`.
    pub by: String,
    /// The State named.
    pub state: String,
    /// The breach (conduct reports), or the number of invoking States (missions).
    pub breach: f64,
}

fn report_out(r: &ReportRecord) -> ReportOut {
    let ReportRecord {
        session,
        by,
        state,
        breach,
    } = r;
    ReportOut {
        session: *session,
        by: by.clone(),
        state: state.clone(),
        breach: *breach,
    }
}

/// A delegation's failure to answer validly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ViolationOut {
    /// State id.
    pub state: String,
    /// Session (0-based).
    pub session: u32,
    /// Item id (`null`: outside an item).
    pub item: Option<String>,
    /// Round.
    pub round: u32,
    /// Phase (`open`, `positions`, `decision`, `silence`, `package`, `outcome`,
    /// `session-end`).
    pub phase: String,
    /// What went wrong.
    pub fault: FaultKind,
    /// Details of the fault (`null` for a timeout).
    pub detail: Option<String>,
    /// Whether this strike suspended the delegation for the rest of the session.
    pub suspended: bool,
}

fn violation_out(v: &Violation) -> ViolationOut {
    let Violation {
        state,
        session,
        item,
        round,
        phase,
        fault,
        suspended,
    } = v;
    let (fault, detail) = match fault {
        Fault::Timeout => (FaultKind::Timeout, None),
        Fault::Unavailable(d) => (FaultKind::Unavailable, Some(d.clone())),
        Fault::Invalid(d) => (FaultKind::Invalid, Some(d.clone())),
    };
    ViolationOut {
        state: state.clone(),
        session: *session,
        item: item.clone(),
        round: *round,
        phase: phase.clone(),
        fault,
        detail,
        suspended: *suspended,
    }
}

/// The results of one match as `plenary run --json` (and `lab`, `session`, `replay`)
/// write them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    /// Version of this shape ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The tool that wrote it (`plenary <version>`).
    pub tool_version: String,
    /// The match: the same fields as in a tournament's match records.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Bloc ids in scenario order.
    pub blocs: Vec<String>,
    /// Every session, item by item.
    pub sessions: Vec<SessionOut>,
    /// Answers that did not count.
    pub violations: Vec<ViolationOut>,
    /// Steps-to-war events.
    pub events: Vec<EventOut>,
    /// Conduct reports and Moscow Mechanism missions.
    pub reports: Vec<ReportOut>,
    /// Questions the match asked (rounds of the protocol).
    pub questions: u32,
    /// Decisions the match asked for: position and vote answers, one per seat asked.
    pub decisions: u64,
    /// Seats whose delegation registered again mid-match, in order (remote runs; absent
    /// when none): another process played the seat from then on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reregistrations: Vec<ReregistrationOut>,
}

/// A seat whose delegation registered again during the match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReregistrationOut {
    /// State id.
    pub state: String,
    /// Session (0-based) during which it happened.
    pub session: u32,
}

impl RunResult {
    /// The run result of `r` on scenario `sc` (named `scenario` and `design` as given).
    pub fn new(
        sc: &Scenario,
        scenario: &str,
        design: &str,
        r: &MatchResult,
        classes: &[&str],
    ) -> RunResult {
        let MatchResult {
            match_id: _,
            scenario: _,
            design: _,
            seed: _,
            complete: _,
            summary: _,
            sessions,
            states: _,
            violations,
            bloc_pairs,
            tension_trace: _,
            events,
            reports,
            questions,
            decisions,
            reregistrations,
        } = r;
        let blocs: Vec<String> = sc.blocs.iter().map(|b| b.id.clone()).collect();
        let states: Vec<String> = sc.states.iter().map(|s| s.id.clone()).collect();
        RunResult {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version(),
            outcome: Outcome::new(scenario, design, r, classes),
            sessions: sessions
                .iter()
                .map(|s| session_out(s, &blocs, bloc_pairs, &states))
                .collect(),
            violations: violations.iter().map(violation_out).collect(),
            events: events.iter().map(event_out).collect(),
            reports: reports.iter().map(report_out).collect(),
            questions: *questions,
            decisions: *decisions,
            reregistrations: reregistrations
                .iter()
                .map(|x| ReregistrationOut {
                    state: x.state.clone(),
                    session: x.session,
                })
                .collect(),
            blocs,
        }
    }
}

/// One finished tournament match, one line of `matches.jsonl`: everything needed to
/// find, re-run (`plenary replay`) and summarize it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MatchRecord {
    /// Version of this shape ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The tool that wrote it (`plenary <version>`).
    pub tool_version: String,
    /// Global match index in the tournament (shards take `index % N == I`).
    pub index: u64,
    /// Fingerprint of the tournament configuration.
    pub tournament: String,
    /// Master seed of the tournament (below 2^53).
    pub master_seed: u64,
    /// Format: `rotation`, `bloc-vs-bloc`, `invasion`, `population`, `evolutionary`.
    pub format: String,
    /// Replication (within a generation for the evolutionary format).
    pub replication: u32,
    /// Labels the match seed derives from (after the master seed).
    pub key: Vec<String>,
    /// Who plays what, by format.
    pub role: Role,
    /// What ran the match: `in-process` or `remote` (the chair over delegation
    /// processes); both give the same results.
    pub executor: String,
    /// The match: the same fields as in run results.
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_checked_against_53_bits() {
        assert_eq!(parse_seed("2021"), Ok(2021));
        assert_eq!(parse_seed(&MAX_SEED.to_string()), Ok(MAX_SEED));
        let e = parse_seed(&(MAX_SEED + 1).to_string()).unwrap_err();
        assert!(e.contains("2^53"), "{e}");
        assert!(parse_seed("x").is_err());
        // Doubles keep every integer up to MAX_SEED.
        assert_eq!(MAX_SEED as f64 as u64, MAX_SEED);
    }
}
