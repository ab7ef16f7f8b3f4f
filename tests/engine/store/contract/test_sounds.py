"""Copy groups and families: facts stored per sample, labels moved, members found."""

from __future__ import annotations

from soundalike.engine.musical.analysis import Musical
from tests.engine.store.contract.helpers import add


def test_sound_facts_start_alone_and_relabel(store):
    a = add(store, "/S/kick.wav", content_hash="same")
    b = add(store, "/S/kick copy.wav", content_hash="same")
    c = add(store, "/S/kick soft.wav")
    with store.transaction() as tx:
        tx.put_sound(a, b"\x01\x02", "kick")
        tx.put_sound(b, b"\x01\x02", "kick")
        tx.put_sound(c, None, "kick")
        assert tx.sound_labels([a, b]) == {a: (a, a), b: (b, b)}
        tx.relabel("copy_group", [b], a)
        tx.relabel("family", [b, c], a)
    facts = store.sound_facts([a, b, c])
    assert facts[a].fingerprint == b"\x01\x02" and facts[c].fingerprint is None
    assert {sid: (f.copy_group, f.family) for sid, f in facts.items()} == {a: (a, a), b: (a, a), c: (c, a)}
    assert store.sound_labels([a, b, c]) == {a: (a, a), b: (a, a), c: (c, a)}
    assert store.copy_groups() == [[a, b]]
    assert sorted(store.family_members([a], limit=10)) == [a, b, c]
    assert store.family_of(c, limit=10) == {a: (a, a), b: (a, a), c: (c, a)} and len(store.family_of(b, 2)) == 2
    assert store.family_of(12345, limit=10) == {}
    assert store.family_sizes([a, c, 12345]) == {a: 3}
    assert sorted(store.labelled(a, 10)) == [a, b, c]
    assert store.with_contents(["same", "other"], limit=5) == {"same": [a, b]}
    assert sorted(store.with_layer_names(["kick"], limit=5)["kick"]) == [a, b, c]
    assert store.without_facts([a, 999]) == {999}


def test_labels_set_and_layer_names_changed(store):
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    with store.transaction() as tx:
        tx.put_sound(a, None, "a")
        tx.put_sound(b, None, "b")
        tx.set_labels([(a, a, a), (b, a, a)])
        tx.set_layer_name(b, "a")
        assert set(tx.sound_facts([a, b])) == {a, b}
        assert sorted(tx.labelled(a, 10)) == [a, b]
    assert store.copy_groups() == [[a, b]]
    assert sorted(store.with_layer_names(["a"], 5)["a"]) == [a, b]


def test_layer_names_hold_the_folder_and_name_as_the_library_makes_them(store):
    """A layer name is folder NUL name (families.layer_name): PostgreSQL text cannot hold NUL itself."""
    a, b = add(store, "/S/kick 1.wav"), add(store, "/S/kick 2.wav")
    with store.transaction() as tx:
        tx.put_sound(a, b"\x00\x01", "/S\0kick")
        tx.put_sound(b, None, "/S\0kick")
    assert sorted(store.with_layer_names(["/S\0kick"], 5)["/S\0kick"]) == [a, b]
    assert store.sound_facts([a])[a].layer_name == "/S\0kick"


def test_gone_samples_leave_copy_groups(store):
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    with store.transaction() as tx:
        tx.put_sound(a, None, "x")
        tx.put_sound(b, None, "x")
        tx.set_labels([(b, a, a)])
        tx.set_status([b], "missing")
    assert store.copy_groups() == []
    assert set(store.sound_facts([a, b])) == {a}
    assert set(store.sound_facts([a, b], playable=False)) == {a, b}


def test_layer_names_hold_the_folder_and_name_apart_with_a_nul(store):
    name = "/S/Kit\0kick"  # the writer's layer names: folder, NUL, name
    a = add(store, "/S/Kit/kick 1.wav")
    with store.transaction() as tx:
        tx.put_sound(a, b"\x00\x01", name)
    assert store.with_layer_names([name], 5) == {name: [a]}


def test_a_whole_library_of_ids_is_looked_up_in_one_read(store, monkeypatch):
    from soundalike.engine.store import musical, sounds

    a, b, c = (add(store, f"/S/{name}.wav") for name in "abc")
    with store.transaction() as tx:
        tx.put_sound(a, None, "a")
        tx.store_musical(b, Musical(kind="one-shot"))
    by_id = store.without_facts([a, b, 999]), store.unanalysed_among([a, b, 999])
    monkeypatch.setattr(sounds, "BULK", 1)
    monkeypatch.setattr(musical, "BULK", 1)
    assert (store.without_facts([a, b, 999]), store.unanalysed_among([a, b, 999])) == by_id == ({b, 999}, {a, 999})
    assert c not in by_id[0]  # only the ids asked about
