"""An integer beyond 64 bits in config, artifact meta or arguments: the store stays usable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runar.events import ArtifactAttached, ConfigSet, RunStarted
from runar.ids import new_run_id
from runar.journal import JournalWriter, read_run
from runar.store import Store
from runar.views import open_views

HUGE = 10**30


def test_huge_integers_are_indexed_as_their_digits_and_kept_exact_in_the_log(store: Store) -> None:
    run_id = new_run_id()
    with JournalWriter(store.run_dir(run_id), run_id, role="test") as writer:
        writer.append(RunStarted(run_id=run_id, argv=["t.py", "--offset", str(-(2**70))]))
        writer.append(ConfigSet(values={"seed": HUGE, "nested": {"ids": [1, -(2**64)]}}))
        writer.append(
            ArtifactAttached(
                name="m", kind="file", size=1, sha256="0" * 64, path="m", meta={"n": HUGE}
            )
        )
    with open_views(store) as views:  # used to fail: OverflowError on every catch-up
        summary = views.get(run_id)
        config = summary.config_values()
        assert config["seed"] == str(HUGE)
        assert config["nested.ids"] == [1, str(-(2**64))]
        assert config["offset"] == str(-(2**70))  # from the arguments
        assert summary.artifacts["m"].meta == {"n": str(HUGE)}
    logged = [e for e in read_run(store.run_dir(run_id)).events if isinstance(e, ConfigSet)]
    assert logged[0].values["seed"] == HUGE  # the source of truth keeps the number


def test_a_script_configuring_a_huge_seed_leaves_ls_and_show_working(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("import runar\nrunar.config({'seed': 10**30})\nrunar.log({'loss': 1.0})\n")
    env = {"RUNAR_DIR": str(tmp_path / ".runar"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=60)
    runar = [sys.executable, "-m", "runar"]
    listed = subprocess.run(
        [*runar, "ls", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    run_id = json.loads(listed.stdout)[0]["id"]
    shown = subprocess.run(
        [*runar, "show", run_id, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["config"]["seed"] == str(HUGE)
