"""Command-line options from a function's signature, for @experiment.

Parameters become options by their annotations and defaults: bool flags
(``--flag/--no-flag``), int, float, str, Path and Literal choices, and lists
(``list[int]``, ``tuple[str, ...]``, plain ``list``, optional or not) as multi-value
options: ``--layers 64 128``, ``--layers 64,128`` and ``--layers 64 --layers 128`` all
give ``[64, 128]`` (a tuple for a tuple annotation), elements converted to their type.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import types
import typing
from typing import Any, Final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

LIST_SEPARATOR: Final = ","  # `--layers 64,128` is `--layers 64 128`
_TRUE: Final = ("1", "true", "yes", "on", "y", "t")
_FALSE: Final = ("0", "false", "no", "off", "n", "f")


def _parse_bool(text: str) -> bool:
    """A bool list element: ``true``/``false``, ``1``/``0``, ``yes``/``no``."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"invalid bool value: {text!r} (use true or false)")


def _strip_optional(annotation: Any) -> Any:
    """``int | None`` and ``Optional[int]`` → ``int``; other unions are left alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _element(annotation: Any, default: Any) -> tuple[Callable[[str], Any], list | None]:
    """The converter and choices for one scalar value."""
    empty = inspect.Parameter.empty
    if annotation in (empty, typing.Any, None):
        annotation = type(default) if default not in (empty, None) else str
    annotation = _strip_optional(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        choices = list(typing.get_args(annotation))
        return type(choices[0]), choices
    if annotation is bool:
        return _parse_bool, None
    if typing.get_origin(annotation) is not None or not callable(annotation):
        return str, None  # a union of several types, a generic: take the text as given
    return annotation, None


def _sequence_kind(annotation: Any, default: Any) -> tuple[type, Any] | None:
    """(list or tuple, element annotation) when the parameter takes several values."""
    if annotation is inspect.Parameter.empty and isinstance(default, (list, tuple)):
        element = type(default[0]) if default else str
        return type(default) if type(default) in (list, tuple) else list, element
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation) or annotation
    if origin not in (list, tuple):
        return None
    args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
    # tuple[int, str] has mixed members: take the first's type for all, as text if unsure
    return origin, (args[0] if args else str)


class _Extend(argparse.Action):
    """Collect values across tokens, commas and repeats; the first use replaces the default."""

    def __init__(self, *args: Any, collection: type = list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collection = collection  # not "container": argparse uses that name

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        so_far = getattr(namespace, self.dest, None)
        items = [] if so_far is self.default or so_far is None else list(so_far)
        for token in values or ():
            items.extend(token)
        setattr(namespace, self.dest, self.collection(items))


def _split(convert: Callable[[str], Any], choices: list | None) -> Callable[[str], list]:
    """A converter for one command-line token of a list option: ``64,128`` → ``[64, 128]``."""

    def parse(token: str) -> list:
        values = [convert(part.strip()) for part in token.split(LIST_SEPARATOR) if part.strip()]
        if choices is not None:
            for value in values:
                if value not in choices:
                    shown = ", ".join(map(str, choices))
                    raise argparse.ArgumentTypeError(
                        f"invalid choice: {value!r} (choose from {shown})"
                    )
        return values

    parse.__name__ = getattr(convert, "__name__", "value")  # argparse names it in errors
    return parse


def _add_option(parser: argparse.ArgumentParser, param: inspect.Parameter, annotation: Any) -> None:
    """One option for one parameter, shaped by its annotation and default."""
    flag = "--" + param.name.replace("_", "-")
    required = param.default is inspect.Parameter.empty
    default = None if required else param.default
    common: dict[str, Any] = {"dest": param.name, "default": default, "required": required}
    plain = _strip_optional(annotation)
    if plain is bool or (annotation is inspect.Parameter.empty and type(default) is bool):
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
        return
    sequence = _sequence_kind(annotation, default)
    if sequence is not None:
        collection, element = sequence
        convert, choices = _element(element, inspect.Parameter.empty)
        name = "BOOL" if convert is _parse_bool else getattr(convert, "__name__", "value")
        parser.add_argument(
            flag,
            nargs="+",
            type=_split(convert, choices),
            action=_Extend,
            collection=collection,
            metavar="{" + ",".join(map(str, choices)) + "}" if choices else name.upper(),
            **common,
        )
        return
    convert, choices = _element(annotation, default)
    parser.add_argument(
        flag,
        type=convert,
        choices=choices,
        metavar=None if choices else getattr(convert, "__name__", "value").upper(),
        **common,
    )


def build_parser(fn: Callable[..., Any]) -> argparse.ArgumentParser:
    """An argument parser whose options are ``fn``'s parameters."""
    hints = typing.get_type_hints(fn)
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else fn.__name__,
        description=inspect.getdoc(fn),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        _add_option(parser, param, hints.get(param.name, inspect.Parameter.empty))
    return parser
