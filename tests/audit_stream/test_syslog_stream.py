"""`kickbot run` streams the audit chain to a syslog receiver on loopback that parses every
message strictly (RFC 5424, octet-counted frames, CEF): over TLS with a client certificate,
hostile chat text in its own fields; over TCP through the receiver's absence; over UDP; and a
receiver whose certificate does not verify gets nothing."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

from bot.testing.symphony import SymphonyPod
from tests.audit_stream.certs import make_pki
from tests.audit_stream.kit import append, chain, ready_run, status, taken_then_away, until
from tests.audit_stream.parse import parse_cef
from tests.audit_stream.receivers import SyslogReceiver
from tests.conftest import ALICE, DESK
from tests.ops.process import kickbot_run

HOSTILE_REASON = 'spam|x=y \\ CEF:0|kickbot|kickbot|1|case|forged|10|suser=mallory ] " end'
HOSTILE_NOTE = "line one\nline two\r\nsuser=mallory act=ban\\"


def config(
    pod: SymphonyPod, tmp_path: Path, receiver: SyslogReceiver, **sink: Any
) -> dict[str, Any]:
    key = pod.write_private_key(tmp_path / "bot.pem")
    return {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "symphony": pod.bdk_config(key),
        "audit_sinks": [{
            "type": "syslog", "name": "siem", "host": "127.0.0.1", "port": receiver.port,
            "transport": receiver.transport, "facility": "audit", "app_name": "kickbot-test",
            "poll_seconds": 0.3, "retry_max_seconds": 1, "batch_size": 10, **sink,
        }],
    }  # fmt: skip


async def test_tls_with_a_client_certificate_and_hostile_text(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path / "pki")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    server.load_cert_chain(pki.cert, pki.key)
    server.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: kickbot's certificate checked too
    receiver = SyslogReceiver("tls", server)
    await receiver.start()
    cfg = config(pod, tmp_path, receiver, ca_file=str(pki.ca), client_cert=str(pki.cert),
                 client_key=str(pki.key), server_name="localhost")  # fmt: skip
    url = cfg["store"]
    try:
        async with ready_run(cfg, tmp_path) as bot:
            pod.say(ALICE, DESK, f"/kick @bob {HOSTILE_REASON}")
            assert "Removed @Bob Member" in (await pod.next_message(DESK, timeout=30)).text
            await append(url, [{"reason": HOSTILE_NOTE, "target": HOSTILE_NOTE, "n": n}
                               for n in range(12)])  # fmt: skip
            await until(lambda: len(receiver.taken) >= 14, what="every record")
            await asyncio.sleep(1)
            assert await bot.stop() == 0, bot.output()
        assert receiver.errors == []
        records = await chain(url)
        assert receiver.seqs() == [seq for seq, _ in records]  # once each, in order
        for taken, (seq, digest) in zip(receiver.taken, records, strict=True):
            m = taken.message
            assert (m.facility, m.severity, m.app, m.hostname != "-") == (
                13,
                5,
                "kickbot-test",
                True,
            )
            assert m.sd["audit@32473"]["hash"] == digest
            assert m.bom
            event = parse_cef(m.msg)
            assert event.vendor == "kickbot"
            assert event.signature == m.msgid
            assert event.extensions["cn1"] == str(seq)
            assert event.extensions["cs1"] == digest
            assert "suser" not in event.extensions or m.msgid == "case"
        case = next(t.message for t in receiver.taken if t.message.msgid == "case")
        case_event = parse_cef(case.msg)
        assert case_event.extensions["reason"] == HOSTILE_REASON
        assert case_event.extensions["suser"] == "Alice Owner"
        assert case_event.name == "kick case report"
        notes = [t.message for t in receiver.taken if t.message.msgid == "note"]
        assert len(notes) == 12
        note = parse_cef(notes[-1].msg)
        assert note.extensions["reason"] == HOSTILE_NOTE
        assert note.extensions["duser"] == HOSTILE_NOTE
        assert set(note.extensions) == {"rt", "cn1Label", "cn1", "cn2Label", "cn2", "cs1Label",
                                        "cs1", "reason", "duser"}  # fmt: skip
    finally:
        await receiver.stop()


async def test_tcp_records_wait_while_the_receiver_is_down(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    receiver = SyslogReceiver("tcp")
    await receiver.start()
    cfg = config(pod, tmp_path, receiver)
    url = cfg["store"]
    try:
        async with ready_run(cfg, tmp_path) as bot:
            await taken_then_away(url, "siem", receiver, 33)
            await asyncio.sleep(2)
            shown = status(cfg, tmp_path)
            assert "siem (syslog): acknowledged #5 of #33, 28 behind" in shown.stdout, shown.stdout
            assert "ConnectionRefusedError" in shown.stdout, shown.stdout
            await receiver.start()
            await until(lambda: len(receiver.taken) >= 33, what="the waiting records")
            await asyncio.sleep(0.5)
            assert receiver.seqs() == list(range(1, 34))
            assert receiver.errors == []
            assert await bot.stop() == 0, bot.output()
    finally:
        await receiver.stop()


async def test_udp(pod: SymphonyPod, tmp_path: Path) -> None:
    receiver = SyslogReceiver("udp")
    await receiver.start()
    cfg = config(pod, tmp_path, receiver, utf8_bom=False)
    try:
        async with ready_run(cfg, tmp_path) as bot:
            await append(cfg["store"], [{"n": n} for n in range(15)])
            await until(lambda: len(receiver.taken) >= 15, what="the datagrams")
            assert receiver.seqs() == list(range(1, 16))
            assert receiver.taken[0].message.msg.startswith("CEF:0|kickbot|kickbot|")
            assert await bot.stop() == 0, bot.output()
    finally:
        await receiver.stop()


async def test_a_certificate_that_does_not_verify_gets_nothing(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path / "pki")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pki.cert, pki.key)
    receiver = SyslogReceiver("tls", server)
    await receiver.start()
    cfg = config(pod, tmp_path, receiver)  # no ca_file: the system's CAs, which do not know it
    try:
        async with ready_run(cfg, tmp_path) as bot:
            await append(cfg["store"], [{"n": 1}])
            await asyncio.sleep(2)
            shown = status(cfg, tmp_path, "--max-lag", "0")
            assert shown.returncode == 1
            assert "CERTIFICATE_VERIFY_FAILED" in shown.stdout, shown.stdout
            assert receiver.taken == []
            assert await bot.stop() == 0, bot.output()
    finally:
        await receiver.stop()


async def test_tcp_sigkill_while_streaming_loses_nothing(pod: SymphonyPod, tmp_path: Path) -> None:
    """Killed at whatever point the stream has reached: after the restart every record is
    there; a record seen twice is the one batch (of 1 here, so that the stream is slow enough
    to be cut) that was sent but not yet stored as acknowledged, identical both times."""
    receiver = SyslogReceiver("tcp")
    await receiver.start()
    cfg = config(pod, tmp_path, receiver, batch_size=1)
    url = cfg["store"]
    try:
        await append(url, [{"n": n} for n in range(300)])  # waiting when kickbot starts
        async with kickbot_run(cfg, tmp_path) as bot:
            await until(lambda: len(receiver.taken) >= 30, what="the stream under way")
            bot.kill()
            await bot.proc.wait()
        cut = len(receiver.taken)
        assert cut < 300, "the stream had ended before the kill"
        async with kickbot_run(cfg, tmp_path) as bot:
            await until(lambda: len(set(receiver.seqs())) >= 300, what="every record")
            await bot.wait_for("/readyz", 200)
            assert await bot.stop() == 0, bot.output()
        seqs = receiver.seqs()
        assert sorted(set(seqs)) == list(range(1, 301))
        first = list(dict.fromkeys(seqs))
        assert first == list(range(1, 301))  # in order, by first arrival
        again = [s for n, s in enumerate(seqs) if s in seqs[:n]]
        assert len(again) <= 1, (cut, again)
        raw: dict[int, set[bytes]] = {}
        for taken, seq in zip(receiver.taken, seqs, strict=True):
            raw.setdefault(seq, set()).add(taken.raw.split(b" ", 6)[6])  # from SD on
        assert all(len(copies) == 1 for copies in raw.values())
        assert receiver.errors == []
    finally:
        await receiver.stop()
