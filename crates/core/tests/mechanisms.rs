//! Hand-worked checks of the mechanisms of issue 10: commitments in force, one-off and
//! recurring items, absent actors, items without a status quo, the round-by-round
//! record, group packages, trade offers and refused links, steps-to-war events, the
//! crisis threshold, legal and political force, the Secretary General's powers, conduct
//! reports, the Moscow Mechanism, faults that never pay and the question bound.
//!
//! The delegations here are scripted test strategies: each test states exactly what
//! every seat answers, so the engine's rules alone decide the outcome.

use plenary_core::strategy::{
    Decision, Fault, Offer, Phase, PositionAnswer, Reply, RoundContext, SeatBrief, SeatView,
    SessionSummary, Stance, Strategy, Vote,
};
use plenary_core::{
    Answerer, Design, Match, MatchResult, MatchSetup, Scenario, max_questions, run_in_process,
    run_with,
};
use std::sync::{Arc, Mutex};

/// Two blocs, four States; items are added per test.
const HEAD: &str = r#"
[scenario]
id = "mech"
name = "Mechanisms"
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
[[states]]
id = "DDD"
name = "Delta"
bloc = "b"
capability = 2
[[profiles]]
bloc = "a"
dimension = "human"
ideal = 80
ideal_sd = 0
salience = 0.8
salience_sd = 0
[[profiles]]
bloc = "b"
dimension = "human"
ideal = 20
ideal_sd = 0
salience = 0.8
salience_sd = 0
[[profiles]]
bloc = "a"
dimension = "general"
ideal = 60
ideal_sd = 0
salience = 0.5
salience_sd = 0
[[profiles]]
bloc = "b"
dimension = "general"
ideal = 40
ideal_sd = 0
salience = 0.5
salience_sd = 0
[[profiles]]
bloc = "a"
dimension = "politico-military"
ideal = 70
ideal_sd = 0
salience = 0.6
salience_sd = 0
[[profiles]]
bloc = "b"
dimension = "politico-military"
ideal = 50
ideal_sd = 0
salience = 0.6
salience_sd = 0
"#;

fn item(id: &str, dim: &str, kind: &str, extra: &str) -> String {
    format!(
        "[[agenda]]\nid = \"{id}\"\ntitle = \"{id}\"\ndimension = \"{dim}\"\nkind = \"{kind}\"\n{extra}\n"
    )
}

fn scenario(items: &[String], tail: &str) -> Arc<Scenario> {
    let text = format!("{HEAD}{}{tail}", items.concat());
    Arc::new(Scenario::from_toml("mech", &text).unwrap_or_else(|e| panic!("{e}")))
}

fn design(procedure: &str, body: &str, tables: &str) -> Arc<Design> {
    let text = format!(
        r#"
[design]
id = "d"
name = "D"
[procedure]
sessions = 2
max_rounds = 2
mediation = "compromise"
scope = ["politico-military", "economic-environmental", "human", "general"]
linkage = "any"
naming_shaming = true
silence_procedure = false
provisional_budget = false
exit_allowed = false
{procedure}
[[bodies]]
id = "pc"
name = "Council"
rule = {{ kind = "consensus" }}
binding = true
{body}
[events]
rate = 0.0
tension_rate = 0.0
{tables}
"#
    );
    Arc::new(Design::from_toml("d", &text).unwrap_or_else(|e| panic!("{e}")))
}

type PosFn = dyn Fn(&SeatBrief, &RoundContext, &SeatView) -> PositionAnswer + Send + Sync;
type VoteFn = dyn Fn(&SeatBrief, &RoundContext, &SeatView) -> Vote + Send + Sync;

/// A scripted delegation.
struct Script {
    brief: SeatBrief,
    pos: Arc<PosFn>,
    vote: Arc<VoteFn>,
}

impl Strategy for Script {
    fn name(&self) -> &str {
        "script"
    }
    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        (self.pos)(&self.brief, ctx, me)
    }
    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote {
        (self.vote)(&self.brief, ctx, me)
    }
    fn session_end(&mut self, _: &SessionSummary, _: &SeatView) -> Stance {
        Stance::Stay
    }
}

/// States its true ideal and salience.
fn sincere_pos() -> Arc<PosFn> {
    Arc::new(|b, ctx, _| {
        let p = b.preferences[ctx.item as usize];
        PositionAnswer {
            position: p.ideal,
            salience: p.salience,
            ..Default::default()
        }
    })
}

fn run(
    sc: &Arc<Scenario>,
    d: &Arc<Design>,
    seed: u64,
    pos: Arc<PosFn>,
    vote: Arc<VoteFn>,
) -> MatchResult {
    let setup = MatchSetup {
        match_id: "m".into(),
        seed,
        strategies: vec!["script".into(); sc.states.len()],
    };
    run_in_process(Match::new(Arc::clone(sc), Arc::clone(d), setup), &mut |b| {
        Box::new(Script {
            brief: b.clone(),
            pos: Arc::clone(&pos),
            vote: Arc::clone(&vote),
        })
    })
}

fn item_of<'a>(
    r: &'a MatchResult,
    session: usize,
    id: &str,
) -> &'a plenary_core::metrics::ItemResult {
    r.sessions[session]
        .items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} not in session {session}"))
}

#[test]
fn agreements_stay_in_force_and_one_off_items_are_not_reopened() {
    let sc = scenario(
        &[
            item(
                "decl",
                "human",
                "declaration",
                "status_quo = 50\nrecurring = false",
            ),
            item("budget", "general", "unified-budget", "status_quo = 50"),
            item(
                "mandate",
                "general",
                "field-mission",
                "status_quo = 50\nreversion = 0",
            ),
        ],
        "",
    );
    let d = design("", "", "");
    // Everyone accepts in session 0; in session 1 CCC objects to everything.
    let vote: Arc<VoteFn> = Arc::new(|b, ctx, _| {
        if ctx.session == 1 && b.state == "CCC" {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    let r = run(&sc, &d, 1, sincere_pos(), vote);
    let decl0 = item_of(&r, 0, "decl");
    assert_eq!(decl0.decision, Decision::Adopted);
    let agreed = decl0.in_force.unwrap();
    // The one-off declaration stays decided: not re-opened, nothing asked, still in force.
    let decl1 = item_of(&r, 1, "decl");
    assert_eq!(decl1.decision, Decision::Settled);
    assert_eq!((decl1.rounds, decl1.history.len()), (0, 0));
    assert_eq!(decl1.in_force, Some(agreed));
    // The recurring budget agreed in session 0 and blocked in session 1 keeps what was
    // agreed (the policy in force), not the original status quo of 50.
    let budget0 = item_of(&r, 0, "budget");
    let budget1 = item_of(&r, 1, "budget");
    assert_eq!(budget1.decision, Decision::Reverted);
    assert_eq!(budget1.status_quo, budget0.in_force);
    assert_eq!(budget1.outcome, budget0.in_force);
    assert_ne!(budget1.outcome, Some(50.0));
    // A mandate with a reversion point expires when it is not renewed.
    let mandate1 = item_of(&r, 1, "mandate");
    assert_eq!(mandate1.decision, Decision::Reverted);
    assert_eq!(mandate1.outcome, Some(0.0));
    // Capacity to act in session 1 counts only what was on its agenda.
    assert_eq!(r.sessions[1].in_scope, 2);
}

#[test]
fn an_absent_state_is_neither_asked_nor_counted() {
    let sc = scenario(
        &[item(
            "decl",
            "human",
            "declaration",
            "status_quo = 50\nabsent = [\"CCC\"]",
        )],
        "",
    );
    let d = design("", "", "");
    // CCC would object to everything, and panics if asked about the item at all.
    let pos: Arc<PosFn> = Arc::new(|b, ctx, _| {
        assert_ne!(b.state, "CCC", "asked about an item it has no position on");
        let p = b.preferences[ctx.item as usize];
        PositionAnswer {
            position: p.ideal,
            salience: p.salience,
            ..Default::default()
        }
    });
    let vote: Arc<VoteFn> = Arc::new(|b, _, _| {
        assert_ne!(b.state, "CCC");
        Vote::Yes
    });
    let r = run(&sc, &d, 1, pos, vote);
    let decl = item_of(&r, 0, "decl");
    assert!(decl.decided);
    assert_eq!(
        (decl.yes, decl.no, decl.absent),
        (3, 0, 0),
        "not counted, not absent"
    );
    let votes = decl.history[1].votes.as_deref().unwrap();
    assert_eq!(votes, "YY.Y");
    let positions = decl.history[0].positions.as_ref().unwrap();
    assert_eq!(positions[2], None);
    // Its brief says so, and its preference on the item weighs nothing.
    let m = Match::new(
        Arc::clone(&sc),
        Arc::clone(&d),
        MatchSetup {
            match_id: "m".into(),
            seed: 1,
            strategies: vec![],
        },
    );
    let brief = m.brief(2);
    assert_eq!(brief.absent_items, vec![0]);
    assert_eq!(brief.preferences[0].salience, 0.0);
    // The compromise reference is that of the three States with a position:
    // (10*0.8*80 + 5*0.8*80 + 2*0.8*20) / (0.8 * 17) = 1240 / 17.
    assert!(
        (decl.compromise_ref - 1240.0 / 17.0).abs() < 1e-9,
        "{}",
        decl.compromise_ref
    );
}

#[test]
fn an_item_without_a_status_quo_runs_under_compromise_and_keeps_no_policy_on_deadlock() {
    let sc = scenario(&[item("decl", "human", "declaration", "")], "");
    let d = design("", "", "");
    let no: Arc<VoteFn> = Arc::new(|b, _, _| {
        if b.state == "DDD" {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    let r = run(&sc, &d, 1, sincere_pos(), no);
    let decl = item_of(&r, 0, "decl");
    assert_eq!(decl.status_quo, None);
    assert_eq!(decl.decision, Decision::Reverted);
    assert_eq!((decl.outcome, decl.in_force), (None, None));
    // The first proposal is the compromise of stated positions:
    // (10*80 + 5*80 + 5*20 + 2*20) / 22 = 1340 / 22.
    assert!((decl.history[0].proposal.unwrap() - 1340.0 / 22.0).abs() < 1e-9);
    assert_eq!(decl.welfare_gain, 0.0);
    // A design whose mediation needs a disagreement point says why it cannot run it.
    let nash = design("", "", "").as_ref().clone();
    let mut nash = nash;
    nash.procedure.mediation = plenary_core::design::Mediation::Nash;
    let err = nash.validate_for("nash.toml", &sc).unwrap_err().to_string();
    assert_eq!(
        err,
        "nash.toml: `procedure.mediation`: item `decl` (agenda[0]) of scenario `mech` has no status quo, but mediation `nash` needs one as the disagreement point"
    );
}

#[test]
fn the_record_keeps_every_round_and_every_vote() {
    let sc = scenario(
        &[item("decl", "human", "declaration", "status_quo = 50")],
        "",
    );
    let d = design("", "", "");
    // Round 0: CCC objects; round 1: everyone accepts.
    let vote: Arc<VoteFn> = Arc::new(|b, ctx, _| {
        if ctx.round == 0 && b.state == "CCC" {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    let r = run(&sc, &d, 1, sincere_pos(), vote);
    let h = &item_of(&r, 0, "decl").history;
    let phases: Vec<(Phase, u32)> = h.iter().map(|x| (x.phase, x.round)).collect();
    assert_eq!(
        phases,
        [
            (Phase::Positions, 0),
            (Phase::Decision, 0),
            (Phase::Positions, 1),
            (Phase::Decision, 1)
        ]
    );
    assert_eq!(h[1].votes.as_deref(), Some("YYNY"));
    assert_eq!(h[3].votes.as_deref(), Some("YYYY"));
    assert_eq!(
        h[0].positions.as_ref().unwrap(),
        &[Some(80.0), Some(80.0), Some(20.0), Some(20.0)]
    );
    assert_eq!(h[1].proposal, h[0].proposal);
    // Decisions asked: 4 seats x (2 positions + 2 votes) rounds x 2 sessions.
    assert_eq!(r.decisions, 32);
}

fn heads_scenario(tail: &str) -> Arc<Scenario> {
    scenario(
        &[
            item("appoint-x", "human", "appointment", "status_quo = 10"),
            item("appoint-y", "general", "appointment", "status_quo = 10"),
        ],
        &format!(
            "[[groups]]\nid = \"heads\"\ntitle = \"Heads\"\nitems = [\"appoint-x\", \"appoint-y\"]\n{tail}"
        ),
    )
}

/// CCC blocks x, AAA blocks y, each on its own; both accept the package.
fn cross_blockade() -> Arc<VoteFn> {
    Arc::new(|b, ctx, _| match ctx.phase {
        Phase::Package => Vote::Yes,
        _ => match (b.state.as_str(), ctx.item) {
            ("CCC", 0) | ("AAA", 1) => Vote::No,
            _ => Vote::Yes,
        },
    })
}

#[test]
fn a_group_package_ends_a_cross_blockade() {
    let sc = heads_scenario("");
    let r = run(&sc, &design("", "", ""), 1, sincere_pos(), cross_blockade());
    for id in ["appoint-x", "appoint-y"] {
        let it = item_of(&r, 0, id);
        assert_eq!(it.decision, Decision::Adopted, "{it:?}");
        assert_eq!(it.package.as_deref(), Some("heads"));
        assert_eq!(it.history.last().unwrap().phase, Phase::Package);
        // The package adopts the last proposal of the item that failed on its own.
        assert_eq!(it.outcome, it.proposal);
    }
    // The package vote rode on ctx.package: both items, at their proposals.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    let vote: Arc<VoteFn> = Arc::new(move |b, ctx, me| {
        if ctx.phase == Phase::Package {
            s2.lock().unwrap().push((ctx.group, ctx.package.len()));
        }
        cross_blockade()(b, ctx, me)
    });
    run(&sc, &design("", "", ""), 1, sincere_pos(), vote);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|&(g, n)| g == Some(0) && n == 2)
    );
    // Without packages, or with linkage only inside a dimension (x is human, y general),
    // the blockade stands.
    for procedure in ["group_packages = false", ""] {
        let d = if procedure.is_empty() {
            let mut d = design("", "", "").as_ref().clone();
            d.procedure.linkage = plenary_core::design::Linkage::SameDimension;
            Arc::new(d)
        } else {
            design(procedure, "", "")
        };
        let r = run(&sc, &d, 1, sincere_pos(), cross_blockade());
        assert!(
            r.sessions[0]
                .items
                .iter()
                .all(|i| !i.decided && i.package.is_none())
        );
    }
}

#[test]
fn a_trade_offer_taken_up_turns_an_objection_into_consent() {
    // BBB objects to the declaration unless the budget (decided first) reaches 70+-5;
    // it offers its support on the declaration for that.
    let sc = scenario(
        &[
            item("budget", "general", "unified-budget", "status_quo = 50"),
            item("decl", "human", "declaration", "status_quo = 50"),
        ],
        "",
    );
    let offer_pos = |target: f64| -> Arc<PosFn> {
        Arc::new(move |b, ctx, _| {
            let p = b.preferences[ctx.item as usize];
            let mut a = PositionAnswer {
                position: p.ideal,
                salience: p.salience,
                ..Default::default()
            };
            if b.state == "BBB" && ctx.item == 1 {
                a.offer = Some(Offer {
                    item: 0,
                    target,
                    tolerance: 5.0,
                });
            }
            // The offer is taken up: the budget is stated at the target.
            if ctx.item == 0 && ctx.offers.iter().any(|o| o.want == 0) {
                a.position = target;
            }
            a
        })
    };
    let vote: Arc<VoteFn> = Arc::new(|b, ctx, _| {
        if b.state == "BBB" && ctx.item == 1 {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    // Session 0: the offer is made on the declaration, after the budget was decided at
    // the compromise; session 1: the others move the budget to the target, and the
    // declaration passes with BBB's support.
    let r = run(
        &sc,
        &design("", "", ""),
        1,
        offer_pos(70.0),
        Arc::clone(&vote),
    );
    let decl0 = item_of(&r, 0, "decl");
    assert_eq!((decl0.offers, decl0.offers_honoured), (1, 0));
    assert!(!decl0.decided);
    let budget1 = item_of(&r, 1, "budget");
    assert!(
        (budget1.outcome.unwrap() - 70.0).abs() < 1e-9,
        "{budget1:?}"
    );
    let decl1 = item_of(&r, 1, "decl");
    assert_eq!(decl1.offers_honoured, 1);
    assert!(decl1.decided, "{decl1:?}");
    assert_eq!(decl1.history.last().unwrap().votes.as_deref(), Some("YYYY"));
    // An offer the design forbids is refused, and the delegation is told in its view.
    let mut none = design("", "", "").as_ref().clone();
    none.procedure.linkage = plenary_core::design::Linkage::None;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    let spy: Arc<VoteFn> = Arc::new(move |b, ctx, me| {
        if b.state == "BBB" && ctx.item == 1 {
            s2.lock().unwrap().push(me.refused_offer);
        }
        vote(b, ctx, me)
    });
    let r = run(&sc, &Arc::new(none), 1, offer_pos(70.0), spy);
    assert_eq!(item_of(&r, 0, "decl").refused_offers, 1);
    assert!(!item_of(&r, 1, "decl").decided);
    assert!(seen.lock().unwrap().iter().all(|v| *v == Some(0)));
}

#[test]
fn a_refused_link_is_fed_back_for_the_rest_of_the_item() {
    let sc = scenario(
        &[
            item("decl", "human", "declaration", "status_quo = 50"),
            item("budget", "general", "unified-budget", "status_quo = 50"),
        ],
        "",
    );
    let mut d = design("", "", "").as_ref().clone();
    d.procedure.linkage = plenary_core::design::Linkage::SameDimension;
    let views = Arc::new(Mutex::new(Vec::new()));
    let v2 = Arc::clone(&views);
    let pos: Arc<PosFn> = Arc::new(move |b, ctx, me| {
        if b.state == "CCC" {
            v2.lock()
                .unwrap()
                .push((ctx.item, ctx.round, me.refused_link));
        }
        let p = b.preferences[ctx.item as usize];
        PositionAnswer {
            position: p.ideal,
            salience: p.salience,
            link: (b.state == "CCC" && ctx.item == 0).then_some(1),
            ..Default::default()
        }
    });
    let no: Arc<VoteFn> = Arc::new(|b, _, _| {
        if b.state == "CCC" {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    run(&sc, &Arc::new(d), 1, pos, no);
    let views = views.lock().unwrap();
    // Round 0 of the declaration: not yet refused; round 1: told; the budget: clean.
    assert!(views.contains(&(0, 0, None)));
    assert!(views.contains(&(0, 1, Some(1))));
    assert!(views.iter().filter(|v| v.0 == 1).all(|v| v.2.is_none()));
}

#[test]
fn steps_to_war_raise_tension_deterministically() {
    let sc = scenario(
        &(0..6)
            .map(|i| item(&format!("d{i}"), "human", "declaration", "status_quo = 50"))
            .collect::<Vec<_>>(),
        "[[tension]]\na = \"a\"\nb = \"b\"\nvalue = 0.5\n",
    );
    let events = "[events]\nrate = 0.5\ntension_rate = 0.5\nexercise = 0.1\nalliance = 0.1\narmament = 0.1\nincident = 0.1\n";
    let text = |ev: &str| {
        format!(
            "[design]\nid = \"e\"\nname = \"E\"\n[procedure]\nsessions = 2\nmax_rounds = 1\nmediation = \"compromise\"\nscope = [\"human\"]\nlinkage = \"any\"\nnaming_shaming = false\nsilence_procedure = false\nprovisional_budget = false\nexit_allowed = false\n[[bodies]]\nid = \"pc\"\nname = \"C\"\nrule = {{ kind = \"consensus\" }}\nbinding = true\n[dynamics]\ntension_agreement = 0.0\ntension_block = 0.0\n{ev}"
        )
    };
    let with = Arc::new(Design::from_toml("e", &text(events)).unwrap());
    let without = Arc::new(
        Design::from_toml("e", &text("[events]\nrate = 0.0\ntension_rate = 0.0\n")).unwrap(),
    );
    let yes: Arc<VoteFn> = Arc::new(|_, _, _| Vote::Yes);
    let a = run(&sc, &with, 3, sincere_pos(), Arc::clone(&yes));
    let b = run(&sc, &with, 3, sincere_pos(), Arc::clone(&yes));
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let quiet = run(&sc, &without, 3, sincere_pos(), yes);
    assert!(quiet.events.is_empty());
    assert_eq!(quiet.summary.tension_final, 0.5);
    // With p = 0.5 + 0.5 * t >= 0.75 per item, 12 items see several events.
    assert!(a.events.len() >= 4, "{:?}", a.events);
    assert!(a.summary.tension_final > 0.5);
    assert_eq!(a.summary.events as usize, a.events.len());
    // Each event raised tension by its amount in proportion to the room left.
    let first = &a.events[0];
    assert!(
        (first.tension - (0.5 + 0.1 * 0.5)).abs() < 1e-12,
        "{first:?}"
    );
    // The two sessions draw differently.
    let per: Vec<u32> = a.sessions.iter().map(|s| s.events).collect();
    let drawn: Vec<Vec<(&str, plenary_core::strategy::EventKind)>> = (0..2)
        .map(|s| {
            a.events
                .iter()
                .filter(|e| e.session == s)
                .map(|e| (e.before.as_str(), e.kind))
                .collect()
        })
        .collect();
    assert!(per.iter().sum::<u32>() as usize == a.events.len());
    assert_ne!(drawn[0], drawn[1]);
}

#[test]
fn a_crisis_suspends_cooperation_and_alienated_members_walk_out() {
    let sc = scenario(
        &[
            item("vd", "politico-military", "csbm", "status_quo = 40"),
            item("decl", "human", "declaration", "status_quo = 50"),
        ],
        "[[tension]]\na = \"a\"\nb = \"b\"\nvalue = 0.9\n[legitimacy]\nb = 0.2\n",
    );
    let d = design(
        "",
        "",
        "[crisis]\nthreshold = 0.85\nwalkout_below = 0.3\nsuspends = [\"csbm\"]\n",
    );
    let no_b: Arc<VoteFn> = Arc::new(|b, _, _| if b.bloc == "b" { Vote::No } else { Vote::Yes });
    let r = run(&sc, &d, 1, sincere_pos(), no_b);
    let vd = item_of(&r, 0, "vd");
    assert_eq!(vd.decision, Decision::Suspended);
    assert_eq!(vd.outcome, Some(40.0));
    let decl = item_of(&r, 0, "decl");
    // Bloc b (legitimacy 0.2 < 0.3) walked out: absent under the design's absence rule,
    // so its objections are not there to block.
    assert_eq!(decl.walkouts, vec!["CCC".to_string(), "DDD".to_string()]);
    assert!(decl.decided);
    assert_eq!(decl.history[1].votes.as_deref(), Some("YY.."));
    assert_eq!(r.sessions[0].walkouts, 2);
    // Below the threshold nothing of the kind happens.
    let calm = scenario(
        &[item("vd", "politico-military", "csbm", "status_quo = 40")],
        "[[tension]]\na = \"a\"\nb = \"b\"\nvalue = 0.5\n[legitimacy]\nb = 0.2\n",
    );
    let yes: Arc<VoteFn> = Arc::new(|_, _, _| Vote::Yes);
    let r = run(&calm, &d, 1, sincere_pos(), yes);
    assert_eq!(item_of(&r, 0, "vd").decision, Decision::Adopted);
}

#[test]
fn legal_force_is_implemented_in_full_political_commitments_in_part() {
    let sc = scenario(
        &[item("decl", "human", "declaration", "status_quo = 50")],
        "[[tension]]\na = \"a\"\nb = \"b\"\nvalue = 0.5\n",
    );
    let tables = "[dynamics]\npolitical_compliance = 0.8\ncompliance_tension = 0.4\nlegal_compliance = 1.0\ntension_agreement = 0.0\n";
    let yes: Arc<VoteFn> = Arc::new(|_, _, _| Vote::Yes);
    let legal = run(
        &sc,
        &design("", "legally_binding = true", tables),
        1,
        sincere_pos(),
        Arc::clone(&yes),
    );
    let political = run(&sc, &design("", "", tables), 1, sincere_pos(), yes);
    let (l, p) = (item_of(&legal, 0, "decl"), item_of(&political, 0, "decl"));
    assert!(l.legally_binding && !p.legally_binding && p.binding);
    let x = l.outcome.unwrap();
    assert_eq!(l.in_force, Some(x));
    // Political: 0.8 - 0.4 * 0.5 = 0.6 of the change.
    assert!(
        (p.in_force.unwrap() - (50.0 + 0.6 * (x - 50.0))).abs() < 1e-9,
        "{p:?}"
    );
    let m = Match::new(
        Arc::clone(&sc),
        design("", "legally_binding = true", tables),
        MatchSetup {
            match_id: "m".into(),
            seed: 1,
            strategies: vec![],
        },
    );
    assert!(m.brief(0).items[0].legally_binding);
}

#[test]
fn the_secretary_generals_powers_apply_only_while_one_is_in_office() {
    let inst = |in_office: bool| {
        format!(
            "[[institutions]]\nid = \"sg\"\nname = \"Secretary General\"\nhead_item = \"appoint-sg\"\nhead_in_office = {in_office}\ndimension = \"general\"\n"
        )
    };
    let items = [
        item("vd", "politico-military", "csbm", "status_quo = 40"),
        item("appoint-sg", "general", "appointment", "status_quo = 60"),
    ];
    let d = design(
        "",
        "",
        "[secretary_general]\ninstitution = \"sg\"\nmediation = \"max-support\"\nagenda_order = \"as-listed\"\n",
    );
    let yes: Arc<VoteFn> = Arc::new(|b, _, _| {
        if b.state == "DDD" {
            Vote::No
        } else {
            Vote::Yes
        }
    });
    let first_proposal = |in_office: bool| {
        let sc = scenario(&items, &inst(in_office));
        let r = run(&sc, &d, 1, sincere_pos(), Arc::clone(&yes));
        (
            item_of(&r, 0, "vd").history[0].proposal.unwrap(),
            r.sessions[0].sg_in_office,
        )
    };
    // Without an SG the chairmanship proposes the compromise of stated positions:
    // (10*70 + 5*70 + 5*50 + 2*50) / 22 = 1400 / 22.
    let (chair, off) = first_proposal(false);
    assert!(!off);
    assert!((chair - 1400.0 / 22.0).abs() < 1e-9, "{chair}");
    // With an SG in office its mediation power (max-support) applies instead.
    let (sg, on) = first_proposal(true);
    assert!(on);
    assert!((sg - chair).abs() > 1.0, "{sg} vs {chair}");
}

fn reports_scenario(head: f64, extra_inst: &str) -> Arc<Scenario> {
    scenario(
        &[
            item(
                "appoint-odihr",
                "human",
                "appointment",
                &format!("status_quo = {head}"),
            ),
            item("eom", "human", "election-observation", "status_quo = 70"),
        ],
        &format!(
            "[[institutions]]\nid = \"odihr\"\nname = \"ODIHR\"\nhead_item = \"appoint-odihr\"\ndimension = \"human\"\nnames_shames = true\n{extra_inst}"
        ),
    )
}

#[test]
fn conduct_reports_come_from_institutions_with_a_head_not_from_votes() {
    // Commitments in force on election observation (70) lie 50 above bloc b's ideal
    // (20): b's States are in breach; an assertive head (100) always reports.
    let yes: Arc<VoteFn> = Arc::new(|b, ctx, _| {
        if ctx.item == 0 || b.bloc == "a" {
            Vote::Yes
        } else {
            Vote::No
        }
    });
    let hold: Arc<PosFn> = Arc::new(|_, _, _| PositionAnswer {
        position: 100.0,
        salience: 1.0,
        ..Default::default()
    });
    let full = design("", "", "[dynamics]\npolitical_compliance = 1.0\n");
    let r = run(
        &reports_scenario(100.0, ""),
        &full,
        1,
        Arc::clone(&hold),
        Arc::clone(&yes),
    );
    let named: Vec<(&str, &str)> = r
        .reports
        .iter()
        .map(|x| (x.by.as_str(), x.state.as_str()))
        .collect();
    assert!(
        named.contains(&("odihr", "CCC")) && named.contains(&("odihr", "DDD")),
        "{named:?}"
    );
    assert!(named.iter().all(|(_, s)| *s == "CCC" || *s == "DDD"));
    assert!(r.states[2].shamed >= 1 && r.states[0].shamed == 0);
    // Vacant post (10 < 25), with the appointment blocked: no head, no reports.
    let block: Arc<VoteFn> = Arc::new(|b, _, _| if b.bloc == "a" { Vote::Yes } else { Vote::No });
    let r = run(
        &reports_scenario(10.0, ""),
        &design("", "", ""),
        1,
        sincere_pos(),
        block,
    );
    assert!(r.reports.is_empty(), "{:?}", r.reports);
    assert!(r.sessions.iter().all(|s| s.heads_in_office.is_empty()));
    // A design that drops the institution: no reports, and its head item is out of
    // scope (Path 2's agenda matches the institutions it drops).
    let d = design("institutions = []", "", "");
    let r = run(&reports_scenario(100.0, ""), &d, 1, hold, yes);
    assert!(r.reports.is_empty());
    assert_eq!(
        item_of(&r, 0, "appoint-odihr").decision,
        Decision::OutOfScope
    );
    let err = design("institutions = [\"nope\"]", "", "")
        .validate_for("d.toml", &reports_scenario(100.0, ""))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "d.toml: `procedure.institutions[0]`: institution `nope` is not in scenario `mech` (known: odihr)"
    );
}

#[test]
fn the_moscow_mechanism_needs_its_minority_of_states() {
    let sc = scenario(
        &[item("decl", "human", "declaration", "status_quo = 50")],
        "",
    );
    // AAA and BBB invoke against CCC (seat 2).
    let invoke = |who: &'static [&'static str]| -> Arc<PosFn> {
        Arc::new(move |b, ctx, _| {
            let p = b.preferences[ctx.item as usize];
            PositionAnswer {
                position: p.ideal,
                salience: p.salience,
                invoke: who.contains(&b.state.as_str()).then_some(2),
                ..Default::default()
            }
        })
    };
    let yes: Arc<VoteFn> = Arc::new(|_, _, _| Vote::Yes);
    let d = design("moscow_mechanism = 2", "", "");
    let r = run(&sc, &d, 1, invoke(&["AAA", "BBB"]), Arc::clone(&yes));
    let missions: Vec<_> = r
        .reports
        .iter()
        .filter(|x| x.by == "moscow-mechanism")
        .collect();
    assert_eq!(missions.len(), 2, "one per session: {missions:?}");
    assert!(missions.iter().all(|m| m.state == "CCC" && m.breach == 2.0));
    let r = run(&sc, &d, 1, invoke(&["AAA"]), Arc::clone(&yes));
    assert!(r.reports.is_empty(), "one State is not enough");
    let r = run(&sc, &design("", "", ""), 1, invoke(&["AAA", "BBB"]), yes);
    assert!(r.reports.is_empty(), "not available in this design");
}

/// Wraps a strategy and injects a fault into every `every`-th answer from question
/// `from` on (timeouts, or invalid answers for positions).
struct Faulty {
    inner: Box<dyn Strategy>,
    n: u32,
    from: u32,
    every: u32,
    invalid: bool,
}

impl Faulty {
    fn hit(&mut self) -> bool {
        self.n += 1;
        self.n >= self.from && (self.n - self.from).is_multiple_of(self.every)
    }
}

impl Answerer for Faulty {
    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> Reply<PositionAnswer> {
        let a = self.inner.position(ctx, me);
        if self.hit() {
            if self.invalid {
                return Ok(PositionAnswer {
                    position: f64::NAN,
                    ..a
                });
            }
            return Err(Fault::Timeout);
        }
        Ok(a)
    }
    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Reply<Vote> {
        let v = self.inner.vote(ctx, me);
        if self.hit() {
            return Err(Fault::Timeout);
        }
        Ok(v)
    }
    fn outcome(&mut self, o: &plenary_core::strategy::ItemOutcome) -> Reply<()> {
        self.inner.outcome(o);
        Ok(())
    }
    fn session_end(&mut self, s: &SessionSummary, me: &SeatView) -> Reply<Stance> {
        Ok(self.inner.session_end(s, me))
    }
}

#[test]
fn a_fault_forfeits_the_stake_still_open() {
    let sc = scenario(
        &[
            item("decl", "human", "declaration", "status_quo = 50"),
            item("budget", "general", "unified-budget", "status_quo = 50"),
        ],
        "",
    );
    let d = design("strike_limit = 1", "", "");
    let setup = || MatchSetup {
        match_id: "m".into(),
        seed: 1,
        strategies: vec!["script".into(); 4],
    };
    // CCC objects to everything: it blocks. Timing out instead suspends it and lets the
    // declaration pass, which serves it worse here -- but the point is the bound.
    let mk = |b: &SeatBrief| -> Box<dyn Strategy> {
        Box::new(Script {
            brief: b.clone(),
            pos: sincere_pos(),
            vote: Arc::new(|b, _, _| {
                if b.state == "CCC" {
                    Vote::No
                } else {
                    Vote::Yes
                }
            }),
        })
    };
    let honest = run_in_process(Match::new(Arc::clone(&sc), Arc::clone(&d), setup()), &mut {
        mk
    });
    let faulty = run_with(
        Match::new(Arc::clone(&sc), Arc::clone(&d), setup()),
        &mut |b| {
            let inner = mk(b);
            if b.state == "CCC" {
                Box::new(Faulty {
                    inner,
                    n: 0,
                    from: 1,
                    every: 1,
                    invalid: false,
                })
            } else {
                Box::new(plenary_core::Honest(inner))
            }
        },
    );
    let (h, f) = (&honest.states[2], &faulty.states[2]);
    assert_eq!((h.violations, h.forfeit, h.score), (0, 0.0, h.gain));
    assert!(f.violations > 0);
    // The first fault comes at the first question of session 0: the whole match is
    // open. CCC: declaration ideal 20 (range 0.8 * 80), budget ideal 40 (0.5 * 60),
    // two sessions; one naming institution? none here, no Moscow Mechanism.
    let stake = 2.0 * (0.8 * 80.0 + 0.5 * 60.0);
    assert!((f.forfeit - stake).abs() < 1e-9, "{}", f.forfeit);
    assert!((f.score - (f.gain - stake)).abs() < 1e-9);
    assert!(f.score <= h.score);
    // Invalid answers are faults too, with the validator's text.
    let faulty = run_with(
        Match::new(Arc::clone(&sc), Arc::clone(&d), setup()),
        &mut |b| {
            let inner = mk(b);
            if b.state == "CCC" {
                Box::new(Faulty {
                    inner,
                    n: 0,
                    from: 5,
                    every: 1,
                    invalid: true,
                })
            } else {
                Box::new(plenary_core::Honest(inner))
            }
        },
    );
    assert!(faulty.states[2].forfeit > 0.0 && faulty.states[2].forfeit < stake);
    assert!(faulty.violations.iter().any(|v| v.fault
        == Fault::Invalid("`position` is NaN: it must be a finite number in 0..=100".into())));
}

#[test]
fn the_question_bound_holds() {
    let sc = heads_scenario("");
    let base = design("", "", "").as_ref().clone();
    let mut package = base.clone();
    package.procedure.package = true;
    let mut silence = base.clone();
    silence.procedure.silence_procedure = true;
    silence.procedure.max_rounds = 3;
    for d in [base, package, silence] {
        let d = Arc::new(d);
        let r = run(&sc, &d, 1, sincere_pos(), cross_blockade());
        let bound = max_questions(&sc, &d);
        assert!(u64::from(r.questions) <= bound, "{} > {bound}", r.questions);
        assert!(r.questions > 0);
        let m = Match::new(
            Arc::clone(&sc),
            Arc::clone(&d),
            MatchSetup {
                match_id: "m".into(),
                seed: 1,
                strategies: vec![],
            },
        );
        assert_eq!(m.max_questions(), bound);
    }
}

#[test]
fn scenario_fields_are_validated_with_their_key() {
    let bad = |tail: &str, items: &[String]| {
        let text = format!("{HEAD}{}{tail}", items.concat());
        Scenario::from_toml("s.toml", &text)
            .unwrap_err()
            .to_string()
    };
    let decl = item("decl", "human", "declaration", "status_quo = 50");
    assert_eq!(
        bad(
            "[[groups]]\nid = \"g\"\nitems = [\"decl\"]\n",
            std::slice::from_ref(&decl)
        ),
        "s.toml: `groups[0].items`: a group needs at least two items"
    );
    assert_eq!(
        bad(
            "",
            &[item(
                "decl",
                "human",
                "declaration",
                "status_quo = 50\nstate_shift = { XYZ = 5.0 }"
            )]
        ),
        "s.toml: `agenda[0].state_shift.XYZ`: unknown State `XYZ`"
    );
    assert_eq!(
        bad(
            "[[institutions]]\nid = \"odihr\"\nname = \"O\"\nhead_item = \"nope\"\ndimension = \"human\"\n",
            std::slice::from_ref(&decl)
        ),
        "s.toml: `institutions[0].head_item`: unknown item `nope`"
    );
    assert_eq!(
        bad(
            "",
            &[item(
                "decl",
                "human",
                "declaration",
                "absent = [\"AAA\", \"AAA\"]"
            )]
        ),
        "s.toml: `agenda[0].absent[1]`: `AAA` is listed twice"
    );
    // Per-State overrides replace the bloc's values for that State only.
    let sc = scenario(
        &[item(
            "decl",
            "human",
            "declaration",
            "status_quo = 50\nshift = { a = -10.0 }\nstate_shift = { BBB = 15.0 }\nstate_salience = { DDD = 0.5 }",
        )],
        "",
    );
    let p = sc.draw_preferences(1);
    let ideal = |s: usize| p.get(s, 0).ideal;
    assert_eq!(
        (ideal(0), ideal(1), ideal(2), ideal(3)),
        (70.0, 95.0, 20.0, 20.0)
    );
    assert_eq!((p.get(2, 0).salience, p.get(3, 0).salience), (0.8, 0.4));
}
