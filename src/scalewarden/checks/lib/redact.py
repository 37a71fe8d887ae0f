"""Find and hide secrets in names, tags, URLs and pasted text: the one secret detector.

Findings travel to Slack, files and Security Hub, so a check that *finds* a secret must never
repeat it. Everything that shows user-chosen text (policy and scheduled action names, tags,
custom-resource URLs) goes through ``redact``/``redact_url`` first; the replacement names the
kind of secret so the finding stays actionable. The Slack service masks what people type
(``scalewarden.slack.redact``) with the same detector and a plainer mask.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from scalewarden.checks.lib.lookalikes import matching_view, well_formed

REDACTED = "REDACTED"


@dataclass(frozen=True)
class SecretMatch:
    kind: str
    start: int
    end: int


# Order matters: more specific kinds first, so a Slack token is not reported as "token".
# Token prefixes (``xoxb-``, ``ghp_``, ``eyJ``) are distinctive enough to need no word
# boundary before them: names glue them on (``deploy_ghp_…``, URL-encoded ``token%3Dghp_…``),
# and ``_`` and letters are word characters. Key words need only no letter before them
# (``db_password=``), and ``=`` may be URL-encoded (``%3D``).
#
# An access key id standing alone is its prefix and 16 capitals or digits. Glued to a capital
# or digit on either side (``XAKIAIOSFODNN7EXAMPLE``, ``9ASIA…``) it is still a key when the 16
# hold a digit (key ids are base32: A-Z and 2-7), which upper-case words (``ASIAPACIFIC…``)
# do not; every quantifier is bounded, so each position costs at most 20 steps.
_KEY_ID_PREFIX = r"(?:AKIA|ASIA|ABIA|ACCA)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "aws-access-key-id",
        re.compile(
            rf"(?<![A-Z0-9]){_KEY_ID_PREFIX}[A-Z0-9]{{16}}(?![A-Z0-9])"
            rf"|{_KEY_ID_PREFIX}(?=[A-Z0-9]{{0,15}}[0-9])[A-Z0-9]{{16}}"
        ),
    ),
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("slack-token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("slack-app-token", re.compile(r"xapp-[A-Za-z0-9-]{8,}")),
    # Settings pasted as they are written in an environment file or a shell.
    (
        "secret-setting",
        re.compile(
            r"(?i)\b(?:aws_secret_access_key|aws_session_token|slack_signing_secret"
            r"|signing_secret|slack_bot_token|slack_app_token)\s*[=:]\s*\S+"
        ),
    ),
    ("github-token", re.compile(r"gh[pousr]_[A-Za-z0-9_]{36,}")),
    # Tried only at the first "eyJ" of each run (``_jwt_matches``): a later one fails the same.
    ("jwt", re.compile(r"eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+")),
    # The parts are bounded (64 characters before the "@", 253 after it, as in RFC 5321), so
    # each place an address could start costs a bounded number of steps: unbounded, a long
    # run without an "@" was read again from each of its characters (quadratic).
    ("email", re.compile(r"[A-Za-z0-9._%+-]{1,64}+@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}")),
    # Not right after ":": in ARNs (``...:secret:db-AbCdEf``) the word names a resource type.
    (
        "credential",
        re.compile(
            r"(?i)(?<![:A-Za-z])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey"
            r"|access[_-]?key|auth|bearer|credential)s?\s*(?:[=:]|%3[ad])\s*[^\s&;,]{4,}"
        ),
    ),
    # 40 base64 characters: the shape of an AWS secret access key.
    ("aws-secret-key", re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")),
)

_JWT = dict(_PATTERNS)["jwt"]
#: A run of the characters of a JWT's parts (where one ``eyJ`` is tried, ``_jwt_matches``).
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_-]*+")

#: Words one of which every match of a kind contains (in lower case). Looking for them with
#: ``in`` costs little, so most text skips most expressions: every text field of every
#: finding passes through ``redact``, and a scan has tens of thousands.
_HINTS: dict[str, tuple[str, ...]] = {
    "aws-access-key-id": ("akia", "asia", "abia", "acca"),
    "private-key": ("private key",),
    "slack-token": ("xox",),
    "slack-app-token": ("xapp-",),
    "secret-setting": ("secret", "token"),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "jwt": ("eyj",),
    "email": ("@",),
    "credential": ("pass", "pwd", "secret", "token", "key", "auth", "bearer", "credential"),
}
#: Any of the words above, in one pass.
_ANY_HINT = re.compile("|".join(re.escape(h) for hints in _HINTS.values() for h in hints))
#: A run long enough to be an AWS secret key or a random token (either alphabet).
_LONG_RUN = re.compile(r"[A-Za-z0-9/+_\-]{32}")

#: A mask ``redact`` wrote.
MASK_PATTERN = re.compile(r"\[REDACTED(?::[a-z-]+)?\]")
#: The separator between a credential's name and its value.
_SETTING_VALUE = re.compile(r"[=:]\s*")
_HEX_OR_UUID = re.compile(r"^[0-9a-fA-F-]+$")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-]{32,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: ``user:password@`` after a URL scheme, in any text (status messages, ARNs).
_URL_USERINFO = re.compile(r"(?<=://)[^/\s?#@]+(?:@[^/\s?#@]+)*@")
#: ``name=value`` of a URL query inside any text; the name decides (``is_secret_param``).
_QUERY_PARAM = re.compile(r"(?<=[?&])([A-Za-z0-9_.\-]+)=([^&\s#]+)")
#: A word of a resource name: optional capital, then lower-case letters.
_WORD = re.compile(r"[A-Z]?[a-z]{2,}")
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
_CONSONANT_RUN = re.compile(r"[^aeiouy]{4}", re.IGNORECASE)
#: Fragments of parameter names that always mean the value is a secret.
_SECRET_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "accesskey",
    "privatekey",
    "signature",
    "credential",
    "authorization",
)
#: Whole words of parameter names that mean a secret (``x-api-key``, ``sessionKey``).
_SECRET_NAME_WORDS = frozenset({"key", "pwd", "sig", "auth", "pass"})

#: Query parameter names whose value is a secret whatever it looks like.
SECRET_PARAM_NAMES = frozenset(
    {
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "auth",
        "authorization",
        "key",
        "apikey",
        "api_key",
        "api-key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "sig",
        "signature",
        "credential",
        "credentials",
        "session",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "code",
    }
)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's name says its value is a secret, whatever it looks like.

    Exact well-known names, then compound ones (``apiToken``, ``client-secret``,
    ``X-Api-Key``, ``sessionToken``): the name is split into words at separators and case
    changes, so ``monkey`` or ``keyword`` are not taken for ``key``.
    """
    lower = name.lower()
    if lower in SECRET_PARAM_NAMES:
        return True
    compact = re.sub(r"[^a-z0-9]", "", lower)
    if any(part in compact for part in _SECRET_NAME_PARTS):
        return True
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    return any(w.lower() in _SECRET_NAME_WORDS for w in words)


_PLAIN_TAG_VALUES = frozenset({"true", "false", "yes", "no", "enabled", "disabled", "none", "n/a"})


def tag_value_is_secret(key: str, value: str) -> bool:
    """Whether a tag's key says its value is a secret (``db-password``, ``ApiToken``).

    Only unmistakable key fragments count (token, secret, password, api key …), not bare
    ``key``: ``KeyName`` tags hold key pair names. Values that cannot be a secret (empty,
    short, ARNs, flags, sentences) are let through, so ``SecretArn`` or
    ``token-rotation: enabled`` are not flagged.
    """
    compact = re.sub(r"[^a-z0-9]", "", key.lower())
    if not any(part in compact for part in _SECRET_NAME_PARTS):
        return False
    text = value.strip()
    if len(text) < 6 or " " in text or text.lower() in _PLAIN_TAG_VALUES:
        return False
    return not text.startswith(("arn:", "REDACTED", f"[{REDACTED}"))


def redact_tag_value(key: str, value: str) -> str:
    """A tag value safe to show: whole when its key names a secret, else by pattern."""
    return f"[{REDACTED}:secret-tag]" if tag_value_is_secret(key, value) else redact(value)


def _looks_wordy(token: str) -> bool:
    """Half or more of the token is pronounceable words: a name someone wrote, not a key.

    CloudFormation and CamelCase names (``ecs-ProdWebService-cpu75-TargetTracking``) mix
    upper, lower and digits like a key does; random keys rarely spell words. Words are runs
    of lower-case letters (an optional capital first) with a vowel and no four consonants
    in a row; about 1% of random 32-character keys pass this test by chance.
    """
    alnum = sum(c.isalnum() for c in token)
    if not alnum:
        return False
    spelled = sum(
        len(w)
        for w in (m.group() for m in _WORD.finditer(token))
        if _VOWEL.search(w) and not _CONSONANT_RUN.search(w)
    )
    return spelled * 2 >= alnum


def _looks_random(token: str) -> bool:
    """A long token mixing upper, lower and digits (not a hex id, UUID or words): a secret."""
    if _HEX_OR_UUID.match(token) or _looks_wordy(token):
        return False
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() for c in token),
        )
    )
    return classes == 3


def find_secrets(text: str) -> list[SecretMatch]:
    """Non-overlapping secret-looking spans in ``text``, in order."""
    return list(_find_secrets(text))


#: Texts up to this long are remembered (names and tags, shown by many checks of one scan);
#: longer ones (policy documents, event fields) are not, so the cache holds little memory.
_CACHED_LENGTH = 2048


def _find_secrets(original: str) -> tuple[SecretMatch, ...]:
    if len(original) <= _CACHED_LENGTH:
        return _find_secrets_cached(original)
    return _find_secrets_in(original)


@lru_cache(maxsize=65536)
def _find_secrets_cached(original: str) -> tuple[SecretMatch, ...]:
    return _find_secrets_in(original)


def _find_secrets_in(original: str) -> tuple[SecretMatch, ...]:
    """The spans of ``original``, found in its matching view (``lookalikes.matching_view``):
    a key word spelt with lookalikes (``pаssword=`` with a Cyrillic ``а``, ``tok\u200ben=``,
    fullwidth letters) is found as the plain one, and its whole original span is hidden."""
    view, origin = matching_view(original)
    found = _detect(view)
    if origin is None or not found:
        return found
    spans: list[SecretMatch] = []
    last = 0
    for m in found:
        start = max(origin[m.start], last)
        end = origin[m.end - 1] + 1
        if end > start:
            spans.append(SecretMatch(m.kind, start, end))
            last = end
    return tuple(spans)


def _jwt_matches(text: str) -> Iterator[re.Match[str]]:
    """The JWT pattern's matches, tried at the first ``eyJ`` of each run of token characters
    only: a later one in the same run would fail just the same, and trying each would read
    the run once per ``eyJ`` (quadratic in ``eyJeyJeyJ…``)."""
    pattern = _JWT
    pos = 0
    while (i := text.find("eyJ", pos)) >= 0:
        m = pattern.match(text, i)
        if m:
            yield m
            pos = m.end()
        else:
            run = _TOKEN_RUN.match(text, i)
            pos = max(run.end() if run else i, i + 1)


def _detect(original: str) -> tuple[SecretMatch, ...]:
    """Each span found is blanked out before the next expression runs, so a match can neither
    swallow a later secret (``?token=a…://user:pw@?token=b``) nor lose what sits beside an
    earlier one (two keys run together). Masks left by an earlier pass (``[REDACTED:kind]``)
    are blanked from the start: redacting twice changes nothing.

    Linear in the text: every expression is tried where it can start once per pass, and the
    blanked text is rebuilt once per pass, not once per span (a megabyte of ``a@b.cc``).
    """
    lowered = original.lower()
    if (
        "://" not in original
        and "=" not in original
        and not _ANY_HINT.search(lowered)
        and not _LONG_RUN.search(original)
    ):
        return ()  # the common case: no expression could match, so none is run
    found: list[SecretMatch] = []
    text = original
    blanked = bytearray(len(original))
    pending: list[tuple[int, int]] = []

    def blank(start: int, end: int) -> None:
        # ";" ends a credential's value and is no space (its ``\s*`` cannot step over a
        # blanked span), is in no name, key or e-mail, and opens no URL query parameter.
        pending.append((start, end))
        blanked[start:end] = b"\x01" * (end - start)

    def flush() -> None:
        # The next pass reads the text with this pass's spans blanked; the spans of one
        # pass never overlap (``finditer``), so they are written in one go.
        nonlocal text
        if not pending:
            return
        parts: list[str] = []
        pos = 0
        for start, end in sorted(pending):
            parts.append(text[pos:start])
            parts.append(";" * (end - start))
            pos = end
        parts.append(text[pos:])
        text = "".join(parts)
        pending.clear()

    for m in MASK_PATTERN.finditer(original) if REDACTED in original else ():
        blank(m.start(), m.end())
    flush()
    lower = text.lower()
    long_run = _LONG_RUN.search(text) is not None

    def take(kind: str, start: int, end: int) -> None:
        # A value may run into a span blanked before (a URL query value has no stop at
        # ";"): it ends there, and one that starts there is no new secret.
        cut = blanked.find(1, start, end)
        end = end if cut < 0 else cut
        if end > start:
            found.append(SecretMatch(kind, start, end))
            blank(start, end)

    # URL parts first: the whole user info and a secret parameter's whole value, so a key
    # or e-mail-like fragment inside them cannot leave the rest showing.
    for m in _URL_USERINFO.finditer(text) if "://" in text else ():
        # Already redacted by ``audit_url`` (up to a mask written since): keep as it is.
        cut = blanked.find(1, m.start(), m.end())
        if text[m.start() : m.end() if cut < 0 else cut] == f"{REDACTED}@":
            blank(m.start(), m.end() if cut < 0 else cut)
        else:
            take("url-userinfo", m.start(), m.end())
    flush()
    for m in _QUERY_PARAM.finditer(text) if "=" in text else ():
        if not m.group(2).startswith(REDACTED) and is_secret_param(m.group(1)):
            take("secret-parameter", m.start(2), m.end(2))
    flush()
    for kind, pattern in _PATTERNS:
        hints = _HINTS.get(kind)
        if (not long_run) if hints is None else not any(h in lower for h in hints):
            continue
        # The text as it is now: earlier passes' finds blanked.
        matches = _jwt_matches(text) if pattern is _JWT else pattern.finditer(text)
        for m in matches:
            if kind == "aws-secret-key" and not _looks_random(m.group().replace("/", "")):
                continue
            if kind == "email" and m.group().startswith(f"{REDACTED}@"):
                continue  # a URL's user info that ``audit_url`` already replaced
            if kind == "credential" and _SETTING_VALUE.split(m.group(), 1)[-1].startswith(REDACTED):
                continue  # ``password=REDACTED``: already hidden
            take(kind, m.start(), m.end())
        flush()
    # UUIDs are ids AWS generates everywhere (target tracking alarm names end in one): blank
    # them out so the letters around one do not make it look like a key.
    if long_run:
        for m in _LONG_TOKEN.finditer(_UUID.sub(lambda u: " " * len(u.group()), text)):
            if _looks_random(m.group()):
                take("token", m.start(), m.end())
    return tuple(sorted(found, key=lambda s: s.start))


def secret_kinds(text: str) -> list[str]:
    """The kinds of secret found in ``text`` (deduplicated, in order of appearance)."""
    kinds: list[str] = []
    for match in find_secrets(text):
        if match.kind not in kinds:
            kinds.append(match.kind)
    return kinds


def redact(text: str, *, mask: str | None = None, ignore: Collection[str] = ()) -> str:
    """``text`` with every secret-looking span replaced by ``[REDACTED:<kind>]``.

    ``mask`` replaces every span with one fixed text instead; spans of the kinds in
    ``ignore`` are left as they are. Lone surrogates come back as U+FFFD (``well_formed``):
    this is the one function every piece of account text passes before any output.
    """
    text = well_formed(text)
    found = _find_secrets(text)
    if not found:
        return text  # the common case, kept cheap: every text field of every finding
    matches = [m for m in found if m.kind not in ignore]
    if not matches:
        return text
    out: list[str] = []
    pos = 0
    for m in matches:
        out.append(text[pos : m.start])
        out.append(mask if mask is not None else f"[{REDACTED}:{m.kind}]")
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class UrlAudit:
    """What ``audit_url`` found: the safe form of the URL and why it was unsafe."""

    redacted: str
    has_userinfo: bool
    secret_params: tuple[str, ...]
    secrets_elsewhere: tuple[str, ...]

    @property
    def unsafe(self) -> bool:
        return self.has_userinfo or bool(self.secret_params) or bool(self.secrets_elsewhere)


def audit_url(url: str) -> UrlAudit:
    """Inspect a URL for user info and secret-looking query parameters; redact them.

    Query parameter *names* are kept (they say what leaked); values are replaced. Text that
    does not parse as a URL is redacted as plain text.
    """
    url = well_formed(url)  # ``quote`` encodes to UTF-8, which a lone surrogate fails
    try:
        parts = urlsplit(url)
    except ValueError:
        return UrlAudit(redact(url), False, (), tuple(secret_kinds(url)))
    has_userinfo = "@" in parts.netloc
    netloc = parts.netloc.rsplit("@", 1)[-1] if has_userinfo else parts.netloc
    if has_userinfo:
        netloc = f"{REDACTED}@{netloc}"
    secret_params: list[str] = []
    query_out: list[str] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if is_secret_param(name) or (value and find_secrets(value)):
            secret_params.append(name)
            query_out.append(f"{quote(name, safe='-_.')}={REDACTED}")
        else:
            query_out.append(f"{quote(name, safe='-_.')}={quote(value, safe='-_.~/')}")
    path_kinds = secret_kinds(parts.path) + secret_kinds(parts.fragment)
    redacted = urlunsplit(
        (
            parts.scheme,
            netloc,
            redact(parts.path),
            "&".join(query_out) if parts.query else "",
            redact(parts.fragment),
        )
    )
    return UrlAudit(redacted, has_userinfo, tuple(secret_params), tuple(dict.fromkeys(path_kinds)))


def safe_resource_id(namespace: str, resource_id: str) -> str:
    """A target's resource id safe to show: custom-resource ids are URLs and may hold secrets."""
    if namespace == "custom-resource":
        return audit_url(resource_id).redacted
    return redact(resource_id)


def safe_arn(arn: str, namespace: str, resource_id: str) -> str:
    """A scaling policy's or scheduled action's ARN safe to show.

    Those ARNs embed the target's resource id (``...:resource/<namespace>/<id>:policyName/``),
    and a custom-resource id is a URL that may carry credentials: the id is replaced by its
    safe form first, then the rest (names) is redacted as text.
    """
    if not resource_id or resource_id not in arn:
        return redact(arn)
    safe_id = safe_resource_id(namespace, resource_id)
    return safe_id.join(redact(part) for part in arn.split(resource_id))
