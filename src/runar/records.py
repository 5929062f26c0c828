"""Record: plain data for the modules `runar SCRIPT` loads before the script starts.

A dataclass there costs twice: ``dataclasses`` imports inspect (with ast, dis and
tokenize), and each decorated class has its methods written and compiled with exec.
For the runner's nine classes that was ~70M instructions (~10 ms on a quiet laptop,
measured with callgrind), all spent before the child could start. A Record subclass
lists its fields in ``__slots__`` and writes its ``__init__`` out; this base gives it
the ``==`` and ``repr`` a dataclass would. Modules off that path keep dataclasses.
"""

from __future__ import annotations


class Record:
    """Equality and repr from ``__slots__``; subclasses write their own ``__init__``."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # equal by value and mutable, like a dataclass

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in type(self).__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(type(self).__slots__, self._values(), strict=True)
        )
        return f"{type(self).__name__}({fields})"
