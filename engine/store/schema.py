"""The catalog's schema, as numbered migrations applied in order (PRAGMA user_version)."""

from __future__ import annotations

import logging
import sqlite3

from soundalike.engine.errors import UserError

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: roots, samples with audio facts, vectors per backend, tags per source, meta
    """
    CREATE TABLE roots(
        path TEXT PRIMARY KEY,
        added REAL NOT NULL,
        online INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE samples(
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        root TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        content_hash TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'missing', 'offline')),
        reason TEXT,
        format TEXT, sample_rate INTEGER, channels INTEGER, duration REAL,
        peak_db REAL, rms_db REAL, silent INTEGER, clipped INTEGER,
        favourite INTEGER NOT NULL DEFAULT 0,
        added REAL NOT NULL,
        updated REAL NOT NULL);
    CREATE INDEX samples_root ON samples(root);
    CREATE INDEX samples_hash ON samples(content_hash);
    CREATE INDEX samples_status ON samples(status);
    CREATE TABLE vectors(
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        backend TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (backend, sample_id));
    CREATE TABLE tags(
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        tag TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (sample_id, source, tag));
    CREATE INDEX tags_tag ON tags(tag);
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: a trigram index of each sample's path below its root, so substring search over a large
    # library uses an index instead of reading every row; triggers keep it in step.
    """
    CREATE VIRTUAL TABLE names USING fts5(name, tokenize = 'trigram');
    INSERT INTO names(rowid, name) SELECT id, substr(path, length(root) + 1) FROM samples;
    CREATE TRIGGER names_insert AFTER INSERT ON samples BEGIN
        INSERT INTO names(rowid, name) VALUES (new.id, substr(new.path, length(new.root) + 1));
    END;
    CREATE TRIGGER names_delete AFTER DELETE ON samples BEGIN
        DELETE FROM names WHERE rowid = old.id;
    END;
    CREATE TRIGGER names_update AFTER UPDATE OF path, root ON samples BEGIN
        UPDATE names SET name = substr(new.path, length(new.root) + 1) WHERE rowid = new.id;
    END;
    """,
    # 3: tags by (tag, score, sample_id), so "samples with tag T scored at least S" reads only those
    # index entries and never the table; it replaces the index on tag alone, a prefix of it.
    """
    DROP INDEX tags_tag;
    CREATE INDEX tags_tag_score ON tags(tag, score, sample_id);
    """,
    # each file's ctime and inode when it was recorded, so an overwrite that keeps size
    # and mtime (`cp -p`, `rsync -t`) is noticed; NULL (rows from before) compares as unknown.
    """
    ALTER TABLE samples ADD COLUMN ctime REAL;
    ALTER TABLE samples ADD COLUMN inode INTEGER;
    """,
    # collections (named lists of samples, by id, so they survive renames and moves like
    # favourites; user tags need no table: they are tags of source "user"), and samples by date
    # added for the "recently added" view.
    """
    CREATE TABLE collections(
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created REAL NOT NULL);
    CREATE TABLE collection_items(
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        added REAL NOT NULL,
        PRIMARY KEY (collection_id, sample_id));
    CREATE INDEX collection_items_sample ON collection_items(sample_id);
    CREATE INDEX samples_added ON samples(added, id);
    """,
    # musical facts per sample (loop or one-shot, tempo, key of a loop, root note of a
    # one-shot), each with its confidence and source, and why a fact is unknown; ``version`` is the
    # analysis version, so a newer analysis recomputes old rows in the background.
    """
    CREATE TABLE musical(
        sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        kind TEXT CHECK (kind IN ('loop', 'one-shot')), kind_confidence REAL NOT NULL DEFAULT 0,
        bpm REAL, bpm_alternative REAL, bpm_confidence REAL NOT NULL DEFAULT 0, bpm_source TEXT,
        key INTEGER, key_confidence REAL NOT NULL DEFAULT 0, key_source TEXT,
        root INTEGER, root_confidence REAL NOT NULL DEFAULT 0, root_source TEXT,
        notes TEXT NOT NULL DEFAULT '');
    CREATE INDEX musical_kind ON musical(kind);
    CREATE INDEX musical_bpm ON musical(bpm);
    CREATE INDEX musical_key ON musical(key);
    CREATE INDEX musical_root ON musical(root);
    """,
    # 7: the chord of a tonal one-shot ("Am7"), beside the key its root and mode give
    """
    ALTER TABLE musical ADD COLUMN chord TEXT;
    """,
    # 8: what decides copies and velocity layers, kept at index time so folding results reads
    # stored facts: each sample's fine fingerprint, the name that makes two files of one folder
    # candidate layers, the copy group it is in and its family (copies and layers joined), each
    # labelled by the smallest sample id among them.
    """
    CREATE TABLE sounds(
        sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
        fingerprint BLOB,
        layer_name TEXT NOT NULL,
        copy_group INTEGER NOT NULL,
        family INTEGER NOT NULL);
    CREATE INDEX sounds_layer_name ON sounds(layer_name);
    CREATE INDEX sounds_copy_group ON sounds(copy_group);
    CREATE INDEX sounds_family ON sounds(family);
    """,
    # 9: a listing narrowed to one status reads its page in path order from one index, not by
    # sorting every sample of that status (at a million samples, seconds per page)
    """
    CREATE INDEX samples_status_path ON samples(status, path);
    DROP INDEX samples_status;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to SCHEMA_VERSION; refuse one written by a newer soundalike."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise UserError(f"the catalog is not a soundalike database ({e}); move it away to start afresh") from e
    if version > SCHEMA_VERSION:
        raise UserError(f"the catalog has schema {version}, newer than this soundalike ({SCHEMA_VERSION}); upgrade")
    for number in range(version + 1, SCHEMA_VERSION + 1):
        log.info("catalog: applying migration %d", number)
        conn.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[number - 1]} PRAGMA user_version = {number}; COMMIT;")
