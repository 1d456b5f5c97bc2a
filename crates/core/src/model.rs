//! The objects of the negotiation: States, blocs, dimensions, agenda items and the
//! private preferences each State holds about each item.
//!
//! Everything here is plain data. Indices (`SeatIdx`, `ItemIdx`) are positions in the
//! scenario's State list (sorted by ISO3 id) and agenda, so the engine never orders by
//! anything but State id.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a State in a scenario's State list (which is sorted by State id).
pub type SeatIdx = usize;
/// Index of an item in a scenario's agenda.
pub type ItemIdx = usize;

/// Lower end of every item's policy scale.
pub const SCALE_MIN: f64 = 0.0;
/// Upper end of every item's policy scale.
pub const SCALE_MAX: f64 = 100.0;

/// The Helsinki "baskets", plus `general` for organisational items (budget,
/// appointments) that serve all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// First basket: arms control, CSBMs, conflict prevention.
    PoliticoMilitary,
    /// Second basket: economic and environmental co-operation.
    EconomicEnvironmental,
    /// Third basket: human rights, democratic institutions, media freedom.
    Human,
    /// Organisational items that serve the whole Organization.
    General,
}

impl Dimension {
    /// All dimensions, in a fixed order.
    pub const ALL: [Dimension; 4] = [
        Dimension::PoliticoMilitary,
        Dimension::EconomicEnvironmental,
        Dimension::Human,
        Dimension::General,
    ];

    /// The kebab-case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::PoliticoMilitary => "politico-military",
            Dimension::EconomicEnvironmental => "economic-environmental",
            Dimension::Human => "human",
            Dimension::General => "general",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Position in [`Dimension::ALL`], for per-dimension arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of decision an agenda item asks for. Designs route items to bodies and
/// rules by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// The yearly Unified Budget; on deadlock a design may run on provisional 1/12 allotments.
    UnifiedBudget,
    /// Appointment or renewal of a head of institution (SG, ODIHR, HCNM, RFoM).
    Appointment,
    /// Establishing or extending a field mission's mandate.
    FieldMission,
    /// Vienna Document / confidence- and security-building measures.
    Csbm,
    /// Election observation mandates and standards.
    ElectionObservation,
    /// A Ministerial or Permanent Council declaration.
    Declaration,
    /// A response to a clear, gross and uncorrected violation by one State (the
    /// consensus-minus-one case of Prague 1992).
    ViolationResponse,
}

impl ItemKind {
    /// All kinds, in a fixed order.
    pub const ALL: [ItemKind; 7] = [
        ItemKind::UnifiedBudget,
        ItemKind::Appointment,
        ItemKind::FieldMission,
        ItemKind::Csbm,
        ItemKind::ElectionObservation,
        ItemKind::Declaration,
        ItemKind::ViolationResponse,
    ];

    /// The kebab-case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::UnifiedBudget => "unified-budget",
            ItemKind::Appointment => "appointment",
            ItemKind::FieldMission => "field-mission",
            ItemKind::Csbm => "csbm",
            ItemKind::ElectionObservation => "election-observation",
            ItemKind::Declaration => "declaration",
            ItemKind::ViolationResponse => "violation-response",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bloc: the primary alignment a State negotiates with (tension is kept per bloc pair).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bloc {
    /// Short id used in files (e.g. `west`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
}

/// A participating State.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// ISO 3166-1 alpha-3 code (or any unique id in synthetic scenarios).
    pub id: String,
    /// Name.
    pub name: String,
    /// Index into the scenario's blocs.
    pub bloc: usize,
    /// Alliance and organisation memberships (tags, for reports and seat classes).
    pub memberships: Vec<String>,
    /// Capability weight: share of the budget scale, in percent. Budget withholding and
    /// weighted inclusiveness use it.
    pub capability: f64,
    /// Weight in mediation (compromise, Nash, max-support), bloc signals and bloc
    /// leadership (default: the capability).
    pub bargaining_power: f64,
    /// Weight in weighted votes (default: the capability).
    pub voting_weight: f64,
    /// Caveat carried from the source data (e.g. an unverified membership status).
    pub note: Option<String>,
}

/// One agenda item: a decision question on a 0..100 policy scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Short id used in files and reports.
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// The dimension the item belongs to.
    pub dimension: Dimension,
    /// The kind of decision.
    pub kind: ItemKind,
    /// Where policy stands at the start of the match (0..100); `None` = no common policy
    /// yet (replayed data without a status quo). Designs whose mediation needs a
    /// disagreement point (Nash, max-support) reject such items.
    pub status_quo: Option<f64>,
    /// What a deadlock leads to when it is not simply "the policy in force stays": a
    /// mandate that expires, a budget that falls back. `None` = the policy in force
    /// (including what earlier sessions agreed) stays.
    pub reversion: Option<f64>,
    /// For violation responses: the accused State, whose objection a
    /// consensus-minus-one rule does not count.
    pub accused: Option<SeatIdx>,
    /// Comes back every session (budgets, mandates). A one-off item, once decided,
    /// stays decided and is not re-opened.
    pub recurring: bool,
    /// Index of the item group (`[[groups]]`) it belongs to, if any.
    pub group: Option<usize>,
    /// States with no position on the item (sorted seat indices): they are not asked
    /// and not counted on it.
    pub absent: Vec<SeatIdx>,
}

/// A State's private view of one item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Preference {
    /// Ideal point on the item's scale.
    pub ideal: f64,
    /// Salience (0..1): how much the item matters.
    pub salience: f64,
    /// Red line: largest distance from the ideal the State can live with.
    pub red_line: f64,
    /// Bargaining power the State brings to bear on this item (its weight in
    /// mediation; by default the State's bargaining power).
    pub capability: f64,
}

impl Preference {
    /// Spatial utility `-s * |x - ideal|` of an outcome `x`.
    pub fn utility(&self, x: f64) -> f64 {
        -self.salience * (x - self.ideal).abs()
    }

    /// Gain of outcome `x` over the status quo `sq`.
    pub fn gain(&self, x: f64, sq: f64) -> f64 {
        self.utility(x) - self.utility(sq)
    }
}

/// The private preferences of all States over all items (row = State, column = item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    items: usize,
    cells: Vec<Preference>,
}

impl Preferences {
    /// Builds the matrix from rows of one State each.
    pub fn from_rows(items: usize, cells: Vec<Preference>) -> Self {
        assert!(items == 0 || cells.len().is_multiple_of(items));
        Preferences { items, cells }
    }

    /// Preference of State `seat` on item `item`.
    pub fn get(&self, seat: SeatIdx, item: ItemIdx) -> &Preference {
        &self.cells[seat * self.items + item]
    }

    /// All item preferences of one State.
    pub fn row(&self, seat: SeatIdx) -> &[Preference] {
        &self.cells[seat * self.items..(seat + 1) * self.items]
    }

    /// Number of States.
    pub fn states(&self) -> usize {
        self.cells.len().checked_div(self.items).unwrap_or(0)
    }
}

/// A group of items the chair may put to one package vote (e.g. the four heads of
/// institutions, December 2020).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Short id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Agenda indices of its items, in agenda order.
    pub items: Vec<ItemIdx>,
}

/// A semi-autonomous institution (ODIHR, RFoM, HCNM, the Secretary General).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    /// Short id (`odihr`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The appointment item that decides whether it has a head, if any.
    pub head_item: Option<ItemIdx>,
    /// Whether a head is in office at the start of the match.
    pub head_in_office: bool,
    /// On the head item's scale, below this the post is vacant.
    pub vacant_below: f64,
    /// The dimension its conduct reports concern.
    pub dimension: Dimension,
    /// Whether its reports name and shame States.
    pub names_shames: bool,
}

/// Clamps a value onto the policy scale.
pub fn clamp_scale(x: f64) -> f64 {
    x.clamp(SCALE_MIN, SCALE_MAX)
}
