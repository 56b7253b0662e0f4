"""The record formats, checked with parsers written from the RFCs and CEF's rules
(``tests.audit_stream.parse``): hostile chat text stays inside its own field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.audit.links import Record
from bot.streaming import cef, hec, rfc5424
from bot.streaming.settings import SplunkHecSink, SyslogSink
from tests.audit_stream.parse import Malformed, frames, parse_cef, parse_syslog

HOSTILE = [
    "x|y",
    "a=b",
    "back\\slash",
    "two\nlines\r\nand\rmore",
    "CEF:0|evil|evil|1|x|forged|10|suser=mallory",
    " suser=mallory act=ban",
    'quote " and ] and \\] in SD',
    "trailing backslash\\",
    "\\=",
    "tab\there and \x00 nul",
    "ünïcödé 名前 🙂",
]


def record(seq: int = 7, kind: str = "result", **payload: object) -> Record:
    data = {"command": "kick", "room": "desk", "platform": "symphony", "target": "Bob",
            "target_id": "1002", "result": "done", "detail": "Removed Bob.", **payload}  # fmt: skip
    return Record(seq, "2026-12-07T17:33:58.123+00:00", kind, 42,
                  json.dumps(data, sort_keys=True), "0" * 64, "ab" * 32, "sha256")  # fmt: skip


def syslog_sink(**extra: object) -> SyslogSink:
    return SyslogSink.model_validate({"type": "syslog", "name": "siem", "host": "h", **extra})


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_in_its_cef_field(text: str) -> None:
    r = record(target=text, reason=text, detail=text, command=text)
    event = parse_cef(cef.cef(r))
    assert (event.vendor, event.product, event.signature) == ("kickbot", "kickbot", "result")
    assert event.severity == "6"
    ext = event.extensions
    clean = text.replace("\t", " ").replace("\x00", " ")
    assert ext["duser"] == clean
    assert ext["msg"] == clean
    assert ext["act"] == clean
    assert ext["duid"] == "1002"
    assert ext["cn1"] == "7"
    assert ext["cs1"] == "ab" * 32
    # no key of its own: nothing forged
    assert set(ext) <= {k for k, _ in cef.extensions(r, json.loads(r.payload))}
    assert ext.get("suser") is None
    # the header's name field holds the command as text (line breaks as spaces)
    assert event.name == f"{clean} done".replace("\n", " ").replace("\r", " ")


def test_cef_escaping_follows_the_rules() -> None:
    assert cef.header("a|b\\c\nd") == "a\\|b\\\\c d"
    assert cef.extension("a=b\\c\nd\re|f") == "a\\=b\\\\c\\nd\\re|f"


def test_a_case_record_as_cef() -> None:
    r = record(kind="case", caller="Alice", caller_id="1001", outcome="report",
               text="/kick @bob spam", reason="spam")  # fmt: skip
    event = parse_cef(cef.cef(r))
    assert event.signature == "case"
    assert event.name == "kick case report"
    assert event.extensions["suser"] == "Alice"
    assert event.extensions["msg"] == "/kick @bob spam"
    assert event.extensions["outcome"] == "report"
    assert event.extensions["rt"] == "1796664838123"


@pytest.mark.parametrize("text", HOSTILE)
def test_rfc5424_message_parses_strictly_with_hostile_text(text: str) -> None:
    r = record(target=text, reason=text)
    sink = syslog_sink(facility="audit", app_name="kickbot")
    parsed = parse_syslog(rfc5424.message(r, sink, "host.example", procid=4242))
    assert parsed.facility == 13
    assert parsed.severity == 5
    assert parsed.timestamp == "2026-12-07T17:33:58.123Z"
    assert (parsed.hostname, parsed.app, parsed.procid, parsed.msgid) == (
        "host.example", "kickbot", "4242", "result",
    )  # fmt: skip
    assert parsed.sd == {
        "audit@32473": {"seq": "7", "hash": "ab" * 32, "case": "42", "link": "sha256"}
    }
    assert parsed.bom
    assert parse_cef(parsed.msg).extensions["duser"] == text.replace("\t", " ").replace("\x00", " ")


def test_structured_data_values_are_escaped() -> None:
    assert rfc5424.sd_value('a"b\\c]d') == 'a\\"b\\\\c\\]d'
    parsed = parse_syslog('<13>1 - h a p m [x@1 k="a\\"b\\\\c\\]d"] hi')
    assert parsed.sd == {"x@1": {"k": 'a"b\\c]d'}}
    with pytest.raises(Malformed):
        parse_syslog('<13>1 - h a p m [x@1 k="a"b"] hi')


def test_header_fields_are_printable_ascii() -> None:
    r = record(kind="we ird\nkind")
    sink = syslog_sink(utf8_bom=False)
    parsed = parse_syslog(rfc5424.message(r, sink, "host name\u00e9"))
    assert parsed.hostname == "host_name_"
    assert parsed.msgid == "we_ird_kind"
    assert parsed.msg.startswith("CEF:0|")
    assert not parsed.bom


def test_octet_counting_frames() -> None:
    one = rfc5424.octet_counted("héllo")
    assert one == b"6 h\xc3\xa9llo"
    buffer = bytearray(one + rfc5424.octet_counted("x\ny") + b"12 partial")
    assert frames(buffer) == ["héllo".encode(), b"x\ny"]
    assert buffer == b"12 partial"


def test_config_refuses_what_is_not_secure_or_not_known() -> None:
    from bot.settings import check

    bad = check({"audit_sinks": [
        {"type": "splunk_hec", "name": "s", "url": "http://splunk.example.com", "token": "t"},
        {"type": "syslog", "name": "t", "host": "h", "transport": "udp", "ca_file": "/x"},
        {"type": "syslog", "name": "u", "host": "h", "facility": "nope", "bogus": 1},
        {"type": "syslog", "name": "s", "host": "h"},
    ]}, [])  # fmt: skip
    text = "\n".join(bad.problems)
    assert "audit_sinks.0.splunk_hec.url: Value error, http:// would send" in text, text
    assert "audit_sinks.1.syslog.ca_file: Value error, cannot read /x" in text, text
    assert "audit_sinks.2.syslog.facility" in text, text
    assert "audit_sinks.2.syslog.bogus: unknown key" in text, text
    good = check({"audit_sinks": [
        {"type": "splunk_hec", "name": "s", "url": "https://splunk:8088/", "token": "s3cr3t-token"},
        {"type": "syslog", "name": "t", "host": "h"},
    ]}, [])  # fmt: skip
    assert good.settings is not None, good.problems
    hec_sink, syslog = good.settings.audit_sinks
    assert isinstance(syslog, SyslogSink)
    assert (syslog.transport, syslog.effective_port) == ("tls", 6514)
    assert isinstance(hec_sink, SplunkHecSink)
    assert hec_sink.url == "https://splunk:8088"
    assert "s3cr3t" not in repr(hec_sink)
    assert "s3cr3t" not in str(hec_sink)
    same = check({"audit_sinks": [{"type": "syslog", "name": "a", "host": "h"}] * 2}, [])
    assert any("two sinks are named 'a'" in p for p in same.problems), same.problems


def test_hec_envelope() -> None:
    sink = SplunkHecSink.model_validate(
        {"type": "splunk_hec", "name": "s", "url": "https://x", "token": "t", "index": "audit"}
    )
    r = record(seq=3)
    (line,) = hec.body([r], sink, "bothost").decode().splitlines()
    data = json.loads(line)
    assert data["time"] == 1796664838.123
    assert (data["host"], data["source"], data["sourcetype"], data["index"]) == (
        "bothost", "kickbot", "kickbot:audit", "audit",
    )  # fmt: skip
    assert data["event"]["seq"] == 3
    assert data["event"]["hash"] == "ab" * 32
    assert data["event"]["target"] == "Bob"
    assert data["event"]["case"] == 42
    forged = record(seq=4, seq_="x", hash="forged")
    assert hec.event_of(forged)["hash"] == "ab" * 32  # the record's own fields win


def test_check_config_names_a_bad_sink_key_and_an_unset_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_check_config import check, write

    monkeypatch.delenv("HEC_TOKEN", raising=False)
    base = {"store": f"sqlite:///{tmp_path}/kickbot.db", "slack": {}}
    path = write(tmp_path, {**base, "audit_sinks": [
        {"type": "syslog", "name": "siem", "host": "h", "trasnport": "tcp"},
        {"type": "splunk_hec", "name": "splunk", "url": "https://s:8088", "token": "${HEC_TOKEN}"},
    ]})  # fmt: skip
    status, lines = check(path)
    assert status == 1
    text = "\n".join(lines)
    assert f"{path}: audit_sinks.0.syslog.trasnport: unknown key" in text, text
    assert f"{path}: audit_sinks[1].token: environment variable HEC_TOKEN is not set" in text, text
    monkeypatch.setenv("HEC_TOKEN", "a-secret-hec-token")
    path = write(tmp_path, {**base, "audit_sinks": [
        {"type": "splunk_hec", "name": "splunk", "url": "https://s:8088", "token": "${HEC_TOKEN}"},
    ]})  # fmt: skip
    status, lines = check(path)
    assert "a-secret-hec-token" not in "\n".join(lines)
    assert not [line for line in lines if "audit_sinks" in line], lines
