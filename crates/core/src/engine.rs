//! The session engine: one match as a pure state machine.
//!
//! The engine asks questions ([`Question`]) and takes answers ([`Answers`]) aligned with
//! the seats it asked, in State id order. It never calls a delegation itself, so the
//! same machine runs in-process ([`crate::run_in_process`]) and over the network (the
//! chair service fans a question out concurrently and hands the answers back in seat
//! order). Given the same answers it produces the same results, byte for byte.
//!
//! Per session the chair works through the agenda item by item (the Secretary
//! General, while one is in office, may reorder it). Before each item the world moves:
//! steps-to-war events may raise the tension between bloc pairs; a pair in crisis
//! suspends co-operation items and alienated members of its blocs walk out. Each item
//! gets up to `max_rounds` rounds of positions -> mediation -> decision in the body the
//! design assigns; on deadlock the design's fallbacks apply (silence procedure,
//! provisional budget, ad hoc arrangements, the item's reversion, or simply the policy
//! in force). Items of a scenario group may then go to one package vote, and a design
//! with `package = true` ties the whole session into one. At the end of the session
//! institutions with a head in office report on States in breach of the commitments in
//! force, and Moscow Mechanism missions report where enough States invoked one.
//! Legitimacy, tension, exits, the policies in force and anything the strategies learn
//! carry over from session to session; a one-off item once decided is not re-opened.
//! `crates/core/MODEL.md` gives each mechanism with the passage of the paper it models.

use crate::answers::{self, PositionQuestion};
use crate::design::{AgendaOrder, Design, Linkage, Mediation, Rule};
use crate::mediation::{self, Stated};
use crate::metrics::{
    self, EventRecord, ItemResult, MatchResult, ReportRecord, RoundRecord, SessionResult,
    StateResult, Violation,
};
use crate::model::{Dimension, ItemKind, Preferences, SCALE_MAX, SCALE_MIN, SeatIdx};
use crate::rng::{derive, mix, one_way};
use crate::rules::{self, Ballot, Tally};
use crate::scenario::Scenario;
use crate::strategy::{
    BlocSignal, Decision, EventInfo, EventKind, Fault, GroupInfo, ItemInfo, ItemOutcome, Offer,
    PackageEntry, Phase, PositionAnswer, PublicOffer, PublicRules, Reply, RoundContext, SeatBrief,
    SeatView, SessionSummary, Stance, Vote,
};
use std::collections::VecDeque;
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
    GroupPackage,
    Package,
    Outcome,
    SessionEnd,
    Done,
}

/// What follows once the queued outcome notices are out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Take the next agenda item.
    NextItem,
    /// Close the session.
    EndSession,
}

/// An item whose result waits for a package vote (a group's or the session's).
#[derive(Debug, Clone)]
struct Held {
    result: ItemResult,
    votes: Vec<Option<Vote>>,
    /// Package key (group packages) the item belongs to.
    key: usize,
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
    walked_out: Vec<bool>,
    refused_link: Vec<Option<u32>>,
    refused_offer: Vec<Option<u32>>,
    /// Stake still open at the seat's first violation (see `[faults]`).
    stake_at_fault: Vec<Option<f64>>,
    /// Legitimacy and bloc tension at the start of the match: the scenario's red lines
    /// are those of its starting situation, so the feedback works on the change since.
    legitimacy0: Vec<f64>,
    tension0: Vec<f64>,

    // Per (seat, item): whether the State has a position (row-major, seat x item).
    present: Vec<bool>,

    // Per bloc / bloc pair.
    bloc_leader: Vec<Option<SeatIdx>>,
    bloc_power: Vec<f64>,
    tension: Vec<f64>,
    pair_labels: Vec<String>,
    /// Base seeds of the steps-to-war draws, per (item, pair).
    event_seeds: Vec<u64>,

    // Per item.
    in_force: Vec<Option<f64>>,
    ever_decided: Vec<bool>,
    last_objections: Vec<u32>,
    /// Session + 1 in which the item's utility was last booked.
    booked: Vec<u32>,

    // Institutions.
    kept: Vec<bool>,
    heads: Vec<bool>,

    // Open trade offers, ordered by (offering seat, supported item).
    open_offers: Vec<PublicOffer>,

    // Session.
    session: u32,
    order: Vec<usize>,
    /// Package key of each agenda position this session (group packages).
    key_of_pos: Vec<Option<usize>>,
    /// Per package key: (group, last agenda position of its members).
    keys: Vec<(usize, usize)>,
    cursor: usize,
    round: u32,
    proposal: Option<f64>,
    last_tally: Tally,
    item_links: Vec<(SeatIdx, usize)>,
    offers_honoured: u32,
    history: Vec<RoundRecord>,
    held: Vec<Held>,
    group_vote: Vec<Held>,
    pending_package: Vec<Held>,
    notices: VecDeque<ItemOutcome>,
    then: Then,
    invocations: Vec<(SeatIdx, SeatIdx)>,
    session_events: Vec<EventInfo>,
    session_shamed: Vec<u32>,
    session_walkouts: u32,
    sg_at_start: bool,
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
    reregistrations: Vec<metrics::Reregistration>,
    tension_trace: Vec<metrics::TensionPoint>,
    events: Vec<EventRecord>,
    reports: Vec<ReportRecord>,
    questions: u32,
    decisions: u64,
}

fn pair_index(blocs: usize, a: usize, b: usize) -> usize {
    let (a, b) = (a.min(b), a.max(b));
    // Row-major upper triangle without the diagonal.
    a * blocs - a * (a + 1) / 2 + (b - a - 1)
}

/// Uniform in [0, 1) from a 64-bit value.
fn unit(z: u64) -> f64 {
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
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
        let items = scenario.agenda.len();
        let mut bloc_leader: Vec<Option<SeatIdx>> = vec![None; nb];
        for (i, s) in scenario.states.iter().enumerate() {
            let better = match bloc_leader[s.bloc] {
                None => true,
                Some(j) => s.bargaining_power > scenario.states[j].bargaining_power,
            };
            if better {
                bloc_leader[s.bloc] = Some(i);
            }
        }
        let mut bloc_power = vec![0.0; nb];
        for s in &scenario.states {
            bloc_power[s.bloc] += s.bargaining_power;
        }
        let pairs = nb * nb.saturating_sub(1) / 2;
        let mut tension = vec![0.0; pairs];
        for (&(a, b), &v) in &scenario.tension {
            if a != b {
                tension[pair_index(nb, a, b)] = v;
            }
        }
        let pair_labels = metrics::bloc_pairs(&scenario);
        let mut event_seeds = Vec::with_capacity(items * pairs);
        for it in &scenario.agenda {
            for label in &pair_labels {
                event_seeds.push(derive(setup.seed, &["steps-to-war", &it.id, label]));
            }
        }
        let legitimacy: Vec<f64> = scenario
            .states
            .iter()
            .map(|s| scenario.legitimacy[s.bloc])
            .collect();
        let in_force = scenario.agenda.iter().map(|i| i.status_quo).collect();
        let mut present = vec![true; n * items];
        for (ii, it) in scenario.agenda.iter().enumerate() {
            for &s in &it.absent {
                present[s * items + ii] = false;
            }
        }
        let kept: Vec<bool> = scenario
            .institutions
            .iter()
            .map(|i| design.keeps_institution(&i.id))
            .collect();
        let heads = scenario
            .institutions
            .iter()
            .zip(&kept)
            .map(|(i, &k)| k && i.head_in_office)
            .collect();
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
            views: vec![SeatView::default(); n],
            stated: vec![None; n],
            votes: vec![None; n],
            link_of: vec![None; n],
            walked_out: vec![false; n],
            refused_link: vec![None; n],
            refused_offer: vec![None; n],
            stake_at_fault: vec![None; n],
            legitimacy0: Vec::new(),
            tension0: Vec::new(),
            present,
            bloc_leader,
            bloc_power,
            tension,
            pair_labels,
            event_seeds,
            in_force,
            ever_decided: vec![false; items],
            last_objections: vec![0; items],
            booked: vec![0; items],
            kept,
            heads,
            open_offers: Vec::new(),
            session: 0,
            order: (0..items).collect(),
            key_of_pos: vec![None; items],
            keys: Vec::new(),
            cursor: 0,
            round: 0,
            proposal: None,
            last_tally: Tally::default(),
            item_links: Vec::new(),
            offers_honoured: 0,
            history: Vec::new(),
            held: Vec::new(),
            group_vote: Vec::new(),
            pending_package: Vec::new(),
            notices: VecDeque::new(),
            then: Then::NextItem,
            invocations: Vec::new(),
            session_events: Vec::new(),
            session_shamed: Vec::new(),
            session_walkouts: 0,
            sg_at_start: false,
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
                offers: Vec::new(),
                package: Vec::new(),
                group: None,
            },
            outcome: ItemOutcome {
                session: 0,
                item: 0,
                decision: Decision::Reverted,
                outcome: None,
                in_force: None,
                binding: false,
                legally_binding: false,
                rounds: 0,
                objections_by_bloc: vec![0; nb],
                objectors: Vec::new(),
                shamed: Vec::new(),
                package: None,
            },
            summaries: Vec::new(),
            items: Vec::new(),
            sessions: Vec::new(),
            violations: Vec::new(),
            reregistrations: Vec::new(),
            tension_trace: Vec::new(),
            events: Vec::new(),
            reports: Vec::new(),
            questions: 0,
            decisions: 0,
            scenario,
            design,
            setup,
        };
        m.legitimacy0.clone_from(&m.legitimacy);
        m.tension0 = m.bloc_tension();
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

    /// An upper bound of the number of questions this match can ask (what a driver
    /// needs to size a deadline or a journal): see [`max_questions`].
    pub fn max_questions(&self) -> u64 {
        max_questions(&self.scenario, &self.design)
    }

    /// The brief of one seat: public rules plus only that seat's private preferences.
    pub fn brief(&self, seat: SeatIdx) -> SeatBrief {
        let sc = &self.scenario;
        let st = &sc.states[seat];
        let d = &self.design;
        let items = sc.agenda.len();
        SeatBrief {
            match_id: self.setup.match_id.clone(),
            state: st.id.clone(),
            seat: seat as u32,
            bloc: sc.blocs[st.bloc].id.clone(),
            bloc_index: st.bloc as u32,
            bloc_leader: self.bloc_leader[st.bloc] == Some(seat),
            capability: st.capability,
            bargaining_power: st.bargaining_power,
            voting_weight: st.voting_weight,
            seed: one_way(self.setup.seed, &["seat", &st.id]),
            blocs: sc.blocs.iter().map(|b| b.id.clone()).collect(),
            items: sc
                .agenda
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let body = self.body_of(i);
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
                        legally_binding: body
                            .is_some_and(|b| d.bodies[b].binding && d.bodies[b].legally_binding),
                        recurring: it.recurring,
                        group: it.group.map(|g| g as u32),
                    }
                })
                .collect(),
            preferences: self.prefs.row(seat).to_vec(),
            absent_items: (0..items)
                .filter(|&i| !self.present[seat * items + i])
                .map(|i| i as u32)
                .collect(),
            groups: sc
                .groups
                .iter()
                .map(|g| GroupInfo {
                    id: g.id.clone(),
                    title: g.title.clone(),
                    items: g.items.iter().map(|&i| i as u32).collect(),
                })
                .collect(),
            rules: PublicRules {
                design: d.design.id.clone(),
                sessions: d.procedure.sessions,
                max_rounds: d.procedure.max_rounds,
                mediation: d.procedure.mediation,
                linkage: d.procedure.linkage,
                naming_shaming: d.procedure.naming_shaming,
                exit_allowed: d.procedure.exit_allowed,
                states: sc.states.len() as u32,
                group_packages: d.procedure.group_packages,
                moscow_mechanism: d.procedure.moscow_mechanism,
                crisis_threshold: d.crisis.threshold,
                forfeit: d.faults.forfeit,
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
            Stage::Decision | Stage::Silence | Stage::GroupPackage | Stage::Package => {
                Question::Votes {
                    ctx: &self.ctx,
                    seats: &self.asked,
                    views: &self.views,
                }
            }
            Stage::Outcome => Question::Outcome {
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
            self.reregistrations.push(metrics::Reregistration {
                state: self.scenario.states[seat].id.clone(),
                session: self.session,
            });
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
        self.apply_answers(answers)?;
        // Questions nobody is left to answer (everyone suspended, exited or outside the
        // body) are answered here, in a loop: a whole session of them must not recurse.
        while self.stage != Stage::Done && self.asked.is_empty() {
            let none = match self.stage {
                Stage::Positions => Answers::Positions(Vec::new()),
                Stage::Decision | Stage::Silence | Stage::GroupPackage | Stage::Package => {
                    Answers::Votes(Vec::new())
                }
                Stage::SessionEnd => Answers::Stances(Vec::new()),
                Stage::Open | Stage::Outcome | Stage::Done => Answers::Acks(Vec::new()),
            };
            self.apply_answers(none)?;
        }
        Ok(())
    }

    fn apply_answers(&mut self, answers: Answers) -> Result<(), EngineError> {
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
        let kind_asked = kind(&answers);
        let r = match (self.stage, answers) {
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
            (
                Stage::Decision | Stage::Silence | Stage::GroupPackage | Stage::Package,
                Answers::Votes(v),
            ) => {
                self.take_votes(v);
                Ok(())
            }
            (Stage::Outcome, Answers::Acks(acks)) => {
                for (k, a) in acks.into_iter().enumerate() {
                    if let Err(f) = a {
                        self.fault(self.asked[k], "outcome", f);
                    }
                }
                self.next_notice();
                Ok(())
            }
            (Stage::SessionEnd, Answers::Stances(s)) => {
                self.take_stances(s);
                Ok(())
            }
            (Stage::Open | Stage::Outcome, a) => Err(wrong("acks", &a)),
            (Stage::Positions, a) => Err(wrong("positions", &a)),
            (Stage::Decision | Stage::Silence | Stage::GroupPackage | Stage::Package, a) => {
                Err(wrong("votes", &a))
            }
            (Stage::SessionEnd, a) => Err(wrong("stances", &a)),
        };
        // Questions nobody was asked (answered empty by `submit`) never reach a driver.
        if r.is_ok() && expected > 0 {
            self.questions += 1;
            if matches!(kind_asked, "positions" | "votes") {
                self.decisions += expected as u64;
            }
        }
        r
    }

    /// Finishes the match and returns its results (valid at any stage; a match cut
    /// short reports what was decided so far).
    pub fn into_results(self) -> MatchResult {
        let sc = &self.scenario;
        let share = self.design.faults.forfeit;
        let states = sc
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let forfeit = self.stake_at_fault[i].map_or(0.0, |stake| share * stake);
                StateResult {
                    id: s.id.clone(),
                    bloc: sc.blocs[s.bloc].id.clone(),
                    strategy: self.setup.strategies.get(i).cloned().unwrap_or_default(),
                    capability: s.capability,
                    gain: self.gain[i],
                    legitimacy: self.legitimacy[i],
                    shamed: self.shamed[i],
                    exited: self.exited[i],
                    violations: self.violations.iter().filter(|v| v.state == s.id).count() as u32,
                    forfeit,
                    score: self.gain[i] - forfeit,
                }
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
            bloc_pairs: self.pair_labels,
            events: self.events,
            reports: self.reports,
            questions: self.questions,
            decisions: self.decisions,
            reregistrations: self.reregistrations,
        }
    }

    // ----- internals: standing ------------------------------------------------------

    fn items_n(&self) -> usize {
        self.scenario.agenda.len()
    }

    fn has_position(&self, seat: SeatIdx, item: usize) -> bool {
        self.present[seat * self.items_n() + item]
    }

    fn taking_part(&self, seat: SeatIdx) -> bool {
        self.exited[seat].is_none() && !self.suspended[seat]
    }

    /// The body deciding an item (None: out of scope, including the head item of an
    /// institution the design drops).
    fn body_of(&self, item: usize) -> Option<usize> {
        let it = &self.scenario.agenda[item];
        let dropped = self
            .scenario
            .institutions
            .iter()
            .zip(&self.kept)
            .any(|(inst, &kept)| !kept && inst.head_item == Some(item));
        if dropped {
            return None;
        }
        self.design.body_for(it.dimension, it.kind)
    }

    fn settled(&self, item: usize) -> bool {
        !self.scenario.agenda[item].recurring && self.ever_decided[item]
    }

    /// Whether the design's Secretary General is in office.
    fn sg_in_office(&self) -> bool {
        self.design
            .secretary_general
            .as_ref()
            .and_then(|sg| self.scenario.institution(&sg.institution))
            .is_some_and(|k| self.heads[k])
    }

    fn mediation_method(&self) -> Mediation {
        match &self.design.secretary_general {
            Some(sg) if self.sg_in_office() => {
                sg.mediation.unwrap_or(self.design.procedure.mediation)
            }
            _ => self.design.procedure.mediation,
        }
    }

    fn agenda_order(&self) -> AgendaOrder {
        match &self.design.secretary_general {
            Some(sg) if self.sg_in_office() => sg.agenda_order,
            Some(_) => self.design.procedure.agenda_order,
            None => self.design.procedure.agenda_order,
        }
    }

    fn max_tension(&self) -> f64 {
        self.tension.iter().copied().fold(0.0, f64::max)
    }

    fn in_crisis(&self, pair: usize) -> bool {
        self.tension[pair] >= self.design.crisis.threshold
    }

    fn bloc_in_crisis(&self, bloc: usize) -> bool {
        let nb = self.scenario.blocs.len();
        (0..nb)
            .filter(|&b| b != bloc)
            .any(|b| self.in_crisis(pair_index(nb, bloc, b)))
    }

    /// Stake still open for a seat: its utility range on every item-session not yet
    /// booked, plus the largest shaming costs still possible (see `[faults]`).
    fn open_stake(&self, seat: SeatIdx) -> f64 {
        let sessions = self.design.procedure.sessions;
        let later = f64::from(sessions.saturating_sub(self.session + 1));
        let mut stake = 0.0;
        for (i, it) in self.scenario.agenda.iter().enumerate() {
            if it.status_quo.is_none() || !self.has_position(seat, i) {
                continue;
            }
            let p = self.prefs.get(seat, i);
            let range = p.salience * (p.ideal - SCALE_MIN).max(SCALE_MAX - p.ideal);
            let now = if self.booked[i] == self.session + 1 || self.stage == Stage::Done {
                0.0
            } else {
                1.0
            };
            stake += range * (later + now);
        }
        let reporters = if self.design.procedure.naming_shaming {
            self.scenario
                .institutions
                .iter()
                .zip(&self.kept)
                .filter(|(i, k)| **k && i.names_shames)
                .count()
        } else {
            0
        } + usize::from(self.design.procedure.moscow_mechanism > 0);
        let report_sessions = later
            + if matches!(self.stage, Stage::SessionEnd | Stage::Done) {
                0.0
            } else {
                1.0
            };
        stake + reporters as f64 * report_sessions * self.design.dynamics.shaming_cost
    }

    fn fault(&mut self, seat: SeatIdx, phase: &str, f: Fault) {
        if self.stake_at_fault[seat].is_none() {
            self.stake_at_fault[seat] = Some(self.open_stake(seat));
        }
        self.strikes[seat] += 1;
        let suspended = self.strikes[seat] >= self.design.procedure.strike_limit;
        if suspended {
            self.suspended[seat] = true;
        }
        self.violations.push(Violation {
            state: self.scenario.states[seat].id.clone(),
            session: self.session,
            item: match self.stage {
                Stage::Positions | Stage::Decision | Stage::Silence => self
                    .current_item()
                    .map(|i| self.scenario.agenda[i].id.clone()),
                // The notice being acknowledged (held items are announced after their
                // package vote, when the chair has moved on).
                Stage::Outcome => self
                    .scenario
                    .agenda
                    .get(self.outcome.item as usize)
                    .map(|it| it.id.clone()),
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

    /// Per bloc, the highest tension with any other bloc.
    fn bloc_tension(&self) -> Vec<f64> {
        let nb = self.scenario.blocs.len();
        let mut bloc_max = vec![0.0f64; nb];
        for a in 0..nb {
            for b in a + 1..nb {
                let t = self.tension[pair_index(nb, a, b)];
                bloc_max[a] = bloc_max[a].max(t);
                bloc_max[b] = bloc_max[b].max(t);
            }
        }
        bloc_max
    }

    /// The private views: standing, and the design's feedback on it. Red lines narrow
    /// as tension rises and legitimacy falls *since the start of the match* (the
    /// scenario's red lines are calibrated to its starting situation) and widen, up to
    /// a quarter, as they move the other way; politico-military salience grows with
    /// the rise in tension.
    fn refresh_views(&mut self) {
        let fb = &self.design.feedback;
        let threshold = self.design.crisis.threshold;
        let bloc_max = self.bloc_tension();
        for (i, s) in self.scenario.states.iter().enumerate() {
            let tension = bloc_max[s.bloc];
            let legitimacy = self.legitimacy[i];
            let rise = tension - self.tension0.get(s.bloc).copied().unwrap_or(tension);
            let loss = self.legitimacy0.get(i).copied().unwrap_or(legitimacy) - legitimacy;
            self.views[i] = SeatView {
                legitimacy,
                tension,
                shamed: self.shamed[i],
                red_line_scale: (1.0 - fb.red_line_tension * rise - fb.red_line_legitimacy * loss)
                    .clamp(0.1, 1.25),
                security_salience: 1.0 + fb.security_salience * rise.max(0.0),
                crisis: tension >= threshold,
                refused_link: self.refused_link[i],
                refused_offer: self.refused_offer[i],
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

    /// A State's share of its bloc's bargaining power: a bloc acting as one moves
    /// tension by the full amount, a small member alone by little.
    fn weight_in_bloc(&self, seat: SeatIdx) -> f64 {
        let st = &self.scenario.states[seat];
        let total = self.bloc_power[st.bloc];
        if total > 0.0 {
            st.bargaining_power / total
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

    // ----- internals: sessions and items ---------------------------------------------

    fn start_session(&mut self) {
        for g in &mut self.session_gain {
            *g = 0.0;
        }
        self.invocations.clear();
        self.session_events.clear();
        self.session_shamed.clear();
        self.session_walkouts = 0;
        self.sg_at_start = self.sg_in_office();
        let n = self.items_n();
        self.order = (0..n).collect();
        if self.agenda_order() == AgendaOrder::ConsensualFirst {
            // Agenda power: the items that found the widest support last session go
            // first (stable sort keeps the listed order on ties).
            let last = &self.last_objections;
            self.order.sort_by_key(|&i| last[i]);
        }
        self.plan_packages();
        self.cursor = 0;
        self.held.clear();
        self.pending_package.clear();
        self.notices.clear();
        self.start_item();
    }

    /// Which agenda positions go to which group package this session: the in-scope,
    /// open items of a scenario group, split by dimension under `same-dimension`
    /// linkage; a package needs at least two of them. Logrolling in the exchange model
    /// (Stokman & Van Oosten 1994); D&S 2021 on the heads of institutions and the
    /// budget: consensus "continues to prove a Herculean task".
    fn plan_packages(&mut self) {
        let n = self.items_n();
        self.key_of_pos.clear();
        self.key_of_pos.resize(n, None);
        self.keys.clear();
        let pr = &self.design.procedure;
        if !pr.group_packages || pr.linkage == Linkage::None || self.scenario.groups.is_empty() {
            return;
        }
        let split = pr.linkage == Linkage::SameDimension;
        // (group, dimension or 4 for all) -> positions.
        let mut members: Vec<((usize, usize), Vec<usize>)> = Vec::new();
        for (pos, &item) in self.order.iter().enumerate() {
            let it = &self.scenario.agenda[item];
            let Some(g) = it.group else { continue };
            if self.body_of(item).is_none() || self.settled(item) {
                continue;
            }
            let k = (g, if split { it.dimension.index() } else { 4 });
            match members.iter_mut().find(|(key, _)| *key == k) {
                Some((_, v)) => v.push(pos),
                None => members.push((k, vec![pos])),
            }
        }
        for ((g, _), positions) in members {
            if positions.len() < 2 {
                continue;
            }
            let key = self.keys.len();
            self.keys.push((g, *positions.last().expect("non-empty")));
            for p in positions {
                self.key_of_pos[p] = Some(key);
            }
        }
    }

    fn start_item(&mut self) {
        // One-off items decided in an earlier session stay in force: book their flow and
        // move on without asking anything (a loop, not recursion).
        let item = loop {
            let Some(item) = self.current_item() else {
                self.finish_items();
                return;
            };
            if self.settled(item) {
                self.book_settled(item);
                self.cursor += 1;
                continue;
            }
            break item;
        };
        self.round = 0;
        self.proposal = None;
        self.item_links.clear();
        self.offers_honoured = 0;
        self.history.clear();
        self.last_tally = Tally::default();
        for s in 0..self.scenario.states.len() {
            self.link_of[s] = None;
            self.votes[s] = None;
            self.walked_out[s] = false;
            self.refused_link[s] = None;
            self.refused_offer[s] = None;
        }
        // A new item starts with a clean public record: nobody has spoken on it yet.
        let sq = self.in_force[item].unwrap_or((SCALE_MIN + SCALE_MAX) / 2.0);
        for sig in &mut self.ctx.blocs {
            *sig = BlocSignal {
                mean_position: sq,
                objections: 0,
                present: 0,
                leader_position: None,
                leader_vote: None,
            };
        }
        self.draw_events(item);
        if self.body_of(item).is_none() {
            let result = self.item_result(item, Decision::OutOfScope, self.in_force[item], 0, None);
            self.publish(result, None);
            self.item_done();
            return;
        }
        let kind = self.scenario.agenda[item].kind;
        if self.design.crisis.suspends.contains(&kind)
            && (0..self.tension.len()).any(|p| self.in_crisis(p))
        {
            // Suspended co-operation: the item is not negotiated this session.
            let fallback = self.fallback(item);
            let result = self.item_result(item, Decision::Suspended, fallback, 0, None);
            self.publish(result, None);
            self.item_done();
            return;
        }
        self.walk_outs(item);
        self.ask_positions();
    }

    /// Steps to war before an item: per bloc pair, an event with probability
    /// `rate + tension_rate * tension`, from the pair's own seeded draw. D&S 2021:
    /// "territorial conflicts escalate to the level of war when actors engage in
    /// strategies such as power demonstrations, alliance building, and armament".
    fn draw_events(&mut self, item: usize) {
        let ev = &self.design.events;
        let pairs = self.tension.len();
        if pairs == 0 || (ev.rate <= 0.0 && ev.tension_rate <= 0.0) {
            return;
        }
        for p in 0..pairs {
            let base = self.event_seeds[item * pairs + p];
            let z = mix(base ^ u64::from(self.session).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let t = self.tension[p];
            if unit(z) >= ev.rate + ev.tension_rate * t {
                continue;
            }
            let (kind, add) = match mix(z) % 4 {
                0 => (EventKind::Exercise, ev.exercise),
                1 => (EventKind::Alliance, ev.alliance),
                2 => (EventKind::Armament, ev.armament),
                _ => (EventKind::Incident, ev.incident),
            };
            self.tension[p] = nudge(t, add);
            let nb = self.scenario.blocs.len();
            let (a, b) = pair_blocs(nb, p);
            self.session_events.push(EventInfo {
                kind,
                a: a as u32,
                b: b as u32,
            });
            self.events.push(EventRecord {
                session: self.session,
                before: self.scenario.agenda[item].id.clone(),
                kind,
                pair: self.pair_labels[p].clone(),
                tension: self.tension[p],
            });
        }
    }

    /// Members of a bloc in crisis whose legitimacy fell below the design's threshold
    /// walk out of the item (D&S 2021: the OSCE "has become a theatre for conflict").
    fn walk_outs(&mut self, item: usize) {
        let below = self.design.crisis.walkout_below;
        if below <= 0.0 || !(0..self.tension.len()).any(|p| self.in_crisis(p)) {
            return;
        }
        for s in 0..self.scenario.states.len() {
            let bloc = self.scenario.states[s].bloc;
            if self.taking_part(s)
                && self.has_position(s, item)
                && self.legitimacy[s] < below
                && self.bloc_in_crisis(bloc)
            {
                self.walked_out[s] = true;
                self.session_walkouts += 1;
                let add = self.design.crisis.tension_walkout * self.weight_in_bloc(s);
                self.raise_tension_from(bloc, add);
            }
        }
    }

    fn fill_ctx(&mut self, phase: Phase, item: u32) {
        self.ctx.session = self.session;
        self.ctx.item = item;
        self.ctx.round = self.round;
        self.ctx.phase = phase;
        self.ctx.proposal = self.proposal;
        self.ctx.last_objections = self.last_tally.no;
        self.ctx.package.clear();
        self.ctx.group = None;
        self.ctx.offers.clear();
        if (item as usize) < self.items_n() {
            self.ctx
                .offers
                .extend(self.open_offers.iter().filter(|o| o.want == item));
        }
    }

    fn ask_positions(&mut self) {
        let item = self.current_item().expect("positions need an item");
        let mut asked = std::mem::take(&mut self.asked);
        asked.clear();
        asked.extend(
            (0..self.scenario.states.len()).filter(|&s| {
                self.taking_part(s) && self.has_position(s, item) && !self.walked_out[s]
            }),
        );
        self.asked = asked;
        self.refresh_views();
        self.fill_ctx(Phase::Positions, item as u32);
        self.stage = Stage::Positions;
    }

    fn take_positions(&mut self, answers: Vec<Reply<PositionAnswer>>) {
        let item = self.current_item().expect("positions need an item");
        let n = self.scenario.states.len();
        for s in &mut self.stated {
            *s = None;
        }
        let q = PositionQuestion {
            item: item as u32,
            items: self.items_n() as u32,
            dimension: self.scenario.agenda[item].dimension,
            seats: n as u32,
            seat: 0,
        };
        let asked = std::mem::take(&mut self.asked);
        for (k, a) in answers.into_iter().enumerate() {
            let seat = asked[k];
            let checked = a.and_then(|a| {
                answers::position(
                    &a,
                    &PositionQuestion {
                        seat: seat as u32,
                        ..q
                    },
                )
                .map(|()| a)
                .map_err(|e| Fault::Invalid(e.to_string()))
            });
            match checked {
                Ok(a) => {
                    self.stated[seat] = Some(a);
                    if self.round == 0
                        && let Some(l) = a.link
                    {
                        self.consider_link(seat, item, l as usize);
                    }
                    self.consider_offer(seat, item, a.offer);
                    if let Some(t) = a.invoke {
                        let pair = (seat, t as usize);
                        if !self.invocations.contains(&pair) {
                            self.invocations.push(pair);
                        }
                    }
                }
                Err(f) => self.fault(seat, "positions", f),
            }
        }
        self.asked = asked;
        self.record_positions();
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
        let compromise = mediation::compromise(&pts);
        let proposal = match (self.mediation_method(), sq) {
            (Mediation::Nash, Some(sq)) => mediation::nash(&pts, sq),
            (Mediation::MaxSupport, Some(sq)) => mediation::max_support(&pts, sq),
            // Without a policy in force there is no disagreement point: the compromise
            // model needs none (designs needing one are rejected for such items).
            _ => compromise.or(sq).unwrap_or((SCALE_MIN + SCALE_MAX) / 2.0),
        };
        self.pts_buf = pts;
        self.proposal = Some(proposal);
        if let Some(last) = self.history.last_mut() {
            last.proposal = Some(proposal);
        }
        self.update_signals_positions();
        self.ask_votes(Phase::Decision);
    }

    fn linkage_allows(&self, item: usize, target: usize) -> bool {
        match self.design.procedure.linkage {
            Linkage::None => false,
            Linkage::SameDimension => {
                self.scenario.agenda[item].dimension == self.scenario.agenda[target].dimension
            }
            Linkage::Any => true,
        }
    }

    fn consider_link(&mut self, seat: SeatIdx, item: usize, target: usize) {
        if !self.linkage_allows(item, target) {
            // Refused: the delegation learns it in its view for the rest of the item.
            self.refused_link[seat] = Some(target as u32);
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

    /// Replaces the seat's standing offer on `item` with `offer` (None withdraws it),
    /// unless the design refuses it.
    fn consider_offer(&mut self, seat: SeatIdx, item: usize, offer: Option<Offer>) {
        let (from, support) = (seat as u32, item as u32);
        let at = self
            .open_offers
            .binary_search_by(|o| (o.from, o.support).cmp(&(from, support)));
        let Some(o) = offer else {
            if let Ok(i) = at {
                self.open_offers.remove(i);
            }
            return;
        };
        let want = o.item as usize;
        if !self.linkage_allows(item, want) || !self.has_position(seat, want) {
            self.refused_offer[seat] = Some(o.item);
            if let Ok(i) = at {
                self.open_offers.remove(i);
            }
            return;
        }
        let public = PublicOffer {
            from,
            support,
            want: o.item,
            target: o.target,
            tolerance: o.tolerance,
        };
        match at {
            Ok(i) => self.open_offers[i] = public,
            Err(i) => self.open_offers.insert(i, public),
        }
    }

    /// The value an item has for a condition: agreed in a pending package or group,
    /// else the policy in force once decided in the match.
    fn agreed_value(&self, target: usize) -> Option<f64> {
        let held = self
            .held
            .iter()
            .chain(&self.pending_package)
            .find(|h| h.result.index == target && h.result.decided);
        match held {
            Some(h) => h.result.outcome,
            None => self.in_force[target].filter(|_| self.ever_decided[target]),
        }
    }

    /// Whether a linkage condition holds for `seat`: the linked item was decided (or
    /// agreed into a pending package) at a point no worse for the seat than that item's
    /// status quo at the start of the match (within its red line if it had none).
    fn link_satisfied(&self, seat: SeatIdx, target: usize) -> bool {
        let p = self.prefs.get(seat, target);
        let Some(v) = self.agreed_value(target) else {
            return false;
        };
        match self.scenario.agenda[target].status_quo {
            Some(sq0) => p.gain(v, sq0) >= 0.0,
            None => (v - p.ideal).abs() <= p.red_line,
        }
    }

    /// Whether the seat's standing offer to support `item` is honoured: the wanted item
    /// stands (or is agreed) within the offer's tolerance of its target.
    fn offer_honoured(&self, seat: SeatIdx, item: usize) -> bool {
        let key = (seat as u32, item as u32);
        let Ok(i) = self
            .open_offers
            .binary_search_by(|o| (o.from, o.support).cmp(&key))
        else {
            return false;
        };
        let o = self.open_offers[i];
        let want = o.want as usize;
        let value = match self
            .held
            .iter()
            .chain(&self.pending_package)
            .find(|h| h.result.index == want)
        {
            Some(h) if h.result.decided => h.result.outcome,
            Some(_) => None,
            None => self.in_force[want],
        };
        value.is_some_and(|v| (v - o.target).abs() <= o.tolerance + 1e-9)
    }

    fn record_positions(&mut self) {
        let n = self.scenario.states.len();
        let positions: Vec<Option<f64>> =
            (0..n).map(|s| self.stated[s].map(|a| a.position)).collect();
        self.history.push(RoundRecord {
            phase: Phase::Positions,
            round: self.round,
            proposal: None,
            positions: Some(positions),
            votes: None,
        });
    }

    fn vote_string(&self) -> String {
        let n = self.scenario.states.len();
        let mut out = String::with_capacity(n);
        let mut k = 0;
        for s in 0..n {
            if k < self.asked.len() && self.asked[k] == s {
                k += 1;
                out.push(match self.votes[s] {
                    Some(Vote::Yes) => 'Y',
                    Some(Vote::No) => 'N',
                    Some(Vote::Abstain) => 'A',
                    None => '!',
                });
            } else {
                out.push('.');
            }
        }
        out
    }

    fn update_signals_positions(&mut self) {
        let sc = &self.scenario;
        let item = self.ctx.item as usize;
        let sq = self.in_force[item].unwrap_or((SCALE_MIN + SCALE_MAX) / 2.0);
        let nb = sc.blocs.len();
        let mut num = vec![0.0; nb];
        let mut den = vec![0.0; nb];
        let mut present = vec![0u32; nb];
        for &s in &self.asked {
            if let Some(a) = self.stated[s] {
                let b = sc.states[s].bloc;
                let w = sc.states[s].bargaining_power;
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

    /// Members of the item's body taking part and present on it, written into `out`
    /// (reused across rounds: this runs every round).
    fn voters_into(&self, item: usize, out: &mut Vec<SeatIdx>) {
        out.clear();
        let body = self.body_of(item).expect("in-scope item");
        let ok =
            |s: SeatIdx| self.taking_part(s) && self.has_position(s, item) && !self.walked_out[s];
        if self.design.bodies[body].members.is_plenary() {
            out.extend((0..self.scenario.states.len()).filter(|&s| ok(s)));
        } else {
            out.extend(self.members(body).into_iter().filter(|&s| ok(s)));
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
        let item = self.current_item().expect("votes need an item");
        let mut asked = std::mem::take(&mut self.asked);
        self.voters_into(item, &mut asked);
        self.asked = asked;
        self.refresh_views();
        self.fill_ctx(phase, item as u32);
        self.stage = match phase {
            Phase::Decision => Stage::Decision,
            Phase::Silence => Stage::Silence,
            Phase::Package | Phase::Positions => unreachable!("items vote in decision or silence"),
        };
    }

    fn take_votes(&mut self, answers: Vec<Reply<Vote>>) {
        let phase = self.ctx.phase;
        for v in &mut self.votes {
            *v = None;
        }
        let item = match self.stage {
            Stage::Decision | Stage::Silence => self.current_item(),
            _ => None,
        };
        let asked = std::mem::take(&mut self.asked);
        for (k, a) in answers.into_iter().enumerate() {
            let seat = asked[k];
            match a.and_then(|v| {
                answers::vote(phase, v)
                    .map(|()| v)
                    .map_err(|e| Fault::Invalid(e.to_string()))
            }) {
                Ok(mut v) => {
                    if let Some(item) = item {
                        // Consent under a linkage is conditional in every vote on the
                        // item, silence included: keeping silence is consent too.
                        if v == Vote::Yes
                            && let Some(t) = self.link_of[seat]
                            && !self.link_satisfied(seat, t)
                        {
                            v = Vote::No;
                        }
                        // A standing trade offer whose condition holds is consent.
                        if v != Vote::Yes && self.offer_honoured(seat, item) {
                            v = Vote::Yes;
                            self.offers_honoured += 1;
                        }
                    }
                    self.votes[seat] = Some(v);
                }
                Err(f) => self.fault(seat, phase_name(phase), f),
            }
        }
        self.asked = asked;
        match self.stage {
            Stage::Package => {
                self.decide_package();
                return;
            }
            Stage::GroupPackage => {
                self.decide_group();
                return;
            }
            _ => {}
        }
        let item = item.expect("votes need an item");
        let tally = self.count(item, phase);
        self.history.push(RoundRecord {
            phase,
            round: self.round,
            proposal: self.proposal,
            positions: None,
            votes: Some(self.vote_string()),
        });
        self.update_signals_votes();
        self.last_tally = tally;
        let proposal = self.proposal.expect("a proposal is on the table");
        match phase {
            Phase::Decision if tally.adopted => {
                self.close_item(item, Decision::Adopted, Some(proposal));
            }
            Phase::Decision if self.round + 1 < self.design.procedure.max_rounds => {
                self.round += 1;
                self.ask_positions();
            }
            Phase::Decision => {
                let body = self.body_of(item).expect("in scope");
                let consensus = matches!(
                    self.design.rule_for(body, self.scenario.agenda[item].kind),
                    Rule::Consensus { .. }
                );
                if self.design.procedure.silence_procedure && consensus {
                    self.ask_votes(Phase::Silence);
                } else {
                    self.deadlock(item);
                }
            }
            Phase::Silence => {
                if tally.adopted {
                    self.close_item(item, Decision::AdoptedBySilence, Some(proposal));
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
                    weight: self.scenario.states[s].voting_weight,
                    veto: vetoes.contains(&s),
                    accused: accused == Some(s),
                }
            })
            .collect()
    }

    fn count(&self, item: usize, phase: Phase) -> Tally {
        let body = self.body_of(item).expect("in scope");
        let rule = self.design.rule_for(body, self.scenario.agenda[item].kind);
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

    /// What a deadlock leads to: the item's reversion where it has one (a mandate that
    /// expires), else the policy in force, which keeps what earlier sessions agreed.
    fn fallback(&self, item: usize) -> Option<f64> {
        self.scenario.agenda[item].reversion.or(self.in_force[item])
    }

    fn deadlock(&mut self, item: usize) {
        let it = &self.scenario.agenda[item];
        let pr = &self.design.procedure;
        let proposal = self.proposal.expect("a proposal was on the table");
        if it.kind == ItemKind::UnifiedBudget
            && pr.provisional_budget
            && self.in_force[item].is_some()
        {
            let sq = self.in_force[item];
            self.close_item(item, Decision::Provisional, sq);
        } else if pr.ad_hoc_min > 0 && self.last_tally.yes >= pr.ad_hoc_min {
            self.close_item(item, Decision::AdHoc, Some(proposal));
        } else {
            let fallback = self.fallback(item);
            self.close_item(item, Decision::Reverted, fallback);
        }
    }

    fn item_result(
        &self,
        item: usize,
        decision: Decision,
        outcome: Option<f64>,
        rounds: u32,
        tally: Option<Tally>,
    ) -> ItemResult {
        let it = &self.scenario.agenda[item];
        let body = self.body_of(item);
        let sq = self.in_force[item];
        // Reference solutions on the true preferences of the States taking part.
        let pts: Vec<Stated> = (0..self.scenario.states.len())
            .filter(|&s| self.exited[s].is_none() && self.has_position(s, item))
            .map(|s| {
                let p = self.prefs.get(s, item);
                Stated {
                    position: p.ideal,
                    salience: p.salience,
                    capability: p.capability,
                }
            })
            .collect();
        let compromise_ref = mediation::compromise(&pts)
            .or(sq)
            .unwrap_or((SCALE_MIN + SCALE_MAX) / 2.0);
        let nash_ref = sq.map_or(compromise_ref, |sq| mediation::nash(&pts, sq));
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
        let decided = decision.decided();
        let binding = decided && body.is_some_and(|b| self.design.bodies[b].binding);
        ItemResult {
            session: self.session,
            index: item,
            id: it.id.clone(),
            dimension: it.dimension,
            kind: it.kind,
            body: body.map(|b| self.design.bodies[b].id.clone()),
            decision,
            decided,
            binding,
            legally_binding: binding && body.is_some_and(|b| self.design.bodies[b].legally_binding),
            rounds,
            status_quo: sq,
            outcome,
            in_force: sq,
            proposal: self.proposal,
            compromise_ref,
            nash_ref,
            yes: t.yes,
            no: t.no,
            abstain: t.abstain,
            absent: t.absent,
            objections_by_bloc: by_bloc,
            links: self.item_links.len() as u32,
            refused_links: self.refused_link.iter().filter(|r| r.is_some()).count() as u32,
            offers: self
                .open_offers
                .iter()
                .filter(|o| o.support as usize == item)
                .count() as u32,
            offers_honoured: self.offers_honoured,
            refused_offers: self.refused_offer.iter().filter(|r| r.is_some()).count() as u32,
            package: None,
            walkouts: (0..self.scenario.states.len())
                .filter(|&s| self.walked_out[s])
                .map(|s| self.scenario.states[s].id.clone())
                .collect(),
            shamed: Vec::new(),
            welfare_gain: 0.0,
            history: Vec::new(),
        }
    }

    fn close_item(&mut self, item: usize, decision: Decision, outcome: Option<f64>) {
        let rounds = self.round + 1;
        let mut result = self.item_result(item, decision, outcome, rounds, Some(self.last_tally));
        result.history = std::mem::take(&mut self.history);
        let votes = self.votes.clone();
        if let Some(key) = self.key_of_pos[self.cursor] {
            // Part of a group package: wait for the group's last item.
            self.held.push(Held { result, votes, key });
        } else {
            self.publish(result, Some(votes));
        }
        self.item_done();
    }

    /// Applies a result (or holds it for the session package) and queues its notice.
    fn publish(&mut self, result: ItemResult, votes: Option<Vec<Option<Vote>>>) {
        if self.design.procedure.package && result.decided {
            // Nothing is agreed until everything is agreed: hold it for the package.
            let notice = self.notice_of(&result);
            self.pending_package.push(Held {
                result,
                votes: votes.unwrap_or_else(|| vec![None; self.scenario.states.len()]),
                key: usize::MAX,
            });
            self.notices.push_back(notice);
            return;
        }
        let applied = self.apply_result(result, votes.as_deref());
        let notice = self.notice_of(&applied);
        self.notices.push_back(notice);
    }

    /// After an item: a group whose last item this was goes to its package vote when
    /// some of its items failed on their own; otherwise the notices go out.
    fn item_done(&mut self) {
        if let Some(key) = self.key_of_pos.get(self.cursor).copied().flatten()
            && self.keys[key].1 == self.cursor
        {
            let (mine, rest): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
                .into_iter()
                .partition(|h| h.key == key);
            self.held = rest;
            if mine.len() >= 2 && mine.iter().any(|h| !h.result.decided) {
                self.group_vote = mine;
                self.ask_group_package(key);
                return;
            }
            for h in mine {
                self.publish(h.result, Some(h.votes));
            }
        }
        self.flush(Then::NextItem);
    }

    fn package_entry(&self, h: &Held) -> PackageEntry {
        PackageEntry {
            item: h.result.index as u32,
            value: if h.result.decided {
                h.result.outcome.or(h.result.proposal).unwrap_or(0.0)
            } else {
                h.result.proposal.or(h.result.outcome).unwrap_or(0.0)
            },
            status_quo: h.result.status_quo,
        }
    }

    fn ask_group_package(&mut self, key: usize) {
        let items: Vec<usize> = self.group_vote.iter().map(|h| h.result.index).collect();
        let body = self.body_of(items[0]).expect("in scope");
        let mut asked = std::mem::take(&mut self.asked);
        asked.clear();
        let members = self.members(body);
        asked.extend(
            members
                .into_iter()
                .filter(|&s| self.taking_part(s) && items.iter().any(|&i| self.has_position(s, i))),
        );
        self.asked = asked;
        self.refresh_views();
        self.proposal = None;
        self.fill_ctx(Phase::Package, self.items_n() as u32);
        let entries: Vec<PackageEntry> = self
            .group_vote
            .iter()
            .map(|h| self.package_entry(h))
            .collect();
        self.ctx.package = entries;
        self.ctx.group = Some(self.keys[key].0 as u32);
        self.stage = Stage::GroupPackage;
    }

    fn decide_group(&mut self) {
        let held = std::mem::take(&mut self.group_vote);
        let first = held[0].result.index;
        let body = self.body_of(first).expect("in scope");
        let rule = self.design.bodies[body].rule.clone();
        let ballots = self.ballots(&self.asked, None, false, Some(body));
        let t = rules::tally(&rule, self.design.procedure.absence, &ballots);
        let votes = self.vote_string();
        let group = self.scenario.agenda[first]
            .group
            .map(|g| self.scenario.groups[g].id.clone());
        let binding = self.design.bodies[body].binding;
        let legal = binding && self.design.bodies[body].legally_binding;
        for mut h in held {
            let entry = self.package_entry(&h);
            h.result.history.push(RoundRecord {
                phase: Phase::Package,
                round: h.result.rounds.saturating_sub(1),
                proposal: Some(entry.value),
                positions: None,
                votes: Some(votes.clone()),
            });
            if t.adopted && !h.result.decided {
                // Logrolling: what failed on its own passes as part of the package.
                h.result.decision = Decision::Adopted;
                h.result.decided = true;
                h.result.binding = binding;
                h.result.legally_binding = legal;
                h.result.outcome = Some(entry.value);
                h.result.package = group.clone();
                h.result.yes = t.yes;
                h.result.no = t.no;
                h.result.abstain = t.abstain;
                h.result.absent = t.absent;
                h.votes.clone_from(&self.votes);
                let nb = self.scenario.blocs.len();
                let mut by_bloc = vec![0u32; nb];
                for (s, v) in self.votes.iter().enumerate() {
                    if *v == Some(Vote::No) {
                        by_bloc[self.scenario.states[s].bloc] += 1;
                    }
                }
                h.result.objections_by_bloc = by_bloc;
            }
            self.publish(h.result, Some(h.votes));
        }
        self.flush(Then::NextItem);
    }

    fn notice_of(&self, r: &ItemResult) -> ItemOutcome {
        ItemOutcome {
            session: self.session,
            item: r.index as u32,
            decision: r.decision,
            outcome: r.outcome,
            // Provisionally agreed items (session package) still show the policy in
            // force before the package: nothing changes until it passes.
            in_force: r.in_force,
            binding: r.binding,
            legally_binding: r.legally_binding,
            rounds: r.rounds,
            objections_by_bloc: r.objections_by_bloc.clone(),
            objectors: r
                .history
                .iter()
                .rev()
                .find_map(|h| h.votes.as_ref())
                .map(|v| {
                    v.bytes()
                        .enumerate()
                        .filter(|(_, c)| *c == b'N')
                        .map(|(s, _)| s as u32)
                        .collect()
                })
                .unwrap_or_default(),
            shamed: r.shamed.clone(),
            package: r
                .package
                .as_ref()
                .and_then(|g| self.scenario.group(g))
                .map(|g| g as u32),
        }
    }

    /// Sends the queued notices, then goes on with `then`.
    fn flush(&mut self, then: Then) {
        self.then = then;
        self.next_notice();
    }

    fn next_notice(&mut self) {
        match self.notices.pop_front() {
            Some(o) => {
                self.outcome = o;
                let mut asked = std::mem::take(&mut self.asked);
                asked.clear();
                asked.extend((0..self.scenario.states.len()).filter(|&s| self.taking_part(s)));
                self.asked = asked;
                self.stage = Stage::Outcome;
            }
            None => match self.then {
                Then::NextItem => {
                    self.cursor += 1;
                    self.start_item();
                }
                Then::EndSession => self.end_session(),
            },
        }
    }

    /// Books the flow of a one-off item decided in an earlier session.
    fn book_settled(&mut self, item: usize) {
        let x = self.in_force[item];
        let mut r = self.item_result(item, Decision::Settled, x, 0, None);
        r.proposal = None;
        let mut welfare = 0.0;
        if let (Some(x), Some(sq0)) = (x, self.scenario.agenda[item].status_quo) {
            for s in 0..self.scenario.states.len() {
                if self.exited[s].is_some() || !self.has_position(s, item) {
                    continue;
                }
                let level = self.prefs.get(s, item).gain(x, sq0);
                welfare += level;
                self.gain[s] += level;
                self.session_gain[s] += level;
            }
        }
        r.welfare_gain = welfare;
        self.booked[item] = self.session + 1;
        self.items.push(r);
    }

    /// Compliance with a decision: legally binding in full (by default), political
    /// commitments in part and less so as tension grows (binding budgets and
    /// appointments in full), non-binding ones in part. D&S
    /// 2021: "all participating States are rhetorically committed to both the Helsinki
    /// principles and the Charter of Paris, [but] implementation is lacking".
    fn compliance(&self, r: &ItemResult) -> f64 {
        let dy = &self.design.dynamics;
        if !(r.decided || r.decision == Decision::AdHoc) {
            return 1.0;
        }
        // Organisational decisions (the budget, who heads an institution) are executed
        // by the Secretariat as adopted; withheld contributions are modelled apart.
        let organisational = matches!(r.kind, ItemKind::UnifiedBudget | ItemKind::Appointment);
        if r.legally_binding {
            dy.legal_compliance
        } else if r.binding && organisational {
            1.0
        } else if r.binding {
            (dy.political_compliance - dy.compliance_tension * self.max_tension()).clamp(0.0, 1.0)
        } else {
            dy.nonbinding_compliance
        }
    }

    /// Applies an item's consequences (policy, utility, legitimacy, tension) and records
    /// it; returns the recorded result.
    fn apply_result(&mut self, mut r: ItemResult, votes: Option<&[Option<Vote>]>) -> ItemResult {
        let item = r.index;
        let sc = Arc::clone(&self.scenario);
        let dy = self.design.dynamics.clone();
        let sq = r.status_quo;
        let sq0 = sc.agenda[item].status_quo;
        let ad_hoc = r.decision == Decision::AdHoc;
        let compliance = self.compliance(&r);
        let effective = match (r.outcome, sq) {
            (Some(x), Some(sq)) => Some(sq + compliance * (x - sq)),
            (Some(x), None) => Some(x),
            (None, _) => sq,
        };
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
        let mut bloc_gain = vec![0.0; nb];
        let mut bloc_weight = vec![0.0; nb];
        let outvoted = if r.legally_binding {
            dy.outvoted_legal
        } else {
            dy.outvoted
        };
        for s in 0..sc.states.len() {
            if self.exited[s].is_some() || !self.has_position(s, item) {
                continue;
            }
            let p = *self.prefs.get(s, item);
            let vote = votes.and_then(|v| v[s]);
            let x = effective.map(|e| {
                felt * match (ad_hoc, sq) {
                    (true, Some(sq)) if vote != Some(Vote::Yes) => {
                        sq + dy.ad_hoc_spillover * (e - sq)
                    }
                    _ => e,
                }
            });
            let st = &sc.states[s];
            let b = st.bloc;
            let w = st.bargaining_power;
            // Welfare is a flow: each session a State enjoys (or suffers) the policy in
            // force, measured against the status quo at the start of the match, so an
            // early agreement keeps paying and an ad hoc arrangement is not counted anew
            // as if it were a fresh change.
            if let (Some(x), Some(sq0)) = (x, sq0) {
                let level = p.gain(x, sq0);
                welfare += level;
                self.gain[s] += level;
                self.session_gain[s] += level;
            }
            if let Some(x) = x {
                let sat = &mut self.satisfaction[s];
                sat.0 += p.salience * (x - p.ideal).abs();
                sat.1 += p.salience * SCALE_MAX;
            }
            if let Some(v) = vote {
                bloc_present[b] += w;
                match v {
                    Vote::Yes => bloc_yes[b] += w,
                    Vote::No => bloc_no[b] += w,
                    Vote::Abstain => {}
                }
            }
            // Legitimacy rests on consent: it falls for the outvoted (and those who
            // walked out of a binding decision), and for those who see outcomes move
            // away from them, and grows with outcomes that serve them.
            let mut delta = 0.0;
            if r.decided && r.binding && (vote == Some(Vote::No) || self.walked_out_of(s, &r)) {
                delta -= outvoted * p.salience;
            }
            if let (Some(x), Some(sq)) = (x, sq) {
                let g = p.gain(x, sq);
                if r.decided {
                    bloc_gain[b] += w * g;
                    bloc_weight[b] += w;
                }
                if g > 0.0 {
                    delta += dy.gain * p.salience;
                } else if g < 0.0 {
                    delta -=
                        dy.distance * p.salience * (-g / (p.salience * 25.0).max(1e-9)).min(1.0);
                }
            }
            self.legitimacy[s] = nudge(self.legitimacy[s], delta);
        }
        r.welfare_gain = welfare;

        // Tension between bloc pairs: blocking what the other side wants raises it;
        // agreements in areas of common interest (both blocs gain on average) lower it
        // (D&S 2021: "stabilize engagement in areas of common interest").
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
                let common = |i: usize| bloc_weight[i] > 0.0 && bloc_gain[i] > 0.0;
                let t = &mut self.tension[k];
                if r.decided && common(a) && common(b) {
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
        r.in_force = self.in_force[item];
        if r.decided {
            self.ever_decided[item] = true;
            // An offer to support an adopted item is fulfilled.
            self.open_offers.retain(|o| o.support as usize != item);
        }
        // Heads of institutions: the post is filled while the head item stands at or
        // above the institution's vacancy line.
        for (k, inst) in sc.institutions.iter().enumerate() {
            if inst.head_item == Some(item) && self.kept[k] {
                self.heads[k] = self.in_force[item].is_some_and(|x| x >= inst.vacant_below);
            }
        }
        self.last_objections[item] = r.no;
        self.booked[item] = self.session + 1;
        self.trace_tension(Some(item));
        self.items.push(r.clone());
        r
    }

    fn walked_out_of(&self, seat: SeatIdx, r: &ItemResult) -> bool {
        let id = &self.scenario.states[seat].id;
        r.walkouts.iter().any(|w| w == id)
    }

    fn finish_items(&mut self) {
        if self.design.procedure.package && !self.pending_package.is_empty() {
            self.proposal = None;
            self.round = 0;
            let mut asked = std::mem::take(&mut self.asked);
            asked.clear();
            asked.extend((0..self.scenario.states.len()).filter(|&s| self.taking_part(s)));
            self.asked = asked;
            self.refresh_views();
            self.fill_ctx(Phase::Package, self.items_n() as u32);
            let entries: Vec<PackageEntry> = self
                .pending_package
                .iter()
                .map(|h| self.package_entry(h))
                .collect();
            self.ctx.package = entries;
            self.stage = Stage::Package;
            return;
        }
        self.end_session();
    }

    fn decide_package(&mut self) {
        // The package is put to the first (plenary) body's rule.
        let rule = self.design.bodies[0].rule.clone();
        let ballots = self.ballots(&self.asked, None, false, None);
        let t = rules::tally(&rule, self.design.procedure.absence, &ballots);
        let votes = self.vote_string();
        let mut blockers = vec![0u32; self.scenario.blocs.len()];
        for (seat, v) in self.votes.iter().enumerate() {
            if *v == Some(Vote::No) {
                blockers[self.scenario.states[seat].bloc] += 1;
            }
        }
        let pending = std::mem::take(&mut self.pending_package);
        for mut p in pending {
            p.result.history.push(RoundRecord {
                phase: Phase::Package,
                round: p.result.rounds.saturating_sub(1),
                proposal: p.result.outcome,
                positions: None,
                votes: Some(votes.clone()),
            });
            if !t.adopted {
                let item = &self.scenario.agenda[p.result.index];
                p.result.decision = Decision::PackageFailed;
                p.result.decided = false;
                p.result.binding = false;
                p.result.legally_binding = false;
                // The same fallback as a blocked item: a budget runs on provisional
                // allotments where the design provides them, anything else falls back.
                p.result.outcome = if item.kind == ItemKind::UnifiedBudget
                    && self.design.procedure.provisional_budget
                    && p.result.status_quo.is_some()
                {
                    p.result.status_quo
                } else {
                    item.reversion.or(p.result.status_quo)
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
            let applied = self.apply_result(p.result, Some(&p.votes));
            let notice = self.notice_of(&applied);
            self.notices.push_back(notice);
        }
        self.flush(Then::EndSession);
    }

    /// Conduct reports of the institutions that exist and have a head in office, and
    /// Moscow Mechanism missions invoked by enough States. D&S 2021: semi-autonomous
    /// organs "can exercise their leeway in ways that contradict the interests of the
    /// constituent member states"; votes play no part in who is named.
    fn issue_reports(&mut self) {
        let sc = Arc::clone(&self.scenario);
        let dy = self.design.dynamics.clone();
        let n = sc.states.len();
        if self.design.procedure.naming_shaming {
            for (k, inst) in sc.institutions.iter().enumerate() {
                if !(self.kept[k] && self.heads[k] && inst.names_shames) {
                    continue;
                }
                // An assertive mandate (high on its head item's scale) reports more.
                let assertiveness = inst
                    .head_item
                    .and_then(|h| self.in_force[h])
                    .map_or(0.5, |x| (x / SCALE_MAX).clamp(0.0, 1.0));
                for s in 0..n {
                    if self.exited[s].is_some() {
                        continue;
                    }
                    let Some(breach) = self.breach(s, inst.dimension) else {
                        continue;
                    };
                    if breach < dy.shaming_gap {
                        continue;
                    }
                    let z = derive(
                        self.setup.seed,
                        &["conduct-report", &inst.id, &sc.states[s].id],
                    );
                    let u = unit(mix(
                        z ^ u64::from(self.session).wrapping_mul(0xD1B5_4A32_D192_ED03)
                    ));
                    if u < assertiveness {
                        self.shame(s, &inst.id, inst.dimension, breach);
                    }
                }
            }
        }
        let need = self.design.procedure.moscow_mechanism as usize;
        if need > 0 {
            let mut targets: Vec<SeatIdx> = self.invocations.iter().map(|&(_, t)| t).collect();
            targets.sort_unstable();
            targets.dedup();
            for t in targets {
                let invokers = self.invocations.iter().filter(|&&(_, x)| x == t).count();
                if invokers >= need && self.exited[t].is_none() {
                    self.shame(t, "moscow-mechanism", Dimension::Human, invokers as f64);
                }
            }
        }
    }

    /// How far the commitments in force in a dimension lie above a State's own ideal
    /// (its worst item), if the dimension has any item with a policy in force.
    fn breach(&self, seat: SeatIdx, dim: Dimension) -> Option<f64> {
        let mut worst: Option<f64> = None;
        for (i, it) in self.scenario.agenda.iter().enumerate() {
            // Conduct concerns commitments, not who heads an institution.
            if it.dimension != dim
                || it.kind == ItemKind::Appointment
                || !self.has_position(seat, i)
            {
                continue;
            }
            if let Some(x) = self.in_force[i] {
                let gap = x - self.prefs.get(seat, i).ideal;
                worst = Some(worst.map_or(gap, |w: f64| w.max(gap)));
            }
        }
        worst
    }

    fn shame(&mut self, seat: SeatIdx, by: &str, dim: Dimension, breach: f64) {
        let dy = &self.design.dynamics;
        let sal: Vec<f64> = self
            .scenario
            .agenda
            .iter()
            .enumerate()
            .filter(|(i, it)| it.dimension == dim && self.has_position(seat, *i))
            .map(|(i, _)| self.prefs.get(seat, i).salience)
            .collect();
        let mean = if sal.is_empty() {
            0.0
        } else {
            sal.iter().sum::<f64>() / sal.len() as f64
        };
        let cost = dy.shaming_cost * mean;
        let shamed = dy.shamed;
        let add = dy.tension_shaming * self.weight_in_bloc(seat);
        self.shamed[seat] += 1;
        self.gain[seat] -= cost;
        self.session_gain[seat] -= cost;
        self.legitimacy[seat] = nudge(self.legitimacy[seat], -shamed);
        let bloc = self.scenario.states[seat].bloc;
        self.raise_tension_from(bloc, add);
        self.session_shamed.push(seat as u32);
        self.reports.push(ReportRecord {
            session: self.session,
            by: by.to_string(),
            state: self.scenario.states[seat].id.clone(),
            breach,
        });
    }

    fn end_session(&mut self) {
        self.issue_reports();
        self.trace_tension(None);
        let sc = Arc::clone(&self.scenario);
        let mut result = metrics::summarize_session(
            self.session,
            &sc,
            &self.order,
            &self.items,
            &self.legitimacy,
            &self.exited,
            &self.satisfaction,
            &self.tension_trace,
        );
        self.session_extras(&mut result);
        let nb = sc.blocs.len();
        let mut tension = Vec::new();
        for a in 0..nb {
            for b in a + 1..nb {
                tension.push((a as u32, b as u32, self.tension[pair_index(nb, a, b)]));
            }
        }
        let mut shamed = self.session_shamed.clone();
        shamed.sort_unstable();
        shamed.dedup();
        self.summaries = (0..sc.states.len())
            .map(|s| SessionSummary {
                session: self.session,
                decided: result.decided,
                items: sc.agenda.len() as u32,
                my_gain: self.session_gain[s],
                tension: tension.clone(),
                shamed: shamed.clone(),
                events: self.session_events.clone(),
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

    fn session_extras(&self, r: &mut SessionResult) {
        r.events = self.session_events.len() as u32;
        r.reports = self
            .reports
            .iter()
            .filter(|x| x.session == self.session)
            .count() as u32;
        r.walkouts = self.session_walkouts;
        r.sg_in_office = self.sg_at_start;
        r.heads_in_office = self
            .scenario
            .institutions
            .iter()
            .zip(&self.heads)
            .filter(|(_, h)| **h)
            .map(|(i, _)| i.id.clone())
            .collect();
    }

    fn take_stances(&mut self, answers: Vec<Reply<Stance>>) {
        let asked = std::mem::take(&mut self.asked);
        let exit_allowed = self.design.procedure.exit_allowed;
        for (k, a) in answers.into_iter().enumerate() {
            let s = asked[k];
            match a.and_then(|v| {
                answers::stance(v)
                    .map(|()| v)
                    .map_err(|e| Fault::Invalid(e.to_string()))
            }) {
                Ok(Stance::Exit) if exit_allowed => {
                    self.exited[s] = Some(self.session);
                    self.withholding[s] = false;
                    let from = s as u32;
                    self.open_offers.retain(|o| o.from != from);
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
            let mut redone = metrics::summarize_session(
                self.session,
                &self.scenario,
                &self.order,
                &self.items,
                &self.legitimacy,
                &self.exited,
                &self.satisfaction,
                &self.tension_trace,
            );
            self.session_extras(&mut redone);
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

/// An upper bound of the number of questions a match of `scenario` under `design` can
/// ask, counting the opening, and per session, per item: `max_rounds` positions and
/// decision rounds, a silence round, and up to two outcome notices (a provisional one
/// and a final one under a session package); one package vote per group and dimension;
/// the session package vote; and the session-end question. Drivers size journals and
/// deadlines with it instead of re-deriving the protocol.
pub fn max_questions(scenario: &Scenario, design: &Design) -> u64 {
    let items = scenario.agenda.len() as u64;
    let rounds = u64::from(design.procedure.max_rounds);
    let groups = scenario.groups.len() as u64 * Dimension::ALL.len() as u64;
    let per_session = items * (2 * rounds + 1 + 2) + groups + 1 + 1;
    1 + u64::from(design.procedure.sessions) * per_session
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

/// The blocs `(a, b)` of pair index `p` (inverse of `pair_index`).
fn pair_blocs(nb: usize, p: usize) -> (usize, usize) {
    let mut k = 0;
    for a in 0..nb {
        for b in a + 1..nb {
            if k == p {
                return (a, b);
            }
            k += 1;
        }
    }
    (0, 0)
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
                assert_eq!(pair_blocs(nb, pair_index(nb, a, b)), (a, b));
            }
        }
        assert_eq!(seen, (0..6).collect::<Vec<_>>());
    }
}
