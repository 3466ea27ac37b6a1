"""From a genome and peaks to labelled sets.

Reference reading, peaks, intervals, regions to scan, VCF records, negatives and
``kegru prepare``.
"""
