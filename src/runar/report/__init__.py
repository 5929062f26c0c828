"""`runar report`: results tables (LaTeX, Markdown, CSV, HTML) and run reports (PDF, HTML).

table.py      runs → groups × metrics, mean ± std over seeds, best per column; number rounding
latex.py      the booktabs LaTeX table, written by hand (\\pm and \\textbf kept, specials escaped)
formats.py    the same table as Markdown, CSV and HTML
run_data.py   what a run report or a comparison shows, gathered from the views as plain data
charts.py     metric curves drawn with matplotlib's Agg backend → SVG
typeset.py    plain data → PDF through typst (templates/*.typ read it as JSON: no user
              text is ever parsed as typst markup)
webpage.py    plain data → one self-contained HTML file (images inline as data: URLs)

The tables need only polars; run reports need the ``report`` extra (typst, matplotlib),
checked by ``require_extra`` so a missing one is one line, not a traceback.
"""

from __future__ import annotations

import importlib
from typing import Final

from runar.errors import UsageError

EXTRA_MESSAGE: Final = "runar report needs the report extra: pip install 'runar[report]'"
EXTRA_MODULES: Final = ("typst", "matplotlib")


class ReportExtraMissing(UsageError):
    """typst or matplotlib is not installed."""


def require_extra(modules: tuple[str, ...] = EXTRA_MODULES) -> None:
    """Raise ReportExtraMissing unless every module of the report extra imports."""
    for name in modules:
        try:
            importlib.import_module(name)  # the report needs it right after: nothing is wasted
        except ImportError:
            raise ReportExtraMissing(EXTRA_MESSAGE) from None
