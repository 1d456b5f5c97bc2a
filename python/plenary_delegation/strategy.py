"""The class a researcher subclasses: one instance plays one seat (one State in one match).

    class Moderate(Strategy):
        name = "moderate"

        def position(self, ctx, view):
            p = self.brief.preferences[ctx.item]
            return Position(p.ideal, p.salience)

        def vote(self, ctx, view):
            return Vote.YES

The SDK creates a fresh instance per seat with the seat's `Brief` (the class itself is the
factory `serve` needs), calls its methods in the order of the chair's messages to that
seat, and never calls two methods of one instance at the same time. A replayed question
is answered from the SDK's cache: the strategy is never asked twice.

Determinism: answers must depend only on the brief (randomness only from `brief.seed`)
and on the calls made so far. No clock, no state shared between instances.
"""

from __future__ import annotations

from typing import Callable, Union

from .types import Brief, Context, Outcome, Position, Stance, Summary, View, Vote

__all__ = ["Strategy", "Factory"]


class Strategy:
    """Plays one seat. Subclass it and implement `position` and `vote`.

    Attributes:
        name: the strategy's name, shown in reports for every seat it plays
            (1..64 bytes of UTF-8). Set it as a class attribute.
        brief: the seat's `Brief` (set by `__init__`).
    """

    name: str = ""

    def __init__(self, brief: Brief) -> None:
        self.brief = brief

    def position(self, ctx: Context, view: View) -> Position:
        """Positions phase (`ctx.phase` is `Phase.POSITIONS`) on item `ctx.item`:
        return the stated position and salience, with an optional link, trade offer and
        Moscow Mechanism invocation (`Position`)."""
        raise NotImplementedError(f"{type(self).__name__}.position is not implemented")

    def vote(self, ctx: Context, view: View) -> Vote:
        """Decision, silence or package phase: return `Vote.YES`, `Vote.NO` or
        `Vote.ABSTAIN` on `ctx.proposal` (None in the package vote, where `ctx.item` is
        the agenda length and `ctx.package` lists the items and their values)."""
        raise NotImplementedError(f"{type(self).__name__}.vote is not implemented")

    def outcome(self, outcome: Outcome) -> None:
        """How an item ended (a notice; nothing to answer). Default: ignore it."""

    def session_end(self, summary: Summary, view: View) -> Stance:
        """End of a session: the stance for the next one. Default: `Stance.STAY`."""
        return Stance.STAY


Factory = Union[type, Callable[[Brief], Strategy]]
"""What `serve` needs: a `Strategy` subclass or any callable that takes a `Brief` and
returns a fresh object with the methods and `name` of `Strategy`."""
