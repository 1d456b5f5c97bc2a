//! Summaries recomputed by streaming `DIR/matches.jsonl`: the result does not depend on
//! the order of the records (exact fixed-point sums kept in ordered maps), so serial,
//! parallel, resumed and merged shard runs give the same files byte for byte. Memory
//! grows with the number of blocks of common random numbers (one small map entry per
//! strategy and block), not with the size of the records.
//!
//! Every gain below is a State's `score`: its utility gain net of any forfeit for
//! violations (equal to the gain when its delegation answered validly throughout).
//!
//! What is scored (the `score` column of `rankings.csv`), by format:
//! - `rotation`: `focal_gain` (the focal seat's utility gain over the status quo),
//!   `focal_gain_relative` (that gain minus the mean gain of the other seats of its
//!   class in the same match) and `background_gain` (the mean gain of every other
//!   seat: what the focal strategy does to the others);
//! - `bloc-vs-bloc`: `side_gain` (each side's mean gain per State; A = first bloc);
//! - `invasion`: `invader_advantage` (the invader's gain minus the mean gain of the
//!   residents in the same match) and `background_gain` (the residents' mean gain);
//! - `evolutionary`, `population`: `seat_gain` (per match, each strategy's mean gain
//!   over its seats).
//!
//! Strategies are compared pairwise within each ranking group by a paired t test over
//! the blocks of common random numbers they share (rotation: the same seat,
//! preferences and background in a (scenario, design, replication, class); bloc-vs-bloc:
//! a (scenario, design, replication); invasion: a (scenario, design, replication,
//! resident); evolutionary and population: one match), with Holm's correction over
//! the pairs of the group. `best` marks the strategies not significantly below the
//! top one at the 5% family-wise level.

use crate::config::Config;
use crate::output::{self, OutputError, Record};
use crate::plan::Role;
use crate::results::{SCHEMA_VERSION, tool_version};
use crate::stats::{self, Acc, Exact, Stat, next_shares};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Institution metrics reported per design, in this order.
pub const METRICS: [&str; 12] = [
    "capacity_to_act",
    "binding_share",
    "legitimacy_mean",
    "legitimacy_min",
    "inclusiveness",
    "tension_peak",
    "tension_final",
    "welfare_gain",
    "welfare_gini",
    "exits",
    "events",
    "reports",
];

/// Format order in reports.
pub const FORMATS: [&str; 5] = [
    "rotation",
    "bloc-vs-bloc",
    "invasion",
    "population",
    "evolutionary",
];

/// The main score of each format (the one the report ranks by).
pub fn main_score(format: &str) -> &'static str {
    match format {
        "rotation" => "focal_gain",
        "bloc-vs-bloc" => "side_gain",
        "invasion" => "invader_advantage",
        _ => "seat_gain",
    }
}

/// What a score measures, in words.
pub fn score_label(score: &str) -> &'static str {
    match score {
        "focal_gain" => "gain of the focal seat over the status quo",
        "focal_gain_relative" => {
            "focal seat's gain minus the mean gain of the other seats of its class"
        }
        "background_gain" => "mean gain of the other seats (background or residents)",
        "side_gain" => "mean gain per State of the side the strategy played",
        "invader_advantage" => "invader's gain minus the residents' mean gain",
        _ => "mean gain per seat over the status quo",
    }
}

/// A short axis label for a score.
pub fn score_axis(score: &str) -> &'static str {
    match score {
        "focal_gain" => "focal seat's gain",
        "focal_gain_relative" => "focal gain minus its class's mean",
        "background_gain" => "background's mean gain",
        "side_gain" => "side's mean gain per State",
        "invader_advantage" => "invader's gain minus residents'",
        "invader_gain" => "invader's gain",
        _ => "mean gain per seat",
    }
}

/// Significance level of the comparisons (family-wise, Holm).
pub const ALPHA: f64 = 0.05;

fn metric_values(r: &Record) -> [f64; 12] {
    let s = &r.outcome.summary;
    [
        s.capacity_to_act,
        s.binding_share,
        s.legitimacy_mean,
        s.legitimacy_min,
        s.inclusiveness,
        s.tension_peak,
        s.tension_final,
        s.welfare_gain,
        s.welfare_gini,
        f64::from(s.exits),
        f64::from(s.events),
        f64::from(s.reports),
    ]
}

/// Which matches a row pools: every field `null` pools all matches of the format; a
/// value restricts to that scenario, design, seat class, side or resident strategy.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct Group {
    /// Scenario.
    pub scenario: Option<String>,
    /// Design.
    pub design: Option<String>,
    /// Seat class (`leader`, `member`, `neutral`).
    pub class: Option<String>,
    /// Side (`A` = first bloc, `B` = second bloc).
    pub side: Option<String>,
    /// Resident strategy (invasion).
    pub resident: Option<String>,
}

impl Group {
    fn all() -> Group {
        Group::default()
    }
    fn design(d: &str) -> Group {
        Group {
            design: Some(d.into()),
            ..Group::default()
        }
    }
    fn scenario(d: &str) -> Group {
        Group {
            scenario: Some(d.into()),
            ..Group::default()
        }
    }
    fn class(d: &str) -> Group {
        Group {
            class: Some(d.into()),
            ..Group::default()
        }
    }
    fn side(d: &str) -> Group {
        Group {
            side: Some(d.into()),
            ..Group::default()
        }
    }
    fn resident(d: &str) -> Group {
        Group {
            resident: Some(d.into()),
            ..Group::default()
        }
    }
    /// Whether the group pools every match of its format.
    pub fn is_all(&self) -> bool {
        *self == Group::default()
    }
    /// The group's only design restriction, if that is all it restricts.
    pub fn only_design(&self) -> Option<&str> {
        let g = Group {
            design: self.design.clone(),
            ..Group::default()
        };
        if *self == g {
            self.design.as_deref()
        } else {
            None
        }
    }
    fn sort_key(&self, cfg: &Config) -> (u8, Option<usize>, &Group) {
        let kind = match (
            &self.scenario,
            &self.design,
            &self.class,
            &self.side,
            &self.resident,
        ) {
            (None, None, None, None, None) => 0,
            (None, Some(_), None, None, None) => 1,
            (None, None, Some(_), None, None) => 2,
            (None, None, None, Some(_), None) => 3,
            (None, None, None, None, Some(_)) => 4,
            _ => 5,
        };
        let design = self
            .design
            .as_ref()
            .and_then(|d| cfg.designs.iter().position(|x| x == d));
        (kind, design, self)
    }
}

/// A strategy's score in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankRow {
    /// Format.
    pub format: String,
    /// What is scored (see the module docs): `focal_gain`, `focal_gain_relative`,
    /// `background_gain`, `side_gain`, `invader_advantage`, `seat_gain`.
    pub score: String,
    /// Which matches the row pools.
    #[serde(flatten)]
    pub group: Group,
    /// Rank within (format, score, group) by mean, 1 = best; equal means share a rank.
    pub rank: u32,
    /// Strategy.
    pub strategy: String,
    /// Statistics of the score over matches.
    pub stat: Stat,
    /// Not significantly below the top strategy of the group (paired t test over
    /// common random numbers, Holm-corrected over the group's pairs, 5%).
    pub best: bool,
}

/// A paired comparison of two strategies in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PairRow {
    /// Format.
    pub format: String,
    /// Score compared.
    pub score: String,
    /// Which matches the comparison pools.
    #[serde(flatten)]
    pub group: Group,
    /// Higher-ranked strategy.
    pub a: String,
    /// Lower-ranked strategy.
    pub b: String,
    /// Blocks of common random numbers where both played.
    pub n: u64,
    /// Mean over blocks of (a's score - b's score).
    pub diff: f64,
    /// 95% t interval of the mean difference (unadjusted).
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Two-sided p-value of the paired t test.
    pub p: f64,
    /// Holm-adjusted p-value over the pairs of the group.
    pub p_holm: f64,
    /// `p_holm < 0.05`.
    pub significant: bool,
}

/// Distribution of a strategy's score (one value per block of common random numbers:
/// rotation and invasion, one per match).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DistRow {
    /// Format.
    pub format: String,
    /// Score.
    pub score: String,
    /// Design (`null`: all designs).
    pub design: Option<String>,
    /// Strategy.
    pub strategy: String,
    /// Values.
    pub n: u64,
    /// Smallest.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Largest.
    pub max: f64,
}

/// The focal/background view: k seats of a strategy among background seats, and what
/// it does to the background.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BackgroundRow {
    /// Format (`rotation`: one focal seat among a background; `invasion`: one invader
    /// among residents).
    pub format: String,
    /// Design (`null`: all designs).
    pub design: Option<String>,
    /// Strategy of the focal seats.
    pub strategy: String,
    /// Seats it plays per match.
    pub k: u32,
    /// Its gain per seat.
    pub focal: Stat,
    /// The background's mean gain per seat in the same matches.
    pub background: Stat,
    /// Effect on the background: the background's gain with this strategy in the
    /// focal seats minus its mean over every focal strategy of the same block (same
    /// seats, preferences and background strategies), with its 95% interval.
    pub effect: Stat,
}

/// One institution metric of one design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DesignRow {
    /// Format (or `all`).
    pub format: String,
    /// Design.
    pub design: String,
    /// Metric (see [`METRICS`]).
    pub metric: String,
    /// Statistics over matches.
    pub stat: Stat,
}

/// One cell of the head-to-head table (bloc-vs-bloc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct H2hRow {
    /// Design (`null`: all designs).
    pub design: Option<String>,
    /// Strategy of side A (first bloc).
    pub a: String,
    /// Strategy of side B (second bloc).
    pub b: String,
    /// Side A's mean gain per State.
    pub a_gain: Stat,
    /// Side B's mean gain per State.
    pub b_gain: Stat,
    /// Capacity to act.
    pub capacity_to_act: Stat,
    /// Mean legitimacy.
    pub legitimacy_mean: Stat,
    /// Peak tension.
    pub tension_peak: Stat,
}

/// One strategy in one generation of one evolving population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvoRow {
    /// Scenario.
    pub scenario: String,
    /// Design.
    pub design: String,
    /// Generation (the last row per population is the share after the last generation,
    /// without payoff).
    pub generation: u32,
    /// Strategy.
    pub strategy: String,
    /// Population share in this generation.
    pub share: f64,
    /// Payoff (per-match mean gain of the strategy).
    pub gain: Stat,
}

/// Mean tension after a step, per design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TensionRow {
    /// Design.
    pub design: String,
    /// Step (0 = start of the match; then one per finished item).
    pub step: u32,
    /// Highest bloc-pair tension after the step.
    pub tension: Stat,
}

/// Faults of the seats one strategy played: what its delegations' violations cost
/// (a remote entrant that times out or answers invalidly forfeits its open stake, so
/// absence never pays; see the design's `[faults]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FaultRow {
    /// Strategy.
    pub strategy: String,
    /// Seats it played over every record.
    pub seats: u64,
    /// Seats with at least one violation.
    pub seats_with_violations: u64,
    /// Violations recorded against its seats.
    pub violations: u64,
    /// Score forfeited over every seat.
    pub forfeit_total: f64,
    /// Mean score (`gain - forfeit`) of its seats with a violation; `null` when none.
    pub faulty_mean_score: Option<f64>,
    /// Mean score of its seats without a violation; `null` when none.
    pub clean_mean_score: Option<f64>,
}

/// Everything the summary files hold (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Version of this shape.
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool_version: String,
    /// Records read.
    pub matches: u64,
    /// Matches the configuration plans (`null` when its scenarios or designs cannot be
    /// loaded here). Fewer records than planned: a partial result (one shard, or an
    /// interrupted run).
    pub planned: Option<u64>,
    /// Configuration fingerprint.
    pub tournament: String,
    /// Master seed.
    pub seed: u64,
    /// Designs in configuration order.
    pub designs_order: Vec<String>,
    /// Strategies in configuration order.
    pub strategies: Vec<String>,
    /// Formats present, in report order.
    pub formats: Vec<String>,
    /// Strategy scores.
    pub rankings: Vec<RankRow>,
    /// Paired comparisons of strategies.
    pub comparisons: Vec<PairRow>,
    /// Distributions of the scores.
    pub distributions: Vec<DistRow>,
    /// Focal strategies and their effect on the background.
    pub background: Vec<BackgroundRow>,
    /// Institution metrics per design.
    pub designs: Vec<DesignRow>,
    /// Head-to-head table.
    pub head_to_head: Vec<H2hRow>,
    /// Evolutionary shares and payoffs.
    pub evolution: Vec<EvoRow>,
    /// Tension over a match, per design.
    pub tension: Vec<TensionRow>,
    /// Violations and forfeits per strategy, in configuration order (every strategy
    /// that played a seat).
    #[serde(default)]
    pub faults: Vec<FaultRow>,
}

impl Summary {
    /// Whether fewer records were read than the configuration plans.
    pub fn partial(&self) -> bool {
        self.planned.is_some_and(|p| self.matches < p)
    }
}

#[derive(Default)]
struct H2hAcc {
    a: Acc,
    b: Acc,
    cap: Acc,
    leg: Acc,
    ten: Acc,
}

/// (format, score, group).
type RankKey = (String, String, Group);
/// Per block of common random numbers, per strategy, the exact mean of its values.
type Blocks = BTreeMap<String, BTreeMap<String, Exact>>;

#[derive(Default)]
struct Accs {
    n: u64,
    formats: BTreeMap<String, ()>,
    rank: BTreeMap<RankKey, BTreeMap<String, Acc>>,
    blocks: BTreeMap<RankKey, Blocks>,
    designs: BTreeMap<(String, String), [Acc; 12]>,
    h2h: BTreeMap<(Option<String>, String, String), H2hAcc>,
    evo: BTreeMap<(String, String, u32, String), (f64, Acc)>,
    tension: BTreeMap<(String, u32), Acc>,
    faults: BTreeMap<String, FaultAcc>,
}

/// Exact (fixed-point) sums, so the table does not depend on the order records
/// arrive in (parallel runs append in completion order).
#[derive(Default)]
struct FaultAcc {
    seats: u64,
    faulty: u64,
    violations: u64,
    forfeit: Acc,
    faulty_score: Acc,
    clean_score: Acc,
}

impl Accs {
    /// One observation `x` of `strategy` under `score`, in every group of `groups`,
    /// belonging to block `block`.
    fn obs(
        &mut self,
        format: &str,
        score: &str,
        groups: &[Group],
        block: &str,
        strategy: &str,
        x: f64,
    ) {
        for g in groups {
            let key = (format.to_string(), score.to_string(), g.clone());
            self.rank
                .entry(key.clone())
                .or_default()
                .entry(strategy.to_string())
                .or_default()
                .add(x);
            self.blocks
                .entry(key)
                .or_default()
                .entry(block.to_string())
                .or_default()
                .entry(strategy.to_string())
                .or_default()
                .add(x);
        }
    }

    fn add(&mut self, r: &Record, strategies: &[String]) {
        self.n += 1;
        let o = &r.outcome;
        let f = r.format.as_str();
        self.formats.insert(f.into(), ());
        let m = metric_values(r);
        for key in [
            (f.to_string(), o.design.clone()),
            ("all".to_string(), o.design.clone()),
        ] {
            let e = self
                .designs
                .entry(key)
                .or_insert_with(|| [Acc::default(); 12]);
            for (acc, x) in e.iter_mut().zip(m) {
                acc.add(x);
            }
        }
        for st in &o.states {
            let e = self.faults.entry(st.strategy.clone()).or_default();
            e.seats += 1;
            e.violations += u64::from(st.violations);
            e.forfeit.add(st.forfeit);
            if st.violations > 0 {
                e.faulty += 1;
                e.faulty_score.add(st.score);
            } else {
                e.clean_score.add(st.score);
            }
        }
        for t in &o.tension {
            self.tension
                .entry((o.design.clone(), t.step))
                .or_default()
                .add(t.max);
        }
        let mean_of = |pred: &dyn Fn(&crate::results::StateOutcome) -> bool| {
            let v: Vec<f64> = o
                .states
                .iter()
                .filter(|s| pred(s))
                .map(|s| s.score)
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let (sc, d) = (o.scenario.as_str(), o.design.as_str());
        let rep = r.replication;
        match &r.role {
            Role::Rotation {
                strategy,
                class,
                seat,
            } => {
                let block = format!("{sc}\u{1f}{d}\u{1f}{rep}\u{1f}{class}");
                if let Some(s) = o.states.iter().find(|s| s.id == *seat) {
                    let groups = [
                        Group::all(),
                        Group::design(d),
                        Group::class(class),
                        Group::scenario(sc),
                    ];
                    self.obs(f, "focal_gain", &groups, &block, strategy, s.score);
                    // Relative to the other seats of its class in the same match: removes
                    // what the design, the draw and the class do to everyone's gains.
                    if let Some(others) = mean_of(&|x| x.class == *class && x.id != *seat) {
                        self.obs(
                            f,
                            "focal_gain_relative",
                            &groups[..2],
                            &block,
                            strategy,
                            s.score - others,
                        );
                    }
                    if let Some(bg) = mean_of(&|x| x.id != *seat) {
                        self.obs(f, "background_gain", &groups[..2], &block, strategy, bg);
                    }
                }
            }
            Role::BlocVsBloc {
                bloc_a,
                bloc_b,
                a,
                b,
                ..
            } => {
                let block = format!("{sc}\u{1f}{d}\u{1f}{rep}");
                let ga = mean_of(&|s| s.bloc == *bloc_a);
                let gb = mean_of(&|s| s.bloc == *bloc_b);
                if let Some(x) = ga {
                    let groups = [Group::all(), Group::side("A"), Group::design(d)];
                    self.obs(f, "side_gain", &groups, &block, a, x);
                }
                if let Some(x) = gb {
                    let groups = [Group::all(), Group::side("B"), Group::design(d)];
                    self.obs(f, "side_gain", &groups, &block, b, x);
                }
                for design in [Some(o.design.clone()), None] {
                    let e = self.h2h.entry((design, a.clone(), b.clone())).or_default();
                    ga.into_iter().for_each(|x| e.a.add(x));
                    gb.into_iter().for_each(|x| e.b.add(x));
                    e.cap.add(o.summary.capacity_to_act);
                    e.leg.add(o.summary.legitimacy_mean);
                    e.ten.add(o.summary.tension_peak);
                }
            }
            Role::Invasion {
                invader,
                resident,
                seat,
            } => {
                let block = format!("{sc}\u{1f}{d}\u{1f}{rep}\u{1f}{resident}");
                let inv = o.states.iter().find(|s| s.id == *seat).map(|s| s.score);
                let res = mean_of(&|s| s.id != *seat);
                if let (Some(i), Some(x)) = (inv, res) {
                    let groups = [Group::all(), Group::design(d), Group::resident(resident)];
                    self.obs(f, "invader_advantage", &groups, &block, invader, i - x);
                    self.obs(f, "invader_gain", &groups[..2], &block, invader, i);
                    self.obs(f, "background_gain", &groups[..2], &block, invader, x);
                }
            }
            Role::Evolutionary { generation, shares } => {
                let block = format!("{}", r.index);
                let by = o.gains_by_strategy();
                for (j, name) in strategies.iter().enumerate() {
                    let e = self
                        .evo
                        .entry((sc.to_string(), d.to_string(), *generation, name.clone()))
                        .or_insert((shares.get(j).copied().unwrap_or(0.0), Acc::default()));
                    if let Some((g, _)) = by.get(name.as_str()) {
                        e.1.add(*g);
                    }
                }
                for (name, (g, _)) in by {
                    self.obs(
                        f,
                        "seat_gain",
                        &[Group::all(), Group::design(d)],
                        &block,
                        name,
                        g,
                    );
                }
            }
            Role::Population => {
                let block = format!("{}", r.index);
                for (name, (g, _)) in o.gains_by_strategy() {
                    self.obs(
                        f,
                        "seat_gain",
                        &[Group::all(), Group::design(d)],
                        &block,
                        name,
                        g,
                    );
                }
                let mut by_class: BTreeMap<(&str, &str), Exact> = BTreeMap::new();
                for s in &o.states {
                    by_class
                        .entry((s.strategy.as_str(), s.class.as_str()))
                        .or_default()
                        .add(s.score);
                }
                for ((name, class), e) in by_class {
                    if let Some(g) = e.mean() {
                        self.obs(f, "seat_gain", &[Group::class(class)], &block, name, g);
                    }
                }
            }
        }
    }

    fn finish(self, cfg: &Config, planned: Option<u64>) -> Summary {
        let format_pos = |f: &str| FORMATS.iter().position(|x| *x == f);
        let score_pos = |s: &str| {
            [
                "focal_gain",
                "side_gain",
                "invader_advantage",
                "seat_gain",
                "focal_gain_relative",
                "invader_gain",
                "background_gain",
            ]
            .iter()
            .position(|x| *x == s)
        };
        let mut keys: Vec<&RankKey> = self.rank.keys().collect();
        keys.sort_by(|x, y| {
            (format_pos(&x.0), score_pos(&x.1), x.2.sort_key(cfg)).cmp(&(
                format_pos(&y.0),
                score_pos(&y.1),
                y.2.sort_key(cfg),
            ))
        });
        let mut rankings = Vec::new();
        let mut comparisons = Vec::new();
        let mut distributions = Vec::new();
        for key in keys {
            let (format, score, group) = key;
            let accs = &self.rank[key];
            let mut rows: Vec<(String, Stat)> =
                accs.iter().map(|(s, a)| (s.clone(), a.stat())).collect();
            rows.sort_by(|x, y| {
                y.1.mean
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&x.1.mean.unwrap_or(f64::NEG_INFINITY))
                    .then_with(|| x.0.cmp(&y.0))
            });
            let means: Vec<f64> = rows
                .iter()
                .map(|r| r.1.mean.unwrap_or(f64::NEG_INFINITY))
                .collect();
            let ranks = stats::competition_ranks(&means);
            // Paired comparisons over the blocks both strategies played.
            let empty = Blocks::new();
            let blocks = self.blocks.get(key).unwrap_or(&empty);
            let mut pairs = Vec::new();
            for i in 0..rows.len() {
                for j in i + 1..rows.len() {
                    let (a, b) = (&rows[i].0, &rows[j].0);
                    let d: Vec<f64> = blocks
                        .values()
                        .filter_map(|m| Some(m.get(a)?.mean()? - m.get(b)?.mean()?))
                        .collect();
                    pairs.push((i, j, stats::paired(&d)));
                }
            }
            let adjusted = stats::holm(&pairs.iter().map(|p| p.2.p).collect::<Vec<_>>());
            let mut best = vec![false; rows.len()];
            if !rows.is_empty() {
                best[0] = true;
            }
            for ((i, j, p), adj) in pairs.iter().zip(&adjusted) {
                let significant = *adj < ALPHA;
                // Tied with the top, or not separable from it.
                if ranks[*i] == 1 && (!significant || ranks[*j] == 1) {
                    best[*j] = true;
                }
                comparisons.push(PairRow {
                    format: format.clone(),
                    score: score.clone(),
                    group: group.clone(),
                    a: rows[*i].0.clone(),
                    b: rows[*j].0.clone(),
                    n: p.n,
                    diff: p.mean,
                    ci_low: p.ci.map(|c| c.0),
                    ci_high: p.ci.map(|c| c.1),
                    p: p.p,
                    p_holm: *adj,
                    significant,
                });
            }
            // Ties with a strategy marked best are best too.
            for k in 1..rows.len() {
                if ranks[k] == ranks[k - 1] && best[k - 1] {
                    best[k] = true;
                }
            }
            for (k, (strategy, stat)) in rows.iter().enumerate() {
                rankings.push(RankRow {
                    format: format.clone(),
                    score: score.clone(),
                    group: group.clone(),
                    rank: ranks[k],
                    strategy: strategy.clone(),
                    stat: *stat,
                    best: best[k],
                });
            }
            if group.is_all() || group.only_design().is_some() {
                for (strategy, _) in &rows {
                    let mut v: Vec<f64> = blocks
                        .values()
                        .filter_map(|m| m.get(strategy)?.mean())
                        .collect();
                    v.sort_by(f64::total_cmp);
                    let q = |x| stats::quantile(&v, x).unwrap_or(0.0);
                    if !v.is_empty() {
                        distributions.push(DistRow {
                            format: format.clone(),
                            score: score.clone(),
                            design: group.design.clone(),
                            strategy: strategy.clone(),
                            n: v.len() as u64,
                            min: q(0.0),
                            q1: q(0.25),
                            median: q(0.5),
                            q3: q(0.75),
                            max: q(1.0),
                        });
                    }
                }
            }
        }
        let background = self.background_rows(cfg);
        let mut designs = Vec::new();
        let mut design_keys: Vec<(String, String)> = self.designs.keys().cloned().collect();
        design_keys.sort_by_key(|(f, d)| {
            (
                f != "all",
                FORMATS.iter().position(|x| x == f),
                cfg.designs.iter().position(|x| x == d),
                d.clone(),
            )
        });
        for key in design_keys {
            let accs = &self.designs[&key];
            for (metric, acc) in METRICS.iter().zip(accs.iter()) {
                designs.push(DesignRow {
                    format: key.0.clone(),
                    design: key.1.clone(),
                    metric: metric.to_string(),
                    stat: acc.stat(),
                });
            }
        }
        let mut head_to_head: Vec<H2hRow> = self
            .h2h
            .into_iter()
            .map(|((design, a, b), e)| H2hRow {
                design,
                a,
                b,
                a_gain: e.a.stat(),
                b_gain: e.b.stat(),
                capacity_to_act: e.cap.stat(),
                legitimacy_mean: e.leg.stat(),
                tension_peak: e.ten.stat(),
            })
            .collect();
        let spos = |s: &str| cfg.strategies.iter().position(|x| x == s);
        head_to_head.sort_by_key(|h| {
            (
                h.design.is_some(),
                h.design
                    .as_ref()
                    .and_then(|d| cfg.designs.iter().position(|x| x == d)),
                spos(&h.a),
                spos(&h.b),
            )
        });
        let mut evolution: Vec<EvoRow> = Vec::new();
        let mut last: BTreeMap<(String, String), u32> = BTreeMap::new();
        for ((scenario, design, generation, strategy), (share, acc)) in &self.evo {
            let e = last.entry((scenario.clone(), design.clone())).or_insert(0);
            *e = (*e).max(*generation);
            evolution.push(EvoRow {
                scenario: scenario.clone(),
                design: design.clone(),
                generation: *generation,
                strategy: strategy.clone(),
                share: *share,
                gain: acc.stat(),
            });
        }
        let (selection, standardized) = cfg
            .evolutionary
            .as_ref()
            .map_or((1.0, true), |e| (e.selection, e.standardize));
        for ((scenario, design), g) in last {
            let rows: Vec<&EvoRow> = cfg
                .strategies
                .iter()
                .filter_map(|s| {
                    evolution.iter().find(|r| {
                        r.scenario == scenario
                            && r.design == design
                            && r.generation == g
                            && r.strategy == *s
                    })
                })
                .collect();
            let shares: Vec<f64> = rows.iter().map(|r| r.share).collect();
            let fit: Vec<Option<f64>> = rows.iter().map(|r| r.gain.mean).collect();
            let next = next_shares(&shares, &fit, selection, standardized);
            let names: Vec<String> = rows.iter().map(|r| r.strategy.clone()).collect();
            for (name, share) in names.into_iter().zip(next) {
                evolution.push(EvoRow {
                    scenario: scenario.clone(),
                    design: design.clone(),
                    generation: g + 1,
                    strategy: name,
                    share,
                    gain: Acc::default().stat(),
                });
            }
        }
        evolution.sort_by(|x, y| {
            (&x.scenario, &x.design, x.generation)
                .cmp(&(&y.scenario, &y.design, y.generation))
                .then_with(|| {
                    cfg.strategies
                        .iter()
                        .position(|s| *s == x.strategy)
                        .cmp(&cfg.strategies.iter().position(|s| *s == y.strategy))
                })
        });
        let tension = self
            .tension
            .into_iter()
            .map(|((design, step), acc)| TensionRow {
                design,
                step,
                tension: acc.stat(),
            })
            .collect();
        Summary {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version(),
            matches: self.n,
            planned,
            tournament: cfg.fingerprint(),
            seed: cfg.seed,
            designs_order: cfg.designs.clone(),
            strategies: cfg.strategies.clone(),
            formats: FORMATS
                .iter()
                .filter(|f| self.formats.contains_key(**f))
                .map(|f| f.to_string())
                .collect(),
            rankings,
            comparisons,
            distributions,
            background,
            designs,
            head_to_head,
            evolution,
            tension,
            faults: fault_rows(&self.faults, &cfg.strategies),
        }
    }

    /// The focal/background rows of the rotation and invasion formats.
    fn background_rows(&self, cfg: &Config) -> Vec<BackgroundRow> {
        let mut out = Vec::new();
        for (format, focal_score) in [("rotation", "focal_gain"), ("invasion", "invader_gain")] {
            let mut groups: Vec<Group> = vec![Group::all()];
            groups.extend(cfg.designs.iter().map(|d| Group::design(d)));
            for g in groups {
                let key = |score: &str| (format.to_string(), score.to_string(), g.clone());
                let (Some(focal), Some(bg), Some(blocks)) = (
                    self.rank.get(&key(focal_score)),
                    self.rank.get(&key("background_gain")),
                    self.blocks.get(&key("background_gain")),
                ) else {
                    continue;
                };
                let mut effect: BTreeMap<&str, Acc> = BTreeMap::new();
                for m in blocks.values() {
                    let v: Vec<(&str, f64)> = m
                        .iter()
                        .filter_map(|(s, e)| Some((s.as_str(), e.mean()?)))
                        .collect();
                    if v.len() < 2 {
                        continue;
                    }
                    let mean = v.iter().map(|x| x.1).sum::<f64>() / v.len() as f64;
                    for (s, x) in v {
                        effect.entry(s).or_default().add(x - mean);
                    }
                }
                let mut names: Vec<&String> = focal.keys().collect();
                names.sort_by_key(|s| cfg.strategies.iter().position(|x| x == *s));
                for s in names {
                    out.push(BackgroundRow {
                        format: format.to_string(),
                        design: g.design.clone(),
                        strategy: s.clone(),
                        k: 1,
                        focal: focal[s].stat(),
                        background: bg.get(s).map(Acc::stat).unwrap_or_default(),
                        effect: effect.get(s.as_str()).map(Acc::stat).unwrap_or_default(),
                    });
                }
            }
        }
        out
    }
}

/// Streams `DIR/matches.jsonl` into a summary (a truncated last line is skipped).
pub fn summarize(dir: &Path) -> Result<Summary, OutputError> {
    let cfg = output::read_config(dir)?;
    let mut accs = Accs::default();
    output::stream_records(&dir.join(output::MATCHES), false, |r| {
        accs.add(&r, &cfg.strategies);
        Ok(())
    })?;
    let planned = crate::plan::Catalog::load("config.toml", &cfg)
        .ok()
        .map(|c| crate::plan::plan(&cfg, &c).total);
    Ok(accs.finish(&cfg, planned))
}

fn opt(x: &Option<String>) -> &str {
    x.as_deref().unwrap_or("")
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.6}")).unwrap_or_default()
}

fn stat_cols(s: &Stat) -> String {
    format!(
        "{},{},{},{},{}",
        s.n,
        num(s.mean),
        num(s.sd),
        num(s.ci_low),
        num(s.ci_high)
    )
}

/// The fault table in configuration order, then any other strategy by name.
fn fault_rows(accs: &BTreeMap<String, FaultAcc>, order: &[String]) -> Vec<FaultRow> {
    let mut names: Vec<&String> = order.iter().filter(|n| accs.contains_key(*n)).collect();
    names.extend(accs.keys().filter(|k| !order.contains(k)));
    names
        .into_iter()
        .map(|n| {
            let a = &accs[n];
            FaultRow {
                strategy: n.clone(),
                seats: a.seats,
                seats_with_violations: a.faulty,
                violations: a.violations,
                forfeit_total: a.forfeit.total(),
                faulty_mean_score: a.faulty_score.mean(),
                clean_mean_score: a.clean_score.mean(),
            }
        })
        .collect()
}

/// `rankings.csv`: one row per (format, score, group, strategy). Every column has one
/// meaning: `score` names the quantity `mean` averages, and the group columns
/// (`scenario`, `design`, `class`, `side`, `resident`) are empty when the row pools
/// every value.
pub fn rankings_csv(s: &Summary) -> String {
    let mut out = String::from(
        "format,score,scenario,design,class,side,resident,rank,strategy,best,n,mean,sd,ci_low,ci_high\n",
    );
    for r in &s.rankings {
        let g = &r.group;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.format,
            r.score,
            opt(&g.scenario),
            opt(&g.design),
            opt(&g.class),
            opt(&g.side),
            opt(&g.resident),
            r.rank,
            r.strategy,
            r.best,
            stat_cols(&r.stat)
        );
    }
    out
}

/// `comparisons.csv`: paired comparisons of strategies within each ranking group.
pub fn comparisons_csv(s: &Summary) -> String {
    let mut out = String::from(
        "format,score,scenario,design,class,side,resident,a,b,n,diff,ci_low,ci_high,p,p_holm,significant\n",
    );
    for r in &s.comparisons {
        let g = &r.group;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{:.6},{},{},{:.6},{:.6},{}",
            r.format,
            r.score,
            opt(&g.scenario),
            opt(&g.design),
            opt(&g.class),
            opt(&g.side),
            opt(&g.resident),
            r.a,
            r.b,
            r.n,
            r.diff,
            num(r.ci_low),
            num(r.ci_high),
            r.p,
            r.p_holm,
            r.significant
        );
    }
    out
}

/// `background.csv`: focal strategies and their effect on the background.
pub fn background_csv(s: &Summary) -> String {
    let mut out = String::from(
        "format,design,strategy,k,focal_n,focal_mean,focal_ci_low,focal_ci_high,background_mean,background_ci_low,background_ci_high,effect_n,effect_mean,effect_ci_low,effect_ci_high\n",
    );
    for r in &s.background {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.format,
            opt(&r.design),
            r.strategy,
            r.k,
            r.focal.n,
            num(r.focal.mean),
            num(r.focal.ci_low),
            num(r.focal.ci_high),
            num(r.background.mean),
            num(r.background.ci_low),
            num(r.background.ci_high),
            r.effect.n,
            num(r.effect.mean),
            num(r.effect.ci_low),
            num(r.effect.ci_high)
        );
    }
    out
}

/// `designs.csv` (long format: one row per format, design and metric).
pub fn designs_csv(s: &Summary) -> String {
    let mut out = String::from("format,design,metric,n,mean,sd,ci_low,ci_high\n");
    for r in &s.designs {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            r.format,
            r.design,
            r.metric,
            stat_cols(&r.stat)
        );
    }
    out
}

/// `head_to_head.csv`.
pub fn head_to_head_csv(s: &Summary) -> String {
    let mut out = String::from(
        "design,a,b,n,a_gain_mean,a_gain_ci_low,a_gain_ci_high,b_gain_mean,b_gain_ci_low,b_gain_ci_high,capacity_to_act,legitimacy_mean,tension_peak\n",
    );
    for r in &s.head_to_head {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            opt(&r.design),
            r.a,
            r.b,
            r.a_gain.n,
            num(r.a_gain.mean),
            num(r.a_gain.ci_low),
            num(r.a_gain.ci_high),
            num(r.b_gain.mean),
            num(r.b_gain.ci_low),
            num(r.b_gain.ci_high),
            num(r.capacity_to_act.mean),
            num(r.legitimacy_mean.mean),
            num(r.tension_peak.mean)
        );
    }
    out
}

/// `evolution.csv`.
pub fn evolution_csv(s: &Summary) -> String {
    let mut out = String::from(
        "scenario,design,generation,strategy,share,n,gain_mean,gain_sd,gain_ci_low,gain_ci_high\n",
    );
    for r in &s.evolution {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.6},{}",
            r.scenario,
            r.design,
            r.generation,
            r.strategy,
            r.share,
            stat_cols(&r.gain)
        );
    }
    out
}

/// `tension.csv`.
pub fn tension_csv(s: &Summary) -> String {
    let mut out = String::from("design,step,n,mean,sd,ci_low,ci_high\n");
    for r in &s.tension {
        let _ = writeln!(out, "{},{},{}", r.design, r.step, stat_cols(&r.tension));
    }
    out
}

/// Writes `summary.json`, `rankings.csv`, `designs.csv`, `head_to_head.csv`,
/// `evolution.csv` and `tension.csv` into `dir`.
pub fn write_files(dir: &Path, s: &Summary) -> Result<(), OutputError> {
    let json =
        serde_json::to_string_pretty(s).map_err(|e| OutputError::Other(e.to_string()))? + "\n";
    for (name, text) in [
        ("summary.json", json),
        ("rankings.csv", rankings_csv(s)),
        ("comparisons.csv", comparisons_csv(s)),
        ("background.csv", background_csv(s)),
        ("designs.csv", designs_csv(s)),
        ("head_to_head.csv", head_to_head_csv(s)),
        ("evolution.csv", evolution_csv(s)),
        ("tension.csv", tension_csv(s)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(output::io(&path))?;
    }
    Ok(())
}

/// Names of the files [`write_files`] writes.
pub const SUMMARY_FILES: [&str; 8] = [
    "summary.json",
    "rankings.csv",
    "comparisons.csv",
    "background.csv",
    "designs.csv",
    "head_to_head.csv",
    "evolution.csv",
    "tension.csv",
];

fn ci(s: &Stat, prec: usize) -> String {
    match (s.mean, s.ci_low, s.ci_high) {
        (Some(m), Some(l), Some(h)) => format!("{m:>8.prec$}  [{l:>8.prec$}, {h:>8.prec$}]"),
        (Some(m), _, _) => format!("{m:>8.prec$}  [{:>8}, {:>8}]", "-", "-"),
        _ => "-".into(),
    }
}

/// A readable ranking table per format (overall scores) with 95% confidence intervals,
/// the winners per design, and the institution metrics per design. A partial result
/// (a shard, an interrupted run) says so first.
pub fn text_tables(s: &Summary) -> String {
    let mut out = String::new();
    if s.partial() {
        let _ = writeln!(
            out,
            "\nPARTIAL RESULTS: {} of {} planned matches (one shard or an unfinished run); rankings below cover only these matches.",
            s.matches,
            s.planned.unwrap_or(0)
        );
    }
    for f in &s.formats {
        let score = main_score(f);
        let _ = writeln!(
            out,
            "\n{f}: strategies ranked by {} (mean, 95% CI; * = not significantly below the best, paired, Holm 5%)",
            score_label(score)
        );
        let _ = writeln!(
            out,
            "  {:>4}  {:<18} {:>6}  {:>8}  {:>20}",
            "rank", "strategy", "n", "mean", "95% CI"
        );
        for r in s
            .rankings
            .iter()
            .filter(|r| r.format == *f && r.score == score && r.group.is_all())
        {
            let _ = writeln!(
                out,
                "  {:>4}{} {:<18} {:>6}  {}",
                r.rank,
                if r.best { "*" } else { " " },
                r.strategy,
                r.stat.n,
                ci(&r.stat, 3)
            );
        }
        let winners: Vec<String> = s
            .designs_order
            .iter()
            .filter_map(|d| {
                let best: Vec<&str> = s
                    .rankings
                    .iter()
                    .filter(|r| {
                        r.format == *f
                            && r.score == score
                            && r.group.only_design() == Some(d.as_str())
                            && r.best
                    })
                    .map(|r| r.strategy.as_str())
                    .collect();
                (!best.is_empty()).then(|| format!("  {d:<18} {}", best.join(", ")))
            })
            .collect();
        if !winners.is_empty() {
            let _ = writeln!(
                out,
                "{f}: best per design (not significantly below the top, paired, Holm 5%)"
            );
            for w in winners {
                let _ = writeln!(out, "{w}");
            }
        }
    }
    let _ = writeln!(out, "\nDesigns over all matches (mean, 95% CI):");
    let _ = writeln!(
        out,
        "  {:<18} {:>5}  {:>30}  {:>30}  {:>30}  {:>30}",
        "design", "n", "capacity to act", "legitimacy (mean)", "inclusiveness", "tension peak"
    );
    let designs: Vec<&String> = {
        let mut v: Vec<&String> = s
            .designs
            .iter()
            .filter(|d| d.format == "all")
            .map(|d| &d.design)
            .collect();
        v.dedup();
        v
    };
    for d in designs {
        let get = |m: &str| {
            s.designs
                .iter()
                .find(|r| r.format == "all" && r.design == *d && r.metric == m)
                .map(|r| r.stat)
        };
        let cell = |m: &str| get(m).map(|st| ci(&st, 3)).unwrap_or_default();
        let n = get("capacity_to_act").map_or(0, |st| st.n);
        let _ = writeln!(
            out,
            "  {:<18} {:>5}  {:>30}  {:>30}  {:>30}  {:>30}",
            d,
            n,
            cell("capacity_to_act"),
            cell("legitimacy_mean"),
            cell("inclusiveness"),
            cell("tension_peak")
        );
    }
    let faulty: Vec<&FaultRow> = s.faults.iter().filter(|f| f.violations > 0).collect();
    if !faulty.is_empty() {
        let _ = writeln!(
            out,
            "\nViolations (timeouts, invalid answers; a faulty seat forfeits its open stake):"
        );
        let _ = writeln!(
            out,
            "  {:<18} {:>7} {:>13} {:>10} {:>14} {:>16} {:>16}",
            "strategy",
            "seats",
            "faulty seats",
            "violations",
            "forfeited",
            "score (faulty)",
            "score (clean)"
        );
        let num = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        for f in faulty {
            let _ = writeln!(
                out,
                "  {:<18} {:>7} {:>13} {:>10} {:>14.3} {:>16} {:>16}",
                f.strategy,
                f.seats,
                f.seats_with_violations,
                f.violations,
                f.forfeit_total,
                num(f.faulty_mean_score),
                num(f.clean_mean_score)
            );
        }
    }
    out
}

/// Summarizes `dir` and writes the summary files; returns the summary.
pub fn summarize_into(dir: &Path) -> Result<Summary, OutputError> {
    let s = summarize(dir)?;
    write_files(dir, &s)?;
    Ok(s)
}
