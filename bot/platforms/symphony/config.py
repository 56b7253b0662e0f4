"""The ``symphony:`` config section, the BDK's own, checked before the BDK reads it: the BDK
ignores keys it does not know and fails late (or with an AttributeError) on others, so every
problem is found here, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot import errors

# Top-level keys symphony-bdk-python 3 reads (core/config/model/bdk_config.py); it ignores the
# rest silently, so kickbot rejects them here.
BDK_KEYS = frozenset(
    {
        "scheme", "host", "port", "context", "proxy", "defaultHeaders", "agent", "pod",
        "keyManager", "sessionAuth", "bot", "ssl", "app", "datafeed", "datahose", "retry",
        "manifest",
    }
)  # fmt: skip


def check_section(section: dict[str, Any]) -> None:
    """Everything the BDK needs before it connects, every problem at once: the keys, the
    pod's host, and the bot's key or certificate file (readable, a PEM key)."""
    unknown = sorted(set(section) - BDK_KEYS)
    problems = [f"symphony.{key}: unknown key (BDK keys: see docs/symphony.md)" for key in unknown]
    feed = section.get("datafeed")
    if feed is not None:
        if not isinstance(feed, dict) or feed.get("version") is None:
            # A datafeed block without version crashes SymphonyBdk() with an AttributeError.
            problems.append("symphony.datafeed.version: required, write `version: v2`")
        elif str(feed["version"]).lower() != "v2":
            problems.append("symphony.datafeed.version: kickbot needs datafeed v2")
    problems += _host_problems(section)
    problems += _url_problems(section)
    bot = section.get("bot")
    if not isinstance(bot, dict) or not bot.get("username"):
        problems.append("symphony.bot.username: required")
    if not isinstance(bot, dict) or not (bot.get("privateKey") or bot.get("certificate")):
        problems.append("symphony.bot.privateKey: required (path or content)")
    else:
        problems += _credential_problems(bot)
    ssl = section.get("ssl")
    store = ssl.get("trustStore") if isinstance(ssl, dict) else None
    if isinstance(store, dict) and store.get("path"):
        problems += _file_problems("symphony.ssl.trustStore.path", store["path"])
    if problems:
        raise errors.ConfigError(*problems)


_CLIENTS = ("pod", "agent", "sessionAuth", "keyManager")


def _host_problems(section: dict[str, Any]) -> list[str]:
    """The BDK builds each service's URL from its own host or the top-level one."""
    if section.get("host"):
        return []
    missing = [
        c for c in _CLIENTS if not (isinstance(section.get(c), dict) and section[c].get("host"))
    ]
    if not missing:
        return []
    if len(missing) < len(_CLIENTS):
        return [f"symphony.host: required (no host given for {', '.join(missing)})"]
    return ["symphony.host: required: the pod's host name, e.g. acme.symphony.com"]


def _url_problems(section: dict[str, Any]) -> list[str]:
    """Scheme and port, at the top and per service, as the BDK puts them into its URLs."""
    places = [("symphony", section)] + [
        (f"symphony.{c}", section[c]) for c in _CLIENTS if isinstance(section.get(c), dict)
    ]
    problems = []
    for where, block in places:
        scheme, port = block.get("scheme"), block.get("port")
        if scheme is not None and str(scheme).lower() not in ("http", "https"):
            problems.append(f"{where}.scheme: must be https (or http), not {scheme!r}")
        number = str(port).strip()  # ${VAR} makes it a string, which the BDK takes as it is
        if port is not None and (
            isinstance(port, bool) or not number.isdigit() or not 0 < int(number) < 65536
        ):
            problems.append(f"{where}.port: must be a port number (1-65535), not {port!r}")
    return problems


def _credential_problems(bot: dict[str, Any]) -> list[str]:
    key, cert = bot.get("privateKey"), bot.get("certificate")
    problems = []
    if key:
        if not isinstance(key, dict):
            return ["symphony.bot.privateKey: must hold a path or a content"]
        if key.get("path") and key.get("content"):
            problems.append("symphony.bot.privateKey: give a path or a content, not both")
        elif key.get("path"):
            problems += _file_problems("symphony.bot.privateKey.path", key["path"], pem_key=True)
        elif key.get("content"):
            problems += _pem_key_problems("symphony.bot.privateKey.content", str(key["content"]))
        else:
            problems.append("symphony.bot.privateKey: required: a path (or a content)")
    if cert and not key:
        if not isinstance(cert, dict) or not cert.get("path"):
            problems.append("symphony.bot.certificate.path: required")
        else:
            problems += _file_problems("symphony.bot.certificate.path", cert["path"])
    return problems


def _file_problems(key: str, path: object, *, pem_key: bool = False) -> list[str]:
    file = Path(str(path))
    if not file.exists():
        return [f"{key}: {file} does not exist"]
    if not file.is_file():
        return [f"{key}: {file} is not a file"]
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{key}: cannot read {file}: {exc.strerror}"]
    except UnicodeDecodeError:
        return [f"{key}: {file} is not a PEM file (text starting -----BEGIN)"]
    return _pem_key_problems(key, text, file) if pem_key else []


def _pem_key_problems(key: str, text: str, file: Path | None = None) -> list[str]:
    """The BDK signs its login JWT with this key (RS512): it must be an unencrypted PEM RSA
    private key."""
    what = str(file) if file is not None else "the content"
    try:
        private = load_pem_private_key(text.encode(), password=None)
    except TypeError:
        return [f"{key}: {what} is encrypted; the BDK needs an unencrypted key"]
    except (ValueError, UnsupportedAlgorithm):
        return [f"{key}: {what} is not a PEM private key (-----BEGIN PRIVATE KEY-----)"]
    if not isinstance(private, RSAPrivateKey):
        return [f"{key}: {what} is not an RSA key (the BDK signs with RS512)"]
    return []
