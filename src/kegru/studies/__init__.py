"""Many trials at once.

Study definitions, trials, claims, executors, comparisons, tables, figures and reports.
"""
