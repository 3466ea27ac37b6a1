"""The gapped k-mer kernels of LS-GKM (Ghandi et al. 2014; Lee 2016), computed exactly and fast.

Every LS-GKM kernel compares two sequences through their l-mers (windows of length ``l``).
For sequences ``a`` and ``b``::

    raw(a, b) = sum over forward l-mers u of a, and l-mers v of b on both strands,
                of h[mismatches(u, v)] * w(u) * w(v)        (pairs with <= d mismatches)
    K(a, b)   = raw(a, b) / sqrt(raw(a, a) * raw(b, b))
    K_rbf     = exp(gamma * (K - 1))                          (the RBF kernels)

``h[m]`` comes from the gapped k-mer filter: ``C(l-m, k)`` shared gapped k-mers for the
``direct`` kernel (-t 0), the estimated l-mer weights of Ghandi et al. 2014 for
``estimated_full`` (-t 1) and ``estimated`` (-t 2, truncated filter); the RBF kernels use
the ``estimated`` weights. ``w`` is 1, except for the ``weighted`` kernels (wgkm), where a
window's weight decays with its distance from the sequence centre:
``min(M, floor(M * exp(-ln 2 * D / H) + 1))``. Bases other than ACGT read as A, as in
LS-GKM.

How it is fast: every l-mer is a ``2 l``-bit code, two codes differ at the positions where
their XOR has a non-zero 2-bit symbol, so the l-mers within ``d`` mismatches of ``u`` are
``u ^ mask`` over a fixed list of masks (4,984 for l=11, d=3). An inverted index (code ->
the sequences holding it, with their weights) then turns a kernel row into a walk over the
neighbours of the row sequence's l-mers: the work is the number of l-mer pairs within ``d``
mismatches (~0.1% of all pairs), not all pairs, and rows run on several threads.

For scoring with a linear kernel the model collapses into one table over all ``4^l``
l-mers, ``T = h * W`` (an XOR convolution, done with the Walsh-Hadamard transform), where
``W`` sums the support vectors' normalised coefficients per l-mer; a sequence's score is
then a sum of table look-ups.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

from kegru.data.sequences import BASE_CODES
from kegru.errors import InputError

#: kegru kernel name -> (LS-GKM ``-t`` number, LS-GKM model-file name).
KERNELS: dict[str, tuple[int, str]] = {
    "direct": (0, "gkm_cnt"),
    "estimated_full": (1, "gkm_estfull"),
    "estimated": (2, "gkm_esttrunc"),
    "rbf": (3, "gkmrbf"),
    "weighted": (4, "wgkm"),
    "weighted_rbf": (5, "wgkmrbf"),
}
MAX_L = 12
MAX_D = 4
TILE = 8
#: Positions at the end of a word handled by neighbour lists instead of the prefix walk.
SUFFIX = 3

# Non-ACGT bytes read as A (code 0), as LS-GKM does.
_CODES = np.where(BASE_CODES > 3, 0, BASE_CODES).astype(np.uint8)


@dataclass(frozen=True)
class GkmKernel:
    """One LS-GKM kernel with its parameters.

    Parameters
    ----------
    L : int
        Word length (3 <= L <= 12, as LS-GKM).
    k : int
        Informative positions in a word (1 <= k <= L).
    d : int
        Most mismatches counted between two words (0 <= d <= min(L, 4)).
    kernel : str
        A key of :data:`KERNELS`.
    gamma : float
        RBF width (``rbf``, ``weighted_rbf``).
    M : int
        Initial weight of the centre-weighted kernels (1..255).
    H : float
        Half-life, in windows (bp), of the centre weight.
    include_rc : bool
        Count the words of the second sequence on both strands (LS-GKM's default).
    """

    L: int = 11
    k: int = 7
    d: int = 3
    kernel: str = "estimated"
    gamma: float = 1.0
    M: int = 50
    H: float = 50.0
    include_rc: bool = True

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise InputError(f"unknown kernel {self.kernel!r}; choose one of {', '.join(KERNELS)}")
        if not 3 <= self.L <= MAX_L or not 1 <= self.k <= self.L:
            raise InputError(f"need 3 <= l <= {MAX_L} and 1 <= k <= l (got l={self.L}, k={self.k})")
        if not 0 <= self.d <= min(self.L, MAX_D):
            raise InputError(f"need 0 <= d <= min(l, {MAX_D}) (got d={self.d})")
        if self.gamma <= 0 or not 1 <= self.M <= 255 or self.H <= 0:
            raise InputError("need gamma > 0, 1 <= M <= 255 and H > 0")

    @property
    def rbf(self) -> bool:
        """Whether the kernel is an RBF on the normalised gapped k-mer kernel."""
        return self.kernel in ("rbf", "weighted_rbf")

    @property
    def weighted(self) -> bool:
        """Whether windows are weighted by their distance from the sequence centre."""
        return self.kernel in ("weighted", "weighted_rbf")

    def mismatch_weights(self) -> np.ndarray:
        """``h[m]`` for m = 0..d, shape=(d+1,), float64."""
        if self.kernel == "direct":
            h = np.array([math.comb(self.L - m, self.k) for m in range(self.L + 1)], float)
        else:
            h = estimated_lmer_weights(self.L, self.k, truncated=self.kernel != "estimated_full")
        return h[: self.d + 1].copy()

    def window_weights(self, n_windows: int) -> np.ndarray:
        """Weight of each forward window of a sequence with ``n_windows`` windows, float64."""
        if not self.weighted:
            return np.ones(n_windows)
        distance = np.abs(n_windows // 2 - np.arange(n_windows))
        decayed = np.floor(self.M * np.exp(-np.log(2.0) * distance / self.H) + 1)
        return np.minimum(decayed, self.M)


def estimated_lmer_weights(L: int, k: int, truncated: bool) -> np.ndarray:
    """Weights ``h[m]``, m = 0..L, of the estimated l-mer kernels (Ghandi et al. 2014).

    The gapped k-mer filter estimates l-mer counts from gapped k-mer counts; ``h[m]`` is
    the kernel contribution of two l-mers with ``m`` mismatches after that estimate (with
    the filter truncated at its first vanishing term when ``truncated``), as LS-GKM's
    ``-t 1`` / ``-t 2``.

    Returns
    -------
    numpy.ndarray, shape=(L+1,), float64
    """
    b = 4
    comb = _comb
    # Filter coefficients wm[i] (i mismatches inside the k informative positions).
    current = [[1.0] * (k + 1) for _ in range(k + 1)]
    previous = [[1.0] * (k + 1) for _ in range(k + 1)]
    for il in range(1, L + 1):
        for ik in range(1, k + 1):
            current[ik][0] = previous[ik][0] + (b - 1) * previous[ik - 1][0]
            for jm in range(1, ik + 1):
                current[ik][jm] = current[ik - 1][jm - 1] * (ik - il) / ik
        current, previous = previous, current
    norm = comb(L, k) * float(b) ** L
    wm = [previous[k][i] / norm for i in range(k + 1)]
    filt = [
        sum(wm[i] * comb(L - m, k - i) * comb(m, i) for i in range(min(m, k) + 1))
        for m in range(L + 1)
    ]
    if truncated:
        first_zero = next((m for m, value in enumerate(filt) if value < 1e-50), L + 1)
        filt = [value if m < first_zero else 0.0 for m, value in enumerate(filt)]
    weights = np.zeros(L + 1)
    for m in range(L + 1):
        total = 0.0
        for m1, m2, t in itertools.product(range(L + 1), range(L + 1), range(m + 1)):
            r = m1 + m2 - 2 * t - L + m
            if m1 - t <= L - m and 0 <= r <= m1 - t:
                total += (
                    comb(m, t)
                    * comb(L - m, m1 - t)
                    * comb(m1 - t, r)
                    * (b - 1) ** t
                    * (b - 2) ** r
                    * filt[m1]
                    * filt[m2]
                )
        weights[L - m] = total
    return weights


def _comb(n: int, r: int) -> float:
    return float(math.comb(n, r)) if 0 <= r <= n else 0.0


# ---------------------------------------------------------------------------- words
@dataclass
class Words:
    """The l-mers of a list of sequences, merged per sequence (codes sorted).

    Attributes
    ----------
    ptr : numpy.ndarray, shape=(n+1,), int64
        Sequence ``i`` owns entries ``ptr[i]:ptr[i+1]``.
    codes : numpy.ndarray, shape=(m,), int64
        2-bit l-mer codes (first base most significant).
    weights : numpy.ndarray, shape=(m,), float64
        Summed window weights of each code in its sequence.
    """

    ptr: np.ndarray
    codes: np.ndarray
    weights: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ptr) - 1


def sequence_words(sequences: list[str], spec: GkmKernel) -> tuple[Words, Words]:
    """The forward words of each sequence, and its words on both strands.

    Parameters
    ----------
    sequences : list of str, length n, each at least ``spec.L`` bp
    spec : GkmKernel

    Returns
    -------
    (Words, Words)
        Forward l-mers (the row side of a kernel) and l-mers on both strands (the column
        side; forward only when ``spec.include_rc`` is False).
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if len(sequences) and lengths.min() < spec.L:
        first = int(np.argmin(lengths))
        raise InputError(
            f"sequence {first + 1} is {lengths[first]} bp, shorter than the word length l={spec.L}"
        )
    joined = "".join(sequences).encode("ascii", errors="replace")
    bases = _CODES[np.frombuffer(joined, dtype=np.uint8)]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    n_windows = lengths - spec.L + 1
    window_ptr = np.concatenate([[0], np.cumsum(n_windows)])
    forward = np.empty(window_ptr[-1], dtype=np.int64)
    reverse = np.empty(window_ptr[-1], dtype=np.int64)
    _rolling_codes(bases, starts, window_ptr, spec.L, forward, reverse)
    weights = np.empty(window_ptr[-1])
    for count in np.unique(n_windows):
        # A forward window and its reverse complement carry the same weight.
        rows = np.flatnonzero(n_windows == count)
        index = window_ptr[rows][:, None] + np.arange(count)
        weights[index] = spec.window_weights(int(count))
    owner = np.repeat(np.arange(len(sequences)), n_windows)
    forward_words = _merge(owner, forward, weights, len(sequences), spec.L)
    if not spec.include_rc:
        return forward_words, forward_words
    both = _merge(
        np.concatenate([owner, owner]),
        np.concatenate([forward, reverse]),
        np.concatenate([weights, weights]),
        len(sequences),
        spec.L,
    )
    return forward_words, both


def _merge(owner: np.ndarray, codes: np.ndarray, weights: np.ndarray, n: int, L: int) -> Words:
    """Sum the weights of equal codes within a sequence; sort codes within each sequence."""
    key = owner * (1 << (2 * L)) + codes
    unique, inverse = np.unique(key, return_inverse=True)
    merged = np.bincount(inverse, weights=weights, minlength=len(unique))
    owners = unique >> (2 * L)
    ptr = np.searchsorted(owners, np.arange(n + 1)).astype(np.int64)
    return Words(ptr=ptr, codes=unique & ((1 << (2 * L)) - 1), weights=merged)


@njit(cache=True)
def _rolling_codes(bases, starts, window_ptr, L, forward, reverse):  # pragma: no cover - numba
    mask = (1 << (2 * L)) - 1
    top = 2 * (L - 1)
    for s in range(starts.shape[0] - 1):
        code = 0
        rc = 0
        out = window_ptr[s]
        for p in range(starts[s], starts[s + 1]):
            base = np.int64(bases[p])
            code = ((code << 2) | base) & mask
            rc = (rc >> 2) | ((3 - base) << top)
            if p - starts[s] >= L - 1:
                forward[out] = code
                reverse[out] = rc
                out += 1


# ---------------------------------------------------------------------------- index
@dataclass
class WordIndex:
    """Inverted index of column words: code -> (sequence, weight), sequences ascending.

    Attributes
    ----------
    offsets : numpy.ndarray, shape=(4**L + 1,), int64
    sequence : numpy.ndarray, shape=(m,), int32
    weight : numpy.ndarray, shape=(m,), float64
    n : int
        Number of column sequences.
    """

    offsets: np.ndarray
    sequence: np.ndarray
    weight: np.ndarray
    n: int


def build_index(words: Words, L: int) -> WordIndex:
    """Index ``words`` by l-mer code."""
    owner = np.repeat(np.arange(words.n, dtype=np.int64), np.diff(words.ptr))
    order = np.lexsort((owner, words.codes))
    counts = np.bincount(words.codes, minlength=1 << (2 * L))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return WordIndex(
        offsets=offsets,
        sequence=owner[order].astype(np.int32),
        weight=words.weights[order],
        n=words.n,
    )


def mismatch_masks(spec: GkmKernel) -> tuple[np.ndarray, np.ndarray]:
    """XOR masks reaching every l-mer within ``d`` mismatches, and their weights ``h[m]``.

    Returns
    -------
    masks : numpy.ndarray, shape=(q,), int64, ascending
    weights : numpy.ndarray, shape=(q,), float64
    """
    h = spec.mismatch_weights()
    masks, weights = [], []
    for m in range(spec.d + 1):
        for positions in itertools.combinations(range(spec.L), m):
            for symbols in itertools.product((1, 2, 3), repeat=m):
                masks.append(sum(s << (2 * p) for s, p in zip(symbols, positions, strict=True)))
                weights.append(h[m])
    masks_array = np.asarray(masks, dtype=np.int64)
    order = np.argsort(masks_array)
    return masks_array[order], np.asarray(weights)[order]


@njit(cache=True)
def _occupancy(offsets, L):  # pragma: no cover - numba
    """Bitmaps of the non-empty l-mer prefixes of every length 1..L, concatenated.

    Prefixes of length t+1 start at bit ``level_start[t]``; the bitmaps (about 700 kB for
    l=11) stay in cache where the offsets (32 MB) would not.
    """
    level_start = np.zeros(L + 1, dtype=np.int64)
    for t in range(L):
        level_start[t + 1] = level_start[t] + (1 << (2 * (t + 1)))
    bits = np.zeros((level_start[L] + 7) // 8, dtype=np.uint8)
    n_codes = offsets.shape[0] - 1
    for code in range(n_codes):
        if offsets[code + 1] > offsets[code]:
            for t in range(L):
                position = level_start[t] + (code >> (2 * (L - 1 - t)))
                bits[position >> 3] |= np.uint8(1 << (position & 7))
    return bits, level_start


@njit(cache=True, inline="always")
def _partition(owner, word, mismatches, count, source, n, target_level, size, row_codes, shift, d):
    """Hand the entries ``source:source+n`` to the four child lists of ``target_level``.

    An entry goes to the child of its word's base at this position with the same mismatch
    count and, while the count is below ``d``, to the three other children with one more.
    """  # pragma: no cover - numba
    base_slot = 4 * target_level
    for c in range(4):
        count[base_slot + c] = 0
    for j in range(source, source + n):
        w = word[j]
        m = mismatches[j]
        own = (row_codes[w] >> shift) & 3
        for c in range(4):
            if c == own or m < d:
                slot = (base_slot + c) * size + count[base_slot + c]
                owner[slot] = owner[j]
                word[slot] = w
                mismatches[slot] = m if c == own else m + 1
                count[base_slot + c] += 1


def _suffix_neighbours(suffix: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every suffix code, all suffix codes ordered by mismatches to it.

    Returns
    -------
    neighbours : numpy.ndarray, shape=(4**suffix, 4**suffix), int64
    mismatches : numpy.ndarray, shape=(4**suffix, 4**suffix), int64
    end : numpy.ndarray, shape=(4**suffix, d+1), int64
        ``neighbours[c, :end[c, b]]`` are the codes within ``b`` mismatches of ``c``.
    """
    size = 1 << (2 * suffix)
    codes = np.arange(size)
    xor = codes[:, None] ^ codes[None, :]
    differing = np.zeros_like(xor)
    for position in range(suffix):
        differing += ((xor >> (2 * position)) & 3) != 0
    order = np.argsort(differing, axis=1, kind="stable")
    mismatches = np.take_along_axis(differing, order, axis=1)
    end = np.stack([(mismatches <= b).sum(axis=1) for b in range(d + 1)], axis=1)
    return order.astype(np.int64), mismatches.astype(np.int64), end.astype(np.int64)


@njit(cache=True, inline="always")
def _occupied(bits, position):  # pragma: no cover - numba
    return (bits[position >> 3] >> (position & 7)) & 1


@njit(parallel=True, cache=True)
def _kernel_rows(
    rows,
    row_ptr,
    row_codes,
    row_weights,
    offsets,
    col_seq,
    col_weight,
    bits,
    level_start,
    h,
    L,
    d,
    neighbours,
    neighbour_mismatches,
    neighbour_end,
    lower,
    tile,
    out,
    n_threads,
):  # pragma: no cover - numba
    """out[r, b] = raw kernel of row sequence rows[r] and column sequence b.

    Rows go ``tile`` at a time through a depth-first walk over l-mer prefixes (LS-GKM's
    k-mer tree, here bitmaps of the index's non-empty prefixes). Each node hands its row
    words to its four children in one pass (:func:`_partition`). At the last
    ``SUFFIX`` positions the walk stops: each word still in play meets the column words
    whose suffixes are within its remaining mismatches (:func:`_suffix_neighbours`), all in
    one small block of the index, so the look-ups stay in cache. With ``lower``, only
    columns b <= rows[r] are computed (the rest of the row is left as it is).
    """
    n_rows = rows.shape[0]
    n_cols = out.shape[1]
    n_tiles = (n_rows + tile - 1) // tile
    size = 1
    for first_row in range(0, n_rows, tile):
        words = 0
        for r in range(first_row, min(n_rows, first_row + tile)):
            words += row_ptr[rows[r] + 1] - row_ptr[rows[r]]
        size = max(size, words)
    suffix = min(SUFFIX, L - 1)
    depth_stop = L - suffix
    suffix_mask = (1 << (2 * suffix)) - 1
    for thread in prange(n_threads):
        acc = np.zeros((tile, n_cols))
        # The child lists of the node open at depth t sit at level t+1: list c of level t
        # holds slots [(4 t + c) size, (4 t + c) size + count[4 t + c]).
        owner = np.empty(4 * size * (L + 1), dtype=np.int32)
        word = np.empty(4 * size * (L + 1), dtype=np.int32)
        mismatches = np.empty(4 * size * (L + 1), dtype=np.int64)
        count = np.zeros(4 * (L + 1), dtype=np.int64)
        next_base = np.zeros(L + 1, dtype=np.int64)
        prefix = np.zeros(L + 1, dtype=np.int64)
        limits = np.empty(tile, dtype=np.int64)
        for tile_index in range(thread, n_tiles, n_threads):
            first_row = tile_index * tile
            last_row = min(n_rows, first_row + tile)
            n = 0
            for r in range(first_row, last_row):
                limits[r - first_row] = rows[r] if lower else n_cols - 1
                for w in range(row_ptr[rows[r]], row_ptr[rows[r] + 1]):
                    owner[n] = r - first_row
                    word[n] = w
                    mismatches[n] = 0
                    n += 1
            _partition(owner, word, mismatches, count, 0, n, 1, size, row_codes, 2 * (L - 1), d)
            depth = 0
            next_base[0] = 0
            prefix[0] = 0
            while depth >= 0:
                base = next_base[depth]
                if base == 4:
                    depth -= 1
                    continue
                next_base[depth] = base + 1
                list_index = 4 * (depth + 1) + base
                n = count[list_index]
                code = prefix[depth] * 4 + base
                if n == 0 or not _occupied(bits, level_start[depth] + code):
                    continue
                source = list_index * size
                child = depth + 1
                if child < depth_stop:
                    shift = 2 * (L - 1 - child)
                    _partition(
                        owner,
                        word,
                        mismatches,
                        count,
                        source,
                        n,
                        child + 1,
                        size,
                        row_codes,
                        shift,
                        d,
                    )
                    prefix[child] = code
                    next_base[child] = 0
                    depth = child
                    continue
                # The rest of each word is its suffix: meet every column word of this
                # prefix whose suffix is within the word's remaining mismatches.
                block = code << (2 * suffix)
                for j in range(source, source + n):
                    w = word[j]
                    m = mismatches[j]
                    r = owner[j]
                    limit = limits[r]
                    own = row_codes[w] & suffix_mask
                    weight = row_weights[w]
                    for q in range(neighbour_end[own, d - m]):
                        leaf = block | neighbours[own, q]
                        start = offsets[leaf]
                        stop = offsets[leaf + 1]
                        if start == stop:
                            continue
                        hw = h[m + neighbour_mismatches[own, q]] * weight
                        for p in range(start, stop):
                            b = col_seq[p]
                            if b > limit:
                                break
                            acc[r, b] += hw * col_weight[p]
            for r in range(first_row, last_row):
                for b in range(limits[r - first_row] + 1):
                    out[r, b] = acc[r - first_row, b]
                    acc[r - first_row, b] = 0.0


@njit(cache=True)
def _popcount(x):  # pragma: no cover - numba
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


@njit(parallel=True, cache=True)
def _self_kernels(
    row_ptr, row_codes, row_weights, col_ptr, col_codes, col_weights, h, d
):  # pragma: no cover - numba
    """raw(a, a) for every sequence, by comparing its words pairwise."""
    n = row_ptr.shape[0] - 1
    out = np.zeros(n)
    for a in prange(n):
        total = 0.0
        for i in range(row_ptr[a], row_ptr[a + 1]):
            u = row_codes[i]
            for j in range(col_ptr[a], col_ptr[a + 1]):
                x = u ^ col_codes[j]
                m = _popcount((x | (x >> 1)) & 0x5555555555555555)
                if m <= d:
                    total += h[m] * row_weights[i] * col_weights[j]
        out[a] = total
    return out


def self_kernels(rows: Words, cols: Words, spec: GkmKernel) -> np.ndarray:
    """raw(a, a) of each sequence, shape=(n,), float64."""
    return _self_kernels(
        rows.ptr,
        rows.codes,
        rows.weights,
        cols.ptr,
        cols.codes,
        cols.weights,
        spec.mismatch_weights(),
        spec.d,
    )


# ---------------------------------------------------------------------------- matrices
def _raw_kernel(
    rows: np.ndarray,
    words: Words,
    index: WordIndex,
    occupancy: tuple[np.ndarray, np.ndarray],
    spec: GkmKernel,
    lower: bool,
    out: np.ndarray,
) -> None:
    """Write raw kernel rows ``out[i] = raw(rows[i], columns)`` (see :func:`_kernel_rows`)."""
    _kernel_rows(
        rows,
        words.ptr,
        words.codes,
        words.weights,
        index.offsets,
        index.sequence,
        index.weight,
        *occupancy,
        spec.mismatch_weights(),
        spec.L,
        spec.d,
        *_suffix_neighbours(min(SUFFIX, spec.L - 1), spec.d),
        lower,
        TILE,
        out,
        numba.get_num_threads(),
    )


Progress = Callable[[int], None]


def gram_matrix(
    sequences: list[str],
    spec: GkmKernel,
    block: int = 256,
    progress: Progress | None = None,
) -> np.ndarray:
    """The normalised kernel matrix of ``sequences`` with itself.

    Parameters
    ----------
    sequences : list of str, length n
    spec : GkmKernel
    block : int
        Rows per call of the threaded kernel (the unit of progress).
    progress : callable, optional
        Called with the number of rows finished after each block (``n`` in all). A row's
        cost is mostly its own words' walk, nearly the same for every row, so rows give a
        fair ETA (kernel values would not: row i holds i+1 of them).

    Returns
    -------
    numpy.ndarray, shape=(n, n), float32
        Symmetric, with ones on the diagonal.
    """
    rows, cols = sequence_words(sequences, spec)
    index = build_index(cols, spec.L)
    occupancy = _occupancy(index.offsets, spec.L)
    n = len(sequences)
    gram = np.zeros((n, n), dtype=np.float32)
    for start in range(0, n, block):
        chunk = np.arange(start, min(start + block, n), dtype=np.int64)
        view = gram[start : start + len(chunk)]
        _raw_kernel(chunk, rows, index, occupancy, spec, True, view)
        if progress is not None:
            progress(len(chunk))
    _normalise_lower(gram, spec.gamma if spec.rbf else 0.0)
    return gram


@njit(parallel=True, cache=True)
def _normalise_lower(gram, gamma):  # pragma: no cover - numba
    """Normalise the raw lower triangle in place, apply the RBF, mirror to the upper."""
    n = gram.shape[0]
    norm = np.empty(n)
    for i in range(n):
        norm[i] = 1.0 / np.sqrt(max(float(gram[i, i]), 1e-300))
    for i in prange(n):
        for j in range(i + 1):
            value = gram[i, j] * norm[i] * norm[j]
            if gamma > 0:
                value = np.exp(gamma * (value - 1.0))
            gram[i, j] = value
    tile = 64
    for ti in prange((n + tile - 1) // tile):
        for tj in range(ti + 1):
            for i in range(ti * tile, min(n, ti * tile + tile)):
                for j in range(tj * tile, min(i, tj * tile + tile)):
                    gram[j, i] = gram[i, j]


def cross_kernel(
    sequences: list[str],
    columns: list[str],
    spec: GkmKernel,
    block: int = 1024,
    progress: Progress | None = None,
) -> np.ndarray:
    """The normalised kernel between ``sequences`` (rows) and ``columns``.

    Returns
    -------
    numpy.ndarray, shape=(len(sequences), len(columns)), float32
    """
    col_rows, col_words = sequence_words(columns, spec)
    index = build_index(col_words, spec.L)
    column_norms = np.sqrt(self_kernels(col_rows, col_words, spec))
    out = np.empty((len(sequences), len(columns)), dtype=np.float32)
    for start in range(0, len(sequences), block):
        part = sequences[start : start + block]
        out[start : start + len(part)] = _cross_block(part, index, column_norms, spec)
        if progress is not None:
            progress(len(part))
    return out


def _cross_block(
    sequences: list[str], index: WordIndex, column_norms: np.ndarray, spec: GkmKernel
) -> np.ndarray:
    rows, both = sequence_words(sequences, spec)
    raw = np.zeros((len(sequences), index.n), dtype=np.float32)
    rows_index = np.arange(len(sequences), dtype=np.int64)
    _raw_kernel(rows_index, rows, index, _occupancy(index.offsets, spec.L), spec, False, raw)
    norms = np.sqrt(self_kernels(rows, both, spec))
    kernel = raw / np.maximum(np.outer(norms, column_norms), 1e-300)
    if spec.rbf:
        kernel = np.exp(spec.gamma * (kernel - 1.0))
    return kernel.astype(np.float32)


# ---------------------------------------------------------------------------- scoring
def linear_table(sequences: list[str], coefficients: np.ndarray, spec: GkmKernel) -> np.ndarray:
    """The score table of a linear-kernel model: one value per l-mer code.

    ``T[u] = sum_v h[mismatches(u, v)] W[v]`` with ``W[v]`` the support vectors'
    coefficients, divided by their norms, summed over their words ``v`` (both strands). A
    sequence scores ``sum_i w_i T[u_i] / norm`` over its forward words (:func:`table_scores`).

    Parameters
    ----------
    sequences : list of str, length s
        Support vectors.
    coefficients : numpy.ndarray, shape=(s,)
    spec : GkmKernel
        A kernel that is not an RBF.

    Returns
    -------
    numpy.ndarray, shape=(4**L,), float64
    """
    if spec.rbf:
        raise ValueError("an RBF kernel has no linear score table")
    rows, both = sequence_words(sequences, spec)
    norms = np.sqrt(self_kernels(rows, both, spec))
    per_word = np.repeat(np.asarray(coefficients, float) / norms, np.diff(both.ptr))
    size = 1 << (2 * spec.L)
    table = np.bincount(both.codes, weights=per_word * both.weights, minlength=size)
    filt = _mismatch_filter(spec.mismatch_weights(), spec.L, spec.d)
    _walsh_hadamard(table)
    _walsh_hadamard(filt)
    table *= filt
    _walsh_hadamard(table)
    table /= size
    return table


def table_scores(sequences: list[str], table: np.ndarray, spec: GkmKernel) -> np.ndarray:
    """``sum_v coef_v K(x, v)`` for each sequence from a :func:`linear_table`, shape=(n,)."""
    rows, both = sequence_words(sequences, spec)
    norms = np.sqrt(self_kernels(rows, both, spec))
    owner = np.repeat(np.arange(len(sequences)), np.diff(rows.ptr))
    totals = np.bincount(owner, weights=table[rows.codes] * rows.weights, minlength=len(sequences))
    return totals / norms


@njit(cache=True)
def _mismatch_filter(h, L, d):  # pragma: no cover - numba
    """h[mismatches(z)] for every XOR pattern z of two l-mers (0 beyond d), shape=(4**L,)."""
    size = 1 << (2 * L)
    out = np.zeros(size)
    for z in range(size):
        m = _popcount((z | (z >> 1)) & 0x5555555555555555)
        if m <= d:
            out[z] = h[m]
    return out


@njit(cache=True)
def _walsh_hadamard(x):  # pragma: no cover - numba
    """In-place unnormalised Walsh-Hadamard transform (length a power of two)."""
    n = x.shape[0]
    half = 1
    while half < n:
        for start in range(0, n, 2 * half):
            for i in range(start, start + half):
                a = x[i]
                b = x[i + half]
                x[i] = a + b
                x[i + half] = a - b
        half *= 2
