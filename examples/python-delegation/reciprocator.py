"""The "reciprocating dissociator": a plenary strategy written on the Python SDK.

It knows nothing about gRPC: the SDK (`plenary_delegation`) creates one `Reciprocator` per
seat (one State in one match) with the seat's `Brief` and calls its methods in the order
of the chair's messages. Every answer is a deterministic function of the brief and of
the calls made so far, as the contract requires (no clock, no unseeded randomness).

Behaviour, item by item:

* Positions: it states its true ideal in the first round and concedes over the rounds
  towards the proposal on the table (the policy in force before there is one), at most
  half of its red line and never past it. Its stated salience is its true salience,
  raised by a quarter on the items it cares most about. It is a *dissociator*: it never
  links items, so a dispute in one dimension never blocks another.
* Decision and silence: it accepts a proposal it can live with (within its red line)
  or that improves on the policy in force; otherwise it objects when the item matters
  to it and abstains when it does not (under silence it keeps silence unless the item
  matters).
* Reciprocity by bloc (tit-for-tat): when an item it cares about fails and some other
  bloc's members objected in the final round, it holds a grudge against the bloc with
  the most objections. Holding a grudge, it objects to the next proposal that favours
  that bloc (moves policy from the status quo towards the bloc's stated mean) on an item
  of the same dimension, then forgives: one reciprocation per offence.
* Package: yes when the package leaves it no worse off than the status quo, or every
  item in it is within its red line.
* Session end: stays while the institution pays or is still legitimate in its eyes;
  withholds its budget contribution after a losing session at low legitimacy; exits
  only where the design allows exit, after a losing session at very low legitimacy.

Grounded in the paper's "pluralistic peace" (keep policy areas apart) and in tit-for-tat
by bloc (reciprocated blocking, Axelrod).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from plenary_delegation import (
    Brief,
    Context,
    Decision,
    Dimension,
    Outcome,
    Phase,
    Position,
    Stance,
    Strategy,
    Summary,
    View,
    Vote,
)

SCALE_MIN = 0.0
SCALE_MAX = 100.0
EPS = 1e-9

DECIDED = (Decision.ADOPTED, Decision.ADOPTED_BY_SILENCE)


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def sane(x: "float | None", lo: float, hi: float, fallback: float) -> float:
    """`x` clamped to lo..hi; `fallback` when it is absent or not a finite number."""
    return clamp(x, lo, hi) if x is not None and math.isfinite(x) else fallback


@dataclass
class Pref:
    """The seat's private preference on one item, cleaned of impossible values."""

    ideal: float
    salience: float
    red_line: float

    def utility(self, x: float) -> float:
        return -self.salience * abs(x - self.ideal)

    def gain(self, x: float, sq: float) -> float:
        return self.utility(x) - self.utility(sq)

    def within(self, x: float) -> bool:
        return abs(x - self.ideal) <= self.red_line + EPS


@dataclass
class Grudge:
    bloc: int
    dimension: Dimension
    on: Optional[tuple[int, int]] = None  # (session, item) being reciprocated on


class Reciprocator(Strategy):
    """Plays one seat of one match (see the module docs)."""

    name = "py-reciprocator"

    def __init__(self, brief: Brief) -> None:
        super().__init__(brief)
        self.prefs = [
            Pref(
                sane(p.ideal, SCALE_MIN, SCALE_MAX, 50.0),
                sane(p.salience, 0.0, 1.0, 0.5),
                sane(p.red_line, 0.0, SCALE_MAX, 0.0),
            )
            for p in brief.preferences
        ]
        self.dimensions = [i.dimension for i in brief.items]
        # Policy in force per item, as the seat has learnt it from outcomes.
        self.in_force = [sane(i.status_quo, SCALE_MIN, SCALE_MAX, 50.0) for i in brief.items]
        self.max_salience = max((p.salience for p in self.prefs), default=0.0)
        self.session = 0
        self.package: dict[int, tuple[float, float]] = {}  # item -> (outcome, status quo)
        self.grudge: Optional[Grudge] = None

    # ----- helpers ---------------------------------------------------------------------

    def _sync(self, session: int) -> None:
        if session != self.session:
            self.session = session
            self.package.clear()

    def _pref(self, item: int) -> Optional[Pref]:
        return self.prefs[item] if 0 <= item < len(self.prefs) else None

    def _sq(self, item: int) -> float:
        return self.in_force[item] if 0 <= item < len(self.in_force) else 50.0

    def _cares(self, item: int) -> bool:
        p = self._pref(item)
        return p is not None and p.salience > 0.0 and p.salience >= 0.6 * self.max_salience

    def _time(self, ctx: Context) -> float:
        """How far into the item's rounds we are (0 first round .. 1 last)."""
        if ctx.phase in (Phase.SILENCE, Phase.PACKAGE):
            return 1.0
        m = self.brief.rules.max_rounds
        return 1.0 if m <= 1 else min(1.0, ctx.round / (m - 1))

    def _favours(self, ctx: Context, bloc: int, x: float) -> bool:
        """Whether proposal `x` moves policy from the status quo towards `bloc`'s mean."""
        if not 0 <= bloc < len(ctx.blocs):
            return False
        s = ctx.blocs[bloc]
        if s.present == 0 or not math.isfinite(s.mean_position):
            return False
        m = clamp(s.mean_position, SCALE_MIN, SCALE_MAX)
        return abs(x - m) + EPS < abs(self._sq(ctx.item) - m)

    # ----- the questions ---------------------------------------------------------------

    def position(self, ctx: Context, view: View) -> Position:
        self._sync(ctx.session)
        p = self._pref(ctx.item)
        if p is None:
            return Position(self._sq(ctx.item), 0.0)
        anchor = ctx.proposal if ctx.proposal is not None and math.isfinite(ctx.proposal) else self._sq(ctx.item)
        anchor = clamp(anchor, SCALE_MIN, SCALE_MAX)
        reach = clamp(anchor - p.ideal, -p.red_line, p.red_line)
        position = p.ideal + 0.5 * self._time(ctx) * reach
        salience = min(1.0, p.salience * (1.25 if self._cares(ctx.item) else 1.0))
        return Position(clamp(position, SCALE_MIN, SCALE_MAX), clamp(salience, 0.0, 1.0))

    def vote(self, ctx: Context, view: View) -> Vote:
        self._sync(ctx.session)
        if ctx.phase is Phase.PACKAGE:
            return self._package_vote()
        p = self._pref(ctx.item)
        x = ctx.proposal
        if p is None or x is None or not math.isfinite(x):
            return Vote.ABSTAIN
        here = (ctx.session, ctx.item)
        g = self.grudge
        if g is not None:
            if g.on == here:
                return Vote.NO
            if g.on is None and self.dimensions[ctx.item] == g.dimension and self._favours(ctx, g.bloc, x):
                g.on = here
                return Vote.NO
        if p.within(x) or p.gain(x, self._sq(ctx.item)) > EPS:
            return Vote.YES
        if ctx.phase is Phase.SILENCE:
            # Breaking silence is costly: only over an item that matters.
            return Vote.NO if self._cares(ctx.item) else Vote.YES
        return Vote.NO if self._cares(ctx.item) else Vote.ABSTAIN

    def _package_vote(self) -> Vote:
        gain = 0.0
        all_within = True
        for item, (outcome, sq) in sorted(self.package.items()):
            p = self.prefs[item]
            gain += p.gain(outcome, sq)
            all_within = all_within and p.within(outcome)
        return Vote.YES if all_within or gain >= -EPS else Vote.NO

    def outcome(self, o: Outcome) -> None:
        self._sync(o.session)
        i = o.item
        if not 0 <= i < len(self.in_force):
            return
        sq = self.package.get(i, (None, self.in_force[i]))[1]
        if o.in_force is not None and math.isfinite(o.in_force):
            # The policy in force (an ad hoc arrangement binds only those who accepted it).
            self.in_force[i] = clamp(o.in_force, SCALE_MIN, SCALE_MAX)
        if o.decision in DECIDED and o.outcome is not None and math.isfinite(o.outcome):
            self.package[i] = (clamp(o.outcome, SCALE_MIN, SCALE_MAX), sq)
        else:
            self.package.pop(i, None)
        if self.grudge is not None and self.grudge.on == (o.session, o.item):
            self.grudge = None  # one reciprocation per offence: forgive
        blocked = o.decision not in DECIDED and o.decision is not Decision.OUT_OF_SCOPE
        if blocked and self._cares(i):
            mine = self.brief.bloc_index
            culprits = [(n, -b) for b, n in enumerate(o.objections_by_bloc) if b != mine and n > 0]
            if culprits:
                _, neg_b = max(culprits)
                self.grudge = Grudge(bloc=-neg_b, dimension=self.dimensions[i])

    def session_end(self, summary: Summary, view: View) -> Stance:
        self._sync(summary.session)
        losing = math.isfinite(summary.my_gain) and summary.my_gain < -EPS
        if losing and self.brief.rules.exit_allowed and view.legitimacy < 0.15:
            return Stance.EXIT
        if losing and view.legitimacy < 0.4:
            return Stance.WITHHOLD
        return Stance.STAY
