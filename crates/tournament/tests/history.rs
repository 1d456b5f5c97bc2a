//! The historical check end to end on a hand-made case whose outcomes can be worked out
//! by hand, and the embedded history tables against the presets they score.

use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Vote};
use plenary_core::{Design, Scenario, Strategy};
use plenary_tournament::exec::StrategyMaker;
use plenary_tournament::history::{self, Expected, HistoryTable};
use std::sync::Arc;

const SCENARIO: &str = r#"
[scenario]
id = "tiny"
name = "Tiny"

[[blocs]]
id = "a"
name = "A"

[[states]]
id = "AAA"
name = "Aland"
bloc = "a"
capability = 1.0

[[states]]
id = "BBB"
name = "Bland"
bloc = "a"
capability = 1.0

[[profiles]]
bloc = "a"
dimension = "general"
ideal = 60.0
salience = 0.5

[[agenda]]
id = "decl"
title = "A declaration both accept"
dimension = "general"
kind = "declaration"
status_quo = 20.0

[[agenda]]
id = "mandate"
title = "A mandate BBB blocks"
dimension = "general"
kind = "field-mission"
status_quo = 50.0
reversion = 0.0

[[agenda]]
id = "budget"
title = "A budget BBB blocks"
dimension = "general"
kind = "unified-budget"
status_quo = 50.0
"#;

const DESIGN: &str = r#"
[design]
id = "tiny-consensus"
name = "Consensus"

[procedure]
sessions = 1
max_rounds = 2
mediation = "compromise"
scope = ["general"]
linkage = "none"
naming_shaming = false
silence_procedure = false
provisional_budget = true
exit_allowed = false

[[bodies]]
id = "council"
name = "Council"
rule = { kind = "consensus" }
binding = true
"#;

/// Seat AAA accepts everything; seat BBB ("blocker") accepts only the declaration.
struct Fixed {
    blocker: bool,
}

impl Strategy for Fixed {
    fn name(&self) -> &str {
        if self.blocker { "blocker" } else { "yes" }
    }
    fn position(&mut self, _ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        PositionAnswer {
            position: 50.0,
            salience: 0.5,
            ..Default::default()
        }
    }
    fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
        if self.blocker && ctx.item != 0 {
            Vote::No
        } else {
            Vote::Yes
        }
    }
}

fn maker() -> Arc<StrategyMaker> {
    Arc::new(
        |name: &str, _b: &SeatBrief| -> Result<Box<dyn Strategy>, String> {
            Ok(Box::new(Fixed {
                blocker: name == "blocker",
            }))
        },
    )
}

const TABLE: &str = r#"
[history]
scenario = "tiny"
session = 0
period = "year one"

[[outcomes]]
item = "decl"
expected = "adopted"
range = [45.0, 55.0]
source = "by construction: both accept the compromise of 50 in round 1"

[[outcomes]]
item = "mandate"
expected = "blocked"
range = [0.0, 0.0]
source = "by construction: BBB objects, the mandate reverts to 0"

[[outcomes]]
item = "budget"
expected = "provisional"
source = "by construction: BBB objects, the budget runs on allotments"

[[outcomes]]
item = "decl"
expected = "late"
source = "a wrong line: the declaration passes in the first round"
"#;

#[test]
fn hand_worked_hit_rates() {
    // The duplicate line for `decl` is deliberate here: parse rejects it, so the
    // wrong line is scored through a table that names it under its own item.
    let err = HistoryTable::parse("t", TABLE).unwrap_err().to_string();
    assert!(err.contains("outcomes[3].item"), "{err}");
    let table = HistoryTable::parse(
        "t",
        &TABLE.replacen(
            "item = \"decl\"\nexpected = \"late\"",
            "item = \"mandate-late\"\nexpected = \"late\"",
            1,
        ),
    )
    .unwrap();
    let sc = Scenario::from_toml("tiny", SCENARIO).unwrap();
    let d = Design::from_toml("tiny", DESIGN).unwrap();
    // The stray line names no agenda item: validation says so.
    let err = table.validate_for("t", &sc, &d).unwrap_err().to_string();
    assert!(
        err.contains("outcomes[3].item") && err.contains("mandate-late"),
        "{err}"
    );

    let mut table = table;
    table.outcomes.pop();
    table.validate_for("t", &sc, &d).unwrap();
    let seeds = history::seeds(7, "tiny", 3);
    let strategies = vec!["yes".to_string(), "blocker".to_string()];
    let results = history::run(
        Arc::new(sc.clone()),
        Arc::new(d.clone()),
        &strategies,
        &seeds,
        maker(),
        Some(2),
    )
    .unwrap();
    assert_eq!(results.len(), 3);
    let r = history::score(
        &table,
        "t",
        &sc,
        &d,
        "AAA=yes,BBB=blocker",
        7,
        &seeds,
        &results,
    );
    assert_eq!(r.hit_rate, 1.0, "{r:#?}");
    assert_eq!(r.complete_matches, 3);
    assert_eq!(r.items[0].observed.get("adopted"), Some(&3));
    assert_eq!(r.items[1].observed.get("blocked"), Some(&3));
    assert_eq!(r.items[2].observed.get("provisional"), Some(&3));

    // Claiming the declaration came late, and the mandate was extended, makes those two
    // lines miss in every seed: 1 hit of 3 lines.
    table.outcomes[0].expected = Expected::Late;
    table.outcomes[1].expected = Expected::Adopted;
    let r = history::score(&table, "t", &sc, &d, "", 7, &seeds, &results);
    assert!((r.hit_rate - 1.0 / 3.0).abs() < 1e-12, "{}", r.hit_rate);
    assert_eq!(r.complete_matches, 0);
    assert_eq!(r.items[0].hits, 0);
    assert_eq!(r.items[2].hits, 3);
    // The text report names every line and the overall rate.
    let t = history::text(&r);
    assert!(
        t.contains("decl") && t.contains("overall hit rate 0.333"),
        "{t}"
    );
    // A table about another session than the design runs is refused.
    table.history.session = 1;
    let err = table.validate_for("t", &sc, &d).unwrap_err().to_string();
    assert!(err.contains("history.session"), "{err}");
}

#[test]
fn embedded_history_tables_fit_their_presets() {
    assert!(!plenary_scenarios::HISTORY.is_empty());
    for (id, text) in plenary_scenarios::HISTORY {
        let origin = format!("embedded:history/{id}");
        let t = HistoryTable::parse(&origin, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&t.history.scenario, id);
        let sc = plenary_scenarios::scenario(id).unwrap();
        let d = plenary_scenarios::design(sc.default_design.as_deref().unwrap()).unwrap();
        t.validate_for(&origin, &sc, &d)
            .unwrap_or_else(|e| panic!("{e}"));
        for o in &t.outcomes {
            assert!(o.source.len() > 10, "{id}/{}: source too thin", o.item);
        }
    }
}
