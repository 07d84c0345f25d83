"""The production LLM path: the openai plugin, pointed by base_url at a local OpenAI-compatible server,
with the configured model and temperature, its token counts reaching the meter."""

import json

import pytest
from aiohttp import web

from agent_container.meeting_agent.config import AgentConfig
from agent_container.meeting_agent.language_model import complete
from agent_container.meeting_agent.usage import UsageMeter
from agent_container.meeting_agent.worker import build_llm, build_stt
from meetings.settings import Settings


@pytest.fixture
async def completions_server():
    """A chat-completions endpoint that streams a fixed answer and its usage; keeps the requests."""
    requests = []

    async def chat_completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        requests.append(body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
        for piece in ("Take it ", "for twelve months."):
            chunk = {
                **base,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}
                ],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        usage = {"prompt_tokens": 412, "completion_tokens": 7, "total_tokens": 419}
        await response.write(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1", requests
    await runner.cleanup()


async def test_the_openai_plugin_answers_through_the_configured_base_url(completions_server):
    base_url, requests = completions_server
    config = AgentConfig(llm_model="local-model", llm_temperature=0.1)
    settings = Settings(openai_base_url=base_url, openai_api_key="sk-test-local")
    meter = UsageMeter(model=config.llm_model, temperature=0.1, stt_model="none", price_table={})

    completion = await complete(
        build_llm(config, settings), system="Be brief.", user="How long?", meter=meter
    )

    assert completion.text == "Take it for twelve months."
    assert (meter.tokens_input, meter.tokens_output) == (412, 7)
    [request] = requests
    assert request["model"] == "local-model"
    assert request["temperature"] == 0.1
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][1]["content"] == "How long?"


def test_speech_recognition_streams_through_the_realtime_api():
    stt = build_stt(AgentConfig(stt_model="gpt-4o-mini-transcribe"), Settings(openai_api_key="sk-test-local"))
    assert stt.capabilities.streaming


async def test_a_question_through_the_assistant_session_is_well_formed_for_the_openai_api(
    completions_server, meeting_setup, build_meeting, embedder
):
    """The agent's own search step reaches the server as an assistant tool call and its tool answer."""
    from meetings.meeting_protocol import CHAT_TOPIC
    from tests.agent.knowledge_fixtures import STENT_MEDICATION, seed_clinic_knowledge

    base_url, requests = completions_server
    seed_clinic_knowledge(meeting_setup.db, embedder, meeting_setup)
    config = AgentConfig(llm_model="local-model", llm_temperature=0.1)
    meeting = build_meeting(
        llm=build_llm(config, Settings(openai_base_url=base_url, openai_api_key="sk-test-local"))
    )
    await meeting.start()
    meeting.participant_joined(meeting_setup.client)

    await meeting.on_chat_message(
        meeting_setup.client.identity, "Can I stop taking clopidogrel?", addressed=True
    )
    await meeting.settle()

    [request] = requests
    assert [t["function"]["name"] for t in request["tools"]] == ["search_knowledge_base"]
    system, user, call, result = request["messages"]
    assert (system["role"], user["role"]) in {("system", "user"), ("developer", "user")}
    assert "Can I stop taking clopidogrel?" in user["content"]
    [tool_call] = call["tool_calls"]
    assert tool_call["function"]["name"] == "search_knowledge_base"
    assert json.loads(tool_call["function"]["arguments"]) == {"query": "Can I stop taking clopidogrel?"}
    assert result["role"] == "tool" and result["tool_call_id"] == tool_call["id"]
    assert STENT_MEDICATION in result["content"] and "post-stent-care.pdf, page 3" in result["content"]
    [sent] = meeting_setup.gateway.on(CHAT_TOPIC)
    assert sent.text.startswith("Take it for twelve months.\n\nSources: post-stent-care.pdf (p. 3)")
    assert (meeting.usage.tokens_input, meeting.usage.tokens_output) == (412, 7)
