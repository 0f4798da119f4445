"""The segment Python models as dbt sees them: every config key they read reaches them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from dbt.parser.models import PythonParseVisitor

REPO = Path(__file__).resolve().parents[2]
MODELS = sorted((REPO / "python_models" / "segments").glob("*.py"))


def read_keys(tree: ast.AST) -> set[str]:
    """Every literal key of a `dbt.config.get(...)` call anywhere in the code."""
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "dbt.config.get"
        and isinstance(node.args[0], ast.Constant)
    }


def yaml_config(name: str) -> dict:
    models = yaml.safe_load((REPO / "python_models/segments/_segments__models.yml").read_text())
    return next(m for m in models["models"] if m["name"] == name).get("config", {})


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_dbt_sees_every_config_key_the_model_reads(path: Path) -> None:
    tree = ast.parse(path.read_text())
    visitor = PythonParseVisitor(dbt_node=None)
    visitor.visit(tree)
    seen_by_dbt = {args[0] for name, args, _ in visitor.dbt_function_calls if name == "get"}
    # dbt copies only the config keys it finds into the model; a key it misses reads as None
    assert read_keys(tree) == seen_by_dbt
    assert seen_by_dbt <= set(yaml_config(path.stem))


def test_every_model_is_documented() -> None:
    models = yaml.safe_load((REPO / "python_models/segments/_segments__models.yml").read_text())
    assert {m["name"] for m in models["models"]} == {p.stem for p in MODELS}
