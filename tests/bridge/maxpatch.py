"""Run the example Max patches' message flow without Max: real UDP, the patch's own boxes and wires.

The few objects the patches use behave as Max documents them: ``[trigger]`` fires right to left,
a message box substitutes ``$1`` with the incoming atom (a path with spaces stays one atom),
``[udpsend]`` keeps one source port for its life, ``[udpreceive]`` listens on its own port,
``[route]`` strips the matched address. Live itself cannot run here: ``[live.path]`` answers
``id 1`` and ``[live.object]`` records what it was told, so tests check the messages a device
would hand to Live, not what Live does with them.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from soundalike.bridge.osc.decode import decode_packet
from soundalike.bridge.osc.wire import encode

Atoms = list[Any]
SOURCES = ("loadbang", "live.thisdevice")


class MaxPatch:
    def __init__(self, path: Path, server_port: int, reply_port: int):
        """``reply_port`` stands in for the patch's 9001 (tests cannot rely on a fixed free port)."""
        patcher = json.loads(path.read_text())["patcher"]
        self.boxes = {entry["box"]["id"]: entry["box"] for entry in patcher["boxes"]}
        self.wires: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for entry in patcher["lines"]:
            line = entry["patchline"]
            self.wires.setdefault(tuple(line["source"]), []).append(tuple(line["destination"]))
        for targets in self.wires.values():  # Max sends to the rightmost destination first
            targets.sort(key=lambda target: -self.boxes[target[0]]["patching_rect"][0])
        self.server, self.reply_port = ("127.0.0.1", server_port), reply_port
        self.udpsend = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udpsend.bind(("127.0.0.1", 0))  # one source port for the object's life, like [udpsend]
        self.udpreceive = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udpreceive.bind(("127.0.0.1", reply_port))
        self.menu: list[str] = []
        self.printed: list[tuple[str, Atoms]] = []
        self.live_calls: list[Atoms] = []
        self.live_paths: list[Atoms] = []
        self.sent: list[Atoms] = []
        self._gates: dict[str, int] = {}

    def close(self) -> None:
        self.udpsend.close()
        self.udpreceive.close()

    # --- what a user or Live does --------------------------------------------------------------
    def load(self) -> None:
        for box_id, box in self.boxes.items():
            if self._words(box)[:1] and self._words(box)[0] in SOURCES:
                self._out(box_id, 0, ["bang"])

    def drop(self, path: str) -> None:
        self._out(self._find("dropfile"), 0, [path])

    def choose(self, index: int) -> None:
        self._out(self._find("umenu"), 1, [self.menu[index]])

    def tab(self, value: int) -> None:
        self._out(self._find("live.tab"), 0, [value])

    def tick(self, text_start: str) -> None:
        """One tick of a ``[qmetro]``/``[metro]`` box whose text starts with ``text_start``."""
        self._out(self._box_with(text_start), 0, ["bang"])

    def receive(self, timeout: float = 5.0) -> Atoms:
        """One datagram at ``[udpreceive]``, run through the patch; returns its atoms."""
        self.udpreceive.settimeout(timeout)
        data, _ = self.udpreceive.recvfrom(65535)
        atoms: Atoms = []
        for address, args in decode_packet(data):
            atoms = [address, *args]
            self._out(self._box_with("udpreceive"), 0, atoms)
        return atoms

    def receive_until(self, address: str, request_id: int | None = None, timeout: float = 5.0) -> list[Atoms]:
        """Datagrams until one at ``address`` (with ``request_id`` first, when given)."""
        seen: list[Atoms] = []
        while not seen or seen[-1][0] != address or (request_id is not None and seen[-1][1] != request_id):
            seen.append(self.receive(timeout))
        return seen

    # --- the objects ---------------------------------------------------------------------------
    def _out(self, box_id: str, outlet: int, atoms: Atoms) -> None:
        for target, inlet in self.wires.get((box_id, outlet), []):
            self._in(target, inlet, atoms)

    def _in(self, box_id: str, inlet: int, atoms: Atoms) -> None:
        box = self.boxes[box_id]
        if box["maxclass"] == "message":
            if inlet == 0:
                self._out(box_id, 0, self._message(box, atoms))
            return
        if box["maxclass"] == "umenu":
            self._menu(atoms)
            return
        name, *args = self._words(box)
        handler = getattr(self, "_obj_" + name.replace(".", "_").replace("+", "plus"), None)
        if handler is None:
            raise NotImplementedError(f"the test runner does not know [{name}] ({box_id})")
        handler(box_id, inlet, args, atoms)

    def _message(self, box: dict, atoms: Atoms) -> Atoms:
        out = []
        for word in self._words(box):
            if isinstance(word, str) and word.startswith("$") and word[1:].isdigit():
                out.append(atoms[int(word[1:]) - 1])
            else:
                out.append(self.reply_port if word == 9001 else word)
        return out

    def _menu(self, atoms: Atoms) -> None:
        if atoms[:1] == ["clear"]:
            self.menu.clear()
        elif atoms[:1] == ["append"]:
            self.menu.append(" ".join(str(a) for a in atoms[1:]))

    def _obj_t(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        for outlet in reversed(range(len(args))):
            self._out(box_id, outlet, ["bang"] if args[outlet] == "b" else atoms[:1] if args[outlet] == "s" else atoms)

    def _obj_udpsend(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self.sent.append(atoms)
        self.udpsend.sendto(encode(str(atoms[0]), atoms[1:]), self.server)

    def _obj_udpreceive(self, *_: Any) -> None:
        pass

    def _obj_route(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        outlet = args.index(atoms[0]) if atoms[0] in args else len(args)
        self._out(box_id, outlet, atoms[1:] if outlet < len(args) else atoms)

    def _obj_unpack(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        for outlet in reversed(range(min(len(args), len(atoms)))):
            self._out(box_id, outlet, [atoms[outlet]])

    def _obj_deferlow(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self._out(box_id, 0, atoms)

    def _obj_prepend(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self._out(box_id, 0, [*args, *atoms])

    def _obj_print(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self.printed.append((args[0] if args else "print", atoms))

    def _obj_qmetro(self, *_: Any) -> None:
        pass  # started by a bang; ticks come from MaxPatch.tick

    def _obj_plus(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self._out(box_id, 0, [atoms[0] + args[0]])

    def _obj_gate(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        if inlet == 0:
            self._gates[box_id] = int(atoms[0])
        elif self._gates.get(box_id, int(args[1]) if len(args) > 1 else 0):
            self._out(box_id, self._gates.get(box_id, int(args[1]) if len(args) > 1 else 0) - 1, atoms)

    def _obj_live_path(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        self.live_paths.append(atoms)
        self._out(box_id, 0, ["id", len(self.live_paths)])

    def _obj_live_object(self, box_id: str, inlet: int, args: list, atoms: Atoms) -> None:
        if inlet == 0:
            self.live_calls.append(atoms)

    # --- reading the patch ---------------------------------------------------------------------
    @staticmethod
    def _words(box: dict) -> list:
        return [_atom(word) for word in box.get("text", "").split()]

    def _find(self, maxclass: str) -> str:
        return next(box_id for box_id, box in self.boxes.items() if box["maxclass"] == maxclass)

    def _box_with(self, text_start: str) -> str:
        return next(box_id for box_id, box in self.boxes.items() if box.get("text", "").startswith(text_start))


def _atom(word: str) -> Any:
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word
