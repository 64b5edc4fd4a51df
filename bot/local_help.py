"""Local help: which area a message names, and the local contacts for it in a voice.

Pure functions over the `local`, `local_contacts`, `local_cues` and `local_help` parts of
content/contacts.yml (schema in content/README.md). No wording lives here: the text of every
contact and the frame around them are in contacts.yml.

    key = local_help("nhà em ở Đăk Tô, Kon Tum", contacts)   # -> "quang-ngai-kon-tum-cu"
    text = render_local_help(key, contacts, "child")

Names are compared accent-insensitively (bot.nlu.textnorm.fold), so "quang ngai", "Quảng Ngãi" and
"QUẢNG NGÃI" are the same place. A name in `places` counts anywhere in the message; a name in
`communes` only right after a cue such as "ở", "xã" or "huyện" ("ở Ba Tơ"), because short place
names also occur in ordinary words. When several areas match, the most specific one (the deepest
in the `within` chain) wins, then the first in file order.
"""

from __future__ import annotations

from typing import Any

from bot.nlu.textnorm import fold

VOICES = ("parent", "child")


def _voice(audience: str | None) -> str:
    return audience if audience in VOICES else "parent"


def _padded(text: str) -> str:
    return f" {fold(text)} "


def _depth(entry: dict[str, Any], by_key: dict[str, dict[str, Any]]) -> int:
    depth, seen = 0, {entry["key"]}
    parent = entry.get("within") or ""
    while parent and parent in by_key and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = by_key[parent].get("within") or ""
    return depth


def _names(entry: dict[str, Any], cues: list[str]) -> list[str]:
    """The folded, space-padded phrases that point at `entry`."""
    phrases = [_padded(place) for place in entry.get("places") or []]
    for commune in entry.get("communes") or []:
        phrases += [_padded(f"{cue} {commune}") for cue in cues]
    return phrases


def local_help(text: str, contacts: dict[str, Any]) -> str | None:
    """The key of the local area `text` names ("quang-ngai", …), or None if it names none."""
    if not text or not text.strip():
        return None
    entries = contacts.get("local") or []
    by_key = {entry["key"]: entry for entry in entries}
    cues = [str(cue) for cue in contacts.get("local_cues") or []]
    message = _padded(text)
    best: tuple[int, int] | None = None
    best_key = None
    for order, entry in enumerate(entries):
        if any(phrase in message for phrase in _names(entry, cues)):
            rank = (-_depth(entry, by_key), order)
            if best is None or rank < best:
                best, best_key = rank, str(entry["key"])
    return best_key


def render_local_help(key: str, contacts: dict[str, Any], audience: str | None) -> str:
    """The local help text for area `key` in the person's voice ("parent" unless "child").

    Contacts without wording for the voice are left out; a phone number or web address is added
    only when contacts.yml has one. Raises KeyError for an unknown key.
    """
    voice = _voice(audience)
    frame = contacts["local_help"]
    entry = next((e for e in contacts.get("local") or [] if e["key"] == key), None)
    if entry is None:
        raise KeyError(key)
    pool = {c["id"]: c for c in contacts.get("local_contacts") or []}
    lines = []
    for contact_id in entry["contacts"]:
        contact = pool[contact_id]
        line = str(contact.get(voice) or "").strip()
        if not line:
            continue
        if str(contact.get("phone") or "").strip():
            line = frame["phone"][voice].format(line=line, phone=str(contact["phone"]).strip())
        if str(contact.get("url") or "").strip():
            line = frame["url"][voice].format(line=line, url=str(contact["url"]).strip())
        lines.append(frame["item"][voice].format(line=line))
    text = frame[voice].format(place=entry["name"], contacts="\n".join(lines))
    return str(text).strip()
