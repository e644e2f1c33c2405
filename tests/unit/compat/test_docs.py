"""docs/compat.md embeds the rule table; this keeps the page and ``RULES`` in sync."""

from __future__ import annotations

from pathlib import Path

from mdp.compat.rules import KINDS, rule_table_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "compat.md"


def test_docs_embed_the_current_rule_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- rule-table:start -->\n") + len("<!-- rule-table:start -->\n")
    end = text.index("<!-- rule-table:end -->")
    assert text[start:end] == rule_table_markdown(), (
        "regenerate: uv run python -c 'from mdp.compat.rules import rule_table_markdown as t; print(t())'"
    )
    for kind in KINDS:
        assert f"| `{kind}` |" in text
