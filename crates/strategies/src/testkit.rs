//! Test helpers: hand-built briefs, round contexts, outcomes and summaries, and small
//! inline scenarios and designs for end-to-end matches.

use plenary_core::design::{Linkage, Mediation};
use plenary_core::model::{Dimension, ItemKind, Preference};
use plenary_core::strategy::{
    BlocSignal, Decision, ItemInfo, ItemOutcome, Phase, PublicRules, RoundContext, SeatBrief,
    SeatView, SessionSummary, Strategy,
};
use plenary_core::{Design, Match, MatchResult, MatchSetup, Scenario, run_in_process};
use std::sync::Arc;

/// Agenda of the hand-built brief: (id, dimension, kind, status quo).
pub(crate) const ITEMS: [(&str, Dimension, ItemKind, f64); 6] = [
    ("decl-hr", Dimension::Human, ItemKind::Declaration, 40.0),
    ("budget", Dimension::General, ItemKind::UnifiedBudget, 50.0),
    ("vienna", Dimension::PoliticoMilitary, ItemKind::Csbm, 40.0),
    (
        "climate",
        Dimension::EconomicEnvironmental,
        ItemKind::Declaration,
        20.0,
    ),
    ("eom", Dimension::Human, ItemKind::ElectionObservation, 50.0),
    (
        "smm",
        Dimension::PoliticoMilitary,
        ItemKind::FieldMission,
        50.0,
    ),
];
/// Item indices by name.
pub(crate) const HUMAN: u32 = 0;
/// Budget item.
pub(crate) const BUDGET: u32 = 1;
/// Vienna Document item (politico-military).
pub(crate) const VIENNA: u32 = 2;
/// Climate declaration (economic-environmental, low salience).
pub(crate) const CLIMATE: u32 = 3;
/// Election observation (human).
pub(crate) const EOM: u32 = 4;
/// Field mission (politico-military).
pub(crate) const SMM: u32 = 5;

fn pref(ideal: f64, salience: f64, red_line: f64) -> Preference {
    Preference {
        ideal,
        salience,
        red_line,
        capability: 10.0,
    }
}

/// A Western profile: high on the human dimension and verification.
pub(crate) fn prefs_west() -> Vec<Preference> {
    vec![
        pref(80.0, 0.8, 25.0),
        pref(65.0, 0.5, 30.0),
        pref(75.0, 0.9, 30.0),
        pref(55.0, 0.2, 40.0),
        pref(80.0, 0.7, 25.0),
        pref(70.0, 0.9, 30.0),
    ]
}

/// A CSTO profile: low on the human dimension.
pub(crate) fn prefs_csto() -> Vec<Preference> {
    vec![
        pref(25.0, 0.8, 20.0),
        pref(40.0, 0.5, 25.0),
        pref(40.0, 0.7, 30.0),
        pref(45.0, 0.2, 40.0),
        pref(30.0, 0.8, 20.0),
        pref(40.0, 0.8, 30.0),
    ]
}

/// Public rules of the hand-built briefs.
pub(crate) fn rules() -> PublicRules {
    PublicRules {
        design: "test".into(),
        sessions: 3,
        max_rounds: 4,
        mediation: Mediation::Compromise,
        linkage: Linkage::Any,
        naming_shaming: true,
        exit_allowed: true,
        states: 6,
        group_packages: true,
        moscow_mechanism: 0,
        crisis_threshold: 0.85,
        forfeit: 1.0,
    }
}

/// A brief for a seat of bloc `bloc` (0 west, 1 csto, 2 non-aligned).
pub(crate) fn brief(bloc: u32, leader: bool, prefs: &[Preference]) -> SeatBrief {
    let blocs = vec![
        "west".to_string(),
        "csto".to_string(),
        "non-aligned".to_string(),
    ];
    SeatBrief {
        match_id: "t".into(),
        state: "TST".into(),
        seat: 0,
        bloc: blocs[bloc as usize].clone(),
        bloc_index: bloc,
        bloc_leader: leader,
        capability: 10.0,
        bargaining_power: 10.0,
        voting_weight: 10.0,
        seed: 42,
        blocs,
        items: ITEMS
            .iter()
            .enumerate()
            .map(|(i, (id, d, k, sq))| ItemInfo {
                index: i as u32,
                id: (*id).into(),
                title: (*id).into(),
                dimension: *d,
                kind: *k,
                status_quo: Some(*sq),
                reversion: None,
                in_scope: true,
                binding: true,
                legally_binding: false,
                recurring: true,
                group: None,
            })
            .collect(),
        preferences: prefs.to_vec(),
        absent_items: Vec::new(),
        groups: Vec::new(),
        rules: rules(),
    }
}

/// A round context with three silent blocs.
pub(crate) fn ctx(item: u32, round: u32, phase: Phase, proposal: Option<f64>) -> RoundContext {
    RoundContext {
        session: 0,
        item,
        round,
        phase,
        proposal,
        blocs: vec![
            BlocSignal {
                mean_position: 50.0,
                objections: 0,
                present: 0,
                leader_position: None,
                leader_vote: None,
            };
            3
        ],
        last_objections: 0,
        offers: Vec::new(),
        package: Vec::new(),
        group: None,
    }
}

/// Sets each bloc's mean stated position (two members present each).
pub(crate) fn set_means(c: &mut RoundContext, means: &[f64]) {
    for (b, m) in means.iter().enumerate() {
        c.blocs[b].mean_position = *m;
        c.blocs[b].present = 2;
    }
}

/// A seat view.
pub(crate) fn view(legitimacy: f64) -> SeatView {
    SeatView {
        legitimacy,
        tension: 0.3,
        shamed: 0,
        ..SeatView::default()
    }
}

/// An item outcome.
pub(crate) fn outcome(
    session: u32,
    item: u32,
    decision: Decision,
    x: f64,
    objections: &[u32],
) -> ItemOutcome {
    ItemOutcome {
        session,
        item,
        decision,
        outcome: Some(x),
        in_force: Some(x),
        binding: true,
        legally_binding: false,
        rounds: 4,
        objections_by_bloc: objections.to_vec(),
        objectors: Vec::new(),
        shamed: Vec::new(),
        package: None,
    }
}

/// A session summary.
pub(crate) fn summary(session: u32, my_gain: f64) -> SessionSummary {
    SessionSummary {
        session,
        decided: 1,
        items: ITEMS.len() as u32,
        my_gain,
        tension: vec![(0, 1, 0.5), (0, 2, 0.1), (1, 2, 0.1)],
        shamed: Vec::new(),
        events: Vec::new(),
    }
}

/// Three blocs, seven States; CCC is the accused of the violation item.
pub(crate) const SCENARIO: &str = r#"
[scenario]
id = "mini3"
name = "Three blocs"
[[blocs]]
id = "west"
name = "West"
[[blocs]]
id = "csto"
name = "CSTO"
[[blocs]]
id = "non-aligned"
name = "Non-aligned"
[[states]]
id = "AAA"
name = "Alpha"
bloc = "west"
capability = 12
[[states]]
id = "BBB"
name = "Beta"
bloc = "west"
capability = 8
[[states]]
id = "CCC"
name = "Gamma"
bloc = "csto"
capability = 5
[[states]]
id = "DDD"
name = "Delta"
bloc = "csto"
capability = 1
[[states]]
id = "EEE"
name = "Epsilon"
bloc = "non-aligned"
capability = 2
[[states]]
id = "FFF"
name = "Phi"
bloc = "non-aligned"
capability = 1
[[states]]
id = "GGG"
name = "Gimel"
bloc = "west"
capability = 3
[[profiles]]
bloc = "west"
dimension = "politico-military"
ideal = 70
salience = 0.6
[[profiles]]
bloc = "west"
dimension = "economic-environmental"
ideal = 55
salience = 0.3
red_line = 40
[[profiles]]
bloc = "west"
dimension = "human"
ideal = 80
salience = 0.8
red_line = 25
[[profiles]]
bloc = "west"
dimension = "general"
ideal = 65
salience = 0.5
[[profiles]]
bloc = "csto"
dimension = "politico-military"
ideal = 50
salience = 0.6
[[profiles]]
bloc = "csto"
dimension = "economic-environmental"
ideal = 50
salience = 0.3
red_line = 40
[[profiles]]
bloc = "csto"
dimension = "human"
ideal = 25
salience = 0.8
red_line = 20
[[profiles]]
bloc = "csto"
dimension = "general"
ideal = 40
salience = 0.5
red_line = 25
[[profiles]]
bloc = "non-aligned"
dimension = "politico-military"
ideal = 60
ideal_sd = 12
salience = 0.45
red_line = 35
[[profiles]]
bloc = "non-aligned"
dimension = "economic-environmental"
ideal = 55
salience = 0.35
red_line = 40
[[profiles]]
bloc = "non-aligned"
dimension = "human"
ideal = 50
ideal_sd = 18
salience = 0.45
[[profiles]]
bloc = "non-aligned"
dimension = "general"
ideal = 50
salience = 0.35
red_line = 35
[[agenda]]
id = "budget"
title = "Unified budget"
dimension = "general"
kind = "unified-budget"
status_quo = 50
reversion = 40
[[agenda]]
id = "vienna"
title = "Vienna Document"
dimension = "politico-military"
kind = "csbm"
status_quo = 40
shift = { west = 10, csto = -12 }
[[agenda]]
id = "mission"
title = "Field mission"
dimension = "politico-military"
kind = "field-mission"
status_quo = 50
reversion = 0
[[agenda]]
id = "violation"
title = "Violation response"
dimension = "politico-military"
kind = "violation-response"
status_quo = 0
accused = "CCC"
shift = { west = -5, csto = -45, non-aligned = -15 }
[[agenda]]
id = "climate"
title = "Climate declaration"
dimension = "economic-environmental"
kind = "declaration"
status_quo = 20
[[agenda]]
id = "eom"
title = "Election observation"
dimension = "human"
kind = "election-observation"
status_quo = 50
shift = { csto = -10 }
[[agenda]]
id = "hrd"
title = "Human rights defenders"
dimension = "human"
kind = "declaration"
status_quo = 10
[[tension]]
a = "west"
b = "csto"
value = 0.5
[legitimacy]
csto = 0.45
"#;

/// Procedure lines and bodies of the test designs: (name, TOML).
pub(crate) fn designs() -> Vec<(&'static str, String)> {
    let head = |id: &str| format!("[design]\nid = \"{id}\"\nname = \"{id}\"\n");
    vec![
        (
            "osce-like",
            head("osce-like")
                + r#"
[procedure]
sessions = 3
max_rounds = 4
mediation = "compromise"
scope = ["politico-military", "economic-environmental", "human", "general"]
linkage = "any"
naming_shaming = true
silence_procedure = true
provisional_budget = true
exit_allowed = true
[[bodies]]
id = "pc"
name = "Permanent Council"
rule = { kind = "consensus" }
binding = true
[[kind_rules]]
kind = "violation-response"
rule = { kind = "consensus", minus = 1, exclude_accused = true }
[dynamics]
outvoted = 0.2
distance = 0.3
shamed = 0.2
"#,
        ),
        (
            "package",
            head("package")
                + r#"
[procedure]
sessions = 3
max_rounds = 6
mediation = "compromise"
scope = ["politico-military", "economic-environmental", "human", "general"]
linkage = "any"
naming_shaming = false
silence_procedure = false
provisional_budget = false
exit_allowed = false
package = true
[[bodies]]
id = "conference"
name = "Conference"
rule = { kind = "consensus" }
binding = true
"#,
        ),
        (
            "executive",
            head("executive")
                + r#"
[procedure]
sessions = 3
max_rounds = 3
mediation = "max-support"
scope = ["politico-military", "general"]
linkage = "same-dimension"
naming_shaming = false
silence_procedure = false
provisional_budget = true
exit_allowed = true
agenda_order = "consensual-first"
[[bodies]]
id = "ec"
name = "Executive Council"
members = { permanent = ["AAA", "CCC"], elected = 2 }
rule = { kind = "qualified-majority", threshold = 0.67, weighted = true }
binding = true
scope = { dimensions = ["politico-military"] }
[[bodies]]
id = "pc"
name = "Permanent Council"
rule = { kind = "consensus" }
binding = true
scope = { dimensions = ["general"] }
"#,
        ),
        (
            "conference",
            head("conference")
                + r#"
[procedure]
sessions = 3
max_rounds = 1
mediation = "nash"
scope = ["politico-military", "economic-environmental", "human", "general"]
linkage = "none"
naming_shaming = false
silence_procedure = false
provisional_budget = true
exit_allowed = true
ad_hoc_min = 2
[[bodies]]
id = "conf"
name = "Conference"
rule = { kind = "consensus" }
binding = false
"#,
        ),
    ]
}

/// Runs one match of the inline scenario under a design, every seat created by `make`.
pub(crate) fn run_with(
    design: &str,
    seed: u64,
    make: &mut dyn FnMut(&SeatBrief) -> Box<dyn Strategy>,
) -> MatchResult {
    let sc = Arc::new(Scenario::from_toml("mini3", SCENARIO).expect("inline scenario parses"));
    let d = Design::from_toml("test-design", design)
        .map(Arc::new)
        .unwrap_or_else(|e| panic!("{e}"));
    d.validate_for("design", &sc)
        .expect("design fits the scenario");
    let n = sc.states.len();
    let setup = MatchSetup {
        match_id: format!("m{seed}"),
        seed,
        strategies: vec!["mixed".into(); n],
    };
    run_in_process(Match::new(sc, d, setup), make)
}

/// Runs full matches under every test design and a few seeds with every seat playing
/// `name`, and checks each completes without violations and deterministically.
pub(crate) fn end_to_end(name: &str) {
    for (label, text) in designs() {
        for seed in [1u64, 7, 2024] {
            let mut make = |b: &SeatBrief| crate::create(name, b).expect("registered");
            let r = run_with(&text, seed, &mut make);
            assert!(
                r.complete,
                "{name} under {label} (seed {seed}) did not complete"
            );
            assert!(
                r.violations.is_empty(),
                "{name} under {label} (seed {seed}): {:?}",
                r.violations
            );
            let again = run_with(&text, seed, &mut make);
            assert_eq!(
                r, again,
                "{name} under {label} (seed {seed}) is not deterministic"
            );
        }
    }
}
