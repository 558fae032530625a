"""Offering ids from foreign keys: which model a key names, and one entry per offering.

A foreign key becomes a model slug by documented steps, each safe on its own:
1. its last path part: `together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo` -> `Llama-3.3-70B-Instruct-Turbo`,
   `azure/eu/gpt-4o` -> `gpt-4o`, `fireworks_ai/accounts/fireworks/models/deepseek-r1` -> `deepseek-r1`;
2. for sellers that spell models `vendor.model-vN:M` (Bedrock, OCI): without the region (`us.`, `eu.`,
   `global.`, ...), the vendor (`anthropic.`) and the version suffix (`-v1:0`, `-v2`) where the rest still has a
   digit of the model's own: `us.anthropic.claude-3-5-sonnet-20240620-v1:0` -> `claude-3-5-sonnet-20240620`,
   but `anthropic.claude-v2:1` -> `claude-v2-1`;
3. a dated snapshot written `model@date` (Vertex) is `model-date`: `claude-3-5-sonnet@20240620`;
4. lower case, and anything but [a-z0-9._-] a hyphen (`llama3:70b` -> `llama3-70b`).
Nothing else is rewritten (`claude-3.5-sonnet` stays; `llama-v3p1-8b` stays): a guess could merge two models.

Two entries of one file that land on one offering: the entry with the shorter key is kept (the plainer spelling:
`anthropic.claude-...` before `us.anthropic.claude-...`, `azure/gpt-4o` before `azure/eu/gpt-4o`), the first in
the file on a tie; the other is skipped with a line naming the kept key.
"""

from __future__ import annotations

import re
from typing import TypeVar

from service.catalog.importing.providers import Seller, slug

_REGION = re.compile(r"^(us|eu|apac|ap|au|jp|ca|in|global|us-gov)\.")
_VENDOR = re.compile(r"^([a-z0-9-]+)\.(?=[a-z])")
_VERSION = re.compile(r"-v[0-9]+(:[0-9]+)?$")
_ONLY_A_VERSION = re.compile(r"^v?[0-9]")

T = TypeVar("T")


def model_slug(key: str, seller: Seller) -> str:
    name = key.rsplit("/", 1)[-1]
    if seller.dotted_vendor:
        name = _REGION.sub("", name.lower())
        vendor = _VENDOR.match(name)
        if vendor is not None:
            rest = name[vendor.end():]
            # Bedrock's API version (`-v1:0`) goes only where the rest still carries the model's own version or
            # date: `claude-v2:1` is Claude 2.1 and `titan-embed-text-v2` a model of its own, so both stay.
            unversioned = _VERSION.sub("", rest)
            rest = unversioned if re.search(r"[0-9]", unversioned) else rest
            # `deepseek.v3-v1:0` names DeepSeek's V3: keep the vendor when nothing but a version is left.
            name = f"{vendor.group(1)}-{rest}" if _ONLY_A_VERSION.match(rest) else rest
    return slug(name.replace("@", "-"))


def keep_one_per_offering(candidates: list[tuple[str, str, T]]) -> tuple[list[T], list[tuple[T, str]]]:
    """(offering id, key, item) in file order -> the kept items, and each dropped item with the key kept."""
    kept: dict[str, tuple[str, T]] = {}
    dropped: list[tuple[T, str]] = []
    for offering, key, item in candidates:
        held = kept.get(offering)
        if held is None:
            kept[offering] = (key, item)
        elif len(key) < len(held[0]):
            dropped.append((held[1], key))
            kept[offering] = (key, item)
        else:
            dropped.append((item, held[0]))
    return [item for _, item in kept.values()], dropped
