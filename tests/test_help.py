"""Help texts state the code's defaults."""

import re

from typer.testing import CliRunner

from tcramp.cli import app
from tcramp.ramp import RampConfig


def _help(*command: str) -> str:
    out = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "240", "NO_COLOR": "1"}).output
    return re.sub(r"[\s│╭╮╰╯─]+", " ", out)


def test_simulate_help_shows_the_true_defaults():
    text = _help("simulate")
    assert f"default: the config's, {RampConfig().sampler}" in text
    assert "--stages" in text and "cell,relaxed,phonons,samples" in text


def test_predict_help_promises_what_every_model_kind_writes():
    text = _help("predict")
    assert "predictions.json/.csv" in text and "a classifier's P(SC | T) plots" in text
