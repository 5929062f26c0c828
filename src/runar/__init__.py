"""runar: run any training script, record everything, look at it live.

The names below form the in-script SDK. Importing runar loads only a few standard
library modules; msgspec and the journal load on the first call that records.
"""

from runar.sdk.current import config, finish, init, log, note, save, step, tag
from runar.sdk.experiment import experiment
from runar.sdk.run import Run
from runar.sdk.watch import alert, watch

__version__ = "0.1.0"

__all__ = [
    "Run",
    "__version__",
    "alert",
    "config",
    "experiment",
    "finish",
    "init",
    "log",
    "note",
    "save",
    "step",
    "tag",
    "watch",
]
