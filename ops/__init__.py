"""Operations tooling for a deployed stack (AWS or the local cloud alike): `python -m ops`."""
