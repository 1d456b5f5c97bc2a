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
    /// Status quo at the start of the match; `None` = no common policy yet.
    pub status_quo: Option<f64>,
    /// What a deadlock leads to (an expiring mandate, a budget fallback); `None` = the
    /// policy in force stays.
    pub reversion: Option<f64>,
    /// Whether a body of the design may decide it (false = out of scope).
    pub in_scope: bool,
    /// Whether a decision on it would bind.
    pub binding: bool,
    /// Whether a decision on it would be international law (not only a political
    /// commitment).
    pub legally_binding: bool,
    /// Whether it comes back every session; a one-off item once decided is not
    /// re-opened.
    pub recurring: bool,
    /// Index of its group in [`SeatBrief::groups`], if any.
    pub group: Option<u32>,
}

/// An item group the chair may put to one package vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Short id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Agenda indices of its items.
    pub items: Vec<u32>,
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
    /// Whether this State has the largest bargaining power in its bloc.
    pub bloc_leader: bool,
    /// Capability weight (budget-scale share).
    pub capability: f64,
    /// Weight in mediation.
    pub bargaining_power: f64,
    /// Weight in weighted votes.
    pub voting_weight: f64,
    /// Seed of the seat's own random stream (derived from the match seed and State id).
    pub seed: u64,
    /// Bloc ids, by index.
    pub blocs: Vec<String>,
    /// The agenda.
    pub items: Vec<ItemInfo>,
    /// This State's private preferences, one per item (same order as `items`). On an
    /// item in `absent_items` the preference has salience 0.
    pub preferences: Vec<Preference>,
    /// Items on which this State has no position: it is never asked about them.
    pub absent_items: Vec<u32>,
    /// Item groups.
    pub groups: Vec<GroupInfo>,
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
    /// The chair may put item groups to package votes.
    pub group_packages: bool,
    /// States needed to invoke the Moscow Mechanism (0 = not available).
    pub moscow_mechanism: u32,
    /// Tension at which a bloc pair is in crisis.
    pub crisis_threshold: f64,
    /// Share of the open stake a State forfeits at its first violation.
    pub forfeit: f64,
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
    /// Open trade offers that want movement on this item (positions and decision
    /// phases): taking one up means moving this item towards the offer's target.
    pub offers: Vec<PublicOffer>,
    /// In a package vote: the items in the package and the values they would take.
    pub package: Vec<PackageEntry>,
    /// In a package vote over an item group: the group's index.
    pub group: Option<u32>,
}

/// A trade offer on the public record: seat `from` supports item `support` if item
/// `want` ends within `tolerance` of `target`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PublicOffer {
    /// Seat that offers.
    pub from: u32,
    /// The item it will support.
    pub support: u32,
    /// The item it wants moved.
    pub want: u32,
    /// Where it wants that item.
    pub target: f64,
    /// How close to the target is enough.
    pub tolerance: f64,
}

/// One item of a package put to a vote.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PackageEntry {
    /// Agenda index.
    pub item: u32,
    /// The value the item takes if the package passes.
    pub value: f64,
    /// The policy in force on it before the package (`None`: no policy yet).
    pub status_quo: Option<f64>,
}

/// What only this seat sees with a question: its own standing, and the feedback the
/// design derives from it (see `[feedback]` in the design).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeatView {
    /// Legitimacy of the institution in this State's eyes (0..1).
    pub legitimacy: f64,
    /// Highest tension between this State's bloc and any other (0..1).
    pub tension: f64,
    /// Times this State was named and shamed in the match so far.
    pub shamed: u32,
    /// Multiply red lines by this (0.1..=1.25; 1 = as at the start of the match):
    /// securitization as tension rises and alienation as legitimacy falls narrow what a
    /// government can accept at home; détente widens it.
    pub red_line_scale: f64,
    /// Multiply politico-military salience by this (>= 1 as tension rises).
    pub security_salience: f64,
    /// This State's bloc is in crisis with some other bloc.
    pub crisis: bool,
    /// The chair refused this seat's link on the current item (the item it named).
    pub refused_link: Option<u32>,
    /// The chair refused this seat's offer on the current item (the item it wanted).
    pub refused_offer: Option<u32>,
}

impl Default for SeatView {
    fn default() -> Self {
        SeatView {
            legitimacy: 0.0,
            tension: 0.0,
            shamed: 0,
            red_line_scale: 1.0,
            security_salience: 1.0,
            crisis: false,
            refused_link: None,
            refused_offer: None,
        }
    }
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
    /// for this State than that item's status quo at the start of the match. Read in
    /// the first positions round of an item.
    pub link: Option<u32>,
    /// Optional trade offer: this State supports the current item (its objections and
    /// abstentions on it count as consent) while item `offer.item` stands, or is agreed,
    /// within `offer.tolerance` of `offer.target`. Published to the others; the latest
    /// positions answer on the item replaces it (`None` withdraws it).
    pub offer: Option<Offer>,
    /// Optional invocation of the Moscow Mechanism against the State in this seat, on a
    /// human-dimension item; a mission reports (names the State) when enough States
    /// invoke it in one session.
    pub invoke: Option<u32>,
}

/// A trade offer: support on the current item for movement on another.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The item that must move.
    pub item: u32,
    /// Where it must be.
    pub target: f64,
    /// How close to `target` is enough (0..=100).
    pub tolerance: f64,
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
    /// Co-operation suspended by a crisis: not negotiated; the deadlock fallback applies.
    Suspended,
    /// A one-off item decided in an earlier session: it stays in force and is not
    /// re-opened (results only; delegations get no notice).
    Settled,
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
    /// (reversion point, last budget, the ad hoc arrangement's value); `None` when the
    /// item had no policy and none was agreed.
    pub outcome: Option<f64>,
    /// The organisation's policy now in force on the item: differs from `outcome` for
    /// decisions implemented only in part (non-binding, political commitments under
    /// tension) and ad hoc arrangements (which leave it unchanged); `None` = no policy.
    pub in_force: Option<f64>,
    /// Whether it binds.
    pub binding: bool,
    /// Whether it binds as international law.
    pub legally_binding: bool,
    /// Rounds used.
    pub rounds: u32,
    /// Objections in the final round, per bloc (same order as the brief's blocs).
    pub objections_by_bloc: Vec<u32>,
    /// Seats that objected in the final round (the public record).
    pub objectors: Vec<u32>,
    /// States named and shamed over this item (ids; conduct reports come at session
    /// ends, so this is empty unless a future mechanism names States per item).
    pub shamed: Vec<String>,
    /// The group whose package vote decided it, if one did.
    pub package: Option<u32>,
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
    /// Seats named in conduct reports or by a Moscow Mechanism mission this session.
    pub shamed: Vec<u32>,
    /// Steps-to-war events of the session.
    pub events: Vec<EventInfo>,
}

/// A step-to-war event on the public record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInfo {
    /// What happened.
    pub kind: EventKind,
    /// One bloc of the pair.
    pub a: u32,
    /// The other bloc.
    pub b: u32,
}

/// Kinds of steps-to-war events (Levy, "The 'Paths-to-War' Concept", cited by the paper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A power demonstration (large military exercise).
    Exercise,
    /// Alliance building (enlargement).
    Alliance,
    /// Armament.
    Armament,
    /// An incident (air, sea, border).
    Incident,
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

impl Fault {
    /// The kind of fault as logs and live events name it: `timeout`, `unavailable` or
    /// `invalid`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Timeout => "timeout",
            Fault::Unavailable(_) => "unavailable",
            Fault::Invalid(_) => "invalid",
        }
    }

    /// What went wrong, beyond the kind.
    pub fn detail(&self) -> &str {
        match self {
            Fault::Timeout => "no answer before the deadline",
            Fault::Unavailable(d) | Fault::Invalid(d) => d,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind(), self.detail())
    }
}

/// An answer or the reason there is none.
pub type Reply<T> = Result<T, Fault>;
