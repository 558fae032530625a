"""Which provider sells what: our provider ids, their spellings in LiteLLM and genai-prices, and who makes what.

A row names one of our providers, the `litellm_provider` values and genai-prices provider ids that mean it, and
the model families it makes (prefixes of the maker's model ids). An entry sold by the maker of its model gets
the bare model id (`gpt-4o`, `claude-sonnet-4-5`); any other, `provider/model` (`azure/gpt-4o`). A provider that is
in neither list keeps its own spelling as our id (a slug of it), and makes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Seller:
    id: str  # ours
    name: str
    litellm: tuple[str, ...] = ()  # litellm_provider values
    genai_prices: tuple[str, ...] = ()  # genai-prices provider ids
    makes: tuple[str, ...] = ()  # prefixes of the model ids it makes
    # Bedrock's and OCI's keys spell a model as vendor.model (anthropic.claude-...), behind a region
    dotted_vendor: bool = False


SELLERS = (
    # Makers, who also sell their own models.
    Seller("openai", "OpenAI", ("openai", "text-completion-openai", "chatgpt"), ("openai",),
           ("gpt-", "chatgpt-", "o1", "o3", "o4", "codex-", "text-embedding-", "dall-e", "whisper", "tts-",
            "omni-moderation", "text-moderation", "computer-use", "davinci", "babbage", "sora")),
    Seller("anthropic", "Anthropic", ("anthropic",), ("anthropic",), ("claude",)),
    Seller("google", "Google", ("gemini",), ("google",),
           ("gemini", "gemma", "imagen", "veo", "learnlm", "text-embedding-", "chirp", "lyria")),
    Seller("deepseek", "DeepSeek", ("deepseek",), ("deepseek",), ("deepseek",)),
    Seller("mistral", "Mistral AI", ("mistral", "codestral", "text-completion-codestral"), ("mistral",),
           ("mistral", "mixtral", "codestral", "pixtral", "ministral", "magistral", "devstral", "voxtral",
            "open-mistral", "open-mixtral", "open-codestral")),
    Seller("xai", "xAI", ("xai",), ("x-ai",), ("grok",)),
    Seller("meta", "Meta", ("meta_llama", "meta"), ("meta",), ("llama",)),
    Seller("cohere", "Cohere", ("cohere", "cohere_chat"), ("cohere",), ("command", "embed-", "rerank-", "c4ai-")),
    Seller("ai21", "AI21 Labs", ("ai21",), (), ("jamba", "j2-")),
    Seller("amazon", "Amazon", ("amazon_nova",), (), ("nova-", "titan-")),
    Seller("alibaba", "Alibaba Cloud", ("dashscope", "qwen_ai_platform", "qwencloud"), (), ("qwen", "qwq", "qvq")),
    Seller("moonshot", "Moonshot AI", ("moonshot",), ("moonshotai",), ("kimi", "moonshot")),
    Seller("zai", "Z.ai", ("zai",), ("zai", "zhipuai"), ("glm",)),
    Seller("minimax", "MiniMax", ("minimax",), ("minimax",), ("minimax", "abab")),
    Seller("perplexity", "Perplexity", ("perplexity",), ("perplexity",), ("sonar", "r1-1776")),
    Seller("voyage", "Voyage AI", ("voyage",), ("voyageai",), ("voyage",)),
    Seller("elevenlabs", "ElevenLabs", ("elevenlabs",), ("elevenlabs",), ("eleven",)),
    # Clouds and resellers.
    Seller("bedrock", "Amazon Bedrock", ("bedrock", "bedrock_converse", "bedrock_mantle"), ("aws",),
           dotted_vendor=True),
    Seller("vertex", "Google Vertex AI", ("vertex_ai", "vertex_ai-language-models", "vertex_ai-anthropic_models",
                                          "vertex_ai-mistral_models", "vertex_ai-llama_models",
                                          "vertex_ai-embedding-models", "vertex_ai-video-models",
                                          "vertex_ai-ai21_models", "vertex_ai-deepseek_models",
                                          "vertex_ai-qwen_models", "vertex_ai-zai_models",
                                          "vertex_ai-openai_models", "vertex_ai-text-models",
                                          "vertex_ai-minimax_models", "vertex_ai-moonshot_models")),
    Seller("azure", "Microsoft Azure", ("azure", "azure_text"), ("azure",)),
    Seller("azure-ai", "Azure AI Foundry", ("azure_ai",)),
    Seller("together", "Together AI", ("together_ai",), ("together",)),
    Seller("fireworks", "Fireworks AI", ("fireworks_ai", "fireworks_ai-embedding-models"), ("fireworks",)),
    Seller("groq", "Groq", ("groq",), ("groq",)),
    Seller("cerebras", "Cerebras", ("cerebras",), ("cerebras",)),
    Seller("openrouter", "OpenRouter", ("openrouter",), ("openrouter",)),
    Seller("github-copilot", "GitHub Copilot", ("github_copilot",), ("github-copilot",)),
    Seller("deepinfra", "DeepInfra", ("deepinfra",)),
    Seller("novita", "Novita AI", ("novita",), ("novita",)),
    Seller("nebius", "Nebius", ("nebius",)),
    Seller("databricks", "Databricks", ("databricks",), ("databricks",)),
    Seller("cloudflare", "Cloudflare Workers AI", ("cloudflare",), ("cloudflare",)),
    Seller("baseten", "Baseten", ("baseten",), ("baseten",)),
    Seller("oci", "Oracle Cloud Infrastructure", ("oci",), dotted_vendor=True),
    Seller("vercel", "Vercel AI Gateway", ("vercel_ai_gateway",)),
    Seller("sambanova", "SambaNova", ("sambanova",)),
    Seller("ovhcloud", "OVHcloud", ("ovhcloud",), ("ovhcloud",)),
)

_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
_BY_LITELLM = {spelling: seller for seller in SELLERS for spelling in seller.litellm}
_BY_ID = {seller.id: seller for seller in SELLERS}
_BY_GENAI = {spelling: seller for seller in SELLERS for spelling in seller.genai_prices}


def slug(text: str) -> str:
    """A catalog slug from a foreign spelling: lower case, anything else than [a-z0-9._-] a hyphen."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-._")[:100]


def litellm_seller(litellm_provider: str) -> Seller:
    return _BY_LITELLM.get(litellm_provider) or Seller(slug(litellm_provider), litellm_provider, (litellm_provider,))


def genai_seller(provider_id: str) -> Seller:
    return _BY_GENAI.get(provider_id) or Seller(slug(provider_id), provider_id, genai_prices=(provider_id,))


def litellm_provider(provider_id: str) -> str:
    """LiteLLM's spelling of our provider (its first `litellm_provider` value), or ours where it has none."""
    seller = _BY_ID.get(provider_id)
    return seller.litellm[0] if seller is not None and seller.litellm else provider_id


def provider_name(provider_id: str) -> str:
    for seller in SELLERS:
        if seller.id == provider_id:
            return seller.name
    return provider_id


def offering_id(seller: Seller, model: str) -> str:
    """The bare model id when `seller` makes `model`, else `seller/model`."""
    return model if model.startswith(seller.makes) and seller.makes else f"{seller.id}/{model}"
