"""Scoring with a trained model: both strands, prediction files, genome scans, variant effects."""
