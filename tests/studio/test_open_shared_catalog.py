"""A library opened on a shared PostgreSQL catalog: indexed on one machine, read on another."""

from __future__ import annotations

import re

import pytest

from soundalike.engine.config import settings_from_table
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import TEST_BACKENDS


def test_two_machines_open_one_catalog(machine_settings, drum_folder):
    writer = Library(machine_settings("a"), backends=TEST_BACKENDS)
    writer.scan([str(drum_folder)])
    writer.close()

    reader = Library(machine_settings("b", {"Samples": str(drum_folder)}), backends=TEST_BACKENDS)
    try:
        kick = next(row for row in reader.browse.rows() if row.path.endswith("kick_0.wav"))
        folded = reader.similar(SimilarQuery(to=kick.id, k=3))
        assert folded.hits, "the second machine answers from the catalog the first one wrote"
        assert not (reader.data_dir / "catalog.sqlite").exists()
    finally:
        reader.close()


@pytest.mark.parametrize(
    "store, message",
    [
        ({"url": "mysql://x"}, "postgresql://"),
        ({"url": "postgresql://ann:secret@nas/samples"}, "~/.pgpass"),
        ({"roots": ["samples"]}, "NAME=LOCAL PATH"),
        ({"roots": ["a:b=/mnt/x"]}, "holds no ':' or '/'"),
    ],
)
def test_bad_store_settings_are_refused_in_one_line(store, message):
    with pytest.raises(UserError, match=re.escape(message)):
        settings_from_table({"store": store})
