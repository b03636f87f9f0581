"""`python -m services.poller` as a process: follows what is added, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from shared import followed_feeds as feeds
from shared.streams import INCOMING
from tests.integration.feed_server import answer, feed_server, rss
from tests.integration.polling import eventually

ROOT = Path(__file__).resolve().parents[2]


async def test_the_poller_process_pushes_a_followed_feed_and_stops_on_sigterm(redis, redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")} | {
        "DATELINE_REDIS_URL": redis_url, "DATELINE_POLL_ALLOW_PRIVATE": "true", "DATELINE_LOG_FORMAT": "json",
    }
    with feed_server({"/rss": answer(200, rss(("Pier reopens", "https://desk.example/pier")))}) as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.poller", cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            await feeds.follow(redis, server.url("/rss"), every_s=900)
            await eventually(lambda: redis.xlen(INCOMING), timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
    assert process.returncode == 0, output
    assert '"event":"feed.polled"' in output and '"event":"service.stopped"' in output
