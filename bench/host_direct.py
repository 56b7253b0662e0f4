"""The Symphony SDK run as the least bot would run it, for host_cost's "SDK running" baseline:
a BDK reading its datafeed and answering each message that mentions someone with the calls
kickbot makes for a /kick (members list, remove, reply), and nothing else (no store, no policy,
no log). Prints one JSON line when it reads its datafeed; stops when a line arrives on stdin.

What it holds beyond the SDK's modules (sessions, HTTP connection pools, TLS contexts, the
signing key) is the SDK's own cost of running, which kickbot cannot avoid either.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

REPLY = '<messageML>Removed <mention uid="{uid}"/>.</messageML>'


async def serve(config: dict[str, Any]) -> None:
    from symphony.bdk.core.config.loader import BdkConfigLoader
    from symphony.bdk.core.service.datafeed.real_time_event_listener import (
        RealTimeEventListener,
    )
    from symphony.bdk.core.symphony_bdk import SymphonyBdk

    async with SymphonyBdk(BdkConfigLoader.load_from_content(json.dumps(config))) as bdk:
        streams, messages = bdk.streams(), bdk.messages()

        class Kick(RealTimeEventListener):  # type: ignore[misc]
            async def on_message_sent(self, initiator: Any, event: Any) -> None:
                stream_id = event.message.stream.stream_id
                entities = json.loads(event.message.data or "{}").values()
                for entity in entities:
                    if entity.get("type") != "com.symphony.user.mention":
                        continue
                    uid = int(entity["id"][0]["value"])
                    await streams.list_room_members(stream_id)
                    await streams.remove_member_from_room(uid, stream_id)
                    await messages.send_message(stream_id, REPLY.format(uid=uid))

        datafeed = bdk.datafeed()
        datafeed.subscribe(Kick())
        reading = asyncio.ensure_future(datafeed.start())
        print(json.dumps({"ready": True, "modules": sorted(sys.modules)}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        await datafeed.stop()
        await asyncio.wait_for(reading, 30)


if __name__ == "__main__":
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text())["symphony"]))
