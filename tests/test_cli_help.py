"""``kegru COMMAND --help``: every option explained, plain text, defaults from the families."""

from __future__ import annotations

import argparse

import pytest

from kegru.cli.help import family_defaults
from kegru.cli.main import COMMANDS, build_parser
from kegru.models.base import estimator_class


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.fixture(scope="module")
def commands():
    return _commands()


def test_every_command_is_there(commands):
    assert set(commands) == set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_plain_complete_and_ends_with_an_example(commands, name):
    parser = commands[name]
    undocumented = [
        action.option_strings or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert not undocumented, undocumented
    text = parser.format_help()
    for markup in ("``", ":func:", ":mod:", ":class:", ":meth:", ":data:"):
        assert markup not in text, (name, markup)
    lines = text.rstrip().splitlines()
    example_at = max(i for i, line in enumerate(lines) if line == "example:")
    examples = [line.strip() for line in lines[example_at + 1 :]]
    assert examples and all(line.startswith(f"kegru {name}") for line in examples), examples


def test_train_help_takes_its_defaults_from_the_families(commands):
    train = commands["train"]
    text = " ".join(train.format_help().split())
    kegru = estimator_class("kegru").defaults
    assert f"GRU units per direction (default: {kegru['units']} (kegru))" in text
    deepbind = estimator_class("deepbind").defaults
    pooling = family_defaults("pooling")  # one value per family, or one for all when equal
    assert pooling and pooling in text
    assert kegru["pooling"] in pooling and deepbind["pooling"] in pooling


@pytest.mark.parametrize(
    ("command", "flag", "value"),
    [
        ("train", "--merge", "average"),
        ("train", "--embedding", "random"),
        ("train", "--optimizer", "lamb"),
        ("train", "--pooling", "min"),
        ("train", "--rc", "both"),
        ("train", "--model", "svm"),
        ("prepare", "--negatives", "random"),
    ],
)
def test_enumerated_options_offer_choices(commands, command, flag, value, capsys):
    action = next(a for a in commands[command]._actions if flag in a.option_strings)
    assert action.choices and value not in action.choices
    with pytest.raises(SystemExit) as exit_:
        commands[command].parse_args(["x", flag, value])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err
