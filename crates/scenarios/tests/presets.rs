//! Checks of the embedded presets (facts the data must keep), of preference drawing, and
//! of the error messages users see for broken files.

use plenary_core::design::{Linkage, Mediation, Rule};
use plenary_core::{Dimension, ItemKind, Scenario};
use plenary_scenarios::{
    Checked, DESIGNS, LoadError, SCENARIOS, check_file, design, load_design, load_scenario,
    scenario,
};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// ISO3 ids of the 57 OSCE participating States (the `iso3` column of
/// shared/data/osce-participating-states.csv), hard-coded so the test needs no copy of
/// shared/ beside the clone.
const OSCE_57: [&str; 57] = [
    "ALB", "AND", "ARM", "AUT", "AZE", "BLR", "BEL", "BIH", "BGR", "CAN", "HRV", "CYP", "CZE",
    "DNK", "EST", "FIN", "FRA", "GEO", "DEU", "GRC", "VAT", "HUN", "ISL", "IRL", "ITA", "KAZ",
    "KGZ", "LVA", "LIE", "LTU", "LUX", "MLT", "MDA", "MCO", "MNG", "MNE", "NLD", "MKD", "NOR",
    "POL", "PRT", "ROU", "RUS", "SMR", "SRB", "SVK", "SVN", "ESP", "SWE", "CHE", "TJK", "TUR",
    "TKM", "UKR", "GBR", "USA", "UZB",
];

fn tagged(s: &Scenario, tag: &str) -> usize {
    s.states
        .iter()
        .filter(|st| st.memberships.iter().any(|m| m == tag))
        .count()
}

fn bloc_members(s: &Scenario, bloc: &str) -> BTreeSet<String> {
    let b = s.bloc(bloc).unwrap_or_else(|| panic!("no bloc {bloc}"));
    s.states
        .iter()
        .filter(|st| st.bloc == b)
        .map(|st| st.id.clone())
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_preset_parses_and_validates() {
    for (id, _) in SCENARIOS {
        let s = scenario(id).unwrap_or_else(|e| panic!("scenario {id}:\n{e}"));
        assert_eq!(s.id, *id);
        let default = s
            .default_design
            .as_deref()
            .expect("presets name a default design");
        let d = design(default).unwrap_or_else(|e| panic!("default design of {id}:\n{e}"));
        d.validate_for(&format!("embedded:{default}"), &s)
            .unwrap_or_else(|e| panic!("{default} against {id}:\n{e}"));
    }
    for (id, _) in DESIGNS {
        let d = design(id).unwrap_or_else(|e| panic!("design {id}:\n{e}"));
        assert_eq!(d.design.id, *id);
    }
}

#[test]
fn presets_are_sorted_by_id_and_unique() {
    for table in [SCENARIOS, DESIGNS] {
        let ids: Vec<&str> = table.iter().map(|(id, _)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }
    let designs: Vec<&str> = DESIGNS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        designs,
        [
            "csce-1975",
            "osce-2021",
            "path1-upgraded",
            "path2-conference"
        ]
    );
}

#[test]
fn designs_fit_the_scenarios_they_are_meant_for() {
    for sid in ["osce-2021", "osce-2024"] {
        let osce = scenario(sid).unwrap();
        for id in ["osce-2021", "path1-upgraded", "path2-conference"] {
            design(id)
                .unwrap()
                .validate_for(id, &osce)
                .unwrap_or_else(|e| panic!("{id} on {sid}: {e}"));
        }
    }
    let csce = scenario("csce-1975").unwrap();
    design("csce-1975")
        .unwrap()
        .validate_for("csce-1975", &csce)
        .unwrap();
}

#[test]
fn osce_2021_has_the_57_participating_states() {
    let s = scenario("osce-2021").unwrap();
    assert_eq!(s.states.len(), 57);
    let got: BTreeSet<String> = s.states.iter().map(|st| st.id.clone()).collect();
    assert_eq!(got, ids(&OSCE_57));
    assert_eq!(tagged(&s, "NATO"), 30);
    assert_eq!(tagged(&s, "EU"), 27);
    assert_eq!(tagged(&s, "CSTO"), 6);
    let blocs: Vec<&str> = s.blocs.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(blocs, ["west", "csto", "aspirants", "non-aligned"]);
    assert_eq!(
        bloc_members(&s, "csto"),
        ids(&["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"])
    );
    // West = NATO or EU in 2021.
    let west = bloc_members(&s, "west");
    for st in &s.states {
        let nato_or_eu = st.memberships.iter().any(|m| m == "NATO" || m == "EU");
        assert_eq!(west.contains(&st.id), nato_or_eu, "{}", st.id);
    }
    assert_eq!(west.len(), 36);
    // The Associated Trio of the Kyiv memorandum of 17 May 2021.
    assert_eq!(bloc_members(&s, "aspirants"), ids(&["GEO", "MDA", "UKR"]));
    for id in ["SRB", "CHE", "AZE", "TKM", "UZB", "MNG", "VAT"] {
        assert!(bloc_members(&s, "non-aligned").contains(id), "{id}");
    }
    assert_eq!(bloc_members(&s, "non-aligned").len(), 12);
}

/// Splits one CSV line on commas outside double quotes (the States CSV quotes cells
/// that hold commas).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The rows of a CSV in `data/states/` as maps from column name to cell.
fn csv_rows(name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/states")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = csv_fields(lines.next().unwrap());
    lines
        .map(|l| {
            let f = csv_fields(l);
            assert_eq!(f.len(), header.len(), "{name}: {l}");
            header.iter().cloned().zip(f).collect()
        })
        .collect()
}

#[test]
fn osce_scenarios_agree_with_the_states_csv() {
    let rows = csv_rows("osce-participating-states.csv");
    assert_eq!(rows.len(), 57);
    let got: BTreeSet<String> = rows.iter().map(|r| r["iso3"].clone()).collect();
    assert_eq!(got, ids(&OSCE_57));
    for (id, suffix) in [("osce-2021", "2021"), ("osce-2024", "now")] {
        let s = scenario(id).unwrap();
        for r in &rows {
            let st = &s.states[s.seat(&r["iso3"]).unwrap()];
            for (col, tag) in [("nato", "NATO"), ("eu", "EU"), ("csto", "CSTO")] {
                let cell = r[&format!("{col}_{suffix}")].as_str();
                let member = st.memberships.iter().any(|m| m == tag);
                // `frozen` (Armenia's CSTO participation since February 2024) is not
                // membership in good standing; the scenario notes it instead.
                assert_eq!(member, cell == "yes", "{id} {} {col}: {cell}", st.id);
            }
            let uncertain = r["notes"].contains("unverified") || r["notes"].contains("uncertain");
            if uncertain {
                let note = st.note.as_deref().unwrap_or("");
                assert!(
                    note.contains("UNVERIFIED") || note.contains("UNCERTAIN"),
                    "{id} {}: the CSV flags a cell as uncertain, the note must too",
                    st.id
                );
            }
        }
    }
}

#[test]
fn power_weights_come_from_their_table() {
    let rows = csv_rows("osce-weights.csv");
    assert_eq!(rows.len(), 57);
    for id in ["osce-2021", "osce-2024"] {
        let s = scenario(id).unwrap();
        for r in &rows {
            let st = &s.states[s.seat(&r["iso3"]).unwrap()];
            let bp: f64 = r["bargaining_power"].parse().unwrap();
            let vw: f64 = r["voting_weight"].parse().unwrap();
            let pop: f64 = r["population_2021_millions"].parse().unwrap();
            assert_eq!(st.bargaining_power, bp, "{id} {}", st.id);
            assert_eq!(st.voting_weight, vw, "{id} {}", st.id);
            // Penrose: the square root of the population in thousands.
            assert!(((pop * 1000.0).sqrt() - vw).abs() < 0.051, "{}", st.id);
        }
        // Russia's weight in mediation is far above its share of the budget.
        let total_bp: f64 = s.states.iter().map(|st| st.bargaining_power).sum();
        let total_cap: f64 = s.states.iter().map(|st| st.capability).sum();
        let rus = &s.states[s.seat("RUS").unwrap()];
        assert!(rus.bargaining_power / total_bp > 2.0 * rus.capability / total_cap);
    }
}

#[test]
fn osce_2021_is_the_year_2021() {
    let s = scenario("osce-2021").unwrap();
    // The four heads appointed at Tirana on 4 December 2020 are in office.
    assert_eq!(s.institutions.len(), 4);
    for inst in &s.institutions {
        assert!(inst.head_in_office, "{} vacant", inst.id);
    }
    let heads = &s.groups[s.group("heads-2020").unwrap()];
    assert_eq!(heads.items.len(), 4);
    // The field missions are extended each year; their mandates lapse on deadlock.
    for id in ["smm-ukraine", "mission-moldova"] {
        let it = &s.agenda[s.item(id).unwrap()];
        assert!(it.recurring && it.status_quo == Some(50.0) && it.reversion == Some(0.0));
    }
    let budget = &s.agenda[s.item("unified-budget").unwrap()];
    assert!(budget.recurring);
    // Host consent: Ukraine and Moldova want their missions.
    for (state, item) in [("UKR", "smm-ukraine"), ("MDA", "mission-moldova")] {
        let (st, it) = (s.seat(state).unwrap(), s.item(item).unwrap());
        for seed in 1..10 {
            assert!(s.draw_preferences(seed).get(st, it).ideal > 50.0);
        }
    }
    // Russia and Belarus against Estonia's Chairpersonship bid, everyone else for it.
    let chair = s.item("chair-2024").unwrap();
    let p = s.draw_preferences(7);
    for st in &s.states {
        let ideal = p.get(s.seat(&st.id).unwrap(), chair).ideal;
        if st.id == "RUS" || st.id == "BLR" {
            assert!(ideal < 10.0, "{}", st.id);
        } else {
            assert!(ideal > 50.0, "{} {ideal}", st.id);
        }
    }
    assert!(s.default_strategies.is_some());
}

#[test]
fn osce_2021_capabilities_follow_the_budget_scale() {
    let s = scenario("osce-2021").unwrap();
    let cap = |id: &str| s.states[s.seat(id).unwrap()].capability;
    let total: f64 = s.states.iter().map(|st| st.capability).sum();
    assert!((95.0..=105.0).contains(&total), "sum {total}");
    assert!((cap("USA") - 13.0).abs() < 0.5);
    for id in ["GBR", "FRA", "DEU", "ITA"] {
        assert!((cap(id) - 10.0).abs() < 0.5, "{id}");
    }
    assert!((cap("RUS") - 4.0).abs() < 0.5);
    assert!((cap("KAZ") - 0.2).abs() < 0.05 && (cap("UZB") - 0.2).abs() < 0.05);
    let mut caps: Vec<f64> = s.states.iter().map(|st| st.capability).collect();
    caps.sort_by(|a, b| b.total_cmp(a));
    let top17: f64 = caps[..17].iter().sum();
    assert!(
        (85.0..=95.0).contains(&(top17 / total * 100.0)),
        "top 17 {top17}"
    );
}

#[test]
fn osce_2021_agenda_spans_the_dimensions_and_kinds() {
    let s = scenario("osce-2021").unwrap();
    assert!(s.agenda.len() >= 12);
    let dims: BTreeSet<Dimension> = s.agenda.iter().map(|i| i.dimension).collect();
    assert_eq!(dims.len(), 4, "{dims:?}");
    let kinds: BTreeSet<ItemKind> = s.agenda.iter().map(|i| i.kind).collect();
    assert_eq!(kinds.len(), ItemKind::ALL.len(), "{kinds:?}");
    let violation: Vec<_> = s
        .agenda
        .iter()
        .filter(|i| i.kind == ItemKind::ViolationResponse)
        .collect();
    assert_eq!(violation.len(), 1);
    assert_eq!(violation[0].accused, s.seat("RUS"));
    assert_eq!(s.tension.len(), 6);
    // Highest tension: Russia's bloc against the West and against the States whose
    // territory Russian or Russian-backed forces held.
    let west_csto = s.tension[&(0, 1)];
    let csto_aspirants = s.tension[&(1, 2)];
    assert!(
        s.tension
            .values()
            .all(|&t| t <= west_csto.max(csto_aspirants))
    );
    assert!(s.legitimacy[1] < s.legitimacy[0]);
}

#[test]
fn csce_1975_has_the_35_signatories_in_their_caucuses() {
    let s = scenario("csce-1975").unwrap();
    assert_eq!(s.states.len(), 35);
    assert_eq!(bloc_members(&s, "nato").len(), 15);
    assert_eq!(
        bloc_members(&s, "warsaw-pact"),
        ids(&["BGR", "CSK", "DDR", "HUN", "POL", "ROU", "SUN"])
    );
    // The N+N caucus of the Conference, and the four participants outside the caucuses.
    assert_eq!(
        bloc_members(&s, "nn"),
        ids(&[
            "AUT", "CHE", "CYP", "FIN", "LIE", "MLT", "SMR", "SWE", "YUG"
        ])
    );
    assert_eq!(
        bloc_members(&s, "other"),
        ids(&["ESP", "IRL", "MCO", "VAT"])
    );
    // Basket III as a reluctant concession: the Warsaw Pact's ideal on human contacts
    // lies below the practice before the Conference.
    let hc = s.item("human-contacts").unwrap();
    let sun = s.seat("SUN").unwrap();
    for seed in 1..20 {
        let p = s.draw_preferences(seed);
        assert!(
            p.get(sun, hc).ideal < s.agenda[hc].status_quo.unwrap(),
            "seed {seed}"
        );
    }
    assert!(s.agenda.len() >= 8);
    let dims: BTreeSet<Dimension> = s.agenda.iter().map(|i| i.dimension).collect();
    for d in [
        Dimension::PoliticoMilitary,
        Dimension::EconomicEnvironmental,
        Dimension::Human,
    ] {
        assert!(dims.contains(&d), "{d}");
    }
}

#[test]
fn designs_encode_the_paper() {
    let csce = design("csce-1975").unwrap();
    assert!(csce.procedure.package && !csce.procedure.naming_shaming);
    assert_eq!(csce.procedure.linkage, Linkage::Any);
    assert_eq!(csce.bodies.len(), 1);

    let osce = design("osce-2021").unwrap();
    let p = &osce.procedure;
    assert!(p.naming_shaming && p.silence_procedure && p.provisional_budget && p.exit_allowed);
    let body = osce
        .body_for(Dimension::PoliticoMilitary, ItemKind::ViolationResponse)
        .unwrap();
    assert_eq!(
        osce.rule_for(body, ItemKind::ViolationResponse),
        &Rule::Consensus {
            minus: 0,
            exclude_accused: true
        }
    );
    assert_eq!(
        osce.rule_for(body, ItemKind::UnifiedBudget),
        &Rule::Consensus {
            minus: 0,
            exclude_accused: false
        }
    );

    let p1 = design("path1-upgraded").unwrap();
    // The Secretary General's powers (agenda order, max-support mediation) apply only
    // while one is in office; without one the chairmanship proposes the compromise.
    let sg = p1
        .secretary_general
        .as_ref()
        .expect("path 1 has a strong SG");
    assert_eq!(sg.mediation, Some(Mediation::MaxSupport));
    assert_eq!(sg.institution, "sg");
    assert_eq!(p1.procedure.mediation, Mediation::Compromise);
    assert_eq!(p1.body_for(Dimension::Human, ItemKind::Declaration), None);
    assert_eq!(
        p1.body_for(Dimension::EconomicEnvironmental, ItemKind::Declaration),
        None
    );
    let exec = p1
        .body_for(Dimension::PoliticoMilitary, ItemKind::Csbm)
        .unwrap();
    assert!(p1.bodies[exec].binding && p1.bodies[exec].legally_binding);
    assert!(!p1.bodies[exec].members.is_plenary());
    assert!(matches!(
        p1.bodies[exec].rule,
        Rule::QualifiedMajority { weighted: true, .. }
    ));
    let plenary = p1
        .body_for(Dimension::General, ItemKind::UnifiedBudget)
        .unwrap();
    assert!(p1.bodies[plenary].members.is_plenary());

    let p2 = design("path2-conference").unwrap();
    assert!(p2.bodies.iter().all(|b| !b.binding));
    // Path 2 drops the semi-autonomous bodies: their appointments leave its agenda.
    let osce_sc = scenario("osce-2021").unwrap();
    for (id, kept) in [
        ("sg", true),
        ("odihr", false),
        ("rfom", false),
        ("hcnm", false),
    ] {
        assert_eq!(p2.keeps_institution(id), kept, "{id}");
        assert!(osce_sc.institution(id).is_some(), "{id}");
    }
    assert!(!osce.bodies.iter().any(|b| b.legally_binding));
    assert_eq!(osce.procedure.moscow_mechanism, 10);
    assert!(!p2.procedure.naming_shaming && p2.procedure.ad_hoc_min > 0);
    assert_eq!(p2.procedure.scope.len(), 4);
}

#[test]
fn drawing_preferences_is_reproducible_by_seed() {
    let s = scenario("osce-2021").unwrap();
    let a = s.draw_preferences(42);
    assert_eq!(a, s.draw_preferences(42));
    assert_ne!(a, s.draw_preferences(43));
    assert_eq!(a.states(), 57);
}

const SMALL: &str = r#"
[scenario]
id = "small"
name = "Small"

[[blocs]]
id = "a"
name = "A"

[[blocs]]
id = "b"
name = "B"

[[states]]
id = "AAA"
name = "Aland"
bloc = "a"
capability = 2.0

[[states]]
id = "BBB"
name = "Bland"
bloc = "b"
capability = 1.0

[[profiles]]
bloc = "a"
dimension = "human"
ideal = 80.0
salience = 0.8

[[profiles]]
bloc = "b"
dimension = "human"
ideal = 20.0
salience = 0.6

[[agenda]]
id = "decl"
title = "A declaration"
dimension = "human"
kind = "declaration"
status_quo = 10.0

[[preferences]]
state = "BBB"
item = "decl"
ideal = 33.0
salience = 0.25
capability = 7.0
"#;

#[test]
fn explicit_preferences_override_drawing() {
    let s = Scenario::from_toml("inline:small", SMALL).unwrap();
    let b = s.seat("BBB").unwrap();
    let a = s.seat("AAA").unwrap();
    for seed in [1, 2, 3] {
        let prefs = s.draw_preferences(seed);
        let p = prefs.get(b, 0);
        assert_eq!((p.ideal, p.salience, p.capability), (33.0, 0.25, 7.0));
        assert_eq!(prefs.get(a, 0).capability, 2.0);
    }
    assert_ne!(
        s.draw_preferences(1).get(a, 0),
        s.draw_preferences(2).get(a, 0)
    );
}

/// Writes `text` to a fresh file under the test's temporary directory.
fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plenary-scenarios-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Loads a broken variant of SMALL from a file and returns the error text.
fn broken(name: &str, from: &str, to: &str) -> (String, String) {
    assert!(SMALL.contains(from), "{from}");
    let path = write_temp(name, &SMALL.replacen(from, to, 1));
    let spec = path.to_str().unwrap().to_string();
    let err = load_scenario(&spec).expect_err("broken file must not load");
    assert!(matches!(err, LoadError::Invalid(_)), "{err:?}");
    (err.to_string(), spec)
}

#[test]
fn errors_name_the_file_and_the_key() {
    let (msg, origin) = broken(
        "unknown-key.toml",
        "capability = 2.0",
        "capability = 2.0\ncolour = \"red\"",
    );
    assert!(msg.starts_with(&origin), "{msg}");
    assert!(msg.contains("states[0]") && msg.contains("colour"), "{msg}");

    let (msg, origin) = broken(
        "wrong-type.toml",
        "status_quo = 10.0",
        "status_quo = \"high\"",
    );
    assert!(msg.starts_with(&origin), "{msg}");
    assert!(msg.contains("agenda[0].status_quo"), "{msg}");

    let (msg, origin) = broken(
        "out-of-range.toml",
        "status_quo = 10.0",
        "status_quo = 120.0",
    );
    assert!(msg.starts_with(&origin), "{msg}");
    assert!(
        msg.contains("agenda[0].status_quo") && msg.contains("120"),
        "{msg}"
    );

    let (msg, origin) = broken(
        "unknown-bloc.toml",
        "bloc = \"b\"\ncapability",
        "bloc = \"c\"\ncapability",
    );
    assert!(msg.starts_with(&origin), "{msg}");
    assert!(
        msg.contains("states[1].bloc") && msg.contains("`c`"),
        "{msg}"
    );
}

#[test]
fn design_errors_name_the_file_and_the_key() {
    let text = DESIGNS[1].1.replace("max_rounds = 4", "max_rounds = 0");
    let path = write_temp("bad-design.toml", &text);
    let err = load_design(path.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.starts_with(path.to_str().unwrap()) && err.contains("procedure.max_rounds"),
        "{err}"
    );
}

#[test]
fn unknown_presets_list_the_known_ones() {
    let err = load_scenario("osce-2099").unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::UnknownPreset {
                kind: "scenario",
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("osce-2099") && msg.contains("csce-1975, osce-2021"),
        "{msg}"
    );
    let msg = design("path3").unwrap_err().to_string();
    assert!(msg.contains("path2-conference"), "{msg}");
    let missing = load_scenario("no/such/file.toml").unwrap_err();
    assert!(
        matches!(&missing, LoadError::Read(e) if e.is_not_found()),
        "{missing:?}"
    );
    assert!(
        missing.to_string().starts_with("no/such/file.toml"),
        "{missing}"
    );
}

#[test]
fn presets_load_by_id_and_as_copied_files() {
    assert_eq!(
        load_scenario("osce-2021").unwrap(),
        scenario("osce-2021").unwrap()
    );
    assert_eq!(
        load_design("path2-conference").unwrap(),
        design("path2-conference").unwrap()
    );
    for (id, text) in SCENARIOS {
        let path = write_temp(&format!("scenario-{id}.toml"), text);
        assert!(matches!(check_file(&path), Ok(Checked::Scenario(s)) if s.id == *id));
        assert_eq!(
            load_scenario(path.to_str().unwrap()).unwrap(),
            scenario(id).unwrap()
        );
    }
    for (id, text) in DESIGNS {
        let path = write_temp(&format!("design-{id}.toml"), text);
        assert!(matches!(check_file(&path), Ok(Checked::Design(d)) if d.design.id == *id));
    }
    let path = write_temp("neither.toml", "[[blocs]]\nid = \"a\"\nname = \"A\"\n");
    assert!(matches!(
        check_file(&path),
        Err(LoadError::NotAScenarioOrDesign { .. })
    ));
    let path = write_temp(
        "checked-bad.toml",
        &SMALL.replace("ideal = 80.0", "ideal = 180.0"),
    );
    let msg = check_file(&path).unwrap_err().to_string();
    assert!(msg.contains("profiles[0].ideal"), "{msg}");
}

#[test]
fn embedded_errors_are_labelled_embedded() {
    // The presets are valid, so show the origin label through the same core path a broken
    // copy would take.
    let text = SCENARIOS[1]
        .1
        .replacen("status_quo = 50.0", "status_quo = 120.0", 1);
    let msg = Scenario::from_toml("embedded:osce-2021", &text)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("embedded:osce-2021: `agenda[0].status_quo`"),
        "{msg}"
    );
}

/// Without `--strategies`, a scenario's own `default_strategies` applies whole (its bloc
/// and State rules too), and the built-in mix only where a scenario has none.
#[test]
fn a_scenarios_own_mix_applies_whole() {
    use plenary_scenarios::plan::{MatchPlan, PlanRequest, Source, Strategies};
    let check = |_: &str| Ok(());
    let plan = |id: &str| {
        MatchPlan::resolve(PlanRequest {
            scenario: Source::Preset(id.into()),
            design: None,
            seed: 1,
            strategies: Strategies::Assign {
                spec: None,
                fallback_mix: "default=hardliner",
                check: &check,
            },
            match_id: None,
        })
        .unwrap()
    };
    let p = plan("csce-1975");
    let of = |state: &str| {
        let i = p
            .scenario
            .states
            .iter()
            .position(|s| s.id == state)
            .unwrap();
        p.strategies[i].as_str()
    };
    // default=dissociator,warsaw-pact=boulware,nn=mediator,ROU=dissociator,NLD=norm-entrepreneur
    assert_eq!(of("SUN"), "boulware");
    assert_eq!(of("ROU"), "dissociator");
    assert_eq!(of("AUT"), "mediator");
    assert_eq!(of("NLD"), "norm-entrepreneur");
    assert_eq!(of("USA"), "dissociator");
}
