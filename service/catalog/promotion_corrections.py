"""`POST /v1/promotions/{id}/corrections`: one promotion corrected by its id (issue 18).

It is a correction of the promotion's model (service.catalog.corrections) over the stretch that the promotion covered
before or covers after, so that the audit, the record time and the answers are the model correction's own. Other
promotions of the model that lie in that stretch are re-recorded as they were.
"""

from __future__ import annotations

from datetime import datetime

from msgspec import UNSET
from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.problems import invalid
from service.catalog.correction_schemas import CorrectedPromotion, CorrectionCreate, PromotionCorrection
from service.catalog.corrections import Corrected, correct
from service.catalog.price_queries import get_promotion
from service.catalog.queries import get_model
from service.db.models import PromotionRow


async def correct_promotion(
    session: AsyncSession, promotion_id: int, data: PromotionCorrection, key_id: int | None
) -> Corrected:
    found = await get_promotion(session, promotion_id)  # a 404 for a superseded one names what replaced it
    # The model's lock first, as every correction takes it, then the row read again under it: a write that committed
    # meanwhile may have superseded it.
    await get_model(session, found.model_id, for_update=True)
    await session.refresh(found)
    row = await get_promotion(session, promotion_id)
    corrected = None if data.withdrawn else CorrectedPromotion(
        name=row.name if data.name is UNSET else data.name,
        percent_off=row.percent_off if data.percent_off is UNSET else data.percent_off,
        valid_from=row.valid_from if data.valid_from is UNSET else data.valid_from,
        valid_to=row.valid_to if data.valid_to is UNSET else data.valid_to,
        source=row.source if data.source is UNSET else data.source)
    if corrected is not None and corrected.valid_to is not None and corrected.valid_to <= corrected.valid_from:
        raise invalid("valid_to", f"the corrected promotion would end ({corrected.valid_to.isoformat()}) at or "
                                  f"before it starts ({corrected.valid_from.isoformat()}): valid_to must be later")
    start, end = row.valid_from, row.valid_to
    if corrected is not None:
        start = min(start, corrected.valid_from)
        end = None if end is None or corrected.valid_to is None else max(end, corrected.valid_to)
    others = await _others_within(session, row, start, end)
    promotions = [*others, corrected] if corrected is not None else others
    return await correct(session, row.model_id, CorrectionCreate(
        reason=data.reason, valid_from=start, valid_to=end, promotions=promotions), key_id)


async def _others_within(
    session: AsyncSession, row: PromotionRow, start: datetime, end: datetime | None
) -> list[CorrectedPromotion]:
    """The model's other current promotions, cut to the stretch [start, end): the correction supersedes every
    promotion there, so those it does not correct are written again as they were (their parts outside are kept)."""
    period = func.tstzrange(PromotionRow.valid_from, PromotionRow.valid_to, "[)")
    found = await session.scalars(select(PromotionRow).where(
        PromotionRow.model_id == row.model_id, PromotionRow.superseded_at.is_(None), PromotionRow.id != row.id,
        period.op("&&")(func.tstzrange(literal(start), literal(end), "[)"))))
    return [CorrectedPromotion(
        name=other.name, percent_off=other.percent_off, valid_from=max(other.valid_from, start),
        valid_to=other.valid_to if end is None else end if other.valid_to is None else min(other.valid_to, end),
        source=other.source) for other in found]
