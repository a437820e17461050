"""Program: the sample platform with `Monitoring` (see `sample_app.py`)."""

from tests.unit.programs.sample_app import build

build(extra_function=False)
