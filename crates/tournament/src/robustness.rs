//! The design experiment's figures and its robustness check.
//!
//! [`Figures`] are what `plenary experiment designs` reports per match beyond the
//! tournament summary: welfare, ad hoc arrangements and decisions by dimension.
//! [`Recorder`] wraps an [`Executor`] and keeps the figures of every match it runs, so
//! the experiment's tables come from the very matches written to its output directory.
//!
//! The robustness check asks which of the experiment's *claims* (the paper's ordering
//! of the designs: Path 1 acts most, Path 2 is the most legitimate, ...) survive when
//! the key parameters change: the Executive Council's veto, the ad hoc threshold,
//! naming and shaming, the dynamics values and the strategy mix. Each [`VARIANTS`]
//! entry changes one of them; every variant plays the same matches (the same seeds,
//! hence the same private preferences, per design and replication), so differences
//! between variants come from the change alone. A claim *holds* in a variant when every
//! difference it asserts has the stated sign and a 95% Welch interval that excludes
//! zero; otherwise it *fails*.

use crate::exec::{ExecError, Executor, InProcess, StrategyMaker, run_parallel};
use crate::plan::{Catalog, MatchSpec, Role};
use crate::stats::{Acc, Stat, t_quantile};
use plenary_core::design::{Design, Dynamics};
use plenary_core::metrics::MatchResult;
use plenary_core::rng::{Stream, derive};
use plenary_core::strategy::Decision;
use plenary_core::{Dimension, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Per-match figures of the design experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    /// Share of in-scope items decided (mean over sessions).
    pub capacity_to_act: f64,
    /// Final mean legitimacy.
    pub legitimacy_mean: f64,
    /// Final minimum legitimacy.
    pub legitimacy_min: f64,
    /// Share of States still taking part at the end.
    pub inclusiveness: f64,
    /// Peak tension.
    pub tension_peak: f64,
    /// Highest bloc-pair tension at the end.
    pub tension_final: f64,
    /// Welfare gain over the match.
    pub welfare_gain: f64,
    /// Items that ended in an ad hoc arrangement, over the match.
    pub ad_hoc: f64,
    /// Items decided over the match, per dimension (order of [`Dimension::ALL`]).
    pub decided: [f64; 4],
}

impl Figures {
    /// The figures of one match.
    pub fn of(r: &MatchResult) -> Figures {
        let mut decided = [0.0; 4];
        let mut ad_hoc = 0.0;
        for it in r.sessions.iter().flat_map(|s| s.items.iter()) {
            if it.decided {
                decided[it.dimension.index()] += 1.0;
            }
            if it.decision == Decision::AdHoc {
                ad_hoc += 1.0;
            }
        }
        let s = &r.summary;
        Figures {
            capacity_to_act: s.capacity_to_act,
            legitimacy_mean: s.legitimacy_mean,
            legitimacy_min: s.legitimacy_min,
            inclusiveness: s.inclusiveness,
            tension_peak: s.tension_peak,
            tension_final: s.tension_final,
            welfare_gain: s.welfare_gain,
            ad_hoc,
            decided,
        }
    }

    /// The value of a metric.
    pub fn get(&self, m: Metric) -> f64 {
        match m {
            Metric::CapacityToAct => self.capacity_to_act,
            Metric::LegitimacyMean => self.legitimacy_mean,
            Metric::LegitimacyMin => self.legitimacy_min,
            Metric::Inclusiveness => self.inclusiveness,
            Metric::TensionPeak => self.tension_peak,
            Metric::TensionFinal => self.tension_final,
            Metric::WelfareGain => self.welfare_gain,
            Metric::AdHoc => self.ad_hoc,
            Metric::Decided(d) => self.decided[d.index()],
        }
    }
}

/// The metrics the experiment reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Capacity to act.
    CapacityToAct,
    /// Mean legitimacy.
    LegitimacyMean,
    /// Minimum legitimacy.
    LegitimacyMin,
    /// Inclusiveness.
    Inclusiveness,
    /// Peak tension.
    TensionPeak,
    /// Final tension.
    TensionFinal,
    /// Welfare gain.
    WelfareGain,
    /// Ad hoc arrangements per match.
    AdHoc,
    /// Items decided per match in one dimension.
    Decided(Dimension),
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 12] = [
        Metric::CapacityToAct,
        Metric::LegitimacyMean,
        Metric::LegitimacyMin,
        Metric::Inclusiveness,
        Metric::TensionPeak,
        Metric::TensionFinal,
        Metric::WelfareGain,
        Metric::AdHoc,
        Metric::Decided(Dimension::PoliticoMilitary),
        Metric::Decided(Dimension::EconomicEnvironmental),
        Metric::Decided(Dimension::Human),
        Metric::Decided(Dimension::General),
    ];

    /// Machine name (JSON keys).
    pub fn key(self) -> &'static str {
        match self {
            Metric::CapacityToAct => "capacity_to_act",
            Metric::LegitimacyMean => "legitimacy_mean",
            Metric::LegitimacyMin => "legitimacy_min",
            Metric::Inclusiveness => "inclusiveness",
            Metric::TensionPeak => "tension_peak",
            Metric::TensionFinal => "tension_final",
            Metric::WelfareGain => "welfare_gain",
            Metric::AdHoc => "ad_hoc_arrangements",
            Metric::Decided(Dimension::PoliticoMilitary) => "decided_politico_military",
            Metric::Decided(Dimension::EconomicEnvironmental) => "decided_economic_environmental",
            Metric::Decided(Dimension::Human) => "decided_human",
            Metric::Decided(Dimension::General) => "decided_general",
        }
    }

    /// Label in text tables.
    pub fn label(self) -> &'static str {
        match self {
            Metric::CapacityToAct => "capacity to act",
            Metric::LegitimacyMean => "legitimacy mean",
            Metric::LegitimacyMin => "legitimacy min",
            Metric::Inclusiveness => "inclusiveness",
            Metric::TensionPeak => "tension peak",
            Metric::TensionFinal => "tension final",
            Metric::WelfareGain => "welfare gain",
            Metric::AdHoc => "ad hoc arrangements",
            Metric::Decided(Dimension::PoliticoMilitary) => "decided: pol-mil",
            Metric::Decided(Dimension::EconomicEnvironmental) => "decided: econ-env",
            Metric::Decided(Dimension::Human) => "decided: human",
            Metric::Decided(Dimension::General) => "decided: general",
        }
    }
}

/// An [`Executor`] that keeps the [`Figures`] of every match it runs, by match index.
pub struct Recorder<'a> {
    inner: &'a dyn Executor,
    seen: Mutex<BTreeMap<u64, Figures>>,
}

impl<'a> Recorder<'a> {
    /// Records the matches `inner` runs.
    pub fn new(inner: &'a dyn Executor) -> Self {
        Recorder {
            inner,
            seen: Mutex::new(BTreeMap::new()),
        }
    }

    /// The figures recorded so far.
    pub fn take(&self) -> BTreeMap<u64, Figures> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Executor for Recorder<'_> {
    fn run(&self, spec: &MatchSpec) -> Result<MatchResult, ExecError> {
        let r = self.inner.run(spec)?;
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec.index, Figures::of(&r));
        Ok(r)
    }

    fn parallelism(&self) -> usize {
        self.inner.parallelism()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

/// Mean and 95% interval of every metric per design, from per-match figures.
pub fn by_design<'a>(
    figures: impl IntoIterator<Item = (&'a str, &'a Figures)>,
) -> BTreeMap<String, BTreeMap<Metric, Acc>> {
    let mut out: BTreeMap<String, BTreeMap<Metric, Acc>> = BTreeMap::new();
    for (design, f) in figures {
        let accs = out.entry(design.to_string()).or_default();
        for m in Metric::ALL {
            accs.entry(m).or_default().add(f.get(m));
        }
    }
    out
}

/// One change of the key parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Short id (table column).
    pub id: &'static str,
    /// What it changes.
    pub what: &'static str,
}

/// The variants of the robustness check, baseline first.
pub const VARIANTS: [Variant; 11] = [
    Variant {
        id: "baseline",
        what: "the design presets as shipped; every seat's strategy drawn from the population",
    },
    Variant {
        id: "veto",
        what: "permanent members of every council (Path 1's Executive Council) hold a veto",
    },
    Variant {
        id: "adhoc-0",
        what: "no ad hoc arrangements (ad_hoc_min = 0 everywhere)",
    },
    Variant {
        id: "adhoc-29",
        what: "ad hoc arrangements need a majority of the 57 (ad_hoc_min = 29 where they exist)",
    },
    Variant {
        id: "shame-off",
        what: "no naming and shaming in any design",
    },
    Variant {
        id: "shame-on",
        what: "naming and shaming in every design (Path 2 included)",
    },
    Variant {
        id: "dyn-same",
        what: "every design gets the osce-2021 dynamics values (no per-design tuning)",
    },
    Variant {
        id: "dyn-half",
        what: "legitimacy and tension steps halved in every design",
    },
    Variant {
        id: "dyn-double",
        what: "legitimacy and tension steps doubled in every design",
    },
    Variant {
        id: "mix-default",
        what: "every seat plays the scenario's default strategy mix",
    },
    Variant {
        id: "mix-dissoc",
        what: "every seat plays dissociator",
    },
];

/// The design of `base` under variant `v` (`reference` supplies the dynamics of
/// `dyn-same`).
pub fn apply(v: &str, base: &Design, reference: &Dynamics) -> Design {
    let mut d = base.clone();
    let scale = |d: &mut Design, k: f64| {
        let y = &mut d.dynamics;
        for x in [
            &mut y.outvoted,
            &mut y.distance,
            &mut y.gain,
            &mut y.shamed,
            &mut y.tension_linkage,
            &mut y.tension_block,
            &mut y.tension_shaming,
            &mut y.tension_exit,
            &mut y.tension_agreement,
        ] {
            *x = (*x * k).min(1.0);
        }
    };
    match v {
        "veto" => {
            for b in &mut d.bodies {
                if !b.members.permanent.is_empty() {
                    b.members.permanent_veto = true;
                }
            }
        }
        "adhoc-0" => d.procedure.ad_hoc_min = 0,
        "adhoc-29" if d.procedure.ad_hoc_min > 0 => d.procedure.ad_hoc_min = 29,
        "shame-off" => d.procedure.naming_shaming = false,
        "shame-on" => d.procedure.naming_shaming = true,
        "dyn-same" => d.dynamics = reference.clone(),
        "dyn-half" => scale(&mut d, 0.5),
        "dyn-double" => scale(&mut d, 2.0),
        _ => {}
    }
    d
}

/// A claim of the experiment: `higher` beats each of `lower` on `metric`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim {
    /// Short id (`C1`).
    pub id: &'static str,
    /// What it says.
    pub text: &'static str,
    /// The metric compared.
    pub metric: Metric,
    /// The design said to be higher.
    pub higher: &'static str,
    /// The designs said to be lower.
    pub lower: &'static [&'static str],
}

/// The claims checked, after the paper's ordering of the designs (Dembinski & Spanger
/// 2021: Path 1 trades legitimacy for capacity to act, Path 2 the reverse; the status
/// quo is "a stage for confrontation").
pub const CLAIMS: [Claim; 7] = [
    Claim {
        id: "C1",
        text: "Path 1 (upgraded) acts most: higher capacity to act than the status quo and Path 2",
        metric: Metric::CapacityToAct,
        higher: "path1-upgraded",
        lower: &["osce-2021", "path2-conference"],
    },
    Claim {
        id: "C2",
        text: "the status quo acts more than Path 2 (the conference only acts ad hoc)",
        metric: Metric::CapacityToAct,
        higher: "osce-2021",
        lower: &["path2-conference"],
    },
    Claim {
        id: "C3",
        text: "Path 2 (conference) is the most legitimate: higher mean legitimacy than the others",
        metric: Metric::LegitimacyMean,
        higher: "path2-conference",
        lower: &["osce-2021", "path1-upgraded"],
    },
    Claim {
        id: "C4",
        text: "Path 1 costs legitimacy among some States: lower minimum legitimacy than Path 2",
        metric: Metric::LegitimacyMin,
        higher: "path2-conference",
        lower: &["path1-upgraded"],
    },
    Claim {
        id: "C5",
        text: "the status quo is the most tense: higher peak tension than both paths",
        metric: Metric::TensionPeak,
        higher: "osce-2021",
        lower: &["path1-upgraded", "path2-conference"],
    },
    Claim {
        id: "C6",
        text: "Path 2 serves States better than the status quo: higher welfare gain",
        metric: Metric::WelfareGain,
        higher: "path2-conference",
        lower: &["osce-2021"],
    },
    Claim {
        id: "C7",
        text: "the status quo alienates its least satisfied State more than Path 1: lower minimum legitimacy",
        metric: Metric::LegitimacyMin,
        higher: "path1-upgraded",
        lower: &["osce-2021"],
    },
];

/// The designs the claims compare.
pub const CLAIM_DESIGNS: [&str; 3] = ["osce-2021", "path1-upgraded", "path2-conference"];

/// Difference `a - b` of two means with its 95% Welch interval.
pub fn difference(a: &Stat, b: &Stat) -> Option<(f64, f64, f64)> {
    let (ma, mb) = (a.mean?, b.mean?);
    let (sa, sb) = (a.sd.unwrap_or(0.0), b.sd.unwrap_or(0.0));
    let (na, nb) = (a.n as f64, b.n as f64);
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (sa * sa / na, sb * sb / nb);
    let se = (va + vb).sqrt();
    let d = ma - mb;
    if se == 0.0 {
        return Some((d, d, d));
    }
    // Welch-Satterthwaite degrees of freedom.
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = t_quantile(0.975, df.max(1.0));
    Some((d, d - t * se, d + t * se))
}

/// Whether a claim holds given each design's statistics of its metric.
pub fn holds(claim: &Claim, stat: &dyn Fn(&str) -> Option<Stat>) -> bool {
    let Some(hi) = stat(claim.higher) else {
        return false;
    };
    claim.lower.iter().all(|lo| {
        stat(lo)
            .and_then(|lo| difference(&hi, &lo))
            .is_some_and(|(_, low, _)| low > 0.0)
    })
}

/// One variant's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantResult {
    /// Variant id.
    pub id: String,
    /// What it changes.
    pub what: String,
    /// Matches per design.
    pub matches: u64,
    /// Per claim id: holds?
    pub claims: BTreeMap<String, bool>,
    /// Per design, per metric key: statistics.
    pub designs: BTreeMap<String, BTreeMap<String, Stat>>,
}

/// The robustness check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobustnessReport {
    /// Scenario id.
    pub scenario: String,
    /// Master seed.
    pub master_seed: u64,
    /// Matches per design per variant.
    pub replications: u32,
    /// Claims, by id: text.
    pub claims: BTreeMap<String, String>,
    /// Variants in table order.
    pub variants: Vec<VariantResult>,
}

/// What the check runs with.
pub struct Setup<'a> {
    /// Scenario.
    pub scenario: Arc<Scenario>,
    /// The designs compared, by id (at least those of [`CLAIM_DESIGNS`]).
    pub designs: Vec<Arc<Design>>,
    /// The dynamics every design gets in `dyn-same`.
    pub reference_dynamics: Dynamics,
    /// The population every seat is drawn from.
    pub population: &'a [String],
    /// The scenario's default strategy per seat (`mix-default`).
    pub default_mix: &'a [String],
    /// Master seed.
    pub seed: u64,
    /// Matches per design per variant.
    pub replications: u32,
    /// Strategy factory.
    pub make: Arc<StrategyMaker>,
    /// Worker threads.
    pub threads: Option<usize>,
}

/// Runs every variant and checks every claim.
pub fn run(setup: &Setup<'_>) -> Result<RobustnessReport, ExecError> {
    let sc = &setup.scenario;
    let n = sc.states.len();
    let mut catalog = Catalog::default();
    catalog.scenarios.insert(sc.id.clone(), Arc::clone(sc));
    let mut specs = Vec::new();
    for v in VARIANTS {
        for d in &setup.designs {
            let name = format!("{}@{}", d.design.id, v.id);
            catalog.designs.insert(
                name.clone(),
                Arc::new(apply(v.id, d, &setup.reference_dynamics)),
            );
            for r in 0..setup.replications {
                // The key leaves out the variant: every variant meets the same seeds.
                let key = vec![
                    "robustness".to_string(),
                    d.design.id.clone(),
                    sc.id.clone(),
                    format!("r{r}"),
                ];
                let labels: Vec<&str> = key.iter().map(String::as_str).collect();
                let seed = derive(setup.seed, &labels);
                let strategies: Vec<String> = match v.id {
                    "mix-default" => setup.default_mix.to_vec(),
                    "mix-dissoc" => vec!["dissociator".to_string(); n],
                    _ => {
                        let mut st = Stream::new(seed, &["population"]);
                        (0..n)
                            .map(|_| setup.population[st.below(setup.population.len())].clone())
                            .collect()
                    }
                };
                specs.push(MatchSpec {
                    index: specs.len() as u64,
                    format: "robustness".into(),
                    scenario: sc.id.clone(),
                    design: name.clone(),
                    replication: r,
                    match_id: format!("robustness/{}/{}/{}/r{r}", v.id, d.design.id, sc.id),
                    key,
                    seed,
                    role: Role::Population,
                    strategies,
                });
            }
        }
    }
    let mut exec = InProcess::new(Arc::new(catalog), Arc::clone(&setup.make));
    if let Some(t) = setup.threads {
        exec = exec.with_threads(t);
    }
    // (variant, design) -> metric -> accumulator; exact sums, so completion order
    // does not matter.
    let mut acc: BTreeMap<(String, String), BTreeMap<Metric, Acc>> = BTreeMap::new();
    run_parallel::<ExecError>(
        &specs,
        &exec,
        exec.parallelism(),
        &AtomicBool::new(false),
        |spec, r| {
            let (design, variant) = spec
                .design
                .split_once('@')
                .expect("variant designs are named design@variant");
            let f = Figures::of(&r);
            let e = acc
                .entry((variant.to_string(), design.to_string()))
                .or_default();
            for m in Metric::ALL {
                e.entry(m).or_default().add(f.get(m));
            }
            Ok(())
        },
    )?;
    let variants = VARIANTS
        .iter()
        .map(|v| {
            let stat = |design: &str, m: Metric| {
                acc.get(&(v.id.to_string(), design.to_string()))
                    .and_then(|a| a.get(&m))
                    .map(Acc::stat)
            };
            let claims = CLAIMS
                .iter()
                .map(|c| (c.id.to_string(), holds(c, &|d: &str| stat(d, c.metric))))
                .collect();
            let designs = setup
                .designs
                .iter()
                .map(|d| {
                    let id = d.design.id.as_str();
                    (
                        id.to_string(),
                        Metric::ALL
                            .iter()
                            .filter_map(|&m| stat(id, m).map(|s| (m.key().to_string(), s)))
                            .collect(),
                    )
                })
                .collect();
            VariantResult {
                id: v.id.to_string(),
                what: v.what.to_string(),
                matches: u64::from(setup.replications),
                claims,
                designs,
            }
        })
        .collect();
    Ok(RobustnessReport {
        scenario: sc.id.clone(),
        master_seed: setup.seed,
        replications: setup.replications,
        claims: CLAIMS
            .iter()
            .map(|c| (c.id.to_string(), c.text.to_string()))
            .collect(),
        variants,
    })
}

/// `mean [low, high]` of a statistic (three decimals, none from 100 up), `-` when there
/// is none.
pub fn cell(s: &Stat) -> String {
    // Large figures (welfare) get no decimals so every cell fits one column width.
    let p = if s.mean.is_some_and(|m| m.abs() >= 100.0) {
        0
    } else {
        3
    };
    match (s.mean, s.ci_low, s.ci_high) {
        (Some(m), Some(l), Some(h)) => format!("{m:.p$} [{l:.p$}, {h:.p$}]"),
        (Some(m), _, _) => format!("{m:.p$}"),
        _ => "-".into(),
    }
}

/// The table of claims x variants, with the claims spelled out.
pub fn text(r: &RobustnessReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nRobustness: which claims hold when the key parameters vary ({} matches per design and variant, same seeds in every variant)",
        r.replications
    );
    for c in CLAIMS {
        let _ = writeln!(o, "  {}  {}", c.id, c.text);
    }
    let _ = write!(o, "\n  {:<12}", "variant");
    for c in CLAIMS {
        let _ = write!(o, " {:>6}", c.id);
    }
    o.push_str("  what changes\n");
    for v in &r.variants {
        let _ = write!(o, "  {:<12}", v.id);
        for c in CLAIMS {
            let h = v.claims.get(c.id).copied().unwrap_or(false);
            let _ = write!(o, " {:>6}", if h { "holds" } else { "fails" });
        }
        let _ = writeln!(o, "  {}", v.what);
    }
    let robust: Vec<&str> = CLAIMS
        .iter()
        .filter(|c| r.variants.iter().all(|v| v.claims.get(c.id) == Some(&true)))
        .map(|c| c.id)
        .collect();
    let _ = writeln!(
        o,
        "\n  Claims that hold in every variant: {}",
        if robust.is_empty() {
            "none".to_string()
        } else {
            robust.join(", ")
        }
    );
    o.push_str(
        "\nHow to read: `holds` = every difference the claim asserts has the stated sign and its 95%\n\
         Welch interval excludes zero in that variant; `fails` = at least one does not (reversed or\n\
         not distinguishable at this number of matches). A claim that fails under one change rests\n\
         on that parameter rather than on the design itself.\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(values: &[f64]) -> Stat {
        let mut a = Acc::default();
        for &v in values {
            a.add(v);
        }
        a.stat()
    }

    #[test]
    fn welch_difference_hand_worked() {
        // a: mean 2, sd 1 (n 3); b: mean 0, sd 1 (n 3): se = sqrt(2/3), df = 4,
        // t(0.975, 4) = 2.776.
        let (d, lo, hi) = difference(&stat(&[1.0, 2.0, 3.0]), &stat(&[-1.0, 0.0, 1.0])).unwrap();
        assert!((d - 2.0).abs() < 1e-9);
        let half = 2.776_445 * (2.0f64 / 3.0).sqrt();
        assert!((lo - (2.0 - half)).abs() < 1e-3, "{lo}");
        assert!((hi - (2.0 + half)).abs() < 1e-3, "{hi}");
        assert!(difference(&stat(&[1.0]), &stat(&[0.0, 1.0])).is_none());
    }

    #[test]
    fn claims_need_every_difference_clear() {
        let claim = Claim {
            id: "X",
            text: "a beats b and c",
            metric: Metric::CapacityToAct,
            higher: "a",
            lower: &["b", "c"],
        };
        let high = stat(&[0.9, 1.0, 1.1, 1.0]);
        let low = stat(&[0.1, 0.0, 0.2, 0.1]);
        let close = stat(&[0.9, 1.1, 0.8, 1.2]);
        let pick = |b: Stat, c: Stat| {
            move |d: &str| match d {
                "a" => Some(high),
                "b" => Some(b),
                "c" => Some(c),
                _ => None,
            }
        };
        assert!(holds(&claim, &pick(low, low)));
        assert!(!holds(&claim, &pick(low, close)), "overlapping interval");
        assert!(!holds(&claim, &pick(high, low)), "equal means");
        assert!(!holds(&claim, &|d: &str| (d == "a").then_some(high)));
    }

    #[test]
    fn variants_change_what_they_say() {
        let d = plenary_scenarios::design("path1-upgraded").unwrap();
        let p2 = plenary_scenarios::design("path2-conference").unwrap();
        let reference = plenary_scenarios::design("osce-2021").unwrap().dynamics;
        assert!(
            apply("veto", &d, &reference)
                .bodies
                .iter()
                .any(|b| b.members.permanent_veto)
        );
        assert_eq!(apply("adhoc-0", &p2, &reference).procedure.ad_hoc_min, 0);
        assert_eq!(apply("adhoc-29", &p2, &reference).procedure.ad_hoc_min, 29);
        assert_eq!(apply("adhoc-29", &d, &reference).procedure.ad_hoc_min, 0);
        assert!(apply("shame-on", &p2, &reference).procedure.naming_shaming);
        assert_eq!(apply("dyn-same", &p2, &reference).dynamics, reference);
        let half = apply("dyn-half", &p2, &reference).dynamics;
        assert!((half.outvoted - p2.dynamics.outvoted / 2.0).abs() < 1e-12);
        assert_eq!(
            half.nonbinding_compliance,
            p2.dynamics.nonbinding_compliance
        );
        assert_eq!(apply("baseline", &p2, &reference), p2);
        assert_eq!(apply("mix-default", &p2, &reference), p2);
        for v in VARIANTS {
            assert!(!v.what.is_empty() && v.id.len() <= 12, "{}", v.id);
        }
    }
}
