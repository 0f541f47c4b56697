"""Search tokens: jieba segmentation, the same normalisation for index and query."""

from __future__ import annotations

from transcribe.search import fts5_query, tsquery
from transcribe.tokens import index_text, index_tokens, query_tokens


def test_index_has_words_and_their_parts() -> None:
    tokens = index_tokens("中华人民共和国法律援助法")
    assert {"法律", "援助", "法律援助", "人民", "中华人民共和国"} <= set(tokens)


def test_query_words_are_found_in_the_index() -> None:
    for text, query in [("这个要收费吗?", "收费"), ("老板三个月不给钱", "老板 给钱"),
                        ("收费标准是什么", "收费"), ("The officer said: FREE.", "free officer")]:
        assert set(query_tokens(query)) <= set(index_tokens(text)), (text, query)


def test_normalisation() -> None:
    assert query_tokens("收費") == ["收费"]  # traditional → simplified
    assert query_tokens("Don't PAY") == ["don", "t", "pay"]
    assert query_tokens("收费 收费") == ["收费"]
    assert query_tokens("？！。") == []
    assert index_text("你好，世界！") == "你好 世界"


def test_database_query_strings_quote_every_token() -> None:
    assert fts5_query(["收费", "red"]) == '"收费" AND "red"'
    assert tsquery(["收费", "red"]) == "'收费' & 'red'"
