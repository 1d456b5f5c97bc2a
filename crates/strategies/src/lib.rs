//! plenary-strategies: the built-in delegation strategies of plenary and their registry.
//!
//! Each strategy plays one seat for one match: it is created from the seat's
//! [`SeatBrief`] (public rules plus that State's private preferences) and answers the
//! chair's questions. A built-in strategy implements only its decisions
//! ([`adapter::Decide`]); the [`adapter::Adapter`] keeps the seat's memory
//! ([`memory::Seat`]: policy in force, this session's outcomes, bloc positions seen, its
//! own votes) across the sessions of the match, and the strategy answers
//! deterministically (none of the built-ins needs randomness; a strategy that does
//! draws from `plenary_core::rng::Stream::from_seed(brief.seed)`). Every answer is kept
//! on the scale: positions within 0..=100, saliences within 0..=1, links only to other
//! existing items.
//!
//! The strategies follow the ideas of Dembinski & Spanger, "Pluralistic Peace: New
//! Perspectives for the OSCE?" (OSCE Insights 9/2021) and the negotiation literature
//! (time-dependent tactics of Faratin et al. 1998, reciprocity, aspiration learning);
//! each module's documentation states its behaviour and the idea behind it. Use
//! [`all`] / [`info`] to list them, [`create`] to make one for a seat, and [`check`] to
//! validate names up front.

pub mod adapter;
pub mod bloc_follower;
pub mod boulware;
mod common;
pub mod conceder;
pub mod dissociator;
pub mod hardliner;
pub mod learner;
pub mod linker;
pub mod mediator;
pub mod memory;
pub mod norm_entrepreneur;
pub mod sovereigntist;
pub mod tit_for_tat;
pub mod truthful;

#[cfg(test)]
pub(crate) mod testkit;

use plenary_core::strategy::{SeatBrief, Strategy};

/// A registry entry: what a strategy is called, what it does and where the idea comes
/// from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyInfo {
    /// Registry name (as used in assignment specs).
    pub name: &'static str,
    /// One-line description of the behaviour.
    pub summary: &'static str,
    /// The idea from the paper or the literature it models.
    pub idea: &'static str,
}

/// No strategy of that name is registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown strategy `{name}` (known: {known})")]
pub struct UnknownStrategy {
    /// The name asked for.
    pub name: String,
    /// The registered names, comma-separated.
    pub known: String,
}

/// A default assignment for the `osce-2021` scenario and design (bloc ids `west`,
/// `csto`, `non-aligned`). Most Western States decide each item on its merits
/// (dissociators) while four of them push the human dimension (norm entrepreneurs:
/// Canada, the Netherlands, Norway, Sweden); the CSTO members concede late (Boulware)
/// except Belarus, which puts non-intervention first (sovereigntist), and Kazakhstan and
/// Armenia, which follow Russia; the non-aligned mediate; the United States holds out
/// until the deadline and Germany learns across sessions.
///
/// On the preset (seeds 1..=5) it decides about a quarter of the agenda (the economic
/// declarations, the Secretary General, risk reduction), while the human-dimension items
/// stay blocked, their blockers are named and shamed, and West-CSTO tension climbs. A
/// single linker or tit-for-tat player in the room blocks almost everything under
/// consensus: append `,TUR=linker` to this mix in `--strategies` to see it.
pub const DEFAULT_MIX: &str = "default=dissociator,west=dissociator,csto=boulware,non-aligned=mediator,RUS=boulware,BLR=sovereigntist,NLD=norm-entrepreneur,SWE=norm-entrepreneur,CAN=norm-entrepreneur,NOR=norm-entrepreneur,USA=boulware,DEU=learner,ARM=bloc-follower,KAZ=bloc-follower";

/// The default strategy mix for a scenario: its own (`[scenario] default_strategies`)
/// where it names one, else [`DEFAULT_MIX`] (written for the `osce-2021` blocs).
pub fn default_mix(scenario: &plenary_core::Scenario) -> &str {
    scenario
        .default_strategies
        .as_deref()
        .unwrap_or(DEFAULT_MIX)
}

type Maker = fn(&SeatBrief) -> Box<dyn Strategy>;

struct Entry {
    info: StrategyInfo,
    make: Maker,
}

/// The registry, sorted by name.
static ENTRIES: [Entry; 12] = [
    Entry {
        info: StrategyInfo {
            name: bloc_follower::NAME,
            summary: "states its bloc leader's last position and copies the leader's last vote; leaders play dissociator",
            idea: "bloc-to-bloc negotiation of the CSCE and OSCE caucuses: followers multiply the leader's line",
        },
        make: |b| Box::new(bloc_follower::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: boulware::NAME,
            summary: "time-dependent concession t^(1/e) with e = 0.2: holds out until the last round, then concedes fast",
            idea: "Boulware tactic of Faratin, Sierra & Jennings (1998); the deadline is the chair's last round",
        },
        make: |b| Box::new(boulware::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: conceder::NAME,
            summary: "time-dependent concession t^(1/e) with e = 3: gives most ground in the first rounds",
            idea: "Conceder tactic of Faratin, Sierra & Jennings (1998): agreement early, outcomes further from the ideal",
        },
        make: |b| Box::new(conceder::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: dissociator::NAME,
            summary: "decides every item on its merits (gain over the status quo or within the red line); never links",
            idea: "pluralistic peace through dissociation: policy areas kept apart so cooperation cannot be held hostage",
        },
        make: |b| Box::new(dissociator::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: hardliner::NAME,
            summary: "states its ideal with full salience; objects unless the proposal is in a narrow salience-weighted band",
            idea: "resistance from within: under consensus as absence of objection one hardliner blocks",
        },
        make: |b| Box::new(hardliner::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: learner::NAME,
            summary: "per-dimension acceptance threshold tightened after bad deals and loosened after costly blockades, session by session",
            idea: "delegations learn from outcomes: aspiration-level reinforcement across the sessions of a match",
        },
        make: |b| Box::new(learner::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: linker::NAME,
            summary: "links consent on low-salience items to the other-dimension item it cares most about; otherwise moderate",
            idea: "issue linkage: blurring the boundaries between policy areas, a step towards escalation",
        },
        make: |b| Box::new(linker::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: mediator::NAME,
            summary: "states a bridging position between the bloc means with low salience; accepts anything within its red line",
            idea: "the neutral and non-aligned (N+N) mediators of the CSCE",
        },
        make: |b| Box::new(mediator::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: norm_entrepreneur::NAME,
            summary: "overstates its demands on human-dimension items and accepts only progress there; moderate elsewhere",
            idea: "the liberal norm entrepreneur insisting on the Charter of Paris norms and the human dimension",
        },
        make: |b| Box::new(norm_entrepreneur::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: sovereigntist::NAME,
            summary: "objects to intrusive items above the status quo; withholds below legitimacy 0.4, exits below 0.15",
            idea: "non-intervention in internal affairs; contestation by blocking, withholding resources and withdrawal",
        },
        make: |b| Box::new(sovereigntist::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: tit_for_tat::NAME,
            summary: "cooperates; after another bloc blocks an item it cares about, objects once to a proposal favouring that bloc",
            idea: "reciprocity by bloc (tit-for-tat): the mutual blockades of 'muddling through'",
        },
        make: |b| Box::new(tit_for_tat::strategy(b)),
    },
    Entry {
        info: StrategyInfo {
            name: truthful::NAME,
            summary: "states its true ideal and salience; votes yes when its true utility is no worse than the policy in force",
            idea: "the sincere actor of the spatial models used to replay position data (compromise, Nash, exchange models)",
        },
        make: |b| Box::new(truthful::strategy(b)),
    },
];

static INFOS: [StrategyInfo; 12] = {
    let mut out = [StrategyInfo {
        name: "",
        summary: "",
        idea: "",
    }; 12];
    let mut i = 0;
    while i < ENTRIES.len() {
        out[i] = ENTRIES[i].info;
        i += 1;
    }
    out
};

/// Every registered strategy, sorted by name.
pub fn all() -> &'static [StrategyInfo] {
    &INFOS
}

/// The registered names, sorted.
pub fn names() -> Vec<&'static str> {
    INFOS.iter().map(|i| i.name).collect()
}

/// The registry entry of `name`.
pub fn info(name: &str) -> Option<&'static StrategyInfo> {
    INFOS.iter().find(|i| i.name == name)
}

fn unknown(name: &str) -> UnknownStrategy {
    UnknownStrategy {
        name: name.to_string(),
        known: names().join(", "),
    }
}

/// Creates the strategy `name` for the seat in `brief`.
pub fn create(name: &str, brief: &SeatBrief) -> Result<Box<dyn Strategy>, UnknownStrategy> {
    ENTRIES
        .iter()
        .find(|e| e.info.name == name)
        .map(|e| (e.make)(brief))
        .ok_or_else(|| unknown(name))
}

/// Checks that every name is registered (the first unknown one is reported).
pub fn check(names: &[&str]) -> Result<(), UnknownStrategy> {
    match names.iter().find(|n| info(n).is_none()) {
        Some(n) => Err(unknown(n)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenary_core::assignment::Assignment;
    use plenary_core::design::{Linkage, Mediation};
    use plenary_core::model::{Dimension, ItemKind, Preference};
    use plenary_core::rng::Stream;
    use plenary_core::strategy::{
        BlocSignal, Decision, ItemInfo, ItemOutcome, PackageEntry, Phase, PublicOffer, PublicRules,
        RoundContext, SeatView, SessionSummary, Vote,
    };
    use plenary_core::{Design, Match, MatchSetup, run_in_process};
    use std::sync::Arc;

    #[test]
    fn registry_is_sorted_complete_and_consistent() {
        let n = names();
        assert_eq!(n.len(), 12);
        let mut sorted = n.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(n, sorted, "sorted, no duplicates");
        for want in [
            "hardliner",
            "boulware",
            "conceder",
            "tit-for-tat",
            "linker",
            "dissociator",
            "bloc-follower",
            "mediator",
            "norm-entrepreneur",
            "sovereigntist",
            "learner",
            "truthful",
        ] {
            assert!(info(want).is_some(), "{want} missing");
        }
        assert!(!n.contains(&"random"));
        let b = testkit::brief(0, false, &testkit::prefs_west());
        for i in all() {
            assert!(!i.summary.is_empty() && !i.idea.is_empty());
            let s = create(i.name, &b).unwrap();
            assert_eq!(s.name(), i.name, "Strategy::name is the registry name");
        }
    }

    #[test]
    fn unknown_names_are_reported_with_the_known_ones() {
        let b = testkit::brief(0, false, &testkit::prefs_west());
        let err = create("randm", &b).err().expect("unknown");
        assert_eq!(err.name, "randm");
        assert!(err.known.contains("dissociator"));
        let msg = err.to_string();
        assert!(
            msg.starts_with("unknown strategy `randm` (known: bloc-follower, boulware"),
            "{msg}"
        );
        assert_eq!(check(&["hardliner", "learner"]), Ok(()));
        assert_eq!(check(&["hardliner", "nope", "x"]).unwrap_err().name, "nope");
    }

    #[test]
    fn default_mix_names_only_registered_strategies() {
        let a = Assignment::parse(DEFAULT_MIX).unwrap();
        check(&a.strategy_names()).unwrap();
    }

    fn random_brief(rng: &mut Stream) -> SeatBrief {
        let n = 1 + rng.below(7);
        let pick = |rng: &mut Stream, xs: &[f64]| xs[rng.below(xs.len())];
        let edge = [0.0, 100.0, 50.0, 0.5, 99.9];
        let items: Vec<ItemInfo> = (0..n)
            .map(|i| ItemInfo {
                index: i as u32,
                id: format!("i{i}"),
                title: String::new(),
                dimension: Dimension::ALL[rng.below(4)],
                kind: ItemKind::ALL[rng.below(7)],
                status_quo: if rng.unit() < 0.1 {
                    None
                } else if rng.unit() < 0.3 {
                    Some(pick(rng, &edge))
                } else {
                    Some(rng.unit() * 100.0)
                },
                reversion: (rng.unit() < 0.5).then(|| rng.unit() * 100.0),
                in_scope: rng.unit() < 0.8,
                binding: rng.unit() < 0.5,
                legally_binding: rng.unit() < 0.2,
                recurring: rng.unit() < 0.7,
                group: None,
            })
            .collect();
        let preferences = (0..n)
            .map(|_| Preference {
                ideal: if rng.unit() < 0.3 {
                    pick(rng, &edge)
                } else {
                    rng.unit() * 100.0
                },
                salience: if rng.unit() < 0.2 {
                    pick(rng, &[0.0, 1.0, 0.02])
                } else {
                    rng.unit()
                },
                red_line: if rng.unit() < 0.2 {
                    pick(rng, &[0.0, 1.0, 100.0])
                } else {
                    rng.unit() * 60.0
                },
                capability: 0.01 + rng.unit() * 20.0,
            })
            .collect();
        let nb = 1 + rng.below(4);
        SeatBrief {
            match_id: "prop".into(),
            state: "PRP".into(),
            seat: 0,
            bloc: "b0".into(),
            bloc_index: rng.below(nb) as u32,
            bloc_leader: rng.unit() < 0.3,
            capability: 1.0,
            bargaining_power: 1.0,
            voting_weight: 1.0,
            seed: rng.next_u64(),
            blocs: (0..nb).map(|b| format!("b{b}")).collect(),
            absent_items: (0..n as u32).filter(|_| rng.unit() < 0.1).collect(),
            groups: Vec::new(),
            items,
            preferences,
            rules: PublicRules {
                design: "prop".into(),
                sessions: 1 + rng.below(4) as u32,
                max_rounds: 1 + rng.below(6) as u32,
                mediation: [
                    Mediation::Compromise,
                    Mediation::Nash,
                    Mediation::MaxSupport,
                ][rng.below(3)],
                linkage: [Linkage::None, Linkage::SameDimension, Linkage::Any][rng.below(3)],
                naming_shaming: rng.unit() < 0.5,
                exit_allowed: rng.unit() < 0.5,
                states: 7,
                group_packages: rng.unit() < 0.5,
                moscow_mechanism: rng.below(3) as u32,
                crisis_threshold: 0.85,
                forfeit: 1.0,
            },
        }
    }

    fn random_ctx(rng: &mut Stream, b: &SeatBrief, session: u32) -> RoundContext {
        let n = b.items.len() as u32;
        let phase = [
            Phase::Positions,
            Phase::Decision,
            Phase::Silence,
            Phase::Package,
        ][rng.below(4)];
        let odd = [f64::NAN, f64::INFINITY, -5.0, 140.0];
        let proposal = match phase {
            Phase::Package => None,
            Phase::Positions if rng.unit() < 0.4 => None,
            _ if rng.unit() < 0.05 => Some(odd[rng.below(odd.len())]),
            _ => Some(rng.unit() * 100.0),
        };
        let votes = [None, Some(Vote::Yes), Some(Vote::No), Some(Vote::Abstain)];
        RoundContext {
            session,
            item: if phase == Phase::Package {
                n
            } else {
                rng.below(n as usize) as u32
            },
            round: rng.below(b.rules.max_rounds as usize + 1) as u32,
            phase,
            proposal,
            blocs: (0..b.blocs.len())
                .map(|_| BlocSignal {
                    mean_position: if rng.unit() < 0.05 {
                        odd[rng.below(odd.len())]
                    } else {
                        rng.unit() * 100.0
                    },
                    objections: rng.below(5) as u32,
                    present: rng.below(4) as u32,
                    leader_position: (rng.unit() < 0.7).then(|| rng.unit() * 100.0),
                    leader_vote: votes[rng.below(4)],
                })
                .collect(),
            last_objections: rng.below(5) as u32,
            offers: (0..rng.below(3))
                .map(|_| PublicOffer {
                    from: rng.below(7) as u32,
                    support: rng.below(n as usize) as u32,
                    want: rng.below(n as usize) as u32,
                    target: if rng.unit() < 0.05 {
                        f64::NAN
                    } else {
                        rng.unit() * 100.0
                    },
                    tolerance: rng.unit() * 30.0,
                })
                .collect(),
            package: if phase == Phase::Package {
                (0..rng.below(4))
                    .map(|_| PackageEntry {
                        item: rng.below(n as usize + 1) as u32,
                        value: if rng.unit() < 0.05 {
                            f64::INFINITY
                        } else {
                            rng.unit() * 100.0
                        },
                        status_quo: (rng.unit() < 0.8).then(|| rng.unit() * 100.0),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            group: None,
        }
    }

    fn random_outcome(rng: &mut Stream, b: &SeatBrief, session: u32) -> ItemOutcome {
        let decisions = [
            Decision::Adopted,
            Decision::AdoptedBySilence,
            Decision::AdHoc,
            Decision::Provisional,
            Decision::Reverted,
            Decision::OutOfScope,
            Decision::PackageFailed,
        ];
        ItemOutcome {
            session,
            item: rng.below(b.items.len()) as u32,
            decision: decisions[rng.below(decisions.len())],
            outcome: (rng.unit() < 0.9).then(|| rng.unit() * 100.0),
            in_force: (rng.unit() < 0.9).then(|| rng.unit() * 100.0),
            binding: rng.unit() < 0.5,
            legally_binding: false,
            objectors: Vec::new(),
            package: None,
            rounds: rng.below(5) as u32,
            objections_by_bloc: (0..b.blocs.len()).map(|_| rng.below(3) as u32).collect(),
            shamed: Vec::new(),
        }
    }

    /// Property-style: for random briefs and contexts (including odd proposals and
    /// signals), every strategy answers within the scale, never links to its own item
    /// or a missing one, and is deterministic (two values fed the same inputs agree).
    #[test]
    fn all_strategies_stay_on_the_scale_for_random_contexts() {
        let mut rng = Stream::from_seed(0x5eed);
        for case in 0..300 {
            let b = random_brief(&mut rng);
            for name in names() {
                let mut s1 = create(name, &b).unwrap();
                let mut s2 = create(name, &b).unwrap();
                let mut script = Stream::from_seed(rng.next_u64());
                for session in 0..b.rules.sessions {
                    for _ in 0..25 {
                        let tension = script.unit();
                        let me = SeatView {
                            legitimacy: script.unit(),
                            tension,
                            shamed: script.below(3) as u32,
                            red_line_scale: 0.1 + 0.9 * script.unit(),
                            security_salience: 1.0 + tension,
                            crisis: tension > 0.85,
                            refused_link: None,
                            refused_offer: None,
                        };
                        match script.below(4) {
                            0 | 1 => {
                                let mut c = random_ctx(&mut script, &b, session);
                                c.phase = if c.phase == Phase::Package {
                                    Phase::Positions
                                } else {
                                    c.phase
                                };
                                if c.item as usize >= b.items.len() {
                                    c.item = 0;
                                }
                                let a = s1.position(&c, &me);
                                assert_eq!(a, s2.position(&c, &me), "{name} case {case}");
                                assert!(
                                    a.position.is_finite() && (0.0..=100.0).contains(&a.position),
                                    "{name} case {case}: {a:?}"
                                );
                                assert!(
                                    a.salience.is_finite() && (0.0..=1.0).contains(&a.salience),
                                    "{name} case {case}: {a:?}"
                                );
                                if let Some(l) = a.link {
                                    assert_ne!(l, c.item, "{name} links to its own item");
                                    assert!(
                                        (l as usize) < b.items.len(),
                                        "{name} links to a missing item"
                                    );
                                }
                                if name == dissociator::NAME {
                                    assert_eq!(a.link, None, "the dissociator never links");
                                }
                            }
                            2 => {
                                let c = random_ctx(&mut script, &b, session);
                                let v = s1.vote(&c, &me);
                                assert_eq!(v, s2.vote(&c, &me), "{name} case {case}");
                            }
                            _ => {
                                let o = random_outcome(&mut script, &b, session);
                                s1.outcome(&o);
                                s2.outcome(&o);
                            }
                        }
                    }
                    let sum = SessionSummary {
                        session,
                        decided: 1,
                        items: b.items.len() as u32,
                        my_gain: script.unit() * 10.0 - 5.0,
                        tension: Vec::new(),
                        shamed: Vec::new(),
                        events: Vec::new(),
                    };
                    let me = SeatView {
                        legitimacy: script.unit(),
                        tension: 0.5,
                        shamed: 0,
                        ..SeatView::default()
                    };
                    let st = s1.session_end(&sum, &me);
                    assert_eq!(st, s2.session_end(&sum, &me));
                    if !b.rules.exit_allowed {
                        assert_ne!(
                            st,
                            plenary_core::strategy::Stance::Exit,
                            "{name} exits where exit is not allowed"
                        );
                    }
                }
            }
        }
    }

    /// Runs the scenario's own default mix on the `osce-2021` preset.
    fn run_default_mix(seed: u64) -> plenary_core::MatchResult {
        let sc = Arc::new(plenary_scenarios::scenario("osce-2021").expect("preset scenario"));
        let d: Arc<Design> =
            Arc::new(plenary_scenarios::design("osce-2021").expect("preset design"));
        let names = Assignment::parse(default_mix(&sc))
            .unwrap()
            .resolve(&sc, "dissociator")
            .unwrap();
        let setup = MatchSetup {
            match_id: format!("default-mix-{seed}"),
            seed,
            strategies: names.clone(),
        };
        let mut make = |b: &SeatBrief| create(&names[b.seat as usize], b).unwrap();
        run_in_process(Match::new(sc, d, setup), &mut make)
    }

    #[test]
    fn default_mix_is_interesting_but_not_blocked_on_osce_2021() {
        for seed in [1, 2, 3] {
            let r = run_default_mix(seed);
            assert!(r.complete && r.violations.is_empty(), "{:?}", r.violations);
            let cap = r.summary.capacity_to_act;
            assert!(cap > 0.05 && cap < 0.95, "seed {seed}: capacity {cap}");
            for s in &r.sessions {
                assert!(
                    s.decided > 0,
                    "seed {seed} session {}: nothing decided",
                    s.session
                );
                assert!(
                    s.decided < s.in_scope,
                    "seed {seed} session {}: everything decided",
                    s.session
                );
            }
            assert!(r.summary.tension_peak > 0.0);
        }
    }
}
