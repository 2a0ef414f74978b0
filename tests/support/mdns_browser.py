"""A plain python-zeroconf browser for ``_borne._tcp``, run on the workstation's side of a link.

``python tests/support/mdns_browser.py SECONDS`` prints one JSON line per change it sees:
``{"event": "ready"}`` once browsing, then ``added`` / ``updated`` with the
resolved record (name, server, port, addresses, TXT properties), ``removed``
when the box says goodbye; each with ``mono``, the CLOCK_MONOTONIC time (one
clock for every network namespace), so the test can time the announcement.
It uses zeroconf directly, not the SDK: the box is checked by an independent
browser.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

SERVICE_TYPE = "_borne._tcp.local."


def say(**fields: object) -> None:
    print(json.dumps({**fields, "mono": time.monotonic()}), flush=True)


async def main(seconds: float) -> None:
    aiozc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def resolve(name: str, change: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if await info.async_request(aiozc.zeroconf, 3000):
            say(event=change, name=info.name, server=info.server, port=info.port,
                addresses=sorted(info.parsed_addresses()),
                properties={k.decode(): (v.decode() if v is not None else None)
                            for k, v in info.properties.items()})

    def handler(zeroconf: object, service_type: str, name: str,
                state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            say(event="removed", name=name)
            return
        task = loop.create_task(resolve(name, state_change.name.lower()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    browser = AsyncServiceBrowser(aiozc.zeroconf, SERVICE_TYPE, handlers=[handler])
    say(event="ready")
    await asyncio.sleep(seconds)
    await browser.async_cancel()
    await aiozc.async_close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
