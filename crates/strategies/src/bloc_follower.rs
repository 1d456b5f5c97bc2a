//! `bloc-follower`: follows its bloc leader's line.
//!
//! Behaviour: in later positions rounds it states the position its bloc leader stated
//! in the last round. In the first round of an item the leader has not spoken yet on
//! it (the chair's bloc signals are still empty), so it states its own
//! ideal moved halfway towards its bloc's mean position on this item as last seen (in
//! an earlier session), or its ideal when it has never seen the item. In decision and
//! silence rounds it copies the leader's last vote on this item when there is one; in
//! the first decision round, where the leader's vote is not known yet, it accepts when
//! the proposal is within its red line of what the leader stated (bloc discipline), and
//! otherwise falls back to its own merits. Package votes it decides on the merits of the
//! package. A bloc leader playing this strategy has nobody to follow and plays
//! [`crate::dissociator`] instead.
//!
//! Idea: the bloc-to-bloc negotiation of the CSCE (NATO and Warsaw Pact caucuses) and
//! of today's OSCE, where most of the 57 States align with a caucus; followers multiply
//! the weight of their leader's line, for consent and for blocking alike.

use crate::adapter::{Adapter, Decide};
use crate::common::{answer, contest, on_merits, within, yes_if};
use crate::dissociator::Dissociator;
use crate::memory::Seat;
use plenary_core::strategy::{
    Phase, PositionAnswer, RoundContext, SeatBrief, SeatView, SessionSummary, Stance, Vote,
};

/// Registry name.
pub const NAME: &str = "bloc-follower";

/// The bloc-follower strategy (see the module docs).
#[derive(Debug, Clone)]
pub struct BlocFollower {
    /// Set for bloc leaders, who have nobody to follow.
    leader: Option<Dissociator>,
}

/// The bloc-follower strategy for the seat in `brief`.
pub fn strategy(brief: &SeatBrief) -> Adapter<BlocFollower> {
    Adapter::new(brief, BlocFollower::new(brief))
}

impl BlocFollower {
    /// A follower for the seat in `brief` (a dissociator if the seat leads its bloc).
    pub fn new(brief: &SeatBrief) -> BlocFollower {
        BlocFollower {
            leader: brief.bloc_leader.then_some(Dissociator),
        }
    }

    fn my_bloc(seat: &Seat) -> usize {
        seat.brief.bloc_index as usize
    }
}

impl Decide for BlocFollower {
    fn name(&self) -> &str {
        NAME
    }

    fn position(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> PositionAnswer {
        if let Some(d) = &mut self.leader {
            return d.position(seat, ctx, me);
        }
        let n = seat.items();
        let Some(p) = seat.felt(ctx.item, me) else {
            return answer(seat.anchor(ctx), 0.0, None, ctx.item, n);
        };
        let b = BlocFollower::my_bloc(seat);
        let leader_said = ctx
            .blocs
            .get(b)
            .and_then(|s| s.leader_position)
            .filter(|x| x.is_finite());
        let x = match leader_said {
            Some(x) if seat.signals_current(ctx) => x,
            _ => match seat.bloc_mean(ctx, b) {
                Some(mean) => p.ideal + 0.5 * (mean - p.ideal),
                None => p.ideal,
            },
        };
        answer(x, p.salience, None, ctx.item, n)
    }

    fn vote(&mut self, seat: &Seat, ctx: &RoundContext, me: &SeatView) -> Vote {
        if let Some(d) = &mut self.leader {
            return d.vote(seat, ctx, me);
        }
        let b = BlocFollower::my_bloc(seat);
        let signal = ctx.blocs.get(b).copied();
        match ctx.phase {
            Phase::Package => seat.package_vote(ctx),
            Phase::Decision | Phase::Silence | Phase::Positions => {
                match (seat.felt(ctx.item, me), Seat::proposal(ctx)) {
                    (Some(p), Some(x)) => {
                        // The leader's last vote is about this item from the second
                        // decision round on, and in the silence round.
                        let vote_known = ctx.phase == Phase::Silence || ctx.round > 0;
                        let leader_vote = signal.and_then(|s| s.leader_vote).filter(|_| vote_known);
                        let leader_pos = signal
                            .and_then(|s| s.leader_position)
                            .filter(|x| x.is_finite() && seat.signals_current(ctx));
                        match (leader_vote, leader_pos) {
                            (Some(v), _) => v,
                            (None, Some(lp)) => {
                                let near = (x - lp).abs() <= p.red_line + crate::common::EPS;
                                yes_if(near || within(&p, x, 1.0))
                            }
                            (None, None) => yes_if(on_merits(&p, x, seat.sq(ctx.item))),
                        }
                    }
                    _ => Vote::Abstain,
                }
            }
        }
    }

    fn session_end(&mut self, seat: &Seat, summary: &SessionSummary, me: &SeatView) -> Stance {
        match &mut self.leader {
            Some(d) => d.session_end(seat, summary, me),
            None => contest(me, seat.brief.rules.exit_allowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, HUMAN};
    use plenary_core::strategy::Strategy;

    #[test]
    fn copies_the_leaders_vote_and_position() {
        let prefs = testkit::prefs_csto();
        let mut f = strategy(&testkit::brief(1, false, &prefs));
        let me = testkit::view(0.5);
        // Human declaration: ideal 25, red line 20.
        let mut c = testkit::ctx(HUMAN, 1, Phase::Decision, Some(30.0));
        testkit::set_means(&mut c, &[80.0, 20.0, 50.0]);
        c.blocs[1].leader_position = Some(10.0);
        c.blocs[1].leader_vote = Some(Vote::No);
        // 30 is within its own red line, but the leader objected: object.
        assert_eq!(f.vote(&c, &me), Vote::No);
        // 60 is far beyond its red line, but the leader accepted: accept.
        c.proposal = Some(60.0);
        c.blocs[1].leader_vote = Some(Vote::Yes);
        assert_eq!(f.vote(&c, &me), Vote::Yes);
        c.blocs[1].leader_vote = Some(Vote::Abstain);
        assert_eq!(f.vote(&c, &me), Vote::Abstain);
        // Silence: copies the leader's vote in the last decision round.
        let mut s = c.clone();
        s.phase = Phase::Silence;
        s.blocs[1].leader_vote = Some(Vote::No);
        assert_eq!(f.vote(&s, &me), Vote::No);
        // First decision round: the leader's "last vote" is about the previous item, so
        // it is ignored; the leader's stated position (10) rules: 60 is too far from it.
        let mut r0 = c.clone();
        r0.round = 0;
        r0.blocs[1].leader_vote = Some(Vote::Yes);
        assert_eq!(f.vote(&r0, &me), Vote::No);
        // Positions: states what the leader said last round.
        let mut pc = testkit::ctx(HUMAN, 2, Phase::Positions, Some(45.0));
        testkit::set_means(&mut pc, &[80.0, 20.0, 50.0]);
        pc.blocs[1].leader_position = Some(12.0);
        assert_eq!(f.position(&pc, &me).position, 12.0);
    }

    #[test]
    fn first_round_uses_the_bloc_mean_remembered_for_the_item() {
        let prefs = testkit::prefs_csto();
        let mut f = strategy(&testkit::brief(1, false, &prefs));
        let me = testkit::view(0.5);
        let mut stale = testkit::ctx(HUMAN, 0, Phase::Positions, None);
        testkit::set_means(&mut stale, &[70.0, 60.0, 50.0]);
        stale.blocs[1].leader_position = Some(60.0);
        // Never saw the item: its own ideal, not the previous item's signals.
        assert_eq!(f.position(&stale, &me).position, 25.0);
        // Sees the item's bloc mean (15) in a decision round, then meets it again.
        let mut d = testkit::ctx(HUMAN, 0, Phase::Decision, Some(40.0));
        testkit::set_means(&mut d, &[80.0, 15.0, 50.0]);
        f.vote(&d, &me);
        stale.session = 1;
        assert_eq!(f.position(&stale, &me).position, 20.0);
    }

    #[test]
    fn a_leader_plays_dissociator() {
        let prefs = testkit::prefs_csto();
        let mut f = strategy(&testkit::brief(1, true, &prefs));
        let mut d = crate::dissociator::strategy(&testkit::brief(1, true, &prefs));
        let me = testkit::view(0.5);
        let mut c = testkit::ctx(HUMAN, 1, Phase::Decision, Some(30.0));
        c.blocs[1].leader_vote = Some(Vote::No);
        assert_eq!(f.vote(&c, &me), d.vote(&c, &me));
        assert_eq!(f.vote(&c, &me), Vote::Yes);
        assert_eq!(f.name(), NAME);
    }

    #[test]
    fn end_to_end() {
        testkit::end_to_end(NAME);
    }
}
