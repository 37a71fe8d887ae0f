"""DynamoDB: every table of the region, each described once."""

from __future__ import annotations

from functools import partial
from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import to_table
from scalewarden.aws.workpool import LEAF, SOURCE


def start(ctx: SourceContext, region: str) -> None:
    """List the tables; one leaf task describes each."""
    st = ctx.state(region)

    def describe(name: str) -> None:
        answer = ctx.call(
            region, Source.DYNAMODB_TABLES, "dynamodb", "describe_table", TableName=name
        )
        if answer.ok:
            table = to_table(answer.response["Table"])
            with st.lock:
                st.tables.append(table)

    def on_page(page: dict[str, Any]) -> bool:
        for name in page.get("TableNames") or []:
            ctx.submit(region, partial(describe, name), LEAF)
        return True

    ctx.chain(
        region, Source.DYNAMODB_TABLES, "dynamodb", "list_tables", {}, on_page, priority=SOURCE
    )


MODULE = SourceModule(
    name="dynamodb",
    fills=(Source.DYNAMODB_TABLES,),
    start=start,
    page_sizes={"list_tables": PageSize("Limit", 100)},
)
