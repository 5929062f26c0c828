import argparse
import shlex

from hypothesis import given
from hypothesis import strategies as st

from runar.views.script_args import from_argv, parse_args, script_arguments, typed


def _parse(line: str) -> tuple[dict, list[str]]:
    found = parse_args(shlex.split(line))
    return found.config, found.positional


def test_nanogpt_configurator_line():
    # the command line from nanoGPT's README (Shakespeare on a MacBook)
    line = (
        "config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20 "
        "--log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 "
        "--n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0"
    )
    config, positional = _parse(line)
    assert positional == ["config/train_shakespeare_char.py"]
    assert config == {
        "device": "cpu",
        "compile": False,
        "eval_iters": 20,
        "log_interval": 1,
        "block_size": 64,
        "batch_size": 12,
        "n_layer": 4,
        "n_head": 4,
        "n_embd": 128,
        "max_iters": 2000,
        "lr_decay_iters": 2000,
        "dropout": 0.0,
    }


def test_argparse_style_line_matches_argparse_dests():
    # pytorch/examples mnist style, with a hyphenated option and a store_true flag
    line = "--batch-size 64 --epochs 14 --lr 1.0 --gamma 0.7 --no-cuda --seed 1 --save-model"
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--gamma", type=float)
    parser.add_argument("--cuda", action=argparse.BooleanOptionalAction)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--save-model", action="store_true")
    expected = vars(parser.parse_args(shlex.split(line)))
    config, positional = _parse(line)
    assert config == expected and positional == []


def test_short_options_and_single_dash_words():
    config, _ = _parse("-n 12 -t 0.7 -lr 0.1")
    assert config == {"n": 12, "t": 0.7, "lr": 0.1}


def test_negative_numbers_are_values():
    config, _ = _parse("--shift -1 --scale -2.5e-3 --offset=-4")
    assert config == {"shift": -1, "scale": -0.0025, "offset": -4}


def test_repeated_options_and_nargs_become_lists():
    config, _ = _parse("--tag a --tag b --layers 1 2 3 --gpus 0 --gpus 1 2")
    assert config == {"tag": ["a", "b"], "layers": [1, 2, 3], "gpus": [0, 1, 2]}


def test_no_flag_sets_false_only_without_a_value():
    config, _ = _parse("--no-bias --no-warmup 3")
    assert config == {"bias": False, "no_warmup": 3}


def test_double_dash_ends_options():
    config, positional = _parse("--lr 1 data.csv -- --not-an-option -n 5")
    assert config == {"lr": 1}
    assert positional == ["data.csv", "--not-an-option", "-n", "5"]


def test_positional_values_before_options_are_kept_in_order():
    config, positional = _parse("train.csv test.csv --epochs 3")
    assert positional == ["train.csv", "test.csv"] and config == {"epochs": 3}


def test_redacted_values_stay_strings():
    config, _ = _parse("--api-key *** --token=***")
    assert config == {"api_key": "***", "token": "***"}


def test_value_types():
    assert typed("3") == 3 and isinstance(typed("3"), int)
    assert typed("3e-4") == 3e-4 and typed(".5") == 0.5 and typed("1.") == 1.0
    assert typed("true") is True and typed("False") is False
    assert typed("None") is None
    assert typed("nan") == "nan" and typed("0x10") == "0x10" and typed("none") == "none"


def test_script_arguments_skip_the_interpreter_and_launchers():
    assert script_arguments(["train.py", "--lr", "1"]) == ["--lr", "1"]
    assert script_arguments(["python3", "-u", "-W", "ignore", "train.py", "-n", "2"]) == ["-n", "2"]
    assert script_arguments(["python", "-m", "pkg.train", "--x"]) == ["--x"]
    assert script_arguments(["/usr/bin/python3.11", "-c", "print(1)", "a"]) == ["a"]
    assert script_arguments(["torchrun", "--nproc_per_node=2", "train.py", "--lr", "1"]) == [
        "--lr",
        "1",
    ]
    assert script_arguments(["bash", "run.sh", "--fast"]) == ["run.sh", "--fast"]
    assert script_arguments([]) == []


def test_from_argv_keeps_the_raw_arguments():
    found = from_argv(["train.py", "--epochs", "3", "out"])
    assert found.args == ["--epochs", "3", "out"]
    assert found.config == {"epochs": 3} and found.positional == ["out"]


words = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
scalars = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.booleans(),
    words.filter(lambda w: w not in ("True", "False", "None")),
)


@given(st.dictionaries(words, scalars, max_size=6), st.booleans())
def test_written_config_reads_back(config, with_equals):
    args: list[str] = []
    for key, value in config.items():
        text = repr(value) if isinstance(value, float) else str(value)
        args += [f"--{key}={text}"] if with_equals else [f"--{key}", text]
    assert parse_args(args).config == config


@given(st.lists(st.text(min_size=0, max_size=6), max_size=8))
def test_never_raises_and_keeps_the_raw_args(args):
    found = parse_args(args)
    assert found.args == args


def test_an_option_takes_values_of_one_kind_only():
    config, positional = _parse("--epochs 3 data.csv --files a.txt b.txt")
    assert config == {"epochs": 3, "files": ["a.txt", "b.txt"]}
    assert positional == ["data.csv"]
