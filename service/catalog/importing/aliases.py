"""The foreign keys of imported entries, kept as aliases of the offerings they became.

`bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0` becomes offering `bedrock/claude-3-5-sonnet-20240620`: the key
stays an alias of it, so estimates take the name a LiteLLM or genai-prices user already has, and the LiteLLM feed
gives the offering back under LiteLLM's own key. An alias already open for the same offering is kept as it is,
so a re-import adds nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.structs import ALIAS_PATTERN
from service.catalog.importing.entries import Parsed
from service.db.models import AliasRow, ModelRow

if TYPE_CHECKING:
    from service.catalog.importing.importer import ImportReport

_ALIAS = re.compile(ALIAS_PATTERN)


async def record_aliases(
    session: AsyncSession, parsed: Parsed, source: str, now: datetime, report: ImportReport
) -> None:
    wanted = {model.source_key: model.id for model in parsed.models
              if model.source_key and model.source_key != model.id and _ALIAS.match(model.source_key)}
    if not wanted:
        return
    names = list(wanted)
    ids = set(await session.scalars(select(ModelRow.id).where(ModelRow.id.in_(names))))
    open_ = {(name, model_id) for name, model_id in await session.execute(select(AliasRow.alias, AliasRow.model_id)
                                                                          .where(AliasRow.alias.in_(names),
                                                                                 AliasRow.valid_to.is_(None)))}
    # A stored id always resolves to itself first, so a key that is another offering's id is no alias.
    rows = [{"alias": name, "model_id": model_id, "valid_from": now, "source": f"{parsed.key_format} key, {source}"}
            for name, model_id in wanted.items() if name not in ids and (name, model_id) not in open_]
    if rows:
        await session.execute(insert(AliasRow).returning(AliasRow.id), rows)
    report.aliases_added += len(rows)
