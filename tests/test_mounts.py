"""mounts.py and Store.index_dir: the index leaves network mounts for a local cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from runar.mounts import local_cache_index, mount_fstype
from runar.store import Store

MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
server:/export {share} nfs4 rw,vers=4.2 0 0
//nas/team {smb} cifs rw 0 0
user@host:/data {sshfs} fuse.sshfs rw 0 0
/dev/sdb1 {share}/local ext4 rw 0 0
"""


@pytest.fixture
def mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RUNAR_INDEX_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = MOUNTS.format(
        share=tmp_path / "share", smb=tmp_path / "smb", sshfs=tmp_path / "with\\040space"
    )
    path = tmp_path / "mounts"
    path.write_text(text)
    return path


def test_local_store_keeps_its_index_beside_the_log(tmp_path: Path, mounts: Path) -> None:
    store = Store(tmp_path / "home" / ".runar")
    assert Store(store.root, mounts).index_dir == store.root / "index"


@pytest.mark.parametrize("folder", ["share", "smb", "with space"])
def test_network_store_gets_a_local_index(tmp_path: Path, mounts: Path, folder: str) -> None:
    store = Store(tmp_path / folder / "project" / ".runar")
    where = Store(store.root, mounts).index_dir
    assert where == local_cache_index(store.root)
    assert where.is_relative_to(tmp_path / "cache" / "runar" / "index")


def test_longest_mount_point_wins(tmp_path: Path, mounts: Path) -> None:
    store = Store(tmp_path / "share" / "local" / ".runar")
    assert Store(store.root, mounts).index_dir == store.root / "index"


def test_prefix_of_a_name_is_not_a_mount_point(tmp_path: Path, mounts: Path) -> None:
    store = Store(tmp_path / "shared-not-nfs" / ".runar")
    assert Store(store.root, mounts).index_dir == store.root / "index"


def test_two_stores_get_two_cache_folders(tmp_path: Path, mounts: Path) -> None:
    one = Store(tmp_path / "share" / "a" / ".runar", mounts).index_dir
    two = Store(tmp_path / "share" / "b" / ".runar", mounts).index_dir
    assert one != two


def test_runar_index_dir_overrides(
    tmp_path: Path, mounts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNAR_INDEX_DIR", str(tmp_path / "mine"))
    assert Store(tmp_path / "share" / ".runar", mounts).index_dir == tmp_path / "mine"


def test_missing_mounts_file_means_local(tmp_path: Path, mounts: Path) -> None:
    store = Store(tmp_path / "share" / ".runar")
    assert Store(store.root, tmp_path / "absent").index_dir == store.root / "index"


def test_this_machines_mounts_parse() -> None:
    assert mount_fstype(Path("/"), Path("/proc/mounts").read_text()) is not None
