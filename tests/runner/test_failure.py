"""Why a run failed, read from real stderr tails: tracebacks, usage errors, noisy terminals."""

# ruff: noqa: E501  (tracebacks are kept verbatim, long lines and all)

from __future__ import annotations

import pytest

from runar.runner.failure import TRACEBACK_LINES, clean_terminal_text, extract_failure

# PyTorch's shape error, as a training script prints it (torch 2.1, Python 3.11)
SHAPE_MISMATCH = """\
Epoch 1/10
Traceback (most recent call last):
  File "/home/ana/mnist/train.py", line 58, in <module>
    main()
  File "/home/ana/mnist/train.py", line 44, in main
    logits = model(images)
             ^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1518, in _wrapped_call_impl
    return self._call_impl(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1527, in _call_impl
    return forward_call(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/container.py", line 215, in forward
    input = module(input)
            ^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1518, in _wrapped_call_impl
    return self._call_impl(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1527, in _call_impl
    return forward_call(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/linear.py", line 114, in forward
    return F.linear(input, self.weight, self.bias)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)
"""

CUDA_OOM = """\
Traceback (most recent call last):
  File "/opt/conda/lib/python3.10/site-packages/torch/nn/modules/linear.py", line 114, in forward
    return F.linear(input, self.weight, self.bias)
torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 496.00 MiB. GPU 0 has a \
total capacty of 14.75 GiB of which 235.06 MiB is free. Process 20398 has 14.52 GiB memory in \
use. Of the allocated memory 14.06 GiB is allocated by PyTorch, and 330.42 MiB is reserved by \
PyTorch but unallocated. If reserved but unallocated memory is large try setting \
max_split_size_mb to avoid fragmentation.  See documentation for Memory Management and \
PYTORCH_CUDA_ALLOC_CONF
"""

# a worker's exception re-raised in the main process carries the worker's traceback
DATALOADER_MISSING_FILE = """\
Traceback (most recent call last):
  File "/home/ana/seg/train.py", line 71, in <module>
    for images, masks in loader:
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/utils/data/dataloader.py", line 630, in __next__
    data = self._next_data()
           ^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/utils/data/dataloader.py", line 1345, in _next_data
    return self._process_data(data)
           ^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/utils/data/dataloader.py", line 1371, in _process_data
    data.reraise()
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/_utils.py", line 694, in reraise
    raise exception
FileNotFoundError: Caught FileNotFoundError in DataLoader worker process 0.
Original Traceback (most recent call last):
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/utils/data/_utils/worker.py", line 308, in _worker_loop
    data = fetcher.fetch(index)
  File "/home/ana/.venv/lib/python3.11/site-packages/torch/utils/data/_utils/fetch.py", line 51, in fetch
    data = [self.dataset[idx] for idx in possibly_batched_index]
  File "/home/ana/seg/data.py", line 23, in __getitem__
    image = Image.open(self.images[index]).convert("RGB")
  File "/home/ana/.venv/lib/python3.11/site-packages/PIL/Image.py", line 3247, in open
    fp = builtins.open(filename, "rb")
FileNotFoundError: [Errno 2] No such file or directory: 'data/train/images/000123.png'

"""

# everything below this line was printed by CPython 3.11.7 here, byte for byte
CHAINED_DURING_HANDLING = """\
Traceback (most recent call last):
  File "/tmp/h3/during.py", line 3, in <module>
    lr = cfg["lr"]
         ~~~^^^^^^
KeyError: 'lr'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/tmp/h3/during.py", line 5, in <module>
    lr = float(cfg.get("learning_rate"))
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
TypeError: float() argument must be a string or a real number, not 'NoneType'
"""

CHAINED_DIRECT_CAUSE = """\
Traceback (most recent call last):
  File "/tmp/h3/chained.py", line 4, in load_config
    with open(path) as fh:
         ^^^^^^^^^^
FileNotFoundError: [Errno 2] No such file or directory: 'configs/base.json'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/tmp/h3/chained.py", line 8, in <module>
    load_config("configs/base.json")
  File "/tmp/h3/chained.py", line 7, in load_config
    raise RuntimeError(f"no config at {path}; pass --config") from exc
RuntimeError: no config at configs/base.json; pass --config
"""

ARGPARSE_USAGE = """\
usage: train.py [-h] [--epochs EPOCHS] [--lr LR]
train.py: error: unrecognized arguments: -n 12
"""

MULTILINE_MESSAGE = """\
Traceback (most recent call last):
  File "/tmp/h3/multi.py", line 1, in <module>
    raise ValueError("bad shape\\nexpected (64, 784)\\ngot (64, 28, 28)")
ValueError: bad shape
expected (64, 784)
got (64, 28, 28)
"""

KEYBOARD_INTERRUPT = """\
Epoch 3: loss=0.4211
Traceback (most recent call last):
  File "/home/ana/mnist/train.py", line 51, in <module>
    time.sleep(0.1)
KeyboardInterrupt
"""

SYNTAX_ERROR = """\
  File "/tmp/h3/syn.py", line 1
    def f(:
          ^
SyntaxError: invalid syntax
"""

EXCEPTION_GROUP = """\
  + Exception Group Traceback (most recent call last):
  |   File "/tmp/h3/grp.py", line 1, in <module>
  |     raise ExceptionGroup("workers failed", [ValueError("rank 1: bad batch"), OSError("rank 2: disk")])
  | ExceptionGroup: workers failed (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | ValueError: rank 1: bad batch
    +---------------- 2 ----------------
    | OSError: rank 2: disk
    +------------------------------------
"""

TQDM_THEN_TRACEBACK = (
    "\r\x1b[32m  0%|   | 0/2\x1b[0m\r\x1b[32m 50%|#  | 1/2\x1b[0m\r\x1b[32m100%|## | 2/2\x1b[0m"
    "Traceback (most recent call last):\n"
    '  File "/tmp/h3/tqdmish.py", line 4, in <module>\n'
    '    raise FileNotFoundError(2, "No such file or directory", "data/train/images/000123.png")\n'
    "FileNotFoundError: [Errno 2] No such file or directory: 'data/train/images/000123.png'\n"
)

# Python 3.13 colours its tracebacks on a terminal
COLOURED = (
    "Traceback (most recent call last):\n"
    '  File \x1b[35m"/tmp/t.py"\x1b[0m, line \x1b[35m1\x1b[0m, in \x1b[35m<module>\x1b[0m\n'
    '    \x1b[31mraise ValueError("bad shape")\x1b[0m\n'
    "\x1b[1;35mValueError\x1b[0m: \x1b[35mbad shape\x1b[0m\n"
)


@pytest.mark.parametrize(
    ("tail", "error", "error_type"),
    [
        (
            SHAPE_MISMATCH,
            "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)",
            "RuntimeError",
        ),
        (
            DATALOADER_MISSING_FILE,
            "FileNotFoundError: [Errno 2] No such file or directory: 'data/train/images/000123.png'",
            "FileNotFoundError",
        ),
        (
            CHAINED_DURING_HANDLING,
            "TypeError: float() argument must be a string or a real number, not 'NoneType'",
            "TypeError",
        ),
        (
            CHAINED_DIRECT_CAUSE,
            "RuntimeError: no config at configs/base.json; pass --config",
            "RuntimeError",
        ),
        (KEYBOARD_INTERRUPT, "KeyboardInterrupt", "KeyboardInterrupt"),
        (SYNTAX_ERROR, "SyntaxError: invalid syntax", "SyntaxError"),
        (EXCEPTION_GROUP, "ExceptionGroup: workers failed (2 sub-exceptions)", "ExceptionGroup"),
        (
            TQDM_THEN_TRACEBACK,
            "FileNotFoundError: [Errno 2] No such file or directory: 'data/train/images/000123.png'",
            "FileNotFoundError",
        ),
        (COLOURED, "ValueError: bad shape", "ValueError"),
        (ARGPARSE_USAGE, "train.py: error: unrecognized arguments: -n 12", None),
        ("bad config: lr must be positive\n", "bad config: lr must be positive", None),
        (
            "cp: cannot stat 'weights.pt': No such file or directory\n\n",
            "cp: cannot stat 'weights.pt': No such file or directory",
            None,
        ),
    ],
    ids=[
        "torch-shape",
        "dataloader-worker",
        "during-handling",
        "direct-cause",
        "keyboard-interrupt",
        "syntax-error",
        "exception-group",
        "tqdm-bar",
        "ansi-colours",
        "argparse",
        "sys-exit-message",
        "not-python",
    ],
)
def test_the_reason_is_the_last_exception_or_the_last_line(
    tail: str, error: str, error_type: str | None
) -> None:
    found = extract_failure(tail)
    assert found is not None
    assert (found.error, found.error_type) == (error, error_type)


def test_an_exception_from_a_module_keeps_the_module_in_the_error_only() -> None:
    found = extract_failure(CUDA_OOM)
    assert found is not None
    assert found.error_type == "OutOfMemoryError"  # the class name, as the SDK records it
    assert found.error.startswith("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to")
    assert found.error.endswith("PYTORCH_CUDA_ALLOC_CONF")


def test_a_multiline_message_becomes_one_line() -> None:
    found = extract_failure(MULTILINE_MESSAGE)
    assert found is not None
    assert found.error == "ValueError: bad shape expected (64, 784) got (64, 28, 28)"
    assert found.traceback is not None and found.traceback.endswith("got (64, 28, 28)")


def test_the_traceback_keeps_the_innermost_frames_and_the_exception() -> None:
    found = extract_failure(SHAPE_MISMATCH)
    assert found is not None and found.traceback is not None
    lines = found.traceback.splitlines()
    assert len(lines) == TRACEBACK_LINES
    assert (
        lines[-1] == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)"
    )
    assert '  File "/home/ana/.venv/lib/python3.11/site-packages/torch/nn/modules/linear.py"' in (
        found.traceback
    )
    assert "Epoch 1/10" not in found.traceback


def test_a_chained_traceback_keeps_only_the_last_exception() -> None:
    found = extract_failure(CHAINED_DURING_HANDLING)
    assert found is not None and found.traceback is not None
    assert found.traceback.startswith("Traceback (most recent call last):")
    assert "KeyError" not in found.traceback


def test_a_usage_error_has_no_traceback() -> None:
    found = extract_failure(ARGPARSE_USAGE)
    assert found is not None and found.traceback is None


def test_a_killed_run_takes_only_a_traceback_never_a_plain_line() -> None:
    assert extract_failure("Epoch 3: loss=0.42\n", traceback_only=True) is None
    found = extract_failure(KEYBOARD_INTERRUPT, traceback_only=True)
    assert found is not None and found.error == "KeyboardInterrupt"


@pytest.mark.parametrize("tail", ["", "\n\n", "\r\x1b[2K\r"])
def test_silence_says_nothing(tail: str) -> None:
    assert extract_failure(tail) is None


def test_terminal_text_is_cleaned_as_a_terminal_shows_it() -> None:
    text = "\x1b]0;title\x07\r 10%|#|\r 90%|#########|\x1b[0m\nplain\r\n"
    assert clean_terminal_text(text) == [" 90%|#########|", "plain", ""]
