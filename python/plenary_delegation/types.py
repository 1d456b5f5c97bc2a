"""The typed Python view of the plenary.v2 messages a strategy sees and returns.

Every class here mirrors one message or enum of `proto/plenary/v2/delegation.proto`
(same field names, same meaning, same units): the SDK converts the wire messages into
these frozen dataclasses before calling the strategy and converts the strategy's answers
back. Policy values are on each item's 0..100 scale, saliences in 0..1.

Enum members carry the wire numbers, without the `UNSPECIFIED` value: the SDK refuses a
question whose required enum is unspecified or unknown before the strategy sees it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple

__all__ = [
    "Dimension",
    "ItemKind",
    "Mediation",
    "Linkage",
    "Phase",
    "Vote",
    "Decision",
    "EventKind",
    "Stance",
    "ItemInfo",
    "GroupInfo",
    "Preference",
    "Rules",
    "Brief",
    "BlocSignal",
    "PublicOffer",
    "PackageEntry",
    "Context",
    "View",
    "Outcome",
    "TensionPair",
    "EventInfo",
    "Summary",
    "Offer",
    "Position",
]


class Dimension(enum.IntEnum):
    """The dimension (Helsinki "basket") an item belongs to."""

    POLITICO_MILITARY = 1
    """Arms control, confidence- and security-building measures, conflict prevention."""
    ECONOMIC_ENVIRONMENTAL = 2
    """Economic and environmental co-operation."""
    HUMAN = 3
    """Human rights, democratic institutions, media freedom."""
    GENERAL = 4
    """Organisational items that serve the whole Organization."""


class ItemKind(enum.IntEnum):
    """What kind of decision an item asks for."""

    UNIFIED_BUDGET = 1
    """The yearly Unified Budget."""
    APPOINTMENT = 2
    """Appointment or renewal of a head of institution."""
    FIELD_MISSION = 3
    """Establishing or extending a field mission's mandate."""
    CSBM = 4
    """Confidence- and security-building measures."""
    ELECTION_OBSERVATION = 5
    """Election observation mandates and standards."""
    DECLARATION = 6
    """A Ministerial or Permanent Council declaration."""
    VIOLATION_RESPONSE = 7
    """A response to a clear, gross and uncorrected violation by one State."""


class Mediation(enum.IntEnum):
    """How the chair builds a proposal from the stated positions."""

    COMPROMISE = 1
    """Capability x salience weighted mean of positions."""
    NASH = 2
    """Nash bargaining solution against the status quo."""
    MAX_SUPPORT = 3
    """The point the largest capability-weighted coalition prefers to the status quo."""


class Linkage(enum.IntEnum):
    """Which issue linkage the chair accepts."""

    NONE = 1
    """No linkage at all."""
    SAME_DIMENSION = 2
    """Linkage only between items of the same dimension."""
    ANY = 3
    """Any linkage, across dimensions too."""


class Phase(enum.IntEnum):
    """Which question a round asks."""

    POSITIONS = 1
    """State a position (and optionally a linkage): `Strategy.position` is called."""
    DECISION = 2
    """Accept, object to or abstain on the chair's proposal: `Strategy.vote`."""
    SILENCE = 3
    """The proposal is under the silence procedure (NO breaks silence): `Strategy.vote`."""
    PACKAGE = 4
    """Package vote: `Strategy.vote` with `Context.item` equal to the agenda length, no
    proposal, `Context.package` listing the items and the values they would take, and
    `Context.group` naming the item group (None: the whole session's package of a design
    where "nothing is agreed until everything is agreed")."""


class Vote(enum.IntEnum):
    """A vote on a proposal (the answer of `Strategy.vote`)."""

    YES = 1
    """Accept (under consensus: no objection; under silence: keep silence)."""
    NO = 2
    """Object / vote no / break silence."""
    ABSTAIN = 3
    """Abstain."""


class Decision(enum.IntEnum):
    """How an item ended."""

    ADOPTED = 1
    """Adopted by the body's rule."""
    ADOPTED_BY_SILENCE = 2
    """Adopted under the silence procedure."""
    AD_HOC = 3
    """Failed; the States that accepted apply it among themselves."""
    PROVISIONAL = 4
    """Budget blocked: provisional 1/12 allotments of the last budget."""
    REVERTED = 5
    """Failed: the reversion point applies."""
    OUT_OF_SCOPE = 6
    """No body of the design may decide it."""
    PACKAGE_FAILED = 7
    """Agreed on its own but lost in the final package vote."""
    SUSPENDED = 8
    """Co-operation suspended by a crisis: not negotiated; the deadlock fallback applies."""
    SETTLED = 9
    """One-off item decided in an earlier session (results only; never sent)."""


class EventKind(enum.IntEnum):
    """Kinds of steps-to-war events (`Summary.events`)."""

    EXERCISE = 1
    """A power demonstration (large military exercise)."""
    ALLIANCE = 2
    """Alliance building (enlargement)."""
    ARMAMENT = 3
    """Armament."""
    INCIDENT = 4
    """An incident."""


class Stance(enum.IntEnum):
    """A State's stance at the end of a session (the answer of `Strategy.session_end`)."""

    STAY = 1
    """Keep taking part as usual."""
    WITHHOLD = 2
    """Take part but withhold budget contributions next session."""
    EXIT = 3
    """Leave the organisation (if the design allows exit; `Rules.exit_allowed`)."""


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """Public description of an agenda item."""

    index: int
    """Index on the agenda (what every later message refers to)."""
    id: str
    """Short id."""
    title: str
    """Title."""
    dimension: Dimension
    """Dimension."""
    kind: ItemKind
    """Kind of decision."""
    status_quo: Optional[float]
    """Status quo at the start of the match (0..100); None = no common policy yet."""
    reversion: Optional[float]
    """What a deadlock leads to (0..100); None = the policy in force stays (including
    what earlier sessions agreed)."""
    in_scope: bool
    """Whether a body of the design may decide it (False = out of scope)."""
    binding: bool
    """Whether a decision on it would bind."""
    legally_binding: bool = False
    """Whether a decision on it would be international law (not only politically
    binding)."""
    recurring: bool = False
    """Whether it comes back every session (a one-off item once decided is not
    re-opened)."""
    group: Optional[int] = None
    """Index of its group in `Brief.groups`; None when it belongs to no group."""


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """An item group the chair may put to one package vote (`Brief.groups`)."""

    id: str
    """Short id."""
    title: str
    """Title."""
    items: Tuple[int, ...]
    """Agenda indices of its items."""


@dataclass(frozen=True, slots=True)
class Preference:
    """This State's private view of one item (only ever sent to its own seat)."""

    ideal: float
    """Ideal point on the item's scale (0..100)."""
    salience: float
    """How much the item matters (0..1)."""
    red_line: float
    """Largest distance from the ideal the State can live with."""
    capability: float
    """Capability the State brings to bear on this item."""


@dataclass(frozen=True, slots=True)
class Rules:
    """The public rules of the design the seat plays under."""

    design: str
    """Design id."""
    sessions: int
    """Sessions in the match."""
    max_rounds: int
    """Rounds per item."""
    mediation: Mediation
    """How the chair builds proposals."""
    linkage: Linkage
    """Which links and offers the chair accepts (a refused link or offer has no effect;
    `View.refused_link` / `View.refused_offer` tell)."""
    naming_shaming: bool
    """Naming and shaming on."""
    exit_allowed: bool
    """Whether `Stance.EXIT` is allowed."""
    states: int
    """Number of States (seats) in the match."""
    group_packages: bool = False
    """Whether the chair may put item groups to package votes."""
    moscow_mechanism: int = 0
    """States needed to invoke the Moscow Mechanism (`Position.invoke`); 0 = not
    available."""
    crisis_threshold: float = 0.0
    """Tension at which a bloc pair is in crisis."""
    forfeit: float = 0.0
    """Share of the open stake a seat forfeits at its first violation (what faults
    cost)."""


@dataclass(frozen=True, slots=True)
class Brief:
    """Everything public about the match a seat needs, plus its own private preferences.

    The factory given to `serve` receives it once per seat; `preferences[i]` is this
    State's view of `items[i]`.
    """

    match_id: str
    """Opaque match id (1..256 bytes of printable ASCII without spaces)."""
    state: str
    """The State this seat plays (ISO3 id in the presets)."""
    seat: int
    """Seat index (position of the State in id order)."""
    bloc: str
    """The seat's bloc id."""
    bloc_index: int
    """Index of the bloc in `blocs` (and in `Context.blocs`)."""
    bloc_leader: bool
    """Whether this State has the largest capability in its bloc."""
    capability: float
    """Capability weight."""
    seed: int
    """Seed of the seat's own random stream: the only allowed source of randomness
    (e.g. `random.Random(brief.seed)`)."""
    blocs: Tuple[str, ...]
    """Bloc ids, by index."""
    items: Tuple[ItemInfo, ...]
    """The agenda."""
    preferences: Tuple[Preference, ...]
    """This State's private preferences, one per item, in agenda order."""
    rules: Rules
    """Public rules of the game."""
    bargaining_power: float = 0.0
    """Weight in mediation."""
    voting_weight: float = 0.0
    """Weight in weighted votes."""
    absent_items: Tuple[int, ...] = ()
    """Agenda indices of the items on which this State has no position (it is never
    asked about them)."""
    groups: Tuple[GroupInfo, ...] = ()
    """Item groups, by index (`ItemInfo.group`, `Context.group`)."""


@dataclass(frozen=True, slots=True)
class BlocSignal:
    """What one bloc did in the last round (public record of the plenary)."""

    mean_position: float
    """Capability-weighted mean of the bloc's stated positions (the status quo when
    nobody spoke)."""
    objections: int
    """Members that objected in the last decision round."""
    present: int
    """Members taking part."""
    leader_position: Optional[float]
    """Position stated by the bloc's leader, if it spoke."""
    leader_vote: Optional[Vote]
    """The leader's last vote, if any."""


@dataclass(frozen=True, slots=True)
class PublicOffer:
    """A trade offer on the public record: seat `from_` supports item `support` if item
    `want` ends within `tolerance` of `target` (`Context.offers`)."""

    from_: int
    """Seat that offers (the wire's `from`, a Python keyword)."""
    support: int
    """The item it will support."""
    want: int
    """The item it wants moved."""
    target: float
    """Where it wants that item (0..100)."""
    tolerance: float
    """How close to the target is enough (0..100)."""


@dataclass(frozen=True, slots=True)
class PackageEntry:
    """One item of a package put to a vote (`Context.package`)."""

    item: int
    """Agenda index."""
    value: float
    """The value the item takes if the package passes."""
    status_quo: Optional[float]
    """The policy in force on it before the package; None = none yet."""


@dataclass(frozen=True, slots=True)
class Context:
    """The public state of the current round (the same for every seat asked)."""

    session: int
    """Session number (0-based)."""
    item: int
    """Agenda index of the item (the agenda length for the package vote)."""
    round: int
    """Round within the item (0-based)."""
    phase: Phase
    """What is asked."""
    proposal: Optional[float]
    """The proposal on the table (decision and silence phases; in later positions rounds
    the last failed proposal; None in the first positions round and the package vote)."""
    blocs: Tuple[BlocSignal, ...]
    """Per bloc (the brief's bloc order), what happened in the last round."""
    last_objections: int
    """Objections in the last decision round."""
    offers: Tuple[PublicOffer, ...] = ()
    """Open trade offers that want movement on this item."""
    package: Tuple[PackageEntry, ...] = ()
    """In a package vote: the items in the package and the values they would take
    (empty otherwise)."""
    group: Optional[int] = None
    """In a package vote over an item group: the group's index in `Brief.groups`; None
    otherwise (and in the whole session's package vote)."""


@dataclass(frozen=True, slots=True)
class View:
    """What only this seat sees with a question: its own standing."""

    legitimacy: float
    """Legitimacy of the institution in this State's eyes (0..1)."""
    tension: float
    """Highest tension between this State's bloc and any other (0..1)."""
    shamed: int
    """Times this State was named and shamed in the match so far."""
    red_line_scale: float = 1.0
    """Multiply red lines by this (0.1..1.25; 1 = as at the start of the match)."""
    security_salience: float = 1.0
    """Multiply politico-military salience by this (>= 1)."""
    crisis: bool = False
    """This State's bloc is in crisis with some other bloc."""
    refused_link: Optional[int] = None
    """The item named by this seat's link on the current item when the chair refused
    that link (it has no effect); None when no link was refused."""
    refused_offer: Optional[int] = None
    """The item wanted by this seat's offer on the current item when the chair refused
    that offer (it has no effect); None when no offer was refused."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The public outcome of one item (a notice: `Strategy.outcome` returns nothing).

    In designs with a package vote an item agreed on its own is announced twice: when
    provisionally agreed and again after the package vote (the same, or PACKAGE_FAILED).
    """

    session: int
    """Session."""
    item: int
    """Item index."""
    decision: Decision
    """How it ended."""
    outcome: Optional[float]
    """The outcome decided: the adopted value, or the fallback applied on deadlock
    (reversion point, last budget, the ad hoc arrangement's value); None when the item
    had no policy and none was agreed."""
    binding: bool
    """Whether it binds."""
    rounds: int
    """Rounds used."""
    objections_by_bloc: Tuple[int, ...]
    """Objections in the final round, per bloc (the brief's bloc order)."""
    shamed: Tuple[str, ...]
    """States named and shamed over this item (ids)."""
    in_force: Optional[float]
    """The organisation's policy now in force on the item (differs from `outcome` for
    non-binding decisions and ad hoc arrangements, which leave it unchanged); None = no
    policy."""
    legally_binding: bool = False
    """Whether it binds as international law."""
    objectors: Tuple[int, ...] = ()
    """Seats that objected in the final round."""
    package: Optional[int] = None
    """The group (index in `Brief.groups`) whose package vote decided it; None when no
    group package vote did."""


@dataclass(frozen=True, slots=True)
class TensionPair:
    """Tension between one pair of blocs."""

    a: int
    """First bloc index (a < b)."""
    b: int
    """Second bloc index."""
    value: float
    """Tension (0..1)."""


@dataclass(frozen=True, slots=True)
class EventInfo:
    """A step-to-war event on the public record (`Summary.events`)."""

    kind: EventKind
    """What happened."""
    a: int
    """One bloc of the pair (bloc index)."""
    b: int
    """The other bloc."""


@dataclass(frozen=True, slots=True)
class Summary:
    """Summary of a finished session, as seen by one seat."""

    session: int
    """Session number."""
    decided: int
    """Items decided."""
    items: int
    """Items on the agenda."""
    my_gain: float
    """This State's utility gain over the status quo this session."""
    tension: Tuple[TensionPair, ...]
    """Tension per bloc pair."""
    shamed: Tuple[int, ...] = ()
    """Seats named in conduct reports or by a Moscow Mechanism mission this session."""
    events: Tuple[EventInfo, ...] = ()
    """Steps-to-war events of the session."""


@dataclass(frozen=True, slots=True)
class Offer:
    """A trade offer attached to a position (`Position.offer`): support on the current
    item while item `item` stands within `tolerance` of `target`."""

    item: int
    """The item that must move (the agenda index of ANOTHER item)."""
    target: float
    """Where it must be (0..100)."""
    tolerance: float
    """How close to the target is enough (0..100)."""


@dataclass(frozen=True, slots=True)
class Position:
    """The answer of `Strategy.position`.

    The chair accepts `position` finite within 0..100, `salience` finite within 0..1,
    `link` (when set) the agenda index of ANOTHER item, `offer` (when set) naming another
    item with `target` and `tolerance` within 0..100, and `invoke` (when set) another
    seat of the match on a human-dimension item; anything else counts as no answer plus
    a violation of the seat. A link or offer the design does not allow is valid but has
    no effect (`View.refused_link` / `View.refused_offer`).
    """

    position: float
    """Stated position on the item's scale (need not be the true ideal)."""
    salience: float
    """Stated salience."""
    link: Optional[int] = None
    """Optional negative linkage: consent on this item becomes conditional on item
    `link` ending no worse for this State than its status quo at the start of the
    match."""
    offer: Optional[Offer] = None
    """Optional trade offer (positive linkage): this seat supports the current item
    while item `offer.item` stands within `offer.tolerance` of `offer.target`. Open
    offers appear to every seat in `Context.offers` of the item they want moved."""
    invoke: Optional[int] = None
    """Optional invocation of the Moscow Mechanism against the State in this seat index
    (human-dimension items only; `Rules.moscow_mechanism` States are needed)."""
