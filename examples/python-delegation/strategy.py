"""The "reciprocating dissociator": a plenary delegation strategy in plain Python.

It knows nothing about gRPC: `delegation.py` turns the wire messages into calls on a
`Reciprocator` (one per seat, i.e. per (match_id, state)) and its answers back into wire
messages. Every answer is a deterministic function of the brief and of the messages the
seat has received so far, as the contract requires (no clock, no unseeded randomness).

Behaviour, item by item:

* Positions: it states its true ideal in the first round and concedes over the rounds
  towards the proposal on the table (the status quo before there is one), at most half
  of its red line and never past it. Its stated salience is its true salience, raised
  on the items it cares most about. It is a *dissociator*: it never links items, so a
  dispute in one dimension never blocks another.
* Decision and silence: it accepts a proposal it can live with (within its red line)
  or that improves on the policy in force; otherwise it objects when the item matters
  to it and abstains when it does not (under silence it keeps silence unless the item
  matters and the proposal leaves it worse off).
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
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCALE_MIN = 0.0
SCALE_MAX = 100.0
EPS = 1e-9

# Name reported in OpenSeat and to the chair (for reports).
NAME = "py-reciprocator"

# Decisions (wire names, lower-case, without the DECISION_ prefix) that count as decided.
DECIDED = ("adopted", "adopted_by_silence")


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def finite(x: float) -> bool:
    return x == x and x not in (float("inf"), float("-inf"))


@dataclass
class Item:
    """Public description of one agenda item (from the brief)."""

    index: int
    dimension: str
    status_quo: float


@dataclass
class Pref:
    """The seat's private preference on one item (from the brief)."""

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
class Brief:
    """What the strategy keeps of a SeatBrief."""

    match_id: str
    state: str
    bloc_index: int
    blocs: int
    max_rounds: int
    exit_allowed: bool
    items: list[Item]
    prefs: list[Pref]


@dataclass
class Bloc:
    """One bloc's public signal in a round."""

    mean_position: float
    objections: int
    present: int


@dataclass
class Context:
    """The public state of a round."""

    session: int
    item: int
    round: int
    phase: str  # positions | decision | silence | package
    proposal: float | None
    blocs: list[Bloc]


@dataclass
class Outcome:
    """How an item ended."""

    session: int
    item: int
    decision: str  # adopted | adopted_by_silence | ad_hoc | provisional | reverted | ...
    outcome: float
    objections_by_bloc: list[int]


@dataclass
class Grudge:
    bloc: int
    dimension: str
    on: tuple[int, int] | None = None  # (session, item) being reciprocated on


@dataclass
class Reciprocator:
    """Plays one seat of one match (see the module docs)."""

    brief: Brief
    name: str = NAME
    in_force: list[float] = field(default_factory=list)
    session: int = 0
    package: dict[int, tuple[float, float]] = field(default_factory=dict)  # item -> (outcome, sq)
    grudge: Grudge | None = None

    def __post_init__(self) -> None:
        b = self.brief
        for p in b.prefs:
            p.ideal = clamp(p.ideal, SCALE_MIN, SCALE_MAX) if finite(p.ideal) else 50.0
            p.salience = clamp(p.salience, 0.0, 1.0) if finite(p.salience) else 0.5
            p.red_line = clamp(p.red_line, 0.0, SCALE_MAX) if finite(p.red_line) else 0.0
        self.in_force = [clamp(i.status_quo, SCALE_MIN, SCALE_MAX) if finite(i.status_quo) else 50.0 for i in b.items]
        self.max_salience = max((p.salience for p in b.prefs), default=0.0)

    # ----- helpers ---------------------------------------------------------------------

    def _sync(self, session: int) -> None:
        if session != self.session:
            self.session = session
            self.package.clear()

    def _pref(self, item: int) -> Pref | None:
        return self.brief.prefs[item] if 0 <= item < len(self.brief.prefs) else None

    def _sq(self, item: int) -> float:
        return self.in_force[item] if 0 <= item < len(self.in_force) else 50.0

    def _cares(self, item: int) -> bool:
        p = self._pref(item)
        return p is not None and p.salience > 0.0 and p.salience >= 0.6 * self.max_salience

    def _time(self, ctx: Context) -> float:
        if ctx.phase in ("silence", "package"):
            return 1.0
        m = self.brief.max_rounds
        return 1.0 if m <= 1 else min(1.0, ctx.round / (m - 1))

    def _favours(self, ctx: Context, bloc: int, x: float) -> bool:
        """Whether proposal `x` moves policy from the status quo towards `bloc`'s mean."""
        if ctx.phase == "positions" or not 0 <= bloc < len(ctx.blocs):
            return False
        s = ctx.blocs[bloc]
        if s.present == 0 or not finite(s.mean_position):
            return False
        m = clamp(s.mean_position, SCALE_MIN, SCALE_MAX)
        return abs(x - m) + EPS < abs(self._sq(ctx.item) - m)

    # ----- the questions ---------------------------------------------------------------

    def position(self, ctx: Context) -> tuple[float, float, int | None]:
        """(position, salience, link) for the item in `ctx`."""
        self._sync(ctx.session)
        p = self._pref(ctx.item)
        if p is None:
            return (self._sq(ctx.item), 0.0, None)
        anchor = ctx.proposal if ctx.proposal is not None and finite(ctx.proposal) else self._sq(ctx.item)
        anchor = clamp(anchor, SCALE_MIN, SCALE_MAX)
        reach = clamp(anchor - p.ideal, -p.red_line, p.red_line)
        position = p.ideal + 0.5 * self._time(ctx) * reach
        salience = min(1.0, p.salience * (1.25 if self._cares(ctx.item) else 1.0))
        return (clamp(position, SCALE_MIN, SCALE_MAX), clamp(salience, 0.0, 1.0), None)

    def vote(self, ctx: Context) -> str:
        """"yes", "no" or "abstain" on the proposal in `ctx`."""
        self._sync(ctx.session)
        if ctx.phase == "package":
            return self._package_vote()
        p = self._pref(ctx.item)
        x = ctx.proposal
        if p is None or x is None or not finite(x):
            return "abstain"
        here = (ctx.session, ctx.item)
        g = self.grudge
        if g is not None:
            if g.on == here:
                return "no"
            dim = self.brief.items[ctx.item].dimension if ctx.item < len(self.brief.items) else ""
            if g.on is None and dim == g.dimension and self._favours(ctx, g.bloc, x):
                g.on = here
                return "no"
        sq = self._sq(ctx.item)
        if p.within(x) or p.gain(x, sq) > EPS:
            return "yes"
        if ctx.phase == "silence":
            # Breaking silence is costly: only over an item that matters.
            return "no" if self._cares(ctx.item) else "yes"
        return "no" if self._cares(ctx.item) else "abstain"

    def _package_vote(self) -> str:
        gain = 0.0
        all_within = True
        for item, (outcome, sq) in self.package.items():
            p = self.brief.prefs[item]
            gain += p.gain(outcome, sq)
            all_within = all_within and p.within(outcome)
        return "yes" if all_within or gain >= -EPS else "no"

    def outcome(self, o: Outcome) -> None:
        """Learns how an item ended."""
        self._sync(o.session)
        i = o.item
        if not 0 <= i < len(self.in_force):
            return
        sq = self.package.get(i, (None, self.in_force[i]))[1]
        if o.decision != "ad_hoc" and finite(o.outcome):
            # Ad hoc arrangements bind only those who accepted them.
            self.in_force[i] = clamp(o.outcome, SCALE_MIN, SCALE_MAX)
        if o.decision in DECIDED:
            self.package[i] = (clamp(o.outcome, SCALE_MIN, SCALE_MAX), sq)
        else:
            self.package.pop(i, None)
        if self.grudge is not None and self.grudge.on == (o.session, o.item):
            self.grudge = None  # one reciprocation per offence: forgive
        blocked = o.decision not in DECIDED and o.decision != "out_of_scope"
        if blocked and self._cares(i):
            mine = self.brief.bloc_index
            culprits = [(n, -b) for b, n in enumerate(o.objections_by_bloc) if b != mine and n > 0]
            if culprits:
                _, neg_b = max(culprits)
                self.grudge = Grudge(bloc=-neg_b, dimension=self.brief.items[i].dimension)

    def session_end(self, my_gain: float, legitimacy: float) -> str:
        """"stay", "withhold" or "exit" for the next session."""
        losing = finite(my_gain) and my_gain < -EPS
        if losing and self.brief.exit_allowed and legitimacy < 0.15:
            return "exit"
        if losing and legitimacy < 0.4:
            return "withhold"
        return "stay"
