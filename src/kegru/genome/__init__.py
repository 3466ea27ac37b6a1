"""From a genome and peaks to labelled sets.

Reference reading, peaks, intervals, negatives and ``kegru prepare``.
"""
