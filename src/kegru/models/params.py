"""What values a parameter or an option accepts, checked before any work.

Every command validates what the user gave *before* it reads data or writes anything, so
a bad value costs nothing and leaves no half-written output. Each check raises
:class:`kegru.errors.InputError` naming the parameter (``parameter 'units'``, or the
label its caller gives: the command line's ``--units``, a ``config.json``'s
``params.units``) or option; the command line prints it as one line and exits with
status 2.

Each model family declares the :class:`Rule` of its parameters beside its defaults
(``parameter_rules`` of :class:`kegru.models.base.Estimator` and its subclasses); a
parameter without a rule is only type-checked against its default.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kegru.errors import InputError


@dataclass(frozen=True)
class Rule:
    """What values a hyper-parameter accepts.

    Attributes
    ----------
    kind : str
        ``int``, ``float``, ``bool`` or ``str``.
    low, high : float, optional
        Inclusive bounds (``low_open``/``high_open`` make them exclusive).
    choices : tuple of str, optional
        Allowed strings.
    optional : bool
        ``None`` is allowed (e.g. the optimizer's default learning rate).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False

    def describe(self) -> str:
        """The accepted values in words (``an integer in 1..4096``)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        noun = {"int": "an integer", "float": "a number", "bool": "true or false"}.get(
            self.kind, "a string"
        )
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            if self.kind == "int":
                return f"{noun} in {_number(self.low)}..{_number(self.high)}"
            return f"{noun} in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {_number(self.low)}"
        return noun

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of the right type and within range."""
        if value is None:
            return self.optional
        if self.kind == "bool":
            return isinstance(value, bool | np.bool_)
        if self.kind == "str":
            return isinstance(value, str) and (not self.choices or value in self.choices)
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            return False
        if not math.isfinite(value) or (self.kind == "int" and float(value) != int(value)):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _int(low: int, high: int = 10**9) -> Rule:
    return Rule("int", low, high)


def int_rule(low: int, high: int = 10**9) -> Rule:
    """An integer in ``low..high``."""
    return Rule("int", low, high)


def parameter_label(name: str) -> str:
    """How a library message names a parameter: ``parameter 'units'``."""
    return f"parameter {name!r}"


def rule_for(rules: Mapping[str, Rule], name: str, default: Any) -> Rule | None:
    """The rule of parameter ``name``; from the default's type when ``rules`` has none."""
    rule = rules.get(name)
    if rule is not None:
        return rule
    if isinstance(default, bool):
        return Rule("bool")
    if isinstance(default, int):
        return Rule("int")
    if isinstance(default, float):
        return Rule("float")
    if isinstance(default, str):
        return Rule("str")
    return None


def check_values(
    family: str,
    params: Mapping[str, Any],
    known: Mapping[str, Any],
    rules: Mapping[str, Rule],
    label: Callable[[str], str] = parameter_label,
    path: str | Path | None = None,
) -> None:
    """Check the names, types and ranges of parameters.

    Parameters
    ----------
    family : str
        Model family (named by the message about unknown names).
    params : mapping
        The values to check (names not in ``known`` are an error).
    known : mapping
        Every parameter name with its default (types for parameters without a rule).
    rules : mapping
        ``name -> Rule`` of the family.
    label : callable
        ``label(name)`` -> how the message names the parameter (``--units``).
    path : str or Path, optional
        The file the values came from (a ``config.json``).

    Raises
    ------
    InputError
        At the first bad value.
    """
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InputError(
            f"unknown parameter(s) for model '{family}': {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}",
            path,
        )
    for name, value in params.items():
        rule = rule_for(rules, name, known[name])
        if rule is not None and not rule.accepts(value):
            raise InputError(f"{label(name)}: must be {rule.describe()}, got {value!r}", path)


def check_fractions(valid_fraction: float, test_fraction: float) -> None:
    """``--valid-fraction`` and ``--test-fraction`` in [0, 1) with a sum below 1."""
    for option, value in (("--valid-fraction", valid_fraction), ("--test-fraction", test_fraction)):
        if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value < 1):
            raise InputError(f"{option}: must be a number in [0, 1), got {value!r}")
    if valid_fraction + test_fraction >= 1:
        raise InputError(
            f"--valid-fraction + --test-fraction must be below 1, got "
            f"{valid_fraction} + {test_fraction}"
        )


def check_finite(value: float | None, option: str) -> None:
    """A number option that must be finite (``nan`` and ``inf`` pass most comparisons)."""
    if value is not None and not math.isfinite(value):
        raise InputError(f"{option}: must be a finite number, got {value!r}")


def check_positive(value: int | float | None, option: str, minimum: float = 1) -> None:
    """A number option (``--window``, ``--jobs``) that must be at least ``minimum``."""
    if value is None:
        return
    check_finite(value, option)
    if value < minimum:
        raise InputError(f"{option}: must be at least {_number(minimum)}, got {value!r}")
