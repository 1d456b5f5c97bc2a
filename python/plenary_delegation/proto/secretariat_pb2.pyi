from . import delegation_pb2 as _delegation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("state", "endpoint", "token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: str
    endpoint: str
    token: str
    def __init__(self, state: _Optional[str] = ..., endpoint: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class RegistrationEvent(_message.Message):
    __slots__ = ("registered", "replaced")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    registered: Registered
    replaced: Replaced
    def __init__(self, registered: _Optional[_Union[Registered, _Mapping]] = ..., replaced: _Optional[_Union[Replaced, _Mapping]] = ...) -> None: ...

class Registered(_message.Message):
    __slots__ = ("generation", "chair_id")
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    CHAIR_ID_FIELD_NUMBER: _ClassVar[int]
    generation: int
    chair_id: str
    def __init__(self, generation: _Optional[int] = ..., chair_id: _Optional[str] = ...) -> None: ...

class Replaced(_message.Message):
    __slots__ = ("generation", "endpoint")
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    generation: int
    endpoint: str
    def __init__(self, generation: _Optional[int] = ..., endpoint: _Optional[str] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("scenario", "design", "seed", "match_id", "timeout_ms", "scenario_toml", "design_toml")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    DESIGN_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_TOML_FIELD_NUMBER: _ClassVar[int]
    DESIGN_TOML_FIELD_NUMBER: _ClassVar[int]
    scenario: str
    design: str
    seed: int
    match_id: str
    timeout_ms: int
    scenario_toml: str
    design_toml: str
    def __init__(self, scenario: _Optional[str] = ..., design: _Optional[str] = ..., seed: _Optional[int] = ..., match_id: _Optional[str] = ..., timeout_ms: _Optional[int] = ..., scenario_toml: _Optional[str] = ..., design_toml: _Optional[str] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("session_id", "match_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    match_id: str
    def __init__(self, session_id: _Optional[str] = ..., match_id: _Optional[str] = ...) -> None: ...

class GetResultsRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetResultsResponse(_message.Message):
    __slots__ = ("done", "results_json")
    DONE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_JSON_FIELD_NUMBER: _ClassVar[int]
    done: bool
    results_json: str
    def __init__(self, done: _Optional[bool] = ..., results_json: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionInfo]
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionInfo, _Mapping]]] = ...) -> None: ...

class SessionInfo(_message.Message):
    __slots__ = ("session_id", "match_id", "done", "scenario", "design")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    DESIGN_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    match_id: str
    done: bool
    scenario: str
    design: str
    def __init__(self, session_id: _Optional[str] = ..., match_id: _Optional[str] = ..., done: _Optional[bool] = ..., scenario: _Optional[str] = ..., design: _Optional[str] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ItemOpened(_message.Message):
    __slots__ = ("session", "item", "item_id", "title")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    session: int
    item: int
    item_id: str
    title: str
    def __init__(self, session: _Optional[int] = ..., item: _Optional[int] = ..., item_id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class ProposalMade(_message.Message):
    __slots__ = ("session", "item", "round", "phase", "value", "voters")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VOTERS_FIELD_NUMBER: _ClassVar[int]
    session: int
    item: int
    round: int
    phase: _delegation_pb2.Phase
    value: float
    voters: int
    def __init__(self, session: _Optional[int] = ..., item: _Optional[int] = ..., round: _Optional[int] = ..., phase: _Optional[_Union[_delegation_pb2.Phase, str]] = ..., value: _Optional[float] = ..., voters: _Optional[int] = ...) -> None: ...

class DecisionMade(_message.Message):
    __slots__ = ("item_id", "outcome")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    outcome: _delegation_pb2.ItemOutcome
    def __init__(self, item_id: _Optional[str] = ..., outcome: _Optional[_Union[_delegation_pb2.ItemOutcome, _Mapping]] = ...) -> None: ...

class ViolationRecorded(_message.Message):
    __slots__ = ("state", "session", "phase", "fault", "detail", "suspended")
    STATE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    FAULT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    state: str
    session: int
    phase: str
    fault: str
    detail: str
    suspended: bool
    def __init__(self, state: _Optional[str] = ..., session: _Optional[int] = ..., phase: _Optional[str] = ..., fault: _Optional[str] = ..., detail: _Optional[str] = ..., suspended: _Optional[bool] = ...) -> None: ...

class SessionEnded(_message.Message):
    __slots__ = ("session", "states")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    session: int
    states: int
    def __init__(self, session: _Optional[int] = ..., states: _Optional[int] = ...) -> None: ...

class SeatReregistered(_message.Message):
    __slots__ = ("state", "generation", "endpoint")
    STATE_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    state: str
    generation: int
    endpoint: str
    def __init__(self, state: _Optional[str] = ..., generation: _Optional[int] = ..., endpoint: _Optional[str] = ...) -> None: ...

class Resumed(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    def __init__(self, replayed: _Optional[int] = ...) -> None: ...

class Done(_message.Message):
    __slots__ = ("complete", "violations")
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    violations: int
    def __init__(self, complete: _Optional[bool] = ..., violations: _Optional[int] = ...) -> None: ...

class SessionEvent(_message.Message):
    __slots__ = ("session_id", "seq", "item_opened", "proposal", "decision", "violation", "session_end", "done", "reregistered", "resumed")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ITEM_OPENED_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_FIELD_NUMBER: _ClassVar[int]
    SESSION_END_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    REREGISTERED_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    item_opened: ItemOpened
    proposal: ProposalMade
    decision: DecisionMade
    violation: ViolationRecorded
    session_end: SessionEnded
    done: Done
    reregistered: SeatReregistered
    resumed: Resumed
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., item_opened: _Optional[_Union[ItemOpened, _Mapping]] = ..., proposal: _Optional[_Union[ProposalMade, _Mapping]] = ..., decision: _Optional[_Union[DecisionMade, _Mapping]] = ..., violation: _Optional[_Union[ViolationRecorded, _Mapping]] = ..., session_end: _Optional[_Union[SessionEnded, _Mapping]] = ..., done: _Optional[_Union[Done, _Mapping]] = ..., reregistered: _Optional[_Union[SeatReregistered, _Mapping]] = ..., resumed: _Optional[_Union[Resumed, _Mapping]] = ...) -> None: ...
