"""``GET /healthz`` and ``GET /readyz`` of a running kickbot, its platform going away and
coming back."""

from __future__ import annotations

from pathlib import Path

from bot.preflight import check_data
from bot.testing.symphony import SymphonyPod
from tests.ops.process import kickbot_run


async def test_readyz_follows_the_platform_and_healthz_the_process(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    config = {"store": f"sqlite:///{tmp_path}/kickbot.db", "symphony": pod.bdk_config(key)}
    async with kickbot_run(config, tmp_path) as bot:
        assert (await bot.wait_for("/healthz", 200)).text == "ok\n"
        assert (await bot.wait_for("/readyz", 200)).text == "ready\n"

        await pod.stop()
        down = await bot.wait_for("/readyz", 503)
        assert down.text.startswith("symphony: "), down.text
        assert "store" not in down.text  # the store still answers: only the platform is named
        assert (await bot.get("/healthz")).status_code == 200

        await pod.start()  # back on its port
        assert (await bot.wait_for("/readyz", 200)).text == "ready\n"
        assert (await bot.get("/nothing")).status_code == 404
        assert await bot.stop() == 0, bot.output()


def test_check_config_accepts_the_http_section_and_refuses_a_bad_one() -> None:
    good = check_data({"http": {"listen_port": 9000}, "slack": {}}, [], "config")
    assert not [p for p in good.problems if p.startswith("http")], good.problems
    bad = check_data({"http": {"listen_port": 70000, "bogus": 1}}, [], "config")
    text = "\n".join(bad.problems)
    assert "http.listen_port" in text, text
    assert "http.bogus" in text, text
