"""The KEGRU family: k-mer tokenizer, word2vec embedding, BiGRU network, estimator."""
