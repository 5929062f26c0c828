"""SDK: the cost of log() in the training loop and of `import runar`."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Final

from harness import Result, median_ns_per_call

LOG_TARGET_NS: Final = 1_500  # issue 18: the hot-path median stays <= 1.5 µs
IMPORT_TARGET_MS: Final = 30.0
PER_CALL_SAMPLES: Final = 200_000
IMPORT_REPEATS: Final = 15
VALUES: Final = {"loss": 0.5, "acc": 0.8, "lr": 1e-3, "epoch": 3}
DURABLE_STEPS: Final = 100_000
DURABLE_TARGET_S: Final = 0.25
DURABLE_REPEATS: Final = 3
# One fresh process per measurement: CPU seconds of the thread that logs plus the writer's
# flush thread (loop + background encoding + final durable flush); of the whole process
# until then, which also pays for the part of sealing full segments (zstd compaction, a
# low-priority thread) done meanwhile; and of the whole process through finish(), which
# seals every segment.
# The baseline, same process: append the dicts to a list, one msgspec encode, write, fsync.
_DURABLE_CHILD: Final = """
import json, os, sys, tempfile, time
os.environ["RUNAR_DIR"] = os.path.join(tempfile.mkdtemp(prefix="runar-bench-"), ".runar")
os.environ.pop("RUNAR_RUN_ID", None)
import msgspec
import runar
import runar.sdk.run as sdk_run
steps = int(sys.argv[1])
rows = [
    {"loss": 1 / (i + 1), "acc": i / steps, "lr": 3e-4, "epoch": i // 1000} for i in range(steps)
]
runar.log({"loss": 0.0})  # starts the run and loads the journal
writer = next(iter(sdk_run._writers.values()))
flush_clock = time.pthread_getcpuclockid(writer._thread.ident)
main0, flush0, proc0 = time.thread_time(), time.clock_gettime(flush_clock), time.process_time()
log = runar.log
for row in rows:
    log(row)
writer.flush(durable=True)
main1, flush1, proc1 = time.thread_time(), time.clock_gettime(flush_clock), time.process_time()
runar.finish()
proc2 = time.process_time()
start = time.process_time()
sink = []
for row in rows:
    sink.append(row)
path = os.path.join(os.environ["RUNAR_DIR"], "baseline.jsonl")
with open(path, "wb") as out:
    out.write(msgspec.json.Encoder().encode_lines(sink))
    out.flush()
    os.fsync(out.fileno())
base = time.process_time() - start
logging = (main1 - main0) + (flush1 - flush0)
times = {"logging": logging, "process": proc1 - proc0, "finished": proc2 - proc0}
print(json.dumps({**times, "base": base}))
"""


def _per_call_median_ns(fn: Callable[[dict[str, float | int]], object]) -> float:
    """Median of individually timed calls: what one call costs the training loop."""
    clock = time.perf_counter_ns
    samples = [0] * PER_CALL_SAMPLES
    for i in range(PER_CALL_SAMPLES):
        start = clock()
        fn(VALUES)
        samples[i] = clock() - start
    return statistics.median(samples)


def _log_cost(results: list[Result]) -> None:
    os.environ["RUNAR_DIR"] = os.path.join(tempfile.mkdtemp(prefix="runar-bench-"), ".runar")
    os.environ.pop("RUNAR_RUN_ID", None)
    import runar

    sink: list[object] = []

    def bare(values: dict[str, float | int]) -> None:
        sink.append(values)

    runar.log(VALUES)  # the first call starts the run and loads the journal
    bare_ns = _per_call_median_ns(bare)
    log_ns = _per_call_median_ns(runar.log)
    results.append(
        Result(
            "log() of a 4-key dict, median call",
            f"{log_ns:,.0f} ns",
            f"{bare_ns:,.0f} ns (function appending to a list)",
            f"{log_ns / bare_ns:.1f}x",
            f"<= {LOG_TARGET_NS:,} ns",
            log_ns <= LOG_TARGET_NS,
        )
    )
    # Amortized: the flush thread encodes in the same process, so this includes its share.
    amortized = median_ns_per_call(lambda: runar.log(VALUES), calls=50_000, rounds=5)
    bare_amortized = median_ns_per_call(lambda: bare(VALUES), calls=50_000, rounds=5)
    results.append(
        Result(
            "log() amortized, incl. background encoding",
            f"{amortized:,.0f} ns",
            f"{bare_amortized:,.0f} ns (function appending to a list)",
            f"{amortized / bare_amortized:.1f}x",
            "context",
            None,
        )
    )
    runar.finish()


def _durable_cost(results: list[Result]) -> None:
    runs = []
    for _ in range(DURABLE_REPEATS):
        done = subprocess.run(
            [sys.executable, "-c", _DURABLE_CHILD, str(DURABLE_STEPS)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    best = min(runs, key=lambda r: r["logging"])
    logging_s, base_s = best["logging"], min(r["base"] for r in runs)
    results.append(
        Result(
            f"{DURABLE_STEPS:,} steps x 4 metrics → durable, CPU",
            f"{logging_s:.3f} s ({logging_s / DURABLE_STEPS * 1e6:.2f} µs/step)",
            f"{base_s:.3f} s (list.append + msgspec + write + fsync)",
            f"{logging_s / base_s:.1f}x",
            f"<= {DURABLE_TARGET_S} s",
            logging_s <= DURABLE_TARGET_S,
        )
    )
    for key, name in (
        ("process", "  the same, whole process until durable"),
        ("finished", "  the same, whole process through finish() (every segment sealed)"),
    ):
        process_s = min(r[key] for r in runs)
        results.append(
            Result(
                name,
                f"{process_s:.3f} s",
                f"{base_s:.3f} s",
                f"{process_s / base_s:.1f}x",
                "context",
                None,
            )
        )


def _importtime_ms(statement: str) -> float:
    """Cumulative import time of the last top-level module, from -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    last = done.stderr.strip().splitlines()[-1]
    return int(last.split("|")[1]) / 1000


def _wall_ms(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return (time.perf_counter() - start) * 1000


def _import_cost(results: list[Result]) -> None:
    importtime = statistics.median(_importtime_ms("import runar") for _ in range(IMPORT_REPEATS))
    bare = statistics.median(_wall_ms("pass") for _ in range(IMPORT_REPEATS))
    with_runar = statistics.median(_wall_ms("import runar") for _ in range(IMPORT_REPEATS))
    results.append(
        Result(
            "import runar (-X importtime, cumulative)",
            f"{importtime:.1f} ms",
            f"{bare:.1f} ms (python -c pass, wall)",
            f"{importtime / bare:.2f}x",
            f"<= {IMPORT_TARGET_MS:.0f} ms",
            importtime <= IMPORT_TARGET_MS,
        )
    )
    results.append(
        Result(
            "python -c 'import runar', wall",
            f"{with_runar:.1f} ms",
            f"{bare:.1f} ms (python -c pass, wall)",
            f"{with_runar / bare:.2f}x",
            "context",
            None,
        )
    )


def run() -> list[Result]:
    results: list[Result] = []
    _import_cost(results)
    _log_cost(results)
    _durable_cost(results)
    return results
