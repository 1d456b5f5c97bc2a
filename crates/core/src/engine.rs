//! The session engine: one match as a pure state machine.
//!
//! The engine asks questions ([`Question`]) and takes answers ([`Answers`]) aligned with
//! the seats it asked, in State id order. It never calls a delegation itself, so the
//! same machine runs in-process ([`crate::run_in_process`]) and over the network (the
//! chair service fans a question out concurrently and hands the answers back in seat
//! order). Given the same answers it produces the same results, byte for byte.
//!
//! Per session the chair works through the agenda item by item. Each item gets up to
//! `max_rounds` rounds of positions -> mediation -> decision in the body the design
//! assigns; on deadlock the design's fallbacks apply (silence procedure, provisional
//! budget, ad hoc arrangements, reversion). Legitimacy, tension, exits and anything the
//! strategies learn carry over from session to session.

use crate::design::{AgendaOrder, Design, Linkage, Rule};
use crate::mediation::{self, Stated};
use crate::metrics::{self, ItemResult, MatchResult, SessionResult, StateResult, Violation};
use crate::model::{ItemKind, Preferences, SCALE_MAX, SCALE_MIN, SeatIdx};
use crate::rng::one_way;
use crate::rules::{self, Ballot, Tally};
use crate::scenario::Scenario;
use crate::strategy::{
    BlocSignal, Decision, Fault, ItemInfo, ItemOutcome, Phase, PositionAnswer, PublicRules, Reply,
    RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};
use std::sync::Arc;

/// What a match is run with.
#[derive(Debug, Clone)]
pub struct MatchSetup {
    /// Match id (goes into every message and the results).
    pub match_id: String,
    /// Master seed of the match.
    pub seed: u64,
    /// Strategy name per seat (State id order), for reports.
    pub strategies: Vec<String>,
}

/// A question the engine puts to a set of seats.
#[derive(Debug)]
pub enum Question<'m> {
    /// Open the match: each asked seat gets its own brief.
    Open {
        /// Seats asked.
        seats: &'m [SeatIdx],
    },
    /// State positions.
    Positions {
        /// Public round state.
        ctx: &'m RoundContext,
        /// Seats asked.
        seats: &'m [SeatIdx],
        /// Per-seat view, indexed by seat (not by position in `seats`).
        views: &'m [SeatView],
    },
    /// Vote on the proposal in `ctx` (decision, silence or package phase).
    Votes {
        /// Public round state.
        ctx: &'m RoundContext,
        /// Seats asked.
        seats: &'m [SeatIdx],
        /// Per-seat view, indexed by seat.
        views: &'m [SeatView],
    },
    /// Learn an item's outcome (answers are acknowledgements).
    Outcome {
        /// The outcome.
        outcome: &'m ItemOutcome,
        /// Seats told.
        seats: &'m [SeatIdx],
    },
    /// End of session: choose a stance.
    SessionEnd {
        /// Per-seat summaries, indexed by seat.
        summaries: &'m [SessionSummary],
        /// Seats asked.
        seats: &'m [SeatIdx],
        /// Per-seat view, indexed by seat.
        views: &'m [SeatView],
    },
    /// The match is over.
    Done,
}

/// Answers to the pending question, aligned with its `seats`.
#[derive(Debug)]
pub enum Answers {
    /// To `Open` and `Outcome`.
    Acks(Vec<Reply<()>>),
    /// To `Positions`.
    Positions(Vec<Reply<PositionAnswer>>),
    /// To `Votes`.
    Votes(Vec<Reply<Vote>>),
    /// To `SessionEnd`.
    Stances(Vec<Reply<Stance>>),
}

/// Misuse of the engine by a driver (a bug in the caller, not a delegation fault).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EngineError {
    /// Answers of the wrong kind for the pending question.
    #[error("answers of kind {got} do not fit the pending {expected} question")]
    WrongKind {
        /// Expected.
        expected: &'static str,
        /// Got.
        got: &'static str,
    },
    /// Wrong number of answers.
    #[error("{got} answers for {expected} seats")]
    WrongCount {
        /// Expected.
        expected: usize,
        /// Got.
        got: usize,
    },
    /// The match is over.
    #[error("the match is over")]
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    Positions,
    Decision,
    Silence,
    Outcome,
    Package,
    PackageOutcome,
    SessionEnd,
    Done,
}

/// A running match.
#[derive(Debug)]
pub struct Match {
    scenario: Arc<Scenario>,
    design: Arc<Design>,
    setup: MatchSetup,
    prefs: Preferences,
    stage: Stage,

    // Per seat.
    legitimacy: Vec<f64>,
    shamed: Vec<u32>,
    exited: Vec<Option<u32>>,
    withholding: Vec<bool>,
    suspended: Vec<bool>,
    strikes: Vec<u32>,
    gain: Vec<f64>,
    session_gain: Vec<f64>,
    satisfaction: Vec<(f64, f64)>,
    views: Vec<SeatView>,
    stated: Vec<Option<PositionAnswer>>,
    votes: Vec<Option<Vote>>,
    link_of: Vec<Option<usize>>,

    // Per bloc / bloc pair.
    bloc_leader: Vec<Option<SeatIdx>>,
    bloc_capability: Vec<f64>,
    tension: Vec<f64>,

    // Per item: policy now in force.
    in_force: Vec<f64>,
    ever_decided: Vec<bool>,
    last_objections: Vec<u32>,

    // Cursor.
    session: u32,
    order: Vec<usize>,
    cursor: usize,
    round: u32,
    proposal: Option<f64>,
    last_tally: Tally,
    item_links: Vec<(SeatIdx, usize)>,
    refused_links: u32,
    pending_package: Vec<PendingItem>,
    package_queue: Vec<PendingItem>,
    pts_buf: Vec<Stated>,

    // Question buffers.
    asked: Vec<SeatIdx>,
    ctx: RoundContext,
    outcome: ItemOutcome,
    summaries: Vec<SessionSummary>,

    // Results.
    items: Vec<ItemResult>,
    sessions: Vec<SessionResult>,
    violations: Vec<Violation>,
    tension_trace: Vec<metrics::TensionPoint>,
}

/// An item agreed on its own, waiting for the package vote.
#[derive(Debug, Clone)]
struct PendingItem {
    result: ItemResult,
    votes: Vec<Option<Vote>>,
}

fn pair_index(blocs: usize, a: usize, b: usize) -> usize {
    let (a, b) = (a.min(b), a.max(b));
    // Row-major upper triangle without the diagonal.
    a * blocs - a * (a + 1) / 2 + (b - a - 1)
}

impl Match {
    /// Sets up a match: draws private preferences from the match seed.
    pub fn new(scenario: Arc<Scenario>, design: Arc<Design>, setup: MatchSetup) -> Match {
        let prefs = scenario.draw_preferences(setup.seed);
        Match::with_preferences(scenario, design, setup, prefs)
    }

    /// Sets up a match with given private preferences (e.g. replayed data).
    pub fn with_preferences(
        scenario: Arc<Scenario>,
        design: Arc<Design>,
        setup: MatchSetup,
        prefs: Preferences,
    ) -> Match {
        let n = scenario.states.len();
        let nb = scenario.blocs.len();
        let mut bloc_leader: Vec<Option<SeatIdx>> = vec![None; nb];
        for (i, s) in scenario.states.iter().enumerate() {
            let better = match bloc_leader[s.bloc] {
                None => true,
                Some(j) => s.capability > scenario.states[j].capability,
            };
            if better {
                bloc_leader[s.bloc] = Some(i);
            }
        }
        let mut bloc_capability = vec![0.0; nb];
        for s in &scenario.states {
            bloc_capability[s.bloc] += s.capability;
        }
        let mut tension = vec![0.0; nb * nb.saturating_sub(1) / 2];
        for (&(a, b), &v) in &scenario.tension {
            if a != b {
                tension[pair_index(nb, a, b)] = v;
            }
        }
        let legitimacy: Vec<f64> = scenario
            .states
            .iter()
            .map(|s| scenario.legitimacy[s.bloc])
            .collect();
        let in_force = scenario.agenda.iter().map(|i| i.status_quo).collect();
        let items = scenario.agenda.len();
        let mut m = Match {
            prefs,
            stage: Stage::Open,
            legitimacy,
            shamed: vec![0; n],
            exited: vec![None; n],
            withholding: vec![false; n],
            suspended: vec![false; n],
            strikes: vec![0; n],
            gain: vec![0.0; n],
            session_gain: vec![0.0; n],
            satisfaction: vec![(0.0, 0.0); n],
            views: vec![
                SeatView {
                    legitimacy: 0.0,
                    tension: 0.0,
                    shamed: 0
                };
                n
            ],
            stated: vec![None; n],
            votes: vec![None; n],
            link_of: vec![None; n],
            bloc_leader,
            bloc_capability,
            tension,
            in_force,
            ever_decided: vec![false; items],
            last_objections: vec![0; items],
            session: 0,
            order: (0..items).collect(),
            cursor: 0,
            round: 0,
            proposal: None,
            last_tally: Tally::default(),
            item_links: Vec::new(),
            refused_links: 0,
            pending_package: Vec::new(),
            package_queue: Vec::new(),
            pts_buf: Vec::new(),
            asked: (0..n).collect(),
            ctx: RoundContext {
                session: 0,
                item: 0,
                round: 0,
                phase: Phase::Positions,
                proposal: None,
                blocs: vec![
                    BlocSignal {
                        mean_position: 0.0,
                        objections: 0,
                        present: 0,
                        leader_position: None,
                        leader_vote: None
                    };
                    nb
                ],
                last_objections: 0,
            },
            outcome: ItemOutcome {
                session: 0,
                item: 0,
                decision: Decision::Reverted,
                outcome: 0.0,
                in_force: 0.0,
                binding: false,
                rounds: 0,
                objections_by_bloc: vec![0; nb],
                shamed: Vec::new(),
            },
            summaries: Vec::new(),
            items: Vec::new(),
            sessions: Vec::new(),
            violations: Vec::new(),
            tension_trace: Vec::new(),
            scenario,
            design,
            setup,
        };
        m.refresh_views();
        m.trace_tension(None);
        m
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The design.
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// Match id.
    pub fn match_id(&self) -> &str {
        &self.setup.match_id
    }

    /// Private preferences of every State (the chair's omniscient view, for metrics).
    pub fn preferences(&self) -> &Preferences {
        &self.prefs
    }

    /// The brief of one seat: public rules plus only that seat's private preferences.
    pub fn brief(&self, seat: SeatIdx) -> SeatBrief {
        let sc = &self.scenario;
        let st = &sc.states[seat];
        let d = &self.design;
        SeatBrief {
            match_id: self.setup.match_id.clone(),
            state: st.id.clone(),
            seat: seat as u32,
            bloc: sc.blocs[st.bloc].id.clone(),
            bloc_index: st.bloc as u32,
            bloc_leader: self.bloc_leader[st.bloc] == Some(seat),
            capability: st.capability,
            seed: one_way(self.setup.seed, &["seat", &st.id]),
            blocs: sc.blocs.iter().map(|b| b.id.clone()).collect(),
            items: sc
                .agenda
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let body = d.body_for(it.dimension, it.kind);
                    ItemInfo {
                        index: i as u32,
                        id: it.id.clone(),
                        title: it.title.clone(),
                        dimension: it.dimension,
                        kind: it.kind,
                        status_quo: it.status_quo,
                        reversion: it.reversion,
                        in_scope: body.is_some(),
                        binding: body.is_some_and(|b| d.bodies[b].binding),
                    }
                })
                .collect(),
            preferences: self.prefs.row(seat).to_vec(),
            rules: PublicRules {
                design: d.design.id.clone(),
                sessions: d.procedure.sessions,
                max_rounds: d.procedure.max_rounds,
                mediation: d.procedure.mediation,
                linkage: d.procedure.linkage,
                naming_shaming: d.procedure.naming_shaming,
                exit_allowed: d.procedure.exit_allowed,
                states: sc.states.len() as u32,
            },
        }
    }

    /// The pending question.
    pub fn question(&self) -> Question<'_> {
        match self.stage {
            Stage::Open => Question::Open { seats: &self.asked },
            Stage::Positions => Question::Positions {
                ctx: &self.ctx,
                seats: &self.asked,
                views: &self.views,
            },
            Stage::Decision | Stage::Silence | Stage::Package => Question::Votes {
                ctx: &self.ctx,
                seats: &self.asked,
                views: &self.views,
            },
            Stage::Outcome | Stage::PackageOutcome => Question::Outcome {
                outcome: &self.outcome,
                seats: &self.asked,
            },
            Stage::SessionEnd => Question::SessionEnd {
                summaries: &self.summaries,
                seats: &self.asked,
                views: &self.views,
            },
            Stage::Done => Question::Done,
        }
    }

    /// Whether the match is over.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Lifts a suspension (a restarted delegation registered again); it takes part from
    /// the next question on.
    pub fn reinstate(&mut self, seat: SeatIdx) {
        if seat < self.suspended.len() {
            self.suspended[seat] = false;
            self.strikes[seat] = 0;
        }
    }

    /// Records the strategy a seat's delegation announced (reports name what actually
    /// played, not what the caller expected).
    pub fn name_strategy(&mut self, seat: SeatIdx, name: &str) {
        let n = self.scenario.states.len();
        if seat < n {
            self.setup.strategies.resize(n, String::new());
            self.setup.strategies[seat] = name.to_string();
        }
    }

    /// The most questions this match can ask (the open, then per session and item every
    /// round's positions and decision, a silence vote and the outcome notice, and per
    /// session a package vote, its outcome notices and the stances). Callers size their
    /// patience with it: a match cannot wait longer than this many deadlines.
    pub fn max_questions(&self) -> u64 {
        let pr = &self.design.procedure;
        let items = self.scenario.agenda.len() as u64;
        let rounds = u64::from(pr.max_rounds.max(1));
        let per_session = items * (2 * rounds + 2) + 1 + items + 1;
        1 + u64::from(pr.sessions.max(1)) * per_session
    }

    /// The violations recorded so far, in order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether a seat is suspended for the rest of the session.
    pub fn is_suspended(&self, seat: SeatIdx) -> bool {
        self.suspended[seat]
    }

    /// Hands in the answers to the pending question.
    pub fn submit(&mut self, answers: Answers) -> Result<(), EngineError> {
        self.apply(answers)?;
        // Questions nobody is left to answer (everyone suspended, exited or outside the
        // body) are answered here, in a loop: a whole session of them must not recurse.
        while self.stage != Stage::Done && self.asked.is_empty() {
            let none = match self.stage {
                Stage::Positions => Answers::Positions(Vec::new()),
                Stage::Decision | Stage::Silence | Stage::Package => Answers::Votes(Vec::new()),
                Stage::SessionEnd => Answers::Stances(Vec::new()),
                Stage::Open | Stage::Outcome | Stage::PackageOutcome | Stage::Done => {
                    Answers::Acks(Vec::new())
                }
            };
            self.apply(none)?;
        }
        Ok(())
    }

    fn apply(&mut self, answers: Answers) -> Result<(), EngineError> {
        let expected = self.asked.len();
        let got = match &answers {
            Answers::Acks(v) => v.len(),
            Answers::Positions(v) => v.len(),
            Answers::Votes(v) => v.len(),
            Answers::Stances(v) => v.len(),
        };
        let kind = |a: &Answers| match a {
            Answers::Acks(_) => "acks",
            Answers::Positions(_) => "positions",
            Answers::Votes(_) => "votes",
            Answers::Stances(_) => "stances",
        };
        let wrong = |expected: &'static str, a: &Answers| EngineError::WrongKind {
            expected,
            got: kind(a),
        };
        if self.stage != Stage::Done && got != expected {
            return Err(EngineError::WrongCount { expected, got });
        }
        match (self.stage, answers) {
            (Stage::Done, _) => Err(EngineError::Finished),
            (Stage::Open, Answers::Acks(acks)) => {
                for (k, a) in acks.into_iter().enumerate() {
                    if let Err(f) = a {
                        self.fault(self.asked[k], "open", f);
                    }
                }
                self.start_session();
                Ok(())
            }
            (Stage::Positions, Answers::Positions(p)) => {
                self.take_positions(p);
                Ok(())
            }
            (Stage::Decision | Stage::Silence | Stage::Package, Answers::Votes(v)) => {
                self.take_votes(v);
                Ok(())
            }
            (Stage::Outcome | Stage::PackageOutcome, Answers::Acks(acks)) => {
                for (k, a) in acks.into_iter().enumerate() {
                    if let Err(f) = a {
                        self.fault(self.asked[k], "outcome", f);
                    }
                }
                if self.stage == Stage::PackageOutcome {
                    self.next_package_notice();
                } else {
                    self.next_item();
                }
                Ok(())
            }
            (Stage::SessionEnd, Answers::Stances(s)) => {
                self.take_stances(s);
                Ok(())
            }
            (Stage::Open | Stage::Outcome | Stage::PackageOutcome, a) => Err(wrong("acks", &a)),
            (Stage::Positions, a) => Err(wrong("positions", &a)),
            (Stage::Decision | Stage::Silence | Stage::Package, a) => Err(wrong("votes", &a)),
            (Stage::SessionEnd, a) => Err(wrong("stances", &a)),
        }
    }

    /// Finishes the match and returns its results (valid at any stage; a match cut
    /// short reports what was decided so far).
    pub fn into_results(self) -> MatchResult {
        let sc = &self.scenario;
        let states = sc
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| StateResult {
                id: s.id.clone(),
                bloc: sc.blocs[s.bloc].id.clone(),
                strategy: self.setup.strategies.get(i).cloned().unwrap_or_default(),
                capability: s.capability,
                gain: self.gain[i],
                legitimacy: self.legitimacy[i],
                shamed: self.shamed[i],
                exited: self.exited[i],
                violations: self.violations.iter().filter(|v| v.state == s.id).count() as u32,
            })
            .collect();
        let summary = metrics::summarize_match(&self.sessions);
        MatchResult {
            match_id: self.setup.match_id.clone(),
            scenario: sc.id.clone(),
            design: self.design.design.id.clone(),
            seed: self.setup.seed,
            complete: self.stage == Stage::Done,
            summary,
            sessions: self.sessions,
            states,
            violations: self.violations,
            tension_trace: self.tension_trace,
            bloc_pairs: metrics::bloc_pairs(sc),
        }
    }

    // ----- internals -------------------------------------------------------------

    fn taking_part(&self, seat: SeatIdx) -> bool {
        self.exited[seat].is_none() && !self.suspended[seat]
    }

    fn fault(&mut self, seat: SeatIdx, phase: &str, f: Fault) {
        self.strikes[seat] += 1;
        let suspended = self.strikes[seat] >= self.design.procedure.strike_limit;
        if suspended {
            self.suspended[seat] = true;
        }
        self.violations.push(Violation {
            state: self.scenario.states[seat].id.clone(),
            session: self.session,
            item: match self.stage {
                Stage::Positions | Stage::Decision | Stage::Silence | Stage::Outcome => self
                    .current_item()
                    .map(|i| self.scenario.agenda[i].id.clone()),
                _ => None,
            },
            round: self.round,
            phase: phase.to_string(),
            fault: f,
            suspended,
        });
    }

    fn current_item(&self) -> Option<usize> {
        self.order.get(self.cursor).copied()
    }

    fn refresh_views(&mut self) {
        let nb = self.scenario.blocs.len();
        let mut bloc_max = vec![0.0f64; nb];
        for a in 0..nb {
            for b in a + 1..nb {
                let t = self.tension[pair_index(nb, a, b)];
                bloc_max[a] = bloc_max[a].max(t);
                bloc_max[b] = bloc_max[b].max(t);
            }
        }
        for (i, s) in self.scenario.states.iter().enumerate() {
            self.views[i] = SeatView {
                legitimacy: self.legitimacy[i],
                tension: bloc_max[s.bloc],
                shamed: self.shamed[i],
            };
        }
    }

    fn trace_tension(&mut self, item: Option<usize>) {
        self.tension_trace.push(metrics::TensionPoint {
            session: self.session,
            step: self.tension_trace.len() as u32,
            item: item.map(|i| self.scenario.agenda[i].id.clone()),
            values: self.tension.clone(),
        });
    }

    fn start_session(&mut self) {
        for g in &mut self.session_gain {
            *g = 0.0;
        }
        let n = self.scenario.agenda.len();
        self.order = (0..n).collect();
        if self.design.procedure.agenda_order == AgendaOrder::ConsensualFirst {
            // Agenda power: the Secretary General opens with what found the widest
            // support last session (stable sort keeps listed order on ties).
            let last = &self.last_objections;
            self.order.sort_by_key(|&i| last[i]);
        }
        self.cursor = 0;
        self.pending_package.clear();
        self.start_item();
    }

    fn start_item(&mut self) {
        let Some(item) = self.current_item() else {
            self.finish_items();
            return;
        };
        self.round = 0;
        self.proposal = None;
        self.item_links.clear();
        self.refused_links = 0;
        self.last_tally = Tally::default();
        for l in &mut self.link_of {
            *l = None;
        }
        for v in &mut self.votes {
            *v = None;
        }
        // A new item starts with a clean public record: nobody has spoken on it yet.
        let sq = self.in_force[item];
        for sig in &mut self.ctx.blocs {
            *sig = BlocSignal {
                mean_position: sq,
                objections: 0,
                present: 0,
                leader_position: None,
                leader_vote: None,
            };
        }
        let it = &self.scenario.agenda[item];
        if self.design.body_for(it.dimension, it.kind).is_none() {
            let sq = self.in_force[item];
            let result = self.item_result(item, Decision::OutOfScope, sq, 0, None);
            self.finalize(result, None);
            return;
        }
        self.ask_positions();
    }

    fn fill_ctx(&mut self, phase: Phase, item: u32) {
        self.ctx.session = self.session;
        self.ctx.item = item;
        self.ctx.round = self.round;
        self.ctx.phase = phase;
        self.ctx.proposal = self.proposal;
        self.ctx.last_objections = self.last_tally.no;
    }

    fn ask_positions(&mut self) {
        let item = self.current_item().expect("positions need an item");
        let mut asked = std::mem::take(&mut self.asked);
        asked.clear();
        asked.extend((0..self.scenario.states.len()).filter(|&s| self.taking_part(s)));
        self.asked = asked;
        self.refresh_views();
        self.fill_ctx(Phase::Positions, item as u32);
        self.stage = Stage::Positions;
    }

    fn validate_position(&self, item: usize, a: &PositionAnswer) -> Result<(), String> {
        if !a.position.is_finite() || a.position < SCALE_MIN || a.position > SCALE_MAX {
            return Err(format!(
                "position {} is outside the item's scale {SCALE_MIN}..={SCALE_MAX}",
                a.position
            ));
        }
        if !a.salience.is_finite() || !(0.0..=1.0).contains(&a.salience) {
            return Err(format!("salience {} is outside 0..=1", a.salience));
        }
        if let Some(l) = a.link {
            let l = l as usize;
            if l >= self.scenario.agenda.len() {
                return Err(format!("link to unknown item {l}"));
            }
            if l == item {
                return Err("an item cannot be linked to itself".into());
            }
        }
        Ok(())
    }

    fn take_positions(&mut self, answers: Vec<Reply<PositionAnswer>>) {
        let item = self.current_item().expect("positions need an item");
        for s in &mut self.stated {
            *s = None;
        }
        let asked = std::mem::take(&mut self.asked);
        for (k, a) in answers.into_iter().enumerate() {
            let seat = asked[k];
            match a.and_then(|a| {
                self.validate_position(item, &a)
                    .map(|_| a)
                    .map_err(Fault::Invalid)
            }) {
                Ok(a) => {
                    self.stated[seat] = Some(a);
                    if self.round == 0
                        && let Some(l) = a.link
                    {
                        self.consider_link(seat, item, l as usize);
                    }
                }
                Err(f) => self.fault(seat, "positions", f),
            }
        }
        self.asked = asked;
        // Mediation over what was said in the room.
        let sq = self.in_force[item];
        let mut pts = std::mem::take(&mut self.pts_buf);
        pts.clear();
        for &s in &self.asked {
            if let Some(a) = self.stated[s] {
                pts.push(Stated {
                    position: a.position,
                    salience: a.salience,
                    capability: self.prefs.get(s, item).capability,
                });
            }
        }
        let proposal = match self.design.procedure.mediation {
            crate::design::Mediation::Compromise => mediation::compromise(&pts).unwrap_or(sq),
            crate::design::Mediation::Nash => mediation::nash(&pts, sq),
            crate::design::Mediation::MaxSupport => mediation::max_support(&pts, sq),
        };
        self.pts_buf = pts;
        self.proposal = Some(proposal);
        self.update_signals_positions();
        self.ask_votes(Phase::Decision);
    }

    fn consider_link(&mut self, seat: SeatIdx, item: usize, target: usize) {
        let allowed = match self.design.procedure.linkage {
            Linkage::None => false,
            Linkage::SameDimension => {
                self.scenario.agenda[item].dimension == self.scenario.agenda[target].dimension
            }
            Linkage::Any => true,
        };
        if !allowed {
            self.refused_links += 1;
            return;
        }
        self.link_of[seat] = Some(target);
        self.item_links.push((seat, target));
        if self.scenario.agenda[item].dimension != self.scenario.agenda[target].dimension {
            // Blurring the boundaries between policy areas is a step toward escalation.
            let bloc = self.scenario.states[seat].bloc;
            let w = self.weight_in_bloc(seat);
            let add = self.design.dynamics.tension_linkage * w;
            self.raise_tension_from(bloc, add);
        }
    }

    /// A State's share of its bloc's capability: a bloc acting as one moves tension by
    /// the full amount, a small member alone by little.
    fn weight_in_bloc(&self, seat: SeatIdx) -> f64 {
        let st = &self.scenario.states[seat];
        let total = self.bloc_capability[st.bloc];
        if total > 0.0 {
            st.capability / total
        } else {
            0.0
        }
    }

    fn raise_tension_from(&mut self, bloc: usize, add: f64) {
        let nb = self.scenario.blocs.len();
        for other in (0..nb).filter(|&b| b != bloc) {
            let t = &mut self.tension[pair_index(nb, bloc, other)];
            *t = nudge(*t, add);
        }
    }

    fn update_signals_positions(&mut self) {
        let sc = &self.scenario;
        let item = self.ctx.item as usize;
        let sq = self.in_force[item];
        let nb = sc.blocs.len();
        let mut num = vec![0.0; nb];
        let mut den = vec![0.0; nb];
        let mut present = vec![0u32; nb];
        for &s in &self.asked {
            if let Some(a) = self.stated[s] {
                let b = sc.states[s].bloc;
                let w = sc.states[s].capability;
                num[b] += w * a.position;
                den[b] += w;
                present[b] += 1;
            }
        }
        for b in 0..nb {
            let sig = &mut self.ctx.blocs[b];
            sig.mean_position = if den[b] > 0.0 { num[b] / den[b] } else { sq };
            sig.present = present[b];
            sig.leader_position = self.bloc_leader[b]
                .and_then(|l| self.stated[l])
                .map(|a| a.position);
        }
    }

    /// Members of the item's body taking part, written into `out` (reused across
    /// rounds: this runs every round).
    fn voters_into(&self, item: usize, out: &mut Vec<SeatIdx>) {
        out.clear();
        let it = &self.scenario.agenda[item];
        let body = self
            .design
            .body_for(it.dimension, it.kind)
            .expect("in-scope item");
        if self.design.bodies[body].members.is_plenary() {
            out.extend((0..self.scenario.states.len()).filter(|&s| self.taking_part(s)));
        } else {
            out.extend(
                self.members(body)
                    .into_iter()
                    .filter(|&s| self.taking_part(s)),
            );
        }
    }

    /// Seats of a body this session: everyone for a plenary body; permanent members
    /// plus elected seats that rotate through the others in id order each session.
    fn members(&self, body: usize) -> Vec<SeatIdx> {
        let m = &self.design.bodies[body].members;
        let n = self.scenario.states.len();
        if m.is_plenary() {
            return (0..n).filter(|&s| self.exited[s].is_none()).collect();
        }
        let mut seats: Vec<SeatIdx> = m
            .permanent
            .iter()
            .filter_map(|id| self.scenario.seat(id))
            .filter(|&s| self.exited[s].is_none())
            .collect();
        let others: Vec<SeatIdx> = (0..n)
            .filter(|s| !seats.contains(s) && self.exited[*s].is_none())
            .collect();
        if !others.is_empty() {
            let k = (m.elected as usize).min(others.len());
            let start = (self.session as usize * k) % others.len();
            for j in 0..k {
                seats.push(others[(start + j) % others.len()]);
            }
        }
        seats.sort_unstable();
        seats
    }

    fn ask_votes(&mut self, phase: Phase) {
        let item = self.current_item();
        let mut asked = std::mem::take(&mut self.asked);
        match (phase, item) {
            (Phase::Package, _) | (_, None) => {
                asked.clear();
                asked.extend((0..self.scenario.states.len()).filter(|&s| self.taking_part(s)));
            }
            (_, Some(item)) => self.voters_into(item, &mut asked),
        }
        self.asked = asked;
        self.refresh_views();
        let item_idx = item.unwrap_or(self.scenario.agenda.len()) as u32;
        self.fill_ctx(phase, item_idx);
        self.stage = match phase {
            Phase::Decision => Stage::Decision,
            Phase::Silence => Stage::Silence,
            Phase::Package => Stage::Package,
            Phase::Positions => unreachable!("positions are not votes"),
        };
    }

    /// Whether a linkage condition holds for `seat`: the linked item's policy in force
    /// is no worse for the seat than that item's status quo at the start of the match.
    fn link_satisfied(&self, seat: SeatIdx, target: usize) -> bool {
        let p = self.prefs.get(seat, target);
        let sq0 = self.scenario.agenda[target].status_quo;
        // An item agreed into the pending package counts at the value agreed, which
        // is not in force until the package passes.
        if let Some(pending) = self
            .pending_package
            .iter()
            .find(|p| p.result.index == target)
        {
            return p.gain(pending.result.outcome, sq0) >= 0.0;
        }
        self.ever_decided[target] && p.gain(self.in_force[target], sq0) >= 0.0
    }

    fn take_votes(&mut self, answers: Vec<Reply<Vote>>) {
        let phase = self.ctx.phase;
        for v in &mut self.votes {
            *v = None;
        }
        let asked = std::mem::take(&mut self.asked);
        for (k, a) in answers.into_iter().enumerate() {
            let seat = asked[k];
            match a {
                Ok(mut v) => {
                    // Consent under a linkage is conditional in every vote on the item,
                    // silence included: keeping silence is consent too.
                    if matches!(phase, Phase::Decision | Phase::Silence)
                        && v == Vote::Yes
                        && let Some(t) = self.link_of[seat]
                        && !self.link_satisfied(seat, t)
                    {
                        // The linkage threat is executed: consent was conditional.
                        v = Vote::No;
                    }
                    self.votes[seat] = Some(v);
                }
                Err(f) => self.fault(seat, phase_name(phase), f),
            }
        }
        self.asked = asked;
        if phase == Phase::Package {
            self.decide_package();
            return;
        }
        let item = self.current_item().expect("votes need an item");
        let tally = self.count(item, phase);
        self.update_signals_votes();
        self.last_tally = tally;
        let proposal = self.proposal.expect("a proposal is on the table");
        match phase {
            Phase::Decision if tally.adopted => {
                self.close_item(item, Decision::Adopted, proposal);
            }
            Phase::Decision if self.round + 1 < self.design.procedure.max_rounds => {
                self.round += 1;
                self.ask_positions();
            }
            Phase::Decision => {
                let it = &self.scenario.agenda[item];
                let body = self
                    .design
                    .body_for(it.dimension, it.kind)
                    .expect("in scope");
                let consensus =
                    matches!(self.design.rule_for(body, it.kind), Rule::Consensus { .. });
                if self.design.procedure.silence_procedure && consensus {
                    self.ask_votes(Phase::Silence);
                } else {
                    self.deadlock(item);
                }
            }
            Phase::Silence => {
                if tally.adopted {
                    self.close_item(item, Decision::AdoptedBySilence, proposal);
                } else {
                    self.deadlock(item);
                }
            }
            Phase::Positions | Phase::Package => unreachable!(),
        }
    }

    fn ballots(
        &self,
        seats: &[SeatIdx],
        item: Option<usize>,
        silence: bool,
        veto_body: Option<usize>,
    ) -> Vec<Ballot> {
        let accused = item.and_then(|i| self.scenario.agenda[i].accused);
        let vetoes: Vec<SeatIdx> = veto_body
            .map(|b| &self.design.bodies[b].members)
            .filter(|m| m.permanent_veto)
            .map(|m| {
                m.permanent
                    .iter()
                    .filter_map(|id| self.scenario.seat(id))
                    .collect()
            })
            .unwrap_or_default();
        seats
            .iter()
            .map(|&s| {
                let mut vote = self.votes[s];
                if silence && vote != Some(Vote::No) {
                    // Under silence only breaking it counts; keeping quiet is consent.
                    vote = Some(Vote::Yes);
                }
                Ballot {
                    vote,
                    weight: item.map_or(self.scenario.states[s].capability, |i| {
                        self.prefs.get(s, i).capability
                    }),
                    veto: vetoes.contains(&s),
                    accused: accused == Some(s),
                }
            })
            .collect()
    }

    fn count(&self, item: usize, phase: Phase) -> Tally {
        let it = &self.scenario.agenda[item];
        let body = self
            .design
            .body_for(it.dimension, it.kind)
            .expect("in scope");
        let rule = self.design.rule_for(body, it.kind);
        let ballots = self.ballots(&self.asked, Some(item), phase == Phase::Silence, Some(body));
        rules::tally(rule, self.design.procedure.absence, &ballots)
    }

    fn update_signals_votes(&mut self) {
        let sc = &self.scenario;
        for sig in &mut self.ctx.blocs {
            sig.objections = 0;
        }
        for &s in &self.asked {
            if self.votes[s] == Some(Vote::No) {
                self.ctx.blocs[sc.states[s].bloc].objections += 1;
            }
        }
        for b in 0..sc.blocs.len() {
            self.ctx.blocs[b].leader_vote = self.bloc_leader[b].and_then(|l| self.votes[l]);
        }
    }

    fn deadlock(&mut self, item: usize) {
        let it = &self.scenario.agenda[item];
        let pr = &self.design.procedure;
        let proposal = self.proposal.expect("a proposal was on the table");
        if it.kind == ItemKind::UnifiedBudget && pr.provisional_budget {
            let sq = self.in_force[item];
            self.close_item(item, Decision::Provisional, sq);
        } else if pr.ad_hoc_min > 0 && self.last_tally.yes >= pr.ad_hoc_min {
            self.close_item(item, Decision::AdHoc, proposal);
        } else {
            let rev = it.reversion;
            self.close_item(item, Decision::Reverted, rev);
        }
    }

    fn item_result(
        &self,
        item: usize,
        decision: Decision,
        outcome: f64,
        rounds: u32,
        tally: Option<Tally>,
    ) -> ItemResult {
        let it = &self.scenario.agenda[item];
        let body = self.design.body_for(it.dimension, it.kind);
        let sq = self.in_force[item];
        // Reference solutions on the true preferences of the States taking part.
        let pts: Vec<Stated> = (0..self.scenario.states.len())
            .filter(|&s| self.exited[s].is_none())
            .map(|s| {
                let p = self.prefs.get(s, item);
                Stated {
                    position: p.ideal,
                    salience: p.salience,
                    capability: p.capability,
                }
            })
            .collect();
        let compromise_ref = mediation::compromise(&pts).unwrap_or(sq);
        let nash_ref = mediation::nash(&pts, sq);
        let nb = self.scenario.blocs.len();
        let mut by_bloc = vec![0u32; nb];
        if tally.is_some() {
            for s in 0..self.scenario.states.len() {
                if self.votes[s] == Some(Vote::No) {
                    by_bloc[self.scenario.states[s].bloc] += 1;
                }
            }
        }
        let t = tally.unwrap_or_default();
        ItemResult {
            session: self.session,
            index: item,
            id: it.id.clone(),
            dimension: it.dimension,
            kind: it.kind,
            body: body.map(|b| self.design.bodies[b].id.clone()),
            decision,
            decided: decision.decided(),
            binding: decision.decided() && body.is_some_and(|b| self.design.bodies[b].binding),
            rounds,
            status_quo: sq,
            outcome,
            proposal: self.proposal,
            compromise_ref,
            nash_ref,
            yes: t.yes,
            no: t.no,
            abstain: t.abstain,
            absent: t.absent,
            objections_by_bloc: by_bloc,
            links: self.item_links.len() as u32,
            refused_links: self.refused_links,
            shamed: Vec::new(),
            welfare_gain: 0.0,
        }
    }

    fn close_item(&mut self, item: usize, decision: Decision, outcome: f64) {
        let rounds = self.round + 1;
        let result = self.item_result(item, decision, outcome, rounds, Some(self.last_tally));
        if self.design.procedure.package && decision.decided() {
            // Nothing is agreed until everything is agreed: hold it for the package.
            self.pending_package.push(PendingItem {
                result: result.clone(),
                votes: self.votes.clone(),
            });
            self.notify(result);
            return;
        }
        let votes = self.votes.clone();
        self.finalize(result, Some(&votes));
    }

    /// Applies an item's consequences (policy, utility, legitimacy, tension, shaming),
    /// records it and tells the delegations.
    fn finalize(&mut self, mut r: ItemResult, votes: Option<&[Option<Vote>]>) {
        let item = r.index;
        let sc = Arc::clone(&self.scenario);
        let dy = self.design.dynamics.clone();
        let sq = r.status_quo;
        let sq0 = sc.agenda[item].status_quo;
        let ad_hoc = r.decision == Decision::AdHoc;
        // What a non-binding body adopts, or its members arrange ad hoc, is only partly
        // implemented; fallbacks on deadlock apply in full.
        let body_binding = r
            .body
            .as_ref()
            .and_then(|id| self.design.bodies.iter().find(|b| &b.id == id))
            .is_some_and(|b| b.binding);
        let compliance = if (r.decision.decided() || ad_hoc) && !body_binding {
            dy.nonbinding_compliance
        } else {
            1.0
        };
        let effective = sq + compliance * (r.outcome - sq);
        // Withheld contributions shrink the budget States actually get this session;
        // the agreed level stays in force (a smaller budget needs a decision).
        let mut felt = 1.0;
        if sc.agenda[item].kind == ItemKind::UnifiedBudget {
            let total: f64 = sc.states.iter().map(|s| s.capability).sum();
            let withheld: f64 = (0..sc.states.len())
                .filter(|&s| self.withholding[s] && self.exited[s].is_none())
                .map(|s| sc.states[s].capability)
                .sum();
            if total > 0.0 {
                felt = 1.0 - dy.withholding * withheld / total;
            }
        }
        let mut welfare = 0.0;
        let nb = sc.blocs.len();
        let mut bloc_yes = vec![0.0; nb];
        let mut bloc_present = vec![0.0; nb];
        let mut bloc_no = vec![0.0; nb];
        for s in 0..sc.states.len() {
            if self.exited[s].is_some() {
                continue;
            }
            let p = *self.prefs.get(s, item);
            let vote = votes.and_then(|v| v[s]);
            let x = felt
                * if ad_hoc {
                    if vote == Some(Vote::Yes) {
                        effective
                    } else {
                        sq + dy.ad_hoc_spillover * (effective - sq)
                    }
                } else {
                    effective
                };
            // Welfare is a flow: each session a State enjoys (or suffers) the policy in
            // force, measured against the status quo at the start of the match, so an
            // early agreement keeps paying and an ad hoc arrangement is not counted anew
            // as if it were a fresh change.
            let level = p.gain(x, sq0);
            welfare += level;
            self.gain[s] += level;
            self.session_gain[s] += level;
            // Legitimacy reacts to the change this session brought.
            let g = p.gain(x, sq);
            let sat = &mut self.satisfaction[s];
            sat.0 += p.salience * (x - p.ideal).abs();
            sat.1 += p.salience * SCALE_MAX;
            let b = sc.states[s].bloc;
            let w = sc.states[s].capability;
            if let Some(v) = vote {
                bloc_present[b] += w;
                match v {
                    Vote::Yes => bloc_yes[b] += w,
                    Vote::No => bloc_no[b] += w,
                    Vote::Abstain => {}
                }
            }
            // Legitimacy rests on consent: it falls for the outvoted and for those who
            // see outcomes move away from them, and grows with outcomes that serve them.
            let mut delta = 0.0;
            if r.decided && r.binding && vote == Some(Vote::No) {
                delta -= dy.outvoted * p.salience;
            }
            if g > 0.0 {
                delta += dy.gain * p.salience;
            } else if g < 0.0 {
                delta -= dy.distance * p.salience * (-g / (p.salience * 25.0).max(1e-9)).min(1.0);
            }
            self.legitimacy[s] = nudge(self.legitimacy[s], delta);
        }
        r.welfare_gain = welfare;

        // Naming and shaming by the semi-autonomous institutions: States that blocked a
        // human-dimension proposal from far below it are named.
        if self.design.procedure.naming_shaming
            && sc.agenda[item].dimension == crate::model::Dimension::Human
            && !r.decided
            && let (Some(prop), Some(votes)) = (r.proposal, votes)
        {
            for (s, vote) in votes.iter().enumerate() {
                let far_below = self.stated[s].is_some_and(|a| prop - a.position >= dy.shaming_gap);
                if *vote == Some(Vote::No) && far_below {
                    r.shamed.push(sc.states[s].id.clone());
                    self.shamed[s] += 1;
                    let sal = self.prefs.get(s, item).salience;
                    self.gain[s] -= dy.shaming_cost * sal;
                    self.session_gain[s] -= dy.shaming_cost * sal;
                    self.legitimacy[s] = nudge(self.legitimacy[s], -dy.shamed);
                    let w = self.weight_in_bloc(s);
                    self.raise_tension_from(sc.states[s].bloc, dy.tension_shaming * w);
                }
            }
        }

        // Tension between bloc pairs: blocking what the other side wants raises it,
        // agreements both sides carried lower it.
        for a in 0..nb {
            for b in a + 1..nb {
                let k = pair_index(nb, a, b);
                let share = |x: &[f64], i: usize| {
                    if bloc_present[i] > 0.0 {
                        x[i] / bloc_present[i]
                    } else {
                        0.0
                    }
                };
                let t = &mut self.tension[k];
                if r.decided && share(&bloc_yes, a) >= 0.5 && share(&bloc_yes, b) >= 0.5 {
                    *t = nudge(*t, -dy.tension_agreement);
                } else if !r.decided && votes.is_some() {
                    let block = share(&bloc_no, a) * share(&bloc_yes, b)
                        + share(&bloc_no, b) * share(&bloc_yes, a);
                    *t = nudge(*t, dy.tension_block * block);
                }
            }
        }

        // The policy in force for the next session.
        if !ad_hoc {
            self.in_force[item] = effective;
        }
        if r.decided {
            self.ever_decided[item] = true;
        }
        self.last_objections[item] = r.no;
        self.trace_tension(Some(item));
        self.items.push(r.clone());
        self.notify(r);
    }

    fn notify(&mut self, r: ItemResult) {
        self.outcome = ItemOutcome {
            session: self.session,
            item: r.index as u32,
            decision: r.decision,
            outcome: r.outcome,
            in_force: self.in_force[r.index],
            binding: r.binding,
            rounds: r.rounds,
            objections_by_bloc: r.objections_by_bloc.clone(),
            shamed: r.shamed.clone(),
        };
        self.asked = (0..self.scenario.states.len())
            .filter(|&s| self.taking_part(s))
            .collect();
        self.stage = if self.stage == Stage::Package || self.stage == Stage::PackageOutcome {
            Stage::PackageOutcome
        } else {
            Stage::Outcome
        };
    }

    fn next_item(&mut self) {
        self.cursor += 1;
        self.start_item();
    }

    fn finish_items(&mut self) {
        if self.design.procedure.package && !self.pending_package.is_empty() {
            self.proposal = None;
            self.round = 0;
            self.ask_votes(Phase::Package);
            return;
        }
        self.end_session();
    }

    fn decide_package(&mut self) {
        // The package is put to the first (plenary) body's rule.
        let rule = self.design.bodies[0].rule.clone();
        let asked = self.asked.clone();
        let ballots = self.ballots(&asked, None, false, None);
        let t = rules::tally(&rule, self.design.procedure.absence, &ballots);
        let mut blockers = vec![0u32; self.scenario.blocs.len()];
        for (seat, v) in self.votes.iter().enumerate() {
            if *v == Some(Vote::No) {
                blockers[self.scenario.states[seat].bloc] += 1;
            }
        }
        let pending = std::mem::take(&mut self.pending_package);
        let mut queue = Vec::with_capacity(pending.len());
        for mut p in pending {
            if !t.adopted {
                let item = &self.scenario.agenda[p.result.index];
                p.result.decision = Decision::PackageFailed;
                p.result.decided = false;
                p.result.binding = false;
                // The same fallback as a blocked item: a budget runs on provisional
                // allotments where the design provides them, anything else reverts.
                p.result.outcome = if item.kind == ItemKind::UnifiedBudget
                    && self.design.procedure.provisional_budget
                {
                    p.result.status_quo
                } else {
                    item.reversion
                };
                // Who blocked is who rejected the package: that is what tension and
                // the record see, not the item's own (unanimous) round.
                p.votes.clone_from(&self.votes);
                p.result.yes = t.yes;
                p.result.no = t.no;
                p.result.abstain = t.abstain;
                p.result.absent = t.absent;
                p.result.objections_by_bloc.clone_from(&blockers);
            }
            queue.push(p);
        }
        queue.reverse();
        self.package_queue = queue;
        self.stage = Stage::PackageOutcome;
        self.next_package_notice();
    }

    fn next_package_notice(&mut self) {
        match self.package_queue.pop() {
            Some(p) => {
                self.votes = p.votes;
                self.stage = Stage::PackageOutcome;
                self.finalize(p.result, Some(&self.votes.clone()));
            }
            None => self.end_session(),
        }
    }

    fn end_session(&mut self) {
        let sc = &self.scenario;
        let result = metrics::summarize_session(
            self.session,
            sc,
            &self.items,
            &self.legitimacy,
            &self.exited,
            &self.satisfaction,
            &self.tension_trace,
        );
        let nb = sc.blocs.len();
        let mut tension = Vec::new();
        for a in 0..nb {
            for b in a + 1..nb {
                tension.push((a as u32, b as u32, self.tension[pair_index(nb, a, b)]));
            }
        }
        self.summaries = (0..sc.states.len())
            .map(|s| SessionSummary {
                session: self.session,
                decided: result.decided,
                items: sc.agenda.len() as u32,
                my_gain: self.session_gain[s],
                tension: tension.clone(),
            })
            .collect();
        self.sessions.push(result);
        self.asked = (0..sc.states.len())
            .filter(|&s| self.exited[s].is_none())
            .collect();
        // Suspended delegations are still asked about their stance: a suspension lasts
        // for the rest of the session, and the session is over.
        for s in &mut self.suspended {
            *s = false;
        }
        self.refresh_views();
        self.stage = Stage::SessionEnd;
    }

    fn take_stances(&mut self, answers: Vec<Reply<Stance>>) {
        let asked = std::mem::take(&mut self.asked);
        let exit_allowed = self.design.procedure.exit_allowed;
        for (k, a) in answers.into_iter().enumerate() {
            let s = asked[k];
            match a {
                Ok(Stance::Exit) if exit_allowed => {
                    self.exited[s] = Some(self.session);
                    self.withholding[s] = false;
                    let w = self.weight_in_bloc(s);
                    let add = self.design.dynamics.tension_exit * w;
                    self.raise_tension_from(self.scenario.states[s].bloc, add);
                }
                Ok(Stance::Withhold) => self.withholding[s] = true,
                Ok(Stance::Stay) | Ok(Stance::Exit) => self.withholding[s] = false,
                Err(f) => self.fault(s, "session-end", f),
            }
        }
        // Strikes and suspensions last for the session; the next one starts clean.
        for s in &mut self.suspended {
            *s = false;
        }
        for s in &mut self.strikes {
            *s = 0;
        }
        let exits = self
            .exited
            .iter()
            .filter(|e| **e == Some(self.session))
            .count() as u32;
        if exits > 0 {
            // Exits belong to the session that ends with them: the tension they add and
            // the States they take away count in its figures (and so in the match's).
            self.trace_tension(None);
            let redone = metrics::summarize_session(
                self.session,
                &self.scenario,
                &self.items,
                &self.legitimacy,
                &self.exited,
                &self.satisfaction,
                &self.tension_trace,
            );
            if let Some(last) = self.sessions.last_mut() {
                *last = redone;
            }
        }
        if let Some(last) = self.sessions.last_mut() {
            last.exits = exits;
            last.withholding = self.withholding.iter().filter(|w| **w).count() as u32;
        }
        self.session += 1;
        if self.session >= self.design.procedure.sessions || self.exited.iter().all(|e| e.is_some())
        {
            self.stage = Stage::Done;
            self.asked.clear();
        } else {
            self.start_session();
        }
    }
}

/// Moves a 0..1 quantity (legitimacy, tension) by `delta` in proportion to the room
/// left: a rise covers `delta` of the distance to 1, a fall takes `delta` of what is
/// there. Repeated events therefore wear it down or build it up geometrically and it
/// never leaves 0..1, instead of hitting a wall after a few items.
fn nudge(x: f64, delta: f64) -> f64 {
    let d = delta.clamp(-1.0, 1.0);
    let y = if d >= 0.0 {
        x + d * (1.0 - x)
    } else {
        x + d * x
    };
    y.clamp(0.0, 1.0)
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Positions => "positions",
        Phase::Decision => "decision",
        Phase::Silence => "silence",
        Phase::Package => "package",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nudge_moves_in_proportion_to_the_room_left() {
        assert!((nudge(0.5, 0.1) - 0.55).abs() < 1e-12);
        assert!((nudge(0.5, -0.1) - 0.45).abs() < 1e-12);
        assert!((nudge(0.9, 0.5) - 0.95).abs() < 1e-12);
        assert_eq!(nudge(0.0, -0.3), 0.0);
        assert_eq!(nudge(1.0, 0.3), 1.0);
        let mut x = 0.45;
        for _ in 0..10 {
            x = nudge(x, -0.08);
        }
        assert!(x > 0.0 && x < 0.45 * 0.44, "{x}");
    }

    #[test]
    fn pair_index_enumerates_the_upper_triangle() {
        let nb = 4;
        let mut seen = Vec::new();
        for a in 0..nb {
            for b in a + 1..nb {
                seen.push(pair_index(nb, a, b));
                assert_eq!(pair_index(nb, a, b), pair_index(nb, b, a));
            }
        }
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
    }
}
