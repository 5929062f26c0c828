"""The runner's background uploader: `runar SCRIPT --remote NAME` (or RUNAR_REMOTE).

A thread of the runner process (never the training process) looks at the run folder
every LIVE_INTERVAL_S: each sealed segment, artifact and code file goes up once with a
create-only PUT, each open segment's complete lines go up as the advisory
``live/<writer>.<n>.jsonl`` tail (replaced as it grows, deleted once its sealed object is
up). Every writer of the run is covered: the runner's, the SDK's, each DDP rank's.
Failures never reach training: they are retried with exponential backoff and said
once. At the end the runner waits at most FINAL_UPLOAD_WAIT_S for the last pass, then
leaves the rest to `runar push`, which resumes from what is on disk.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from runar.errors import RunarError
from runar.journal.segment import PLAIN_SUFFIX
from runar.remote.artifacts import blob_key, file_sha256, recorded_artifacts
from runar.remote.bucket import Bucket, ObjectExists, open_bucket
from runar.remote.layout import key_for_local, sealed_key_of_live
from runar.remote.push import local_files, whole_lines
from runar.remote.state import SyncState
from runar.remote.url import parse_url
from runar.store import Store

LIVE_INTERVAL_S: Final = 1.0
FIRST_PASS_S: Final = 0.5
FINAL_UPLOAD_WAIT_S: Final = 10.0
FIRST_BACKOFF_S: Final = 2.0
MAX_BACKOFF_S: Final = 60.0
LIVE_TAIL_BYTES_PER_S: Final = 256 << 10
RECORDED_REFRESH_S: Final = 10.0  # how often an unknown artifact makes the log be read again


class LiveUploader:
    """Mirror one run folder into a bucket while the run goes on."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        name: str,
        url: str,
        say: Callable[[str], None],
        interval: float = LIVE_INTERVAL_S,
    ) -> None:
        self.store, self.run_id, self.name, self.url = store, run_id, name, url
        self.say, self.interval = say, interval
        self._bucket: Bucket | None = None
        self._known: dict[str, int] | None = None  # key → size of what is up
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runar-live-upload", daemon=True)
        self._warned = False
        self._backoff = 0.0
        self.pending = 0
        self.uploads = 0
        self._recorded: dict[str, tuple[str, int]] = {}  # artifact path → (sha256, size)
        self._sent: set[str] = set()  # artifacts sent as blobs
        self._final = False
        self.state = SyncState.load(store, str(parse_url(url)))  # the key push and pull use
        self._reread_at = 0.0
        self._tail_due: dict[str, float] = {}  # live key → when it may be sent again

    def start(self) -> LiveUploader:
        self._thread.start()
        return self

    def _loop(self) -> None:
        wait = FIRST_PASS_S  # the run shows up for teammates as soon as it starts
        while not self._stop.wait(wait):
            wait = self.interval if self._pass_safely() else self._backoff

    def _pass_safely(self) -> bool:
        """One pass; on failure warn once and back off (2 s, 4 s, … up to a minute)."""
        try:
            self._pass()
        except (RunarError, OSError) as exc:
            self._backoff = min(max(self._backoff * 2, FIRST_BACKOFF_S), MAX_BACKOFF_S)
            if not self._warned:
                self._warned = True
                self.say(
                    f"runar: uploading to {self.name} failed ({exc}); retrying in the background"
                )
            return False
        self._backoff = 0.0
        return True

    def _pass(self) -> None:
        if self._bucket is None:
            self._bucket = open_bucket(self.url)
        bucket = self._bucket
        if self._known is None:
            self._known = {o.key: o.size for o in bucket.list(f"runs/{self.run_id}/")}
        known = self._known
        pending = 0
        for rel, path in local_files(self.store.run_dir(self.run_id)):
            key = key_for_local(rel)
            if key is None:
                continue
            if rel.endswith(PLAIN_SUFFIX):
                if path.with_name(path.name + ".zst").exists() or sealed_key_of_live(key) in known:
                    continue
                if not self._final and time.monotonic() < self._tail_due.get(key, 0.0):
                    continue
                data = whole_lines(path)
                if data and len(data) > known.get(key, -1):
                    pending += 1
                    bucket.put_overwrite(key, data)
                    known[key] = len(data)
                    self.uploads += 1
                    # a tail is sent whole: a big one waits longer, so the upload rate of a
                    # chatty run stays near LIVE_TAIL_BYTES_PER_S, not 4 MiB every second
                    self._tail_due[key] = time.monotonic() + len(data) / LIVE_TAIL_BYTES_PER_S
                continue
            if key in known or rel in self._sent:
                continue
            if key.startswith(f"runs/{self.run_id}/artifacts/"):
                target = self._artifact_key(rel, key, path)
                if target is None:
                    continue  # its ArtifactAttached event is not in the log yet
                if target != key:
                    pending += 1
                    with contextlib.suppress(ObjectExists):  # the same content is up already
                        bucket.put_blob(target, path)
                        self.uploads += 1
                    self._sent.add(rel)
                    continue
            pending += 1
            size = path.stat().st_size
            with contextlib.suppress(ObjectExists):  # already up: `runar push` compares bytes
                etag = bucket.put_create(key, path)
                self.state.record(key, size, etag)  # so `runar push` need not compare it
                self.uploads += 1
            known[key] = size
            live = f"{key.rsplit('/', 1)[0]}/live/{path.name[: -len('.zst')]}"
            if key.endswith(".zst") and live in known:
                bucket.delete(live)  # the advisory tail's events are all in the sealed object
                del known[live]
        self.pending = pending

    def _artifact_key(self, rel: str, key: str, path: Path) -> str | None:
        """``blobs/<sha256>`` for a file its run's log records as saved, else its run key.

        None while the file has no event yet (the SDK writes the file, then the event).
        """
        sub = rel.split("/artifacts/", 1)[1]
        parents = ["/".join(sub.split("/")[:i]) for i in range(1, sub.count("/") + 1)]
        if any(p in self._recorded for p in parents):
            return key  # a file of a saved folder
        now = time.monotonic()
        if sub not in self._recorded and (self._final or now >= self._reread_at):
            self._reread_at = now + RECORDED_REFRESH_S  # reading a big log is not free
            self._recorded = recorded_artifacts(self.store.run_dir(self.run_id))
        found = self._recorded.get(sub)
        if found is None:
            return key if self._final else None
        if found[1] == path.stat().st_size and file_sha256(path) == found[0]:
            return blob_key(found[0])
        return key

    def finish(self, wait: float = FINAL_UPLOAD_WAIT_S) -> list[str]:
        """Stop, upload what the end of the run left, at most ``wait`` seconds; lines to print."""
        started = time.monotonic()
        self._stop.set()
        self._thread.join(timeout=wait)  # a pass under way ends first
        done = threading.Event()
        ok: list[bool] = []
        self._final = True  # files whose event never came go up under their run's key

        def last_pass() -> None:
            ok.append(self._pass_safely())
            done.set()

        if not self._thread.is_alive():
            threading.Thread(target=last_pass, name="runar-final-upload", daemon=True).start()
            done.wait(max(0.0, wait - (time.monotonic() - started)))
        self.state.save()
        if ok and ok[0]:
            return []
        return [
            f"runar: the run is not fully uploaded to {self.name} yet; "
            f"'runar push {self.name}' finishes it (nothing is lost)"
        ]


def start_live_upload(
    store: Store, run_id: str, remote: str, say: Callable[[str], None]
) -> LiveUploader | None:
    """The uploader for ``remote`` (a name or URL), started; None (and a line said) if not."""
    from runar.remote.config import resolve_remote

    try:
        name, url = resolve_remote(store, remote)
        open_bucket(url)  # obstore present and the URL valid; the network is tried in the thread
    except RunarError as exc:
        say(f"runar: not uploading to {remote}: {exc}")
        return None
    return LiveUploader(store, run_id, name, url, say).start()


def follow_run(store: Store, run_id: str, name: str, url: str, say: Callable[[str], None]) -> None:
    """Upload one run as it is written until SIGINT/SIGTERM (`runar push --follow RUN`).

    For the nodes of a multi-node job that log into a run another node's runner owns.
    """
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    uploader = LiveUploader(store, run_id, name, url, say).start()
    # it may start before the run's first line is written (another node's ranks): say so
    say(f"runar: uploading run {run_id} to {name} as it is written; Ctrl-C or SIGTERM ends it")
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in uploader.finish():
        say(line)
