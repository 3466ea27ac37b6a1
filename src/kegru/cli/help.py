"""How ``kegru COMMAND --help`` reads: plain text, the families' own defaults, an example.

Docstrings double as command descriptions, so their reStructuredText markup
(````literal````, ``:func:`name```) is turned into plain text here. Options that set a
model family's hyper-parameter carry ``family_param`` (see :func:`family_option`); their
help ends with that parameter's defaults, read from the families when help is shown, so the
numbers are never typed twice (and ``kegru`` starts without importing torch).
"""

from __future__ import annotations

import argparse
import re

_ROLE = re.compile(r":(?:mod|func|class|meth|data|attr|obj):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain(text: str) -> str:
    """``text`` without reStructuredText markup: ````x```` -> 'x', ``:func:`x``` -> x."""
    return _LITERAL.sub(r"'\1'", _ROLE.sub(r"\1", text))


def family_option(action: argparse.Action, param: str) -> argparse.Action:
    """Mark ``action`` as setting the hyper-parameter ``param``; returns the action."""
    action.family_param = param
    return action


def family_defaults(param: str) -> str:
    """The default of ``param`` in every family that has it, e.g. ``5 (kegru)``."""
    from kegru.models.base import estimator_class
    from kegru.models.registry import MODEL_FAMILIES

    values = {}
    for family in MODEL_FAMILIES:
        defaults = estimator_class(family).defaults
        if param in defaults:
            values[family] = defaults[param]
    if not values:
        return ""
    shown = {family: "the optimizer's" if v is None else str(v) for family, v in values.items()}
    if len(set(shown.values())) == 1:
        return f"{next(iter(shown.values()))} ({', '.join(shown)})"
    return ", ".join(f"{family} {value}" for family, value in shown.items())


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Plain-text descriptions and help; family defaults appended where marked."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return super()._fill_text(plain(text), width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = plain(action.help or "")
        param = getattr(action, "family_param", None)
        if param is not None:
            defaults = family_defaults(param)
            if defaults:
                text += f" (default: {defaults})".replace("%", "%%")
        return text


def finish(parser: argparse.ArgumentParser, example: str | None) -> None:
    """Give a command's parser the plain formatter and its example as the last lines."""
    parser.formatter_class = HelpFormatter
    if parser.description:
        parser.description = parser.description.strip()
    if example:
        parser.epilog = "example:\n  " + "\n  ".join(example.strip().splitlines())
