"""Pre-train k-mer vectors with word2vec (gensim) on the training sentences only.

gensim orders its vectors by word frequency, so the matrix we keep is built by looking up
every vocabulary k-mer explicitly; the ``Word2Vec`` object never leaves this module.
"""

from __future__ import annotations

import numpy as np

from kegru.models.kegru.tokenizer import PAD, KmerTokenizer

#: Embedding strategies (the paper's Figure 3): random and trained, word2vec and frozen,
#: word2vec and fine-tuned.
EMBEDDINGS = ("no-init", "init-no-train", "init-train")


def train_kmer_vectors(
    tokens: np.ndarray,
    lengths: np.ndarray,
    tokenizer: KmerTokenizer,
    dim: int = 100,
    seed: int = 0,
) -> tuple[np.ndarray, int]:
    """Train word2vec on k-mer sentences and return an embedding matrix in token order.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(n, T), dtype=int64
        Training sentences as token ids (padded).
    lengths : numpy.ndarray, shape=(n,)
        Tokens per sentence.
    tokenizer : KmerTokenizer
        Gives the vocabulary words.
    dim : int
        Vector size d; every other word2vec setting is gensim's default.
    seed : int
        Seed of word2vec and of the random vectors for k-mers it never saw.

    Returns
    -------
    matrix : numpy.ndarray, shape=(vocab_size, dim), dtype=float32
        Row i is the vector of token i; padding is zero, k-mers absent from the training
        corpus (or below gensim's ``min_count``) get small uniform random vectors.
    n_found : int
        How many vocabulary k-mers word2vec learned.
    """
    from gensim.models import Word2Vec  # heavy; only needed when training

    sentences = tokenizer.words(tokens, lengths)
    # One worker: gensim is only reproducible for a fixed seed with a single thread.
    model = Word2Vec(sentences=sentences, vector_size=dim, seed=seed, workers=1)
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-0.05, 0.05, size=(tokenizer.vocab_size, dim)).astype(np.float32)
    matrix[PAD] = 0.0
    n_found = 0
    for token, word in enumerate(tokenizer.vocabulary()):
        if token != PAD and word in model.wv.key_to_index:
            matrix[token] = model.wv[word]
            n_found += 1
    return matrix, n_found
