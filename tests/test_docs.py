"""The documentation and the package around it.

The site builds without warnings, renders every public module and no raw reST role; the
docs' griffe extension turns roles into cross-references and gives grouped parameters and
estimators their real defaults; the README stays short; the sdist carries what its tests
need; the tutorial's figures exist (``tests/test_tutorial.py`` runs its commands).
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
#: A reST role left as text, as it shows in the built HTML (``:func:<code>x</code>``) or raw.
RAW_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|obj|exc|const):(?:`|<code>)")


def public_modules() -> list[str]:
    """Dotted names of every public module of the package, from the source tree."""
    names = []
    for path in sorted((REPO / "src" / "kegru").rglob("*.py")):
        parts = list(path.relative_to(REPO / "src").with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return names


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("material")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO / "src")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    api = (tmp_path / "api" / "index.html").read_text()
    assert "predict_strands" in api and "scan_file" in api  # docstrings rendered
    assert (tmp_path / "tutorial" / "index.html").is_file()
    # Every public module has its section (so a new module cannot be left out unseen).
    missing = [name for name in public_modules() if f'id="{name}"' not in api]
    assert not missing, missing
    # No reST role reaches a page as literal text; roles became links or code.
    raw = {
        str(page.relative_to(tmp_path)): RAW_ROLE.findall(page.read_text())
        for page in tmp_path.rglob("*.html")
    }
    assert not {page: roles for page, roles in raw.items() if roles}
    assert 'href="#kegru.data.formats.read_labelled"' in api  # a role turned into a link
    # KegruEstimator's grouped entries (``seed, threads, device, verbose``, ``optimizer, ...,
    # epochs``): each name with its own type and default.
    section = api[api.index('id="kegru.models.kegru.estimator.KegruEstimator"') :]
    section = section[: section.index('class="doc doc-object doc-function"')]
    cells = {}
    for row in section.split('<tr class="doc-section-item">')[1:]:
        cells_html = row.split("<td>")[1:]
        texts = [html.unescape(re.sub(r"<[^>]+>|\s+", " ", cell)).strip() for cell in cells_html]
        cells[texts[0]] = (texts[1], texts[-1])  # name: (type, default)
    assert cells["epochs"] == ("int", "20"), cells["epochs"]
    assert cells["seed"] == ("int", "0"), cells["seed"]
    assert cells["threads"] == ("int", "1"), cells["threads"]
    assert cells["device"] == ("str", "'cpu'"), cells["device"]


def load_extension():
    """The docs' griffe extension module (it lives in docs/, not in the package)."""
    pytest.importorskip("griffe")
    spec = importlib.util.spec_from_file_location("griffe_rst", REPO / "docs" / "griffe_rst.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_griffe_extension_rewrites_roles_and_grouped_parameters(tmp_path, monkeypatch):
    import griffe

    extension = load_extension()
    package = tmp_path / "rolepkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""Package: see :func:`rolepkg.mod.f`, :mod:`os`."""\n')
    (package / "mod.py").write_text(
        textwrap.dedent('''
        """Module: :class:`~rolepkg.mod.Est`, :func:`_hidden`, :func:`f`."""
        import inspect


        def f(a: int = 1, b: str = "x") -> None:
            """Do it.

            Parameters
            ----------
            a, b
                Settings.
            """


        def _hidden():
            """Private."""


        class Est:
            """An estimator; :meth:`run`.

            Parameters
            ----------
            k, units
                Sizes.
            """

            def __init__(self, **params):
                self.params = params

            def run(self):
                """Run."""


        Est.__init__.__signature__ = inspect.Signature([
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("k", inspect.Parameter.KEYWORD_ONLY, default=5),
            inspect.Parameter("units", inspect.Parameter.KEYWORD_ONLY, default=None),
        ])
    ''')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pkg = griffe.load(
        "rolepkg",
        search_paths=[tmp_path],
        extensions=griffe.load_extensions(extension.ReSTRoles()),
        docstring_parser="numpy",
    )
    mod = pkg["mod"]
    assert pkg.docstring.value == "Package: see [`rolepkg.mod.f`][rolepkg.mod.f], `os`."
    assert (
        mod.docstring.value == "Module: [`Est`][rolepkg.mod.Est], `_hidden`, [`f`][rolepkg.mod.f]."
    )
    assert mod["Est"].docstring.value.startswith("An estimator; [`run`][rolepkg.mod.Est.run].")
    grouped = {p.name: (str(p.annotation), p.value) for p in mod["f"].docstring.parsed[1].value}
    assert grouped == {"a": ("int", "1"), "b": ("str", "'x'")}
    # The estimator's ``**params`` become the run-time signature, with types from defaults.
    init = {p.name: (p.annotation, p.default) for p in mod["Est"].parameters}
    assert init == {"self": (None, None), "k": ("int", "5"), "units": (None, "None")}


def test_readme_is_short_and_says_how_to_start():
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= 10_000
    assert "bash dev.sh demo" in readme and "bash dev.sh test" in readme  # .ci/run runs the latter
    assert "## Which model when" in readme and "--preset paper" in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (REPO / link).is_file(), link


def markdown_table(text: str, header_start: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header starts with ``header_start``."""
    lines = text[text.index(header_start) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("*").strip() for cell in line.strip("|").split("|")])
    return rows


def _close(cell: str, value: float) -> bool:
    """Whether ``cell`` prints ``value`` to its last digit."""
    digits = len(cell.split(".")[1]) if "." in cell else 0
    return abs(float(cell.replace(",", "")) - value) <= 0.5 * 10**-digits + 1e-9


def test_readme_numbers_are_the_committed_comparison():
    readme = (REPO / "README.md").read_text()
    summary = json.loads((REPO / "benchmarks" / "results" / "compare_full.json").read_text())
    settings = ["KEGRU", "KEGRU (paper)", "CNN_ZH", "DeepBind", "gkm-SVM", "GC control"]

    rows = markdown_table(readme, "| data set (negatives) |")
    assert len(rows) == 9
    for row in rows[:8]:
        dataset = re.sub(r"\s*\(.*", "", row[0]).replace(" ", "_")
        for setting, cell in zip(settings, row[1:], strict=True):
            assert _close(cell, summary["auc"][setting][dataset]), (dataset, setting, cell)
    for setting, cell in zip(settings, rows[8][1:], strict=True):
        auc, aps = (part.strip().strip("*") for part in cell.split("/"))
        assert _close(auc, summary["mean_auc"][setting]), (setting, auc)
        assert _close(aps, summary["mean_aps"][setting]), (setting, aps)
    # Which model when: the mean AUC and the training time of each model (the blend's from
    # its own run beside the same comparison).
    blend_file = REPO / "benchmarks" / "results" / "compare_blend_members.json"
    blend = json.loads(blend_file.read_text())
    which = markdown_table(readme, "| model | `kegru train` flags |")
    order = ["KEGRU", "Blend", "KEGRU (paper)", "gkm-SVM", "CNN_ZH", "DeepBind", "GC control"]
    for setting, row in zip(order, which, strict=True):
        source = blend if setting == "Blend" else summary
        assert _close(row[2].strip("*"), source["mean_auc"][setting]), (setting, row[2])
        seconds = row[3].removesuffix(" s")
        assert _close(seconds, source["train_seconds_total"][setting]), (setting, row[3])
    lead = blend["lead"]
    row = next(r for r in which if r[0].startswith("blend"))[5]
    against_gkm, against_default = re.findall(r"(\d+)% less", row)
    assert _close(against_gkm, 100 * lead["gkm-SVM"]["error_reduction"])
    assert _close(against_default, 100 * lead["KEGRU"]["error_reduction"])
    assert lead["gkm-SVM"]["lead_higher_on"] == lead["KEGRU"]["lead_higher_on"] == 8


def test_three_seed_blend_page_is_the_committed_run():
    """The results page's three-seed blend table and claims are the committed runs' numbers."""
    import pandas as pd

    page = (REPO / "docs" / "results" / "gue_blend.md").read_text()
    results = REPO / "docs" / "results"
    runs = [
        pd.read_csv(results / name / "comparison.csv").set_index("dataset")
        for name in ("compare_blend", "compare_blend_three_seeds")
    ]
    rows = markdown_table(page, "| set | blend: validation AUC |")
    assert len(rows) == 9
    for row in rows[:8]:
        for run, valid, test, seconds in zip(
            runs, row[1:3], row[3:5], row[5].split(", "), strict=True
        ):
            assert _close(valid, run.loc[row[0], "valid_auc"]), (row[0], valid)
            assert _close(test, run.loc[row[0], "auc"]), (row[0], test)
            assert _close(seconds, run.loc[row[0], "train_seconds"]), (row[0], seconds)
    for run, valid, test in zip(runs, rows[8][1:3], rows[8][3:5], strict=True):
        assert _close(valid, run["valid_auc"].mean()) and _close(test, run["auc"].mean())
    summary = json.loads(
        (REPO / "benchmarks" / "results" / "compare_blend_three_seeds.json").read_text()
    )
    lead = summary["lead"]
    assert f"**{100 * lead['gkm-SVM']['error_reduction']:.1f}% less error**" in page
    assert f"**{lead['Blend']['train_time_ratio']:.2f}x its training time**" in page


def test_training_time_table_is_the_committed_benchmarks():
    """Each row of the default's training-time table is its benchmark file, to the digit."""
    page = (REPO / "docs" / "performance.md").read_text()
    rows = markdown_table(page, "| default | its fits (s) |")
    assert len(rows) == 4
    for row in rows:
        record = json.loads((REPO / "benchmarks" / "results" / row[5].strip("`")).read_text())
        for cell, preset in ((row[1], "default"), (row[2], "paper")):
            fits = cell.split(", ")
            assert len(fits) == len(record["all_fit_seconds"][preset]), row[0]
            for fit, seconds in zip(fits, record["all_fit_seconds"][preset], strict=True):
                assert _close(fit, seconds), (row[0], preset, fit)
        assert _close(row[3].removesuffix("x"), record["training_ratio"]), row[0]
        default_auc, paper_auc = row[4].split(" / ")
        assert _close(default_auc, statistics.median(record["valid_auc"]["default"]))
        assert _close(paper_auc, statistics.median(record["valid_auc"]["paper"]))


def test_sdist_carries_what_its_tests_need(tmp_path):
    pytest.importorskip("setuptools", minversion="77")
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "site", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
    )
    shutil.copytree(REPO, tree, ignore=ignore)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from setuptools import build_meta; print(build_meta.build_sdist('dist'))",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sdist = tree / "dist" / result.stdout.split()[-1]
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        info = archive.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO").read()
    for needed in (
        "tests/conftest.py",
        "tests/trained_models.py",
        "tests/data/README.md",
        "CITATION.cff",
        "src/kegru/py.typed",
        "docs/tutorial.md",
        "mkdocs.yml",
    ):
        assert needed in names, needed
    assert any(name.startswith("tests/data/saved_models/") for name in names)
    info = info.decode()
    for url in ("Source", "Documentation", "Issues"):
        assert f"Project-URL: {url}, " in info, url
    assert len(info.encode()) < 15_000  # the long description is the short README


def test_tutorial_figures_exist():
    for name in re.findall(r"\]\((tutorial/[^)]+\.png)\)", TUTORIAL.read_text()):
        assert (REPO / "docs" / name).is_file(), name


@pytest.mark.parametrize(
    ("header", "directory"),
    [
        ("| set | default: validation AUC | tuned", "tune_default"),
        ("| set (full training data) |", "tune_full"),
    ],
)
def test_tuning_tables_are_the_committed_searches(header, directory):
    """Each row of a tuning table is its committed ``tune.json``: first trial, best, time."""
    page = (REPO / "docs" / "results" / "gue_blend.md").read_text()
    rows = markdown_table(page, header)
    assert rows
    for row in rows:
        name = row[0].split(" ")[0]
        summary = json.loads(
            (REPO / "docs" / "results" / directory / f"tune_{name}.json").read_text()
        )
        first, best = summary["first"], summary["best"]
        assert first["number"] == 0  # the default is the first trial of every search
        assert _close(row[1], first["valid_auc"]), (name, row[1])
        assert _close(row[2].split(" ")[0], best["valid_auc"]), (name, row[2])
        assert _close(row[3], first["test_auc"]), (name, row[3])
        assert _close(row[4].split(" ")[0], best["test_auc"]), (name, row[4])
        search, one_fit = (cell.removesuffix(" s") for cell in row[5].split(" / "))
        assert _close(search, sum(t["train_seconds"] or 0 for t in summary["trials"]))
        assert _close(one_fit, first["train_seconds"]), (name, one_fit)
        assert best["valid_auc"] == max(t["valid_auc"] for t in summary["trials"])
        trials = re.search(r"(\d+) trials", row[0])
        assert len(summary["trials"]) == (int(trials.group(1)) if trials else 20), name
