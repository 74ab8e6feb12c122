"""docs/errors.md names every stable error code the code raises."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_catalogue_script():
    spec = importlib.util.spec_from_file_location(
        "error_catalogue", ROOT / "scripts" / "error_catalogue.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_error_code_is_documented():
    documented = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = sorted(
        code for code in load_catalogue_script().codes_in_source() if f"`{code}`" not in documented
    )
    assert not missing, (
        f"undocumented error codes {missing}: run .venv/bin/python scripts/error_catalogue.py"
    )
