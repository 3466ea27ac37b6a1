"""The blend family: unlike models trained on one split, combined by validation-chosen weights.

``kegru train --model blend`` (members ``kegru,gkmsvm`` by default; ``--blend`` names
them) trains every member on the same training split, with the same validation split for the
members that choose an epoch on it, then chooses how to combine their scores on that
validation split only (:mod:`kegru.models.blend.combine`). Fitted without a validation set
(``fit(sequences, labels)``), a blend holds out a seeded stratified :data:`HELD_OUT` share
of the training data for it.

A saved blend is one model directory: ``config.json``, ``blend.json`` (the combiner, the
validation AUC of each member and way of combining, each member's training seconds) and one
sub-directory ``member_<family>`` per member, itself a model directory. Everything that
loads a model (predict, scan, variants, interpret) scores a blend like any other family.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from kegru.atomic import write_json
from kegru.data.sequences import LabelledSequences
from kegru.errors import InputError
from kegru.models.base import Estimator, estimator_class, load_model, make_estimator
from kegru.models.blend.combine import METHODS, Combiner, choose_combiner
from kegru.models.model_dir import MEMBER_PREFIX
from kegru.models.params import Rule
from kegru.models.registry import MODEL_FAMILIES

logger = logging.getLogger(__name__)

BLEND_FILE = "blend.json"
#: Share of the training data held out to choose the weights when ``fit`` gets no validation.
HELD_OUT = 0.2


def parse_members(text: str) -> list[str]:
    """``kegru,gkmsvm`` -> member families, checked: known, distinct, at least two, no blend."""
    members = [m.strip() for m in str(text).split(",") if m.strip()]
    unknown = [m for m in members if m not in MODEL_FAMILIES or m == "blend"]
    if unknown:
        choices = ", ".join(f for f in MODEL_FAMILIES if f != "blend")
        raise InputError(f"unknown blend member(s) {', '.join(unknown)}; choose from {choices}")
    if len(members) < 2 or len(set(members)) != len(members):
        raise InputError(f"a blend needs at least two distinct members, got {text!r}")
    return members


class BlendEstimator(Estimator):
    """Members of unlike families combined with weights chosen on validation.

    Parameters
    ----------
    members : str
        Comma-separated member families (default ``kegru,gkmsvm``).
    combine : str
        ``auto`` (the way with the best cross-validated validation AUC) or one of ``rank``,
        ``logit``, ``stack``.
    member_params : dict, optional
        Family -> hyper-parameters of that member (defaults otherwise).
    epochs : int, optional
        Maximum epochs of the neural members (their default when None).
    seed, threads, device, verbose
        Run settings, passed to every member.
    """

    family = "blend"
    defaults: dict[str, Any] = {
        "members": "kegru,gkmsvm",
        "combine": "auto",
        "member_params": None,
        "epochs": None,
    }
    parameter_rules = {
        "members": Rule("str"),
        "combine": Rule("str", choices=("auto", *METHODS)),
        "epochs": Rule("int", 1, 100_000, optional=True),
    }

    @classmethod
    def _check_param_relations(
        cls, params: dict[str, Any], label: Callable[[str], str], path: str | Path | None
    ) -> None:
        try:
            members = parse_members(params["members"])
        except InputError as error:
            raise InputError(f"{label('members')}: {error.message}", path) from None
        extra = params.get("member_params")
        if extra is None:
            return
        if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
            raise InputError(f"{label('member_params')}: must be a table of tables", path)
        for family, values in extra.items():
            if family not in members:
                raise InputError(f"{label('member_params')}: {family!r} is not a member", path)
            estimator_class(family).check_param_values(
                values, lambda name, f=family: f"{label('member_params')}.{f}.{name}", path
            )

    @property
    def member_names(self) -> list[str]:
        """The member families, in order."""
        return parse_members(self.params["members"])

    @property
    def min_length(self) -> int:
        """The longest of the members' minimum lengths."""
        members = getattr(self, "members_", None) or self._new_members()
        return max(member.min_length for member in members)

    @property
    def strand_symmetric(self) -> bool:
        members = getattr(self, "members_", None) or self._new_members()
        return all(member.strand_symmetric for member in members)

    def set_run_settings(self, device: str | None = None, threads: int | None = None) -> None:
        super().set_run_settings(device, threads)
        for member in getattr(self, "members_", []):
            member.set_run_settings(device, threads)

    def _new_members(self) -> list[Estimator]:
        """Untrained members with their parameters and this blend's run settings."""
        extra = self.params["member_params"] or {}
        members = []
        for family in self.member_names:
            params = dict(extra.get(family, {}))
            known = estimator_class(family).defaults
            if self.params["epochs"] is not None and "epochs" in known:
                params.setdefault("epochs", self.params["epochs"])
            run = {k: self.params[k] for k in ("seed", "threads", "device", "verbose")}
            members.append(make_estimator(family, **params, **run))
        return members

    def _fit(
        self,
        train: LabelledSequences,
        valid: LabelledSequences | None,
        log_path: str | Path | None,
    ) -> None:
        """Train every member on ``train``; choose the combination on ``valid``.

        The first member writes its epoch log to ``log_path``.
        """
        if valid is None:
            train, valid = _hold_out(train, int(self.params["seed"]))
        if len(np.unique(valid.labels)) < 2:
            raise InputError("a blend needs bound and unbound validation sequences")
        self.members_ = self._new_members()
        self.member_seconds_ = {}
        valid_scores = []
        for i, (family, member) in enumerate(zip(self.member_names, self.members_, strict=True)):
            started = time.perf_counter()
            member.fit(train, valid, log_path=log_path if i == 0 else None)
            self.member_seconds_[family] = round(time.perf_counter() - started, 3)
            valid_scores.append(member.predict_bound(valid.sequences))
        scores = np.stack(valid_scores)
        self.member_valid_auc_ = {
            family: float(roc_auc_score(valid.labels, s))
            for family, s in zip(self.member_names, scores, strict=True)
        }
        methods = METHODS if self.params["combine"] == "auto" else (self.params["combine"],)
        self.combiner_, self.combine_cv_auc_ = choose_combiner(
            scores, valid.labels, methods, int(self.params["seed"])
        )
        logger.info(
            "blend: members' validation AUC %s; combined by %s (cross-validated AUC %s), "
            "weights %s",
            self.member_valid_auc_,
            self.combiner_.method,
            self.combine_cv_auc_,
            np.round(self.combiner_.weights, 3).tolist(),
        )

    def member_scores(self, sequences: list[str]) -> np.ndarray:
        """Each member's P(bound), shape=(n_members, n)."""
        return np.stack([member.predict_bound(sequences) for member in self.members_])

    def predict_bound(self, sequences: list[str]) -> np.ndarray:
        """P(bound) of each sequence, shape=(n,): the members' scores combined."""
        return self.combiner_.predict_bound(self.member_scores(list(sequences)))

    def _save_state(self, directory: Path) -> dict[str, Any]:
        for family, member in zip(self.member_names, self.members_, strict=True):
            member.save(directory / f"{MEMBER_PREFIX}{family}")
        write_json(
            directory / BLEND_FILE,
            {
                "members": self.member_names,
                "combiner": self.combiner_.to_json(),
                "member_valid_auc": self.member_valid_auc_,
                "combine_cv_auc": self.combine_cv_auc_,
                "member_seconds": self.member_seconds_,
            },
        )
        return {}

    def _load_state(self, directory: Path, config: dict[str, Any]) -> None:
        path = directory / BLEND_FILE
        if not path.exists():
            raise InputError(f"blend state missing ({BLEND_FILE})", directory)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"unreadable blend state: {error}", path) from None
        if not isinstance(stored, dict) or stored.get("members") != self.member_names:
            raise InputError("blend state does not match the 'members' parameter", path)
        try:
            self.combiner_ = Combiner.from_json(stored.get("combiner"), len(self.member_names))
        except (InputError, AttributeError) as error:
            raise InputError(str(getattr(error, "message", error)), path) from None
        self.members_ = [
            load_model(
                directory / f"{MEMBER_PREFIX}{family}",
                device=self.params["device"],
                threads=self.params["threads"],
                verbose=bool(self.params["verbose"]),
            )
            for family in self.member_names
        ]
        self.member_valid_auc_ = stored.get("member_valid_auc", {})
        self.combine_cv_auc_ = stored.get("combine_cv_auc", {})
        self.member_seconds_ = stored.get("member_seconds", {})


def _hold_out(train: LabelledSequences, seed: int) -> tuple[LabelledSequences, LabelledSequences]:
    """A seeded stratified :data:`HELD_OUT` share of ``train`` as validation."""
    rows = np.arange(len(train))
    fit_rows, held_rows = train_test_split(
        rows, test_size=HELD_OUT, stratify=train.labels, random_state=seed
    )
    return train.subset(np.sort(fit_rows)), train.subset(np.sort(held_rows))
