//! From a configuration to the list of matches: every match gets a global index, a key
//! (the labels its seed derives from), a seed and a strategy per seat. Everything here
//! is a pure function of the configuration and the master seed, so any process that
//! plans the same configuration plans the same matches.
//!
//! See the crate docs for the sampling design of each format.

use crate::config::{Config, MAX_PLANNED_SEATS, check_neutral_blocs, key_error};
use crate::results::MAX_SEED;
use crate::stats::apportion;
use plenary_core::files::FileErrors;
use plenary_core::rng::{Stream, derive};
use plenary_core::{Design, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Seat class of a bloc leader (largest capability in its bloc, as the engine defines it).
pub const LEADER: &str = "leader";
/// Seat class of a non-leader in an aligned bloc.
pub const MEMBER: &str = "member";
/// Seat class of a non-leader in a neutral / non-aligned bloc.
pub const NEUTRAL: &str = "neutral";
/// Blocs whose non-leaders form the `neutral` seat class unless a configuration says
/// otherwise (`neutral_blocs`).
pub const NEUTRAL_BLOCS: [&str; 2] = ["non-aligned", "nn"];
/// Seat classes in report order.
pub const CLASSES: [&str; 3] = [LEADER, MEMBER, NEUTRAL];

/// What the strategies of a match are, by format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Role {
    /// One focal seat of `class` plays `strategy`; the others play the background.
    Rotation {
        /// Focal strategy.
        strategy: String,
        /// Seat class of the focal seat.
        class: String,
        /// Focal State id.
        seat: String,
    },
    /// The first bloc plays `a`, the second `b`, every other seat `c`.
    BlocVsBloc {
        /// Id of the first bloc (side A).
        bloc_a: String,
        /// Id of the second bloc (side B).
        bloc_b: String,
        /// Strategy of the first bloc (West / NATO).
        a: String,
        /// Strategy of the second bloc (East / CSTO / Warsaw Pact).
        b: String,
        /// Strategy of the other seats.
        c: String,
    },
    /// A generation of the ecological tournament.
    Evolutionary {
        /// Generation (0-based).
        generation: u32,
        /// Population shares of the configured strategies in this generation.
        shares: Vec<f64>,
    },
    /// One State (`seat`) plays `invader` among residents playing `resident`.
    Invasion {
        /// Invading strategy.
        invader: String,
        /// Resident strategy.
        resident: String,
        /// The invading State id.
        seat: String,
    },
    /// Every seat drawn uniformly from the strategies.
    Population,
}

/// One match to run.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchSpec {
    /// Global index in the tournament (shards take `index % N == I`).
    pub index: u64,
    /// Format name.
    pub format: String,
    /// Scenario spec (as in the config).
    pub scenario: String,
    /// Design spec (as in the config).
    pub design: String,
    /// Replication (within a generation for the evolutionary format).
    pub replication: u32,
    /// Labels the match seed derives from (after the master seed).
    pub key: Vec<String>,
    /// Match id (unique in the tournament).
    pub match_id: String,
    /// Match seed: `derive(master, key)` cut to 53 bits (see [`MAX_SEED`]).
    pub seed: u64,
    /// Strategies of the match.
    pub role: Role,
    /// Strategy per seat (State id order).
    pub strategies: Vec<String>,
}

/// Loaded scenarios and designs, shared by every match.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// By spec.
    pub scenarios: BTreeMap<String, Arc<Scenario>>,
    /// By spec.
    pub designs: BTreeMap<String, Arc<Design>>,
}

impl Catalog {
    /// Loads every scenario and design of the config and checks that each design fits
    /// each scenario, that `neutral_blocs` names blocs of the scenarios, and that the
    /// plan stays within [`MAX_PLANNED_SEATS`] (before anything is planned). Errors name
    /// the config key.
    pub fn load(origin: &str, cfg: &Config) -> Result<Catalog, FileErrors> {
        let mut c = Catalog::default();
        let mut errors = Vec::new();
        if let Err(e) = crate::results::check_seed(cfg.seed) {
            errors.extend(key_error(origin, "seed", e).0);
        }
        for (i, s) in cfg.scenarios.iter().enumerate() {
            match plenary_scenarios::load_scenario(s) {
                Ok(sc) => {
                    c.scenarios.insert(s.clone(), Arc::new(sc));
                }
                Err(e) => {
                    errors.extend(key_error(origin, format!("scenarios[{i}]"), e.to_string()).0)
                }
            }
        }
        for (i, d) in cfg.designs.iter().enumerate() {
            match plenary_scenarios::load_design(d) {
                Ok(design) => {
                    for (sid, sc) in &c.scenarios {
                        if let Err(e) = design.validate_for(d, sc) {
                            errors.extend(
                                key_error(
                                    origin,
                                    format!("designs[{i}]"),
                                    format!("does not fit scenario `{sid}`: {e}"),
                                )
                                .0,
                            );
                        }
                    }
                    c.designs.insert(d.clone(), Arc::new(design));
                }
                Err(e) => {
                    errors.extend(key_error(origin, format!("designs[{i}]"), e.to_string()).0)
                }
            }
        }
        if let Err(e) = check_neutral_blocs(
            origin,
            cfg,
            c.scenarios
                .values()
                .flat_map(|s| s.blocs.iter().map(|b| b.id.as_str())),
        ) {
            errors.extend(e.0);
        }
        if errors.is_empty() {
            check_seats(origin, cfg, &c)?;
            Ok(c)
        } else {
            Err(FileErrors(errors))
        }
    }
}

/// Refuses a plan of more than [`MAX_PLANNED_SEATS`] seats (matches x States), computed
/// from the counts of [`Config::planned_matches`] before anything is allocated.
fn check_seats(origin: &str, cfg: &Config, c: &Catalog) -> Result<(), FileErrors> {
    let per_scenario: u128 = cfg
        .planned_matches()
        .iter()
        .map(|(_, n)| n / (cfg.scenarios.len().max(1) as u128))
        .sum();
    let seats: u128 = c
        .scenarios
        .values()
        .map(|s| per_scenario * s.states.len() as u128)
        .sum();
    if seats > u128::from(MAX_PLANNED_SEATS) {
        return Err(key_error(
            origin,
            "",
            format!(
                "this configuration plans {seats} seats (matches x States of their scenario), more than the limit of {MAX_PLANNED_SEATS} per tournament: lower replications, generations or matches, or split the study into several tournaments"
            ),
        ));
    }
    Ok(())
}

/// Seat class of every seat of a scenario (State id order).
pub fn seat_classes(sc: &Scenario, neutral_blocs: &[String]) -> Vec<&'static str> {
    let mut leader: Vec<Option<usize>> = vec![None; sc.blocs.len()];
    for (i, s) in sc.states.iter().enumerate() {
        let better = match leader[s.bloc] {
            None => true,
            Some(j) => s.capability > sc.states[j].capability,
        };
        if better {
            leader[s.bloc] = Some(i);
        }
    }
    sc.states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if leader[s.bloc] == Some(i) {
                LEADER
            } else if neutral_blocs.iter().any(|b| *b == sc.blocs[s.bloc].id) {
                NEUTRAL
            } else {
                MEMBER
            }
        })
        .collect()
}

/// The evolutionary part of a plan: generations are planned one at a time because
/// each generation's shares come from the previous generation's payoffs.
#[derive(Debug, Clone, PartialEq)]
pub struct EvoPlan {
    /// Index of the first evolutionary match.
    pub base_index: u64,
    /// `(scenario, design)` populations, each evolving on its own.
    pub populations: Vec<(String, String)>,
    /// Generations.
    pub generations: u32,
    /// Matches per generation per population.
    pub matches: u32,
    /// Selection strength.
    pub selection: f64,
    /// Standardize payoffs before the replicator step.
    pub standardize: bool,
}

impl EvoPlan {
    /// Matches per generation over all populations.
    pub fn per_generation(&self) -> u64 {
        self.populations.len() as u64 * u64::from(self.matches)
    }

    /// Global index of match `m` of population `pop` in generation `g`.
    pub fn index(&self, pop: usize, g: u32, m: u32) -> u64 {
        self.base_index
            + u64::from(g) * self.per_generation()
            + pop as u64 * u64::from(self.matches)
            + u64::from(m)
    }
}

/// Every match of a tournament.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Matches of the formats planned up front (rotation, bloc-vs-bloc, invasion,
    /// population), in index order from 0.
    pub fixed: Vec<MatchSpec>,
    /// The evolutionary format, if configured.
    pub evo: Option<EvoPlan>,
    /// Total matches.
    pub total: u64,
}

struct Ctx<'a> {
    cfg: &'a Config,
    catalog: &'a Catalog,
    out: Vec<MatchSpec>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        format: &str,
        scenario: &str,
        design: &str,
        rep: u32,
        extra: &[&str],
        role_of: impl FnOnce(u64, &Scenario, &[&'static str]) -> Option<(Role, Vec<String>, String)>,
    ) {
        let mut key: Vec<String> = vec![
            format.into(),
            design.into(),
            scenario.into(),
            format!("r{rep}"),
        ];
        key.extend(extra.iter().map(|s| s.to_string()));
        let labels: Vec<&str> = key.iter().map(String::as_str).collect();
        let seed = derive(self.cfg.seed, &labels) & MAX_SEED;
        let sc = &self.catalog.scenarios[scenario];
        let classes = seat_classes(sc, &self.cfg.neutral_blocs);
        if let Some((role, strategies, suffix)) = role_of(seed, sc, &classes) {
            let index = self.out.len() as u64;
            self.out.push(MatchSpec {
                index,
                format: format.into(),
                scenario: scenario.into(),
                design: design.into(),
                replication: rep,
                match_id: format!("{format}/{scenario}/{design}/r{rep}{suffix}"),
                key,
                seed,
                role,
                strategies,
            });
        }
    }
}

/// Background strategies of a rotation match: one stream per match, so every focal
/// strategy of the same (design, scenario, replication, class) meets the same background.
fn background(seed: u64, n: usize, spec: &str, strategies: &[String]) -> Vec<String> {
    if spec == "mixed" {
        let mut s = Stream::new(seed, &["background"]);
        (0..n)
            .map(|_| strategies[s.below(strategies.len())].clone())
            .collect()
    } else {
        vec![spec.to_string(); n]
    }
}

/// Plans the tournament.
pub fn plan(cfg: &Config, catalog: &Catalog) -> Plan {
    let mut ctx = Ctx {
        cfg,
        catalog,
        out: Vec::new(),
    };
    let reps = |r: Option<u32>| r.unwrap_or(cfg.replications);
    let strategies = &cfg.strategies;
    if let Some(rot) = &cfg.rotation {
        for scenario in &cfg.scenarios {
            for design in &cfg.designs {
                for rep in 0..reps(rot.replications) {
                    for class in CLASSES {
                        for strat in strategies {
                            ctx.push(
                                "rotation",
                                scenario,
                                design,
                                rep,
                                &[class],
                                |seed, sc, classes| {
                                    let seats: Vec<usize> = (0..sc.states.len())
                                        .filter(|&i| classes[i] == class)
                                        .collect();
                                    if seats.is_empty() {
                                        return None;
                                    }
                                    let focal =
                                        seats[Stream::new(seed, &["focal"]).below(seats.len())];
                                    let mut s = background(
                                        seed,
                                        sc.states.len(),
                                        &rot.background,
                                        strategies,
                                    );
                                    s[focal] = strat.clone();
                                    let seat = sc.states[focal].id.clone();
                                    Some((
                                        Role::Rotation {
                                            strategy: strat.clone(),
                                            class: class.into(),
                                            seat,
                                        },
                                        s,
                                        format!("/{class}/{strat}"),
                                    ))
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    if let Some(bvb) = &cfg.bloc_vs_bloc {
        let list = bvb.strategies.as_ref().unwrap_or(strategies);
        for scenario in &cfg.scenarios {
            for design in &cfg.designs {
                for rep in 0..reps(bvb.replications) {
                    for a in list {
                        for b in list {
                            ctx.push(
                                "bloc-vs-bloc",
                                scenario,
                                design,
                                rep,
                                &[],
                                |_seed, sc, _| {
                                    let s = sc
                                        .states
                                        .iter()
                                        .map(|st| match st.bloc {
                                            0 => a.clone(),
                                            1 => b.clone(),
                                            _ => bvb.neutrals.clone(),
                                        })
                                        .collect();
                                    let bloc = |i: usize| {
                                        sc.blocs.get(i).map(|b| b.id.clone()).unwrap_or_default()
                                    };
                                    Some((
                                        Role::BlocVsBloc {
                                            bloc_a: bloc(0),
                                            bloc_b: bloc(1),
                                            a: a.clone(),
                                            b: b.clone(),
                                            c: bvb.neutrals.clone(),
                                        },
                                        s,
                                        format!("/{a}-vs-{b}"),
                                    ))
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    if let Some(inv) = &cfg.invasion {
        let invaders = inv.invaders.as_ref().unwrap_or(strategies);
        let residents = inv.residents.as_ref().unwrap_or(strategies);
        for scenario in &cfg.scenarios {
            for design in &cfg.designs {
                for rep in 0..reps(inv.replications) {
                    for resident in residents {
                        for invader in invaders.iter().filter(|i| *i != resident) {
                            ctx.push(
                                "invasion",
                                scenario,
                                design,
                                rep,
                                &[resident],
                                |seed, sc, _| {
                                    let seat =
                                        Stream::new(seed, &["invader"]).below(sc.states.len());
                                    let mut s = vec![resident.clone(); sc.states.len()];
                                    s[seat] = invader.clone();
                                    Some((
                                        Role::Invasion {
                                            invader: invader.clone(),
                                            resident: resident.clone(),
                                            seat: sc.states[seat].id.clone(),
                                        },
                                        s,
                                        format!("/{invader}-into-{resident}"),
                                    ))
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    if let Some(pop) = &cfg.population {
        for scenario in &cfg.scenarios {
            for design in &cfg.designs {
                for rep in 0..reps(pop.replications) {
                    ctx.push("population", scenario, design, rep, &[], |seed, sc, _| {
                        let mut st = Stream::new(seed, &["population"]);
                        let s = (0..sc.states.len())
                            .map(|_| strategies[st.below(strategies.len())].clone())
                            .collect();
                        Some((Role::Population, s, String::new()))
                    });
                }
            }
        }
    }
    let fixed = ctx.out;
    let base_index = fixed.len() as u64;
    let evo = cfg.evolutionary.as_ref().map(|e| EvoPlan {
        base_index,
        populations: cfg
            .scenarios
            .iter()
            .flat_map(|s| cfg.designs.iter().map(move |d| (s.clone(), d.clone())))
            .collect(),
        generations: e.generations,
        matches: e.matches,
        selection: e.selection,
        standardize: e.standardize,
    });
    let total = base_index
        + evo
            .as_ref()
            .map_or(0, |e| e.per_generation() * u64::from(e.generations));
    Plan { fixed, evo, total }
}

/// The matches of generation `g` given each population's shares (aligned with
/// `cfg.strategies`). Seats are apportioned to strategies by largest remainder and
/// shuffled with the match seed.
pub fn evo_generation(
    cfg: &Config,
    catalog: &Catalog,
    evo: &EvoPlan,
    g: u32,
    shares: &[Vec<f64>],
) -> Vec<MatchSpec> {
    let mut out = Vec::new();
    for (p, (scenario, design)) in evo.populations.iter().enumerate() {
        let sc = &catalog.scenarios[scenario];
        let n = sc.states.len();
        for m in 0..evo.matches {
            let key: Vec<String> = vec![
                "evolutionary".into(),
                design.clone(),
                scenario.clone(),
                format!("r{m}"),
                format!("g{g}"),
            ];
            let labels: Vec<&str> = key.iter().map(String::as_str).collect();
            let seed = derive(cfg.seed, &labels) & MAX_SEED;
            let counts = apportion(&shares[p], n);
            let mut seats: Vec<usize> = (0..n).collect();
            let mut st = Stream::new(seed, &["seats"]);
            for i in (1..n).rev() {
                seats.swap(i, st.below(i + 1));
            }
            let mut strategies = vec![String::new(); n];
            let mut next = seats.into_iter();
            for (k, &c) in counts.iter().enumerate() {
                for seat in next.by_ref().take(c) {
                    strategies[seat] = cfg.strategies[k].clone();
                }
            }
            out.push(MatchSpec {
                index: evo.index(p, g, m),
                format: "evolutionary".into(),
                scenario: scenario.clone(),
                design: design.clone(),
                replication: m,
                match_id: format!("evolutionary/{scenario}/{design}/r{m}/g{g}"),
                key,
                seed,
                role: Role::Evolutionary {
                    generation: g,
                    shares: shares[p].clone(),
                },
                strategies,
            });
        }
    }
    out
}
