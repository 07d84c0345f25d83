"""The meeting agent: a livekit-agents worker that transcribes, answers from the knowledge base and
advises the professional."""
