"""The segment and CLV Python models as dbt sees them: every config key they read reaches them.

Each var a model reads comes through its YAML config as ``"{{ var('name') }}"``, with no
default argument: the default lives only in ``dbt_project.yml``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from dbt.parser.models import PythonParseVisitor

from conftest import project_vars

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {"segments": "_segments__models.yml", "clv": "_clv__models.yml"}
MODELS = sorted(
    path for folder in FOLDERS for path in (REPO / "python_models" / folder).glob("*.py")
)
# Config keys that are dbt's own, not vars passed through.
DBT_CONFIG_KEYS = {"materialized", "full_refresh", "on_schema_change", "schema"}
VAR_WITHOUT_DEFAULT = re.compile(r"^\{\{ var\('(\w+)'\) \}\}$")


def read_keys(tree: ast.AST) -> set[str]:
    """Every literal key of a `dbt.config.get(...)` call anywhere in the code."""
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "dbt.config.get"
        and isinstance(node.args[0], ast.Constant)
    }


def yaml_models(folder: str) -> list[dict]:
    path = REPO / "python_models" / folder / FOLDERS[folder]
    return yaml.safe_load(path.read_text())["models"]


def yaml_config(path: Path) -> dict:
    models = yaml_models(path.parent.name)
    return next(m for m in models if m["name"] == path.stem).get("config", {})


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_dbt_sees_every_config_key_the_model_reads(path: Path) -> None:
    tree = ast.parse(path.read_text())
    visitor = PythonParseVisitor(dbt_node=None)
    visitor.visit(tree)
    seen_by_dbt = {args[0] for name, args, _ in visitor.dbt_function_calls if name == "get"}
    # dbt copies only the config keys it finds into the model; a key it misses reads as None
    assert read_keys(tree) == seen_by_dbt
    assert seen_by_dbt <= set(yaml_config(path))


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_config_passes_each_var_under_its_name_without_a_default(path: Path) -> None:
    passed = {k: v for k, v in yaml_config(path).items() if k not in DBT_CONFIG_KEYS}
    for key, value in passed.items():
        match = VAR_WITHOUT_DEFAULT.match(str(value))
        assert match, f"{path.stem}: config {key}: {value!r} is not a var without a default"
        assert match.group(1) == key
        assert key in project_vars(), f"var {key} has no default in dbt_project.yml"


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_model_is_documented(folder: str) -> None:
    documented = {m["name"] for m in yaml_models(folder)}
    assert documented == {p.stem for p in MODELS if p.parent.name == folder}
