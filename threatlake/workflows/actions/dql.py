"""``dynatrace.automations:execute-dql-query``: DQL on the store through the injected query function.

The query text is rendered first (it may contain templates), then parsed. Output is the platform result
``{records, types, metadata}``; ``result('task').records`` is what later tasks iterate over.
"""

from __future__ import annotations

import asyncio
from typing import Any

from threatlake.errors import QueryError, StoreError, ThreatlakeError
from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    query = context.services.query
    if query is None:
        raise ActionError("no store to query here")
    limit = min(
        int(inputs.get("maxResultRecords") or context.services.max_records), context.services.max_records
    )
    try:
        result = await asyncio.to_thread(query, inputs["query"], max_records=limit)
    except QueryError as error:
        raise ActionError(f"DQL: {error}") from None
    except StoreError as error:
        raise ActionError(f"store: {error}", retryable=error.retryable) from None
    except ThreatlakeError as error:
        raise ActionError(str(error), retryable=error.retryable) from None
    context.log(f"{len(result.get('records') or [])} records")
    return result


ACTION = Action(
    "automations:execute-dql-query",
    "Execute DQL query",
    (Input("query", str, True, "the DQL query"), Input("maxResultRecords", int)),
    _run,
)
