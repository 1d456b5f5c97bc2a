//! Summaries recomputed by streaming `DIR/matches.jsonl`: memory is constant in the
//! number of matches (one [`Acc`] per key), and the result does not depend on the order
//! of the records, so serial, parallel, resumed and merged shard runs give the same
//! files byte for byte.
//!
//! What is scored, by format:
//! - `rotation`: the focal seat's utility gain over the status quo;
//! - `bloc-vs-bloc`: each side's mean gain per State (A = first bloc, B = second);
//! - `invasion`: the invader's gain minus the mean gain of the residents in the same
//!   match (positive = the invader does better than the natives);
//! - `evolutionary`, `population`: per match, each strategy's mean gain over its seats.

use crate::config::Config;
use crate::output::{self, OutputError, Record};
use crate::plan::Role;
use crate::stats::{Acc, Stat, next_shares};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Institution metrics reported per design, in this order.
pub const METRICS: [&str; 10] = [
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
];

/// Format order in reports.
pub const FORMATS: [&str; 5] = [
    "rotation",
    "bloc-vs-bloc",
    "invasion",
    "population",
    "evolutionary",
];

fn metric_values(r: &Record) -> [f64; 10] {
    let s = &r.summary;
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
    ]
}

/// A strategy's score in one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankRow {
    /// Format.
    pub format: String,
    /// Grouping: `all`, `design`, `class`, `side`, `resident`, `scenario`.
    pub by: String,
    /// Group value (empty for `all`).
    pub group: String,
    /// Rank within (format, by, group) by mean, 1 = best.
    pub rank: u32,
    /// Strategy.
    pub strategy: String,
    /// Gain statistics.
    pub gain: Stat,
}

/// One institution metric of one design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct H2hRow {
    /// Design (or `all`).
    pub design: String,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensionRow {
    /// Design.
    pub design: String,
    /// Step (0 = start of the match; then one per finished item).
    pub step: u32,
    /// Highest bloc-pair tension after the step.
    pub tension: Stat,
}

/// Everything the summary files hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Records read.
    pub matches: u64,
    /// Configuration fingerprint.
    pub tournament: String,
    /// Master seed.
    pub seed: u64,
    /// Formats present, in report order.
    pub formats: Vec<String>,
    /// Strategy scores.
    pub rankings: Vec<RankRow>,
    /// Institution metrics per design.
    pub designs: Vec<DesignRow>,
    /// Head-to-head table.
    pub head_to_head: Vec<H2hRow>,
    /// Evolutionary shares and payoffs.
    pub evolution: Vec<EvoRow>,
    /// Tension over a match, per design.
    pub tension: Vec<TensionRow>,
}

#[derive(Default)]
struct H2hAcc {
    a: Acc,
    b: Acc,
    cap: Acc,
    leg: Acc,
    ten: Acc,
}

#[derive(Default)]
struct Accs {
    n: u64,
    formats: BTreeMap<String, ()>,
    rank: BTreeMap<(String, String, String, String), Acc>,
    designs: BTreeMap<(String, String), [Acc; 10]>,
    h2h: BTreeMap<(String, String, String), H2hAcc>,
    evo: BTreeMap<(String, String, u32, String), (f64, Acc)>,
    tension: BTreeMap<(String, u32), Acc>,
}

impl Accs {
    fn rank(&mut self, format: &str, by: &str, group: &str, strategy: &str, x: f64) {
        self.rank
            .entry((format.into(), by.into(), group.into(), strategy.into()))
            .or_default()
            .add(x);
    }

    fn add(&mut self, r: &Record, strategies: &[String]) {
        self.n += 1;
        let f = r.format.as_str();
        self.formats.insert(f.into(), ());
        let m = metric_values(r);
        for key in [
            (f.to_string(), r.design.clone()),
            ("all".to_string(), r.design.clone()),
        ] {
            let e = self
                .designs
                .entry(key)
                .or_insert_with(|| [Acc::default(); 10]);
            for (acc, x) in e.iter_mut().zip(m) {
                acc.add(x);
            }
        }
        for (step, &t) in r.tension.iter().enumerate() {
            self.tension
                .entry((r.design.clone(), step as u32))
                .or_default()
                .add(t);
        }
        let mean_of = |pred: &dyn Fn(&output::StateRecord) -> bool| {
            let v: Vec<f64> = r
                .states
                .iter()
                .filter(|s| pred(s))
                .map(|s| s.gain)
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        match &r.role {
            Role::Rotation {
                strategy,
                class,
                seat,
            } => {
                if let Some(s) = r.states.iter().find(|s| s.id == *seat) {
                    self.rank(f, "all", "", strategy, s.gain);
                    self.rank(f, "design", &r.design, strategy, s.gain);
                    self.rank(f, "class", class, strategy, s.gain);
                    self.rank(f, "scenario", &r.scenario, strategy, s.gain);
                    // Relative to the other seats of its class in the same match: removes
                    // what the design, the draw and the class do to everyone's gains.
                    if let Some(others) = mean_of(&|o| o.class == *class && o.id != *seat) {
                        self.rank(f, "relative", "", strategy, s.gain - others);
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
                let ga = mean_of(&|s| s.bloc == *bloc_a);
                let gb = mean_of(&|s| s.bloc == *bloc_b);
                if let Some(x) = ga {
                    self.rank(f, "all", "", a, x);
                    self.rank(f, "side", "A", a, x);
                    self.rank(f, "design", &r.design, a, x);
                }
                if let Some(x) = gb {
                    self.rank(f, "all", "", b, x);
                    self.rank(f, "side", "B", b, x);
                    self.rank(f, "design", &r.design, b, x);
                }
                for d in [r.design.as_str(), "all"] {
                    let e = self
                        .h2h
                        .entry((d.into(), a.clone(), b.clone()))
                        .or_default();
                    ga.into_iter().for_each(|x| e.a.add(x));
                    gb.into_iter().for_each(|x| e.b.add(x));
                    e.cap.add(r.summary.capacity_to_act);
                    e.leg.add(r.summary.legitimacy_mean);
                    e.ten.add(r.summary.tension_peak);
                }
            }
            Role::Invasion {
                invader,
                resident,
                seat,
            } => {
                let inv = r.states.iter().find(|s| s.id == *seat).map(|s| s.gain);
                let res = mean_of(&|s| s.id != *seat);
                if let (Some(i), Some(x)) = (inv, res) {
                    let adv = i - x;
                    self.rank(f, "all", "", invader, adv);
                    self.rank(f, "design", &r.design, invader, adv);
                    self.rank(f, "resident", resident, invader, adv);
                }
            }
            Role::Evolutionary { generation, shares } => {
                let by = r.gains_by_strategy();
                for (j, name) in strategies.iter().enumerate() {
                    let e = self
                        .evo
                        .entry((
                            r.scenario.clone(),
                            r.design.clone(),
                            *generation,
                            name.clone(),
                        ))
                        .or_insert((shares.get(j).copied().unwrap_or(0.0), Acc::default()));
                    if let Some((g, _)) = by.get(name.as_str()) {
                        e.1.add(*g);
                    }
                }
                for (name, (g, _)) in by {
                    self.rank(f, "all", "", name, g);
                    self.rank(f, "design", &r.design, name, g);
                }
            }
            Role::Population => {
                for (name, (g, _)) in r.gains_by_strategy() {
                    self.rank(f, "all", "", name, g);
                    self.rank(f, "design", &r.design, name, g);
                }
                let mut by_class: BTreeMap<(&str, &str), (f64, u32)> = BTreeMap::new();
                for s in &r.states {
                    let e = by_class
                        .entry((s.strategy.as_str(), s.class.as_str()))
                        .or_default();
                    e.0 += s.gain;
                    e.1 += 1;
                }
                for ((name, class), (sum, n)) in by_class {
                    self.rank(f, "class", class, name, sum / f64::from(n));
                }
            }
        }
    }

    fn finish(self, cfg: &Config) -> Summary {
        let mut rankings: Vec<RankRow> = self
            .rank
            .into_iter()
            .map(|((format, by, group, strategy), acc)| RankRow {
                format,
                by,
                group,
                rank: 0,
                strategy,
                gain: acc.stat(),
            })
            .collect();
        rankings.sort_by(|x, y| {
            let fx = FORMATS.iter().position(|f| *f == x.format);
            let fy = FORMATS.iter().position(|f| *f == y.format);
            fx.cmp(&fy)
                .then_with(|| (x.by != "all").cmp(&(y.by != "all")))
                .then_with(|| x.by.cmp(&y.by))
                .then_with(|| x.group.cmp(&y.group))
                .then_with(|| {
                    y.gain
                        .mean
                        .unwrap_or(f64::NEG_INFINITY)
                        .total_cmp(&x.gain.mean.unwrap_or(f64::NEG_INFINITY))
                })
                .then_with(|| x.strategy.cmp(&y.strategy))
        });
        let mut prev: Option<(String, String, String)> = None;
        let mut k = 0;
        for row in &mut rankings {
            let key = (row.format.clone(), row.by.clone(), row.group.clone());
            if prev.as_ref() != Some(&key) {
                k = 0;
                prev = Some(key);
            }
            k += 1;
            row.rank = k;
        }
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
        let head_to_head = self
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
            matches: self.n,
            tournament: cfg.fingerprint(),
            seed: cfg.seed,
            formats: FORMATS
                .iter()
                .filter(|f| self.formats.contains_key(**f))
                .map(|f| f.to_string())
                .collect(),
            rankings,
            designs,
            head_to_head,
            evolution,
            tension,
        }
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
    Ok(accs.finish(&cfg))
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

/// `rankings.csv`.
pub fn rankings_csv(s: &Summary) -> String {
    let mut out = String::from("format,by,group,rank,strategy,n,mean,sd,ci_low,ci_high\n");
    for r in &s.rankings {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            r.format,
            r.by,
            r.group,
            r.rank,
            r.strategy,
            stat_cols(&r.gain)
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
            r.design,
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
pub const SUMMARY_FILES: [&str; 6] = [
    "summary.json",
    "rankings.csv",
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
/// and the institution metrics per design.
pub fn text_tables(s: &Summary) -> String {
    let mut out = String::new();
    for f in &s.formats {
        let what = match f.as_str() {
            "rotation" => "focal seat's gain over the status quo",
            "bloc-vs-bloc" => "mean gain per State of the side the strategy played",
            "invasion" => "invader's gain minus the residents' mean gain",
            _ => "mean gain per seat over the status quo",
        };
        let _ = writeln!(out, "\n{f}: strategies ranked by {what} (mean, 95% CI)");
        let _ = writeln!(
            out,
            "  {:>4}  {:<18} {:>6}  {:>8}  {:>20}",
            "rank", "strategy", "n", "mean", "95% CI"
        );
        for r in s
            .rankings
            .iter()
            .filter(|r| r.format == *f && r.by == "all")
        {
            let _ = writeln!(
                out,
                "  {:>4}  {:<18} {:>6}  {}",
                r.rank,
                r.strategy,
                r.gain.n,
                ci(&r.gain, 3)
            );
        }
        if f == "rotation" {
            let _ = writeln!(
                out,
                "\nrotation: focal seat's gain minus the mean gain of the other seats of its class in the match"
            );
            for r in s
                .rankings
                .iter()
                .filter(|r| r.format == *f && r.by == "relative")
            {
                let _ = writeln!(
                    out,
                    "  {:>4}  {:<18} {:>6}  {}",
                    r.rank,
                    r.strategy,
                    r.gain.n,
                    ci(&r.gain, 3)
                );
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
    out
}

/// Summarizes `dir` and writes the summary files; returns the summary.
pub fn summarize_into(dir: &Path) -> Result<Summary, OutputError> {
    let s = summarize(dir)?;
    write_files(dir, &s)?;
    Ok(s)
}
