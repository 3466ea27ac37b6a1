"""Direct tests of ``kegru.models.kegru.embedding``: word2vec vectors in token order."""

from __future__ import annotations

import numpy as np

from kegru.models.kegru.embedding import train_kmer_vectors
from kegru.models.kegru.tokenizer import PAD, UNKNOWN, KmerTokenizer


def _corpus(tokenizer: KmerTokenizer) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    # Only A/C/G: every k-mer holding a T is never seen by word2vec.
    sequences = ["".join(rng.choice(list("ACG"), 40)) for _ in range(60)]
    return tokenizer.encode(sequences)


def test_matrix_rows_are_word2vec_vectors_of_the_token_words():
    from gensim.models import Word2Vec

    tokenizer = KmerTokenizer(k=2, stride=1)
    tokens, lengths = _corpus(tokenizer)
    matrix, n_found = train_kmer_vectors(tokens, lengths, tokenizer, dim=8, seed=3)
    assert matrix.shape == (tokenizer.vocab_size, 8) and matrix.dtype == np.float32
    assert np.all(matrix[PAD] == 0)
    words = tokenizer.vocabulary()
    seen = [i for i, word in enumerate(words) if i > UNKNOWN and "T" not in word]
    assert n_found == len(seen) == 9  # the 3 x 3 dinucleotides over A, C, G
    # The same training, done here, gives the same vector for each word.
    model = Word2Vec(tokenizer.words(tokens, lengths), vector_size=8, seed=3, workers=1)
    for token in seen:
        np.testing.assert_allclose(matrix[token], model.wv[words[token]], rtol=1e-6)


def test_unseen_kmers_get_small_random_vectors_and_the_seed_repeats():
    tokenizer = KmerTokenizer(k=2, stride=1)
    tokens, lengths = _corpus(tokenizer)
    matrix, _ = train_kmer_vectors(tokens, lengths, tokenizer, dim=8, seed=3)
    unseen = [i for i, word in enumerate(tokenizer.vocabulary()) if "T" in word]
    assert np.all(np.abs(matrix[unseen]) <= 0.05) and np.any(matrix[unseen] != 0)
    again, _ = train_kmer_vectors(tokens, lengths, tokenizer, dim=8, seed=3)
    np.testing.assert_array_equal(matrix, again)
    other, _ = train_kmer_vectors(tokens, lengths, tokenizer, dim=8, seed=4)
    assert not np.array_equal(matrix, other)
