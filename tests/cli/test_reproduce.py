"""`runar checkout` and `runar rerun`: the original code comes back, the repository stays put."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from gitrepo import git

from runar.events import RunStarted
from runar.store import Store
from tests.runner.helpers import events_of, of_type, run_runar, write_script

from .helpers import write_run

TRAIN = """\
import argparse, hashlib, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()
here = pathlib.Path(__file__).resolve().parent
print("source", hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest())
print("extra", hashlib.sha256((here / "extra.txt").read_bytes()).hexdigest())
print("setting", args.lr, args.epochs, pathlib.Path.cwd().name)
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def repo_state(repo: Path) -> tuple[object, ...]:
    """Everything `runar checkout/rerun` must never change in the user's repository."""
    return (
        git(repo, "for-each-ref"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "stash", "list"),
        git(repo, "rev-parse", "HEAD"),
        (repo / ".git" / "index").read_bytes(),
        tree_files(repo),
        sorted(p.name for p in (repo / ".git").iterdir() if p.name != "objects"),
    )


def printed(stdout: str, label: str) -> str:
    return next(line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith(label))


def other_run(store: Store, known: str) -> str:
    (new,) = set(store.run_ids()) - {known}
    return new


def started_of(store: Store, run_id: str) -> RunStarted:
    (event,) = of_type(events_of(store, run_id), RunStarted)
    return event


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """exp/train.py committed once, then edited (uncommitted) beside an untracked extra.txt."""
    root = tmp_path / "repo"
    (root / "exp").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_script(root / "exp", TRAIN, "train.py")
    (root / "exp" / "extra.txt").write_text("committed data\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    with open(root / "exp" / "train.py", "a") as script:
        script.write("print('an edit nobody committed')\n")
    (root / "exp" / "extra.txt").write_text("edited, never committed\n")
    (root / "exp" / "notes.txt").write_text("untracked\n")
    return root


@pytest.fixture
def original(store: Store, repo: Path) -> tuple[str, dict[str, bytes], str]:
    """The run of the dirty tree: its id, the tree it saw and what it printed; then the
    user changes and commits more code."""
    done = run_runar(["-n", "orig", "train.py", "--lr", "0.5"], cwd=repo / "exp")
    assert done.returncode == 0, done.stderr
    tree = tree_files(repo)
    (run_id,) = store.run_ids()
    (repo / "exp" / "train.py").write_text("print('the new code')\n")
    (repo / "exp" / "extra.txt").write_text("newer data\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later work")
    (repo / "exp" / "scratch.py").write_text("work in progress\n")
    return run_id, tree, done.stdout


def test_checkout_writes_the_original_tree_byte_for_byte(store, repo, original, tmp_path):
    _, tree, _ = original
    before = repo_state(repo)
    done = run_runar(["checkout", "orig", str(tmp_path / "out")], cwd=repo)
    assert done.returncode == 0, done.stderr
    assert tree_files(tmp_path / "out") == tree
    assert repo_state(repo) == before


def test_checkout_defaults_to_a_folder_named_after_the_run(store, repo, original, tmp_path):
    run_id, tree, _ = original
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = run_runar(["checkout", run_id[:8]], cwd=work)
    assert done.returncode == 0, done.stderr
    (folder,) = work.iterdir()
    assert folder.name.startswith("runar-") and run_id.startswith(folder.name[6:])
    assert tree_files(folder) == tree


def test_checkout_refuses_a_folder_that_is_not_empty(store, repo, original, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine\n")
    done = run_runar(["checkout", "orig", str(tmp_path / "out")], cwd=repo)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'out'} is not empty; name a new folder for the checkout"
    ]
    assert tree_files(tmp_path / "out") == {"keep.txt": b"mine\n"}


@pytest.mark.parametrize(
    ("where", "says"),
    [("file.txt", "is a file"), ("file.txt/sub", "cannot create")],  # the second: a traceback
)
def test_checkout_into_a_place_it_cannot_use_is_one_line(
    store, repo, original, tmp_path, where, says
):
    (tmp_path / "file.txt").write_text("mine\n")
    done = run_runar(["checkout", "orig", str(tmp_path / where)], cwd=repo)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr and "name" in done.stderr
    assert (tmp_path / "file.txt").read_text() == "mine\n"


def test_checkout_without_the_repository_uses_the_kept_bundle(store, repo, original, tmp_path):
    _, tree, _ = original
    shutil.rmtree(repo)  # another machine: only the store came along
    done = run_runar(["checkout", "orig", str(tmp_path / "out")], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert tree_files(tmp_path / "out") == tree


def test_checkout_names_the_commit_to_fetch_when_it_is_nowhere(store, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    write_script(clone, "print('pushed')\n", "train.py")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "pushed")
    git(clone, "push", "-q", "origin", "main")
    commit = git(clone, "rev-parse", "HEAD")
    (clone / "train.py").write_text("print('dirty')\n")
    assert run_runar(["-n", "pushed", "train.py"], cwd=clone).returncode == 0
    shutil.rmtree(clone)
    (run_id,) = store.run_ids()
    done = run_runar(["checkout", "pushed", str(tmp_path / "out")], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: run {run_id[:8]} needs commit {commit[:12]}, which is not in "
        f"{tmp_path / 'clone'} and was pushed to {remote}: fetch it and retry"
    ]
    assert not (tmp_path / "out").exists()


def test_rerun_runs_the_original_code_as_a_linked_run(store, repo, original):
    run_id, tree, first = original
    before = repo_state(repo)
    done = run_runar(["rerun", "orig"], cwd=repo)
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "source") == printed(first, "source")
    assert printed(done.stdout, "source") == sha(tree["exp/train.py"])
    assert printed(done.stdout, "extra") == sha(b"edited, never committed\n")
    assert printed(done.stdout, "setting") == "0.5 1 exp"
    new = other_run(store, run_id)
    again = started_of(store, new)
    assert again.rerun_of == run_id
    assert again.argv[1:] == ["--lr", "0.5"]
    assert again.git == started_of(store, run_id).git  # the code it ran is the original's
    assert repo_state(repo) == before


def test_rerun_set_changes_one_argument_and_appends_another(store, repo, original):
    run_id, _, _ = original
    done = run_runar(["rerun", "orig", "--set", "lr=0.25", "--set", "epochs=3"], cwd=repo)
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "setting") == "0.25 3 exp"
    new = other_run(store, run_id)
    assert started_of(store, new).argv[1:] == ["--lr", "0.25", "--epochs", "3"]
    shown = run_runar(["show", new, "--json"], cwd=repo)
    assert f'"rerun_of": "{run_id}"' in shown.stdout
    assert "rerun of " in shown.stdout and "lr=0.25" in shown.stdout


def test_rerun_reuses_its_checkout(store, repo, original):
    run_id, _, _ = original
    assert run_runar(["rerun", "orig"], cwd=repo).returncode == 0
    checkout = store.root / "cache" / "checkouts" / run_id
    (checkout / "exp" / "marker").write_text("still here\n")
    assert run_runar(["rerun", "orig"], cwd=repo).returncode == 0
    assert (checkout / "exp" / "marker").read_text() == "still here\n"


def test_rerun_dry_run_prints_and_runs_nothing(store, repo, original):
    run_id, _, _ = original
    done = run_runar(["rerun", "orig", "--dry-run", "--set", "lr=0.2"], cwd=repo)
    assert done.returncode == 0, done.stderr
    checkout = store.root / "cache" / "checkouts" / run_id
    lines = done.stdout.splitlines()
    assert lines[0].startswith("command:  ") and lines[0].endswith(" train.py --lr 0.2")
    assert lines[1:3] == [f"cwd:      {checkout / 'exp'}", f"checkout: {checkout}"]
    assert all(line.startswith("secrets:  ") for line in lines[3:])  # whatever env redacted
    assert store.run_ids() == [run_id]
    assert not checkout.exists()


def test_rerun_never_passes_a_redacted_value(store, repo):
    write_script(repo / "exp", "import sys\nprint('args', *sys.argv[1:])\n", "fetch.py")
    token = ["--api-key", "not-for-the-log"]
    assert run_runar(["-n", "keyed", "fetch.py", *token], cwd=repo / "exp").returncode == 0
    refused = run_runar(["rerun", "keyed"], cwd=repo)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: run {store.run_ids()[0][:8]} needs a value for --api-key (redacted when "
        "recorded): give it with --set api_key=... or the environment variable API_KEY"
    ]
    given = run_runar(["rerun", "keyed", "--set", "api_key=abc"], cwd=repo)
    assert given.returncode == 0, given.stderr
    assert printed(given.stdout, "args") == "--api-key abc"
    from_env = run_runar(["rerun", "keyed"], cwd=repo, API_KEY="from-env")
    assert printed(from_env.stdout, "args") == "--api-key from-env"


def test_rerun_of_a_module_and_of_a_command(store, repo):
    pkg = repo / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write_script(pkg, "import sys\nprint('module', *sys.argv[1:])\n", "train.py")
    write_script(repo, 'echo command "$@"\n', "run.sh")
    assert run_runar(["-n", "mod", "-m", "pkg.train", "--lr", "1"], cwd=repo).returncode == 0
    assert run_runar(["-n", "cmd", "--", "bash", "run.sh", "x"], cwd=repo).returncode == 0
    (pkg / "train.py").write_text("print('changed')\n")
    (repo / "run.sh").write_text("echo changed\n")
    module = run_runar(["rerun", "mod", "--set", "lr=2"], cwd=repo)
    assert module.returncode == 0, module.stderr
    assert printed(module.stdout, "module") == "--lr 2"
    command = run_runar(["rerun", "cmd"], cwd=repo)
    assert command.returncode == 0, command.stderr
    assert printed(command.stdout, "command") == "x"


def test_rerun_outside_git_uses_the_kept_files(store, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    write_script(folder, "import helper\nprint('plain', helper.VALUE)\n", "train.py")
    (folder / "helper.py").write_text("VALUE = 1\n")
    assert run_runar(["-n", "plain", "train.py"], cwd=folder).returncode == 0
    (folder / "helper.py").write_text("VALUE = 2\n")
    done = run_runar(["rerun", "plain"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert printed(done.stdout, "plain") == "1"
    out = run_runar(["checkout", "plain", str(tmp_path / "out")], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert tree_files(tmp_path / "out") == {
        "train.py": (folder / "train.py").read_bytes(),
        "helper.py": b"VALUE = 1\n",
    }


def test_a_run_without_a_snapshot_says_so(store, tmp_path):
    run_id = write_run(store, name="sdk-only")
    for command in (["checkout", "sdk-only", str(tmp_path / "out")], ["rerun", "sdk-only"]):
        done = run_runar(command, cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            f"error: run {run_id[:8]} has no code snapshot (recorded by an older runar or by "
            "the SDK without the runner); only runs of 'runar SCRIPT' can be checked out"
        ]


def test_an_unknown_run_is_one_line(store, repo, original):
    for command in (["checkout", "no-such-run"], ["rerun", "no-such-run"]):
        done = run_runar(command, cwd=repo)
        assert done.returncode == 1
        assert len(done.stderr.strip().splitlines()) == 1
        assert "no-such-run" in done.stderr


def test_a_script_the_snapshot_left_out_is_named(store, repo):
    # untracked files named like secrets (`*key*`) are never copied into a snapshot
    write_script(repo / "exp", "print('hi')\n", "monkey.py")
    assert run_runar(["-n", "left-out", "monkey.py"], cwd=repo / "exp").returncode == 0
    done = run_runar(["rerun", "left-out"], cwd=repo)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: run {store.run_ids()[0][:8]}'s snapshot has no monkey.py")


NOISY = """\
import random, sys
seeded = "--seed" in sys.argv
if seeded:
    random.seed(int(sys.argv[sys.argv.index("--seed") + 1]))
for epoch in range(3):
    loss, took = 1 / (epoch + 1) + random.random() / 100, random.random()
    print(f"Epoch {epoch}: loss={loss:.6f}, time_ms={took:.3f}")
"""


@pytest.fixture
def noisy(repo: Path) -> Path:
    write_script(repo / "exp", NOISY, "noisy.py")
    return repo / "exp"


def family_field(store: Store, cwd: Path) -> dict[str, dict[str, object]]:
    import json

    listed = json.loads(run_runar(["ls", "--json", "--all-projects"], cwd=cwd).stdout)
    return {r["id"]: r.get("reproducibility") for r in listed}


def test_a_seeded_script_reruns_to_100(store, noisy):
    assert run_runar(["-n", "seeded", "noisy.py", "--seed", "7"], cwd=noisy).returncode == 0
    (run_id,) = store.run_ids()
    done = run_runar(["rerun", "seeded", "--times", "2"], cwd=noisy)
    assert done.returncode == 0, done.stderr
    assert f"runar: reproducibility of {run_id[:8]}: 100/100 over 2 reruns" in done.stderr
    assert "timings not compared: time_ms" in done.stderr
    reruns = [i for i in store.run_ids() if i != run_id]
    assert len(reruns) == 2
    assert {started_of(store, i).rerun_of for i in reruns} == {run_id}


def test_unseeded_randomness_scores_lower_and_says_why(store, noisy):
    assert run_runar(["-n", "noisy", "noisy.py"], cwd=noisy).returncode == 0
    assert run_runar(["-n", "bystander", "noisy.py"], cwd=noisy).returncode == 0
    original = next(i for i in store.run_ids() if started_of(store, i).name == "noisy")
    done = run_runar(["rerun", "noisy", "--times", "2"], cwd=noisy)
    assert done.returncode == 0, done.stderr
    shown = run_runar(["show", "noisy"], cwd=noisy)
    section = shown.stdout[shown.stdout.index("Reproducibility") :]
    score = int(section.split("score", 1)[1].split("/100")[0])
    assert score < 100
    assert "loss differs by" in section and "σ" in section
    assert "hint: no seed in the config" in section
    assert "hint: PYTHONHASHSEED not set" in section
    fields = family_field(store, noisy)
    members = [i for i, f in fields.items() if f is not None]
    assert len(members) == 3 and original in members
    assert all(fields[i]["score"] == score for i in members)  # type: ignore[index]
    bystander = next(i for i in store.run_ids() if started_of(store, i).name == "bystander")
    assert fields[bystander] is None
    rerun = next(i for i in members if i != original)
    diffed = run_runar(["diff", original, rerun], cwd=noisy)
    assert diffed.returncode == 0, diffed.stderr
    pair = diffed.stdout[diffed.stdout.index("Reproducibility") :]
    assert "code         identical" in pair and "loss differs by" in pair


def test_times_stops_at_the_first_failed_rerun(store, repo):
    write_script(repo / "exp", "import sys\nsys.exit(3)\n", "fails.py")
    run_runar(["-n", "failing", "fails.py"], cwd=repo / "exp")
    done = run_runar(["rerun", "failing", "--times", "3"], cwd=repo)
    assert done.returncode == 3
    assert "runar: rerun 1 of 3 failed; the rest are not run" in done.stderr
    assert len(store.run_ids()) == 2


@pytest.mark.parametrize("command", [["rerun", "web", "--dry-run"], ["checkout", "web"]])
def test_a_sweep_name_is_refused_with_where_its_runs_are(store, tmp_path, command):
    from tests.sweep.conftest import sweep_with_runs

    sweep_with_runs(store)  # its record resolves like a run: this said "no code snapshot"
    done = run_runar(command, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "'web' is the sweep web, not a run" in done.stderr
    assert "runar sweep --resume web" in done.stderr
