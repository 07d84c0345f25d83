"""`make agent`: the meeting agent worker against LIVEKIT_URL, on `make run`'s database unless DATABASE_URL
names another."""

import runpy

from devserver.embedded_db import use_embedded_database

if __name__ == "__main__":
    use_embedded_database()
    runpy.run_module("agent_container.meeting_agent.worker", run_name="__main__", alter_sys=True)
