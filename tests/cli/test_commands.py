"""cli/commands.py: a typed command registers alone; the full app has every command."""

from __future__ import annotations

import subprocess
import sys

import typer

from runar.cli import COMMANDS
from runar.cli.commands import REGISTRARS, build_app
from runar.store import Store


def _names(app: typer.Typer) -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_a_registrar() -> None:
    assert {name for names, _ in REGISTRARS for name in names} == set(COMMANDS)
    assert _names(build_app()) == set(COMMANDS)


def test_a_typed_command_registers_alone() -> None:
    assert _names(build_app("projects")) == {"projects"}
    assert _names(build_app("push")) == {"remote", "push", "pull"}  # one module's register()


def test_an_unknown_name_gets_every_command_for_typer_s_hint() -> None:
    assert _names(build_app("lss")) == set(COMMANDS)


def test_only_the_typed_command_s_module_loads(store: Store) -> None:
    code = (
        "import sys; from runar.cli import main\n"
        "try:\n"
        "    main(['projects'])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('runar.cli.')), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stderr.strip().splitlines()[-1]
    assert "runar.cli.runs" in loaded
    for other in ("runar.cli.export", "runar.cli.serve", "runar.cli.sweep", "runar.cli.report"):
        assert f"'{other}'" not in loaded
