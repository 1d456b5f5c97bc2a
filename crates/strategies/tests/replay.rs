//! Replaying published position data: explicit positions, saliences and powers, an item
//! without a status quo, an actor without a position on an item, truthful delegations
//! and a single round. The chair's first proposal under `compromise` mediation is then
//! the compromise-model prediction on the data (Stokman/van den Bos), and the record
//! keeps every State's stated position and vote.

use plenary_core::strategy::SeatBrief;
use plenary_core::{Design, Match, MatchSetup, Scenario, run_in_process};
use std::sync::Arc;

const DATA: &str = r#"
[scenario]
id = "replay"
name = "Replayed data"
default_strategies = "default=truthful"
[[blocs]]
id = "all"
name = "All"
[[states]]
id = "AAA"
name = "A"
bloc = "all"
capability = 1
bargaining_power = 8.5
voting_weight = 29
[[states]]
id = "BBB"
name = "B"
bloc = "all"
capability = 1
bargaining_power = 4.0
voting_weight = 10
[[states]]
id = "CCC"
name = "C"
bloc = "all"
capability = 1
bargaining_power = 1.5
voting_weight = 3
[[agenda]]
id = "issue-1"
title = "Issue 1 (no status quo in the data)"
dimension = "general"
kind = "declaration"
[[agenda]]
id = "issue-2"
title = "Issue 2"
dimension = "general"
kind = "declaration"
status_quo = 0
absent = ["CCC"]
[[preferences]]
state = "AAA"
item = "issue-1"
ideal = 100
salience = 0.9
[[preferences]]
state = "BBB"
item = "issue-1"
ideal = 30
salience = 0.6
[[preferences]]
state = "CCC"
item = "issue-1"
ideal = 0
salience = 1.0
capability = 6.0
[[preferences]]
state = "AAA"
item = "issue-2"
ideal = 60
salience = 0.5
[[preferences]]
state = "BBB"
item = "issue-2"
ideal = 20
salience = 0.8
"#;

const DESIGN: &str = r#"
[design]
id = "one-shot"
name = "One compromise, one vote"
[procedure]
sessions = 1
max_rounds = 1
mediation = "compromise"
scope = ["general"]
linkage = "none"
naming_shaming = false
silence_procedure = false
provisional_budget = false
exit_allowed = false
[[bodies]]
id = "council"
name = "Council"
rule = { kind = "qualified-majority", threshold = 0.6, weighted = true }
binding = true
[events]
rate = 0.0
tension_rate = 0.0
"#;

#[test]
fn truthful_delegations_replay_the_compromise_model() {
    let sc = Arc::new(Scenario::from_toml("replay", DATA).unwrap_or_else(|e| panic!("{e}")));
    let d = Arc::new(Design::from_toml("one-shot", DESIGN).unwrap());
    d.validate_for("one-shot", &sc).unwrap();
    assert_eq!(plenary_strategies::default_mix(&sc), "default=truthful");
    let names = vec!["truthful".to_string(); 3];
    let setup = MatchSetup {
        match_id: "replay".into(),
        seed: 1,
        strategies: names.clone(),
    };
    let mut make = |b: &SeatBrief| plenary_strategies::create(&names[b.seat as usize], b).unwrap();
    let r = run_in_process(Match::new(Arc::clone(&sc), d, setup), &mut make);
    let items = &r.sessions[0].items;
    // Issue 1: (8.5*0.9*100 + 4*0.6*30 + 6*1.0*0) / (8.5*0.9 + 4*0.6 + 6*1.0) = 837 / 16.05.
    let first = items[0].history[0].proposal.unwrap();
    assert!((first - 837.0 / 16.05).abs() < 1e-9, "{first}");
    assert!((items[0].compromise_ref - first).abs() < 1e-9);
    assert_eq!(items[0].status_quo, None);
    // Truthful votes without a status quo: within the red line (30 by default).
    // |52.1 - 100| > 30: AAA no; |52.1 - 30| = 22.1: BBB yes; |52.1 - 0| > 30: CCC no.
    assert_eq!(items[0].history[1].votes.as_deref(), Some("NYN"));
    // Weighted 10 of 42 < 0.6: not adopted; no policy follows.
    assert!(!items[0].decided && items[0].outcome.is_none());
    // Issue 2 without CCC: (8.5*0.5*60 + 4*0.8*20) / (8.5*0.5 + 4*0.8) = 319 / 7.45.
    let second = items[1].history[0].proposal.unwrap();
    assert!((second - 319.0 / 7.45).abs() < 1e-9, "{second}");
    assert_eq!(
        items[1].history[0].positions.as_ref().unwrap(),
        &[Some(60.0), Some(20.0), None]
    );
    // AAA gains over 0; BBB (ideal 20) would be 22.8 away instead of 20: no. CCC is
    // neither asked nor counted: 29 of 39 weighted votes = 0.74 >= 0.6 adopts.
    assert_eq!(items[1].history[1].votes.as_deref(), Some("YN."));
    assert!(items[1].decided);
    assert_eq!((items[1].yes, items[1].no, items[1].absent), (1, 1, 0));
}
