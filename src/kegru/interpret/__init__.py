"""Interpretation: attributions, motif discovery and matching, TF-MoDISco, the motif report."""
