//! The strategy interface: the questions the chair puts to a delegation and the answers
//! it may give. The same trait is served over gRPC by the delegation SDK, so every
//! message here is plain data that maps one-to-one onto `proto/plenary/v1`.
//!
//! A strategy value plays one seat in one match. It learns the seat's private
//! preferences in [`SeatBrief`] (which only that seat's delegation ever receives), keeps
//! whatever memory it likes across the sessions of the match, and is dropped when the
//! match ends: nothing carries between matches.

use crate::design::{Linkage, Mediation};
use crate::model::{Dimension, ItemKind, Preference};
use serde::{Deserialize, Serialize};

/// Public description of an agenda item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemInfo {
    /// Index on the agenda (what every later message refers to).
    pub index: u32,
    /// Short id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Dimension.
    pub dimension: Dimension,
    /// Kind.
    pub kind: ItemKind,
    /// Status quo.
    pub status_quo: f64,
    /// Outcome on deadlock.
    pub reversion: f64,
    /// Whether a body of the design may decide it (false = out of scope).
    pub in_scope: bool,
    /// Whether a decision on it would bind.
    pub binding: bool,
}

/// Everything public about the match a delegation needs, plus its own private
/// preferences. Sent once per (match, seat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatBrief {
    /// Match id (unique within a tournament).
    pub match_id: String,
    /// The State this seat is (ISO3 id).
    pub state: String,
    /// Seat index (position of the State in id order).
    pub seat: u32,
    /// The seat's bloc id.
    pub bloc: String,
    /// Index of the bloc.
    pub bloc_index: u32,
    /// Whether this State has the largest capability in its bloc.
    pub bloc_leader: bool,
    /// Capability weight.
    pub capability: f64,
    /// Seed of the seat's own random stream (derived from the match seed and State id).
    pub seed: u64,
    /// Bloc ids, by index.
    pub blocs: Vec<String>,
    /// The agenda.
    pub items: Vec<ItemInfo>,
    /// This State's private preferences, one per item (same order as `items`).
    pub preferences: Vec<Preference>,
    /// Public rules of the game.
    pub rules: PublicRules,
}

/// The public parts of the design a delegation plays under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicRules {
    /// Design id.
    pub design: String,
    /// Sessions in the match.
    pub sessions: u32,
    /// Rounds per item.
    pub max_rounds: u32,
    /// Mediation method.
    pub mediation: Mediation,
    /// Linkage policy.
    pub linkage: Linkage,
    /// Naming and shaming on.
    pub naming_shaming: bool,
    /// Exit allowed.
    pub exit_allowed: bool,
    /// Number of States in the match.
    pub states: u32,
}

/// Which question a round asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// State a position (and optionally a linkage).
    Positions,
    /// Accept, object to or abstain on the chair's proposal.
    Decision,
    /// The proposal is under the silence procedure: `No` breaks silence.
    Silence,
    /// Final package vote (nothing agreed until everything agreed).
    Package,
}

/// What one bloc did in the last round (public record of the plenary).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlocSignal {
    /// Capability-weighted mean of the bloc's stated positions (NaN-free: the status
    /// quo when nobody spoke).
    pub mean_position: f64,
    /// Members that objected in the last decision round.
    pub objections: u32,
    /// Members taking part.
    pub present: u32,
    /// Position stated by the bloc's leader (largest capability), if it spoke.
    pub leader_position: Option<f64>,
    /// The leader's last vote.
    pub leader_vote: Option<Vote>,
}

/// The public state of the current round, shared by every seat's question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundContext {
    /// Session number (0-based).
    pub session: u32,
    /// Agenda index of the item.
    pub item: u32,
    /// Round within the item (0-based).
    pub round: u32,
    /// What is asked.
    pub phase: Phase,
    /// The proposal on the table (decision, silence and package phases; and in later
    /// positions rounds the last failed proposal).
    pub proposal: Option<f64>,
    /// Per bloc, what happened in the last round.
    pub blocs: Vec<BlocSignal>,
    /// Objections in the last decision round.
    pub last_objections: u32,
}

/// What only this seat sees with a question: its own standing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeatView {
    /// Legitimacy of the institution in this State's eyes (0..1).
    pub legitimacy: f64,
    /// Highest tension between this State's bloc and any other (0..1).
    pub tension: f64,
    /// Times this State was named and shamed in the match so far.
    pub shamed: u32,
}

/// A position in the positions phase.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PositionAnswer {
    /// Stated position on the item's scale (need not be the true ideal).
    pub position: f64,
    /// Stated salience (0..1).
    pub salience: f64,
    /// Optional linkage: consent on this item is conditional on item `link` having been
    /// decided in this match (or agreed into the pending package) at a point no worse
    /// for this State than that item's status quo at the start of the match.
    pub link: Option<u32>,
}

/// A vote on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vote {
    /// Accept (under consensus: no objection; under silence: keep silence).
    Yes,
    /// Object / vote no / break silence.
    No,
    /// Abstain.
    Abstain,
}

/// How an item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Adopted by the body's rule.
    Adopted,
    /// Adopted under the silence procedure.
    AdoptedBySilence,
    /// Failed; the States that accepted apply it among themselves.
    AdHoc,
    /// Budget blocked: provisional 1/12 allotments of the last budget.
    Provisional,
    /// Failed: reversion point applies.
    Reverted,
    /// No body of the design may decide it.
    OutOfScope,
    /// Agreed on its own but lost in the final package vote.
    PackageFailed,
}

impl Decision {
    /// Whether the item counts as decided (capacity to act).
    pub fn decided(self) -> bool {
        matches!(self, Decision::Adopted | Decision::AdoptedBySilence)
    }
}

/// The public outcome of one item, sent to every delegation taking part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemOutcome {
    /// Session.
    pub session: u32,
    /// Item index.
    pub item: u32,
    /// How it ended.
    pub decision: Decision,
    /// The outcome decided: the adopted value, or the fallback applied on deadlock
    /// (reversion point, last budget, the ad hoc arrangement's value).
    pub outcome: f64,
    /// The organisation's policy now in force on the item: differs from `outcome` for
    /// non-binding decisions (partial compliance) and ad hoc arrangements (which leave
    /// it unchanged).
    pub in_force: f64,
    /// Whether it binds.
    pub binding: bool,
    /// Rounds used.
    pub rounds: u32,
    /// Objections in the final round, per bloc (same order as the brief's blocs).
    pub objections_by_bloc: Vec<u32>,
    /// States named and shamed over this item (ids).
    pub shamed: Vec<String>,
}

/// A State's stance at the end of a session: the contestation choices of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// Keep taking part as usual.
    Stay,
    /// Take part but withhold budget contributions next session.
    Withhold,
    /// Leave the organisation (if the design allows exit).
    Exit,
}

/// Summary of a finished session, sent to every delegation still taking part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Session number.
    pub session: u32,
    /// Items decided.
    pub decided: u32,
    /// Items on the agenda.
    pub items: u32,
    /// This State's utility gain over the status quo this session.
    pub my_gain: f64,
    /// Tension per bloc pair `(a, b, value)` with `a < b`.
    pub tension: Vec<(u32, u32, f64)>,
}

/// A delegation's strategy for one seat in one match.
///
/// Answers must be deterministic functions of the messages received so far and of the
/// seed in the brief: that is what makes in-process and remote runs agree.
pub trait Strategy: Send {
    /// Registry name of the strategy (for reports).
    fn name(&self) -> &str;

    /// States a position on the item in `ctx`.
    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer;

    /// Votes on `ctx.proposal` (decision, silence or package phase).
    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote;

    /// Learns how an item ended. Default: ignore.
    fn outcome(&mut self, _outcome: &ItemOutcome) {}

    /// Chooses a stance at the end of a session. Default: stay.
    fn session_end(&mut self, _summary: &SessionSummary, _me: &SeatView) -> Stance {
        Stance::Stay
    }
}

/// Builds a strategy for a seat from its brief (one per seat per match).
pub trait StrategyFactory: Send + Sync {
    /// Creates the strategy that plays `brief`'s seat.
    fn create(&self, brief: &SeatBrief) -> Box<dyn Strategy>;
}

impl<F> StrategyFactory for F
where
    F: Fn(&SeatBrief) -> Box<dyn Strategy> + Send + Sync,
{
    fn create(&self, brief: &SeatBrief) -> Box<dyn Strategy> {
        self(brief)
    }
}

/// Why a delegation's answer did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum Fault {
    /// No answer before the deadline.
    Timeout,
    /// The delegation could not be reached or failed.
    Unavailable(String),
    /// The answer broke the contract (out of scale, NaN, wrong item, ...).
    Invalid(String),
}

/// An answer or the reason there is none.
pub type Reply<T> = Result<T, Fault>;
