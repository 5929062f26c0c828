"""mlflow's meta.yaml, as PyYAML's safe_dump writes it."""

from __future__ import annotations

from runar.importers.meta_yaml import parse_meta

# verbatim from an mlruns/ run folder written by mlflow 3.17 (tests/importers/data/mlflow)
META = """\
artifact_uri: file:///tmp/tmp8xno8i1z/mlruns/533639343088295163/7adaa25cf1c944db99df2924dcb736a0/artifacts
end_time: 1700000010000
entry_point_name: ''
experiment_id: '533639343088295163'
lifecycle_stage: active
run_id: 7adaa25cf1c944db99df2924dcb736a0
run_name: baseline
source_type: 4
status: 3
tags: []
user_id: ada
"""


def test_scalars_are_typed_as_yaml_types_them():
    meta = parse_meta(META)
    assert meta["end_time"] == 1700000010000
    assert meta["experiment_id"] == "533639343088295163"  # quoted: stays text
    assert meta["entry_point_name"] == ""
    assert meta["tags"] == []
    assert meta["status"] == 3
    assert meta["artifact_uri"].endswith("/artifacts")


def test_folded_and_quoted_values():
    text = "name: 'it''s a very long\n  experiment name'\ndesc: \"tab\\there\"\nnone: null\n"
    assert parse_meta(text) == {
        "name": "it's a very long experiment name",
        "desc": "tab\there",
        "none": None,
    }
