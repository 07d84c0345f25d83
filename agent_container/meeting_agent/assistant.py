"""The question-answering assistant: a livekit-agents `Agent` with one function tool,
`search_knowledge_base(query)`, driven by a text-only `AgentSession` (no STT, TTS, VAD or room).

Grounding. A tool that the model may or may not call makes grounding depend on the model: a model
that answers straight away answers from its own memory, with no sources, and letting it pick the
query costs a second LLM round trip on every question. So every question starts with a search the
agent makes itself: `llm_node` answers the first step of a question turn with a
`search_knowledge_base` call whose query is the question, without asking the LLM. The call still
goes through the framework's tool machinery (it is a `function_call` in the chat context and in the
`RunResult`, tool mocks apply to it), and the one LLM request of the turn sees the instructions, the
question and the excerpts with their documents and pages. The model may still call the tool again
with another query (up to `MAX_TOOL_STEPS`); those searches are recorded and cited too. Outside a
question turn (no query pending), `llm_node` is the default one.

Tokens. Each LLM request of a question turn reports its usage in its last chunk; `llm_node` adds it
to the turn. The session's own `session.usage` totals every request made with the LLM object it was
given, and the meeting's suggestions share that object, so it is not a per-question figure.

Every search runs the real retrieval for the room's entity and department (`MeetingServices.retrieve`:
`search_knowledge`, department chunks first), counts a knowledge-base query and records
`CONTEXT_RETRIEVED` (chunk ids, document, page, department, score) for the asker, written with the
answer. A failed search is an `AGENT_ERROR` (stage `retrieval`) and the model is told that nothing
matched, so the asker still gets a polite answer; a tool that raises instead (the model then reads an
error output) is recorded the same way by `QuestionAnswerer`.
"""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from livekit.agents import Agent, RunContext, function_tool, llm
from livekit.agents.voice import ModelSettings

from meetings.manager.knowledge.retrieval import RetrievedChunk

from .knowledge import format_excerpts
from .room_gateway import Human
from .services import MeetingServices

SEARCH_TOOL = "search_knowledge_base"
MAX_TOOL_STEPS = 2


def question_message(asker: Human, question: str) -> str:
    """The user turn the session runs: who asks (a professional or their client), then the question."""
    return f"Question from {asker.name or 'a participant'} ({asker.type.value.lower()}):\n{question}"


@dataclass
class QuestionTurn:
    """One question being answered: who asked, and what the searches of this turn found."""

    asker: Human
    question: str
    passages: list[RetrievedChunk] = field(default_factory=list)
    search_pending: bool = True
    prompt_tokens: int = 0
    completion_tokens: int = 0


class MeetingAssistant(Agent):
    """The meeting's assistant in its `AgentSession`: the composed instructions and the knowledge base."""

    def __init__(self, services: MeetingServices):
        super().__init__(instructions=services.instructions)
        self.services = services
        self.turn: QuestionTurn | None = None

    async def begin(self, turn: QuestionTurn) -> None:
        """Starts a question turn on a fresh conversation: questions of different participants (each
        answered privately) never see each other, and the prompt does not grow through the meeting."""
        self.turn = turn
        await self.update_chat_ctx(llm.ChatContext.empty())

    def end(self) -> QuestionTurn | None:
        turn, self.turn = self.turn, None
        return turn

    @function_tool
    async def search_knowledge_base(self, context: RunContext, query: str) -> str:
        """Searches the organization's knowledge base (its documents and this department's) and returns
        the most relevant excerpts, each with its document name and page.

        Args:
            query: What to look up, in the participant's words.
        """
        turn = self.turn
        passages = await self.services.retrieve(
            query, participant_id=turn.asker.participant_id if turn else None, purpose="question"
        )
        if turn is not None:
            turn.passages.extend(passages)
        return format_excerpts(passages)

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterator[llm.ChatChunk]:
        turn = self.turn
        if turn is not None and turn.search_pending:
            turn.search_pending = False
            return self._search_first(turn.question)
        stream = Agent.default.llm_node(self, chat_ctx, tools, model_settings)
        return self._counted(turn, stream) if turn is not None else stream

    async def _counted(self, turn: QuestionTurn, stream: AsyncIterator) -> AsyncIterator:
        """The model's reply, its reported usage added to the turn."""
        async for chunk in stream:
            if isinstance(chunk, llm.ChatChunk) and chunk.usage is not None:
                turn.prompt_tokens += chunk.usage.prompt_tokens
                turn.completion_tokens += chunk.usage.completion_tokens
            yield chunk

    async def _search_first(self, query: str) -> AsyncIterator[llm.ChatChunk]:
        """The first step of a question turn: the knowledge-base search, decided by the agent."""
        call = llm.FunctionToolCall(
            name=SEARCH_TOOL, arguments=json.dumps({"query": query}), call_id=f"call_{uuid.uuid4().hex[:24]}"
        )
        yield llm.ChatChunk(id=call.call_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
