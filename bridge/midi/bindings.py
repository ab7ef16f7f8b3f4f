"""``[bridge] midi_map``: entries such as ``"note:36@10 similar"`` read into bindings.

Each binding names a trigger (a note, a CC pressed past 64, a program change; on one channel or
any) and the action it runs (see :data:`soundalike.bridge.actions.ACTIONS`). A bad entry is a
``UserError`` naming it, at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from soundalike.bridge.actions import ACTIONS
from soundalike.engine.errors import UserError

#: What sets an action off: a note (velocity above 0), a CC crossing 64 upwards, a program change.
Trigger = Literal["note", "cc", "program"]
TRIGGERS: tuple[Trigger, ...] = get_args(Trigger)
_TRIGGER = re.compile(rf"^({'|'.join(TRIGGERS)})(?::(\d{{1,3}}))?(?:@(\d{{1,2}}))?$")


@dataclass(frozen=True)
class Binding:
    kind: Trigger
    number: int | None  # None: any program (program changes only)
    channel: int | None  # 0-based; None: any channel
    action: str
    argument: str | None = None

    def matches(self, kind: str, number: int, channel: int) -> bool:
        return (
            kind == self.kind
            and (self.number is None or self.number == number)
            and (self.channel is None or self.channel == channel)
        )


def parse_map(entries: tuple[str, ...]) -> list[Binding]:
    """``"note:36@10 similar"``-style entries to bindings; a bad entry is a UserError naming it."""
    return [_parse_entry(entry) for entry in entries]


def _parse_entry(entry: str) -> Binding:
    words = entry.split(maxsplit=2)
    match = _TRIGGER.match(words[0]) if words else None
    where = f"[bridge] midi_map entry {entry!r}"
    if match is None or len(words) < 2:
        raise UserError(f'{where}: write TRIGGER ACTION [ARGUMENT], e.g. "note:36 similar" or "cc:64@1 next"')
    kind = next(trigger for trigger in TRIGGERS if trigger == match.group(1))
    number, channel = match.group(2), match.group(3)
    if kind != "program" and number is None:
        raise UserError(f"{where}: {kind} needs a number, e.g. {kind}:36")
    if number is not None and not 0 <= int(number) <= 127:
        raise UserError(f"{where}: {kind} number must be 0-127")
    if channel is not None and not 1 <= int(channel) <= 16:
        raise UserError(f"{where}: channel must be 1-16")
    if words[1] not in ACTIONS:
        raise UserError(f"{where}: unknown action {words[1]!r}; valid: {', '.join(ACTIONS)}")
    return Binding(
        kind,
        int(number) if number is not None else None,
        int(channel) - 1 if channel is not None else None,
        words[1],
        words[2] if len(words) > 2 else None,
    )
