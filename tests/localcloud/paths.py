"""Where the local cloud's tests find the repository and their fixture program."""

from pathlib import Path

REPO_ROOT = str(Path(__file__).resolve().parents[2])
FIXTURE_APP = str(Path(__file__).resolve().parent / "fixtures" / "app")
