"""API tokens: stored hashed, scoped, revocable, and checked against the hash only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from runar.errors import UsageError
from runar.web.tokens import TokenBook, digest, parse_scope


def test_the_file_keeps_the_hash_never_the_token(store):
    store.create()
    book = TokenBook(store)
    token, secret = book.create("ci", "write")
    raw = book.path.read_text()
    assert secret not in raw
    assert digest(secret) in raw
    assert token.sha256 == digest(secret)
    assert os.stat(book.path).st_mode & 0o077 == 0  # readable by its owner only


def test_check_finds_the_token_by_its_secret(store):
    book = TokenBook(store)
    _, ci = book.create("ci", "write:vision")
    _, reader = book.create("dash", "read")
    assert book.check(ci).name == "ci"
    assert book.check(ci).project == "vision"
    assert book.check(reader).access == "read"
    assert book.check(ci + "x") is None
    assert book.check("") is None
    assert book.check(None) is None


def test_two_tokens_are_never_alike(store):
    book = TokenBook(store)
    secrets = {book.create(f"t{i}", "write")[1] for i in range(20)}
    assert len(secrets) == 20
    assert all(len(s) > 40 for s in secrets)


def test_revoke_is_seen_by_a_book_already_open(store):
    server_side = TokenBook(store)
    _, secret = TokenBook(store).create("ci", "write")
    assert server_side.check(secret) is not None
    TokenBook(store).revoke("ci")
    assert server_side.check(secret) is None


def test_a_taken_name_is_refused(store):
    book = TokenBook(store)
    book.create("ci", "write")
    with pytest.raises(UsageError, match="revoke it first"):
        book.create("ci", "read")


def test_revoking_an_unknown_name_lists_the_known_ones(store):
    book = TokenBook(store)
    book.create("ci", "write")
    with pytest.raises(UsageError, match=r"tokens: ci"):
        book.revoke("cj")


@pytest.mark.parametrize("scope", ["admin", "write:", "read:vision", "", "write:a\nb"])
def test_bad_scopes_are_refused(scope):
    with pytest.raises(UsageError):
        parse_scope(scope)


@pytest.mark.parametrize(
    ("scope", "parsed"),
    [("read", ("read", None)), ("write", ("write", None)), ("write:nlp", ("write", "nlp"))],
)
def test_scopes(scope, parsed):
    assert parse_scope(scope) == parsed


@pytest.mark.parametrize("name", ["", "a b", "../x", "x" * 65, "tab\t"])
def test_bad_names_are_refused(store, name):
    with pytest.raises(UsageError, match="letters, digits"):
        TokenBook(store).create(name, "write")


def _runar(store, *args):
    env = {**os.environ, "RUNAR_DIR": str(store.root)}
    return subprocess.run(
        [sys.executable, "-m", "runar", *args], capture_output=True, text=True, env=env
    )


def test_the_cli_prints_the_token_once_and_lists_without_it(store):
    created = _runar(store, "token", "create", "--name", "ci", "--scope", "write:vision")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert TokenBook(store).check(secret).name == "ci"
    listed = _runar(store, "token", "ls", "--json")
    assert json.loads(listed.stdout)[0]["scope"] == "write:vision"
    assert secret not in listed.stdout
    revoked = _runar(store, "token", "revoke", "ci")
    assert revoked.returncode == 0
    assert TokenBook(store).check(secret) is None
    again = _runar(store, "token", "revoke", "ci")
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "no token named 'ci'" in again.stderr


def test_a_store_with_tokens_is_healthy_for_doctor(store):
    from runar import doctor

    TokenBook(store).create("ci", "write")
    report = doctor.check(store)
    assert not [o.path for o in report.orphans], "the tokens folder was an unknown file"
