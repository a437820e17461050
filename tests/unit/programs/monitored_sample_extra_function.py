"""Program: the same sample platform with one more function in a component's list."""

from tests.unit.programs.sample_app import build

build(extra_function=True)
