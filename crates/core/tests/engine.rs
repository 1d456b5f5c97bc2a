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
[events]
rate = 0.0
tension_rate = 0.0
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
            ..Default::default()
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

fn r_reports_empty(r: &plenary_core::MatchResult) -> bool {
    r.reports.is_empty()
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
    // Naming and shaming comes from institutions' conduct reports, not from votes: this
    // scenario has no institutions, so nobody is named for blocking.
    assert!(decl.shamed.is_empty() && r_reports_empty(&consensus));

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
        assert_eq!(budget.outcome, Some(50.0));
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

/// Answers like `Sincere` but states a NaN position: a contract violation.
struct Broken;
impl Strategy for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn position(&mut self, _ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        PositionAnswer {
            position: f64::NAN,
            salience: 0.5,
            ..Default::default()
        }
    }
    fn vote(&mut self, _ctx: &RoundContext, _me: &SeatView) -> Vote {
        Vote::No
    }
}

fn run_with(
    design: Design,
    seed: u64,
    make: &mut dyn FnMut(&SeatBrief) -> Box<dyn Strategy>,
) -> plenary_core::MatchResult {
    let sc = Arc::new(Scenario::from_toml("mini", SCENARIO).unwrap());
    let setup = MatchSetup {
        match_id: "m".into(),
        seed,
        strategies: vec!["x".into(); 3],
    };
    run_in_process(Match::new(sc, Arc::new(design), setup), make)
}

#[test]
fn invalid_answers_are_recorded_struck_and_suspended() {
    // CCC answers NaN positions; strike limit 2 suspends it for the rest of the session.
    let d = design("strike_limit = 2", r#"{ kind = "consensus" }"#);
    let r = run_with(d, 3, &mut |b| {
        if b.state == "CCC" {
            Box::new(Broken)
        } else {
            sincere(b)
        }
    });
    assert!(r.complete);
    let ccc: Vec<_> = r.violations.iter().filter(|v| v.state == "CCC").collect();
    assert!(ccc.len() >= 2, "{:?}", r.violations);
    assert_eq!(
        ccc[0].fault,
        plenary_core::strategy::Fault::Invalid(
            "`position` is NaN: it must be a finite number in 0..=100".into()
        )
    );
    assert!(ccc[1].suspended, "second strike suspends");
    // Once suspended, CCC is absent and under consensus absence is not objection: the
    // declaration it would have blocked passes among A's members.
    let decl = &r.sessions[0].items[0];
    assert!(decl.decided, "{decl:?}");
    // Suspension lasts for the session only: in session 2 it is asked again.
    assert!(
        r.violations
            .iter()
            .any(|v| v.state == "CCC" && v.session == 1)
    );
}

#[test]
fn timeouts_count_as_absence_and_absence_can_be_objection() {
    // Drive the match by hand: CCC never answers (a crashed delegation).
    let drive = |d: Design| {
        let sc = Arc::new(Scenario::from_toml("mini", SCENARIO).unwrap());
        let setup = MatchSetup {
            match_id: "m".into(),
            seed: 1,
            strategies: vec!["x".into(); 3],
        };
        let mut m = Match::new(sc, Arc::new(d), setup);
        let mut seats: Vec<Box<dyn Strategy>> = (0..3).map(|s| sincere(&m.brief(s))).collect();
        use plenary_core::strategy::Fault;
        use plenary_core::{Answers, Question};
        loop {
            let ans = match m.question() {
                Question::Done => break,
                Question::Open { seats: a } | Question::Outcome { seats: a, .. } => Answers::Acks(
                    a.iter()
                        .map(|&s| if s == 2 { Err(Fault::Timeout) } else { Ok(()) })
                        .collect(),
                ),
                Question::Positions {
                    ctx,
                    seats: a,
                    views,
                } => Answers::Positions(
                    a.iter()
                        .map(|&s| {
                            if s == 2 {
                                Err(Fault::Timeout)
                            } else {
                                Ok(seats[s].position(ctx, &views[s]))
                            }
                        })
                        .collect(),
                ),
                Question::Votes {
                    ctx,
                    seats: a,
                    views,
                } => Answers::Votes(
                    a.iter()
                        .map(|&s| {
                            if s == 2 {
                                Err(Fault::Timeout)
                            } else {
                                Ok(seats[s].vote(ctx, &views[s]))
                            }
                        })
                        .collect(),
                ),
                Question::SessionEnd { seats: a, .. } => Answers::Stances(
                    a.iter()
                        .map(|&s| {
                            if s == 2 {
                                Err(Fault::Timeout)
                            } else {
                                Ok(Stance::Stay)
                            }
                        })
                        .collect(),
                ),
            };
            m.submit(ans).unwrap();
        }
        m.into_results()
    };
    let r = drive(design("strike_limit = 100", r#"{ kind = "consensus" }"#));
    assert!(r.complete);
    assert!(r.sessions[0].items[0].decided, "absent CCC does not block");
    assert!(
        r.violations
            .iter()
            .all(|v| v.state == "CCC" && v.fault == plenary_core::strategy::Fault::Timeout)
    );
    let r = drive(design(
        "strike_limit = 100\nabsence = \"objection\"",
        r#"{ kind = "consensus" }"#,
    ));
    assert!(
        !r.sessions[0].items[0].decided,
        "absence counted as objection blocks"
    );
}

#[test]
fn engine_rejects_misaligned_answers() {
    let sc = Arc::new(Scenario::from_toml("mini", SCENARIO).unwrap());
    let setup = MatchSetup {
        match_id: "m".into(),
        seed: 1,
        strategies: vec![],
    };
    let mut m = Match::new(sc, Arc::new(design("", r#"{ kind = "consensus" }"#)), setup);
    use plenary_core::Answers;
    use plenary_core::engine::EngineError;
    assert_eq!(
        m.submit(Answers::Acks(vec![Ok(())])),
        Err(EngineError::WrongCount {
            expected: 3,
            got: 1
        })
    );
    assert!(matches!(
        m.submit(Answers::Votes(vec![Ok(Vote::Yes); 3])),
        Err(EngineError::WrongKind { .. })
    ));
}

/// Objects in decision rounds but never breaks silence; links the declaration to the
/// budget when asked to.
struct Grudging {
    inner: Sincere,
    link: Option<u32>,
}
impl Strategy for Grudging {
    fn name(&self) -> &str {
        "grudging"
    }
    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        let mut a = self.inner.position(ctx, me);
        if ctx.item == 0 {
            a.link = self.link;
        }
        a
    }
    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote {
        match ctx.phase {
            plenary_core::strategy::Phase::Silence => Vote::Yes,
            _ => self.inner.vote(ctx, me),
        }
    }
}

#[test]
fn silence_procedure_adopts_what_nobody_breaks_silence_on() {
    let d = design("", r#"{ kind = "consensus" }"#);
    let mut text = toml_of(&d);
    text = text.replace("silence_procedure = false", "silence_procedure = true");
    let d = Design::from_toml("t", &text).unwrap();
    let r = run_with(d.clone(), 1, &mut |b| {
        if b.state == "CCC" {
            Box::new(Grudging {
                inner: Sincere {
                    prefs: b.preferences.clone(),
                },
                link: None,
            })
        } else {
            sincere(b)
        }
    });
    assert_eq!(
        r.sessions[0].items[0].decision,
        plenary_core::strategy::Decision::AdoptedBySilence
    );
    // Sincere CCC breaks silence: blocked.
    let r = run_with(d, 1, &mut sincere);
    assert_ne!(
        r.sessions[0].items[0].decision,
        plenary_core::strategy::Decision::AdoptedBySilence
    );
}

fn toml_of(d: &Design) -> String {
    toml::to_string(d).unwrap()
}

#[test]
fn ad_hoc_arrangements_apply_among_those_who_accepted() {
    let d = design("ad_hoc_min = 2", r#"{ kind = "consensus" }"#);
    let r = run_with(d, 1, &mut sincere);
    let decl = &r.sessions[0].items[0];
    assert_eq!(decl.decision, plenary_core::strategy::Decision::AdHoc);
    assert!(
        !decl.decided,
        "ad hoc arrangements are not decisions of the organisation"
    );
    // The organisation's policy stays where it was for the next session.
    assert_eq!(r.sessions[1].items[0].status_quo, decl.status_quo);
}

#[test]
fn package_vote_undoes_everything_when_it_fails() {
    let d = design("package = true", r#"{ kind = "consensus" }"#);
    // Everyone accepts each item, but CCC rejects the final package.
    struct PackageBreaker(Sincere);
    impl Strategy for PackageBreaker {
        fn name(&self) -> &str {
            "pb"
        }
        fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
            self.0.position(ctx, me)
        }
        fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
            if ctx.phase == plenary_core::strategy::Phase::Package {
                Vote::No
            } else {
                Vote::Yes
            }
        }
    }
    struct Yes(Sincere);
    impl Strategy for Yes {
        fn name(&self) -> &str {
            "yes"
        }
        fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
            self.0.position(ctx, me)
        }
        fn vote(&mut self, _ctx: &RoundContext, _me: &SeatView) -> Vote {
            Vote::Yes
        }
    }
    let r = run_with(d.clone(), 1, &mut |b| {
        let s = Sincere {
            prefs: b.preferences.clone(),
        };
        if b.state == "CCC" {
            Box::new(PackageBreaker(s))
        } else {
            Box::new(Yes(s))
        }
    });
    assert!(
        r.sessions[0]
            .items
            .iter()
            .all(|i| i.decision == plenary_core::strategy::Decision::PackageFailed)
    );
    assert_eq!(r.summary.capacity_to_act, 0.0);
    // The record names who rejected the package, and the blocked budget runs on
    // provisional allotments as a blocked item would.
    let items = &r.sessions[0].items;
    assert!(
        items
            .iter()
            .all(|i| i.no == 1 && i.objections_by_bloc == vec![0, 1]),
        "{items:?}"
    );
    assert_eq!(items[1].outcome, items[1].status_quo);
    let r = run_with(d, 1, &mut |b| {
        Box::new(Yes(Sincere {
            prefs: b.preferences.clone(),
        }))
    });
    assert!(r.sessions[0].items.iter().all(|i| i.decided));
}

#[test]
fn cross_dimension_linkage_is_refused_or_accepted_by_design() {
    let linker = |b: &SeatBrief| -> Box<dyn Strategy> {
        let link = (b.state == "CCC").then_some(1);
        Box::new(Grudging {
            inner: Sincere {
                prefs: b.preferences.clone(),
            },
            link,
        })
    };
    let refused = run_with(
        design("", r#"{ kind = "qualified-majority", threshold = 0.5 }"#)
            .with_linkage("same-dimension"),
        1,
        &mut { linker },
    );
    assert_eq!(refused.sessions[0].items[0].refused_links, 1);
    assert_eq!(refused.sessions[0].items[0].links, 0);
    let linked = run_with(
        design("", r#"{ kind = "qualified-majority", threshold = 0.5 }"#),
        1,
        &mut { linker },
    );
    assert_eq!(linked.sessions[0].items[0].links, 1);
    // Blurring policy areas raises tension above the refused run.
    let t = |r: &plenary_core::MatchResult| r.tension_trace[1].values[0];
    assert!(
        t(&linked) > t(&refused),
        "{} vs {}",
        t(&linked),
        t(&refused)
    );
}

trait WithLinkage {
    fn with_linkage(self, l: &str) -> Design;
}
impl WithLinkage for Design {
    fn with_linkage(self, l: &str) -> Design {
        let text = toml_of(&self).replace("linkage = \"any\"", &format!("linkage = \"{l}\""));
        Design::from_toml("t", &text).unwrap()
    }
}

#[test]
fn executive_council_seats_rotate_and_veto_blocks() {
    let ec = |veto: bool| {
        let text = toml_of(&design("", r#"{ kind = "consensus" }"#)).replace(
            "[[bodies]]",
            &format!(
                "[[bodies]]\nid = \"ec\"\nname = \"Executive Council\"\nrule = {{ kind = \"qualified-majority\", threshold = 0.5 }}\nbinding = true\nmembers = {{ permanent = [\"CCC\"], elected = 1, permanent_veto = {veto} }}\nscope = {{ dimensions = [\"human\"] }}\n\n[[bodies]]"
            ),
        );
        Design::from_toml("ec", &text).unwrap()
    };
    // CCC (permanent) objects; one elected seat from {AAA, BBB} votes yes: 1 of 2 = 0.5.
    let r = run_with(ec(false), 1, &mut sincere);
    let decl = &r.sessions[0].items[0];
    assert_eq!(decl.body.as_deref(), Some("ec"));
    assert_eq!(
        decl.yes + decl.no + decl.abstain + decl.absent,
        2,
        "two members vote"
    );
    assert!(decl.decided);
    let r = run_with(ec(true), 1, &mut sincere);
    assert!(
        !r.sessions[0].items[0].decided,
        "the permanent member's veto blocks"
    );
}

#[test]
fn linkage_threat_is_executed_when_the_linked_item_went_badly() {
    // Swap the agenda so the budget comes first; CCC links the declaration to it and
    // would otherwise accept anything on the declaration.
    struct Linker {
        link: bool,
    }
    impl Strategy for Linker {
        fn name(&self) -> &str {
            "linker"
        }
        fn position(&mut self, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
            PositionAnswer {
                position: 50.0,
                salience: 0.5,
                link: (self.link && ctx.item == 0).then_some(1),
                ..Default::default()
            }
        }
        fn vote(&mut self, _ctx: &RoundContext, _me: &SeatView) -> Vote {
            Vote::Yes
        }
    }
    // The budget comes after the declaration and is undecided when the declaration is
    // voted: the condition is unmet, so CCC's yes turns into an objection.
    let r = run_with(design("", r#"{ kind = "consensus" }"#), 1, &mut |b| {
        Box::new(Linker {
            link: b.state == "CCC",
        })
    });
    let decl = &r.sessions[0].items[0];
    assert_eq!(decl.links, 1);
    assert_eq!(decl.no, 1, "{decl:?}");
    assert!(!decl.decided);
    let r = run_with(design("", r#"{ kind = "consensus" }"#), 1, &mut |_| {
        Box::new(Linker { link: false })
    });
    assert!(r.sessions[0].items[0].decided);
}

#[test]
fn exit_lowers_inclusiveness_and_raises_tension() {
    struct Leaver(Sincere, bool);
    impl Strategy for Leaver {
        fn name(&self) -> &str {
            "leaver"
        }
        fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
            self.0.position(ctx, me)
        }
        fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Vote {
            self.0.vote(ctx, me)
        }
        fn session_end(
            &mut self,
            _s: &plenary_core::strategy::SessionSummary,
            _me: &SeatView,
        ) -> Stance {
            if self.1 { Stance::Exit } else { Stance::Stay }
        }
    }
    let d = design("", r#"{ kind = "consensus" }"#);
    let r = run_with(d.clone(), 1, &mut |b| {
        Box::new(Leaver(
            Sincere {
                prefs: b.preferences.clone(),
            },
            b.state == "CCC",
        ))
    });
    assert_eq!(r.sessions[0].exits, 1);
    // The exit counts in the session it ends, and in everything after.
    assert!((r.sessions[0].inclusiveness - 2.0 / 3.0).abs() < 1e-12);
    assert!((r.sessions[1].inclusiveness - 2.0 / 3.0).abs() < 1e-12);
    assert!((r.summary.inclusiveness - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(r.states[2].exited, Some(0));
    let stay = run_with(d.clone(), 1, &mut sincere);
    assert!(r.sessions[1].tension.peak > stay.sessions[1].tension.peak);
    // Without exit in the design, the request is ignored.
    let text = toml_of(&d).replace("exit_allowed = true", "exit_allowed = false");
    let r = run_with(Design::from_toml("t", &text).unwrap(), 1, &mut |b| {
        Box::new(Leaver(
            Sincere {
                prefs: b.preferences.clone(),
            },
            b.state == "CCC",
        ))
    });
    assert_eq!(r.summary.exits, 0);
}

#[test]
fn non_binding_adoption_is_decided_but_only_partly_implemented() {
    let text = toml_of(&design(
        "",
        r#"{ kind = "qualified-majority", threshold = 0.5 }"#,
    ))
    .replace("binding = true", "binding = false");
    let d = Design::from_toml("t", &text).unwrap();
    let compliance = d.dynamics.nonbinding_compliance;
    let r = run_with(d, 1, &mut sincere);
    let decl = &r.sessions[0].items[0];
    assert!(decl.decided && !decl.binding, "{decl:?}");
    assert_eq!(r.sessions[0].binding_share, 0.0);
    // The next session starts from the status quo moved only `compliance` of the way.
    let (sq, x) = (decl.status_quo.unwrap(), decl.outcome.unwrap());
    let expected = sq + compliance * (x - sq);
    assert!((r.sessions[1].items[0].status_quo.unwrap() - expected).abs() < 1e-9);
}

#[test]
fn a_room_where_everyone_is_suspended_runs_to_the_end_without_deep_recursion() {
    // 400 items, every delegation dead: after the first strike nobody is asked, and the
    // engine must walk the rest of the match iteratively (this ran out of a 2 MiB
    // stack, the size of a tokio worker's, when it recursed).
    let mut text = SCENARIO.split("[[agenda]]").next().unwrap().to_string();
    for i in 0..400 {
        text.push_str(&format!(
            "[[agenda]]\nid = \"d{i}\"\ntitle = \"D{i}\"\ndimension = \"human\"\nkind = \"declaration\"\nstatus_quo = 50\n"
        ));
    }
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let sc = Arc::new(Scenario::from_toml("big", &text).unwrap());
            let setup = MatchSetup {
                match_id: "m".into(),
                seed: 1,
                strategies: vec![],
            };
            let mut m = Match::new(
                sc,
                Arc::new(design("strike_limit = 1", r#"{ kind = "consensus" }"#)),
                setup,
            );
            use plenary_core::strategy::Fault;
            use plenary_core::{Answers, Question};
            loop {
                let ans = match m.question() {
                    Question::Done => break,
                    Question::Open { seats } | Question::Outcome { seats, .. } => {
                        Answers::Acks(seats.iter().map(|_| Err(Fault::Timeout)).collect())
                    }
                    Question::Positions { seats, .. } => {
                        Answers::Positions(seats.iter().map(|_| Err(Fault::Timeout)).collect())
                    }
                    Question::Votes { seats, .. } => {
                        Answers::Votes(seats.iter().map(|_| Err(Fault::Timeout)).collect())
                    }
                    Question::SessionEnd { seats, .. } => {
                        Answers::Stances(seats.iter().map(|_| Err(Fault::Timeout)).collect())
                    }
                };
                m.submit(ans).unwrap();
            }
            m.into_results()
        })
        .unwrap();
    let r = handle.join().expect("no stack overflow");
    assert!(r.complete);
    assert_eq!(r.sessions.len(), 2);
    assert_eq!(r.sessions[0].items.len(), 400);
    assert_eq!(r.summary.capacity_to_act, 0.0, "nobody accepted anything");
}
