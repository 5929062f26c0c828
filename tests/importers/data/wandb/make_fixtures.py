"""Write the W&B fixtures next to this file with the real wandb, offline (the tests need no wandb).

    python3 -m venv /tmp/wbvenv && /tmp/wbvenv/bin/pip install wandb
    /tmp/wbvenv/bin/python tests/importers/data/wandb/make_fixtures.py

Two offline runs of the script below, written the way training scripts call wandb:
``baseline`` finishes; ``diverged`` raises, so wandb records exit code 1. Only each run's
``run-*.wandb`` log and the ``files/`` a script saved are kept (the debug logs are not
read); ``expected.json`` notes what wandb itself reported (run ids, start times).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCRIPT = r"""
import json, sys
import wandb

name = sys.argv[1]
run = wandb.init(
    project="demo",
    name=name,
    config={"lr": 0.01, "model": {"depth": 4, "act": "relu"}},
    tags=["sweep"],
    notes="first try",
    group="lr-sweep",
    job_type="train",
)
with open("weights.txt", "w") as fh:
    fh.write("w=1\n")
wandb.save("weights.txt", policy="now")
for step in range(3):
    wandb.log({"loss": 1.0 / (step + 1), "val": {"acc": 0.5 + 0.1 * step}}, step=step)
wandb.log({"loss": float("nan")}, step=3)
run.summary["best_acc"] = 0.7
print(json.dumps({"name": name, "id": run.id, "start_time": run.start_time}))
if name == "diverged":
    raise RuntimeError("loss is nan")
wandb.finish()
"""


def main() -> None:
    expected = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "train.py")
        script.write_text(SCRIPT)
        env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
        for name in ("baseline", "diverged"):
            done = subprocess.run(
                [sys.executable, str(script), name],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
            )
            expected.append(json.loads(done.stdout.strip().splitlines()[-1]))
        shutil.rmtree(HERE / "wandb", ignore_errors=True)
        for run_dir in sorted(Path(tmp, "wandb").glob("offline-run-*")):
            target = HERE / "wandb" / run_dir.name
            target.mkdir(parents=True)
            for log in run_dir.glob("run-*.wandb"):
                shutil.copy2(log, target / log.name)
            if (run_dir / "files" / "weights.txt").exists():
                (target / "files").mkdir()
                shutil.copy2(run_dir / "files" / "weights.txt", target / "files" / "weights.txt")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    import wandb

    print(f"wandb {wandb.__version__}: wrote {HERE / 'wandb'}", file=sys.stderr)


if __name__ == "__main__":
    main()
