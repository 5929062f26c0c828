"""Secrets planted everywhere a run is recorded: not one byte of them in the store or output.

The real `runar` runs a script in a real git repository with secrets in its arguments,
its environment, the config it logs and untracked files; then every file under the
store (sealed segments decompressed) and the output of show, replay and export are
searched for each secret. The script itself must still have received the real values.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import zstandard
from gitrepo import git

from runar.store import Store

from .helpers import only_run, run_runar, write_script

SECRETS = {
    "argv_api_key": "argv-api-key-value-0001",
    "argv_token": "argv-token-value-0002",
    "argv_wandb": "argv-wandb-key-value-0003",
    "hydra_password": "hydra-db-password-0004",
    "env_openai": "env-openai-value-0005",
    "env_service": "env-service-token-0006",
    "env_innocent": "ghp_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0",
    "env_url": "url-password-0007",
    "config_password": "config-db-password-0008",
    "config_sk": "sk-" + "Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2",
    "dotenv": "dotenv-value-0009",
    "pem": "pem-private-key-0010",
}
S = SECRETS

SCRIPT = """
    import hashlib, os, sys
    import runar

    runar.config({
        "lr": 0.1,
        "db": {"password": os.environ["CONFIG_PASSWORD"], "host": "db.local"},
        "endpoint": os.environ["CONFIG_SK"],
    })
    runar.log({"loss": 0.5})
    received = sys.argv[1:] + [os.environ[k] for k in sorted(os.environ) if k.startswith("T_")]
    with open(os.environ["RECEIVED"], "w") as out:
        out.write(hashlib.sha256("\\n".join(received).encode()).hexdigest())
    print("done")
"""


def store_bytes(root: Path) -> dict[str, bytes]:
    """Every file under the store, sealed segments decompressed."""
    found: dict[str, bytes] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name.endswith(".zst"):
            with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as z:
                data = z.read()
        found[str(path.relative_to(root))] = data
    return found


def test_no_planted_secret_reaches_the_store_or_any_output(store: Store, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_script(repo, SCRIPT, "train.py")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "train")
    (repo / "train.py").write_text((repo / "train.py").read_text() + "# dirty\n")
    (repo / ".env").write_text(f"OPENAI_API_KEY={S['dotenv']}\n")
    (repo / "secrets").mkdir()
    (repo / "secrets" / "key.pem").write_text(f"-----BEGIN KEY-----\n{S['pem']}\n")
    received = tmp_path / "received.txt"
    args = [
        "--api-key", S["argv_api_key"],
        f"--token={S['argv_token']}",
        "--wandb_api_key", S["argv_wandb"],
        f"db.password={S['hydra_password']}",
        "--lr", "0.1",
    ]  # fmt: skip
    env = {
        "T_OPENAI_API_KEY": S["env_openai"],
        "T_MY_SERVICE_TOKEN": S["env_service"],
        "T_INNOCENT": S["env_innocent"],
        "T_DATABASE_URL": f"postgres://admin:{S['env_url']}@db.local/app",
        "CONFIG_PASSWORD": S["config_password"],
        "CONFIG_SK": S["config_sk"],
        "RECEIVED": str(received),
    }
    ran = run_runar(["train.py", *args], cwd=repo, **env)
    assert ran.returncode == 0, ran.stderr
    expected = [*args, *(env[k] for k in sorted(env) if k.startswith("T_"))]
    assert received.read_text() == hashlib.sha256("\n".join(expected).encode()).hexdigest()

    run_id = only_run(store)
    outputs = {
        "runar stderr": ran.stderr,
        "runar stdout": ran.stdout,
        "show": run_runar(["show", run_id, "--json"], cwd=repo).stdout,
        "show text": run_runar(["show", run_id], cwd=repo).stdout,
        "replay": run_runar(["replay", run_id, "--json"], cwd=repo).stdout,
        "export": run_runar(["export", "-F", "json"], cwd=repo).stdout,
    }
    assert json.loads(outputs["show"])  # the commands did run
    assert "--api-key" in outputs["show"] and run_id[:6] in outputs["replay"]
    files = store_bytes(store.root)
    assert any(name.endswith("meta.json") for name in files)  # the code snapshot is there
    # the search reads decoded events: what is no secret is found there
    assert any(b'"host":"db.local"' in data for n, data in files.items() if ".jsonl" in n)
    for label, secret in SECRETS.items():
        assert [n for n, data in files.items() if secret.encode() in data] == [], label
        assert [n for n, text in outputs.items() if secret in text] == [], label
