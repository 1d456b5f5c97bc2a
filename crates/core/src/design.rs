//! Institutional designs as data: which dimensions are in scope, which body decides
//! which items under which rule, how the chair mediates, whether issue linkage and
//! naming and shaming are allowed, what happens on deadlock, and the parameters of the
//! legitimacy and tension dynamics, the steps-to-war events, the crisis threshold, the
//! feedback delegations see, the Secretary General's powers and the cost of faults. The
//! four presets differ only in these values. `crates/core/MODEL.md` explains each
//! mechanism and the passage of Dembinski & Spanger (2021) it comes from.

use crate::files::{FileErrors, Problems, parse_toml};
use crate::model::{Dimension, ItemKind};
use crate::scenario::Scenario;
use crate::validate::{self, quote};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A design file (see `crates/scenarios/data/designs/*.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Identity.
    pub design: DesignHeader,
    /// Procedure of a session.
    pub procedure: Procedure,
    /// Decision-making bodies; an item goes to the first body whose scope covers it.
    pub bodies: Vec<Body>,
    /// Rule overrides by item kind, applied inside whichever body decides the item.
    #[serde(default)]
    pub kind_rules: Vec<KindRule>,
    /// Parameters of the legitimacy and tension dynamics.
    #[serde(default)]
    pub dynamics: Dynamics,
    /// Powers of a Secretary General, which apply only while one is in office.
    #[serde(default)]
    pub secretary_general: Option<SecretaryGeneral>,
    /// Steps-to-war events (power demonstrations, alliance building, armament,
    /// incidents).
    #[serde(default)]
    pub events: Events,
    /// What happens when a bloc pair's tension crosses the crisis threshold.
    #[serde(default)]
    pub crisis: Crisis,
    /// How tension and legitimacy reach the delegations' private views.
    #[serde(default)]
    pub feedback: Feedback,
    /// What violations and suspensions cost.
    #[serde(default)]
    pub faults: Faults,
}

/// `[secretary_general]` table: the powers the design gives a Secretary General. They
/// apply only while the institution named here has a head in office (its appointment
/// item decides); otherwise the chairmanship's `procedure.agenda_order` and
/// `procedure.mediation` apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretaryGeneral {
    /// Scenario institution whose head is the Secretary General (e.g. `sg`). A scenario
    /// without it has no Secretary General.
    pub institution: String,
    /// Agenda power: the order the Secretary General takes the agenda in.
    #[serde(default = "default_sg_order")]
    pub agenda_order: AgendaOrder,
    /// Mediation power: the method the Secretary General proposes by (default: the
    /// procedure's).
    #[serde(default)]
    pub mediation: Option<Mediation>,
}

fn default_sg_order() -> AgendaOrder {
    AgendaOrder::ConsensualFirst
}

/// `[events]` table: steps to war (Levy's "paths to war", cited by the paper). Before
/// each item, for each bloc pair, an event happens with probability
/// `rate + tension_rate * tension` (drawn from the pair's own seeded stream, so results
/// stay deterministic), of one of four kinds chosen uniformly; it raises the pair's
/// tension by the kind's amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Events {
    /// Base probability per bloc pair and item.
    pub rate: f64,
    /// Added probability per unit of the pair's tension.
    pub tension_rate: f64,
    /// Tension added by a power demonstration (military exercise).
    pub exercise: f64,
    /// Tension added by alliance building (enlargement).
    pub alliance: f64,
    /// Tension added by armament.
    pub armament: f64,
    /// Tension added by an incident (air, sea, border).
    pub incident: f64,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            rate: 0.01,
            tension_rate: 0.06,
            exercise: 0.03,
            alliance: 0.05,
            armament: 0.03,
            incident: 0.04,
        }
    }
}

/// `[crisis]` table: consequences of a bloc pair's tension at or above `threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Crisis {
    /// Tension at which a bloc pair is in crisis (above 1 = never).
    pub threshold: f64,
    /// Members of a bloc in crisis whose legitimacy is below this walk out of an item
    /// (not asked, counted as absent by the design's absence rule).
    pub walkout_below: f64,
    /// Tension a walk-out adds (times the State's share of its bloc's power).
    pub tension_walkout: f64,
    /// Item kinds whose co-operation is suspended while any bloc pair is in crisis (the
    /// item is not negotiated; its deadlock fallback applies). Default: confidence- and
    /// security-building measures, the first co-operation polarization suspends.
    pub suspends: Vec<ItemKind>,
}

impl Default for Crisis {
    fn default() -> Self {
        Crisis {
            threshold: 0.85,
            walkout_below: 0.3,
            tension_walkout: 0.03,
            suspends: vec![ItemKind::Csbm],
        }
    }
}

/// `[feedback]` table: how tension and legitimacy reach each delegation's private view
/// ([`crate::strategy::SeatView`]); the built-in strategies read them. The scenario's
/// red lines are those of its starting situation, so what moves them is the change
/// since the start of the match: `red_line_scale = 1 - red_line_tension * (tension -
/// tension at start) - red_line_legitimacy * (legitimacy at start - legitimacy)`, kept
/// within 0.1..=1.25; `security_salience = 1 + security_salience * max(0, tension -
/// tension at start)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Feedback {
    /// Share of the red line lost per unit of tension risen since the start
    /// (securitization); gained back as tension falls.
    pub red_line_tension: f64,
    /// Share of the red line lost per unit of legitimacy lost since the start
    /// (alienation); gained as legitimacy grows.
    pub red_line_legitimacy: f64,
    /// Politico-military salience gained per unit of tension risen since the start.
    pub security_salience: f64,
}

impl Default for Feedback {
    fn default() -> Self {
        Feedback {
            red_line_tension: 0.5,
            red_line_legitimacy: 0.5,
            security_salience: 1.0,
        }
    }
}

/// `[faults]` table: what a delegation's violations (timeouts, invalid answers,
/// unreachable) cost. A violation leaves the seat absent from that question (and, past
/// the strike limit, suspended for the rest of the session); absence could change
/// outcomes in the State's favour, so the State's ranking score (`score = gain -
/// forfeit`) loses, from its first violation on, `forfeit` times the stake still open:
/// the sum over the item-sessions not yet booked of the State's utility range on the
/// item (salience x the largest distance from its ideal on the scale), plus the
/// largest shaming costs still possible. With `forfeit = 1` a fault can never pay: the
/// trajectory is the same as when answering up to the first violation, and nothing
/// after it can change the State's gain by more than that stake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Share of the open stake forfeited at the first violation (1 = faults never pay).
    pub forfeit: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { forfeit: 1.0 }
    }
}

/// `[design]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignHeader {
    /// Short id.
    pub id: String,
    /// Name.
    pub name: String,
    /// What the design stands for (and where in the paper).
    #[serde(default)]
    pub description: String,
}

/// How the chair mediates between stated positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mediation {
    /// Capability x salience weighted mean of positions (the compromise model).
    Compromise,
    /// Nash bargaining solution against the status quo as disagreement point.
    Nash,
    /// The point that the largest capability-weighted coalition prefers to the status quo.
    MaxSupport,
}

/// Which issue linkage the chair accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// No linkage at all: every item is decided on its own merits.
    None,
    /// Linkage only between items of the same dimension (pluralistic peace).
    SameDimension,
    /// Any linkage, across dimensions too.
    Any,
}

/// How an absent delegation (crashed, timed out, suspended) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Absence {
    /// Not taking part: under consensus an absent State does not block.
    NotTakingPart,
    /// Counts as an objection / a no vote.
    Objection,
}

/// Order in which the chair takes the agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgendaOrder {
    /// As listed in the scenario.
    AsListed,
    /// Agenda power: the items that drew the fewest objections in their final round of
    /// the last session go first (the first session keeps the listed order).
    ConsensualFirst,
}

/// `[procedure]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Sessions per match (e.g. years, each closed by a Ministerial Council).
    pub sessions: u32,
    /// Decision rounds per item before deadlock.
    pub max_rounds: u32,
    /// Mediation method.
    pub mediation: Mediation,
    /// Dimensions the organisation may decide on; other items are out of scope.
    pub scope: Vec<Dimension>,
    /// Issue linkage policy.
    pub linkage: Linkage,
    /// Semi-autonomous institutions may name and shame.
    pub naming_shaming: bool,
    /// On deadlock the last proposal is put under the silence procedure.
    pub silence_procedure: bool,
    /// A blocked unified budget runs on provisional monthly 1/12 allotments of the last
    /// one (the status quo) instead of the item's reversion point.
    pub provisional_budget: bool,
    /// States may leave the organisation.
    pub exit_allowed: bool,
    /// Nothing is agreed until everything is agreed: a final package vote under the
    /// default body's rule decides all provisionally agreed items together.
    #[serde(default)]
    pub package: bool,
    /// When an item fails, the States that accepted the last proposal apply it among
    /// themselves (ad hoc arrangements), if they are at least this many; 0 = never.
    #[serde(default)]
    pub ad_hoc_min: u32,
    /// How absence counts.
    #[serde(default = "default_absence")]
    pub absence: Absence,
    /// Agenda order.
    #[serde(default = "default_agenda_order")]
    pub agenda_order: AgendaOrder,
    /// Violations (timeouts, invalid answers) before a delegation is suspended for the
    /// rest of the session.
    #[serde(default = "default_strike_limit")]
    pub strike_limit: u32,
    /// The chair may put the items of a scenario group (`[[groups]]`) to one package
    /// vote when some of them fail on their own (logrolling, as with the four heads of
    /// institutions in December 2020). Linkage `none` forbids packages; with
    /// `same-dimension` a group is split by dimension.
    #[serde(default = "default_true")]
    pub group_packages: bool,
    /// The scenario institutions this design keeps (default: all of them). A dropped
    /// institution never has a head and never reports, and its head item is out of
    /// scope (Path 2 abandons the semi-autonomous bodies).
    #[serde(default)]
    pub institutions: Option<Vec<String>>,
    /// States needed to invoke the Moscow Mechanism against a State (0 = not
    /// available). Delegations invoke it in their positions on human-dimension items.
    #[serde(default)]
    pub moscow_mechanism: u32,
}

fn default_true() -> bool {
    true
}

fn default_absence() -> Absence {
    Absence::NotTakingPart
}
fn default_agenda_order() -> AgendaOrder {
    AgendaOrder::AsListed
}
fn default_strike_limit() -> u32 {
    3
}

/// A decision rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// Adopted when no more than `minus` States taking part object (0 = consensus as the
    /// absence of objection). With `exclude_accused`, the accused State's objection is not
    /// counted either (Prague 1992).
    Consensus {
        /// Objections tolerated.
        #[serde(default)]
        minus: u32,
        /// Ignore the accused State's objection on violation-response items.
        #[serde(default)]
        exclude_accused: bool,
    },
    /// Adopted when yes votes reach `threshold` of the members taking part (abstentions
    /// count as not yes), by capability weight or one State one vote.
    QualifiedMajority {
        /// Share needed (0..1].
        threshold: f64,
        /// Weight votes by capability.
        #[serde(default)]
        weighted: bool,
    },
}

/// Which members sit in a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// Permanent members (State ids). Empty with `elected = 0` means every State.
    #[serde(default)]
    pub permanent: Vec<String>,
    /// Elected seats, rotating each session through the other States in id order.
    #[serde(default)]
    pub elected: u32,
    /// Permanent members hold a veto (their objection blocks whatever the rule says).
    #[serde(default)]
    pub permanent_veto: bool,
}

impl Membership {
    /// True when every State sits in the body.
    pub fn is_plenary(&self) -> bool {
        self.permanent.is_empty() && self.elected == 0
    }
}

/// Which items a body decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyScope {
    /// Dimensions (empty = any).
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Item kinds (empty = any).
    #[serde(default)]
    pub kinds: Vec<ItemKind>,
}

/// `[[bodies]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Short id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members.
    #[serde(default = "plenary_members")]
    pub members: Membership,
    /// Decision rule.
    pub rule: Rule,
    /// Whether its decisions bind (politically, as OSCE commitments do).
    pub binding: bool,
    /// Whether its binding decisions are international law (Path 1's principles of
    /// coexistence), with `dynamics.legal_compliance` instead of the political one.
    #[serde(default)]
    pub legally_binding: bool,
    /// Items it decides.
    #[serde(default = "any_scope")]
    pub scope: BodyScope,
}

fn plenary_members() -> Membership {
    Membership {
        permanent: Vec::new(),
        elected: 0,
        permanent_veto: false,
    }
}
fn any_scope() -> BodyScope {
    BodyScope {
        dimensions: Vec::new(),
        kinds: Vec::new(),
    }
}

/// `[[kind_rules]]` entry: a rule that replaces the body's rule for one item kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    /// Item kind.
    pub kind: ItemKind,
    /// Rule.
    pub rule: Rule,
}

/// `[dynamics]` table: how events move legitimacy (per State, 0..1) and tension (per
/// bloc pair, 0..1). Defaults are moderate; every preset states its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dynamics {
    /// Legitimacy lost by a State outvoted on a politically binding decision (x
    /// salience), or absent from it after a walk-out.
    pub outvoted: f64,
    /// Legitimacy lost when an item's outcome leaves a State worse off than the status
    /// quo it started from (x salience, full effect at a loss of 25 scale points).
    pub distance: f64,
    /// Legitimacy gained when a decision improves on the status quo for the State.
    pub gain: f64,
    /// Legitimacy lost by a State named and shamed.
    pub shamed: f64,
    /// Utility cost of being named and shamed (scale points times the State's mean
    /// salience on the report's dimension).
    pub shaming_cost: f64,
    /// A State is in breach of a dimension's commitments when the policy in force on one
    /// of its items lies at least this far above the State's own ideal; institutions
    /// report on States in breach.
    pub shaming_gap: f64,
    /// Tension added between two blocs when one links across dimensions.
    pub tension_linkage: f64,
    /// Tension added between blocs when one blocks an item the other wants.
    pub tension_block: f64,
    /// Tension added by naming and shaming.
    pub tension_shaming: f64,
    /// Tension added by an exit.
    pub tension_exit: f64,
    /// Tension removed between two blocs by an agreement in an area of common interest
    /// (both blocs gain from it on average).
    pub tension_agreement: f64,
    /// Share of a non-binding decision's change that is implemented.
    pub nonbinding_compliance: f64,
    /// Share of its contribution a State withholding resources keeps back from the budget.
    pub withholding: f64,
    /// Share of an ad hoc arrangement's change that reaches the States outside it (a
    /// monitoring mission of the willing still acts on the territory of those who
    /// declined).
    pub ad_hoc_spillover: f64,
    /// Share of a politically binding decision's change that is implemented at tension
    /// 0 ("implementation is lacking").
    pub political_compliance: f64,
    /// Compliance with political commitments lost per unit of the highest bloc-pair
    /// tension (commitments erode as polarization grows).
    pub compliance_tension: f64,
    /// Share of a legally binding decision's change that is implemented.
    pub legal_compliance: f64,
    /// Legitimacy lost by a State outvoted on a legally binding decision (x salience).
    pub outvoted_legal: f64,
}

impl Default for Dynamics {
    fn default() -> Self {
        Dynamics {
            outvoted: 0.10,
            distance: 0.10,
            gain: 0.04,
            shamed: 0.08,
            shaming_cost: 5.0,
            shaming_gap: 30.0,
            tension_linkage: 0.04,
            tension_block: 0.02,
            tension_shaming: 0.03,
            tension_exit: 0.15,
            tension_agreement: 0.015,
            nonbinding_compliance: 0.5,
            withholding: 1.0,
            ad_hoc_spillover: 0.5,
            political_compliance: 0.9,
            compliance_tension: 0.2,
            legal_compliance: 1.0,
            outvoted_legal: 0.15,
        }
    }
}

impl Design {
    /// Parses and validates design text. `origin` names the file in errors.
    pub fn from_toml(origin: &str, text: &str) -> Result<Design, FileErrors> {
        let d: Design = parse_toml(origin, text)?;
        d.validate(origin)?;
        Ok(d)
    }

    /// Checks values that the types alone cannot.
    pub fn validate(&self, origin: &str) -> Result<(), FileErrors> {
        let mut p = Problems::new(origin);
        p.id("design.id", &self.design.id);
        p.name("design.name", &self.design.name);
        p.text("design.description", &self.design.description);
        let pr = &self.procedure;
        if pr.sessions == 0 || pr.sessions > 1000 {
            p.push(
                "procedure.sessions",
                format!("{} is outside 1..=1000", pr.sessions),
            );
        }
        if pr.max_rounds == 0 || pr.max_rounds > 100 {
            p.push(
                "procedure.max_rounds",
                format!("{} is outside 1..=100", pr.max_rounds),
            );
        }
        if pr.scope.is_empty() {
            p.push("procedure.scope", "at least one dimension must be in scope");
        }
        if pr.strike_limit == 0 {
            p.push("procedure.strike_limit", "must be at least 1");
        }
        no_repeats(&mut p, "procedure.scope", &pr.scope);
        if self.bodies.is_empty() {
            p.push("bodies", "at least one body is needed");
        }
        p.count("bodies", self.bodies.len(), validate::MAX_LIST);
        let mut body_ids = BTreeSet::new();
        for (i, b) in self.bodies.iter().enumerate() {
            p.id(format!("bodies[{i}].id"), &b.id);
            p.name(format!("bodies[{i}].name"), &b.name);
            if !body_ids.insert(b.id.as_str()) {
                p.push(
                    format!("bodies[{i}].id"),
                    format!("duplicate body {}", quote(&b.id)),
                );
            }
            check_rule(&mut p, &format!("bodies[{i}].rule"), &b.rule);
            no_repeats(
                &mut p,
                &format!("bodies[{i}].scope.dimensions"),
                &b.scope.dimensions,
            );
            no_repeats(&mut p, &format!("bodies[{i}].scope.kinds"), &b.scope.kinds);
            p.count(
                format!("bodies[{i}].members.permanent"),
                b.members.permanent.len(),
                validate::MAX_STATES,
            );
            if b.members.elected as usize > validate::MAX_STATES {
                p.push(
                    format!("bodies[{i}].members.elected"),
                    format!(
                        "{} is more than the limit of {} States",
                        b.members.elected,
                        validate::MAX_STATES
                    ),
                );
            }
            let mut seen = BTreeSet::new();
            for (j, id) in b.members.permanent.iter().enumerate() {
                p.id(format!("bodies[{i}].members.permanent[{j}]"), id);
                if !seen.insert(id) {
                    p.push(
                        format!("bodies[{i}].members.permanent[{j}]"),
                        format!("{} is listed twice (one State, one seat)", quote(id)),
                    );
                }
            }
            if b.members.permanent_veto && b.members.permanent.is_empty() {
                p.push(
                    format!("bodies[{i}].members.permanent_veto"),
                    "a veto needs permanent members",
                );
            }
        }
        if let Some(last) = self.bodies.last()
            && !(last.scope.dimensions.is_empty() && last.scope.kinds.is_empty())
            && !self
                .bodies
                .iter()
                .any(|b| b.scope.dimensions.is_empty() && b.scope.kinds.is_empty())
        {
            // Not an error: items no body covers are simply out of scope. But say so
            // when the scope list promises a dimension no body can decide.
            for d in &pr.scope {
                if !self
                    .bodies
                    .iter()
                    .any(|b| b.scope.dimensions.is_empty() || b.scope.dimensions.contains(d))
                {
                    p.push(
                        "procedure.scope",
                        format!("dimension {d} is in scope but no body decides it"),
                    );
                }
            }
        }
        let mut kinds = BTreeSet::new();
        for (i, k) in self.kind_rules.iter().enumerate() {
            check_rule(&mut p, &format!("kind_rules[{i}].rule"), &k.rule);
            // Only the first rule of a kind would ever apply.
            if !kinds.insert(k.kind) {
                p.push(
                    format!("kind_rules[{i}].kind"),
                    format!("second rule for item kind {}", kind_name(k.kind)),
                );
            }
        }
        let dy = &self.dynamics;
        for (key, v, hi) in [
            ("outvoted", dy.outvoted, 1.0),
            ("distance", dy.distance, 1.0),
            ("gain", dy.gain, 1.0),
            ("shamed", dy.shamed, 1.0),
            ("shaming_cost", dy.shaming_cost, 100.0),
            ("shaming_gap", dy.shaming_gap, 100.0),
            ("tension_linkage", dy.tension_linkage, 1.0),
            ("tension_block", dy.tension_block, 1.0),
            ("tension_shaming", dy.tension_shaming, 1.0),
            ("tension_exit", dy.tension_exit, 1.0),
            ("tension_agreement", dy.tension_agreement, 1.0),
            ("nonbinding_compliance", dy.nonbinding_compliance, 1.0),
            ("withholding", dy.withholding, 1.0),
            ("ad_hoc_spillover", dy.ad_hoc_spillover, 1.0),
            ("political_compliance", dy.political_compliance, 1.0),
            ("compliance_tension", dy.compliance_tension, 1.0),
            ("legal_compliance", dy.legal_compliance, 1.0),
            ("outvoted_legal", dy.outvoted_legal, 1.0),
        ] {
            p.range(format!("dynamics.{key}"), v, 0.0, hi);
        }
        let ev = &self.events;
        for (key, v) in [
            ("rate", ev.rate),
            ("tension_rate", ev.tension_rate),
            ("exercise", ev.exercise),
            ("alliance", ev.alliance),
            ("armament", ev.armament),
            ("incident", ev.incident),
        ] {
            p.range(format!("events.{key}"), v, 0.0, 1.0);
        }
        let cr = &self.crisis;
        p.range("crisis.threshold", cr.threshold, 0.0, 2.0);
        p.range("crisis.walkout_below", cr.walkout_below, 0.0, 1.0);
        p.range("crisis.tension_walkout", cr.tension_walkout, 0.0, 1.0);
        let fb = &self.feedback;
        p.range("feedback.red_line_tension", fb.red_line_tension, 0.0, 2.0);
        p.range(
            "feedback.red_line_legitimacy",
            fb.red_line_legitimacy,
            0.0,
            2.0,
        );
        p.range("feedback.security_salience", fb.security_salience, 0.0, 2.0);
        p.range("faults.forfeit", self.faults.forfeit, 0.0, 10.0);
        if let Some(list) = &pr.institutions {
            let mut seen = std::collections::BTreeSet::new();
            for (j, id) in list.iter().enumerate() {
                if !seen.insert(id) {
                    p.push(
                        format!("procedure.institutions[{j}]"),
                        format!("`{id}` is listed twice"),
                    );
                }
            }
        }
        for (i, b) in self.bodies.iter().enumerate() {
            if b.legally_binding && !b.binding {
                p.push(
                    format!("bodies[{i}].legally_binding"),
                    "a legally binding body must also have `binding = true`",
                );
            }
        }
        p.finish()
    }

    /// Checks the State ids the design names against a scenario.
    pub fn validate_for(&self, origin: &str, scenario: &Scenario) -> Result<(), FileErrors> {
        let mut p = Problems::new(origin);
        for (i, b) in self.bodies.iter().enumerate() {
            for (j, s) in b.members.permanent.iter().enumerate() {
                if scenario.seat(s).is_none() {
                    p.push(
                        format!("bodies[{i}].members.permanent[{j}]"),
                        format!(
                            "State {} is not in scenario {}",
                            quote(s),
                            quote(&scenario.id)
                        ),
                    );
                }
            }
            let seats = b.members.permanent.len() + b.members.elected as usize;
            if !b.members.is_plenary() && seats > scenario.states.len() {
                p.push(
                    format!("bodies[{i}].members"),
                    format!(
                        "{seats} seats but scenario `{}` has {} States",
                        scenario.id,
                        scenario.states.len()
                    ),
                );
            }
        }
        // A scenario without institutions has none to keep or drop: designs stay
        // portable across scenarios; where a scenario has some, unknown ids are typos.
        if let Some(list) = &self.procedure.institutions
            && !scenario.institutions.is_empty()
        {
            for (j, id) in list.iter().enumerate() {
                if scenario.institution(id).is_none() {
                    p.push(
                        format!("procedure.institutions[{j}]"),
                        format!(
                            "institution `{id}` is not in scenario `{}` (known: {})",
                            scenario.id,
                            known_institutions(scenario)
                        ),
                    );
                }
            }
        }
        if let Some(sg) = &self.secretary_general
            && scenario.institution(&sg.institution).is_none()
            && !scenario.institutions.is_empty()
        {
            p.push(
                "secretary_general.institution",
                format!(
                    "institution `{}` is not in scenario `{}` (known: {})",
                    sg.institution,
                    scenario.id,
                    known_institutions(scenario)
                ),
            );
        }
        let needs_sq = |m: Mediation| matches!(m, Mediation::Nash | Mediation::MaxSupport);
        let sg_mediation = self.secretary_general.as_ref().and_then(|s| s.mediation);
        for (i, it) in scenario.agenda.iter().enumerate() {
            if it.status_quo.is_some() || self.body_for(it.dimension, it.kind).is_none() {
                continue;
            }
            for (key, m) in [
                ("procedure.mediation", Some(self.procedure.mediation)),
                ("secretary_general.mediation", sg_mediation),
            ] {
                let Some(m) = m else { continue };
                if needs_sq(m) {
                    p.push(
                        key,
                        format!(
                            "item `{}` (agenda[{i}]) of scenario `{}` has no status quo, but mediation {} needs one as the disagreement point",
                            it.id,
                            scenario.id,
                            value_name(&m)
                        ),
                    );
                }
            }
            if it.kind == ItemKind::UnifiedBudget && self.procedure.provisional_budget {
                p.push(
                    "procedure.provisional_budget",
                    format!(
                        "item `{}` (agenda[{i}]) of scenario `{}` has no status quo to run provisional allotments of",
                        it.id, scenario.id
                    ),
                );
            }
        }
        p.finish()
    }

    /// Whether the design keeps scenario institution `id` (all are kept unless
    /// `procedure.institutions` lists the ones kept).
    pub fn keeps_institution(&self, id: &str) -> bool {
        self.procedure
            .institutions
            .as_ref()
            .is_none_or(|list| list.iter().any(|k| k == id))
    }

    /// The body that decides an item, if any (None = out of scope).
    pub fn body_for(&self, dimension: Dimension, kind: ItemKind) -> Option<usize> {
        if !self.procedure.scope.contains(&dimension) {
            return None;
        }
        self.bodies.iter().position(|b| {
            (b.scope.dimensions.is_empty() || b.scope.dimensions.contains(&dimension))
                && (b.scope.kinds.is_empty() || b.scope.kinds.contains(&kind))
        })
    }

    /// The rule for an item of `kind` decided by `body`.
    pub fn rule_for(&self, body: usize, kind: ItemKind) -> &Rule {
        self.kind_rules
            .iter()
            .find(|k| k.kind == kind)
            .map(|k| &k.rule)
            .unwrap_or(&self.bodies[body].rule)
    }
}

/// Reports every entry of `list` equal to an earlier one (a repeated scope entry is
/// most likely a typo for another value).
fn no_repeats<T: Ord + Serialize>(p: &mut Problems, key: &str, list: &[T]) {
    let mut seen = BTreeSet::new();
    for (j, x) in list.iter().enumerate() {
        if !seen.insert(x) {
            p.push(
                format!("{key}[{j}]"),
                format!("{} is listed twice", value_name(x)),
            );
        }
    }
}

/// The file spelling of an enum value (`human`, `unified-budget`).
fn value_name<T: Serialize>(x: &T) -> String {
    toml::Value::try_from(x)
        .ok()
        .and_then(|v| v.as_str().map(|s| format!("`{s}`")))
        .unwrap_or_else(|| "a value".into())
}

fn kind_name(k: ItemKind) -> String {
    value_name(&k)
}

fn known_institutions(sc: &Scenario) -> String {
    if sc.institutions.is_empty() {
        return "none".into();
    }
    sc.institutions
        .iter()
        .map(|i| i.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_rule(p: &mut Problems, key: &str, r: &Rule) {
    if let Rule::QualifiedMajority { threshold, .. } = r
        && !(threshold.is_finite() && *threshold > 0.0 && *threshold <= 1.0)
    {
        p.push(
            format!("{key}.threshold"),
            format!("{} is outside (0, 1]", validate::number(*threshold)),
        );
    }
}
