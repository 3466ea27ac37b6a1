#!/usr/bin/env bash
# One entry point for set-up on a fresh clone:
#   bash dev.sh demo   # install, then train and evaluate KEGRU on the demo data set
#   bash dev.sh test   # install, then run the test suite
#   bash dev.sh docs   # install, then build the tutorial and API reference into site/
# Installs into .venv beside this file. torch 2.13.0 goes in first, pinned by a
# constraints file, so no other package can pull a (multi-GB, CUDA) newer build.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
say() { echo "dev.sh: $*" >&2; }
if [ ! -x .venv/bin/python ]; then
    say "creating the virtual environment .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv .venv
fi
VENV_PY=.venv/bin/python
if ! "$VENV_PY" -c "import kegru, torch, gensim" 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
    say "installing into .venv (a few minutes the first time, quiet while pip works):"
    say "  1/3 the latest pip"
    "$VENV_PY" -m pip install -q --upgrade pip
    echo "torch==2.13.0" > .venv/constraints.txt
    say "  2/3 torch 2.13.0 (pinned, so that no other package pulls a newer, CUDA build)"
    "$VENV_PY" -m pip install -q torch==2.13.0
    say "  3/3 kegru from this checkout (editable) with its dependencies and the extras"
    say "      dask, parquet, twobit, bigwig, vcf, interpret, export, tune, docs, dev (pytest, ruff, mkdocs)"
    "$VENV_PY" -m pip install -q -c .venv/constraints.txt -e ".[dask,parquet,twobit,bigwig,vcf,interpret,export,tune,docs,dev]"
    touch .venv/.installed
    say "installed; .venv/bin/kegru is the command line"
fi
case "${1:-}" in
    demo)
        shift
        exec .venv/bin/kegru demo "$@"
        ;;
    test)
        shift
        exec "$VENV_PY" -m pytest -q -p no:cacheprovider "$@"
        ;;
    docs)
        shift
        # --strict (also in mkdocs.yml): any warning fails the build.
        NO_MKDOCS_2_WARNING=1 exec "$VENV_PY" -m mkdocs build --strict "$@"
        ;;
    *)
        echo "usage: bash dev.sh demo|test|docs [args]" >&2
        exit 2
        ;;
esac
