"""Musical filters and reply fields over a real UDP socket."""

from __future__ import annotations

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.library.facade import Library
from tests.bridge.conftest import bridge_settings
from tests.conftest import TEST_BACKENDS, write
from tests.engine.musical import audio as gen


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    root = tmp_path_factory.mktemp("osc-music") / "Music"
    for i, (tonic, minor, bpm) in enumerate([(9, True, 120), (9, True, 122), (0, False, 120), (0, False, 90)]):
        write(root / f"groove_{i}.wav", gen.chord_loop(48 + tonic, minor, bpm=bpm, bars=2))
    for midi in (36, 43):
        write(root / f"hit_{midi}.wav", gen.tone(midi, seconds=0.7))
    settings = Settings(
        engine=EngineSettings(
            data_dir=str(root.parent / "data"), backends=("bands",), default_backend="bands", workers=2
        )
    )
    with Library(settings, backends=TEST_BACKENDS) as library:
        library.scan([root])
        bridge = Bridge(library, None, bridge_settings()).start()
        try:
            yield root, bridge
        finally:
            bridge.stop()


@pytest.fixture
def client(music):
    with OscClient(*music[1].address, timeout=5.0) as client:
        yield client


def names(response) -> list[str]:
    return sorted(path.rsplit("/", 1)[1] for path in response.paths)


def test_set_kind_bpm_key_and_compatible_filter_similar(client, music):
    query = str(music[0] / "groove_0.wav")
    assert client.set("kind", "loop").error is None
    assert names(client.similar(query, 10)) == ["groove_1.wav", "groove_2.wav", "groove_3.wav"]
    assert client.set("bpm", "118-124").error is None
    assert names(client.similar(query, 10)) == ["groove_1.wav", "groove_2.wav"]
    assert client.set("key", "Am").error is None
    assert names(client.similar(query, 10)) == ["groove_1.wav"]
    assert client.set("compatible", 1).error is None  # Am with C, Em, Dm
    assert names(client.similar(query, 10)) == ["groove_1.wav", "groove_2.wav"]
    assert client.set("bpm", 0).error is None and client.set("key", "").error is None
    assert client.set("kind", "").error is None
    assert client.set("root", "G").error is None
    assert names(client.similar(query, 10)) == ["hit_43.wav"]
    assert client.set("root", "").error is None


def test_fields_add_kind_bpm_key_and_root_to_each_result(client, music):
    assert client.set("fields", 1).error is None
    response = client.similar(str(music[0] / "groove_0.wav"), 10)
    by_name = {args[2].rsplit("/", 1)[1]: args[4:] for address, args in response.messages if address == p.RESULT}
    kind, bpm, key, root = by_name["groove_1.wav"]
    assert kind == "loop" and abs(bpm - 122) < 2 and key == "Am" and root == ""
    assert by_name["hit_43.wav"] == ("one-shot", 0.0, "", "G2")


def test_prefer_puts_what_fits_the_query_first(client, music):
    assert client.set("prefer", 1).error is None
    assert client.similar(str(music[0] / "groove_0.wav"), 1).paths[0].endswith("groove_1.wav")


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("kind", "drone", "kind takes"),
        ("bpm", "fast", "bpm takes"),
        ("bpm", 9999, "outside"),
        ("key", "Hm", "key takes"),
        ("root", "X", "root takes"),
        ("compatible", 2, "0 or 1"),
        ("prefer", "yes", "0 or 1"),
    ],
)
def test_bad_musical_settings_are_error_replies(client, key, value, fragment):
    assert fragment in client.set(key, value).error
