"""`scalewarden ask`: answer a security question from the knowledge base.

Only Typer is imported at module level; the index, numpy and rich load inside the command so
that every other sub-command (and ``--help``) starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from scalewarden.cli.app import (
    CONTEXT_SETTINGS,
    EXIT_CANNOT_RUN,
    EXIT_OK,
    EXIT_USAGE,
    app,
    usage_error,
)

if TYPE_CHECKING:
    from rich.console import Console

    from scalewarden.knowledge.answer import Answer


@app.command(context_settings=CONTEXT_SETTINGS)
def ask(
    words: Annotated[
        list[str],
        typer.Argument(
            metavar="QUESTION",
            help="The question; quotes are optional (the words are joined with spaces).",
        ),
    ],
    json_output: bool = typer.Option(
        False, "--json", help="Print the JSON contract instead of readable text."
    ),
    top: int = typer.Option(3, "--top", help="How many sections to show (1-10)."),
) -> None:
    """Answer a security question about Application Auto Scaling, with sources."""
    import json

    from scalewarden.knowledge.answer import (
        MAX_TOP,
        KnowledgeBase,
        QuestionError,
        empty_index_message,
        validate_question,
    )
    from scalewarden.settings import get_settings

    question = " ".join(words)
    try:
        validate_question(question)  # before loading anything: bad input fails fast
    except QuestionError as exc:
        raise usage_error(str(exc)) from None
    if not 1 <= top <= MAX_TOP:
        raise usage_error(f"--top must be from 1 to {MAX_TOP}, got {top}")
    try:
        knowledge = KnowledgeBase.from_settings(get_settings())
        engine = knowledge.engine()
    except OSError as exc:  # e.g. the knowledge folder itself is unreadable
        typer.echo(f"error: cannot load the knowledge base: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from None
    for problem in engine.problems:
        typer.echo(f"warning: skipped {problem}", err=True)
    if engine.empty:
        typer.echo(f"error: {empty_index_message(knowledge.knowledge_dir)}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    try:
        answer = engine.answer(question, top)
    except QuestionError as exc:
        raise usage_error(str(exc)) from None

    if json_output:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)
    # A broken article is the user's input too: answer anyway, but let scripts notice.
    raise typer.Exit(EXIT_USAGE if engine.problems else EXIT_OK)


def print_answer(answer: Answer) -> None:
    """Sections with their snippets and sources, or the honest no-answer."""
    from rich.console import Console
    from rich.rule import Rule
    from rich.text import Text

    console = Console(highlight=False)
    # In a terminal the snippet is rendered as Markdown; in a pipe it stays as written, so
    # nothing is re-wrapped and URLs stay whole for copying.
    rich_markdown = console.is_terminal

    def line(text: Text | str) -> None:
        console.print(text, soft_wrap=True)

    for typed, fixed in answer.corrections:
        line(Text(f"(searched for '{fixed}' instead of '{typed}')", style="dim"))
    if not answer.answered:
        line(
            Text("No confident answer in the knowledge base for: ", style="bold")
            + Text(answer.question)
        )
        if answer.suggestions:
            line("Closest topics:")
            for suggestion in answer.suggestions:
                line(Text(f"  • {suggestion}"))
        line("Try other words, or name the service or IAM action you mean.")
        return
    for number, result in enumerate(answer.results, start=1):
        if number > 1:
            console.print(Rule(style="dim") if rich_markdown else "")
        line(Text(f"{number}. {result.section}", style="bold"))
        line(Text(f"{result.title}  ·  score {result.score:.2f}", style="dim"))
        if rich_markdown:
            print_markdown(console, result.snippet)
        else:
            line(Text(result.snippet))
        if result.sources:
            line(Text("Sources:", style="dim"))
            for url in result.sources:
                line(Text(f"  {url}", style="cyan"))


def print_markdown(console: Console, snippet: str) -> None:
    """A snippet in the terminal, with nothing cut: rich's Markdown tables shorten cells that do
    not fit ("lambda:DeleteProvisionedConcurrencyCon…") and its code blocks crop long lines,
    so tables are printed as one line per row and code as plain text that the terminal wraps."""
    from rich.markdown import Markdown
    from rich.text import Text

    from scalewarden.knowledge.mrkdwn import table_rows
    from scalewarden.knowledge.snippets import blocks

    for block in blocks(snippet):
        if block.kind == "code":
            console.print(Text(block.text, style="cyan"), soft_wrap=True)
        elif block.kind == "table":
            header, *rows = table_rows(block.text) or [[]]
            for row in rows:
                pairs = [f"{name}: {value}" for name, value in zip(header, row, strict=False)]
                console.print(Text("  • " + "; ".join(pairs).replace("`", "")), soft_wrap=True)
        else:
            console.print(Markdown(block.text))
