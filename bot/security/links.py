"""Find links in free text and classify them (official, scam, look-alike, risky...) offline."""
from __future__ import annotations

import encodings.idna
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

import yaml
from rapidfuzz.distance import Levenshtein

from bot.config import ROOT

DATA_DIR = ROOT / "data" / "security"

CATEGORIES = ("official", "scam", "lookalike", "risky", "unknown", "invalid")
# Precedence, strongest first; "official" loses to every warning category.
_PRECEDENCE = ("invalid", "scam", "lookalike", "risky", "official", "unknown")
# Reasons that make a host "risky" (an official host keeps them as notes only).
_RISKY_REASONS = frozenset(
    {"ip_host", "shortener", "plain_http", "credentials", "unusual_port", "unusual_scheme"}
)
_LOOKALIKE_REASONS = frozenset(
    {"official_name_in_other_domain", "gov_vn_imitation", "punycode", "mixed_script",
     "edit_distance", "confusable_chars", "official_name_in_userinfo"}
)
_STANDARD_PORTS = frozenset({80, 443})
_WEB_SCHEMES = frozenset({"http", "https"})
_GOV_VN_APEX = frozenset({"gov.vn", "www.gov.vn"})  # the registry zone itself: not a service site

# Common TLDs accepted for bare domains written without scheme or "www." in free text.
# Two-letter TLDs that are also unaccented Vietnamese words (la, me, ai, do, to...) are left out
# on purpose so that "Son.La" or "goi cho me.Toi" are not taken for links.
_BARE_TLDS = frozenset(
    "vn com net org info biz xyz top site online shop store club live app dev io ly co cc tk ml "
    "ga cf gq asia us uk ru cn pw icu vip link click fun space website tech pro cloud work buzz "
    "today life world gov edu int eu de fr jp kr sg th kh tw hk ws su mobi name tv gl gd be im "
    "gy li at ch nl se pl cz ua by kz au ca br mx id ph my lat cyou sbs cfd bond".split()
)
_TLD_ALT = "|".join(sorted(_BARE_TLDS, key=len, reverse=True))
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_PATH = r"[/?#][^\s<>\"'“”‘’]*"
_TAIL = rf"(?::\d{{1,5}})?(?:{_PATH})?"
_LINK_RE = re.compile(
    rf"""
    (?P<scheme>\b(?:https?|ftp)://[^\s<>"'“”‘’]+)
    | (?P<www>(?<![\w.@/-])www\.(?:{_LABEL}\.)+[a-z]{{2,63}}(?![\w-]){_TAIL})
    | (?P<ip>(?<![\w.@/-])(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?::\d{{1,5}}(?:{_PATH})?|{_PATH}))
    | (?P<bare>(?<![\w.@/-])(?:{_LABEL}\.)+(?:{_TLD_ALT})(?![\w@-])\.?{_TAIL})
    """,
    re.IGNORECASE | re.VERBOSE,
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[^\W_][\w-]*\.)+[^\W\d_]{2,}")
_HOST_END_RE = re.compile(r"[:/?#]")
_NON_WEB_SCHEMES = frozenset({"javascript", "data", "file", "mailto", "tel", "vbscript", "about"})
_JOINED_URL_RE = re.compile(r"[,;](?=(?:https?|ftp)://)", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?…'\"”’»>*"
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_ASCII_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_NUMERIC_HOST_RE = re.compile(r"^(?:0x[0-9a-f]+|\d+)$")
_DOT_VARIANTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_TOKEN_SPLIT_RE = re.compile(r"[.-]")
_GOV_VN_TOKEN_RE = re.compile(r"(?:^|[.-])gov-?vn(?:$|[.-])")
# Characters that fake sites swap for similar-looking ones.
_CONFUSABLES = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s", "@": "a", "|": "l"})
_MULTI_CONFUSABLES = (("rn", "m"), ("vv", "w"), ("cl", "d"))


@dataclass(frozen=True)
class LinkVerdict:
    """The classification of one link."""

    link: str
    host: str
    category: str
    reasons: tuple[str, ...]
    matched: str | None


@dataclass(frozen=True)
class LinkRules:
    """Allow-list, block-list, shorteners and protected names, loaded from data/security."""

    official: frozenset[str]
    official_with_subdomains: frozenset[str]
    blocked: frozenset[str]
    shorteners: frozenset[str]
    strong_names: tuple[str, ...]
    weak_names: frozenset[str]


def _read_yaml(path: Path) -> dict:
    """Read a YAML mapping, or an empty one when the file is missing or empty."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return data if isinstance(data, dict) else {}


def _entry_host(entry: object) -> str:
    """Return the normalised host of a data entry (a string or a mapping with 'host')."""
    raw = entry.get("host", "") if isinstance(entry, dict) else entry
    return _clean_host(str(raw or "")) or ""


def _build_rules(data_dir: Path) -> LinkRules:
    """Read the three data files into a LinkRules."""
    official_data = _read_yaml(data_dir / "official_domains.yml")
    entries = official_data.get("domains") or []
    official = frozenset(h for h in (_entry_host(e) for e in entries) if h)
    with_subs = frozenset(
        _entry_host(e) for e in entries if isinstance(e, dict) and e.get("include_subdomains")
    ) - {""}
    names = official_data.get("protected_names") or {}
    strong_set = {str(n).lower() for n in names.get("strong") or []}
    strong = tuple(sorted(strong_set, key=lambda n: (-len(n), n)))  # longest name first
    weak = frozenset(str(n).lower() for n in names.get("weak") or [])
    blocked_entries = _read_yaml(data_dir / "blocked_domains.yml").get("domains") or []
    blocked = frozenset(h for h in (_entry_host(e) for e in blocked_entries) if h)
    short_entries = _read_yaml(data_dir / "shorteners.yml").get("shorteners") or []
    shorteners = frozenset(h for h in (_entry_host(e) for e in short_entries) if h)
    return LinkRules(official, with_subs, blocked, shorteners, strong, weak)


@lru_cache(maxsize=8)
def _cached_rules(data_dir: Path) -> LinkRules:
    """Load rules once per data folder."""
    return _build_rules(data_dir)


def load_link_rules(data_dir: Path | None = None) -> LinkRules:
    """Load (once, cached) the link rules from data/security or another folder."""
    return _cached_rules(Path(data_dir or DATA_DIR).resolve())


def find_links(text: str) -> list[str]:
    """Return the URLs and bare domains written in a text, in order, without duplicates."""
    if not text:
        return []
    emails = [m.span() for m in _EMAIL_RE.finditer(text)]
    found: list[str] = []
    for match in _LINK_RE.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in emails):
            continue
        pieces = _JOINED_URL_RE.split(match.group(0)) if match.lastgroup == "scheme" else [
            match.group(0)
        ]
        for piece in pieces:
            link = _strip_trailing(piece)
            if match.lastgroup == "bare" and not _bare_tld_ok(link):
                continue
            if link and link not in found:
                found.append(link)
    return found


def _bare_tld_ok(link: str) -> bool:
    """Check that a bare domain really ends in one of the accepted TLDs."""
    host = _HOST_END_RE.split(link, maxsplit=1)[0].rstrip(".")
    return host.rsplit(".", 1)[-1].lower() in _BARE_TLDS


def _strip_trailing(link: str) -> str:
    """Strip sentence punctuation and unbalanced closing brackets from the end of a link."""
    pairs = {")": "(", "]": "[", "}": "{"}
    while link:
        last = link[-1]
        if last in _TRAILING_PUNCT:
            link = link[:-1]
        elif last in pairs and link.count(last) > link.count(pairs[last]):
            link = link[:-1]
        else:
            break
    return link


def _clean_host(raw: str) -> str | None:
    """Normalise a host to lower-case ASCII (punycode), without trailing dot; None if invalid."""
    host = unquote(raw).translate(_DOT_VARIANTS).strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return None
    if _ip_of(host) is not None:
        return host
    labels = host.split(".")
    ascii_labels: list[str] = []
    for label in labels:
        if not label:
            return None
        if not label.isascii():
            try:
                label = encodings.idna.ToASCII(label).decode("ascii").lower()
            except UnicodeError:
                return None
        if not _ASCII_LABEL_RE.match(label):
            return None
        ascii_labels.append(label)
    host = ".".join(ascii_labels)
    return host if len(host) <= 253 else None


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the IP address a host denotes (dotted, IPv6 or a single decimal/hex number)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST_RE.match(host):
        value = int(host, 16) if host.startswith("0x") else int(host)
        if value < 2**32:
            return ipaddress.IPv4Address(value)
    return None


def _split(link: str) -> tuple[SplitResult, bool] | None:
    """Parse a link with urllib, adding https:// when no scheme is given."""
    text = link.strip().replace("\\", "/")
    has_scheme = bool(_SCHEME_RE.match(text))
    if not has_scheme:
        if text.split(":", 1)[0].lower() in _NON_WEB_SCHEMES and ":" in text:
            return None
        text = "https:" + text if text.startswith("//") else "https://" + text
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    return parts, has_scheme


def _raw_host(parts: SplitResult) -> str:
    """Return the host part of a netloc as written (keeps case and Unicode)."""
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[: hostport.find("]") + 1]
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def _on_domain(host: str, domains: frozenset[str]) -> str | None:
    """Return the listed domain equal to the host or one of its parents, if any."""
    labels = host.split(".")
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        if candidate in domains:
            return candidate
    return None


def _official_match(host: str, rules: LinkRules) -> tuple[str, str] | None:
    """Return (reason, matched) when the host is official, else None."""
    bare = host[4:] if host.startswith("www.") else host
    if bare in rules.official:
        return "allowlisted", bare
    parent = _on_domain(host, rules.official_with_subdomains)
    if parent:
        return "allowlisted", parent
    if host.endswith(".gov.vn") and host not in _GOV_VN_APEX:
        return "gov_vn_subdomain", "gov.vn"
    return None


def _unicode_labels(host: str) -> list[str]:
    """Decode punycode labels of an ASCII host to Unicode (undecodable labels kept as is)."""
    out = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = encodings.idna.ToUnicode(label)
            except UnicodeError:
                pass
        out.append(label)
    return out


def _script(char: str) -> str:
    """Return the script of a letter from its Unicode name (LATIN, CYRILLIC, GREEK...)."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _is_mixed_script(labels: list[str]) -> bool:
    """True when the letters of any label come from more than one script."""
    for label in labels:
        scripts = {_script(c) for c in label if c.isalpha()}
        if len(scripts) > 1:
            return True
    return False


def _skeleton(text: str) -> str:
    """Map look-alike characters to the letters they imitate (0→o, rn→m...)."""
    text = text.translate(_CONFUSABLES)
    for fake, real in _MULTI_CONFUSABLES:
        text = text.replace(fake, real)
    return text


def _name_reasons(host: str, rules: LinkRules) -> list[tuple[str, str | None]]:
    """Look-alike signals from official names copied into a host that is not official."""
    found: list[tuple[str, str | None]] = []
    dotted = "." + host + "."
    for official in sorted(rules.official, key=len, reverse=True):
        if ("." + official + ".") in dotted:
            found.append(("official_name_in_other_domain", official))
            break
    compact = host.replace("-", "").replace(".", "")
    if not found:
        name = next((n for n in rules.strong_names if n.replace("-", "") in compact), None)
        if name:
            found.append(("official_name_in_other_domain", name))
    if not found:
        tokens = set(_TOKEN_SPLIT_RE.split(host))
        weak = set(tokens & rules.weak_names)
        if "cong" in tokens and "an" in tokens:
            weak.add("congan")
        if len(weak) >= 2:
            found.append(("official_name_in_other_domain", "+".join(sorted(weak))))
    if (".gov.vn." in dotted[:-1] or (host.endswith("gov.vn") and not host.endswith(".gov.vn"))
            or _GOV_VN_TOKEN_RE.search(host)):
        found.append(("gov_vn_imitation", "gov.vn"))
    return found


def _near_official(host: str, rules: LinkRules, trusted: bool) -> tuple[str, str] | None:
    """Confusable characters or a small edit distance to an allow-listed host."""
    bare = host[4:] if host.startswith("www.") else host
    skeleton = _skeleton(bare)
    for official in sorted(rules.official):
        if bare == official:
            return None
    for official in sorted(rules.official):
        if skeleton == _skeleton(official):
            return "confusable_chars", official
    if trusted:
        return None
    best: tuple[int, str] | None = None
    for official in sorted(rules.official):
        limit = 2 if len(official) >= 12 else 1
        dist = Levenshtein.distance(skeleton, _skeleton(official), score_cutoff=limit)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, official)
    return ("edit_distance", best[1]) if best else None


def _risk_reasons(parts: SplitResult, host: str, has_scheme: bool, rules: LinkRules) -> list[str]:
    """Risky features of a parsed link: IP host, shortener, http, credentials, odd port."""
    reasons: list[str] = []
    scheme = parts.scheme.lower()
    if _ip_of(host) is not None:
        reasons.append("ip_host")
    if _on_domain(host, rules.shorteners):
        reasons.append("shortener")
    if scheme not in _WEB_SCHEMES:
        reasons.append("unusual_scheme")
    elif scheme == "http" and has_scheme:
        reasons.append("plain_http")
    if "@" in parts.netloc:
        reasons.append("credentials")
    if parts.port is not None and parts.port not in _STANDARD_PORTS:
        reasons.append("unusual_port")
    return reasons


def _invalid(link: str) -> LinkVerdict:
    """Verdict for a link that cannot be parsed."""
    return LinkVerdict(link, "", "invalid", ("unparsable",), None)


def _parse(link: str) -> tuple[SplitResult, bool, str] | None:
    """Parse a link into (parts, scheme given?, normalised host); None when it is not a link."""
    split = _split(link) if link else None
    if split is None:
        return None
    parts, has_scheme = split
    raw_host = _raw_host(parts)
    host = _clean_host(raw_host) if raw_host else None
    if not host:
        return None
    ip = _ip_of(host)
    if ip is not None:
        return parts, has_scheme, str(ip)
    if "." not in host or not _TLD_RE.match(host.rsplit(".", 1)[-1]):
        return None
    return parts, has_scheme, host


def _domain_hits(parts: SplitResult, host: str, rules: LinkRules) -> list[tuple[str, str | None]]:
    """Block-list, official and look-alike signals of a named (non-IP) host."""
    hits: list[tuple[str, str | None]] = []
    blocked = _on_domain(host, rules.blocked)
    if blocked:
        hits.append(("blocklisted", blocked))
    official = _official_match(host, rules)
    if any(label.startswith("xn--") for label in host.split(".")):
        hits.append(("punycode", None))
    if _is_mixed_script(_unicode_labels(host)):
        hits.append(("mixed_script", None))
    state_owned = _on_domain(host, rules.official) is not None or host in _GOV_VN_APEX
    if official is None and not state_owned:
        hits.extend(_name_reasons(host, rules))
    near = None if state_owned else _near_official(host, rules, trusted=official is not None)
    if near:
        hits.append(near)
    if official is None and "gov.vn" in (parts.path + parts.query + parts.fragment).lower():
        hits.append(("official_name_in_path", None))
    if official:
        hits.append(official)
    return hits


def classify(link: str, rules: LinkRules | None = None) -> LinkVerdict:
    """Classify one link or bare host; never touches the network."""
    rules = rules or load_link_rules()
    parsed = _parse(_strip_trailing((link or "").strip()))
    if parsed is None:
        return _invalid(link)
    parts, has_scheme, host = parsed
    hits = [] if _ip_of(host) is not None else _domain_hits(parts, host, rules)
    userinfo = parts.netloc.rpartition("@")[0].lower()
    if userinfo and any(name in userinfo for name in ("gov.vn", *rules.strong_names)):
        hits.append(("official_name_in_userinfo", None))
    hits.extend((r, None) for r in _risk_reasons(parts, host, has_scheme, rules))
    return _verdict(link, host, hits)


def _verdict(link: str, host: str, hits: list[tuple[str, str | None]]) -> LinkVerdict:
    """Pick the category by precedence and keep every reason code once, in order."""
    reasons = tuple(dict.fromkeys(r for r, _ in hits))
    categories = set()
    for reason in reasons:
        if reason == "blocklisted":
            categories.add("scam")
        elif reason in _LOOKALIKE_REASONS:
            categories.add("lookalike")
        elif reason in _RISKY_REASONS:
            categories.add("risky")
        elif reason in ("allowlisted", "gov_vn_subdomain"):
            categories.add("official")
    if "official" in categories:
        categories.discard("risky")  # an official host keeps risky features as notes only
    category = next((c for c in _PRECEDENCE if c in categories), "unknown")
    matched = _matched_for(category, hits)
    return LinkVerdict(link=link, host=host, category=category, reasons=reasons, matched=matched)


def _matched_for(category: str, hits: list[tuple[str, str | None]]) -> str | None:
    """The list entry behind the chosen category (blocked domain, imitated official host...)."""
    wanted = {
        "scam": {"blocklisted"},
        "lookalike": _LOOKALIKE_REASONS,
        "official": {"allowlisted", "gov_vn_subdomain"},
    }.get(category, set())
    return next((m for r, m in hits if r in wanted and m), None)
