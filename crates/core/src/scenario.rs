//! Scenarios: who takes part (States, blocs, capabilities), what is on the agenda, and
//! the bloc-level preference profiles from which each State's private preferences are
//! drawn with the run's seed. A scenario may also give a State's ideal point, salience
//! and capability per item explicitly, so published position/salience data sets can be
//! replayed; per-State shifts and salience multipliers override the bloc ones where a
//! State broke with its bloc; an item may leave States out (no position) and may have no
//! status quo. Item groups let the chair build packages; institutions (ODIHR, RFoM,
//! HCNM, the Secretary General) exist with or without a head in office.
//!
//! Reference of the fields beyond the basics (the preset files repeat it in comments):
//!
//! | where | field | meaning |
//! |---|---|---|
//! | `[scenario]` | `default_strategies` | the scenario's own default strategy mix (`default=...,bloc=...,STATE=...`) |
//! | `[[states]]` | `capability` | budget-scale share (%): budget withholding, weighted inclusiveness |
//! | `[[states]]` | `bargaining_power` | weight in mediation, bloc signals and leadership (default: capability) |
//! | `[[states]]` | `voting_weight` | weight in weighted votes (default: capability) |
//! | `[[agenda]]` | `status_quo` | policy at the start; optional where the design needs none |
//! | `[[agenda]]` | `reversion` | what a deadlock leads to (expiry, fallback); default: the policy in force stays |
//! | `[[agenda]]` | `recurring` | comes back every session (default `true`); a one-off item once decided stays decided |
//! | `[[agenda]]` | `state_shift` | per-State ideal shift, overrides the bloc `shift` (`{ TUR = -25.0 }`) |
//! | `[[agenda]]` | `state_salience` | per-State salience multiplier, overrides the bloc one (`{ MDA = 3.0 }`) |
//! | `[[agenda]]` | `absent` | States with no position on the item: not asked, not counted |
//! | `[[groups]]` | `id`, `title`, `items` | items the chair may put to one package vote |
//! | `[[institutions]]` | `id`, `name`, `head_item`, `head_in_office`, `vacant_below`, `dimension`, `names_shames` | semi-autonomous institutions and whether they have a head |

use crate::files::{FileError, FileErrors, Problems, parse_toml};
use crate::model::{
    Bloc, Dimension, Group, Institution, Item, ItemKind, Preference, Preferences, SCALE_MAX,
    SCALE_MIN, State, clamp_scale,
};
use crate::rng::{Stream, normal};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A scenario file as written by users (see `crates/scenarios/data/*.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Identity and provenance.
    pub scenario: ScenarioHeader,
    /// Blocs (primary alignments).
    pub blocs: Vec<BlocFile>,
    /// Participating States.
    pub states: Vec<StateFile>,
    /// Bloc x dimension preference profiles.
    #[serde(default)]
    pub profiles: Vec<ProfileFile>,
    /// The agenda.
    pub agenda: Vec<ItemFile>,
    /// Explicit preferences that replace drawn ones.
    #[serde(default)]
    pub preferences: Vec<ExplicitPreference>,
    /// Initial tension between bloc pairs.
    #[serde(default)]
    pub tension: Vec<TensionFile>,
    /// Initial legitimacy of the institution in each bloc's eyes (default 0.7).
    #[serde(default)]
    pub legitimacy: BTreeMap<String, f64>,
    /// Item groups the chair may put to one package vote.
    #[serde(default)]
    pub groups: Vec<GroupFile>,
    /// Semi-autonomous institutions.
    #[serde(default)]
    pub institutions: Vec<InstitutionFile>,
}

/// `[[groups]]` entry: items the chair may negotiate as one package.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    /// Short id (`heads-2020`).
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Item ids (at least two; an item belongs to at most one group).
    pub items: Vec<String>,
}

/// `[[institutions]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionFile {
    /// Short id (`odihr`, `rfom`, `hcnm`, `sg`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The appointment item that decides whether it has a head (optional).
    #[serde(default)]
    pub head_item: Option<String>,
    /// Whether a head is in office at the start (default: the head item's status quo is
    /// at least `vacant_below`; `true` without a head item).
    #[serde(default)]
    pub head_in_office: Option<bool>,
    /// On the head item's scale, below this the post is vacant (default 25).
    #[serde(default = "default_vacant_below")]
    pub vacant_below: f64,
    /// The dimension its conduct reports concern.
    pub dimension: Dimension,
    /// Whether its reports name and shame States (default false).
    #[serde(default)]
    pub names_shames: bool,
}

fn default_vacant_below() -> f64 {
    25.0
}

/// `[scenario]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioHeader {
    /// Short id (`osce-2021`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What the scenario represents.
    #[serde(default)]
    pub description: String,
    /// Where the facts come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Design preset this scenario is usually run under.
    #[serde(default)]
    pub default_design: Option<String>,
    /// The scenario's own default strategy mix (`default=...,bloc=...,STATE=...`).
    #[serde(default)]
    pub default_strategies: Option<String>,
}

/// `[[blocs]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocFile {
    /// Short id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// `[[states]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// ISO3 id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Bloc id.
    pub bloc: String,
    /// Membership tags.
    #[serde(default)]
    pub memberships: Vec<String>,
    /// Capability weight (> 0): budget-scale share in percent.
    pub capability: f64,
    /// Weight in mediation (> 0; default: the capability).
    #[serde(default)]
    pub bargaining_power: Option<f64>,
    /// Weight in weighted votes (> 0; default: the capability).
    #[serde(default)]
    pub voting_weight: Option<f64>,
    /// Free-text note (e.g. "uncertain" flags carried from the source data).
    #[serde(default)]
    pub note: Option<String>,
}

/// `[[profiles]]` entry: how a bloc's members feel about a dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// Bloc id.
    pub bloc: String,
    /// Dimension.
    pub dimension: Dimension,
    /// Mean ideal point.
    pub ideal: f64,
    /// Spread of ideal points among members.
    #[serde(default = "default_ideal_sd")]
    pub ideal_sd: f64,
    /// Mean salience (0..1).
    pub salience: f64,
    /// Spread of salience.
    #[serde(default = "default_salience_sd")]
    pub salience_sd: f64,
    /// Mean red-line distance.
    #[serde(default = "default_red_line")]
    pub red_line: f64,
}

fn default_ideal_sd() -> f64 {
    8.0
}
fn default_salience_sd() -> f64 {
    0.1
}
fn default_red_line() -> f64 {
    30.0
}

/// `[[agenda]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    /// Short id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Dimension.
    pub dimension: Dimension,
    /// Kind.
    pub kind: ItemKind,
    /// Status quo on the 0..100 scale (optional where the design needs none).
    #[serde(default)]
    pub status_quo: Option<f64>,
    /// Outcome on deadlock when it is not "the policy in force stays" (a mandate that
    /// expires, a budget that falls back).
    #[serde(default)]
    pub reversion: Option<f64>,
    /// Accused State for violation responses.
    #[serde(default)]
    pub accused: Option<String>,
    /// Comes back every session (default true); a one-off item once decided stays so.
    #[serde(default = "default_true")]
    pub recurring: bool,
    /// Per-bloc shift of the profile's ideal point for this item.
    #[serde(default)]
    pub shift: BTreeMap<String, f64>,
    /// Per-bloc multiplier of the profile's salience for this item.
    #[serde(default)]
    pub salience: BTreeMap<String, f64>,
    /// Per-State shift of the ideal point, replacing the bloc's shift for that State.
    #[serde(default)]
    pub state_shift: BTreeMap<String, f64>,
    /// Per-State salience multiplier, replacing the bloc's for that State.
    #[serde(default)]
    pub state_salience: BTreeMap<String, f64>,
    /// States with no position on the item (not asked, not counted).
    #[serde(default)]
    pub absent: Vec<String>,
}

fn default_true() -> bool {
    true
}

/// `[[preferences]]` entry: replaces the drawn preference of one State on one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitPreference {
    /// State id.
    pub state: String,
    /// Item id.
    pub item: String,
    /// Ideal point.
    pub ideal: f64,
    /// Salience.
    pub salience: f64,
    /// Red line (default: the drawn one).
    #[serde(default)]
    pub red_line: Option<f64>,
    /// Capability on this item (default: the State's).
    #[serde(default)]
    pub capability: Option<f64>,
}

/// `[[tension]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensionFile {
    /// One bloc.
    pub a: String,
    /// The other bloc.
    pub b: String,
    /// Initial tension (0..1).
    pub value: f64,
}

/// A validated scenario, ready to draw preferences and run.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Sources.
    pub sources: Vec<String>,
    /// Design preset usually used.
    pub default_design: Option<String>,
    /// The scenario's own default strategy mix, if it names one.
    pub default_strategies: Option<String>,
    /// Blocs.
    pub blocs: Vec<Bloc>,
    /// States, sorted by id.
    pub states: Vec<State>,
    /// Agenda in file order.
    pub agenda: Vec<Item>,
    /// Profile per (bloc, dimension): index `bloc * 4 + dimension`.
    profiles: Vec<Option<ProfileFile>>,
    /// Per item, per bloc: (ideal shift, salience multiplier).
    item_bloc: Vec<Vec<(f64, f64)>>,
    /// Per (seat, item): State-level (ideal shift, salience multiplier) overrides.
    item_state: BTreeMap<(usize, usize), (Option<f64>, Option<f64>)>,
    /// Item groups.
    pub groups: Vec<Group>,
    /// Institutions.
    pub institutions: Vec<Institution>,
    /// Explicit preferences, keyed by (seat, item).
    explicit: BTreeMap<(usize, usize), ExplicitPreference>,
    /// Initial tension per bloc pair `(a < b)`.
    pub tension: BTreeMap<(usize, usize), f64>,
    /// Initial legitimacy per bloc.
    pub legitimacy: Vec<f64>,
}

impl Scenario {
    /// Parses and validates scenario text. `origin` names the file in errors.
    pub fn from_toml(origin: &str, text: &str) -> Result<Scenario, FileErrors> {
        let file: ScenarioFile = parse_toml(origin, text)?;
        Scenario::from_file(origin, file)
    }

    /// Validates a parsed scenario file.
    pub fn from_file(origin: &str, f: ScenarioFile) -> Result<Scenario, FileErrors> {
        let mut p = Problems::new(origin);
        if f.scenario.id.trim().is_empty() {
            p.push("scenario.id", "must not be empty");
        }
        let mut bloc_ix = BTreeMap::new();
        for (i, b) in f.blocs.iter().enumerate() {
            if bloc_ix.insert(b.id.clone(), i).is_some() {
                p.push(
                    format!("blocs[{i}].id"),
                    format!("duplicate bloc `{}`", b.id),
                );
            }
        }
        if f.blocs.is_empty() {
            p.push("blocs", "at least one bloc is needed");
        }
        let bloc_of = |p: &mut Problems, key: String, id: &str| -> usize {
            match bloc_ix.get(id) {
                Some(&i) => i,
                None => {
                    p.push(
                        key,
                        format!("unknown bloc `{id}` (known: {})", known(&bloc_ix)),
                    );
                    0
                }
            }
        };

        let mut order: Vec<usize> = (0..f.states.len()).collect();
        order.sort_by(|&a, &b| f.states[a].id.cmp(&f.states[b].id));
        let mut seen = BTreeSet::new();
        let mut states = Vec::with_capacity(f.states.len());
        for &i in &order {
            let s = &f.states[i];
            if !seen.insert(s.id.clone()) {
                p.push(
                    format!("states[{i}].id"),
                    format!("duplicate State `{}`", s.id),
                );
            }
            if s.id.trim().is_empty() {
                p.push(format!("states[{i}].id"), "must not be empty");
            }
            if !(s.capability.is_finite() && s.capability > 0.0) {
                p.push(
                    format!("states[{i}].capability"),
                    format!("{} must be a positive number", s.capability),
                );
            }
            for (key, v) in [
                ("bargaining_power", s.bargaining_power),
                ("voting_weight", s.voting_weight),
            ] {
                if let Some(v) = v
                    && !(v.is_finite() && v > 0.0)
                {
                    p.push(
                        format!("states[{i}].{key}"),
                        format!("{v} must be a positive number"),
                    );
                }
            }
            let bloc = bloc_of(&mut p, format!("states[{i}].bloc"), &s.bloc);
            states.push(State {
                id: s.id.clone(),
                name: s.name.clone(),
                bloc,
                memberships: s.memberships.clone(),
                capability: s.capability,
                bargaining_power: s.bargaining_power.unwrap_or(s.capability),
                voting_weight: s.voting_weight.unwrap_or(s.capability),
                note: s.note.clone(),
            });
        }
        if states.is_empty() {
            p.push("states", "at least one State is needed");
        }
        let seat_of = |id: &str| states.binary_search_by(|s| s.id.as_str().cmp(id)).ok();

        let mut profiles: Vec<Option<ProfileFile>> = vec![None; f.blocs.len() * 4];
        for (i, pr) in f.profiles.iter().enumerate() {
            let b = bloc_of(&mut p, format!("profiles[{i}].bloc"), &pr.bloc);
            p.range(
                format!("profiles[{i}].ideal"),
                pr.ideal,
                SCALE_MIN,
                SCALE_MAX,
            );
            p.range(
                format!("profiles[{i}].ideal_sd"),
                pr.ideal_sd,
                0.0,
                SCALE_MAX,
            );
            p.range(format!("profiles[{i}].salience"), pr.salience, 0.0, 1.0);
            p.range(
                format!("profiles[{i}].salience_sd"),
                pr.salience_sd,
                0.0,
                1.0,
            );
            p.range(
                format!("profiles[{i}].red_line"),
                pr.red_line,
                0.0,
                SCALE_MAX,
            );
            let slot = b * 4 + pr.dimension.index();
            if slot < profiles.len() {
                if profiles[slot].is_some() {
                    p.push(
                        format!("profiles[{i}]"),
                        format!("second profile for bloc `{}` / {}", pr.bloc, pr.dimension),
                    );
                }
                profiles[slot] = Some(pr.clone());
            }
        }

        let mut item_ix = BTreeMap::new();
        let mut item_state = BTreeMap::new();
        let mut agenda = Vec::with_capacity(f.agenda.len());
        let mut item_bloc = Vec::with_capacity(f.agenda.len());
        for (i, it) in f.agenda.iter().enumerate() {
            if item_ix.insert(it.id.clone(), i).is_some() {
                p.push(
                    format!("agenda[{i}].id"),
                    format!("duplicate item `{}`", it.id),
                );
            }
            if let Some(sq) = it.status_quo {
                p.range(format!("agenda[{i}].status_quo"), sq, SCALE_MIN, SCALE_MAX);
            }
            if let Some(r) = it.reversion {
                p.range(format!("agenda[{i}].reversion"), r, SCALE_MIN, SCALE_MAX);
            }
            let accused = match &it.accused {
                Some(a) => match seat_of(a) {
                    Some(s) => Some(s),
                    None => {
                        p.push(
                            format!("agenda[{i}].accused"),
                            format!("unknown State `{a}`"),
                        );
                        None
                    }
                },
                None => None,
            };
            if it.kind == ItemKind::ViolationResponse && accused.is_none() && it.accused.is_none() {
                p.push(
                    format!("agenda[{i}].accused"),
                    "a violation-response item must name the accused State",
                );
            }
            let mut per_bloc = vec![(0.0, 1.0); f.blocs.len()];
            for (b, v) in &it.shift {
                let bi = bloc_of(&mut p, format!("agenda[{i}].shift.{b}"), b);
                p.range(format!("agenda[{i}].shift.{b}"), *v, -SCALE_MAX, SCALE_MAX);
                if bi < per_bloc.len() {
                    per_bloc[bi].0 = *v;
                }
            }
            for (b, v) in &it.salience {
                let bi = bloc_of(&mut p, format!("agenda[{i}].salience.{b}"), b);
                p.range(format!("agenda[{i}].salience.{b}"), *v, 0.0, 10.0);
                if bi < per_bloc.len() {
                    per_bloc[bi].1 = *v;
                }
            }
            item_bloc.push(per_bloc);
            let state_key = |p: &mut Problems, key: String, id: &str| -> Option<usize> {
                let s = seat_of(id);
                if s.is_none() {
                    p.push(key, format!("unknown State `{id}`"));
                }
                s
            };
            for (st, v) in &it.state_shift {
                p.range(
                    format!("agenda[{i}].state_shift.{st}"),
                    *v,
                    -SCALE_MAX,
                    SCALE_MAX,
                );
                if let Some(seat) = state_key(&mut p, format!("agenda[{i}].state_shift.{st}"), st) {
                    item_state.entry((seat, i)).or_insert((None, None)).0 = Some(*v);
                }
            }
            for (st, v) in &it.state_salience {
                p.range(format!("agenda[{i}].state_salience.{st}"), *v, 0.0, 10.0);
                if let Some(seat) =
                    state_key(&mut p, format!("agenda[{i}].state_salience.{st}"), st)
                {
                    item_state.entry((seat, i)).or_insert((None, None)).1 = Some(*v);
                }
            }
            let mut absent = Vec::new();
            for (j, st) in it.absent.iter().enumerate() {
                if let Some(seat) = state_key(&mut p, format!("agenda[{i}].absent[{j}]"), st) {
                    if absent.contains(&seat) {
                        p.push(
                            format!("agenda[{i}].absent[{j}]"),
                            format!("`{st}` is listed twice"),
                        );
                    }
                    absent.push(seat);
                }
            }
            absent.sort_unstable();
            absent.dedup();
            if !states.is_empty() && absent.len() >= states.len() {
                p.push(
                    format!("agenda[{i}].absent"),
                    "every State is absent: nobody could decide the item",
                );
            }
            agenda.push(Item {
                id: it.id.clone(),
                title: it.title.clone(),
                dimension: it.dimension,
                kind: it.kind,
                status_quo: it.status_quo,
                reversion: it.reversion,
                accused,
                recurring: it.recurring,
                group: None,
                absent,
            });
        }
        if agenda.is_empty() {
            p.push("agenda", "at least one item is needed");
        }

        let mut explicit = BTreeMap::new();
        for (i, e) in f.preferences.iter().enumerate() {
            let seat = seat_of(&e.state);
            if seat.is_none() {
                p.push(
                    format!("preferences[{i}].state"),
                    format!("unknown State `{}`", e.state),
                );
            }
            let item = item_ix.get(&e.item).copied();
            if item.is_none() {
                p.push(
                    format!("preferences[{i}].item"),
                    format!("unknown item `{}`", e.item),
                );
            }
            p.range(
                format!("preferences[{i}].ideal"),
                e.ideal,
                SCALE_MIN,
                SCALE_MAX,
            );
            p.range(format!("preferences[{i}].salience"), e.salience, 0.0, 1.0);
            if let Some(r) = e.red_line {
                p.range(format!("preferences[{i}].red_line"), r, 0.0, SCALE_MAX);
            }
            if let Some(c) = e.capability
                && !(c.is_finite() && c > 0.0)
            {
                p.push(
                    format!("preferences[{i}].capability"),
                    format!("{c} must be positive"),
                );
            }
            if let (Some(s), Some(it)) = (seat, item)
                && agenda[it].absent.binary_search(&s).is_ok()
            {
                p.push(
                    format!("preferences[{i}]"),
                    format!(
                        "{} is listed as absent on `{}`: a State without a position has no preference",
                        e.state, e.item
                    ),
                );
            }
            if let (Some(s), Some(it)) = (seat, item)
                && explicit.insert((s, it), e.clone()).is_some()
            {
                p.push(
                    format!("preferences[{i}]"),
                    format!("second entry for {} / {}", e.state, e.item),
                );
            }
        }

        // Every (State, item) pair must be covered by a profile or an explicit entry.
        for (ii, it) in agenda.iter().enumerate() {
            for (si, s) in states.iter().enumerate() {
                if explicit.contains_key(&(si, ii)) || it.absent.binary_search(&si).is_ok() {
                    continue;
                }
                if profiles
                    .get(s.bloc * 4 + it.dimension.index())
                    .is_none_or(|x| x.is_none())
                {
                    p.push(
                        "profiles",
                        format!(
                            "no profile for bloc `{}` in dimension {} (needed by State {} on item `{}`)",
                            f.blocs.get(s.bloc).map_or("?", |b| b.id.as_str()),
                            it.dimension,
                            s.id,
                            it.id
                        ),
                    );
                    break;
                }
            }
        }

        let mut tension = BTreeMap::new();
        for (i, t) in f.tension.iter().enumerate() {
            let a = bloc_of(&mut p, format!("tension[{i}].a"), &t.a);
            let b = bloc_of(&mut p, format!("tension[{i}].b"), &t.b);
            p.range(format!("tension[{i}].value"), t.value, 0.0, 1.0);
            if a == b && bloc_ix.contains_key(&t.a) {
                p.push(
                    format!("tension[{i}]"),
                    "a bloc pair needs two different blocs",
                );
            }
            tension.insert((a.min(b), a.max(b)), t.value);
        }
        let mut legitimacy = vec![0.7; f.blocs.len()];
        for (b, v) in &f.legitimacy {
            let bi = bloc_of(&mut p, format!("legitimacy.{b}"), b);
            p.range(format!("legitimacy.{b}"), *v, 0.0, 1.0);
            if bi < legitimacy.len() {
                legitimacy[bi] = *v;
            }
        }
        let mut groups = Vec::with_capacity(f.groups.len());
        let mut group_ids = BTreeSet::new();
        for (g, gf) in f.groups.iter().enumerate() {
            if !group_ids.insert(gf.id.clone()) {
                p.push(
                    format!("groups[{g}].id"),
                    format!("duplicate group `{}`", gf.id),
                );
            }
            if gf.items.len() < 2 {
                p.push(
                    format!("groups[{g}].items"),
                    "a group needs at least two items",
                );
            }
            let mut items = Vec::with_capacity(gf.items.len());
            for (j, id) in gf.items.iter().enumerate() {
                match item_ix.get(id) {
                    None => p.push(
                        format!("groups[{g}].items[{j}]"),
                        format!("unknown item `{id}`"),
                    ),
                    Some(&ii) => match agenda[ii].group {
                        Some(other) if other != g => p.push(
                            format!("groups[{g}].items[{j}]"),
                            format!("item `{id}` is already in group `{}`", f.groups[other].id),
                        ),
                        Some(_) => p.push(
                            format!("groups[{g}].items[{j}]"),
                            format!("item `{id}` is listed twice"),
                        ),
                        None => {
                            agenda[ii].group = Some(g);
                            items.push(ii);
                        }
                    },
                }
            }
            items.sort_unstable();
            groups.push(Group {
                id: gf.id.clone(),
                title: gf.title.clone(),
                items,
            });
        }
        let mut institutions = Vec::with_capacity(f.institutions.len());
        let mut inst_ids = BTreeSet::new();
        for (k, inf) in f.institutions.iter().enumerate() {
            if !inst_ids.insert(inf.id.clone()) {
                p.push(
                    format!("institutions[{k}].id"),
                    format!("duplicate institution `{}`", inf.id),
                );
            }
            p.range(
                format!("institutions[{k}].vacant_below"),
                inf.vacant_below,
                SCALE_MIN,
                SCALE_MAX,
            );
            let head_item = inf.head_item.as_ref().and_then(|id| {
                let ii = item_ix.get(id).copied();
                if ii.is_none() {
                    p.push(
                        format!("institutions[{k}].head_item"),
                        format!("unknown item `{id}`"),
                    );
                }
                ii
            });
            let head_in_office = inf.head_in_office.unwrap_or_else(|| {
                head_item
                    .and_then(|ii| agenda.get(ii))
                    .is_none_or(|it| it.status_quo.is_some_and(|sq| sq >= inf.vacant_below))
            });
            institutions.push(Institution {
                id: inf.id.clone(),
                name: inf.name.clone(),
                head_item,
                head_in_office,
                vacant_below: inf.vacant_below,
                dimension: inf.dimension,
                names_shames: inf.names_shames,
            });
        }
        p.finish()?;
        Ok(Scenario {
            id: f.scenario.id,
            name: f.scenario.name,
            description: f.scenario.description,
            sources: f.scenario.sources,
            default_design: f.scenario.default_design,
            default_strategies: f.scenario.default_strategies,
            item_state,
            groups,
            institutions,
            blocs: f
                .blocs
                .into_iter()
                .map(|b| Bloc {
                    id: b.id,
                    name: b.name,
                })
                .collect(),
            states,
            agenda,
            profiles,
            item_bloc,
            explicit,
            tension,
            legitimacy,
        })
    }

    /// Seat index of a State id.
    pub fn seat(&self, id: &str) -> Option<usize> {
        self.states.binary_search_by(|s| s.id.as_str().cmp(id)).ok()
    }

    /// Item index of an item id.
    pub fn item(&self, id: &str) -> Option<usize> {
        self.agenda.iter().position(|i| i.id == id)
    }

    /// Bloc index of a bloc id.
    pub fn bloc(&self, id: &str) -> Option<usize> {
        self.blocs.iter().position(|b| b.id == id)
    }

    /// Draws every State's private preferences from the profiles with `seed`. Each
    /// State's draws come from its own stream keyed by its id, so adding a State or an
    /// item elsewhere in the file does not change anyone else's preferences.
    pub fn draw_preferences(&self, seed: u64) -> Preferences {
        let mut cells = Vec::with_capacity(self.states.len() * self.agenda.len());
        for (seat, state) in self.states.iter().enumerate() {
            for (ii, item) in self.agenda.iter().enumerate() {
                if item.absent.binary_search(&seat).is_ok() {
                    // No position: zero salience, so no gain or loss on the item ever
                    // counts for this State (it is neither asked nor counted either).
                    cells.push(Preference {
                        ideal: item.status_quo.unwrap_or((SCALE_MIN + SCALE_MAX) / 2.0),
                        salience: 0.0,
                        red_line: SCALE_MAX,
                        capability: state.bargaining_power,
                    });
                    continue;
                }
                let mut rng = Stream::new(seed, &["preference", &state.id, &item.id]);
                let drawn = self.profiles[state.bloc * 4 + item.dimension.index()]
                    .as_ref()
                    .map(|pr| {
                        let (mut shift, mut smul) = self.item_bloc[ii][state.bloc];
                        if let Some(&(s, m)) = self.item_state.get(&(seat, ii)) {
                            shift = s.unwrap_or(shift);
                            smul = m.unwrap_or(smul);
                        }
                        Preference {
                            ideal: clamp_scale(normal(&mut rng, pr.ideal + shift, pr.ideal_sd)),
                            salience: normal(&mut rng, pr.salience * smul, pr.salience_sd)
                                .clamp(0.02, 1.0),
                            red_line: normal(&mut rng, pr.red_line, pr.red_line * 0.25)
                                .clamp(1.0, SCALE_MAX),
                            capability: state.bargaining_power,
                        }
                    });
                let pref = match (self.explicit.get(&(seat, ii)), drawn) {
                    (Some(e), d) => Preference {
                        ideal: e.ideal,
                        salience: e.salience,
                        red_line: e
                            .red_line
                            .or(d.map(|d| d.red_line))
                            .unwrap_or(default_red_line()),
                        capability: e.capability.unwrap_or(state.bargaining_power),
                    },
                    (None, Some(d)) => d,
                    // Validation guarantees a profile or an explicit entry for every pair.
                    (None, None) => unreachable!("validated scenario lacks a profile"),
                };
                cells.push(pref);
            }
        }
        Preferences::from_rows(self.agenda.len(), cells)
    }

    /// Whether State `seat` has a position on item `item` (not listed as absent).
    pub fn has_position(&self, seat: usize, item: usize) -> bool {
        self.agenda[item].absent.binary_search(&seat).is_err()
    }

    /// Index of an item group by id.
    pub fn group(&self, id: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.id == id)
    }

    /// Index of an institution by id.
    pub fn institution(&self, id: &str) -> Option<usize> {
        self.institutions.iter().position(|i| i.id == id)
    }

    /// A synthetic membership of `n` States in three blocs with the agenda and profiles
    /// of `base`, for scaling benchmarks. Capabilities follow a Zipf-like law so a few
    /// States carry most weight, as in the real budget scale.
    pub fn synthetic(base: &Scenario, n: usize) -> Scenario {
        let blocs = base.blocs.len().max(1);
        let states = (0..n)
            .map(|i| State {
                id: format!("S{i:05}"),
                name: format!("Synthetic State {i}"),
                bloc: i % blocs,
                memberships: Vec::new(),
                capability: 100.0 / (1.0 + i as f64).powf(0.8),
                bargaining_power: 100.0 / (1.0 + i as f64).powf(0.8),
                voting_weight: 100.0 / (1.0 + i as f64).powf(0.8),
                note: None,
            })
            .collect();
        Scenario {
            id: format!("{}-synthetic-{n}", base.id),
            name: format!("{} (synthetic, {n} States)", base.name),
            description: format!("{n} generated States on the agenda of {}", base.id),
            explicit: BTreeMap::new(),
            item_state: BTreeMap::new(),
            agenda: base
                .agenda
                .iter()
                .map(|it| Item {
                    absent: Vec::new(),
                    accused: it.accused.filter(|&a| a < n),
                    ..it.clone()
                })
                .collect(),
            states,
            ..base.clone()
        }
    }
}

fn known(map: &BTreeMap<String, usize>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// Convenience: parse error for a file whose text could not be read.
pub fn unreadable(origin: &str, err: impl std::fmt::Display) -> FileErrors {
    FileError::at(origin, "", format!("cannot read: {err}")).into()
}
