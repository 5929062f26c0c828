import json
import shutil

from typer.testing import CliRunner

from runar.store import Store

from .helpers import invoke


def test_reindex_rebuilds_the_same_views(
    cli: CliRunner, store: Store, two_runs: tuple[str, str]
) -> None:
    before = json.loads(invoke(cli, "ls", "--json").stdout)
    shutil.rmtree(store.index_dir)
    report = json.loads(invoke(cli, "reindex", "--json").stdout)
    assert report["runs"] == 2 and report["events"] > 0
    assert json.loads(invoke(cli, "ls", "--json").stdout) == before


def test_reindex_says_what_it_did(cli: CliRunner, two_runs: tuple[str, str]) -> None:
    assert "rebuilt the views: 2 run(s)" in invoke(cli, "reindex").stdout
