"""Run every benchmark and print one table: ``python benchmarks/run.py [name-filter]``."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Result  # noqa: E402


def load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    rows: list[Result] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted not in path.stem:
            continue
        print(f"running {path.stem} …", file=sys.stderr, flush=True)
        try:
            rows.extend(load(path).run())  # type: ignore[attr-defined]
        except Exception:
            traceback.print_exc()
            rows.append(Result(path.stem, "error", "", "", "", False))
    headers = ("benchmark", "measured", "baseline (same run)", "ratio", "target", "ok")
    table = [
        (
            r.name,
            r.measured,
            r.baseline,
            r.ratio,
            r.target,
            "—" if r.passed is None else ("yes" if r.passed else "NO"),
        )
        for r in rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in table)) if table else len(h)
        for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
