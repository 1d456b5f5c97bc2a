//! Institutional designs as data: which dimensions are in scope, which body decides
//! which items under which rule, how the chair mediates, whether issue linkage and
//! naming and shaming are allowed, what happens on deadlock, and the parameters of the
//! legitimacy and tension dynamics. The four presets differ only in these values.

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
    /// Whether its decisions bind.
    pub binding: bool,
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
    /// Legitimacy lost by a State outvoted on a binding decision (x salience).
    pub outvoted: f64,
    /// Legitimacy lost when an item's outcome leaves a State worse off than the status
    /// quo it started from (x salience, full effect at a loss of 25 scale points).
    pub distance: f64,
    /// Legitimacy gained when a decision improves on the status quo for the State.
    pub gain: f64,
    /// Legitimacy lost by a State named and shamed.
    pub shamed: f64,
    /// Utility cost of being named and shamed (in salience-weighted scale points).
    pub shaming_cost: f64,
    /// Distance below which a blocking State on a human-dimension item is shamed.
    pub shaming_gap: f64,
    /// Tension added between two blocs when one links across dimensions.
    pub tension_linkage: f64,
    /// Tension added between blocs when one blocks an item the other wants.
    pub tension_block: f64,
    /// Tension added by naming and shaming.
    pub tension_shaming: f64,
    /// Tension added by an exit.
    pub tension_exit: f64,
    /// Tension removed by an agreement both blocs supported.
    pub tension_agreement: f64,
    /// Share of a non-binding decision's change that is implemented.
    pub nonbinding_compliance: f64,
    /// Share of its contribution a State withholding resources keeps back from the budget.
    pub withholding: f64,
    /// Share of an ad hoc arrangement's change that reaches the States outside it (a
    /// monitoring mission of the willing still acts on the territory of those who
    /// declined).
    pub ad_hoc_spillover: f64,
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
        ] {
            p.range(format!("dynamics.{key}"), v, 0.0, hi);
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
        p.finish()
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
