"""The drafting model: one chat completion with structured output from any OpenAI-compatible server."""

from dataclasses import dataclass
from typing import Protocol

from meetings.settings import Settings


@dataclass(frozen=True)
class Completion:
    content: str | None
    prompt_tokens: int
    completion_tokens: int


class ModelUnavailable(RuntimeError):
    """The server could not be reached or failed (timeouts, 429 and 5xx): the job is tried again later."""


class ModelRefused(RuntimeError):
    """The server refused the request (other 4xx): trying again would not help."""


class NoteModel(Protocol):
    name: str

    def complete(self, *, messages: list[dict], schema: dict) -> Completion: ...


@dataclass
class OpenAICompatibleModel:
    """Chat completions through the `openai` client, pointed at OPENAI_BASE_URL when set."""

    name: str
    temperature: float
    client: object

    def complete(self, *, messages: list[dict], schema: dict) -> Completion:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.name,
                messages=messages,
                temperature=self.temperature,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "visit_note", "strict": True, "schema": schema},
                },
            )
        except (
            openai.APIConnectionError,
            openai.APITimeoutError,
            openai.RateLimitError,
            openai.InternalServerError,
        ) as exc:
            raise ModelUnavailable(type(exc).__name__) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise ModelUnavailable(f"status {exc.status_code}") from exc
            raise ModelRefused(f"status {exc.status_code}") from exc
        usage = response.usage
        content = response.choices[0].message.content if response.choices else None
        return Completion(
            content=content,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )


def note_model(settings: Settings) -> OpenAICompatibleModel:
    import openai

    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.note_llm_timeout_seconds,
        max_retries=0,  # the job asks again itself, and the queue retries the job
    )
    return OpenAICompatibleModel(
        name=settings.note_model, temperature=settings.note_temperature, client=client
    )
