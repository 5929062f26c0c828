"""8 writer processes and 2 reader processes on one run at the same time.

One reader tails every segment from its offsets (through sealing), the other runs the
projector's catch_up in a loop. Every event must be read exactly once, no reader may
see a torn or damaged event, and the incrementally built views must equal a clean
rebuild. Figure: events written, events read by the tailer, catch-ups, duplicates (0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import msgspec
import pytest

from runar.ids import new_run_id
from runar.journal import read_run
from runar.projector import catch_up, rebuild
from runar.store import Store
from runar.views import open_views

from .conftest import Figure, size

WRITERS: Final = 8
WRITER = """
import sys, time
from pathlib import Path
from runar.events import MetricsLogged
from runar.journal import FlushPolicy, JournalWriter
run_dir, run_id, seconds, n = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
policy = FlushPolicy(flush_interval_s=0.02, segment_bytes=96_000)
w = JournalWriter(run_dir, run_id, role=f"rank{n}", policy=policy)
end, step = time.monotonic() + seconds, 0
while time.monotonic() < end:
    for _ in range(50):
        w.append(MetricsLogged(values={f"loss{n}": 1 / (step + 1)}, step=step))
        step += 1
    time.sleep(0.005)
w.close()
print(step)
"""
TAILER = """
import json, sys, time
from pathlib import Path
from runar.journal import list_segments, read_segment
run_dir, done = Path(sys.argv[1]), Path(sys.argv[2])
offsets, seen, dupes, corrupt, passes = {}, set(), 0, 0, 0
while True:
    last = done.exists()
    for seg in list_segments(run_dir):
        stem = (seg.writer, seg.number)
        got = read_segment(seg, offsets.get(stem, 0))
        offsets[stem] = got.end
        corrupt += got.corrupt
        for e in got.events:
            if (e.writer, e.seq) in seen:
                dupes += 1
            seen.add((e.writer, e.seq))
    passes += 1
    if last:
        break
    time.sleep(0.01)
print(json.dumps({"events": len(seen), "dupes": dupes, "corrupt": corrupt, "passes": passes}))
"""
PROJECTOR = """
import json, sys, time
from pathlib import Path
from runar.projector import catch_up
from runar.store import Store
store, done = Store(Path(sys.argv[1])), Path(sys.argv[2])
corrupt, passes = 0, 0
while True:
    last = done.exists()
    corrupt += catch_up(store).corrupt
    passes += 1
    if last:
        break
print(json.dumps({"corrupt": corrupt, "passes": passes}))
"""


def spawn(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def summary_record(store: Store, run_id: str) -> dict[str, object]:
    """The run's summary as plain data (dict order is first-seen order, not meaning)."""
    with open_views(store, catch_up=False) as views:
        return msgspec.to_builtins(views.get(run_id))


@pytest.mark.timeout(300)
def test_writers_and_readers_on_one_run(
    tmp_path: Path, clean_env: Path, figure: Figure, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds = size(3, 30)
    store = Store(tmp_path / ".runar").create()
    run_id, done = new_run_id(), tmp_path / "writers-done"
    run_dir = store.run_dir(run_id)
    run_dir.mkdir()
    readers = [spawn(TAILER, run_dir, done), spawn(PROJECTOR, store.root, done)]
    writers = [spawn(WRITER, run_dir, run_id, seconds, n) for n in range(WRITERS)]
    steps = [int(w.communicate(timeout=seconds + 120)[0]) for w in writers]
    done.touch()
    tail, projector = (json.loads(r.communicate(timeout=120)[0]) for r in readers)

    got = read_run(run_dir)
    written = sum(steps) + sum(1 for e in got.events if type(e).__name__ == "WriterOpened")
    assert got.corrupt == 0 and len(got.events) == written
    assert tail == {**tail, "events": written, "dupes": 0, "corrupt": 0}
    assert projector["corrupt"] == 0
    catch_up(store)
    incremental = summary_record(store, run_id)
    monkeypatch.setenv("RUNAR_INDEX_DIR", str(tmp_path / "clean-index"))
    rebuild(store)
    assert summary_record(store, run_id) == incremental
    figure(
        writers=WRITERS,
        readers=2,
        seconds=seconds,
        events_written=written,
        events_read_by_tailer=tail["events"],
        tailer_passes=tail["passes"],
        catch_ups=projector["passes"],
        duplicates=0,
        torn_or_corrupt=0,
        views_equal_clean_rebuild=True,
        segments=len(os.listdir(run_dir)),
    )
