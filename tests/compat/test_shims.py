"""`runar --as wandb|mlflow`: the script's own import resolves to runar's, in that child only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runar.cli.runner import build_request, parse
from runar.compat import shim_folder
from runar.errors import UsageError
from runar.store import Store

from .helpers import only_record, run_script

WHICH = """
import wandb, mlflow
print("wandb is", wandb.__name__)
print("mlflow is", mlflow.__name__)
"""


@pytest.fixture
def real_installation(tmp_path: Path) -> Path:
    """A stand-in for real wandb and mlflow packages installed where Python finds them."""
    site = tmp_path / "site"
    for name in ("wandb", "mlflow"):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(f"print('the real {name}')\n")
    return site


def test_as_is_runars_option_before_the_script_and_repeats() -> None:
    found = parse(["--as", "wandb", "--as=mlflow", "train.py", "--as", "x"])
    assert (found.shims, found.script, found.args) == (
        ["wandb", "mlflow"],
        "train.py",
        ["--as", "x"],
    )


def test_as_names_what_it_accepts() -> None:
    with pytest.raises(UsageError, match="--as takes wandb or mlflow, not 'comet'"):
        parse(["--as", "comet", "train.py"])


def test_the_shim_folder_goes_first_on_the_childs_path_only(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("")
    request = build_request(parse(["--as", "wandb", str(script)]))
    assert request.import_paths == [shim_folder("wandb")]
    assert (Path(shim_folder("wandb")) / "wandb" / "__init__.py").is_file()
    assert shim_folder("wandb") not in sys.path


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--as", "wandb", "--as", "mlflow"], ("runar.compat.wandb", "runar.compat.mlflow")),
        (["--as", "mlflow"], ("wandb", "runar.compat.mlflow")),
        ([], ("wandb", "mlflow")),
    ],
)
def test_as_shadows_an_installed_package_for_the_script_only_when_asked(
    store: Store, tmp_path: Path, real_installation: Path, options: list[str], expected: tuple
) -> None:
    script = tmp_path / "which.py"
    script.write_text(WHICH)
    env = {**os.environ, "RUNAR_DIR": str(store.root), "PYTHONPATH": str(real_installation)}
    env.pop("RUNAR_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "runar", *options, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"wandb is {expected[0]}\n" in done.stdout
    assert f"mlflow is {expected[1]}\n" in done.stdout
    assert ("the real wandb" in done.stdout) == (expected[0] == "wandb")


def test_as_applies_to_a_command_after_double_dash_and_to_flavor_modules(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "fit.py").write_text(
        "import mlflow.sklearn\n"
        "with mlflow.start_run():\n"
        "    mlflow.sklearn.log_model({'coef': [1.0]}, 'model')\n"
    )
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    env.pop("RUNAR_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, "-m", "runar", "--as", "mlflow", "--", sys.executable, "fit.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = only_record(store)
    assert [a["name"] for a in record["artifacts"]] == ["model/model.pkl"]


def test_without_as_a_script_importing_wandb_fails_as_it_would_without_wandb(
    store: Store, tmp_path: Path
) -> None:
    done = run_script(store, tmp_path, "import wandb\n")
    assert done.returncode == 1 and "No module named 'wandb'" in done.stderr
