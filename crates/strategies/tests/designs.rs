//! Design options of the presets, played with the built-in strategies: Path 1's
//! Executive Council veto (a tested option), and sessions that differ from one another.

use plenary_core::assignment::Assignment;
use plenary_core::strategy::{Decision, SeatBrief};
use plenary_core::{Design, Match, MatchResult, MatchSetup, Scenario, run_in_process};
use std::sync::Arc;

fn run(sc: &Arc<Scenario>, d: &Arc<Design>, seed: u64) -> MatchResult {
    let names = Assignment::parse(plenary_strategies::DEFAULT_MIX)
        .unwrap()
        .resolve(sc, "dissociator")
        .unwrap();
    let setup = MatchSetup {
        match_id: format!("designs-{seed}"),
        seed,
        strategies: names.clone(),
    };
    let mut make = |b: &SeatBrief| plenary_strategies::create(&names[b.seat as usize], b).unwrap();
    run_in_process(Match::new(Arc::clone(sc), Arc::clone(d), setup), &mut make)
}

/// Path 1 with `permanent_veto = true`: a permanent member's objection blocks what the
/// qualified majority of the Executive Council would adopt.
#[test]
fn path1_executive_council_veto_blocks_what_the_majority_adopts() {
    let sc = Arc::new(plenary_scenarios::scenario("osce-2021").unwrap());
    let plain = plenary_scenarios::design("path1-upgraded").unwrap();
    let ec = plain
        .bodies
        .iter()
        .position(|b| b.id == "executive-council")
        .expect("path 1 has an Executive Council");
    assert!(
        !plain.bodies[ec].members.permanent_veto,
        "the preset has no veto"
    );
    let mut veto = plain.clone();
    veto.bodies[ec].members.permanent_veto = true;
    veto.validate("veto").unwrap();
    veto.validate_for("veto", &sc).unwrap();
    let (plain, veto) = (Arc::new(plain), Arc::new(veto));
    let permanent: Vec<usize> = veto.bodies[ec]
        .members
        .permanent
        .iter()
        .map(|id| sc.seat(id).unwrap())
        .collect();
    let (mut without, mut with, mut vetoed) = (0, 0, 0);
    for seed in 1..=5 {
        let a = run(&sc, &plain, seed);
        let b = run(&sc, &veto, seed);
        let ec_decided = |r: &MatchResult| {
            r.sessions
                .iter()
                .flat_map(|s| &s.items)
                .filter(|i| i.body.as_deref() == Some("executive-council") && i.decided)
                .count()
        };
        without += ec_decided(&a);
        with += ec_decided(&b);
        // Where the veto bit, a permanent member objected in the final vote.
        for (x, y) in a.sessions[0].items.iter().zip(&b.sessions[0].items) {
            if x.body.as_deref() == Some("executive-council") && x.decided && !y.decided {
                let votes = y.history.last().and_then(|h| h.votes.clone()).unwrap();
                assert!(
                    permanent.iter().any(|&s| votes.as_bytes()[s] == b'N'),
                    "seed {seed} {}: blocked without a permanent objection: {votes}",
                    y.id
                );
                assert_eq!(y.decision, Decision::Reverted);
                vetoed += 1;
            }
        }
    }
    assert!(with < without, "veto {with} vs no veto {without}");
    assert!(vetoed > 0);
}

/// A default run's sessions differ: agreements carry over as the policy in force,
/// tension moves red lines and events happen, so the record is not the same session
/// three times over.
#[test]
fn sessions_of_a_default_run_differ() {
    let sc = Arc::new(plenary_scenarios::scenario("osce-2021").unwrap());
    let d = Arc::new(plenary_scenarios::design("osce-2021").unwrap());
    let (mut same, mut total) = (0, 0);
    for seed in 1..=5 {
        let r = run(&sc, &d, seed);
        for pair in r.sessions.windows(2) {
            for (x, y) in pair[0].items.iter().zip(&pair[1].items) {
                total += 1;
                if (x.decision, x.status_quo, x.outcome) == (y.decision, y.status_quo, y.outcome) {
                    same += 1;
                }
            }
        }
        // Tension is not frozen either.
        let t: Vec<f64> = r.sessions.iter().map(|s| s.tension.final_max).collect();
        assert!(t.windows(2).any(|w| w[0] != w[1]), "seed {seed}: {t:?}");
    }
    assert!(same < total, "every item repeats itself: {same} of {total}");
}
