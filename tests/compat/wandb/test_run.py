"""The wandb run object and module state, in-process against a real store."""

from __future__ import annotations

import argparse

import pytest

import runar.compat.wandb as wandb
from runar.store import Store

from ..helpers import only_record, records, sdk_points


def test_run_is_none_before_init_and_after_finish(store: Store) -> None:
    assert wandb.run is None
    run = wandb.init(project="p")
    assert wandb.run is run and wandb.config is run.config and wandb.summary is run.summary
    wandb.finish()
    assert wandb.run is None


def test_log_before_init_says_to_call_init(store: Store) -> None:
    with pytest.raises(wandb.Error, match=r"wandb.init\(\) before wandb.log\(\)"):
        wandb.log({"loss": 1.0})


def test_config_attribute_item_and_update_access(store: Store) -> None:
    args = argparse.Namespace(lr=0.1, layers=[64, 32], optimizer="adam")
    wandb.init(config=args)
    wandb.config.update({"batch_size": 8, "model": {"depth": 4}})
    wandb.config.dropout = 0.1
    wandb.config["warmup"] = 100
    wandb.config.setdefaults({"lr": 9.0, "seed": 1})
    assert wandb.config.lr == 0.1 and wandb.config["layers"] == [64, 32]
    assert wandb.config.model == {"depth": 4} and "dropout" in wandb.config
    assert wandb.config.get("missing", "x") == "x"
    with pytest.raises(AttributeError):
        _ = wandb.config.missing
    wandb.finish()
    config = only_record(store)["config"]
    assert config == {
        "lr": 0.1,
        "layers": [64, 32],
        "optimizer": "adam",
        "batch_size": 8,
        "model": {"depth": 4},
        "dropout": 0.1,
        "warmup": 100,
        "seed": 1,
    }


def test_a_changed_value_is_recorded_with_a_warning_unless_allowed(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    wandb.init(config={"lr": 0.1})
    wandb.config.update({"lr": 0.2}, allow_val_change=True)
    assert capsys.readouterr().err == ""
    wandb.config.update({"lr": 0.3})
    assert "lr changed without allow_val_change=True" in capsys.readouterr().err
    wandb.finish()
    assert only_record(store)["config"]["lr"] == 0.3


def test_include_and_exclude_keys_filter_the_init_config(store: Store) -> None:
    wandb.init(config={"a": 1, "b": 2, "c": 3}, config_exclude_keys=["b"])
    wandb.finish()
    wandb.init(config={"a": 1, "b": 2, "c": 3}, config_include_keys=["b"], reinit=True)
    wandb.finish()
    assert [r["config"] for r in records(store)] == [{"a": 1, "c": 3}, {"b": 2}]


def test_a_second_init_returns_the_active_run_unless_reinit(store: Store) -> None:
    first = wandb.init(name="a")
    assert wandb.init(name="b") is first
    second = wandb.init(name="c", reinit=True)
    assert second is not first and wandb.run is second
    wandb.finish()
    assert [(r["name"], r["status"]) for r in records(store)] == [
        ("a", "completed"),
        ("c", "completed"),
    ]


def test_summary_reads_the_last_logged_value_and_keeps_what_is_set(store: Store) -> None:
    run = wandb.init()
    run.log({"loss": 0.5})
    run.log({"loss": 0.25})
    assert run.summary["loss"] == 0.25
    run.summary.update({"best": 0.25, "label": "ok"})
    run.summary.epochs = 3
    run.finish()
    record = only_record(store)
    assert record["summary"] == {"best": 0.25, "epochs": 3.0}
    assert record["config"] == {"_wandb": {"summary": {"label": "ok"}}}


def test_values_wandb_takes_never_stop_training(store: Store) -> None:
    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr either")

    run = wandb.init()
    run.log({"loss": 1.0, "odd": Opaque(), "list": [1, 2, 3], "none": None})
    run.finish()
    record = only_record(store)
    assert sdk_points(store, record["id"]) == {"loss": [(0, 1.0)]}
    assert [a["name"] for a in record["artifacts"]] == ["media/list/0.json"]


def test_an_exception_in_the_with_block_fails_a_standalone_run(store: Store) -> None:
    with pytest.raises(ValueError), wandb.init(name="boom") as run:
        run.log({"loss": 1.0}, commit=False)
        raise ValueError("bad shape")
    record = only_record(store)
    assert (record["status"], record["error"]) == ("failed", "ValueError: bad shape")
    assert sdk_points(store, record["id"]) == {"loss": [(0, 1.0)]}  # the pending row kept
    assert wandb.run is None


def test_finish_with_an_exit_code_fails_the_run(store: Store) -> None:
    wandb.init()
    wandb.finish(exit_code=3)
    assert only_record(store)["status"] == "failed"


def test_disabled_mode_returns_working_objects_and_records_nothing(store: Store) -> None:
    run = wandb.init(mode="disabled", name="quiet", config={"lr": 0.1})
    run.log({"loss": 1.0, "img": wandb.Image(b"not really an image")})
    wandb.config.update({"epochs": 2})
    run.summary["best"] = 1.0
    run.define_metric("loss", summary="min")
    run.log_artifact(__file__)
    assert (run.name, run.disabled, wandb.config.epochs, run.summary["best"]) == (
        "quiet",
        True,
        2,
        1.0,
    )
    run.finish()
    assert store.run_ids() == []


def test_login_watch_and_settings_are_accepted(store: Store) -> None:
    assert wandb.login(key="abc", relogin=True) is True
    run = wandb.init(settings=wandb.Settings(start_method="thread", _disable_stats=True))
    assert wandb.watch(object(), log="all", log_freq=100) is None
    run.log_code(".")
    run.finish()
    assert only_record(store)["status"] == "completed"
