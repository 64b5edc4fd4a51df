"""The two urgent protocols: a child in danger now, and thoughts of self-harm.

The first reply is always the hotline: empathy, 111 (and 113 when someone may be in danger now) and
the one step that matters most, never a question or a menu first. The case is recorded for a
counsellor before the bot offers one; if recording fails the bot says so and gives 111 again.

A protocol continues: later messages are answered inside it (the next question, one counsellor
offer, then listening), never with its first reply again; an attempt under way (pills taken,
bleeding) gets 115 first in every message until the person says they are safe.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import safety_check_buttons
from actions.common import counsellors_on_duty, open_case, yes_no
from actions.turn import Turn
from bot.conversation.audience import is_adult
from bot.conversation.followups import Choice
from bot.language import is_english
from bot.local_help import local_help
from bot.nlu.textnorm import fold
from bot.runtime import services

# A child telling what happens to a friend ("bạn em bị…", "bạn em kể…"): a bystander.
_FOR_FRIEND = r"(?:cho )?(?:ban|nho ban|dua ban|ban than|con ban|thang ban)\b"  # "(cho) bạn em"
BYSTANDER = re.compile(
    r"\b(?:(?:ban|nho ban|dua ban|ban than|con ban|thang ban) (?:cua )?(?:em|minh|tui|t|tao|to)"
    r"|ban cung lop(?: (?:cua )?(?:em|minh|tui|t|tao|to))?"
    r"|(?:ban|nho|con ban|thang ban|ban nu|ban nam) (?:ay|do|nay|kia))"
    r"(?: \w+)? (?:bi|dang bi|ke|noi|nhan|bao|tam su|muon|doi|dang|post|viet|vua)\b"
    # "mình hỏi hộ bạn mình", "em hỏi giùm nhỏ bạn"
    rf"|\bhoi (?:ho|gium|dum|giup|thay) {_FOR_FRIEND}"
    # "là bạn t, bồ cũ nó gửi ảnh nó vô gr chat": it is a friend's story
    r"|(?:^ |\. |, )la (?:ban|ban than|nho ban|thang ban|con ban|dua ban)"
    r" (?:cua )?(?:em|minh|tui|t|tao|to)\b"
)
# Said earlier in the conversation ("em muốn hỏi giúp bạn em"), "hỏi cho bạn" too.
ASKS_FOR_A_FRIEND = re.compile(rf"\bhoi (?:giup|ho|gium|dum|thay|cho) {_FOR_FRIEND}")


# A friend named, and "nó" (he/she) doing the worrying thing: "thằng bạn thân… nó cho em hết đồ".
FRIEND = re.compile(
    r"\b(?:ban than|thang ban|con ban|nho ban|dua ban|ban cung lop|ban em|ban minh|ban tui|ban tao"
    r"|ban to|ban t|ban cua em|ban ay|ban do)\b"
)


# Someone else's words quoted from a post ("Quân đăng story nền đen, ghi «…»"), or a friend who does
# not answer ("tớ nhắn mà cậu ấy không trả lời"): the writer tells of another. Not when the writer
# posted it ("em đăng story ghi «…»"): the word before the post names who posted.
QUOTES_ANOTHER = re.compile(
    r"(?P<who>\w+) (?:dang|post|nhan|ghi)\b[^«“\"']{0,40}[«“\"']"
    r"|\b(?:lop|truong|nhom|ban) (?:em|to|minh|tui|t) (?:dang|post)\b[^«“\"]{0,40}[«“\"]"
    r"|\b(?:cau ay|ban ay|no|ban do) (?:khong|chua|van khong|van chua)"
    r" (?:tra loi|rep|nghe may|bat may)"
)
# the word before "đăng" when the writer posted it ("em vừa đăng", "mình đã đăng")
WRITER = frozenset({"em", "e", "minh", "to", "tui", "tao", "t", "toi", "con", "chau", "vua", "da"})


def about_a_friend(text: str) -> bool:
    """A child telling what a friend said or did (a bystander), not about themselves."""
    folded = f" {fold(text)} "
    if SELF.search(folded):
        return False
    return (
        bool(BYSTANDER.search(folded))
        or bool(FRIEND_HURTS_SELF.search(folded))
        or (bool(FRIEND.search(folded)) and " no " in folded)
        or any(m.group("who") not in WRITER for m in QUOTES_ANOTHER.finditer(folded))
    )


# "ko phai e dau, e ko phai nan nhan, la ban e": said once, it holds for the conversation.
NOT_ME = re.compile(
    r"\b(?:khong|chang) phai (?:la )?(?:em|minh|tui|tao|t|to)(?: dau)?\b.{0,40}?\bla (?:ban|nho ban"
    r"|thang ban|con ban|ban than|ban cung lop|em gai|em trai|anh trai|chi gai)\b"
    r"|\b(?:em|minh|tui|tao|t|to) (?:khong|chang) phai (?:la )?nan nhan\b"
)


def told_it_is_a_friend(turn: Turn) -> bool:
    """Whether the person said, in this message or an earlier one, that it is not about them."""
    texts = [str(e.get("text") or "") for e in turn.tracker.events if e.get("event") == "user"]
    return any(NOT_ME.search(f" {fold(t)} ") for t in [*texts, turn.text])


# The writer's own despair in the same message ("bạn em… còn em cũng muốn chết"): not a bystander.
# A friend's self-injury told by a bystander ("hình cổ tay bạn ấy cứa mấy đường chảy máu",
# multiturn14 m15): about the friend, whatever else the message says of the writer.
FRIEND_HURTS_SELF = re.compile(
    r"\b(?:ban ay|ban do|ban em|ban minh|ban to|nho ban|thang ban|con ban|ban cung lop)\b.{0,40}?"
    r"\b(?:cua tay|cua co tay|cua may duong|rach tay|cat tay|tu cua|tu rach|tu cat|tu lam dau"
    r"|tu hai|muon chet|tu tu|khong muon song)\b"
    r"|\b(?:co tay|tay|dui) (?:cua )?(?:ban ay|ban do|nho ban|thang ban|con ban)\b.{0,20}?"
    r"\b(?:cua|rach|cat)\b"
)
# A child telling of a parent's despair or attempt ("mẹ e dạo này buồn lắm, tối nào cũng khóc", "mẹ
# vừa vào phòng khóa cửa, trên bàn có mấy vỉ thuốc ngủ bóc hết": multiturn15 m10): the child is not
# the one at risk, and is told what a child can do for a parent (`content/self_harm.yml`).
PARENT_AT_RISK = re.compile(
    # the despair in the parent's own clause: no comma, no "em"/"con" doing something in between
    # ("mẹ em mắng em, em khóc hoài" is the child's)
    r"\b(?:me|bo|ba|ma|cha) (?:em|e|con|minh|to|tui|t)\b"
    r"(?:(?!\b(?:em|e|con|minh|to|tui|t)\b)[^,.!?;]){0,60}?"
    r"\b(?:muon chet|tu tu|khong muon song|thuoc ngu|uong thuoc|khoa cua|khoc|buon lam|tram cam"
    r"|doa tu tu|doi tu tu|cam dao|nhay)\b"
    r"|\b(?:me|bo|ba|ma) (?:vua |da |dang )?(?:vao phong khoa cua|uong het|uong thuoc ngu)\b"
)
PARENT_AT_RISK_NOW, PARENT_ATTEMPTING = "parent_at_risk", "parent_attempt"  # the `situation` slot
PARENT_ATTEMPT = re.compile(
    r"\b(?:thuoc ngu|vi thuoc|lo thuoc|uong het|uong thuoc|khoa cua|cam dao|goi khong thua"
    r"|goi k thua|goi ko thua|khong thua|bat tinh)\b"
)
SELF = re.compile(
    r"\b(?:em|minh|tui|tao|t) (?:cung |con |dang |)(?:muon chet|muon tu tu|khong muon song)"
)


def offer(turn: Turn, intent: str) -> None:
    """Offer a counsellor once: a person now if one is on duty, else a note for the next shift."""
    key = "offer" if counsellors_on_duty() else "offer_closed"
    turn.send(turn.content.protocol(intent, key, turn.role), yes_no(turn.content, "yes", "no"))
    turn.keep("pending", "counsellor")
    turn.keep("offered", True)


def offer_once(turn: Turn, intent: str) -> bool:
    """Offer a counsellor unless one was offered already or the person waits; True if offered."""
    if turn.slot("offered") or turn.waiting:
        return False
    offer(turn, intent)
    return True


def safety_buttons(turn: Turn) -> list[dict[str, str]]:
    """The "are you safe?" buttons in the reader's words: one's own safety, or the child's."""
    if is_adult(turn.role):
        return yes_no(turn.content, "safe_yes_parent", "safe_no_parent")
    return yes_no(turn.content, "safe_yes", "safe_no")


def variant(turn: Turn, intent: str, key: str, step: int) -> str:
    """The `step`-th of a protocol item's variants, skipping the one the person just read."""
    entry = (turn.content.urgent_danger if intent == "urgent_danger" else turn.content.self_harm)[
        key
    ]
    texts = [turn.content.pick(v, turn.role) for v in entry["variants"]]
    for i in range(len(texts)):
        text = texts[(step + i) % len(texts)]
        if not turn.said_before(text):
            return text
    return texts[0]


def is_attempt(turn: Turn) -> bool:
    """An attempt under way or just made, said now or earlier and not yet called safe."""
    return turn.content.self_harm_attempt(turn.text) or bool(turn.slot("attempt"))


def urgent_now(turn: Turn) -> bool:
    """Whether this message itself is urgent (rules or a strong detector score)."""
    safety = turn.tracker.latest_message.get("safety") or {}
    strong = safety.get("reason") == "rule" or float(safety.get("score") or 0.0) >= STRONG_SCORE
    return bool(safety.get("urgent")) and strong


WEAK = 0.8  # a self-harm reading below this (model and detector) is weak


def model_reads_despair_in_a_danger(turn: Turn) -> bool:
    """Inside a danger, a message only the model reads as despair: a question, or a weak reading.

    A parent's "tôi gọi 111 trước hay đưa cháu ra công an?", a child's "e goi roi, ho noi dang cho
    nguoi toi. gio e lam gi": the danger goes on. Words of suicide or an attempt start the
    self-harm protocol; so does a statement the model is sure of.
    """
    latest = turn.tracker.latest_message
    safety = latest.get("safety") or {}
    weak = (
        float((latest.get("intent") or {}).get("confidence") or 0.0) < WEAK
        and float(safety.get("score") or 0.0) < WEAK
    )
    return (
        turn.protocol == "urgent_danger"
        and not turn.payload
        and not said_self_harm(turn)
        and not turn.content.self_harm_attempt(turn.text)
        and (
            weak
            or turn.follow.is_question(turn.text)
            or turn.content.urgent_step(turn.text) is not None  # "tối nay mẹ em đi làm ca đêm"
            # a friend in a danger is about to pay ("ban ay dinh lay tien tiet kiem de chuyen")
            or turn.content.bystander_says("bystander_paying", turn.text)
        )
    )


def said_self_harm(turn: Turn) -> bool:
    """Whether a safety rule (words of suicide or self-injury) read this message, not the model."""
    safety = turn.tracker.latest_message.get("safety") or {}
    return safety.get("reason") == "rule"


# Steps that, named inside a running danger, continue it rather than start another situation.
CONTINUING_STEPS = ("pay_ransom", "no_wait", "police_here", "help_on_the_way")
STRONG_SCORE = 0.7  # the urgency detector's score that alone makes a message urgent (triage.py)
# Dangers that read like despair to the model but need the danger protocol (113 first).
NOT_SELF_HARM = ("missing", "abduction", "meeting", "kidnap_scam", "trafficking")


def in_english(turn: Turn) -> None:
    """A message in English: 111, 113 and 115 said in English first (the rest is Vietnamese)."""
    if is_english(turn.text):
        turn.send(turn.say("english_urgent"))


# The check-in's promise of an answer below, left out when nothing follows it.
ANSWER_BELOW = re.compile(r"\s*Câu trả lời cho [^.\n]*ở ngay dưới(?: đây)?\.")
LOW_SCORE = 0.1  # below, the detector reads nothing urgent (no self-harm message of the eval sets)


def only_the_model_worries(turn: Turn) -> bool:
    """A message inside a non-urgent topic that no self-harm words mark, only the model's reading.

    "có nên nói với cô chủ nhiệm không hay nói xong tụi nó càng cay em" after the bullying answer,
    "e ko muốn bị kiểm soát hết, e lớn r mà" in a chat about Family Link: asked directly about
    suicide, with 111 and a case for a counsellor, and then answered (`check_in`), not the
    protocol. However sure the model is: in the session-10 blind conversations its readings of
    despair without any words of it ("9h tối là khóa máy", "em lớn rồi mà") were all ordinary
    questions about a setting or an app.
    """
    safety = turn.tracker.latest_message.get("safety") or {}
    return (
        not turn.payload
        and safety.get("reason") in ("model", "detector")
        and turn.protocol is None
        # a first message too, from an adult whose question the model reads as a topic ("Con gái
        # tui 14 tuổi có tài khoản tiktok thứ hai… mặc đồ ngắn, ghi tên trường": multiturn14 m03)
        # (not when the words speak of despair: "con tôi dạo này buồn, mệt mỏi" is the protocol)
        and (
            turn.topic is not None
            or (
                is_adult(turn.role)
                and topic_guess(turn, FIRST_MESSAGE_GUESS) is not None
                and not turn.content.self_harm_distress(ADULT_SLEEPLESS.sub(" ", turn.text))
            )
        )
        and turn.topic not in ("urgent_danger", "self_harm")
        and not turn.content.self_harm_attempt(turn.text)
        and not turn.content.self_harm_danger_now(turn.text)
        and not had_self_harm_protocol(turn)
        and not about_a_friend(turn.text)  # a friend's farewell story: the bystander's protocol
    )


# An adult's own sleepless night over a child ("Khuya rồi mà tui hổng ngủ được"): worry, not despair
ADULT_SLEEPLESS = re.compile(
    r"\b(?:tôi|tui|mình|chị|anh|em|mẹ|bố|ba|má|bà|ông) (?:hổng|không|ko|chẳng|chưa) ngủ được\b"
    r"|\b(?:tôi|tui|mình|chị|anh|mẹ|bố|bà|ông) (?:mất ngủ|thức trắng)\b",
    re.IGNORECASE,
)
FIRST_TOPIC_GUESS = 0.3  # the model's topic guess, this sure, behind a reading of despair
FIRST_MESSAGE_GUESS = 0.5  # ... and this sure for a first message to be answered as that topic


def topic_guess(
    turn: Turn, sure: float = FIRST_TOPIC_GUESS, skip: tuple[str, ...] = ()
) -> str | None:
    """The model's first topic guess (`skip` aside), if it is at least `sure` of it."""
    for guess in turn.tracker.latest_message.get("intent_ranking") or []:
        name = str(guess.get("name") or "")
        if turn.content.has_topic(name) and name not in skip:
            return name if float(guess.get("confidence") or 0.0) >= sure else None
    return None


def had_self_harm_protocol(turn: Turn) -> bool:
    """Whether the self-harm protocol already began in this conversation.

    Then the model's despair inside a later topic is believed ("đùa thôi", the bullying answer,
    then "thật ra lúc nãy t ko đùa, t nghĩ đến chuyện đó mấy lần r"): the protocol again.
    """
    return turn.said_ever(turn.content.protocol("self_harm", "first", turn.role))


def check_in(turn: Turn) -> list[EventType]:
    """The direct question with 111 and Có/Không first, the case recorded, then the answer.

    When the urgency detector reads nothing at all (below `LOW_SCORE`: "bà nhập năm sinh của bà
    hay của cu Bin?"), only the model does: the gentler safety check with 111 instead. When an
    adult writes, or no words of one's own distress are there ("chị sợ lắm" about an ex-husband's
    posts, "nó đăng story xin tiền bạn em"), 111 comes first without the question about suicide
    (`check_in_gentle`): in the session-10 blind conversations every such direct question was a
    false alarm.
    """
    if turn.role in (None, "child") and FRIEND_HURTS_SELF.search(f" {fold(turn.text)} "):
        return self_harm_first(turn)  # a friend's cuts, told inside a topic: what a bystander does
    safety = turn.tracker.latest_message.get("safety") or {}
    first_topic = None if turn.topic is not None else topic_guess(turn)
    topic = str(turn.topic or first_topic)
    choice = (
        turn.decisive()  # "không chia sẻ cho 5 người thì ma đến nhà": the chain letter's answer
        or turn.in_topic()
        or turn.asked_topic_item()
        or turn.follow.closest(turn.text, topic, turn.shown)
        or (Choice("unknown", topic) if turn.follow.is_question(turn.text) else None)
    )
    if first_topic is not None and (choice is None or choice.kind != "item"):
        choice = Choice("answer", first_topic)  # a first message: its topic's answer

    def said(text: str) -> str:  # no "the answer is below" when no answer follows
        return text if choice is not None else ANSWER_BELOW.sub("", text).strip()

    asked = False
    if float(safety.get("score") or 0.0) < LOW_SCORE:
        check = said(turn.say("safety_check"))
        if turn.said_before(check):  # never the same check twice in a row (multiturn4 c12)
            check = said(turn.content.protocol("self_harm", "check_in_again", turn.role))
        turn.send(check, safety_check_buttons(turn.content))
    elif (
        is_adult(turn.role)
        or not turn.content.self_harm_distress(turn.text)
        or told_it_is_a_friend(turn)
    ):
        # "chị sợ lắm" about an ex-husband's posts, "nó đăng story xin tiền bạn em": no words of
        # one's own despair, or an adult about a child: 111 first, without asking about suicide;
        # a shorter line when the last reply began with it (never the same text twice in a row)
        gentle = turn.content.protocol("self_harm", "check_in_gentle", turn.role)
        if turn.said_before(said(gentle)):
            gentle = turn.content.protocol("self_harm", "check_in_again", turn.role)
        turn.send(said(gentle), safety_check_buttons(turn.content))
    else:
        turn.send(
            said(turn.content.protocol("self_harm", "check_in", turn.role)),
            yes_no(turn.content, "yes", "no"),
        )
        asked = True
    open_case(turn.tracker, "self_harm", "self_harm (check-in)", "self_harm", turn.role)
    # a remark ("thật ra em không phải mẹ, em là Na") asks nothing: the check-in alone
    if choice is not None and choice.kind == "answer":
        events = turn.topic_answer(choice.topic)
    else:
        events = turn.answer_choice(choice) if choice is not None else turn.events
    if asked:
        turn.keep("pending", "thoughts")  # "có" starts the protocol (actions/yes_no.py)
    return events


def self_harm_first(turn: Turn) -> list[EventType]:
    """The first reply: 115 first for an attempt, else empathy, "are you safe?", 111.

    A child worried about a friend ("bạn cùng lớp em đăng 'kiếp sau gặp lại'") gets what a
    bystander does now: wake an adult, call 111 about the friend, what to say.
    """
    in_english(turn)
    friend = about_a_friend(turn.text) or (
        told_it_is_a_friend(turn) and not SELF.search(f" {fold(turn.text)} ")
    )
    folded = f" {fold(turn.text)} "
    if turn.role in (None, "child") and PARENT_AT_RISK.search(folded) and not SELF.search(folded):
        return parent_at_risk_first(turn)
    if turn.role in (None, "child") and friend:
        turn.send(turn.content.say("bystander_self_harm", "child"))
        open_case(turn.tracker, "self_harm", "self_harm (a friend)", "self_harm", turn.role)
        turn.keep("protocol", "self_harm")
        turn.keep("protocol_step", 1.0)  # no "are you thinking of suicide?" to the bystander
        turn.keep("situation", "bystander")  # later replies are about the friend
        turn.keep("last_topic", "self_harm")
        return turn.events
    attempt = turn.content.self_harm_attempt(turn.text)
    key = "attempt" if attempt else "first"
    if key == "first" and had_self_harm_protocol(turn):
        key = "first_again"  # the protocol again in the same conversation: not the same text
    turn.send(turn.content.protocol("self_harm", key, turn.role), safety_buttons(turn))
    if not counsellors_on_duty():
        # at night nobody is on duty: said at once, with the adult at home to wake (and 115)
        turn.send(turn.content.protocol("self_harm", "nobody_on_duty", turn.role))
    saved = open_case(turn.tracker, "self_harm", "self_harm", "self_harm", turn.role)
    if not saved:
        turn.send(turn.content.protocol("self_harm", "not_recorded", turn.role))
    turn.keep("protocol", "self_harm")
    turn.keep("protocol_step", 0.0)
    turn.keep("attempt", attempt)
    turn.keep("last_topic", "self_harm")
    turn.keep("pending", "safety_check")
    return turn.events


def self_harm_question(turn: Turn) -> str | None:
    """The protocol's answer to a question it knows, unless the person just read it."""
    return turn.self_harm_answer()


FATHER = re.compile(r"\b(?:bo|ba|cha|tia) (?:em|e|con|minh|to|tui|t)\b")
MOTHER = re.compile(r"\b(?:me|ma|u) (?:em|e|con|minh|to|tui|t)\b")
_MOTHER_FATHER = re.compile(r"\b([Mm])ẹ\b|\b([Bb])ố\b")


def for_the_parent(turn: Turn, text: str) -> str:
    """A `parent_*` text (written about a mother) about the father when the child speaks of him.

    "bố em say cầm dao dọa tự tử": "mẹ" and "bố" change places ("nhắn cho mẹ: bố buồn lắm").
    """
    said = [str(e.get("text") or "") for e in turn.tracker.events if e.get("event") == "user"]
    for message in reversed([*said, turn.text]):
        folded = f" {fold(message)} "
        father, mother = FATHER.search(folded), MOTHER.search(folded)
        if father and not mother:
            break
        if mother:
            return text
    else:
        return text

    def swap(match: re.Match[str]) -> str:
        if match.group(1):
            return "Bố" if match.group(1) == "M" else "bố"
        return "Mẹ" if match.group(2) == "B" else "mẹ"

    return _MOTHER_FATHER.sub(swap, text)


def parent_at_risk_first(turn: Turn) -> list[EventType]:
    """A child whose parent may be about to take their life: 115 for an attempt, else an adult.

    The child is not asked "are you safe?", and no script for their own despair: they are told
    what a child can do for the parent, who to wake, and that it is not their fault.
    """
    attempt = bool(PARENT_ATTEMPT.search(f" {fold(turn.text)} "))
    key = "parent_attempt" if attempt else "parent_despair"
    turn.send(for_the_parent(turn, turn.content.protocol("self_harm", key, "child")),
              turn.person_buttons())  # fmt: skip
    open_case(turn.tracker, "self_harm", "self_harm (a parent)", "self_harm", turn.role)
    offer_once(turn, "self_harm")  # a person now, or, at night, the truth that nobody is on duty
    turn.keep("protocol", "self_harm")
    turn.keep("protocol_step", 1.0)
    turn.keep("situation", PARENT_ATTEMPTING if attempt else PARENT_AT_RISK_NOW)
    turn.keep("last_topic", "self_harm")
    turn.keep("attempt", False)
    return turn.events


def parent_at_risk_next(turn: Turn, step: int) -> list[EventType]:
    """A later message from a child whose parent is at risk, never about the child's own safety.

    The attempt's steps (told only now), the help on its way, not the child's fault, or the next
    of `parent_next`.
    """
    folded = f" {fold(turn.text)} "
    attempting = turn.slot("situation") == PARENT_ATTEMPTING
    keys = []
    if PARENT_ATTEMPT.search(folded) and not turn.said_ever(
        turn.content.protocol("self_harm", "parent_attempt", "child")
    ):
        keys.append("parent_attempt")  # the attempt told only now ("mẹ vừa khóa cửa, vỉ thuốc…")
        attempting = True
    found = [key for key in ("parent_not_your_fault", "parent_in_care", "parent_help_coming")
             if turn.content.self_harm_says(key, turn.text)]  # fmt: skip
    if "parent_in_care" in found:
        attempting = False  # the parent is with a doctor now
    for key in [*keys, *found]:
        text = for_the_parent(turn, turn.content.protocol("self_harm", key, "child"))
        if not turn.said_before(text):
            turn.send(text, turn.person_buttons())
            break
    else:
        # "e gọi bố k nghe máy" while the parent may be dying: the attempt's next steps, not the
        # everyday ones ("nhắn cho bố: mẹ buồn lắm")
        key = "parent_attempt_next" if attempting else "parent_next"
        text = for_the_parent(turn, variant(turn, "self_harm", key, step))
        turn.send(text, turn.person_buttons())
    turn.keep("situation", PARENT_ATTEMPTING if attempting else PARENT_AT_RISK_NOW)
    turn.keep("protocol_step", float(step + 1))
    return turn.events


def self_harm_next(turn: Turn) -> list[EventType]:
    """A later message in the self-harm protocol.

    115 while an attempt may be under way; else the plain question, one counsellor offer, then
    listening.
    """
    step = int(turn.slot("protocol_step") or 0)
    open_case(turn.tracker, "self_harm", "self_harm", "self_harm", turn.role)
    if turn.slot("situation") in (PARENT_AT_RISK_NOW, PARENT_ATTEMPTING):
        return parent_at_risk_next(turn, step)
    if turn.content.self_harm_in_care(turn.text):
        # "đang trên xe cấp cứu rồi": in a doctor's hands; what to do and say next
        turn.send(turn.content.protocol("self_harm", "in_care", turn.role))
        turn.keep("attempt", False)
        return turn.events
    if turn.slot("attempt") and turn.content.self_harm_ok(turn.text):
        # "em ổn rồi" after pills: glad, and a doctor still has to check (115)
        turn.send(turn.content.protocol("self_harm", "attempt_ok", turn.role), safety_buttons(turn))
        turn.keep("pending", "safety_check")
        return turn.events
    if is_attempt(turn):
        key = "attempt_again" if turn.slot("attempt") else "attempt"
        text = turn.content.protocol("self_harm", key, turn.role)
        if turn.said_before(text):
            text = turn.content.protocol("self_harm", "attempt", turn.role)
        turn.send(text, safety_buttons(turn))
        if (asked := self_harm_question(turn)) is not None:
            # 115 first, then what was asked: "Bé xin tôi đừng gọi cho mẹ. Tôi có phải báo
            # không?" (multiturn16 m16) is answered, not only met with "have you called 115?"
            turn.send(asked)
        turn.keep("attempt", True)
        turn.keep("pending", "safety_check")
        return turn.events
    if (
        turn.slot("situation") != "bystander"
        and turn.role in (None, "child")
        and urgent_now(turn)
        and about_a_friend(turn.text)
    ):
        # a friend now at risk, told inside the child's own protocol ("thang Phuc trong nhom nhan
        # 'tao cung muon lam vay, toi nay' roi out nhom": multiturn17 m20): what a bystander does
        return self_harm_first(turn)
    if turn.slot("situation") == "bystander":
        question = turn.follow.is_question(turn.text)
        found = turn.content.self_harm_question(turn.text, asked=question, bystander=True)
        answer = turn.content.self_harm_answer(found, turn.role) if found else None
        if answer is not None and not turn.said_before(answer):
            # "nó rep 'ko sao đâu, ngủ đi'… ổn r hả?": not the same as safe; tell an adult tonight
            turn.send(answer)
        elif not offer_once(turn, "self_harm"):
            turn.send(variant(turn, "self_harm", "bystander_next", step))
        turn.keep("protocol_step", float(step + 1))
        return turn.events
    unsafe = turn.content.protocol("self_harm", "unsafe", turn.role)
    danger = turn.content.protocol("self_harm", "danger_now", turn.role)
    better = turn.content.protocol("self_harm", "better", turn.role)
    if (
        turn.content.self_harm_better(turn.text)
        and not said_self_harm(turn)
        and not turn.content.self_harm_means(turn.text)
        and not turn.said_before(better)
    ):
        # "Dạ em cảm ơn, em thấy đỡ hơn rồi": glad, it may come back, 111; not "call 111 now"
        turn.send(better)
    elif turn.content.self_harm_danger_now(turn.text) and not turn.said_before(danger):
        # "t dang o tren san thuong": leave that place, people, 111/113/115, before anything else
        turn.send(danger, safety_buttons(turn))
        turn.keep("pending", "safety_check")
    elif turn.content.self_harm_means(turn.text) and not turn.said_before(
        means := turn.content.protocol("self_harm", "means_at_hand", turn.role)
    ):
        # "em vừa lấy dao rọc giấy ra" at 1 a.m.: put it down, go to a person, 115/111
        turn.send(means, safety_buttons(turn))
        turn.keep("pending", "safety_check")
    elif (asked := self_harm_question(turn)) is not None:
        # "Tôi có nên đánh thức nó dậy hỏi luôn không?", "Sáng mai tôi nói gì với nó?": answered
        turn.send(asked)
    elif urgent_now(turn) and not turn.said_before(unsafe):
        # the danger grows mid-conversation ("em đang đứng trên sân thượng"): 111 now, not listening
        turn.send(unsafe, safety_buttons(turn))
        turn.keep("pending", "safety_check")
    elif step == 0:
        turn.send(
            turn.content.protocol("self_harm", "ask", turn.role), yes_no(turn.content, "yes", "no")
        )
        turn.keep("pending", "thoughts")  # "có"/"không" now answers the plain question
    elif not offer_once(turn, "self_harm"):
        turn.send(variant(turn, "self_harm", "listen", step))
    turn.keep("protocol_step", float(step + 1))
    return turn.events


# Dangers whose own first step comes before what a professional told of a child must do (the
# teacher's disclosure script): a girl about to be taken away to be married (multiturn16 m18), a
# child missing, held or unconscious
ACT_FIRST = ("child_marriage", "trafficking", "missing", "abduction", "unconscious", "kidnap_scam")


def urgent_first(turn: Turn, situation: str) -> list[EventType]:
    """The first reply to a danger: 111 (113 where it leads), the most important step, the case."""
    in_english(turn)
    content = turn.content
    text = content.urgent_first(situation, turn.role)
    told = content.say("teacher_disclosure", turn.role)
    bystander = turn.role in (None, "child") and (
        about_a_friend(turn.text)
        or turn.slot("situation") == "bystander"
        or asked_for_a_friend(turn)
    )
    if turn.role == "teacher" and situation not in ACT_FIRST and not turn.said_ever(told):
        text = told
    elif bystander:
        text = content.say("bystander", "child")
    turn.send(text)
    if bystander and (tell := content.urgent_for_a_friend(situation, "child")) is not None:
        turn.send(tell)  # a friend sextorted: "đừng chuyển tiền, đừng gửi thêm ảnh", now
    saved = open_urgent_case(turn, situation)
    turn.keep("protocol", "urgent_danger")
    # a friend's danger: later replies are about the friend ("em là bạn của nó thôi, em làm gì
    # được đâu"), never the victim's "stay in a locked room"
    turn.keep("situation", "bystander" if bystander else situation)
    turn.keep("protocol_step", 0.0)
    topic = content.situation_topic(situation)
    # an unnamed danger keeps the topic the conversation was in, so that its follow-ups still
    # answer ("nói thẳng với anh ta được không?" after a coach's grooming disclosure)
    turn.keep("last_topic", topic or turn.topic or "urgent_danger")
    turn.keep("shown", [])
    if not saved:
        turn.send(content.protocol("urgent_danger", "not_recorded", turn.role))
        turn.keep("pending", None)
        return turn.events
    general = situation == "general" and not bystander
    # a subject of its own that only the model reads as a danger ("h tk e có tiền vô ra lung tung"
    # after renting out a bank account, "fb của mẹ" after her death): 111 first, then its answer
    # (whatever situation its words name: "có người trên telegram rủ em cho thuê tài khoản ngân
    # hàng" names a meeting by "rủ em")
    decisive = turn.decisive() if not bystander and model_only(turn) else None
    asked = asked_topic(turn) if general and decisive is None else None
    named = decisive or (followup_named(turn) if general and asked is None else None)
    if general and asked is None and named is None:
        named = followup_cued(turn)  # "1 đứa rủ video call. t nhận r": the call's own follow-up
    if named is not None:
        # only the model reads a danger in a follow-up of the topic under way ("Phụ huynh mấy em
        # đó có phải được báo không?" from a teacher): 111 first, then the follow-up it names
        turn.send(content.say("answer_too", turn.role))
        turn.answer_choice(named)
        offer_once(turn, "urgent_danger")
        return turn.events
    if asked is not None:
        # only the model reads a danger the words do not name ("cái zalo của nó bị lấy mất, nó
        # nhắn cho cả họ hàng vay tiền"): 111 first, then the question, in case nobody is in danger
        choice = turn.follow.choose(turn.text, asked)
        item = choice.item if choice is not None and choice.kind == "item" else None
        item_text = content.followup(asked, item, turn.role) if item else None
        answer: str | None = item_text or content.answer(asked, turn.role)
        if answer is not None and turn.said_ever(answer):
            # "Như thế có phải là nghiện không?" after the screen-time answer: never that answer
            # again; the topic's next follow-up the person has not read, if any
            unread = (
                other
                for key, _ in content.followups(asked)
                if (other := content.followup(asked, key, turn.role)) is not None
                and not turn.said_ever(other)
            )
            answer = next(unread, None)
        if answer is not None:
            turn.send(content.say("answer_too", turn.role))
            turn.send(answer)
        turn.keep("last_topic", asked)
    offer_once(turn, "urgent_danger")
    return turn.events


ASKED_TOPIC = 0.3  # the model's best topic guess, this sure, behind a danger no words name


def model_only(turn: Turn) -> bool:
    """Whether only the model or the urgency detector read a danger (no rule)."""
    safety = turn.tracker.latest_message.get("safety") or {}
    return safety.get("reason") in ("model", "detector") and not turn.payload


def followup_named(turn: Turn) -> Choice | None:
    """A follow-up of the topic under way the message names, when only the model reads danger."""
    if not model_only(turn):
        return None
    if turn.topic is None or turn.topic in ("urgent_danger", "self_harm"):
        return None
    choice = turn.in_topic()
    return choice if choice is not None and choice.kind == "item" and choice.strength == 2 else None


def followup_cued(turn: Turn) -> Choice | None:
    """The follow-up of any topic whose own words the message uses (model's guesses first).

    Only when the model or the detector alone reads a danger that no situation names.
    """
    if not model_only(turn):
        return None
    return turn.follow.any_item(turn.text, turn.ranked_topics())


def asked_topic(turn: Turn) -> str | None:
    """The topic a message asks about, when only the model or the detector reads a danger in it."""
    if not model_only(turn):
        return None
    return topic_guess(turn, ASKED_TOPIC, skip=("ask_capabilities", "ask_anonymity"))


def open_urgent_case(turn: Turn, situation: str) -> bool:
    """Record (or update) the urgent case before anything is offered."""
    return open_case(turn.tracker, "urgent_danger", situation, "urgent_danger", turn.role)


def asked_for_a_friend(turn: Turn) -> bool:
    """Whether the person said earlier that they ask for a friend ("em muốn hỏi giúp bạn em")."""
    said = [str(e.get("text") or "") for e in turn.tracker.events if e.get("event") == "user"]
    return any(ASKS_FOR_A_FRIEND.search(f" {fold(text)} ") for text in said)


def urgent_next(turn: Turn) -> list[EventType]:
    """A later message in the danger protocol: listening with 111/113, not the first reply again."""
    step = int(turn.slot("protocol_step") or 0)
    situation = str(turn.slot("situation") or "general")
    # a missing child back home: what to do now (gently, a doctor if hurt), not the police's relief
    safe = turn.content.protocol(
        "urgent_danger", "returned" if situation == "missing" else "safe_now", turn.role
    )
    # "công an đến rồi, mẹ cháu cũng tới. Cảm ơn bạn": relief and what comes next
    now_safe = turn.says_child_is_safe() and not turn.said_ever(safe)
    if turn.waiting and not urgent_now(turn) and not now_safe:
        return turn.while_waiting()  # "bao lâu thì có người trả lời?": to the case
    open_urgent_case(turn, situation)  # an urgent message while waiting goes to the case here
    if (now := turn.danger_at_the_door()) is not None:
        return now
    if (reached := scam_child_reached(turn)) is not None:
        return reached
    if now_safe:
        if turn.waiting:
            turn.record("message while waiting")  # "con chị về rồi": the counsellor must know
        turn.send(safe)
        turn.keep("protocol_step", float(step + 1))
        return turn.events
    more = turn.content.urgent_more(situation, turn.role)
    if (
        situation not in ("general", "bystander")
        and more
        and not turn.said_ever(more)
        and not turn.follow.is_question(turn.text)
        and turn.situation() == situation
        and turn.content.urgent_step(turn.text) is None  # "mẹ em bị đứt tay chảy máu": 115 first
    ):
        # news of the same danger, told not asked ("tin mới nhất: mai không nộp đủ thì ra cổng sau
        # ăn đập… sáng nay nó xin nghỉ học"): the danger's next steps before any topic's follow-up
        turn.send(more)
        offer_once(turn, "urgent_danger")
        turn.keep("protocol_step", float(step + 1))
        return turn.events
    if (done := turn.protocol_answer(strong=True)) is not None:
        return done  # wake a parent now, 111, a follow-up its words name ("có nên chuyển tiền?")
    if situation == "bystander":
        if (told := bystander_told(turn)) is not None:
            turn.send(told)  # "mẹ nó đang ở cạnh nó", "có phải tại e ko": answered, not a variant
        elif not offer_once(turn, "urgent_danger"):
            turn.send(variant(turn, "urgent_danger", "bystander_next", step))
        turn.keep("protocol_step", float(step + 1))
        return turn.events
    if more and not turn.said_ever(more):
        turn.send(more)  # the next steps for this danger, before any general follow-up
        offer_once(turn, "urgent_danger")
    elif (done := turn.protocol_answer()) is not None:
        return done
    elif not offer_once(turn, "urgent_danger"):
        turn.send(variant(turn, "urgent_danger", "listen", step))
    turn.keep("protocol_step", float(step + 1))
    return turn.events


def bystander_told(turn: Turn) -> str | None:
    """A bystander's news (the friend is about to pay, or has an adult now; self-blame): its reply.

    None when the message says none of these, or its reply was already sent.
    """
    for key in ("bystander_paying", "bystander_friend_safe", "bystander_self_blame"):
        reply = turn.content.protocol("urgent_danger", key, turn.role)
        if turn.content.bystander_says(key, turn.text) and not turn.said_ever(reply):
            return reply
    return None


def hotline_first(turn: Turn) -> None:
    """An urgent message's first reply names 111 before anything it asks (non-negotiable 1).

    Inside a protocol, a step or a follow-up ("dì đọc giúp cháu 6 số với": the one-time-code
    answer) may be what the message needs, but it may not carry 111 in its first lines, or may
    quote a question ("Con đang mệt lắm phải không?") before it: one short line of 111 goes first.
    """
    messages = turn.dispatcher.messages
    if not messages:
        return
    first = str(messages[0].get("text") or "")
    hotline, asks = first.find("111"), first.find("?")
    if hotline == -1 or -1 < asks < hotline:
        messages[0]["text"] = turn.personal(turn.say("hotline_first")) + "\n" + first


def scam_child_reached(turn: Turn) -> list[EventType] | None:
    """After a fake-police or ransom call, the child reached and fine: a scam, and what now.

    "Tôi gọi cô giáo rồi, cô bảo cháu đang ngồi học trong lớp": not the steps of a search, asked or
    told ("… không sao cả" reads as a question).
    """
    reached = turn.content.protocol("urgent_danger", "scam_child_safe", turn.role)
    if (
        turn.protocol == "urgent_danger"
        and turn.slot("situation") in ("kidnap_scam", "abduction")
        and turn.content.scam_child_safe(turn.text)
        and not turn.said_ever(reached)
    ):
        turn.send(reached)
        turn.keep("protocol_step", float(int(turn.slot("protocol_step") or 0) + 1))
        return turn.events
    return None


def deletion(turn: Turn) -> list[EventType]:
    """A request to delete one's data: what is kept, and the confirmation (actions/answer.py)."""
    from actions.answer import ask_deletion

    return turn.events + ask_deletion(turn.dispatcher, turn.content, turn.role)


def continue_protocol(turn: Turn) -> list[EventType]:
    """The next reply of the protocol under way."""
    if turn.protocol == "self_harm":
        return self_harm_next(turn)
    return urgent_next(turn)


class ActionUrgent(Action):
    """urgent_danger: 111 first, the most important step, record the case, offer a counsellor."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_urgent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Run the protocol for the latest message (a new situation starts it again)."""
        turn = Turn(dispatcher, tracker, services().content)
        events = self.respond(turn)
        hotline_first(turn)
        return events

    @staticmethod
    def respond(turn: Turn) -> list[EventType]:
        """The protocol's reply to the latest message."""
        turn.in_crisis_as_a_child()
        if turn.asks_deletion() and not urgent_now(turn):
            return deletion(turn)  # "xóa hết dữ liệu của em đi", read by the model as a danger
        situation = turn.situation()
        if (
            situation == "general"
            and not said_self_harm(turn)
            and (done := turn.in_protocol_kidding()) is not None
        ):
            return done  # "đùa thôi, test bot" after "sos": no rule reads danger in it
        if (
            turn.protocol == "self_harm"
            and situation == "general"
            and not turn.payload
            and (turn.slot("attempt") or not said_self_harm(turn))
        ):
            # the self-harm protocol goes on (115 while needed); a danger a rule reads ("11h đêm
            # nay anh kia về đón ở đầu ngõ") starts the danger protocol instead
            return self_harm_next(turn)
        step = turn.content.urgent_step(turn.text)  # one of the danger's steps the words name
        if (
            not turn.payload
            and not turn.waiting
            # someone bleeding is 115 whatever rule reads the message ("đầu nó chảy máu quá
            # trời… ói hai lần": multiturn15 m03)
            and (not said_self_harm(turn) or step == "someone_bleeding")
            and (done := turn.danger_step()) is not None
        ):
            # "tôi có nên chạy xe qua đón cháu về nhà tôi?", read as a danger by the model alone,
            # names one of the danger's steps and no new danger (no rule read one)
            return done
        told = turn.slot("situation")
        # a step of the danger already told ("Thế bà có chuyển tiền không cháu, họ dọa không chuyển
        # thì nó bị làm sao?" inside a ransom call: multiturn17 m15) continues it, whatever other
        # situation the rules read in its words ("dọa": a threat)
        step_of_told = told not in (None, "general") and step in CONTINUING_STEPS
        same = turn.protocol == "urgent_danger" and (
            situation in (told, "general") or told == "bystander" or step_of_told
        )
        events = urgent_next(turn) if same and not turn.payload else urgent_first(turn, situation)
        place = local_help(turn.text, turn.content.contacts)
        if place:
            turn.offer_local_help(place)
        return events


class ActionSelfHarm(Action):
    """self_harm: empathy, are you safe right now, 111, stay; record the case."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_self_harm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Start the protocol, or continue it when it is under way."""
        turn = Turn(dispatcher, tracker, services().content)
        events = self.respond(turn)
        hotline_first(turn)
        return events

    @staticmethod
    def respond(turn: Turn) -> list[EventType]:
        """The protocol's reply to the latest message."""
        turn.in_crisis_as_a_child()
        if turn.asks_deletion() and not urgent_now(turn):
            return deletion(turn)
        situation = turn.situation()
        if situation in NOT_SELF_HARM and not turn.content.self_harm_attempt(turn.text):
            return urgent_first(turn, situation)  # "con bỏ nhà đi theo người lạ": 113 first
        if model_reads_despair_in_a_danger(turn):
            return urgent_next(turn)  # the danger goes on
        if turn.protocol == "self_harm" and not turn.payload:
            return self_harm_next(turn)
        if only_the_model_worries(turn):
            return check_in(turn)
        return self_harm_first(turn)
