"""Parsing text and files into Q&A examples and documents."""

from __future__ import annotations

from botkit_trainer.ingest import parse_file, parse_inline, split_passages

USER = "user"


def test_inline_arrow_is_a_qa_example() -> None:
    parsed = parse_inline("What is botkit? => A bot framework.")
    [qa] = parsed.qa
    assert qa.messages == (
        {"role": "user", "content": "What is botkit?"},
        {"role": "assistant", "content": "A bot framework."},
    )
    assert parsed.documents == []


def test_inline_without_arrow_is_a_document() -> None:
    parsed = parse_inline("Our office is in Lisbon.")
    assert [d.text for d in parsed.documents] == ["Our office is in Lisbon."]


def test_inline_half_pair_is_a_problem() -> None:
    parsed = parse_inline("What is botkit? =>")
    assert parsed.qa == [] and "question => answer" in parsed.problems[0]


def test_jsonl_rows_of_every_shape() -> None:
    data = b"\n".join(
        [
            b'{"prompt": "p1", "completion": "c1"}',
            b'{"messages": [{"role": "system", "content": "be brief"},'
            b' {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}',
            b'{"input": {"messages": [{"role": "user", "content": "2+2?"}]},'
            b' "preferred_output": [{"role": "assistant", "content": "4"}],'
            b' "non_preferred_output": [{"role": "assistant", "content": "5"}]}',
        ]
    )
    parsed = parse_file("set.jsonl", data)
    assert parsed.problems == []
    assert [(qa.label, qa.messages[-1]["content"]) for qa in parsed.qa] == [
        (None, "c1"),
        (None, "hello"),
        ("positive", "4"),
        ("negative", "5"),
    ]


def test_jsonl_bad_rows_are_named_by_line() -> None:
    data = b'{"prompt": "p", "completion": "c"}\nnot json\n{"text": "x"}\n' + (
        b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": " "}]}'
    )
    parsed = parse_file("set.jsonl", data)
    assert len(parsed.qa) == 1
    assert parsed.problems == [
        "set.jsonl line 2: not valid JSON",
        "set.jsonl line 3: needs messages, or prompt and completion",
        "set.jsonl line 4: message 2 has empty content",
    ]


def test_csv_prompt_completion_columns() -> None:
    data = b'Prompt,Completion\n"Where, exactly?",Lisbon\nempty,\n'
    parsed = parse_file("faq.csv", data)
    assert [qa.messages[0]["content"] for qa in parsed.qa] == ["Where, exactly?"]
    assert parsed.problems == ["faq.csv row 3: message 2 has empty content"]


def test_csv_without_known_columns_is_refused() -> None:
    parsed = parse_file("data.csv", b"a,b\n1,2\n")
    assert parsed.problems == ["data.csv: a CSV needs prompt and completion columns"]


def test_markdown_is_a_document() -> None:
    parsed = parse_file("guide.md", "# Guide\n\nÉtape un.".encode())
    assert [(d.name, d.text) for d in parsed.documents] == [("guide.md", "# Guide\n\nÉtape un.")]


def test_non_utf8_file_is_a_problem() -> None:
    assert parse_file("x.txt", b"\xff\xfe\x00bad").problems == ["x.txt: not UTF-8 text"]


def test_passages_join_paragraphs_up_to_the_limit() -> None:
    text = "One short.\n\nTwo short.\n\n" + "Long sentence here. " * 10
    passages = split_passages(text, 60)
    assert passages[0] == "One short.\nTwo short."
    assert all(len(p) <= 60 for p in passages)
    assert " ".join(" ".join(passages[1:]).split()) == " ".join(
        ("Long sentence here. " * 10).split()
    )


def test_passages_cut_words_longer_than_the_limit() -> None:
    assert split_passages("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
