//! End-to-end behaviour of the session engine on small hand-made scenarios.

use plenary_core::strategy::{
    PositionAnswer, RoundContext, SeatBrief, SeatView, Stance, Strategy, Vote,
};
use plenary_core::{Design, Match, MatchSetup, Scenario, run_in_process};
use std::sync::Arc;

const SCENARIO: &str = r#"
[scenario]
id = "mini"
name = "Mini"
[[blocs]]
id = "a"
name = "A"
[[blocs]]
id = "b"
name = "B"
[[states]]
id = "AAA"
name = "Alpha"
bloc = "a"
capability = 10
[[states]]
id = "BBB"
name = "Beta"
bloc = "a"
capability = 5
[[states]]
id = "CCC"
name = "Gamma"
bloc = "b"
capability = 5
[[profiles]]
bloc = "a"
dimension = "human"
ideal = 80
salience = 0.8
[[profiles]]
bloc = "b"
dimension = "human"
ideal = 30
salience = 0.8
[[profiles]]
bloc = "a"
dimension = "general"
ideal = 60
salience = 0.5
[[profiles]]
bloc = "b"
dimension = "general"
ideal = 40
salience = 0.5
[[agenda]]
id = "decl"
title = "Declaration"
dimension = "human"
kind = "declaration"
status_quo = 50
[[agenda]]
id = "budget"
title = "Budget"
dimension = "general"
kind = "unified-budget"
status_quo = 50
reversion = 0
[[preferences]]
state = "CCC"
item = "decl"
ideal = 10
salience = 1.0
red_line = 5
"#;

fn design(extra: &str, rule: &str) -> Design {
    let text = format!(
        r#"
[design]
id = "t"
name = "Test"
[procedure]
sessions = 2
max_rounds = 3
mediation = "compromise"
scope = ["human", "general"]
linkage = "any"
naming_shaming = true
silence_procedure = false
provisional_budget = true
exit_allowed = true
{extra}
[[bodies]]
id = "pc"
name = "Council"
rule = {rule}
binding = true
"#
    );
    Design::from_toml("test-design", &text).unwrap()
}

/// States its ideal; accepts when the proposal is within its red line.
struct Sincere {
    prefs: Vec<plenary_core::Preference>,
}
impl Strategy for Sincere {
    fn name(&self) -> &str {
        "sincere"
    }
    fn position(&mut self, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        let p = self.prefs[ctx.item as usize];
        PositionAnswer {
            position: p.ideal,
            salience: p.salience,
            link: None,
        }
    }
    fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
        let Some(x) = ctx.proposal else {
            return Vote::Yes;
        };
        let p = self.prefs[ctx.item as usize];
        if (x - p.ideal).abs() <= p.red_line {
            Vote::Yes
        } else {
            Vote::No
        }
    }
    fn session_end(
        &mut self,
        _s: &plenary_core::strategy::SessionSummary,
        _me: &SeatView,
    ) -> Stance {
        Stance::Stay
    }
}

fn sincere(b: &SeatBrief) -> Box<dyn Strategy> {
    Box::new(Sincere {
        prefs: b.preferences.clone(),
    })
}

fn run(design: Design, seed: u64) -> plenary_core::MatchResult {
    let sc = Arc::new(Scenario::from_toml("mini", SCENARIO).unwrap());
    let setup = MatchSetup {
        match_id: "m".into(),
        seed,
        strategies: vec!["sincere".into(); 3],
    };
    run_in_process(Match::new(sc, Arc::new(design), setup), &mut sincere)
}

#[test]
fn consensus_blocks_where_majority_decides() {
    let consensus = run(design("", r#"{ kind = "consensus" }"#), 1);
    let decl = &consensus.sessions[0].items[0];
    assert_eq!(decl.id, "decl");
    // CCC (ideal 10, red line 5) objects to any compromise near 60.
    assert!(!decl.decided, "{decl:?}");
    assert_eq!(decl.rounds, 3);
    assert_eq!(decl.objections_by_bloc, vec![0, 1]);
    // It blocked a human-dimension item from far below the proposal: named and shamed.
    assert_eq!(decl.shamed, vec!["CCC".to_string()]);

    let qm = run(
        design(
            "",
            r#"{ kind = "qualified-majority", threshold = 0.6, weighted = true }"#,
        ),
        1,
    );
    assert!(qm.sessions[0].items[0].decided);
    assert!(qm.summary.capacity_to_act > consensus.summary.capacity_to_act);
}

#[test]
fn blocked_budget_runs_on_provisional_allotments() {
    let r = run(design("", r#"{ kind = "consensus" }"#), 1);
    let budget = &r.sessions[0].items[1];
    if !budget.decided {
        assert_eq!(
            budget.decision,
            plenary_core::strategy::Decision::Provisional
        );
        assert_eq!(budget.outcome, 50.0);
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = serde_json::to_string(&run(design("", r#"{ kind = "consensus" }"#), 7)).unwrap();
    let b = serde_json::to_string(&run(design("", r#"{ kind = "consensus" }"#), 7)).unwrap();
    let c = serde_json::to_string(&run(design("", r#"{ kind = "consensus" }"#), 8)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}
