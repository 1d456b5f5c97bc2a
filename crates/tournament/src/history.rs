//! `plenary experiment history`: does a scenario's baseline reproduce what happened?
//!
//! A *history table* (TOML, embedded in `plenary-scenarios` for the presets) lists, for
//! the agenda items of a scenario, what the real organisation did in the period the
//! scenario stands for (adopted, adopted late, blocked, provisional budget, or a policy
//! that simply stayed in force), with a source for every line. The experiment runs the
//! scenario under its default design and default strategy mix over many seeds (the
//! seeds redraw every State's private preferences around the scenario's profiles) and
//! compares each seed's record at the end of the table's session with the table.
//!
//! Nothing in the run knows the table: outcomes come from the engine's rules and the
//! strategies' decisions only. The table is read after the fact, to score them.
//!
//! Scoring, per item and seed, looks at the item's last result up to and including the
//! table's session (so an item agreed in an earlier session and not re-opened still
//! counts as agreed):
//! * `adopted`: decided (adopted, in any round or under the silence procedure);
//! * `late`: decided, but not in the first round (later rounds or silence): agreement
//!   that came only after a long delay;
//! * `blocked`: no decision of the body (reverted, package failed, or only an ad hoc
//!   arrangement of some States);
//! * `provisional`: a blocked budget running on provisional allotments;
//! * `in-force`: whatever happened, the policy in force afterwards lies in `range`
//!   (e.g. a head of institution still in office); an item never opened counts with its
//!   status quo.
//!
//! An optional `range = [lo, hi]` also constrains the outcome of the other kinds (an
//! extension "as is" must not come out as an enlarged mandate).

use crate::exec::{ExecError, Executor, InProcess, StrategyMaker, run_parallel};
use crate::plan::{Catalog, MatchSpec, Role};
use plenary_core::files::{FileErrors, Problems, parse_toml};
use plenary_core::metrics::ItemResult;
use plenary_core::rng::derive;
use plenary_core::strategy::Decision;
use plenary_core::{Design, MatchResult, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A history table file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryTable {
    /// What the table covers.
    pub history: HistoryHeader,
    /// One line per agenda item scored.
    pub outcomes: Vec<HistoricalOutcome>,
}

/// `[history]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryHeader {
    /// Scenario id the table is about.
    pub scenario: String,
    /// The session (0-based) whose end the table describes.
    pub session: u32,
    /// The real period (e.g. `2021`).
    pub period: String,
    /// What the table says.
    #[serde(default)]
    pub description: String,
    /// Sources used across the table (each line also names its own).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalOutcome {
    /// Agenda item id.
    pub item: String,
    /// What happened.
    pub expected: Expected,
    /// Bounds on the resulting policy (0..100 scale), if the outcome's level matters.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// Date (ISO 8601) of the decision or the failure, where one can be named.
    #[serde(default)]
    pub date: Option<String>,
    /// Where the fact comes from.
    pub source: String,
    /// Anything a reader should know (uncertainty, decision numbers not verified, ...).
    #[serde(default)]
    pub note: Option<String>,
}

/// Kinds of historical outcomes (see the module docs for how each is scored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expected {
    /// Decided in any round.
    Adopted,
    /// Decided, but only after the first round.
    Late,
    /// No decision.
    Blocked,
    /// Budget on provisional allotments.
    Provisional,
    /// The policy in force stays within `range`.
    InForce,
}

impl Expected {
    /// The kebab-case name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Adopted => "adopted",
            Expected::Late => "late",
            Expected::Blocked => "blocked",
            Expected::Provisional => "provisional",
            Expected::InForce => "in-force",
        }
    }
}

impl HistoryTable {
    /// Parses and checks a table (structure only; see [`HistoryTable::validate_for`]).
    pub fn parse(origin: &str, text: &str) -> Result<HistoryTable, FileErrors> {
        let t: HistoryTable = parse_toml(origin, text)?;
        let mut p = Problems::new(origin);
        if t.outcomes.is_empty() {
            p.push("outcomes", "at least one outcome is needed");
        }
        let mut seen = BTreeSet::new();
        for (i, o) in t.outcomes.iter().enumerate() {
            if !seen.insert(o.item.as_str()) {
                p.push(
                    format!("outcomes[{i}].item"),
                    format!("second line for item `{}`", o.item),
                );
            }
            if o.source.trim().is_empty() {
                p.push(format!("outcomes[{i}].source"), "every line needs a source");
            }
            match o.range {
                Some([lo, hi]) => {
                    p.range(format!("outcomes[{i}].range[0]"), lo, 0.0, 100.0);
                    p.range(format!("outcomes[{i}].range[1]"), hi, 0.0, 100.0);
                    if lo > hi {
                        p.push(
                            format!("outcomes[{i}].range"),
                            format!("lower bound {lo} is above upper bound {hi}"),
                        );
                    }
                }
                None if o.expected == Expected::InForce => p.push(
                    format!("outcomes[{i}].range"),
                    "an `in-force` outcome needs a range for the policy in force",
                ),
                None => {}
            }
        }
        p.finish()?;
        Ok(t)
    }

    /// Checks the table against the scenario it is run with: same scenario id, every
    /// item on its agenda, the session within the design's sessions.
    pub fn validate_for(
        &self,
        origin: &str,
        scenario: &Scenario,
        design: &Design,
    ) -> Result<(), FileErrors> {
        let mut p = Problems::new(origin);
        if self.history.scenario != scenario.id {
            p.push(
                "history.scenario",
                format!(
                    "the table is about `{}`, the run uses scenario `{}`",
                    self.history.scenario, scenario.id
                ),
            );
        }
        if self.history.session >= design.procedure.sessions {
            p.push(
                "history.session",
                format!(
                    "session {} does not exist: design `{}` runs {} session(s), numbered from 0",
                    self.history.session, design.design.id, design.procedure.sessions
                ),
            );
        }
        for (i, o) in self.outcomes.iter().enumerate() {
            if scenario.item(&o.item).is_none() {
                p.push(
                    format!("outcomes[{i}].item"),
                    format!(
                        "`{}` is not on the agenda of `{}` (items: {})",
                        o.item,
                        scenario.id,
                        scenario
                            .agenda
                            .iter()
                            .map(|a| a.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        p.finish()
    }
}

/// How one seed's record ended for one item, as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// Label: `adopted`, `late`, `blocked`, `package-failed`, `ad-hoc`, `suspended`,
    /// `provisional`, `out-of-scope` or `not-opened`.
    pub label: &'static str,
    /// The policy decided or fallen back to (`None`: no policy).
    pub outcome: Option<f64>,
    /// The policy in force afterwards (the status quo for an item never opened).
    pub in_force: Option<f64>,
}

/// The item's last result up to and including `session`, skipping the `settled`
/// notes of one-off items: those stand for the decision that settled them.
fn last_result<'a>(r: &'a MatchResult, item: &str, session: u32) -> Option<&'a ItemResult> {
    r.sessions
        .iter()
        .filter(|s| s.session <= session)
        .flat_map(|s| s.items.iter())
        .rev()
        .find(|i| i.id == item && i.decision != Decision::Settled)
}

/// Whether a decided item needed more than its first round.
fn is_late(r: &ItemResult) -> bool {
    r.rounds > 1 || r.decision == Decision::AdoptedBySilence
}

/// What a record shows for `item` at the end of `session`.
pub fn observe(r: &MatchResult, sc: &Scenario, item: &str, session: u32) -> Observed {
    match last_result(r, item, session) {
        None => {
            let sq = sc.item(item).and_then(|i| sc.agenda[i].status_quo);
            Observed {
                label: "not-opened",
                outcome: sq,
                in_force: sq,
            }
        }
        Some(ir) => Observed {
            label: match ir.decision {
                Decision::Adopted | Decision::AdoptedBySilence if is_late(ir) => "late",
                Decision::Adopted | Decision::AdoptedBySilence => "adopted",
                Decision::Reverted => "blocked",
                Decision::PackageFailed => "package-failed",
                Decision::AdHoc => "ad-hoc",
                Decision::Suspended => "suspended",
                Decision::Provisional => "provisional",
                Decision::OutOfScope => "out-of-scope",
                // Skipped by `last_result`.
                Decision::Settled => "settled",
            },
            outcome: ir.outcome,
            in_force: ir.in_force,
        },
    }
}

/// Whether an observation matches a line of the table. The range bounds the policy in
/// force for `in-force` lines and the outcome decided for the others.
pub fn matches(line: &HistoricalOutcome, o: &Observed) -> bool {
    let level = if line.expected == Expected::InForce {
        o.in_force
    } else {
        o.outcome
    };
    let in_range = line
        .range
        .is_none_or(|[lo, hi]| level.is_some_and(|x| x >= lo - 1e-9 && x <= hi + 1e-9));
    let kind = match line.expected {
        Expected::Adopted => matches!(o.label, "adopted" | "late"),
        Expected::Late => o.label == "late",
        Expected::Blocked => matches!(
            o.label,
            "blocked" | "package-failed" | "ad-hoc" | "suspended"
        ),
        Expected::Provisional => o.label == "provisional",
        Expected::InForce => true,
    };
    kind && in_range
}

/// The score of one item over all seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    /// Item id.
    pub item: String,
    /// What happened historically.
    pub expected: Expected,
    /// Range constraint, if any.
    pub range: Option<[f64; 2]>,
    /// Seeds whose record matches.
    pub hits: u32,
    /// Seeds run.
    pub runs: u32,
    /// hits / runs.
    pub hit_rate: f64,
    /// How the seeds ended, by label.
    pub observed: BTreeMap<String, u32>,
    /// Mean policy in force afterwards (over the seeds that have one).
    pub mean_in_force: Option<f64>,
    /// Date of the historical event.
    pub date: Option<String>,
    /// Source of the line.
    pub source: String,
}

/// The result of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryReport {
    /// Experiment name.
    pub experiment: &'static str,
    /// Scenario id.
    pub scenario: String,
    /// Design id.
    pub design: String,
    /// Where the table came from.
    pub table: String,
    /// Session scored (0-based).
    pub session: u32,
    /// Real period.
    pub period: String,
    /// Strategy assignment used (`default=..,bloc=..,STATE=..`).
    pub strategies: String,
    /// Master seed.
    pub master_seed: u64,
    /// Match seeds.
    pub seeds: Vec<u64>,
    /// Share of (item, seed) pairs that match the table (= mean of the item rates).
    pub hit_rate: f64,
    /// The same over the lines that ask for a decision (all but `in-force`).
    pub hit_rate_decisions: f64,
    /// Seeds whose record matches every line of the table.
    pub complete_matches: u32,
    /// Per item, in table order.
    pub items: Vec<ItemScore>,
}

/// Scores `results` (one per seed, in seed order) against `table`.
#[allow(clippy::too_many_arguments)]
pub fn score(
    table: &HistoryTable,
    table_origin: &str,
    sc: &Scenario,
    design: &Design,
    strategies: &str,
    master_seed: u64,
    seeds: &[u64],
    results: &[MatchResult],
) -> HistoryReport {
    let session = table.history.session;
    let mut items = Vec::with_capacity(table.outcomes.len());
    let mut complete = vec![true; results.len()];
    for line in &table.outcomes {
        let mut observed: BTreeMap<String, u32> = BTreeMap::new();
        let mut hits = 0u32;
        let (mut sum, mut with) = (0.0, 0u32);
        for (k, r) in results.iter().enumerate() {
            let o = observe(r, sc, &line.item, session);
            *observed.entry(o.label.to_string()).or_default() += 1;
            if let Some(x) = o.in_force {
                sum += x;
                with += 1;
            }
            if matches(line, &o) {
                hits += 1;
            } else {
                complete[k] = false;
            }
        }
        let runs = results.len() as u32;
        items.push(ItemScore {
            item: line.item.clone(),
            expected: line.expected,
            range: line.range,
            hits,
            runs,
            hit_rate: rate(hits, runs),
            observed,
            mean_in_force: (with > 0).then(|| sum / f64::from(with)),
            date: line.date.clone(),
            source: line.source.clone(),
        });
    }
    let total = |keep: &dyn Fn(&ItemScore) -> bool| {
        let (h, n) = items
            .iter()
            .filter(|i| keep(i))
            .fold((0u32, 0u32), |(h, n), i| (h + i.hits, n + i.runs));
        rate(h, n)
    };
    HistoryReport {
        experiment: "history",
        scenario: sc.id.clone(),
        design: design.design.id.clone(),
        table: table_origin.to_string(),
        session,
        period: table.history.period.clone(),
        strategies: strategies.to_string(),
        master_seed,
        seeds: seeds.to_vec(),
        hit_rate: total(&|_| true),
        hit_rate_decisions: total(&|i| i.expected != Expected::InForce),
        complete_matches: complete.iter().filter(|c| **c).count() as u32,
        items,
    }
}

fn rate(hits: u32, runs: u32) -> f64 {
    if runs == 0 {
        0.0
    } else {
        f64::from(hits) / f64::from(runs)
    }
}

/// The match seeds of the experiment: `derive(master, ["history", scenario, "r<i>"])`.
pub fn seeds(master: u64, scenario: &str, n: u32) -> Vec<u64> {
    (0..n)
        .map(|i| derive(master, &["history", scenario, &format!("r{i}")]))
        .collect()
}

/// Runs the scenario under `design` with `strategies` (one name per seat) once per
/// seed, in parallel, and returns the results in seed order.
pub fn run(
    scenario: Arc<Scenario>,
    design: Arc<Design>,
    strategies: &[String],
    seeds: &[u64],
    make: Arc<StrategyMaker>,
    threads: Option<usize>,
) -> Result<Vec<MatchResult>, ExecError> {
    let mut catalog = Catalog::default();
    catalog
        .scenarios
        .insert(scenario.id.clone(), Arc::clone(&scenario));
    catalog
        .designs
        .insert(design.design.id.clone(), Arc::clone(&design));
    let specs: Vec<MatchSpec> = seeds
        .iter()
        .enumerate()
        .map(|(i, &seed)| MatchSpec {
            index: i as u64,
            format: "history".into(),
            scenario: scenario.id.clone(),
            design: design.design.id.clone(),
            replication: i as u32,
            key: vec!["history".into(), scenario.id.clone(), format!("r{i}")],
            match_id: format!("history:{}:{}:r{i}", scenario.id, design.design.id),
            seed,
            role: Role::Population,
            strategies: strategies.to_vec(),
        })
        .collect();
    let mut exec = InProcess::new(Arc::new(catalog), make);
    if let Some(t) = threads {
        exec = exec.with_threads(t);
    }
    let mut out: Vec<Option<MatchResult>> = vec![None; specs.len()];
    run_parallel::<ExecError>(
        &specs,
        &exec,
        exec.parallelism(),
        &AtomicBool::new(false),
        |spec, r| {
            out[spec.index as usize] = Some(r);
            Ok(())
        },
    )?;
    Ok(out.into_iter().flatten().collect())
}

/// The report as a text table with a reading guide.
pub fn text(r: &HistoryReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nHistorical check: {} under design {} against {} ({}, end of session {}), {} seeds",
        r.scenario,
        r.design,
        r.period,
        r.table,
        r.session + 1,
        r.seeds.len()
    );
    let _ = writeln!(
        o,
        "  {:<28} {:<16} {:>6}  observed over the seeds",
        "item", "historical", "hits"
    );
    for i in &r.items {
        let expected = match i.range {
            Some([lo, hi]) => format!("{} {lo:.0}-{hi:.0}", i.expected.as_str()),
            None => i.expected.as_str().to_string(),
        };
        let observed = i
            .observed
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            o,
            "  {:<28} {:<16} {:>5.0}%  {} (in force after: mean {})",
            i.item,
            expected,
            i.hit_rate * 100.0,
            observed,
            i.mean_in_force
                .map_or_else(|| "none".to_string(), |x| format!("{x:.1}"))
        );
    }
    let _ = writeln!(
        o,
        "  overall hit rate {:.3} ({:.3} over the {} lines that ask for a decision); {} of {} seeds match every line",
        r.hit_rate,
        r.hit_rate_decisions,
        r.items
            .iter()
            .filter(|i| i.expected != Expected::InForce)
            .count(),
        r.complete_matches,
        r.seeds.len()
    );
    o.push_str(
        "\nHow to read: each seed redraws every State's private preferences around the scenario's\n\
         profiles and plays the scenario's default strategy mix under its default design; the\n\
         engine's rules and the strategies decide every item. Only afterwards is each item's\n\
         record at the end of the session compared with what the organisation actually did\n\
         (the table names a source per line). `late` = agreed only after the first round;\n\
         `in-force` = the policy stayed within the range (e.g. a head of institution in office).\n\
         A hit rate is the share of seeds that match; it measures how well the calibrated\n\
         preferences and strategies reproduce the year, not a forecast.\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
[history]
scenario = "x"
session = 0
period = "2021"

[[outcomes]]
item = "a"
expected = "adopted"
range = [40.0, 60.0]
source = "test"

[[outcomes]]
item = "b"
expected = "in-force"
range = [30.0, 100.0]
source = "test"
"#;

    #[test]
    fn parses_and_rejects_bad_lines() {
        let t = HistoryTable::parse("t", TABLE).unwrap();
        assert_eq!(t.outcomes.len(), 2);
        assert_eq!(t.outcomes[1].expected, Expected::InForce);

        let dup = TABLE.replace("item = \"b\"", "item = \"a\"");
        let e = HistoryTable::parse("t", &dup).unwrap_err().to_string();
        assert!(
            e.contains("outcomes[1].item") && e.contains("second line"),
            "{e}"
        );

        let no_range = TABLE.replace("range = [30.0, 100.0]\n", "");
        let e = HistoryTable::parse("t", &no_range).unwrap_err().to_string();
        assert!(e.contains("outcomes[1].range"), "{e}");

        let inverted = TABLE.replace("[40.0, 60.0]", "[60.0, 40.0]");
        let e = HistoryTable::parse("t", &inverted).unwrap_err().to_string();
        assert!(e.contains("outcomes[0].range"), "{e}");

        let unknown = TABLE.replace("expected = \"adopted\"", "expected = \"won\"");
        let e = HistoryTable::parse("t", &unknown).unwrap_err().to_string();
        assert!(e.contains("outcomes[0].expected"), "{e}");

        let no_source = TABLE.replacen("source = \"test\"", "source = \" \"", 1);
        let e = HistoryTable::parse("t", &no_source)
            .unwrap_err()
            .to_string();
        assert!(e.contains("outcomes[0].source"), "{e}");
    }

    fn line(expected: Expected, range: Option<[f64; 2]>) -> HistoricalOutcome {
        HistoricalOutcome {
            item: "a".into(),
            expected,
            range,
            date: None,
            source: "test".into(),
            note: None,
        }
    }

    fn obs(label: &'static str, outcome: f64) -> Observed {
        Observed {
            label,
            outcome: Some(outcome),
            in_force: Some(outcome),
        }
    }

    #[test]
    fn matching_rules() {
        let adopted = line(Expected::Adopted, Some([40.0, 60.0]));
        assert!(matches(&adopted, &obs("adopted", 50.0)));
        assert!(matches(&adopted, &obs("late", 60.0)));
        assert!(!matches(&adopted, &obs("adopted", 70.0)), "out of range");
        assert!(!matches(&adopted, &obs("blocked", 50.0)));

        let late = line(Expected::Late, None);
        assert!(matches(&late, &obs("late", 10.0)));
        assert!(
            !matches(&late, &obs("adopted", 10.0)),
            "first-round adoption"
        );

        let blocked = line(Expected::Blocked, None);
        for l in ["blocked", "package-failed", "ad-hoc", "suspended"] {
            assert!(matches(&blocked, &obs(l, 0.0)), "{l}");
        }
        assert!(!matches(&blocked, &obs("provisional", 50.0)));
        assert!(!matches(&blocked, &obs("not-opened", 50.0)));

        let provisional = line(Expected::Provisional, None);
        assert!(matches(&provisional, &obs("provisional", 50.0)));
        assert!(!matches(&provisional, &obs("blocked", 50.0)));

        let in_force = line(Expected::InForce, Some([30.0, 100.0]));
        assert!(matches(&in_force, &obs("not-opened", 50.0)));
        assert!(matches(&in_force, &obs("blocked", 50.0)));
        assert!(!matches(&in_force, &obs("adopted", 10.0)));
        let none = Observed {
            label: "not-opened",
            outcome: None,
            in_force: None,
        };
        assert!(!matches(&in_force, &none), "no policy is not in range");
        // The range of an `in-force` line bounds the policy in force, not the outcome
        // voted (partial compliance, ad hoc arrangements).
        let partial = Observed {
            label: "adopted",
            outcome: Some(90.0),
            in_force: Some(35.0),
        };
        assert!(matches(&in_force, &partial));
        assert!(!matches(
            &line(Expected::Adopted, Some([40.0, 60.0])),
            &partial
        ));
    }
}
