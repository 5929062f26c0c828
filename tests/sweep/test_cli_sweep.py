"""`runar sweep` end to end: help, sweep files, --dry-run, --stop."""

from __future__ import annotations

SLOW_LOSS = """\
import argparse, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
a = p.parse_args()
loss = 1.0
for epoch in range(40):
    loss *= 1 - min(a.lr * 100, 0.9)
    print(f"Epoch {epoch}: loss={loss:.4f}", flush=True)
    time.sleep(0.05)
"""


def test_help_lists_the_spec_forms_and_options(sweep_cli):
    shown = sweep_cli("--help")
    assert shown.returncode == 0
    for text in ("0..4", "1e-4:1e-2:log:5", "loguniform", "--resume", "--on ray", "-j, --jobs"):
        assert text in shown.stdout


def test_a_sweep_file_with_dry_run_prints_every_point_and_runs_nothing(store, sweep_cli, project):
    (project / "sweep.toml").write_text(
        'script = "train.py"\nname = "from-file"\n[fixed]\nepochs = 1\n'
        '[space]\nlr = [1e-3, 1e-2]\nseed = "0..2"\n'
    )
    shown = sweep_cli("-f", "sweep.toml", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "sweep from-file: 6 point(s) on this machine"
    assert lines[1].split()[1:] == (
        [
            "runar",
            "-n",
            "from-file-0",
            "-t",
            "sweep:from-file",
            "train.py",
            "--epochs",
            "1",
            "--lr",
            "0.001",
            "--seed",
            "0",
        ]
    )
    assert not any(store.runs_dir.iterdir())


def test_random_sampling_from_the_command_line_is_repeatable(sweep_cli):
    args = ("train.py", "--lr", "loguniform(1e-5,1e-1)", "--random", "3", "--seed-sweep", "5")
    first = sweep_cli(*args, "-n", "r", "--dry-run").stdout
    assert first == sweep_cli(*args, "-n", "r", "--dry-run").stdout
    assert len(first.splitlines()) == 4


def test_a_module_is_swept_as_python_dash_m_runs_it(sweep_cli):
    shown = sweep_cli("-m", "pkg.train", "--seed", "0,1", "-n", "mod", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1].split()[1:] == (
        ["runar", "-n", "mod-0", "-t", "sweep:mod", "-m", "pkg.train", "--seed", "0"]
    )
