"""Wire messages <-> the dataclasses of `types`, with the contract's checks.

A message the strategy must not see (a required field missing, an enum unspecified or
unknown) raises `Refused` with the google.rpc code the contract's refusal table gives;
a strategy answer that cannot be encoded raises `StrategyError`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from .proto import delegation_pb2 as pb
from .types import (
    BlocSignal,
    Brief,
    Context,
    Decision,
    Dimension,
    EventInfo,
    EventKind,
    GroupInfo,
    ItemInfo,
    ItemKind,
    Linkage,
    Mediation,
    Offer,
    Outcome,
    PackageEntry,
    Phase,
    Position,
    Preference,
    PublicOffer,
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

MAX_MATCH_ID_BYTES = 256
MAX_STATE_BYTES = 64
MAX_NAME_BYTES = 64
MAX_REFUSAL_BYTES = 1024

# The contract's id rules (Envelope.match_id, Envelope.state): a match id is 1..=256
# bytes of printable ASCII without spaces; a State id 1..=64 bytes of `A-Z a-z 0-9 - _ .`
# starting with a letter or digit. ASCII only, so characters are bytes.
_MATCH_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_MATCH_ID_BYTES}}}")
_STATE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_STATE_BYTES - 1}}}")


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
_EVENTS = {m.value: m for m in EventKind}


def _opt(m, field: str):
    """An optional scalar field of `m`: its value, or None when absent."""
    return getattr(m, field) if m.HasField(field) else None


def id_problem(match_id: str, state: str) -> str | None:
    """Why an envelope's ids break the contract's rules (None when they do not)."""
    if _MATCH_ID.fullmatch(match_id) is None:
        if not match_id:
            return "match_id is empty; it is required"
        return f"match_id {_quote(match_id)} must be 1..={MAX_MATCH_ID_BYTES} bytes of printable ASCII without spaces"
    if _STATE.fullmatch(state) is None:
        if not state:
            return "state is empty; it is required"
        return (
            f"state {_quote(state)} must be 1..={MAX_STATE_BYTES} bytes of letters, digits, `-`, `_` and `.`, "
            "starting with a letter or digit"
        )
    return None


def _quote(value: str, limit: int = 40) -> str:
    """A short quotation of untrusted input for a message."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value.encode('utf-8'))} bytes)"


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
            status_quo=_opt(i, "status_quo"),
            reversion=_opt(i, "reversion"),
            in_scope=i.in_scope,
            binding=i.binding,
            legally_binding=i.legally_binding,
            recurring=i.recurring,
            group=_opt(i, "group"),
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
        group_packages=r.group_packages,
        moscow_mechanism=r.moscow_mechanism,
        crisis_threshold=r.crisis_threshold,
        forfeit=r.forfeit,
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
        bargaining_power=b.bargaining_power,
        voting_weight=b.voting_weight,
        absent_items=tuple(b.absent_items),
        groups=tuple(GroupInfo(g.id, g.title, tuple(g.items)) for g in b.groups),
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
        offers=tuple(PublicOffer(getattr(o, "from"), o.support, o.want, o.target, o.tolerance) for o in c.offers),
        package=tuple(PackageEntry(e.item, e.value, _opt(e, "status_quo")) for e in c.package),
        group=_opt(c, "group"),
    )


def view(v: pb.SeatView) -> View:
    # Positional, in field order: this runs for every question.
    return View(
        v.legitimacy,
        v.tension,
        v.shamed,
        v.red_line_scale,
        v.security_salience,
        v.crisis,
        v.refused_link if v.HasField("refused_link") else None,
        v.refused_offer if v.HasField("refused_offer") else None,
    )


def outcome(o: pb.ItemOutcome) -> Outcome:
    """The `Outcome` of a notice; `Refused` when its decision is unspecified or unknown."""
    return Outcome(
        session=o.session,
        item=o.item,
        decision=_enum(_DECISIONS, o.decision, "outcome.decision"),
        outcome=_opt(o, "outcome"),
        binding=o.binding,
        rounds=o.rounds,
        objections_by_bloc=tuple(o.objections_by_bloc),
        shamed=tuple(o.shamed),
        in_force=_opt(o, "in_force"),
        legally_binding=o.legally_binding,
        objectors=tuple(o.objectors),
        package=_opt(o, "package"),
    )


def summary(s: pb.SessionSummary, what: str = "session_end.summary") -> Summary:
    """The `Summary` of a question's summary; `Refused` when an event's kind is
    unspecified or unknown."""
    return Summary(
        session=s.session,
        decided=s.decided,
        items=s.items,
        my_gain=s.my_gain,
        tension=tuple(TensionPair(t.a, t.b, t.value) for t in s.tension),
        shamed=tuple(s.shamed),
        events=tuple(
            EventInfo(_enum(_EVENTS, e.kind, f"{what}.events[{n}].kind"), e.a, e.b) for n, e in enumerate(s.events)
        ),
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


def _index(x, what: str, expected: str) -> int:
    """A uint32 index (`link`, `offer.item`, `invoke`)."""
    if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < 2**32:
        raise StrategyError(f"{what} is {x!r}; expected {expected}")
    return int(x)


def position_answer(p) -> pb.PositionAnswer:
    if not isinstance(p, Position):
        raise StrategyError(
            f"position() returned {p!r} ({type(p).__name__}); "
            "return Position(position, salience, link=None, offer=None, invoke=None)"
        )
    a = pb.PositionAnswer(
        position=_number(p.position, "Position.position"), salience=_number(p.salience, "Position.salience")
    )
    if p.link is not None:
        a.link = _index(p.link, "Position.link", "None or an agenda index")
    if p.offer is not None:
        o = p.offer
        if not isinstance(o, Offer):
            raise StrategyError(
                f"Position.offer is {o!r} ({type(o).__name__}); expected None or Offer(item, target, tolerance)"
            )
        a.offer.item = _index(o.item, "Position.offer.item", "an agenda index")
        a.offer.target = _number(o.target, "Position.offer.target")
        a.offer.tolerance = _number(o.tolerance, "Position.offer.tolerance")
    if p.invoke is not None:
        a.invoke = _index(p.invoke, "Position.invoke", "None or a seat index")
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


def _num_text(x: float) -> str:
    """`x` as the chair's (Rust's) messages print a number: `NaN`, `inf`, `140`, `0.5`."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    t = format(Decimal(repr(x)), "f")  # shortest round-trip digits, no exponent
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


def _range_problem(field: str, x: float, lo: float, hi: float) -> str | None:
    if not math.isfinite(x):
        return f"`{field}` is {_num_text(x)}: it must be a finite number in {_num_text(lo)}..={_num_text(hi)}"
    if x < lo or x > hi:
        return f"`{field}` is {_num_text(x)}: it must be in {_num_text(lo)}..={_num_text(hi)}"
    return None


def _item_problem(field: str, target: int, items: int, item: int) -> str | None:
    if target >= items:
        return f"`{field}` is {target}: it must name another agenda item (0..={max(items - 1, 0)})"
    if target == item:
        return f"`{field}` is {target}: that is the item under discussion; it must name another agenda item"
    return None


def position_problem(a: pb.PositionAnswer, b: Brief, item: int) -> str | None:
    """Why the chair will not count this position on agenda item `item` of the seat
    briefed by `b` (None when it will): the rules and the wording of the chair's own
    validator (`crates/core/src/answers.rs`), as a warning for the strategy's author; the
    chair's check decides."""
    # The common case first (NaN fails the comparisons): this runs for every position.
    if (
        0.0 <= a.position <= 100.0
        and 0.0 <= a.salience <= 1.0
        and not (a.HasField("link") or a.HasField("offer") or a.HasField("invoke"))
    ):
        return None
    problem = _range_problem("position", a.position, 0.0, 100.0) or _range_problem("salience", a.salience, 0.0, 1.0)
    if problem is not None:
        return problem
    items = len(b.items)
    if a.HasField("link"):
        problem = _item_problem("link", a.link, items, item)
        if problem is not None:
            return problem
    if a.HasField("offer"):
        o = a.offer
        problem = (
            _item_problem("offer.item", o.item, items, item)
            or _range_problem("offer.target", o.target, 0.0, 100.0)
            or _range_problem("offer.tolerance", o.tolerance, 0.0, 100.0)
        )
        if problem is not None:
            return problem
    if a.HasField("invoke"):
        t, seats = a.invoke, b.rules.states
        if t >= seats:
            return f"`invoke` is {t}: it must name a seat (0..={max(seats - 1, 0)})"
        if t == b.seat:
            return f"`invoke` is {t}: that is the invoking seat itself"
        dimension = b.items[item].dimension if 0 <= item < items else None
        if dimension is not Dimension.HUMAN:
            name = dimension.name.lower().replace("_", "-") if dimension is not None else "unknown"
            return (
                f"`invoke` is {t}: set on item {item} of the {name} dimension; "
                "the Moscow Mechanism is invoked on human-dimension items only"
            )
    return None


def clip(message: str, limit: int = MAX_REFUSAL_BYTES) -> str:
    """`message` cut to at most `limit` bytes of UTF-8."""
    b = message.encode("utf-8")
    if len(b) <= limit:
        return message
    return b[: limit - 3].decode("utf-8", "ignore") + "..."
