//! [`Seat`]: the memory every built-in strategy keeps for its seat over one match.
//!
//! It holds the brief, the policy the seat believes is in force on each item (tracked
//! from the outcomes the chair announces), this session's outcomes (the provisionally
//! adopted items make up the package of a package vote), the bloc positions last seen on
//! each item, and the seat's own last vote per item. It also knows when the public
//! signals in a [`RoundContext`] are about the current item: in the first positions
//! round of an item nobody has spoken on it yet (the engine shows empty signals at the
//! status quo), so strategies use what they remember instead.
//!
//! Only the [`crate::adapter::Adapter`] writes to it (`sync`, `record_vote`, `observe`
//! are crate-private): a strategy reads it in its decisions and cannot forget a step of
//! the bookkeeping.

use crate::common::{EPS, clamp_position, clamp_salience, within, yes_if};
use plenary_core::model::{Dimension, ItemKind, Preference, SCALE_MAX, SCALE_MIN};
use plenary_core::strategy::{
    Decision, ItemOutcome, Phase, RoundContext, SeatBrief, SeatView, Vote,
};

/// One outcome seen this session, with the status quo the item started from.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Item index.
    pub item: usize,
    /// How it ended (the latest notice: in package designs an item is announced once
    /// when provisionally agreed and again after the package vote).
    pub decision: Decision,
    /// Announced outcome.
    pub outcome: f64,
    /// Policy in force before the item was decided.
    pub sq: f64,
}

/// One item of a package put to a vote, as the seat sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackageItem {
    /// Item index.
    pub item: usize,
    /// The value it takes if the package passes.
    pub outcome: f64,
    /// The policy it stands at before the package.
    pub sq: f64,
}

/// The last vote this seat cast on an item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MyVote {
    /// Session of the vote.
    pub session: u32,
    /// The vote as cast (before the chair applies any linkage condition).
    pub vote: Vote,
    /// The proposal voted on.
    pub proposal: f64,
}

/// What a seat keeps per item, read on every decision: one contiguous record per item
/// (a seat's hot memory is a single allocation, which matters with thousands of seats).
#[derive(Debug, Clone, Copy)]
struct ItemMem {
    /// Sanitised preference.
    pref: Preference,
    /// Policy believed in force.
    in_force: Option<f64>,
    /// Its last vote on the item.
    vote: Option<MyVote>,
    dim: Dimension,
    kind: ItemKind,
    /// It has a position on the item.
    present: bool,
    /// Bloc positions were seen on the item (in `Seat::means`).
    means_known: bool,
}

/// A seat's memory over one match (see the module docs).
#[derive(Debug, Clone)]
pub struct Seat {
    /// The brief (sanitised preferences).
    pub brief: SeatBrief,
    items: Vec<ItemMem>,
    /// Bloc mean positions last seen per item, `items x blocs`, NaN where a bloc did
    /// not speak.
    means: Vec<f64>,
    blocs: usize,
    session: u32,
    log: Vec<Seen>,
    max_salience: f64,
}

impl Seat {
    /// Memory for a fresh seat.
    pub fn new(brief: &SeatBrief) -> Seat {
        let mut brief = brief.clone();
        for p in &mut brief.preferences {
            p.ideal = clamp_position(p.ideal, (SCALE_MIN + SCALE_MAX) / 2.0);
            p.salience = clamp_salience(p.salience);
            p.red_line = if p.red_line.is_finite() {
                p.red_line.clamp(0.0, SCALE_MAX)
            } else {
                0.0
            };
        }
        let items: Vec<ItemMem> = brief
            .items
            .iter()
            .zip(&brief.preferences)
            .enumerate()
            .map(|(k, (info, pref))| ItemMem {
                pref: *pref,
                in_force: info
                    .status_quo
                    .filter(|x| x.is_finite())
                    .map(|x| x.clamp(SCALE_MIN, SCALE_MAX)),
                vote: None,
                dim: info.dimension,
                kind: info.kind,
                present: !brief.absent_items.contains(&(k as u32)),
                means_known: false,
            })
            .collect();
        let max_salience = brief
            .preferences
            .iter()
            .map(|p| p.salience)
            .fold(0.0, f64::max);
        let blocs = brief.blocs.len();
        Seat {
            means: vec![f64::NAN; items.len() * blocs],
            items,
            blocs,
            brief,
            session: 0,
            log: Vec::new(),
            max_salience,
        }
    }

    /// Number of items on the agenda.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// The seat's preference on `item`, if it is an agenda item.
    pub fn pref(&self, item: u32) -> Option<Preference> {
        self.items.get(item as usize).map(|m| m.pref)
    }

    /// Dimension of an item.
    pub fn dimension(&self, item: u32) -> Option<Dimension> {
        self.items.get(item as usize).map(|m| m.dim)
    }

    /// Kind of an item.
    pub fn kind(&self, item: u32) -> Option<ItemKind> {
        self.items.get(item as usize).map(|m| m.kind)
    }

    /// Policy believed in force on an item (its status quo for the current session).
    /// With no policy in force yet (an item without a status quo), the seat's own ideal:
    /// nothing then counts as a gain over it, so the seat judges proposals by its red
    /// line alone.
    pub fn sq(&self, item: u32) -> f64 {
        match self.items.get(item as usize) {
            Some(m) => m.in_force.unwrap_or(m.pref.ideal),
            None => 50.0,
        }
    }

    /// Whether a policy is in force on the item.
    pub fn has_policy(&self, item: u32) -> bool {
        self.items
            .get(item as usize)
            .is_some_and(|m| m.in_force.is_some())
    }

    /// Whether the seat has a position on the item (it is never asked otherwise).
    pub fn has_position(&self, item: u32) -> bool {
        self.items.get(item as usize).is_some_and(|m| m.present)
    }

    /// The preference as the seat feels it now: red lines narrowed by the design's
    /// feedback on tension and legitimacy (`me.red_line_scale`), politico-military
    /// salience raised by tension (`me.security_salience`). The built-in strategies
    /// decide on it, which is how tension and legitimacy move their behaviour.
    pub fn felt(&self, item: u32, me: &SeatView) -> Option<Preference> {
        let mut p = self.pref(item)?;
        let scale = if me.red_line_scale.is_finite() {
            me.red_line_scale.clamp(0.0, 1.25)
        } else {
            1.0
        };
        p.red_line *= scale;
        if self.dimension(item) == Some(Dimension::PoliticoMilitary)
            && me.security_salience.is_finite()
        {
            p.salience = clamp_salience(p.salience * me.security_salience.max(1.0));
        }
        Some(p)
    }

    /// Takes up trade offers (the exchange model of Stokman & Van Oosten 1994, after
    /// Coleman): among the open offers in `ctx` that want movement on this item, the one
    /// whose supported item the seat values most, if it values that item more than
    /// this one, wants it moved from where it stands, and can live with the offer's
    /// target here. The seat then moves its stated position `x` towards the target by
    /// the salience share `s_supported / (s_supported + s_here)`: it gives ground where
    /// it cares less to win support where it cares more. Other phases: `x` unchanged.
    pub fn take_up(&self, ctx: &RoundContext, me: &SeatView, x: f64) -> f64 {
        if ctx.phase != Phase::Positions {
            return x;
        }
        let Some(here) = self.felt(ctx.item, me) else {
            return x;
        };
        let mut best: Option<(f64, f64)> = None;
        for o in &ctx.offers {
            if o.want != ctx.item
                || o.from == self.brief.seat
                || !o.target.is_finite()
                || !self.has_position(o.support)
            {
                continue;
            }
            let Some(there) = self.felt(o.support, me) else {
                continue;
            };
            let target = o.target.clamp(SCALE_MIN, SCALE_MAX);
            let wants_change = (there.ideal - self.sq(o.support)).abs() > 1.0;
            if there.salience <= here.salience || !wants_change || !within(&here, target, 1.0) {
                continue;
            }
            let w = there.salience / (there.salience + here.salience);
            if best.is_none_or(|(bw, _)| w > bw) {
                best = Some((w, target));
            }
        }
        best.map_or(x, |(w, t)| x + w * (t - x))
    }

    /// Whether the seat cares about an item: salience at least 60% of its highest.
    pub fn cares(&self, item: u32) -> bool {
        self.pref(item)
            .is_some_and(|p| p.salience > 0.0 && p.salience >= 0.6 * self.max_salience)
    }

    /// Syncs with the session the chair is in (a new session clears this session's log).
    pub(crate) fn sync(&mut self, session: u32) {
        if session != self.session {
            self.session = session;
            self.log.clear();
        }
    }

    /// Time within the item in 0..=1. The item's `max_rounds` rounds divide the time up
    /// to the deadline into equal intervals: a round's positions are stated halfway
    /// through its interval and its votes cast at its end, so the last decision round
    /// (and the silence and package votes after it) come at the deadline, `t = 1`. A
    /// single round (`max_rounds = 1`) is then one considered offer at `t = 0.5` and a
    /// vote at the deadline, rather than a jump to the reservation point.
    pub fn time(&self, ctx: &RoundContext) -> f64 {
        let m = f64::from(self.brief.rules.max_rounds.max(1));
        let r = f64::from(ctx.round);
        match ctx.phase {
            Phase::Silence | Phase::Package => 1.0,
            Phase::Positions => ((r + 0.5) / m).min(1.0),
            Phase::Decision => ((r + 1.0) / m).min(1.0),
        }
    }

    /// The proposal on the table (or last failed), if finite.
    pub fn proposal(ctx: &RoundContext) -> Option<f64> {
        ctx.proposal.filter(|x| x.is_finite())
    }

    /// What to concede towards: the last proposal, else the status quo.
    pub fn anchor(&self, ctx: &RoundContext) -> f64 {
        Seat::proposal(ctx).map_or(self.sq(ctx.item), |x| clamp_position(x, 50.0))
    }

    /// Whether the bloc signals in `ctx` are about the current item (they are not in
    /// the first positions round, and a package vote concerns no single item).
    pub fn signals_current(&self, ctx: &RoundContext) -> bool {
        (ctx.item as usize) < self.items()
            && match ctx.phase {
                Phase::Positions => ctx.round > 0,
                Phase::Decision | Phase::Silence => true,
                Phase::Package => false,
            }
    }

    /// Bloc mean positions `(bloc, mean)` of blocs whose members spoke, if the signals
    /// are current; otherwise those remembered from the last time the item was
    /// discussed (an earlier session), if any.
    pub fn bloc_means(&self, ctx: &RoundContext) -> Option<Vec<(usize, f64)>> {
        if self.signals_current(ctx) {
            let v: Vec<(usize, f64)> = ctx
                .blocs
                .iter()
                .enumerate()
                .filter(|(_, b)| b.present > 0 && b.mean_position.is_finite())
                .map(|(i, b)| (i, b.mean_position.clamp(SCALE_MIN, SCALE_MAX)))
                .collect();
            if !v.is_empty() {
                return Some(v);
            }
        }
        let i = ctx.item as usize;
        if !self.items.get(i).is_some_and(|m| m.means_known) {
            return None;
        }
        let row = &self.means[i * self.blocs..(i + 1) * self.blocs];
        Some(
            row.iter()
                .enumerate()
                .filter(|(_, m)| m.is_finite())
                .map(|(b, &m)| (b, m))
                .collect(),
        )
    }

    /// Visits what [`Seat::bloc_means`] returns without allocating: calls `f(bloc,
    /// mean)` for each bloc mean; returns whether there was any.
    fn visit_means(&self, ctx: &RoundContext, mut f: impl FnMut(usize, f64)) -> bool {
        let spoke =
            |b: &plenary_core::strategy::BlocSignal| b.present > 0 && b.mean_position.is_finite();
        if self.signals_current(ctx) && ctx.blocs.iter().any(spoke) {
            for (i, b) in ctx.blocs.iter().enumerate().filter(|(_, b)| spoke(b)) {
                f(i, b.mean_position.clamp(SCALE_MIN, SCALE_MAX));
            }
            return true;
        }
        let i = ctx.item as usize;
        if !self.items.get(i).is_some_and(|m| m.means_known) {
            return false;
        }
        let row = &self.means[i * self.blocs..(i + 1) * self.blocs];
        let mut any = false;
        for (b, &m) in row.iter().enumerate().filter(|(_, m)| m.is_finite()) {
            f(b, m);
            any = true;
        }
        any
    }

    /// The lowest and highest of the bloc means of [`Seat::bloc_means`], if any.
    pub fn bloc_range(&self, ctx: &RoundContext) -> Option<(f64, f64)> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        self.visit_means(ctx, |_, m| {
            lo = lo.min(m);
            hi = hi.max(m);
        })
        .then_some((lo, hi))
    }

    /// Bloc `b`'s mean among those of [`Seat::bloc_means`], if it is there.
    pub fn bloc_mean(&self, ctx: &RoundContext, b: usize) -> Option<f64> {
        let mut out = None;
        self.visit_means(ctx, |i, m| {
            if i == b {
                out = Some(m);
            }
        });
        out
    }

    /// Records what a vote question shows (bloc positions on the item) and the vote.
    pub(crate) fn record_vote(&mut self, ctx: &RoundContext, vote: Vote) {
        self.sync(ctx.session);
        let i = ctx.item as usize;
        if i >= self.items() || ctx.phase == Phase::Package {
            return;
        }
        if self.signals_current(ctx) {
            let spoke = |b: &&plenary_core::strategy::BlocSignal| {
                b.present > 0 && b.mean_position.is_finite()
            };
            if ctx.blocs.iter().any(|b| spoke(&b)) {
                // In place: this runs on every vote of every seat.
                let row = &mut self.means[i * self.blocs..(i + 1) * self.blocs];
                for (slot, b) in row.iter_mut().zip(&ctx.blocs) {
                    *slot = if spoke(&b) {
                        b.mean_position.clamp(SCALE_MIN, SCALE_MAX)
                    } else {
                        f64::NAN
                    };
                }
                self.items[i].means_known = true;
            }
        }
        if let Some(x) = Seat::proposal(ctx) {
            self.items[i].vote = Some(MyVote {
                session: ctx.session,
                vote,
                proposal: x,
            });
        }
    }

    /// This seat's last vote on `item` in the current session.
    pub fn my_vote(&self, item: usize) -> Option<MyVote> {
        self.items
            .get(item)
            .and_then(|m| m.vote)
            .filter(|v| v.session == self.session)
    }

    /// Learns an item's outcome: updates the policy believed in force and the log.
    pub(crate) fn observe(&mut self, o: &ItemOutcome) {
        self.sync(o.session);
        let i = o.item as usize;
        if i >= self.items() {
            return;
        }
        let before = self.sq(o.item);
        if let Some(x) = o.in_force.filter(|x| x.is_finite()) {
            // The chair says what is in force (partial compliance, withheld budget
            // contributions and ad hoc arrangements all make it differ from `outcome`).
            self.items[i].in_force = Some(x.clamp(SCALE_MIN, SCALE_MAX));
        }
        let outcome = o
            .outcome
            .filter(|x| x.is_finite())
            .map_or(before, |x| x.clamp(SCALE_MIN, SCALE_MAX));
        if let Some(e) = self.log.iter_mut().find(|e| e.item == i) {
            e.decision = o.decision;
            e.outcome = outcome;
        } else {
            self.log.push(Seen {
                item: i,
                decision: o.decision,
                outcome,
                sq: before,
            });
        }
    }

    /// Outcomes seen this session.
    pub fn log(&self) -> &[Seen] {
        &self.log
    }

    /// What a package vote is about: the chair's list in `ctx.package` (a group
    /// package or the session package), else the items provisionally agreed this
    /// session. Items the seat has no position on are left out.
    pub fn package(&self, ctx: &RoundContext) -> Vec<PackageItem> {
        let mut out = Vec::new();
        if ctx.package.is_empty() {
            out.extend(
                self.log
                    .iter()
                    .filter(|e| e.decision.decided())
                    .map(|e| PackageItem {
                        item: e.item,
                        outcome: e.outcome,
                        sq: e.sq,
                    }),
            );
        } else {
            for e in &ctx.package {
                let i = e.item as usize;
                if i >= self.items() {
                    continue;
                }
                let sq = e
                    .status_quo
                    .filter(|x| x.is_finite())
                    .map_or(self.sq(e.item), |x| x.clamp(SCALE_MIN, SCALE_MAX));
                out.push(PackageItem {
                    item: i,
                    outcome: clamp_position(e.value, sq),
                    sq,
                });
            }
        }
        out.retain(|e| self.has_position(e.item as u32));
        out
    }

    /// Utility gain of a package over the status quo its items started from.
    pub fn package_gain(&self, package: &[PackageItem]) -> f64 {
        package
            .iter()
            .map(|e| self.brief.preferences[e.item].gain(e.outcome, e.sq))
            .sum()
    }

    /// The default package vote: yes when the package as a whole leaves the seat no
    /// worse off than the status quo, or every item in it is within its red line.
    pub fn package_vote(&self, ctx: &RoundContext) -> Vote {
        let package = self.package(ctx);
        let all_within = package
            .iter()
            .all(|e| within(&self.brief.preferences[e.item], e.outcome, 1.0));
        yes_if(all_within || self.package_gain(&package) >= -EPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn signals_are_stale_in_the_first_positions_round() {
        let brief = testkit::brief(0, false, &testkit::prefs_west());
        let seat = Seat::new(&brief);
        let mut c = testkit::ctx(0, 0, Phase::Positions, None);
        testkit::set_means(&mut c, &[30.0, 80.0, 50.0]);
        assert!(seat.bloc_means(&c).is_none());
        c.round = 1;
        assert_eq!(seat.bloc_means(&c).unwrap().len(), 3);
    }

    #[test]
    fn package_collects_decided_items_with_their_status_quo() {
        let brief = testkit::brief(0, false, &testkit::prefs_west());
        let mut seat = Seat::new(&brief);
        let sq0 = seat.sq(0);
        seat.observe(&testkit::outcome(0, 0, Decision::Adopted, 70.0, &[0, 0, 0]));
        seat.observe(&testkit::outcome(
            0,
            1,
            Decision::Reverted,
            40.0,
            &[0, 1, 0],
        ));
        let c = testkit::ctx(0, 0, Phase::Package, None);
        assert_eq!(seat.package(&c).len(), 1);
        assert_eq!(seat.package(&c)[0].sq, sq0);
        assert_eq!(seat.sq(0), 70.0);
        // The package vote's notices repeat the item without losing its status quo.
        seat.observe(&testkit::outcome(
            0,
            0,
            Decision::PackageFailed,
            40.0,
            &[0, 0, 0],
        ));
        assert_eq!(seat.log().len(), 2);
        assert_eq!(seat.log()[0].sq, sq0);
        assert_eq!(seat.package(&c).len(), 0);
        // A new session starts a new log.
        seat.sync(1);
        assert!(seat.log().is_empty());
    }

    #[test]
    fn felt_preferences_follow_the_feedback_in_the_view() {
        let brief = testkit::brief(0, false, &testkit::prefs_west());
        let seat = Seat::new(&brief);
        let calm = testkit::view(0.7);
        let tense = SeatView {
            red_line_scale: 0.6,
            security_salience: 1.5,
            ..calm
        };
        // Vienna (politico-military): red line 30 -> 18, salience 0.9 -> 1 (clamped).
        let v = seat.felt(testkit::VIENNA, &tense).unwrap();
        assert!((v.red_line - 18.0).abs() < 1e-12 && v.salience == 1.0);
        // Human: red line 25 -> 15, salience unchanged (not politico-military).
        let h = seat.felt(testkit::HUMAN, &tense).unwrap();
        assert!((h.red_line - 15.0).abs() < 1e-12 && h.salience == 0.8);
        assert_eq!(seat.felt(testkit::HUMAN, &calm), seat.pref(testkit::HUMAN));
        // A dissociator that accepts a budget of 40 (ideal 65, red line 30, sq 50: worse
        // than the status quo but within its red line) in calm times objects once
        // securitization narrows its red line (65 - 40 = 25 > 18).
        let mut d = crate::dissociator::strategy(&brief);
        let c = testkit::ctx(testkit::BUDGET, 0, Phase::Decision, Some(40.0));
        use plenary_core::strategy::Strategy;
        assert_eq!(d.vote(&c, &calm), Vote::Yes);
        assert_eq!(d.vote(&c, &tense), Vote::No);
    }

    #[test]
    fn offers_are_taken_up_where_the_supported_item_matters_more() {
        use plenary_core::strategy::PublicOffer;
        let brief = testkit::brief(0, false, &testkit::prefs_west());
        let seat = Seat::new(&brief);
        let me = testkit::view(0.7);
        // Someone supports Vienna (salience 0.9, ideal 75 vs sq 40) if climate (0.2,
        // ideal 55, red line 40) goes to 30.
        let mut c = testkit::ctx(testkit::CLIMATE, 0, Phase::Positions, None);
        c.offers.push(PublicOffer {
            from: 5,
            support: testkit::VIENNA,
            want: testkit::CLIMATE,
            target: 30.0,
            tolerance: 5.0,
        });
        // Moves 0.9 / (0.9 + 0.2) of the way from 55 to 30.
        let x = seat.take_up(&c, &me, 55.0);
        assert!((x - (55.0 - 0.9 / 1.1 * 25.0)).abs() < 1e-9, "{x}");
        // Not when the target crosses its red line here, nor for an item it values less.
        c.offers[0].target = 10.0;
        assert_eq!(seat.take_up(&c, &me, 55.0), 55.0);
        let mut v = testkit::ctx(testkit::VIENNA, 0, Phase::Positions, None);
        v.offers.push(PublicOffer {
            from: 5,
            support: testkit::CLIMATE,
            want: testkit::VIENNA,
            target: 60.0,
            tolerance: 5.0,
        });
        assert_eq!(seat.take_up(&v, &me, 75.0), 75.0);
        // Only in positions rounds.
        c.offers[0].target = 30.0;
        c.phase = Phase::Decision;
        assert_eq!(seat.take_up(&c, &me, 55.0), 55.0);
    }
}
