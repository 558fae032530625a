"""ORM models: the tables as the application sees them. Constraints that matter live in the migrations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Prices keep up to 12 fractional digits (docs/api.md, Money); 12 integer digits are far beyond any real price.
PRICE = Numeric(24, 12)
TIMESTAMPTZ = TIMESTAMP(timezone=True)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: TIMESTAMPTZ, Decimal: PRICE}


class ProviderRow(Base):
    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(Text)
    open_weights: Mapped[bool]
    context_window: Mapped[int | None]
    released_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PriceRow(Base):
    """One effective-dated price period. Rows are inserted, and only ever changed to close an open period."""

    __tablename__ = "prices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    input_per_mtok: Mapped[Decimal]
    output_per_mtok: Mapped[Decimal]
    cache_read_per_mtok: Mapped[Decimal | None]
    cache_write_per_mtok: Mapped[Decimal | None]
    source: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Context tiers, time windows and variants (service.catalog.rules); empty lists mean a flat rate.
    rules: Mapped[dict] = mapped_column(
        JSONB, server_default=text("""'{"context_tiers": [], "time_windows": [], "variants": []}'::jsonb""")
    )


class PromotionRow(Base):
    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(Text)
    percent_off: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[bytes] = mapped_column(unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]


class QuoteRow(Base):
    """An estimate stored with the exact bytes it was answered with; the database refuses any change."""

    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, object]] = mapped_column(JSONB)
    response: Mapped[bytes]
    price_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SyncRunRow(Base):
    """One `catalog sync` of a source URL: its outcome, what it changed, and the validators it was answered with."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_url: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(Text)
    dry_run: Mapped[bool]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    body_sha256: Mapped[str | None]
    providers_created: Mapped[int] = mapped_column(default=0, server_default="0")
    models_created: Mapped[int] = mapped_column(default=0, server_default="0")
    prices_added: Mapped[int] = mapped_column(default=0, server_default="0")
    prices_unchanged: Mapped[int] = mapped_column(default=0, server_default="0")
    refused: Mapped[int] = mapped_column(default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None]
