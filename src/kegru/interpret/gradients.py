"""Gradient attributions of the neural families through their one-hot modules.

``kegru interpret --method`` chooses how each base's importance is measured:

``ism``                   saturation mutagenesis (:mod:`kegru.interpret.attribution`): every
                          single-base mutant scored by the model itself; exact for every family
                          (the default, and the only one for gkm-SVM and GC)
``deepliftshap``          DeepLIFT/SHAP with dinucleotide-shuffled references (tangermeme's
                          ``deep_lift_shap``); exact (convergence deltas at float rounding)
                          where every nonlinearity has a DeepLIFT rule: DeepBind and CNN_ZH
                          with ``rc`` ``none`` or ``mean``. KEGRU's GRU gates and the k-mer
                          products have none, so its attributions are an approximation, whose
                          convergence deltas are reported
``integrated-gradients``  captum's integrated gradients from an all-``N`` baseline; exact in
                          the limit of many steps (the completeness error is reported)

Each method gives per-reference multipliers ``m`` (gradients), from which the hypothetical
contribution of base ``b`` at position ``i`` is ``sum_c m[c, i] (onehot(b)[c] - ref[c, i])``
(tangermeme's ``hypothetical_attributions``), averaged over the references. The convergence
delta of an (input, reference) pair is ``f(x) - f(ref) - sum (x - ref) m``: zero for an exact
attribution. Outputs follow the ISM layout (:class:`Interpretation`): ``ism`` holds each
base's hypothetical contribution minus that of the sequence's own base (0 at the reference
base, like a mutation's effect), ``importance`` the contribution of the sequence's own base.
"""

from __future__ import annotations

import numpy as np
import torch

from kegru.data.onehot import one_hot
from kegru.errors import InputError
from kegru.interpret.attribution import Interpretation
from kegru.models.base import Estimator
from kegru.progress import progress_bar

METHODS = ("ism", "deepliftshap", "integrated-gradients")
#: Methods that differentiate a one-hot module (the neural families only).
GRADIENT_METHODS = METHODS[1:]


def _multipliers(
    module: torch.nn.Module,
    onehot: torch.Tensor,
    method: str,
    n_shuffles: int,
    n_steps: int,
    seed: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multipliers and references of one batch of equal-length sequences.

    Returns
    -------
    multipliers, references : torch.Tensor, shape=(n, r, 4, L)
        One per (sequence, reference) pair; r = ``n_shuffles`` or 1 (the IG baseline).
    """
    if method == "deepliftshap":
        from tangermeme.deep_lift_shap import deep_lift_shap

        multipliers, references = deep_lift_shap(
            module,
            onehot,
            n_shuffles=n_shuffles,
            raw_outputs=True,
            return_references=True,
            random_state=seed,
            device="cpu",
            warning_threshold=float("inf"),  # the deltas are measured and reported instead
        )
        return multipliers, references.to(onehot.dtype)
    try:
        from captum.attr import IntegratedGradients
    except ImportError:
        raise InputError(
            "--method integrated-gradients needs captum: pip install 'kegru[interpret]'"
        ) from None
    baseline = torch.zeros_like(onehot)  # all N: the unknown base everywhere
    gradients = IntegratedGradients(module, multiply_by_inputs=False).attribute(
        onehot, baselines=baseline, target=0, n_steps=n_steps
    )
    return gradients[:, None], baseline[:, None]


def gradient_attributions(
    estimator: Estimator,
    sequences: list[str],
    method: str,
    *,
    n_shuffles: int = 20,
    n_steps: int = 50,
    seed: int = 0,
    batch_size: int = 32,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hypothetical contributions of every base, and the convergence deltas.

    Parameters
    ----------
    estimator : Estimator
        A trained neural model (one with :meth:`Estimator.onehot_module`).
    sequences : list of str, length n
        DNA; lengths may differ (sequences of one length are attributed together).
    method : str
        ``deepliftshap`` or ``integrated-gradients``.
    n_shuffles : int
        DeepLIFT/SHAP references per sequence (dinucleotide shuffles, seeded by ``seed``).
    n_steps : int
        Integrated-gradients steps.
    batch_size : int
        Sequences per call of the attribution method.

    Returns
    -------
    hypothetical : numpy.ndarray, shape=(n, L, 4), NaN past a sequence's end
    deltas : numpy.ndarray, shape=(n,)
        Mean absolute convergence delta of each sequence over its references.
    output_change : numpy.ndarray, shape=(n,)
        Mean absolute ``f(x) - f(ref)`` (the scale the deltas compare with).
    """
    if method not in GRADIENT_METHODS:
        raise InputError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if method == "deepliftshap":
        unknown = next((i for i, s in enumerate(sequences) if set(s) - set("ACGT")), None)
        if unknown is not None:
            raise InputError(
                f"--method deepliftshap: sequence {unknown + 1} holds a base other than A, C, "
                "G, T (tangermeme shuffles only pure ACGT); use --method ism or "
                "integrated-gradients"
            )
    from tangermeme.deep_lift_shap import hypothetical_attributions

    module = estimator.onehot_module().float()
    longest = max((len(s) for s in sequences), default=0)
    hypothetical = np.full((len(sequences), longest, 4), np.nan)
    deltas, changes = np.zeros(len(sequences)), np.zeros(len(sequences))
    lengths = np.asarray([len(s) for s in sequences])
    bar = progress_bar(len(sequences), method, "seq", enabled=progress)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        for first in range(0, len(rows), batch_size):
            batch = rows[first : first + batch_size]
            onehot = torch.from_numpy(one_hot([sequences[i] for i in batch], "zeros")[0])
            mult, refs = _multipliers(module, onehot, method, n_shuffles, n_steps, seed)
            n, r = mult.shape[:2]
            inputs = onehot[:, None].expand_as(refs).reshape(n * r, 4, length)
            flat_mult, flat_refs = mult.reshape(n * r, 4, length), refs.reshape(n * r, 4, length)
            with torch.no_grad():
                change = (module(inputs) - module(flat_refs))[:, 0]
            summed = ((inputs - flat_refs) * flat_mult).sum(dim=(1, 2))
            deltas[batch] = (change - summed).abs().view(n, r).mean(dim=1).double().numpy()
            changes[batch] = change.abs().view(n, r).mean(dim=1).double().numpy()
            (hyp,) = hypothetical_attributions((flat_mult,), (inputs,), (flat_refs,))
            hyp = hyp.view(n, r, 4, length).mean(dim=1).double().numpy()
            hypothetical[batch, :length] = hyp.transpose(0, 2, 1)
            bar.update(len(batch))
    bar.close()
    return hypothetical, deltas, changes


def gradient_interpretation(
    estimator: Estimator,
    names: list[str],
    sequences: list[str],
    method: str,
    batch_size: int = 32,
    progress: bool = False,
) -> tuple[Interpretation, dict[str, float]]:
    """An :class:`Interpretation` by ``method`` and a summary of its convergence deltas.

    ``ism`` holds each base's hypothetical contribution minus that of the sequence's own
    base; ``importance`` the own base's contribution (0 at an unknown base).
    """
    hypothetical, deltas, changes = gradient_attributions(
        estimator, sequences, method, batch_size=batch_size, progress=progress
    )
    onehot = np.nan_to_num(np.transpose(one_hot(sequences, "zeros")[0], (0, 2, 1)))
    own = np.where(np.isnan(hypothetical), np.nan, hypothetical * onehot).sum(axis=2)
    own[np.isnan(hypothetical[..., 0])] = np.nan
    interpretation = Interpretation(
        names=list(names),
        sequences=list(sequences),
        scores=np.asarray(estimator.predict_bound(sequences), dtype=np.float64),
        ism=hypothetical - own[..., None],
        importance=own,
    )
    summary = {
        "method": method,
        "convergence_delta_mean": float(deltas.mean()) if len(deltas) else 0.0,
        "convergence_delta_max": float(deltas.max()) if len(deltas) else 0.0,
        "output_change_mean": float(changes.mean()) if len(changes) else 0.0,
    }
    return interpretation, summary
