"""Every query address over a real UDP socket on loopback, with its error replies."""

from __future__ import annotations

import pytest

from soundalike.bridge.bridge import LibraryOnly
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.store import writes as cat
from tests.conftest import catalog_of


def kick(samples) -> str:
    return str(samples / "Kit 0" / "kick_0.wav")


def test_similar_returns_ranked_hits_then_done(client, samples):
    response = client.similar(kick(samples), 5)
    assert response.error is None and response.count == 5
    ranks = [rank for rank, _, _ in response.hits]
    scores = [score for _, _, score in response.hits]
    assert ranks == [1, 2, 3, 4, 5] and scores == sorted(scores, reverse=True)
    assert kick(samples) not in response.paths and "kick" in response.paths[0]
    assert response.messages[-1] == (p.DONE, (response.id, 5))


def test_similar_matches_the_library_api(client, library, samples):
    expected = [hit.path for hit in library.similar(SimilarQuery(kick(samples), k=4, collapse=False)).hits]
    assert client.similar(kick(samples), 4).paths == expected


def test_similar_k_and_id_are_optional(client, samples):
    client.send("/soundalike/similar", kick(samples))
    [(address, args)] = client.receive()
    assert address == p.RESULT and args[0] == 0
    rest = client.wait(0)
    assert rest.count == library_default_k()


def library_default_k() -> int:
    from soundalike.engine.config import IndexSettings

    return IndexSettings().default_k


@pytest.mark.parametrize(
    "path,fragment",
    [
        ("/no/such/file.wav", "does not exist"),
        ("relative/kick.wav", "not an absolute path"),
        ("/", "not a file"),
    ],
)
def test_similar_with_a_bad_path_is_an_error_reply(start_bridge, path, fragment):
    server = start_bridge(query_paths="anywhere")  # detailed reasons; the default is tested for privacy
    with OscClient(*server.address) as client:
        response = client.similar(path, 3)
    assert fragment in response.error and response.messages == [(p.ERROR, (response.id, response.error))]


def test_similar_to_a_file_that_is_not_audio(start_bridge, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    server = start_bridge(query_folders=(str(tmp_path),))
    with OscClient(*server.address) as client:
        response = client.similar(str(text), 3)
    assert response.error and "this is not audio" not in response.error  # paths and reasons, never contents


def test_k_above_max_k_is_refused_not_cut(client, samples):
    assert "at most 100" in client.similar(kick(samples), 101).error


def test_list_format_and_split_replies(start_bridge, samples, library):
    server = start_bridge(max_reply_bytes=256)
    with OscClient(*server.address) as client:
        assert client.set("format", "list").error is None
        response = client.similar(kick(samples), 12)
        lists = [m for m in response.messages if m[0] == p.RESULTS]
        assert len(lists) > 1, "12 long paths cannot fit in 256 bytes: the list must be split"
        assert response.paths == [
            hit.path for hit in library.similar(SimilarQuery(kick(samples), k=12, collapse=False)).hits
        ]
        assert response.count == 12 and response.hits == []
        client.set("format", "both")
        both = client.similar(kick(samples), 3)
        assert len(both.hits) == 3 and both.paths == [path for _, path, _ in both.hits]


def test_a_reply_that_cannot_fit_is_an_error_not_a_truncation(start_bridge, samples):
    server = start_bridge(max_reply_bytes=64)
    with OscClient(*server.address) as client:
        response = client.similar(kick(samples), 3)
        assert "max_reply_bytes" in response.error and not response.hits


def test_per_client_backend_aspect_k_and_filters(client, samples):
    assert client.set("k", 3).error is None
    client.send("/soundalike/similar", kick(samples))
    assert client.wait(0).count == 3
    assert client.set("under", str(samples / "Kit 1")).error is None
    assert all("/Kit 1/" in path for path in client.similar(kick(samples), 5).paths)
    assert client.set("under", "").error is None
    assert client.set("backend", "bands").error is None
    assert client.set("aspect", "").error is None


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("colour", "red", "unknown setting"),
        ("backend", "clap", "not enabled"),
        ("format", "xml", "format takes one of"),
        ("k", 1000, "from 0 to 100"),
        ("reply_port", -1, "from 0 to 65535"),
        ("aspect", "timbre=loud", "NAME or NAME=WEIGHT"),
        ("aspect", "timbre=nan", "NAME or NAME=WEIGHT"),  # the CLI's parser, shared: tests/engine/test_query_errors.py
        ("aspect", "=0.5", "NAME or NAME=WEIGHT"),
        ("backend", 3, "takes a string"),
    ],
)
def test_bad_settings_are_error_replies(client, key, value, fragment):
    assert fragment in client.set(key, value).error


def test_tag_filter_and_tags_address(client, library, samples):
    row = library.browse.sample_by_path(kick(samples))
    with catalog_of(library).transaction() as tx:
        cat.store_tags(tx, row.id, "test", {"kick": 0.9, "punchy": 0.4})
    response = client.tags(kick(samples))
    assert response.of(p.TAG) == [("test", "kick", pytest.approx(0.9)), ("test", "punchy", pytest.approx(0.4))]
    assert response.count == 2
    assert client.set("tag", "kick").error is None
    assert client.similar(str(samples / "Kit 1" / "snare_0.wav"), 5).paths == [kick(samples)]
    picked = client.random("kick")
    assert picked.paths == [kick(samples)] and picked.hits[0][0] == 1


def test_tags_of_a_file_outside_the_library(start_bridge, tmp_path, samples):
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes((samples / "Kit 0" / "kick_0.wav").read_bytes())
    server = start_bridge(query_folders=(str(tmp_path),))
    with OscClient(*server.address) as client:
        assert "not in the library" in client.tags(str(outside)).error


def test_random_from_the_whole_library_and_an_unknown_tag(client, samples):
    response = client.random()
    assert response.count == 1 and response.paths[0].startswith(str(samples))
    assert "no indexed samples tagged 'zither'" in client.random("zither").error


def test_search_without_a_text_backend_explains_how_to_get_one(client):
    assert "clap" in client.search("dusty vinyl snare", 5).error


def test_search_with_a_text_capable_library(start_bridge, library, samples):
    class TextLibrary:
        """The library with a stand-in text search (real CLAP search is tested in tests/neural)."""

        def __getattr__(self, name):
            return getattr(library, name)

        def search(self, query):
            return library.similar(SimilarQuery(kick(samples), k=query.k, collapse=False))

    server = start_bridge(LibraryOnly(TextLibrary()))
    with OscClient(*server.address) as client:
        response = client.search("boomy kick", 3)
        assert response.count == 3 and len(response.hits) == 3


def test_backends_lists_enabled_backends_with_dim(client):
    response = client.backends()
    assert response.of(p.BACKEND) == [("bands", 16)] and response.count == 1
