"""Wire messages <-> the dataclasses of `types`, with the contract's checks.

A message the strategy must not see (a required field missing, an enum unspecified or
unknown) raises `Refused` with the google.rpc code the contract's refusal table gives;
a strategy answer that cannot be encoded raises `StrategyError`.
"""

from __future__ import annotations

import math

from .proto import delegation_pb2 as pb
from .types import (
    BlocSignal,
    Brief,
    Context,
    Decision,
    Dimension,
    ItemInfo,
    ItemKind,
    Linkage,
    Mediation,
    Outcome,
    Phase,
    Position,
    Preference,
    Rules,
    Stance,
    Summary,
    TensionPair,
    View,
    Vote,
)

# google.rpc.Code values used in refusals.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
OUT_OF_RANGE = 11
INTERNAL = 13

MAX_ID_BYTES = 64
MAX_NAME_BYTES = 64
MAX_REFUSAL_BYTES = 1024


class Refused(Exception):
    """A question the endpoint refuses: `Refusal{code, message}`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StrategyError(Exception):
    """The strategy's answer cannot be put on the wire (wrong type)."""


# Dict lookups: faster than calling the enum class, and None for unknown values.
_DIMENSIONS = {m.value: m for m in Dimension}
_KINDS = {m.value: m for m in ItemKind}
_MEDIATIONS = {m.value: m for m in Mediation}
_LINKAGES = {m.value: m for m in Linkage}
_PHASES = {m.value: m for m in Phase}
_VOTES = {m.value: m for m in Vote}
_DECISIONS = {m.value: m for m in Decision}
_STANCES = {m.value: m for m in Stance}


def _enum(table: dict, value: int, what: str):
    e = table.get(value)
    if e is None:
        raise Refused(INVALID_ARGUMENT, f"{what} {value} is unspecified or unknown")
    return e


def brief(b: pb.SeatBrief) -> Brief:
    """The strategy's `Brief` of a valid `SeatBrief`; `Refused` otherwise."""
    if not b.HasField("rules"):
        raise Refused(INVALID_ARGUMENT, "open.rules is missing")
    if len(b.preferences) != len(b.items):
        raise Refused(
            INVALID_ARGUMENT,
            f"open.preferences has {len(b.preferences)} entries for {len(b.items)} open.items",
        )
    items = tuple(
        ItemInfo(
            index=i.index,
            id=i.id,
            title=i.title,
            dimension=_enum(_DIMENSIONS, i.dimension, f"open.items[{n}].dimension"),
            kind=_enum(_KINDS, i.kind, f"open.items[{n}].kind"),
            status_quo=i.status_quo,
            reversion=i.reversion,
            in_scope=i.in_scope,
            binding=i.binding,
        )
        for n, i in enumerate(b.items)
    )
    r = b.rules
    rules = Rules(
        design=r.design,
        sessions=r.sessions,
        max_rounds=r.max_rounds,
        mediation=_enum(_MEDIATIONS, r.mediation, "open.rules.mediation"),
        linkage=_enum(_LINKAGES, r.linkage, "open.rules.linkage"),
        naming_shaming=r.naming_shaming,
        exit_allowed=r.exit_allowed,
        states=r.states,
    )
    return Brief(
        match_id=b.match_id,
        state=b.state,
        seat=b.seat,
        bloc=b.bloc,
        bloc_index=b.bloc_index,
        bloc_leader=b.bloc_leader,
        capability=b.capability,
        seed=b.seed,
        blocs=tuple(b.blocs),
        items=items,
        preferences=tuple(Preference(p.ideal, p.salience, p.red_line, p.capability) for p in b.preferences),
        rules=rules,
    )


def _bloc(s: pb.BlocSignal) -> BlocSignal:
    return BlocSignal(
        s.mean_position,
        s.objections,
        s.present,
        s.leader_position if s.HasField("leader_position") else None,
        # An unspecified or unknown optional vote carries no information: None.
        _VOTES.get(s.leader_vote) if s.HasField("leader_vote") else None,
    )


def context(c: pb.RoundContext, what: str) -> Context:
    """The `Context` of a question's `context` (`what` names the field in errors)."""
    return Context(
        session=c.session,
        item=c.item,
        round=c.round,
        phase=_enum(_PHASES, c.phase, f"{what}.context.phase"),
        proposal=c.proposal if c.HasField("proposal") else None,
        blocs=tuple(_bloc(s) for s in c.blocs),
        last_objections=c.last_objections,
    )


def view(v: pb.SeatView) -> View:
    return View(v.legitimacy, v.tension, v.shamed, v.link_refused)


def outcome(o: pb.ItemOutcome) -> Outcome:
    """The `Outcome` of a notice; `Refused` when its decision is unspecified or unknown."""
    return Outcome(
        session=o.session,
        item=o.item,
        decision=_enum(_DECISIONS, o.decision, "outcome.decision"),
        outcome=o.outcome,
        binding=o.binding,
        rounds=o.rounds,
        objections_by_bloc=tuple(o.objections_by_bloc),
        shamed=tuple(o.shamed),
        in_force=o.in_force,
    )


def summary(s: pb.SessionSummary) -> Summary:
    return Summary(
        session=s.session,
        decided=s.decided,
        items=s.items,
        my_gain=s.my_gain,
        tension=tuple(TensionPair(t.a, t.b, t.value) for t in s.tension),
    )


# ----- answers ---------------------------------------------------------------------------


def _number(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        # numpy scalars and the like convert through __float__.
        try:
            return float(x)
        except (TypeError, ValueError):
            raise StrategyError(f"{what} is {x!r} ({type(x).__name__}); expected a number") from None
    return float(x)


def position_answer(p) -> pb.PositionAnswer:
    if not isinstance(p, Position):
        raise StrategyError(
            f"position() returned {p!r} ({type(p).__name__}); return Position(position, salience, link=None)"
        )
    a = pb.PositionAnswer(
        position=_number(p.position, "Position.position"), salience=_number(p.salience, "Position.salience")
    )
    if p.link is not None:
        if isinstance(p.link, bool) or not isinstance(p.link, int) or not 0 <= p.link < 2**32:
            raise StrategyError(f"Position.link is {p.link!r}; expected None or an agenda index")
        a.link = p.link
    return a


def vote_answer(v) -> pb.VoteAnswer:
    if isinstance(v, bool) or not isinstance(v, int) or v not in _VOTES:
        raise StrategyError(f"vote() returned {v!r} ({type(v).__name__}); return Vote.YES, Vote.NO or Vote.ABSTAIN")
    return pb.VoteAnswer(vote=int(v))


def stance_answer(s) -> pb.StanceAnswer:
    if isinstance(s, bool) or not isinstance(s, int) or s not in _STANCES:
        raise StrategyError(
            f"session_end() returned {s!r} ({type(s).__name__}); return Stance.STAY, Stance.WITHHOLD or Stance.EXIT"
        )
    return pb.StanceAnswer(stance=int(s))


def strategy_name(name) -> str:
    """Checks the name a strategy reports (`Opened.strategy`)."""
    if not isinstance(name, str) or not 1 <= len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        raise StrategyError(f"the strategy's name is {name!r}; it must be a str of 1..{MAX_NAME_BYTES} bytes")
    return name


def position_problem(a: pb.PositionAnswer, items: int, item: int) -> str | None:
    """Why the chair will not count this position (None when it will): a warning for the
    strategy's author, the chair's own check decides."""
    if not (math.isfinite(a.position) and 0.0 <= a.position <= 100.0):
        return f"position {a.position} is not a finite number within 0..100"
    if not (math.isfinite(a.salience) and 0.0 <= a.salience <= 1.0):
        return f"salience {a.salience} is not a finite number within 0..1"
    if a.HasField("link") and (a.link >= items or a.link == item):
        return f"link {a.link} is not another item of the {items}-item agenda"
    return None


def clip(message: str, limit: int = MAX_REFUSAL_BYTES) -> str:
    """`message` cut to at most `limit` bytes of UTF-8."""
    b = message.encode("utf-8")
    if len(b) <= limit:
        return message
    return b[: limit - 3].decode("utf-8", "ignore") + "..."
