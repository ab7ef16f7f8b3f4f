"""A kit as a Hydrogen drumkit: a folder holding ``drumkit.xml`` and its samples.

The layout follows Hydrogen 1.2's ``drumkit.xsd`` (element order matters to it: ``drumkit_info`` in the drumkit namespace, one
``instrument`` per slot with its GM ``midiOutNote``, one ``instrumentComponent`` whose ``layer``s
split the velocity range 0..1); ``h2cli --check`` accepts it. Hydrogen, and the trackers and plugins that read its kits (e.g.
DrumGizmo's importer, LMMS), find the samples by file name next to ``drumkit.xml``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export.common import numbered_picks, safe_name, velocity_layers
from soundalike.engine.kits.export.safe_folder import SafeFolder

NAMESPACE = "http://www.hydrogen-music.org/drumkit"
MUTE_GROUPS = {"closed hat": 1, "open hat": 1}  # the closed hat chokes the open one


def kit_name(kit: Kit) -> str:
    return safe_name(f"soundalike-{Path(kit.seed).stem}")


def export(kit: Kit, folder: SafeFolder) -> Path:
    with folder.subfolder(kit_name(kit)) as target_folder:
        return _write(kit, target_folder)


def _write(kit: Kit, target_folder: SafeFolder) -> Path:
    name = kit_name(kit)
    root = ET.Element("drumkit_info", xmlns=NAMESPACE)
    _text(root, "name", name)
    _text(root, "author", "soundalike")
    _text(root, "info", f"Built around {Path(kit.seed).name} by soundalike ({kit.backend} backend).")
    _text(root, "license", "see the licences of the source samples")
    _text(root, "image", "")
    _text(root, "imageLicense", "")
    components = ET.SubElement(root, "componentList")
    component = ET.SubElement(components, "drumkitComponent")
    for key, value in (("id", "0"), ("name", "Main"), ("volume", "1")):
        _text(component, key, value)
    instruments = ET.SubElement(root, "instrumentList")
    for number, slot, source in numbered_picks(kit):
        _instrument(instruments, number - 1, slot, source, target_folder)
    ET.indent(root, space=" ")
    return target_folder.write_bytes("drumkit.xml", ET.tostring(root, encoding="UTF-8", xml_declaration=True))


def _instrument(parent: ET.Element, index: int, slot, source: str, folder: SafeFolder) -> None:
    inst = ET.SubElement(parent, "instrument")
    fields = (
        ("id", index),
        ("name", slot.name.title()),
        ("volume", 1),
        ("isMuted", "false"),
        ("isSoloed", "false"),
        ("pan", 0),
        ("pitchOffset", 0),
        ("randomPitchFactor", 0),
        ("gain", 1),
        ("applyVelocity", "true"),
        ("filterActive", "false"),
        ("filterCutoff", 1),
        ("filterResonance", 0),
        ("Attack", 0),
        ("Decay", 0),
        ("Sustain", 1),
        ("Release", 1000),
        ("muteGroup", MUTE_GROUPS.get(slot.name, -1)),
        ("midiOutChannel", -1),
        ("midiOutNote", slot.note),
        ("isStopNote", "false"),
        ("sampleSelectionAlgo", "VELOCITY"),
        ("isHihat", -1),
        ("lower_cc", 0),
        ("higher_cc", 127),
    )
    for key, value in fields:
        _text(inst, key, str(value))
    component = ET.SubElement(inst, "instrumentComponent")
    _text(component, "component_id", "0")
    _text(component, "gain", "1")
    layers = velocity_layers(source)
    for number, layer in enumerate(layers, 1):
        suffix = f"-v{number}" if len(layers) > 1 else ""
        name = f"{index + 1:02d}-{safe_name(slot.name)}{suffix}-{safe_name(Path(layer.path).name)}"
        folder.copy_from(layer.path, name)
        element = ET.SubElement(component, "layer")
        for key, value in (
            ("filename", name),
            ("min", f"{layer.low:.6g}"),
            ("max", f"{layer.high:.6g}"),
            ("gain", "1"),
            ("pitch", "0"),
        ):
            _text(element, key, value)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element
