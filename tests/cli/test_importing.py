"""`runar import tensorboard|mlflow|wandb PATH` as a user types it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from runar.importers.source_run import run_id_for

from .helpers import invoke_main

DATA = Path(__file__).resolve().parents[1] / "importers" / "data"


def test_mlflow_import_says_one_line_per_run_then_a_total(cli, store, tmp_path):
    mlruns = shutil.copytree(DATA / "mlflow" / "mlruns", tmp_path / "mlruns")
    code, out, err = invoke_main(cli, "import", "mlflow", str(mlruns))
    assert code == 0, err
    lines = out.splitlines()
    assert sorted(line.split()[2] for line in lines[:3]) == ["baseline", "high-lr", "high-lr-eval"]
    assert all(line.startswith("imported: ") for line in lines[:3])
    assert "baseline (6 metric value(s), 2 artifact(s))" in out
    assert lines[3] == "3 run(s) imported"
    code, out, _ = invoke_main(cli, "import", "mlflow", str(mlruns))
    assert out.splitlines()[-1] == "0 run(s) imported, 3 skipped"
    assert out.count("already imported: ") == 3


def test_json_records_and_tags(cli, store, tmp_path):
    wandb_dir = shutil.copytree(DATA / "wandb" / "wandb", tmp_path / "wandb")
    code, out, err = invoke_main(cli, "import", "wandb", str(wandb_dir), "--json", "-t", "legacy")
    assert code == 0, err
    records = json.loads(out)
    assert [r["outcome"] for r in records] == ["imported", "imported"]
    expected = json.loads((DATA / "wandb" / "expected.json").read_text())
    ids = {run_id_for(f"wandb::demo:{e['id']}") for e in expected}
    assert {r["run_id"] for r in records} == ids
    code, out, _ = invoke_main(cli, "ls", "--tag", "legacy", "--json")
    assert {r["id"] for r in json.loads(out)} == ids


def test_damage_is_said_under_its_run(cli, store, tmp_path):
    mlruns = Path(shutil.copytree(DATA / "mlflow" / "mlruns", tmp_path / "mlruns"))
    (acc,) = mlruns.rglob("metrics/acc")
    acc.write_text(acc.read_text() + "garbage\n")
    code, out, _ = invoke_main(cli, "import", "mlflow", str(mlruns))
    assert code == 0
    assert f"  skipped in {acc.parents[1]}: 1 unreadable line(s) in metrics/acc" in out


def test_a_path_with_nothing_to_import_is_one_error_line(cli, store, tmp_path):
    code, _, err = invoke_main(cli, "import", "tensorboard", str(tmp_path / "missing"))
    assert code == 1
    assert err.strip().startswith("error: no such folder")
    assert "Traceback" not in err


def test_help_lists_the_three_sources(cli):
    code, out, _ = invoke_main(cli, "import", "--help")
    assert code == 0
    for kind in ("tensorboard", "mlflow", "wandb"):
        assert kind in out
