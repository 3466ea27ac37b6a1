"""Training and evaluating one model.

The training loop, metrics, the train/evaluate run, model cards and pre-training.
"""
