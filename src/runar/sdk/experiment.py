"""@experiment: the function's parameters are the config, read from the command line.

``python train.py --lr 1e-4 --epochs 20`` (or the same under ``runar``) fills the
parameters by their annotations and defaults: bool flags (``--flag/--no-flag``),
int, float, str, Path and Literal choices, with ``--help``. A returned dict of
numbers becomes the run's summary.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import inspect
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


def _option_type(annotation: Any, default: Any) -> tuple[Callable[[str], Any], list | None]:
    """The argparse ``type`` and ``choices`` for one parameter."""
    import inspect
    import typing

    empty = inspect.Parameter.empty
    if annotation in (empty, typing.Any, None):
        annotation = type(default) if default not in (empty, None) else str
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        choices = list(typing.get_args(annotation))
        return type(choices[0]), choices
    if origin is not None:  # Optional[int], int | None: the non-None member
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _option_type(members[0], default)
        return str, None
    return (annotation if callable(annotation) else str), None


def build_parser(fn: Callable[..., Any]) -> argparse.ArgumentParser:
    """An argument parser whose options are ``fn``'s parameters."""
    import argparse
    import inspect
    import os
    import sys
    import typing

    hints = typing.get_type_hints(fn)
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else fn.__name__,
        description=inspect.getdoc(fn),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        flag = "--" + param.name.replace("_", "-")
        default = param.default
        required = default is inspect.Parameter.empty
        annotation = hints.get(param.name, inspect.Parameter.empty)
        if annotation is bool or (annotation is inspect.Parameter.empty and type(default) is bool):
            parser.add_argument(
                flag,
                dest=param.name,
                action=argparse.BooleanOptionalAction,
                default=None if required else default,
                required=required,
            )
            continue
        kind, choices = _option_type(annotation, default)
        parser.add_argument(
            flag,
            dest=param.name,
            type=kind,
            choices=choices,
            default=None if required else default,
            required=required,
            metavar=None if choices else (getattr(kind, "__name__", "value")).upper(),
        )
    return parser


def _summary(result: object) -> dict[str, float]:
    """The numeric members of a returned dict; other members are left out with a warning."""
    from runar.sdk.values import metric_value

    if not isinstance(result, dict):
        return {}
    numbers: dict[str, float] = {}
    skipped: list[str] = []
    for key, value in result.items():
        try:
            numbers[str(key)] = metric_value(str(key), value)
        except TypeError:
            skipped.append(str(key))
    if skipped:
        import warnings

        warnings.warn(
            f"runar: summary keeps numbers only; left out {', '.join(skipped)}",
            RuntimeWarning,
            stacklevel=3,
        )
    return numbers


def experiment(
    fn: F | None = None,
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
) -> Any:
    """Decorate a training function: CLI options in, config recorded, summary out.

    Called without arguments, the function reads its parameters from ``sys.argv``;
    called with arguments, it uses them as given. Use as ``@experiment`` or
    ``@experiment(name="bert", tags=["baseline"])``.
    """

    def decorate(func: F) -> F:
        import functools

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            import inspect

            from runar.sdk import run as run_module

            if not args and not kwargs:
                kwargs = vars(build_parser(func).parse_args())
            bound = inspect.signature(func).bind(*args, **kwargs)
            bound.apply_defaults()
            params = {k: v for k, v in bound.arguments.items()}
            active = run_module.active_run()
            if active is not None:
                active.config(params)
                if tags:
                    active.tag(*tags)
                if name:
                    active.rename(name)
                return _call(active, func, bound)
            with run_module.Run(name, config=params, tags=tags) as run:
                return _call(run, func, bound)

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def _call(run: Any, func: Callable[..., Any], bound: inspect.BoundArguments) -> Any:
    result = func(*bound.args, **bound.kwargs)
    summary = _summary(result)
    if summary:
        run.summary(summary)
    return result
