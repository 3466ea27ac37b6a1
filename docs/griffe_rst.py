"""Griffe extension for the API reference: reST roles and grouped numpydoc parameters.

The docstrings use Sphinx's roles (``:func:`x```, ``:class:`~a.B```, ``:mod:``, ``:data:``,
``:meth:``, ``:attr:``), which Markdown shows as literal text. This extension rewrites each
role, before the docstrings are rendered, into a cross-reference (``[`x`][kegru.a.x]``) when
its target is a kegru object the reference renders, and into inline code otherwise (private
helpers, other packages). The source docstrings stay as they are.

griffe's numpy parser gives every name of a grouped entry (``seed, epochs : int``) the
signature default (and, without a type in the docstring, the annotation) of the *first*
name; the extension gives each name its own from the signature.

The estimators take ``**params`` in the source; at run time each family's ``__init__`` gets a
signature listing its hyper-parameters and run settings with their defaults
(``kegru.models.base``). The extension gives the reference that signature, so every
estimator parameter shows its real type and default.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

from griffe import (
    AliasResolutionError,
    Class,
    CyclicAliasError,
    DocstringSectionKind,
    Extension,
    Function,
    NameResolutionError,
    Object,
    Parameter,
    ParameterKind,
    Parameters,
)

#: A Sphinx role: ``:role:`target```, ``:py:role:`~target```, ``:role:`title <target>```.
ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|obj|exc|const):`(?P<body>[^`]+)`")
#: A numpydoc entry naming several parameters, with or without a type.
GROUPED = re.compile(r"^(?P<names>\w+(?:,\s*\w+)+)\s*(?::\s*(?P<type>.*))?$")


def _rendered(obj: Object) -> bool:
    """Whether the API reference renders ``obj`` (and so holds an anchor for it)."""
    node: Any = obj
    while node is not None and node.parent is not None:
        if node.name.startswith("_") or not node.has_docstrings:
            return False
        node = node.parent
    return True


def _target(scope: Object, name: str) -> str | None:
    """The canonical path of ``name`` seen from ``scope``, if the reference renders it."""
    head, _, rest = name.partition(".")
    try:
        path = scope.resolve(head)
    except NameResolutionError:
        path = head
    if rest:
        path = f"{path}.{rest}"
    try:
        found = scope.modules_collection[path]
        if found.is_alias:
            found = found.final_target
    except (KeyError, AliasResolutionError, CyclicAliasError, ValueError):
        return None
    return found.path if _rendered(found) else None


def _replace_roles(text: str, scope: Object) -> str:
    """``text`` with each reST role as a cross-reference or inline code."""

    def one(match: re.Match[str]) -> str:
        body = match.group("body").strip()
        titled = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", body)
        if titled:
            title, name = titled.group("title"), titled.group("target")
        else:
            name = body.lstrip("~!")
            title = name.rsplit(".", 1)[-1] if body.startswith("~") else name
        name = name.strip().removesuffix("()")
        target = _target(scope, name)
        return f"[`{title}`][{target}]" if target else f"`{title}`"

    return ROLE.sub(one, text)


def _fix_grouped_parameters(obj: Object) -> None:
    """Give each name of a grouped parameter entry its own signature default and type."""
    parameters = getattr(obj, "parameters", None)
    if parameters is None or obj.docstring is None:
        return
    grouped: dict[str, bool] = {}  # name -> whether the entry gave a type
    for line in obj.docstring.lines:
        match = GROUPED.match(line)
        if match and not line.startswith(" "):
            for name in re.split(r",\s*", match.group("names")):
                grouped[name] = bool(match.group("type"))
    if not grouped:
        return
    for section in obj.docstring.parsed:
        if section.kind is not DocstringSectionKind.parameters:
            continue
        for entry in section.value:
            if entry.name in grouped and entry.name in parameters:
                signature = parameters[entry.name]
                entry.value = signature.default
                if not grouped[entry.name]:
                    entry.annotation = signature.annotation


def _runtime_signature(cls: Class) -> inspect.Signature | None:
    """The signature of the class as Python sees it after import, if it differs in kind."""
    try:
        runtime = getattr(importlib.import_module(cls.module.path), cls.name)
        return inspect.signature(runtime)
    except Exception:  # noqa: BLE001 - any import problem: keep the static view
        return None


def _takes_var_keyword(obj: Object) -> bool:
    parameters = getattr(obj, "parameters", None) or []
    return any(p.kind is ParameterKind.var_keyword for p in parameters)


def _give_runtime_init(cls: Class) -> None:
    """Give a class whose source ``__init__`` takes ``**params`` its run-time signature."""
    if not _takes_var_keyword(cls):
        return
    signature = _runtime_signature(cls)
    if signature is None or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    ):
        return
    parameters = [Parameter("self", kind=ParameterKind.positional_or_keyword)]
    for p in signature.parameters.values():
        default = p.default
        annotation = None if default is None else type(default).__name__
        parameters.append(
            Parameter(
                p.name,
                annotation=annotation,
                kind=ParameterKind.keyword_only,
                default=repr(default),
            )
        )
    init = Function("__init__", parameters=Parameters(*parameters), parent=cls)
    cls.set_member("__init__", init)


class ReSTRoles(Extension):
    """Rewrite reST roles and fix grouped parameters in every docstring of a package."""

    def on_package(self, *, pkg: Object, **kwargs: Any) -> None:
        """Walk the package once all its modules are loaded (so targets resolve)."""
        self._walk(pkg)

    def _walk(self, obj: Object) -> None:
        if obj.is_class:
            _give_runtime_init(obj)
        if obj.docstring is not None:
            if _takes_var_keyword(obj):
                # Names documented for ``**params`` are not in the signature by design.
                obj.docstring.parser_options = {
                    **obj.docstring.parser_options,
                    "warn_unknown_params": False,
                    "warn_missing_types": False,
                }
            scope = obj if obj.is_module or obj.is_class else obj.parent
            obj.docstring.value = _replace_roles(obj.docstring.value, scope or obj)
            _fix_grouped_parameters(obj)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member)
