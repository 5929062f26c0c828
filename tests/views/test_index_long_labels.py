"""A name, tag or project longer than an LMDB key still indexes: the store stays usable."""

from __future__ import annotations

from runar.events import ProjectSet, RunRenamed, RunStarted, TagsChanged
from runar.ids import new_run_id
from runar.journal import JournalWriter
from runar.store import Store
from runar.views import open_views


def test_a_run_with_5000_character_labels_is_indexed_and_found(store: Store) -> None:
    # written straight into the log, as a peer's synced log or an old runar could hold them
    run_id, other = new_run_id(), new_run_id()
    long_name, long_tag, long_project = "n" * 5000, "é" * 3000, "p" * 600
    with JournalWriter(store.run_dir(run_id), run_id, role="test") as writer:
        writer.append(RunStarted(run_id=run_id, name="short"))
        writer.append(RunRenamed(name=long_name))
        writer.append(TagsChanged(added=[long_tag, "ok"]))
        writer.append(ProjectSet(project=long_project))
    with JournalWriter(store.run_dir(other), other, role="test") as writer:
        writer.append(RunStarted(run_id=other, name="n" * 4999 + "m"))  # same cut, other hash
    with open_views(store) as views:  # used to fail: MDB_BAD_VALSIZE on every catch-up
        assert views.count() == 2
        summary = views.get(run_id)
        assert summary.display_name == long_name and long_tag in summary.tag_list()
        with views.index.env.begin() as txn:
            assert views.index.ids_with(txn, "tag", long_tag) == {run_id}
            assert views.index.ids_with(txn, "name", long_name) == {run_id}
