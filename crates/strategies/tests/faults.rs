//! Faults never pay (issue 12.4): for every built-in strategy, every design preset and
//! ten seeds, a State whose delegation plays that strategy but times out or answers
//! invalidly never scores higher than the same State answering. The rest of the room
//! plays the default mix; the faults are injected by wrapping the strategy in an
//! [`Answerer`] that returns `Err(Fault::Timeout)` or a NaN position for some questions,
//! exactly as a remote delegation could.

use plenary_core::assignment::Assignment;
use plenary_core::strategy::{
    Fault, ItemOutcome, PositionAnswer, Reply, RoundContext, SeatBrief, SeatView, SessionSummary,
    Stance, Strategy, Vote,
};
use plenary_core::{Answerer, Honest, Match, MatchResult, MatchSetup, Scenario, run_with};
use std::sync::Arc;

/// How the faulty delegation misbehaves.
#[derive(Debug, Clone, Copy)]
enum Pattern {
    /// Times out on every third question from its fifth on.
    Timeouts,
    /// States NaN positions on every second positions question (and answers the rest).
    Invalid,
    /// Answers its first six questions, then never again (a crash).
    Crash,
}

struct Faulty {
    inner: Box<dyn Strategy>,
    pattern: Pattern,
    asked: u32,
    positions: u32,
}

impl Faulty {
    fn timeout(&mut self) -> bool {
        self.asked += 1;
        match self.pattern {
            Pattern::Timeouts => self.asked >= 5 && self.asked % 3 == 2,
            Pattern::Invalid => false,
            Pattern::Crash => self.asked > 6,
        }
    }
}

impl Answerer for Faulty {
    fn position(&mut self, ctx: &RoundContext, me: &SeatView) -> Reply<PositionAnswer> {
        if self.timeout() {
            return Err(Fault::Timeout);
        }
        let a = self.inner.position(ctx, me);
        self.positions += 1;
        if matches!(self.pattern, Pattern::Invalid) && self.positions % 2 == 0 {
            return Ok(PositionAnswer {
                position: f64::NAN,
                ..a
            });
        }
        Ok(a)
    }
    fn vote(&mut self, ctx: &RoundContext, me: &SeatView) -> Reply<Vote> {
        if self.timeout() {
            return Err(Fault::Timeout);
        }
        Ok(self.inner.vote(ctx, me))
    }
    fn outcome(&mut self, o: &ItemOutcome) -> Reply<()> {
        if self.timeout() {
            return Err(Fault::Timeout);
        }
        self.inner.outcome(o);
        Ok(())
    }
    fn session_end(&mut self, s: &SessionSummary, me: &SeatView) -> Reply<Stance> {
        if self.timeout() {
            return Err(Fault::Timeout);
        }
        Ok(self.inner.session_end(s, me))
    }
}

fn play(
    sc: &Arc<Scenario>,
    design: &Arc<plenary_core::Design>,
    names: &[String],
    target: usize,
    seed: u64,
    fault: Option<Pattern>,
) -> MatchResult {
    let setup = MatchSetup {
        match_id: format!("faults-{seed}"),
        seed,
        strategies: names.to_vec(),
    };
    let m = Match::new(Arc::clone(sc), Arc::clone(design), setup);
    run_with(m, &mut |b: &SeatBrief| -> Box<dyn Answerer> {
        let inner = plenary_strategies::create(&names[b.seat as usize], b).expect("registered");
        match fault {
            Some(pattern) if b.seat as usize == target => Box::new(Faulty {
                inner,
                pattern,
                asked: 0,
                positions: 0,
            }),
            _ => Box::new(Honest(inner)),
        }
    })
}

#[test]
fn faults_never_pay_for_any_strategy_design_or_seed() {
    let mut checked = 0;
    for (design_id, scenario_id, target) in [
        ("osce-2021", "osce-2021", "RUS"),
        ("path1-upgraded", "osce-2021", "RUS"),
        ("path2-conference", "osce-2021", "RUS"),
        ("csce-1975", "csce-1975", "SUN"),
    ] {
        let sc = Arc::new(plenary_scenarios::scenario(scenario_id).unwrap());
        let design = Arc::new(plenary_scenarios::design(design_id).unwrap());
        let target = sc.seat(target).expect("target State");
        let mix = sc
            .default_strategies
            .clone()
            .unwrap_or_else(|| plenary_strategies::DEFAULT_MIX.to_string());
        let base = Assignment::parse(&mix)
            .ok()
            .and_then(|a| a.resolve(&sc, "dissociator").ok())
            .unwrap_or_else(|| vec!["dissociator".to_string(); sc.states.len()]);
        for strategy in plenary_strategies::names() {
            let mut names = base.clone();
            names[target] = strategy.to_string();
            for seed in 1..=10u64 {
                let honest = play(&sc, &design, &names, target, seed, None);
                let h = &honest.states[target];
                assert_eq!(h.violations, 0, "{design_id}/{strategy}/{seed}");
                assert_eq!(h.forfeit, 0.0);
                for pattern in [Pattern::Timeouts, Pattern::Invalid, Pattern::Crash] {
                    let faulty = play(&sc, &design, &names, target, seed, Some(pattern));
                    let f = &faulty.states[target];
                    assert!(
                        f.violations > 0,
                        "{design_id}/{strategy}/{seed}/{pattern:?}"
                    );
                    assert!(
                        f.score <= h.score + 1e-9,
                        "{design_id}/{strategy}/seed {seed}/{pattern:?}: faulty score {} (gain {}, forfeit {}) above honest {}",
                        f.score,
                        f.gain,
                        f.forfeit,
                        h.score
                    );
                    assert!((f.score - (f.gain - f.forfeit)).abs() < 1e-9);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 12 * 10 * 3);
}
