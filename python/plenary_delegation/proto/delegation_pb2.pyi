from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIMENSION_UNSPECIFIED: _ClassVar[Dimension]
    DIMENSION_POLITICO_MILITARY: _ClassVar[Dimension]
    DIMENSION_ECONOMIC_ENVIRONMENTAL: _ClassVar[Dimension]
    DIMENSION_HUMAN: _ClassVar[Dimension]
    DIMENSION_GENERAL: _ClassVar[Dimension]

class ItemKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_KIND_UNSPECIFIED: _ClassVar[ItemKind]
    ITEM_KIND_UNIFIED_BUDGET: _ClassVar[ItemKind]
    ITEM_KIND_APPOINTMENT: _ClassVar[ItemKind]
    ITEM_KIND_FIELD_MISSION: _ClassVar[ItemKind]
    ITEM_KIND_CSBM: _ClassVar[ItemKind]
    ITEM_KIND_ELECTION_OBSERVATION: _ClassVar[ItemKind]
    ITEM_KIND_DECLARATION: _ClassVar[ItemKind]
    ITEM_KIND_VIOLATION_RESPONSE: _ClassVar[ItemKind]

class Mediation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEDIATION_UNSPECIFIED: _ClassVar[Mediation]
    MEDIATION_COMPROMISE: _ClassVar[Mediation]
    MEDIATION_NASH: _ClassVar[Mediation]
    MEDIATION_MAX_SUPPORT: _ClassVar[Mediation]

class Linkage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINKAGE_UNSPECIFIED: _ClassVar[Linkage]
    LINKAGE_NONE: _ClassVar[Linkage]
    LINKAGE_SAME_DIMENSION: _ClassVar[Linkage]
    LINKAGE_ANY: _ClassVar[Linkage]

class Phase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PHASE_UNSPECIFIED: _ClassVar[Phase]
    PHASE_POSITIONS: _ClassVar[Phase]
    PHASE_DECISION: _ClassVar[Phase]
    PHASE_SILENCE: _ClassVar[Phase]
    PHASE_PACKAGE: _ClassVar[Phase]

class Vote(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOTE_UNSPECIFIED: _ClassVar[Vote]
    VOTE_YES: _ClassVar[Vote]
    VOTE_NO: _ClassVar[Vote]
    VOTE_ABSTAIN: _ClassVar[Vote]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_ADOPTED: _ClassVar[Decision]
    DECISION_ADOPTED_BY_SILENCE: _ClassVar[Decision]
    DECISION_AD_HOC: _ClassVar[Decision]
    DECISION_PROVISIONAL: _ClassVar[Decision]
    DECISION_REVERTED: _ClassVar[Decision]
    DECISION_OUT_OF_SCOPE: _ClassVar[Decision]
    DECISION_PACKAGE_FAILED: _ClassVar[Decision]
    DECISION_SUSPENDED: _ClassVar[Decision]
    DECISION_SETTLED: _ClassVar[Decision]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_EXERCISE: _ClassVar[EventKind]
    EVENT_KIND_ALLIANCE: _ClassVar[EventKind]
    EVENT_KIND_ARMAMENT: _ClassVar[EventKind]
    EVENT_KIND_INCIDENT: _ClassVar[EventKind]

class Stance(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STANCE_UNSPECIFIED: _ClassVar[Stance]
    STANCE_STAY: _ClassVar[Stance]
    STANCE_WITHHOLD: _ClassVar[Stance]
    STANCE_EXIT: _ClassVar[Stance]
DIMENSION_UNSPECIFIED: Dimension
DIMENSION_POLITICO_MILITARY: Dimension
DIMENSION_ECONOMIC_ENVIRONMENTAL: Dimension
DIMENSION_HUMAN: Dimension
DIMENSION_GENERAL: Dimension
ITEM_KIND_UNSPECIFIED: ItemKind
ITEM_KIND_UNIFIED_BUDGET: ItemKind
ITEM_KIND_APPOINTMENT: ItemKind
ITEM_KIND_FIELD_MISSION: ItemKind
ITEM_KIND_CSBM: ItemKind
ITEM_KIND_ELECTION_OBSERVATION: ItemKind
ITEM_KIND_DECLARATION: ItemKind
ITEM_KIND_VIOLATION_RESPONSE: ItemKind
MEDIATION_UNSPECIFIED: Mediation
MEDIATION_COMPROMISE: Mediation
MEDIATION_NASH: Mediation
MEDIATION_MAX_SUPPORT: Mediation
LINKAGE_UNSPECIFIED: Linkage
LINKAGE_NONE: Linkage
LINKAGE_SAME_DIMENSION: Linkage
LINKAGE_ANY: Linkage
PHASE_UNSPECIFIED: Phase
PHASE_POSITIONS: Phase
PHASE_DECISION: Phase
PHASE_SILENCE: Phase
PHASE_PACKAGE: Phase
VOTE_UNSPECIFIED: Vote
VOTE_YES: Vote
VOTE_NO: Vote
VOTE_ABSTAIN: Vote
DECISION_UNSPECIFIED: Decision
DECISION_ADOPTED: Decision
DECISION_ADOPTED_BY_SILENCE: Decision
DECISION_AD_HOC: Decision
DECISION_PROVISIONAL: Decision
DECISION_REVERTED: Decision
DECISION_OUT_OF_SCOPE: Decision
DECISION_PACKAGE_FAILED: Decision
DECISION_SUSPENDED: Decision
DECISION_SETTLED: Decision
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_EXERCISE: EventKind
EVENT_KIND_ALLIANCE: EventKind
EVENT_KIND_ARMAMENT: EventKind
EVENT_KIND_INCIDENT: EventKind
STANCE_UNSPECIFIED: Stance
STANCE_STAY: Stance
STANCE_WITHHOLD: Stance
STANCE_EXIT: Stance

class ChairFrame(_message.Message):
    __slots__ = ("hello", "batch")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    hello: ChairHello
    batch: Batch
    def __init__(self, hello: _Optional[_Union[ChairHello, _Mapping]] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class DelegationFrame(_message.Message):
    __slots__ = ("hello", "answers")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    hello: DelegationHello
    answers: Answers
    def __init__(self, hello: _Optional[_Union[DelegationHello, _Mapping]] = ..., answers: _Optional[_Union[Answers, _Mapping]] = ...) -> None: ...

class ChairHello(_message.Message):
    __slots__ = ("versions", "chair_id")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CHAIR_ID_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedScalarFieldContainer[int]
    chair_id: str
    def __init__(self, versions: _Optional[_Iterable[int]] = ..., chair_id: _Optional[str] = ...) -> None: ...

class DelegationHello(_message.Message):
    __slots__ = ("version", "agent")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    version: int
    agent: str
    def __init__(self, version: _Optional[int] = ..., agent: _Optional[str] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[Envelope]
    def __init__(self, messages: _Optional[_Iterable[_Union[Envelope, _Mapping]]] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("match_id", "state", "seq", "deadline_ms", "open", "position", "vote", "session_end", "outcome", "close")
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    VOTE_FIELD_NUMBER: _ClassVar[int]
    SESSION_END_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    match_id: str
    state: str
    seq: int
    deadline_ms: int
    open: SeatBrief
    position: PositionQuestion
    vote: VoteQuestion
    session_end: SessionEndQuestion
    outcome: ItemOutcome
    close: CloseSeat
    def __init__(self, match_id: _Optional[str] = ..., state: _Optional[str] = ..., seq: _Optional[int] = ..., deadline_ms: _Optional[int] = ..., open: _Optional[_Union[SeatBrief, _Mapping]] = ..., position: _Optional[_Union[PositionQuestion, _Mapping]] = ..., vote: _Optional[_Union[VoteQuestion, _Mapping]] = ..., session_end: _Optional[_Union[SessionEndQuestion, _Mapping]] = ..., outcome: _Optional[_Union[ItemOutcome, _Mapping]] = ..., close: _Optional[_Union[CloseSeat, _Mapping]] = ...) -> None: ...

class Answers(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedCompositeFieldContainer[Answer]
    def __init__(self, answers: _Optional[_Iterable[_Union[Answer, _Mapping]]] = ...) -> None: ...

class Answer(_message.Message):
    __slots__ = ("match_id", "state", "seq", "opened", "position", "vote", "stance", "refusal")
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    VOTE_FIELD_NUMBER: _ClassVar[int]
    STANCE_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    match_id: str
    state: str
    seq: int
    opened: Opened
    position: PositionAnswer
    vote: VoteAnswer
    stance: StanceAnswer
    refusal: Refusal
    def __init__(self, match_id: _Optional[str] = ..., state: _Optional[str] = ..., seq: _Optional[int] = ..., opened: _Optional[_Union[Opened, _Mapping]] = ..., position: _Optional[_Union[PositionAnswer, _Mapping]] = ..., vote: _Optional[_Union[VoteAnswer, _Mapping]] = ..., stance: _Optional[_Union[StanceAnswer, _Mapping]] = ..., refusal: _Optional[_Union[Refusal, _Mapping]] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ItemInfo(_message.Message):
    __slots__ = ("index", "id", "title", "dimension", "kind", "status_quo", "reversion", "in_scope", "binding", "legally_binding", "recurring", "group")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_QUO_FIELD_NUMBER: _ClassVar[int]
    REVERSION_FIELD_NUMBER: _ClassVar[int]
    IN_SCOPE_FIELD_NUMBER: _ClassVar[int]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    LEGALLY_BINDING_FIELD_NUMBER: _ClassVar[int]
    RECURRING_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    index: int
    id: str
    title: str
    dimension: Dimension
    kind: ItemKind
    status_quo: float
    reversion: float
    in_scope: bool
    binding: bool
    legally_binding: bool
    recurring: bool
    group: int
    def __init__(self, index: _Optional[int] = ..., id: _Optional[str] = ..., title: _Optional[str] = ..., dimension: _Optional[_Union[Dimension, str]] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., status_quo: _Optional[float] = ..., reversion: _Optional[float] = ..., in_scope: _Optional[bool] = ..., binding: _Optional[bool] = ..., legally_binding: _Optional[bool] = ..., recurring: _Optional[bool] = ..., group: _Optional[int] = ...) -> None: ...

class GroupInfo(_message.Message):
    __slots__ = ("id", "title", "items")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    items: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., items: _Optional[_Iterable[int]] = ...) -> None: ...

class Preference(_message.Message):
    __slots__ = ("ideal", "salience", "red_line", "capability")
    IDEAL_FIELD_NUMBER: _ClassVar[int]
    SALIENCE_FIELD_NUMBER: _ClassVar[int]
    RED_LINE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    ideal: float
    salience: float
    red_line: float
    capability: float
    def __init__(self, ideal: _Optional[float] = ..., salience: _Optional[float] = ..., red_line: _Optional[float] = ..., capability: _Optional[float] = ...) -> None: ...

class PublicRules(_message.Message):
    __slots__ = ("design", "sessions", "max_rounds", "mediation", "linkage", "naming_shaming", "exit_allowed", "states", "group_packages", "moscow_mechanism", "crisis_threshold", "forfeit")
    DESIGN_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_ROUNDS_FIELD_NUMBER: _ClassVar[int]
    MEDIATION_FIELD_NUMBER: _ClassVar[int]
    LINKAGE_FIELD_NUMBER: _ClassVar[int]
    NAMING_SHAMING_FIELD_NUMBER: _ClassVar[int]
    EXIT_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    GROUP_PACKAGES_FIELD_NUMBER: _ClassVar[int]
    MOSCOW_MECHANISM_FIELD_NUMBER: _ClassVar[int]
    CRISIS_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FORFEIT_FIELD_NUMBER: _ClassVar[int]
    design: str
    sessions: int
    max_rounds: int
    mediation: Mediation
    linkage: Linkage
    naming_shaming: bool
    exit_allowed: bool
    states: int
    group_packages: bool
    moscow_mechanism: int
    crisis_threshold: float
    forfeit: float
    def __init__(self, design: _Optional[str] = ..., sessions: _Optional[int] = ..., max_rounds: _Optional[int] = ..., mediation: _Optional[_Union[Mediation, str]] = ..., linkage: _Optional[_Union[Linkage, str]] = ..., naming_shaming: _Optional[bool] = ..., exit_allowed: _Optional[bool] = ..., states: _Optional[int] = ..., group_packages: _Optional[bool] = ..., moscow_mechanism: _Optional[int] = ..., crisis_threshold: _Optional[float] = ..., forfeit: _Optional[float] = ...) -> None: ...

class SeatBrief(_message.Message):
    __slots__ = ("match_id", "state", "seat", "bloc", "bloc_index", "bloc_leader", "capability", "seed", "blocs", "items", "preferences", "rules", "bargaining_power", "voting_weight", "absent_items", "groups")
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    BLOC_FIELD_NUMBER: _ClassVar[int]
    BLOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    BLOC_LEADER_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    BLOCS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    BARGAINING_POWER_FIELD_NUMBER: _ClassVar[int]
    VOTING_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    ABSENT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    match_id: str
    state: str
    seat: int
    bloc: str
    bloc_index: int
    bloc_leader: bool
    capability: float
    seed: int
    blocs: _containers.RepeatedScalarFieldContainer[str]
    items: _containers.RepeatedCompositeFieldContainer[ItemInfo]
    preferences: _containers.RepeatedCompositeFieldContainer[Preference]
    rules: PublicRules
    bargaining_power: float
    voting_weight: float
    absent_items: _containers.RepeatedScalarFieldContainer[int]
    groups: _containers.RepeatedCompositeFieldContainer[GroupInfo]
    def __init__(self, match_id: _Optional[str] = ..., state: _Optional[str] = ..., seat: _Optional[int] = ..., bloc: _Optional[str] = ..., bloc_index: _Optional[int] = ..., bloc_leader: _Optional[bool] = ..., capability: _Optional[float] = ..., seed: _Optional[int] = ..., blocs: _Optional[_Iterable[str]] = ..., items: _Optional[_Iterable[_Union[ItemInfo, _Mapping]]] = ..., preferences: _Optional[_Iterable[_Union[Preference, _Mapping]]] = ..., rules: _Optional[_Union[PublicRules, _Mapping]] = ..., bargaining_power: _Optional[float] = ..., voting_weight: _Optional[float] = ..., absent_items: _Optional[_Iterable[int]] = ..., groups: _Optional[_Iterable[_Union[GroupInfo, _Mapping]]] = ...) -> None: ...

class Opened(_message.Message):
    __slots__ = ("strategy",)
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    strategy: str
    def __init__(self, strategy: _Optional[str] = ...) -> None: ...

class BlocSignal(_message.Message):
    __slots__ = ("mean_position", "objections", "present", "leader_position", "leader_vote")
    MEAN_POSITION_FIELD_NUMBER: _ClassVar[int]
    OBJECTIONS_FIELD_NUMBER: _ClassVar[int]
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    LEADER_POSITION_FIELD_NUMBER: _ClassVar[int]
    LEADER_VOTE_FIELD_NUMBER: _ClassVar[int]
    mean_position: float
    objections: int
    present: int
    leader_position: float
    leader_vote: Vote
    def __init__(self, mean_position: _Optional[float] = ..., objections: _Optional[int] = ..., present: _Optional[int] = ..., leader_position: _Optional[float] = ..., leader_vote: _Optional[_Union[Vote, str]] = ...) -> None: ...

class RoundContext(_message.Message):
    __slots__ = ("session", "item", "round", "phase", "proposal", "blocs", "last_objections", "offers", "package", "group")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    BLOCS_FIELD_NUMBER: _ClassVar[int]
    LAST_OBJECTIONS_FIELD_NUMBER: _ClassVar[int]
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    session: int
    item: int
    round: int
    phase: Phase
    proposal: float
    blocs: _containers.RepeatedCompositeFieldContainer[BlocSignal]
    last_objections: int
    offers: _containers.RepeatedCompositeFieldContainer[PublicOffer]
    package: _containers.RepeatedCompositeFieldContainer[PackageEntry]
    group: int
    def __init__(self, session: _Optional[int] = ..., item: _Optional[int] = ..., round: _Optional[int] = ..., phase: _Optional[_Union[Phase, str]] = ..., proposal: _Optional[float] = ..., blocs: _Optional[_Iterable[_Union[BlocSignal, _Mapping]]] = ..., last_objections: _Optional[int] = ..., offers: _Optional[_Iterable[_Union[PublicOffer, _Mapping]]] = ..., package: _Optional[_Iterable[_Union[PackageEntry, _Mapping]]] = ..., group: _Optional[int] = ...) -> None: ...

class PublicOffer(_message.Message):
    __slots__ = ("support", "want", "target", "tolerance")
    FROM_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    WANT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    support: int
    want: int
    target: float
    tolerance: float
    def __init__(self, support: _Optional[int] = ..., want: _Optional[int] = ..., target: _Optional[float] = ..., tolerance: _Optional[float] = ..., **kwargs) -> None: ...

class PackageEntry(_message.Message):
    __slots__ = ("item", "value", "status_quo")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_QUO_FIELD_NUMBER: _ClassVar[int]
    item: int
    value: float
    status_quo: float
    def __init__(self, item: _Optional[int] = ..., value: _Optional[float] = ..., status_quo: _Optional[float] = ...) -> None: ...

class SeatView(_message.Message):
    __slots__ = ("legitimacy", "tension", "shamed", "red_line_scale", "security_salience", "crisis", "refused_link", "refused_offer")
    LEGITIMACY_FIELD_NUMBER: _ClassVar[int]
    TENSION_FIELD_NUMBER: _ClassVar[int]
    SHAMED_FIELD_NUMBER: _ClassVar[int]
    RED_LINE_SCALE_FIELD_NUMBER: _ClassVar[int]
    SECURITY_SALIENCE_FIELD_NUMBER: _ClassVar[int]
    CRISIS_FIELD_NUMBER: _ClassVar[int]
    REFUSED_LINK_FIELD_NUMBER: _ClassVar[int]
    REFUSED_OFFER_FIELD_NUMBER: _ClassVar[int]
    legitimacy: float
    tension: float
    shamed: int
    red_line_scale: float
    security_salience: float
    crisis: bool
    refused_link: int
    refused_offer: int
    def __init__(self, legitimacy: _Optional[float] = ..., tension: _Optional[float] = ..., shamed: _Optional[int] = ..., red_line_scale: _Optional[float] = ..., security_salience: _Optional[float] = ..., crisis: _Optional[bool] = ..., refused_link: _Optional[int] = ..., refused_offer: _Optional[int] = ...) -> None: ...

class PositionQuestion(_message.Message):
    __slots__ = ("context", "view")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    context: RoundContext
    view: SeatView
    def __init__(self, context: _Optional[_Union[RoundContext, _Mapping]] = ..., view: _Optional[_Union[SeatView, _Mapping]] = ...) -> None: ...

class PositionAnswer(_message.Message):
    __slots__ = ("position", "salience", "link", "offer", "invoke")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SALIENCE_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    OFFER_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    position: float
    salience: float
    link: int
    offer: Offer
    invoke: int
    def __init__(self, position: _Optional[float] = ..., salience: _Optional[float] = ..., link: _Optional[int] = ..., offer: _Optional[_Union[Offer, _Mapping]] = ..., invoke: _Optional[int] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("item", "target", "tolerance")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    item: int
    target: float
    tolerance: float
    def __init__(self, item: _Optional[int] = ..., target: _Optional[float] = ..., tolerance: _Optional[float] = ...) -> None: ...

class VoteQuestion(_message.Message):
    __slots__ = ("context", "view")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    context: RoundContext
    view: SeatView
    def __init__(self, context: _Optional[_Union[RoundContext, _Mapping]] = ..., view: _Optional[_Union[SeatView, _Mapping]] = ...) -> None: ...

class VoteAnswer(_message.Message):
    __slots__ = ("vote",)
    VOTE_FIELD_NUMBER: _ClassVar[int]
    vote: Vote
    def __init__(self, vote: _Optional[_Union[Vote, str]] = ...) -> None: ...

class ItemOutcome(_message.Message):
    __slots__ = ("session", "item", "decision", "outcome", "binding", "rounds", "objections_by_bloc", "shamed", "in_force", "legally_binding", "objectors", "package")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIONS_BY_BLOC_FIELD_NUMBER: _ClassVar[int]
    SHAMED_FIELD_NUMBER: _ClassVar[int]
    IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    LEGALLY_BINDING_FIELD_NUMBER: _ClassVar[int]
    OBJECTORS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    session: int
    item: int
    decision: Decision
    outcome: float
    binding: bool
    rounds: int
    objections_by_bloc: _containers.RepeatedScalarFieldContainer[int]
    shamed: _containers.RepeatedScalarFieldContainer[str]
    in_force: float
    legally_binding: bool
    objectors: _containers.RepeatedScalarFieldContainer[int]
    package: int
    def __init__(self, session: _Optional[int] = ..., item: _Optional[int] = ..., decision: _Optional[_Union[Decision, str]] = ..., outcome: _Optional[float] = ..., binding: _Optional[bool] = ..., rounds: _Optional[int] = ..., objections_by_bloc: _Optional[_Iterable[int]] = ..., shamed: _Optional[_Iterable[str]] = ..., in_force: _Optional[float] = ..., legally_binding: _Optional[bool] = ..., objectors: _Optional[_Iterable[int]] = ..., package: _Optional[int] = ...) -> None: ...

class TensionPair(_message.Message):
    __slots__ = ("a", "b", "value")
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    a: int
    b: int
    value: float
    def __init__(self, a: _Optional[int] = ..., b: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class SessionSummary(_message.Message):
    __slots__ = ("session", "decided", "items", "my_gain", "tension", "shamed", "events")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    DECIDED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MY_GAIN_FIELD_NUMBER: _ClassVar[int]
    TENSION_FIELD_NUMBER: _ClassVar[int]
    SHAMED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    session: int
    decided: int
    items: int
    my_gain: float
    tension: _containers.RepeatedCompositeFieldContainer[TensionPair]
    shamed: _containers.RepeatedScalarFieldContainer[int]
    events: _containers.RepeatedCompositeFieldContainer[EventInfo]
    def __init__(self, session: _Optional[int] = ..., decided: _Optional[int] = ..., items: _Optional[int] = ..., my_gain: _Optional[float] = ..., tension: _Optional[_Iterable[_Union[TensionPair, _Mapping]]] = ..., shamed: _Optional[_Iterable[int]] = ..., events: _Optional[_Iterable[_Union[EventInfo, _Mapping]]] = ...) -> None: ...

class EventInfo(_message.Message):
    __slots__ = ("kind", "a", "b")
    KIND_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    kind: EventKind
    a: int
    b: int
    def __init__(self, kind: _Optional[_Union[EventKind, str]] = ..., a: _Optional[int] = ..., b: _Optional[int] = ...) -> None: ...

class SessionEndQuestion(_message.Message):
    __slots__ = ("summary", "view")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    summary: SessionSummary
    view: SeatView
    def __init__(self, summary: _Optional[_Union[SessionSummary, _Mapping]] = ..., view: _Optional[_Union[SeatView, _Mapping]] = ...) -> None: ...

class StanceAnswer(_message.Message):
    __slots__ = ("stance",)
    STANCE_FIELD_NUMBER: _ClassVar[int]
    stance: Stance
    def __init__(self, stance: _Optional[_Union[Stance, str]] = ...) -> None: ...

class CloseSeat(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
