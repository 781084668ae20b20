"""The `marginwatch` command line itself: a mistyped option is named, with the one it meant."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.mark.parametrize(
    "argv,typo,meant",
    [
        (["check", "--exchnage", "kraken"], "--exchnage", "--exchange"),
        (["demo", "--sped", "3"], "--sped", "--speed"),
        (["demo", "--print-scenaro"], "--print-scenaro", "--print-scenario"),
        (["run", "--envfile", "x.env"], "--envfile", "--env-file"),
        (["db", "backup", "--databse", "mw.db", "copy.db"], "--databse", "--database"),
        (["check", "--exchange=kraken", "--jsn"], "--jsn", "--json"),
    ],
)
def test_an_unknown_option_is_named_with_the_one_it_was_meant_to_be(
    capsys: pytest.CaptureFixture[str], argv: list[str], typo: str, meant: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"unknown option {typo}: did you mean {meant}?" in err
    assert "required" not in err  # not "--exchange is required" for a misspelt --exchange


def test_an_unknown_option_nothing_resembles_is_still_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--exchange", "kraken", "--frobnicate"])
    err = capsys.readouterr().err
    assert "unknown option --frobnicate" in err and "did you mean" not in err


def test_abbreviations_argparse_accepts_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--print-scen"]) == 0
    assert '"accounts"' in capsys.readouterr().out
