"""runar: run any training script, record everything, look at it live.

The names below form the in-script SDK. Importing runar loads only a few standard
library modules; msgspec and the journal load on the first call that records.

The SDK's modules load on first use of one of its names (PEP 562), not with the
package: every ``runar`` command imports this package on its way to ``runar.cli``,
and the runner would otherwise load the SDK (~4 ms) before it can start the script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from runar.lazy_names import lazy_names

if TYPE_CHECKING:
    from runar.sdk.current import config, finish, init, log, note, save, step, tag
    from runar.sdk.experiment import experiment
    from runar.sdk.run import Run
    from runar.sdk.watch import alert, watch

__version__ = "0.1.0"

# each SDK name and the module that defines it
_SDK: Final = {
    "config": "runar.sdk.current",
    "finish": "runar.sdk.current",
    "init": "runar.sdk.current",
    "log": "runar.sdk.current",
    "note": "runar.sdk.current",
    "save": "runar.sdk.current",
    "step": "runar.sdk.current",
    "tag": "runar.sdk.current",
    "experiment": "runar.sdk.experiment",
    "Run": "runar.sdk.run",
    "alert": "runar.sdk.watch",
    "watch": "runar.sdk.watch",
}

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


__getattr__, __dir__ = lazy_names(globals(), _SDK)
