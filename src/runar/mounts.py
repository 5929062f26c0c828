"""Where a store's LMDB index lives: next to the log, unless the log is on a network drive.

Stdlib only: Store.index_dir asks this module, below every layer that uses the index.

LMDB relies on mmap and POSIX locks that NFS, SMB and FUSE mounts do not honour, so an
index beside a shared ``runs/`` tree would be corrupted by a second machine. For such a
store the index moves to a machine-local cache folder named after the store's path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

MOUNTS_FILE: Final = Path("/proc/mounts")
NETWORK_FSTYPES: Final = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "davfs",
        "ncpfs",
        "virtiofs",
    }
)
STORE_HASH_CHARS: Final = 16


def _unescape(field: str) -> str:
    """/proc/mounts writes spaces, tabs, newlines and backslashes as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def is_network_fstype(fstype: str) -> bool:
    """True for filesystems LMDB cannot trust: network mounts and FUSE (sshfs, rclone…)."""
    return fstype in NETWORK_FSTYPES or fstype.startswith("fuse")


def mount_fstype(path: Path, mounts_text: str) -> str | None:
    """The filesystem type of the longest mount point containing ``path``."""
    best: tuple[int, str] | None = None
    target = str(path)
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fstype = _unescape(fields[1]), fields[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), fstype)
    return best[1] if best is not None else None


def on_network_fs(path: Path, mounts_file: Path = MOUNTS_FILE) -> bool:
    """True when ``path`` (which may not exist yet) is on a network or FUSE mount."""
    try:
        text = mounts_file.read_text(errors="replace")
    except OSError:
        return False  # no /proc (macOS, a sandbox): assume local, as LMDB itself does
    real = Path(os.path.realpath(path.absolute()))  # resolves the parts that exist
    fstype = mount_fstype(real, text)
    return fstype is not None and is_network_fstype(fstype)


def local_cache_index(root: Path) -> Path:
    """A machine-local index folder for a store: ``$XDG_CACHE_HOME/runar/index/<hash>``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    import hashlib  # only for a store on a network mount: ~2 ms the runner need not pay

    digest = hashlib.sha256(str(root).encode()).hexdigest()[:STORE_HASH_CHARS]
    return Path(cache).expanduser() / "runar" / "index" / digest


def index_location(root: Path, mounts_file: Path = MOUNTS_FILE) -> Path:
    """``<root>/index``, or a local cache folder for a store on a network mount or read-only."""
    if on_network_fs(root, mounts_file):
        return local_cache_index(root)
    if root.exists() and not os.access(root, os.W_OK):
        return local_cache_index(root)  # a store received read-only can still be looked at
    return root / "index"
