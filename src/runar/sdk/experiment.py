"""@experiment: the function's parameters are the config, read from the command line.

``python train.py --lr 1e-4 --epochs 20`` (or the same under ``runar``) fills the
parameters by their annotations and defaults (see ``runar.sdk.options``), with
``--help``. A returned dict of numbers becomes the run's summary.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import inspect
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


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
                from runar.sdk.options import build_parser  # argparse: only when parsing

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
            # attach: under `runar` the experiment is the runner's run, not a child of it
            with run_module.Run.attach(name, config=params, tags=tags) as run:
                return _call(run, func, bound)

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def _call(run: Any, func: Callable[..., Any], bound: inspect.BoundArguments) -> Any:
    result = func(*bound.args, **bound.kwargs)
    summary = _summary(result)
    if summary:
        run.summary(summary)
    return result
