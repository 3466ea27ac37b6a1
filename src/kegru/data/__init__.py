"""Reading data: sequences, data-set lists, splits, one-hot encoding, the demo set."""
