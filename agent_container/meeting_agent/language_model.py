"""One completion from the configured LLM, with its tokens counted."""

from dataclasses import dataclass

from livekit.agents import APIConnectOptions, llm

from .usage import UsageMeter


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int


async def complete(
    model: llm.LLM,
    *,
    system: str,
    user: str,
    meter: UsageMeter,
    conn_options: APIConnectOptions | None = None,
) -> Completion:
    """Sends a system + user message and returns the whole reply; tokens go to the meter."""
    chat_ctx = llm.ChatContext.empty()
    chat_ctx.add_message(role="system", content=system)
    chat_ctx.add_message(role="user", content=user)
    response = await model.chat(
        chat_ctx=chat_ctx, conn_options=conn_options or APIConnectOptions(max_retry=1)
    ).collect()
    prompt_tokens = response.usage.prompt_tokens if response.usage else 0
    completion_tokens = response.usage.completion_tokens if response.usage else 0
    meter.add_llm(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    return Completion(text=response.text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
