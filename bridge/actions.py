"""Hands-free actions (MIDI pads and footswitches): similar, next, previous, audition, stop, random.

They work on the shared :class:`Session`, so "next" walks the results of the last OSC query too.
Each selection is announced (the bridge pushes it to OSC subscribers as
``/soundalike/event/selected rank path score``, so a Max device can load it) and auditioned
through an injected :class:`Auditioner`: the TUI plays sound, ``serve`` logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ClassVar, Protocol

from soundalike.bridge.session import Selection, Session
from soundalike.engine.errors import QueryError, SoundalikeError
from soundalike.engine.events import Notice
from soundalike.engine.library.browse import SampleRow
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery

log = logging.getLogger(__name__)


class Auditioner(Protocol):
    def play(self, path: str) -> None: ...
    def stop(self) -> None: ...


class SilentAuditioner:
    """For processes with no audio output (``serve``): auditioning is a logged no-op."""

    def play(self, path: str) -> None:
        log.info("audition (no audio output in this process): %s", path)

    def stop(self) -> None:
        pass


class Actions:
    def __init__(
        self,
        library: Library,
        session: Session,
        auditioner: Auditioner,
        announce: Callable[[object], None] = lambda event: None,
        k: int = 0,
    ):
        self.library, self.session, self.auditioner = library, session, auditioner
        self.announce = announce  # takes a Selection or a Notice
        self.k = k or library.settings.index.default_k

    def run(self, action: str, argument: str | None = None) -> None:
        """Run one action; failures are logged and announced as notices, never raised."""
        try:
            self.TABLE[action](self, argument)
        except (OSError, SoundalikeError) as e:  # anything else is a bug: MidiController logs its traceback
            log.warning("MIDI %s failed: %s", action, e)
            self.announce(Notice("warning", f"{action}: {e}"))

    def do_similar(self, _argument: str | None) -> None:
        path = self.session.current()
        if path is None:
            raise QueryError("nothing to start from: send /soundalike/similar or pick a random sample first")
        self.session.set_results(path, self.library.similar(SimilarQuery(path, k=self.k, collapse=False)).hits)
        self._select(self.session.move(+1))

    def do_next(self, _argument: str | None) -> None:
        self._select(self.session.move(+1))

    def do_previous(self, _argument: str | None) -> None:
        self._select(self.session.move(-1))

    def do_audition(self, _argument: str | None) -> None:
        path = self.session.current()
        if path is not None:
            self.auditioner.play(path)

    def do_stop(self, _argument: str | None) -> None:
        self.auditioner.stop()

    def do_random(self, tag: str | None) -> None:
        row = pick_random(self.library, tag)
        self.session.set_results(row.path, [])
        self._select(Selection(row.path, 0, 1.0))

    def _select(self, selection: Selection | None) -> None:
        if selection is None:
            raise QueryError("no results to move through yet")
        self.announce(selection)
        self.auditioner.play(selection.path)

    #: action name -> what it runs, as OSC has its address table; MIDI bindings name these.
    TABLE: ClassVar[dict[str, Callable[[Actions, str | None], None]]] = {
        "similar": do_similar,
        "next": do_next,
        "previous": do_previous,
        "audition": do_audition,
        "stop": do_stop,
        "random": do_random,
    }


ACTIONS = tuple(Actions.TABLE)


def pick_random(library: Library, tag: str | None = None) -> SampleRow:
    """A random indexed sample (with ``tag`` when given), for OSC ``random`` and the MIDI action alike."""
    row = library.browse.random(tag or None)
    if row is None:
        raise QueryError(f"no indexed samples tagged {tag!r}" if tag else "the library has no indexed samples yet")
    return row
