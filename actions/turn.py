"""One turn of the conversation: the state the slots keep, and what to say next given that state.

Every non-urgent action (`action_answer`, `action_yes_no`, `action_request_human`) hands the turn
to `Turn`, so a message is read in its context whatever intent the NLU gave it:
- while the person waits for a counsellor, their message goes to the case and is acknowledged
  honestly (a clear topic question is still answered);
- inside a protocol (self-harm, danger), a message continues the protocol instead of opening a
  menu, unless it asks a follow-up of the protocol's topic ("có nên chuyển tiền không?");
- after a topic answer, a follow-up is answered inside the topic, and only a clear change of
  subject leaves it;
- no reply is sent twice in a row: a repeated question gets an honest "I don't know this" with the
  next step (a person, 111).
Urgency is decided before any of this, on every message (bot/nlu/triage.py → the urgent actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, cast

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    always_buttons,
    button,
    claim_timeout_minutes,
    counsellors_on_duty,
    open_case,
    opening_hours,
    text_of,
)
from bot.content import Content, address
from bot.conversation.apps import unknown_app
from bot.conversation.audience import SCORE_LIMIT, Audience, is_adult, read_message
from bot.conversation.followups import Choice, Followups
from bot.conversation.honorific import (
    PEER,
    as_peer,
    honorific,
    peer_requested,
    personal,
    requested,
    role_of,
)
from bot.conversation.retrieval import Retriever
from bot.language import asks_if_human_in_english, is_english
from bot.local_help import local_help, render_local_help
from bot.nlu.clauses import sentences
from bot.nlu.textnorm import fold, normalize_text

CLARIFY_BELOW = 0.45  # below: "Có phải bạn đang hỏi về …?" (README, "Low confidence")
CONFIDENT = 0.8  # a topic this sure leaves the current topic or protocol
STAYS_BELOW = 0.6  # a new topic less sure than this yields to a follow-up of the current one
MAX_ITEM_BUTTONS = 4
ONLY_LINK = re.compile(r"(https?://|www\.)\S+")
ASK_AS = "/ask_capabilities"  # a voice button after a neutral greeting: what we help with, in it
ASKS_111 = re.compile(r"(?<!\d)111(?!\d)")
OUT_OF_SCOPE_SURE = 0.7  # below, "out of scope" asks which topic was meant instead of refusing
LEAVES_PROTOCOL = 0.95  # a topic this sure ends a protocol (not small talk or a question about us)
META_TOPICS = ("ask_anonymity", "ask_capabilities")
# Topics no question inside a named danger is about (the model's guesses there are noise).
EVERYDAY_TOPICS = ("ask_screen_time", "ask_parental_controls", "ask_digital_skills",
                   "ask_fake_news")  # fmt: skip
ROLE_ITEMS = {"teacher": "teacher"}  # a follow-up written for a role, offered to it first
# The question words that make a declaration of who is writing a question too ("bà có nên gọi nói
# không"); "chứ không phải mẹ" is not one of them.
ASKS_HOW = re.compile(
    r"\b(lam sao|co nen|the nao|ra sao|o dau|duoc khong|duoc ko|bao lau|tai sao|vi sao|lam gi)\b"
)
# Words of hurting oneself: bleeding with them is the self-harm protocol's, without them an injury.
SELF_INJURY = re.compile(r"\b(?:tu|rach|cua|cat tay|cat co tay|uong thuoc|thuoc ngu|dao lam)\b")
ROLE_NOTE_WORDS = 20  # a declaration of who is writing this short is only that
REQUEST_WORDS = 14  # a request to be called chị this short is only that (multiturn15's longest: 13)
RANKED_TOPICS = 3  # inside a protocol, a follow-up of one of the NLU's top guesses is answered
MIN_GUESS = 0.05
GUESS_IN_GENERAL = 0.3  # a question in a danger the bot could not name: its topic, this sure
GUESS_IN_NAMED = 0.6  # the same in a named danger
SMALL_TALK = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope",
              "ask_capabilities", "request_human")  # fmt: skip
PROTOCOLS = ("urgent_danger", "self_harm")
OPENINGS = ("greet", "thank", "goodbye")  # a long message read as one of these says more
LONG_OPENING = 10  # words
MIN_NEXT_GUESS = 0.05
# Talking *to* an app, an AI or a character ("bạn em chơi app nói chuyện với AI"): a question about
# the app, never a request for one of our counsellors (folded; "AI" is "trí tuệ nhân tạo" by then)
# ... and only when an app or a character is named: "em đang nói chuyện với AI hay người thật?" asks
# about us
AN_APP = re.compile(r"\b(app|ung dung|nhan vat|ban trai ao|ban gai ao|nguoi yeu ao|character)\b")
NOT_WANTED = re.compile(r"\b(khong|ko|k|chang|chu khong|dung|khoi)\b")
TALKS_TO_A_MACHINE = re.compile(
    r"\b(noi chuyen|chat|tam su|tro chuyen|nhan tin) (voi|vs|cung) (tri tue nhan tao|nhan vat|app"
    r"|ung dung|ban trai ao|ban gai ao|nguoi yeu ao)\b"
)
# Words that ask about the one answering ("bạn là bot à", "có người thật không"): inside a
# protocol the model's "bot challenge" is believed only with one of them ("nó block bạn ấy rồi, chắc
# ổn rồi đúng ko cậu" is about the friend, not about us).
ABOUT_A_BOT = re.compile(
    r"\b(bot|robot|chatbot|chat bot|la may|voi may|vs may|may tra loi|may a|may ha|tu dong"
    r"|nguoi that|nguoi hay|tri tue nhan tao|chatgpt|gpt|ai vay|ai day|ai the|la ai"
    r"|(?:ban|cau|anh|chi|em|may) la (?:ai|nguoi|may|bot|robot)|real|human|person)\b"
)
RETRIEVED_MIN = 0.22  # the second pass's least score (bot/conversation/retrieval.py)
RETRIEVED_LEAD = 1.15  # and how far ahead of the next one it must be
# Deleting one's data, not a photo or an account: "/xoa", "xóa dữ liệu", "xóa hết cuộc trò chuyện".
DELETE_PHRASES = ("xoa du lieu", "xoa het du lieu", "xoa thong tin cua toi", "xoa thong tin cua em",
                  "xoa thong tin cua minh", "xoa cuoc tro chuyen", "xoa het tin nhan o day",
                  "xoa lich su chat", "xoa het cuoc", "delete my data")  # fmt: skip
# "Xoá hết đi.", "xóa giúp tôi luôn": deleting, nothing named (our records, after ask_anonymity).
BARE_DELETE = re.compile(
    r"^\s*(?:(?:vay|the|thoi|ok|oke|da|vang) )?xoa(?: (?:het|di|luon|giup|ho|dum|gium|nhe|nha"
    r"|ngay|cho|toi|em|minh|tui|tat ca))*\s*[.!]*\s*$"
)
# Words that make a question about the bot's own records (ask_anonymity) rather than the topic's.
ABOUT_US = ("du lieu", "luu", "an danh", "bi mat", "ai doc", "ai se doc", "ai biet", "dong hanh",
            "bot", "tu van vien", "ten that", "so dien thoai", "gui day", "nhan day", "gui o day",
            "nhan o day")  # fmt: skip
# ... but "app đó có lưu tin nhắn không" asks about another app, unless it names us
ANOTHER_APP = re.compile(r" (?:app|ung dung|game|trang|web) (?:do|day|kia|ay|nay) ")
US_BY_NAME = ("dong hanh", "bot", "tu van vien")
# Children in the Centre and the South say "ba mẹ" (or "ba má"): answered in their words.
FIRST_PERSON = re.compile(r" (?:minh|to|em|e|tui|tao|t) ")
ABOUT_ONES_CHILD = re.compile(r" (?:con|chau|be) (?:gai |trai )?(?:toi|tui|minh|em|nha|cua) ")
BA_ME = re.compile(r"\bba (mẹ|má|me|ma)\b|\btía\b")
BO_ME = re.compile(r"\b[Bb]ố mẹ\b")


_BUILT: dict[tuple[str, int], tuple[Content, Any]] = {}


def _once(kind: str, content: Content, build: Callable[[Content], Any]) -> Any:
    """What `build` makes of a content, built once per content object."""
    found = _BUILT.get((kind, id(content)))
    if found is None or found[0] is not content:
        found = (content, build(content))
        _BUILT[(kind, id(content))] = found
    return found[1]


def retriever_of(content: Content) -> Retriever:
    """The follow-up retriever of a content (built once per content object)."""
    return cast(Retriever, _once("retriever", content, lambda c: Retriever(c.topics)))


def followups_of(content: Content) -> Followups:
    """The follow-up matcher of a content (built once per content object)."""

    def build(c: Content) -> Followups:
        return Followups(c.topics, c.dialogue, c.platforms)

    return cast(Followups, _once("followups", content, build))


def previous_replies(tracker: Tracker) -> list[str]:
    """The bot's texts of the previous turn (what the person just read)."""
    texts: list[str] = []
    users = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                break
        elif kind == "bot" and users == 1 and event.get("text"):
            texts.append(str(event["text"]))
    return texts


@dataclass
class Turn:
    """The state of the conversation and the replies of this turn."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    content: Content
    events: list[EventType] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Read the message and the slots; settle who is writing."""
        latest = self.tracker.latest_message or {}
        intent = latest.get("intent") or {}
        self.intent = str(intent.get("name") or "out_of_scope")
        self.confidence = float(intent.get("confidence") or 0.0)
        self.text = text_of(self.tracker)
        self.follow = followups_of(self.content)
        if self.intent in OPENINGS and len(self.text.split()) > LONG_OPENING:
            # "Em chào anh chị. Em 20 tuổi… Em muốn gặp người tư vấn": more than a greeting
            guess = self.next_guess(
                latest, lambda n: n == "request_human" or self.content.has_topic(n)
            )
            if guess is not None:
                self.intent, self.confidence = guess
            if self.follow.asks_for_a_person(self.text):
                self.intent = "request_human"
        # the follow-up that names the app a message asks about, answered first (`typed`)
        self.app_item: Choice | None = None
        if (
            (
                self.intent in ("request_human", "bot_challenge")
                or self.content.has_topic(self.intent)
            )
            and (machine := TALKS_TO_A_MACHINE.search(folded := fold(self.text))) is not None
            and AN_APP.search(folded)
            and not NOT_WANTED.search(folded[: machine.start()])  # "ko muốn chat với AI nữa"
            and not self.follow.asks_for_a_person(self.text)
        ):
            self.app_item = self.follow.longest_item(self.text)
            if (guess := self.app_topic(latest)) is not None:
                self.intent, self.confidence = guess
        self.payload = self.text.startswith("/")
        self.previous = previous_replies(self.tracker)
        self.sent: list[str] = []
        self.audience = self._audience()
        self.says_ba_me = bool(self.slot("ba_me")) or bool(BA_ME.search(normalize_text(self.text)))
        if self.says_ba_me and not self.slot("ba_me"):
            self.events.append(SlotSet("ba_me", True))
        self.events += [
            SlotSet("audience", self.audience.role),
            SlotSet("audience_fixed", self.audience.fixed),
            SlotSet("audience_score", self.audience.score),
        ]
        said = (
            None if self.payload else (PEER if peer_requested(self.text) else honorific(self.text))
        )
        if said and said != self.slot("honorific"):
            self.events.append(SlotSet("honorific", said))
        self.term = said or self.slot("honorific")
        # "gọi cô là cô nhé", "gọi tôi là ông": an adult, for the rest of the conversation, whatever
        # "em" they call the bot ("Cảm ơn em, cô sẽ nói chuyện với cháu": multiturn15)
        self.asked_term = None if self.payload else requested(self.text)
        if said == PEER:
            self.asked_term = PEER  # acknowledged like any other request (`typed`); a child still
        elif self.asked_term and not (self.audience.fixed and is_adult(self.role)):
            role = role_of(self.asked_term) or (self.role if is_adult(self.role) else "parent")
            self.audience = Audience(role, True, SCORE_LIMIT)
            self.events += [SlotSet("audience", role), SlotSet("audience_fixed", True),
                            SlotSet("audience_score", SCORE_LIMIT)]  # fmt: skip

    # State ----------------------------------------------------------------------------------------
    def slot(self, name: str) -> Any:
        """A slot's value as the turn began."""
        return self.tracker.get_slot(name)

    @property
    def role(self) -> str | None:
        """Who is writing: parent, grandparent, teacher, child (None: not known yet)."""
        return self.audience.role

    @property
    def topic(self) -> str | None:
        """The topic of the conversation, if it is one with content."""
        topic = self.slot("last_topic")
        return str(topic) if self.content.has_topic(topic) else None

    @property
    def shown(self) -> list[str]:
        """What of the current topic the person has read."""
        return list(self.slot("shown") or [])

    @property
    def waiting(self) -> bool:
        """Whether the person waits for a counsellor."""
        return bool(self.slot("waiting"))

    @property
    def protocol(self) -> str | None:
        """The urgent protocol under way, if any."""
        value = self.slot("protocol")
        return str(value) if value in PROTOCOLS else None

    def entity(self, name: str) -> str | None:
        """The first value of an entity in the latest message."""
        value = next(self.tracker.get_latest_entity_values(name), None)
        return str(value) if value is not None else None

    def _audience(self) -> Audience:
        before = Audience(self.slot("audience"), bool(self.slot("audience_fixed")),
                          float(self.slot("audience_score") or 0.0))  # fmt: skip
        chosen = self.entity("audience")
        if chosen in ("parent", "child", "grandparent", "teacher", "adult"):
            return before.chosen(str(chosen))
        if self.payload:
            return before
        return before.after(read_message(self.text))

    def in_crisis_as_a_child(self) -> None:
        """An unknown writer in a crisis who speaks of themself is answered as "em", not a parent.

        "tiktok cứ đề xuất cho mình mấy video cắt tay…" from a writer nobody knows yet: the one it
        happens to, not a parent asked about "con".
        """
        if self.role is not None or self.payload:
            return
        folded = f" {fold(self.text)} "
        if FIRST_PERSON.search(folded) and not ABOUT_ONES_CHILD.search(folded):
            self.audience = Audience("child", False, min(self.audience.score, -1.0))
            self.events += [SlotSet("audience", "child"),
                            SlotSet("audience_score", self.audience.score)]  # fmt: skip

    # Sending --------------------------------------------------------------------------------------
    def personal(self, text: str) -> str:
        """`text` as this person reads it: "chị", not "anh/chị", once an adult has said so.

        To a young writer who asked for it, "bạn", not "em".
        """
        if self.term == PEER and self.role in (None, "child"):
            return as_peer(text)
        if self.role in (None, "child") or not self.term:
            return text
        return personal(text, str(self.term))

    def send(self, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        """Utter one message (to a child who says "ba mẹ", in their words)."""
        text = self.as_sent(text)
        self.dispatcher.utter_message(text=text, buttons=buttons or [])
        self.sent.append(text)

    def said_before(self, text: str) -> bool:
        """Whether the person read exactly this in the previous turn."""
        return (
            text in self.previous
            or self.personal(text) in self.previous
            or self.as_sent(text) in self.previous
        )

    def keep(self, name: str, value: Any) -> None:
        """Set a slot at the end of the turn."""
        self.events.append(SlotSet(name, value))

    def say(self, key: str, **values: str) -> str:
        """A dialogue turn in the person's voice."""
        return self.content.say(key, self.role, **values)

    def fresh(self, key: str, again: str, **values: str) -> str:
        """`key`'s text, or `again`'s if the person just read the first."""
        text = self.say(key, **values)
        return self.say(again, **values) if self.said_before(text) else text

    def person_buttons(self) -> list[dict[str, str]]:
        """A person and 111."""
        return [button(self.content.button("talk_to_person"), "/request_human"),
                button(self.content.button("call_111"), "/ask_hotline")]  # fmt: skip

    # Topics ---------------------------------------------------------------------------------------
    def item_buttons(
        self, topic: str, skip: set[str], first: str | None = None
    ) -> list[dict[str, str]]:
        """Buttons for the follow-ups of `topic` the person has not read (a few; `first` first)."""
        items = [(k, t) for k, t in self.content.followups(topic) if k not in skip]
        items.sort(key=lambda item: item[0] != first)
        return [button(title, f'/{topic}{{"item":"{key}"}}')
                for key, title in items[:MAX_ITEM_BUTTONS]]  # fmt: skip

    def topic_answer(self, topic: str, first: str | None = None) -> list[EventType]:
        """The first answer of a topic (`first`: the follow-up to offer first)."""
        text = self.content.answer(topic, self.role)
        if self.said_before(text):
            return self.answer_choice(Choice("unknown", topic))
        if self.entity("audience"):
            text = f"{self.say('audience_switched')}\n\n{text}"
        buttons = self.item_buttons(topic, set(), first=first)
        self.send(text, buttons + always_buttons(self.content, topic, self.role))
        self.keep("last_topic", topic)
        self.keep("shown", ["answer"])
        self.keep("misses", 0.0)
        return self.events

    def answer_choice(self, choice: Choice) -> list[EventType]:
        """A follow-up, a platform's steps, or an honest "I don't know" inside the topic."""
        topic = choice.topic
        shown = self.shown if topic == self.topic else []
        text: str | None = None
        if choice.kind == "item" and choice.item:
            text = self.content.followup(topic, choice.item, self.role)
        elif choice.kind == "platform" and choice.platform and choice.item:
            text = self.content.platform(choice.platform, choice.item, self.role)
        if text is None or self.said_before(text):
            text = self.fresh("followup_unknown", "followup_unknown_again",
                              title=self.content.title(topic))  # fmt: skip
            buttons = self.person_buttons() + self.item_buttons(topic, set(shown))[:3]
        else:
            shown = [*shown, choice.key]
            buttons = self.item_buttons(topic, set(shown)) + always_buttons(
                self.content, topic, self.role
            )
        self.send(text, buttons)
        self.keep("last_topic", topic)
        self.keep("shown", shown)
        self.keep("misses", 0.0)
        return self.events

    def in_topic(self) -> Choice | None:
        """The follow-up of the current topic this message asks, if it stays in the topic."""
        topic = self.topic
        if topic is None or self.follow.changes_subject(self.text):
            return None
        choice = self.follow.choose(self.text, topic, self.shown)
        if choice is None:
            return None
        other = self.content.has_topic(self.intent) and self.intent != topic
        if other and self.confidence >= CONFIDENT and choice.strength < 2:
            return None  # a clear question about another topic
        if choice.strength < 2:
            # only a generic cue here ("tôi không hiểu", "cách khác"), while a topic the NLU
            # guesses has a follow-up its own words name: mid screen time, "nó lấy tiền lì xì ra
            # tiệm mua thẻ cào nạp vô game" is the scratch-card answer, not screen time's next item
            for guess in self.ranked_topics()[:RANKED_TOPICS]:
                key = self.follow.own_item(self.text, guess) if guess != topic else None
                if key is not None:
                    return Choice("item", guess, key, strength=2)
            # ... or any topic's follow-up a long cue names: "Lỡ có người lạ trong máy nhắn tin
            # dụ nó thì bà biết răng?" mid screen time is grooming's signs ("người lạ nhắn tin dụ")
            found = self.follow.longest_item(self.text)
            if found is not None and found.topic != topic and not self.is_shown(found):
                return found
        return choice

    def situation(self) -> str:
        """The urgent situation this message names, by its cues or the safety rules that fired."""
        safety = self.tracker.latest_message.get("safety") or {}
        return self.content.urgent_situation(self.text, [str(r) for r in safety.get("rules") or []])

    def danger_at_the_door(self) -> list[EventType] | None:
        """Inside a danger, "ông ta đang gõ cửa": 113 first, whatever else the message says."""
        if self.protocol != "urgent_danger" or not self.content.urgent_danger_now(self.text):
            return None
        self.send(self.content.protocol("urgent_danger", "danger_now", self.role))
        return self.events

    def retrieved(self) -> Choice | None:
        """A follow-up of any topic whose words the question shares, clearly more than any other.

        The second pass (`bot.conversation.retrieval`) for a question the cues do not name and the
        intent model reads as another topic or nothing; the conversation's topic weighs more.
        """
        if not self.follow.is_question(self.text):
            return None
        found = retriever_of(self.content).rank(
            self.text, self.topic, self.ranked_topics()[:RANKED_TOPICS], self.shown
        )
        if not found or found[0].score < RETRIEVED_MIN:
            return None
        if len(found) > 1 and found[0].score < found[1].score * RETRIEVED_LEAD:
            return None  # no clear lead: an honest "I don't know" is better than a guess
        best = found[0]
        text = self.content.followup(best.topic, best.item, self.role)
        if text is None or self.said_before(text):
            return None
        return Choice("item", best.topic, best.item, strength=1)

    def current(self) -> list[str]:
        """The current topic, if any, as a list (to put first among guesses)."""
        return [self.topic] if self.topic else []

    def ranked_topics(self) -> list[str]:
        """The topics the NLU guessed, best first."""
        ranking = self.tracker.latest_message.get("intent_ranking") or []
        return [str(r["name"]) for r in ranking if self.content.has_topic(r.get("name"))]

    def is_shown(self, choice: Choice) -> bool:
        """Whether the person has already read this follow-up in the conversation."""
        if choice.item is None:
            return False
        text = self.content.followup(choice.topic, choice.item, self.role)
        return text is not None and self.said_ever(text)

    def may_name(self, topic: str) -> bool:
        """Whether another topic's follow-up may answer this message in place of the model's topic.

        Mid-conversation or for a question, yes; a first message that asks nothing only when the
        model gave that topic some weight: "bọn cùng lớp cứ đăng ảnh chế của em lên nhóm rồi
        cười, em buồn lắm" is the model's bullying, not privacy's "đăng ảnh"; "con nạp kim cương
        Free Fire qua Google Play, mất 2 triệu" is the scam's refund, a guess of the model.
        """
        if self.topic is not None or self.follow.is_question(self.text):
            return True
        ranking = self.tracker.latest_message.get("intent_ranking") or []
        weight = next(
            (float(r.get("confidence") or 0) for r in ranking if r.get("name") == topic), 0.0
        )
        return weight >= MIN_GUESS

    def asked_topic_item(self) -> Choice | None:
        """A follow-up named by its own cues, of a topic among the NLU's top guesses."""
        ranking = self.tracker.latest_message.get("intent_ranking") or []
        for guess in ranking[:RANKED_TOPICS]:
            name = guess.get("name")
            if self.content.has_topic(name) and float(guess.get("confidence") or 0) >= MIN_GUESS:
                choice = self.follow.choose(self.text, str(name))
                if choice is not None and choice.strength == 2:
                    return choice
        return None

    def asks_about_111(self) -> bool:
        """Whether the message is a question that names 111."""
        return bool(ASKS_111.search(self.text)) and self.follow.is_question(self.text)

    def hotline_item(self) -> Choice | None:
        """The follow-up of 111 that a question naming 111 asks by its own words, if any."""
        if not self.asks_about_111():
            return None
        own = self.follow.choose(self.text, "ask_hotline")
        return own if own is not None and own.strength == 2 else None

    def about_111(self) -> list[EventType] | None:
        """A question naming 111 ("gọi 111 có mất tiền không") is about 111, whatever else says."""
        if not self.asks_about_111():
            return None
        if (own := self.hotline_item()) is not None:  # "gọi 111 thì họ có báo ba mẹ em không?"
            return self.answer_choice(own)
        if self.intent == "ask_hotline":
            return None
        return self.topic_answer("ask_hotline") if self.topic != "ask_hotline" else None

    def said_something_before(self) -> bool:
        """Whether the person wrote before this message in the conversation."""
        return sum(e.get("event") == "user" for e in self.tracker.events) > 1

    def is_only_a_request(self) -> bool:
        """Whether the message only says how to address the writer (no question, short).

        "Gọi chị là chị nhé, con chị bị lừa nạp thẻ game" says more: the topic is answered (and
        the term kept all the same).
        """
        return (
            "?" not in self.text
            and "111" not in self.text
            and not self.follow.is_question(self.text)
            and len(self.text.split()) <= REQUEST_WORDS
            and not self.confident_topic()
        )

    def role_changed(self) -> bool:
        """Whether the person just said who they are ("tôi là bố nó mà"), and it is news."""
        return (
            self.audience.fixed
            and self.said_something_before()  # a first "Con ơi, tui hỏi…" is no correction
            and self.audience.role != self.slot("audience")
            and read_message(self.text).declared
        )

    def typed(self) -> list[EventType]:
        """A typed message outside any protocol or wait: a follow-up, a topic, or small talk."""
        from actions.answer import clarify, small_talk_buttons

        if self.asked_term and self.is_only_a_request():
            # "Gọi cô là cô nhé", "Đừng gọi chị là quý phụ huynh, gọi chị được rồi": taken in
            buttons = self.item_buttons(self.topic, set(self.shown)) if self.topic else []
            self.send(self.fresh("address_noted", "address_noted_again"),
                      buttons + self.person_buttons())  # fmt: skip
            return self.events
        if (about_111 := self.about_111()) is not None:
            return about_111
        if (
            self.said_something_before()
            and read_message(self.text).declared
            and not ASKS_HOW.search(fold(self.text))  # "Bà không biết dùng tiktok, làm sao xoá"
            and "?" not in self.text  # "chứ không phải mẹ" reads as a question to the cues
            and len(self.text.split()) <= ROLE_NOTE_WORDS
        ):
            # "À mình là dì của bé chứ không phải mẹ": who is writing, taken in; not a follow-up
            # whose cue the sentence happens to contain ("không phải mẹ" → a birth-year step)
            buttons = self.item_buttons(self.topic, set(self.shown)) if self.topic else []
            self.send(self.fresh("role_noted", "role_noted_again"), buttons + self.person_buttons())
            return self.events
        if self.topic and self.intent in SMALL_TALK and self.follow.is_ack(self.text):
            # "Ừ để chị thử", "uk": taken in; short, the topic's next steps as buttons
            buttons = self.item_buttons(self.topic, set(self.shown))[:3]
            self.send(self.fresh("ack_in_topic", "ack_in_topic_again"),
                      buttons + self.person_buttons())  # fmt: skip
            return self.events
        # "em tải app chat với AI, có nhân vật bạn trai ảo, có sao ko": that app's follow-up
        if self.app_item is not None:
            return self.answer_choice(self.app_item)
        choice = self.in_topic()
        if (decisive := self.decisive()) is not None and (choice is None or choice.strength < 2):
            # "có ng trên tele rủ e cho thuê tk ngân hàng…": its own answer, not the privacy topic's
            return self.answer_choice(decisive)
        if choice is not None:
            return self.answer_choice(choice)
        intent = self.intent
        if intent in META_TOPICS and self.topic and not self.about_us():
            near = self.follow.closest(self.text, self.topic, self.shown)
            if near is not None or self.follow.is_question(self.text):
                near = near or self.retrieved()
                return self.answer_choice(near or Choice("unknown", self.topic))
        if intent in ("out_of_scope", *META_TOPICS) and not self.about_us():
            named = self.follow.any_item(self.text, self.ranked_topics())
            if (
                named is not None
            ):  # "họ bắt nạp thêm 1,5 triệu mới rút được": a follow-up's own words
                return self.topic_answer(named.topic, first=named.item)
        if intent == "out_of_scope" and self.topic and self.follow.is_question(self.text):
            near = self.follow.closest(self.text, self.topic, self.shown)
            if near is not None:  # "rứa mỗi ngày cho hắn chơi bao lâu thì được": still the topic
                return self.answer_choice(near)
        if intent == "out_of_scope" and self.confidence < OUT_OF_SCOPE_SURE:
            from actions.answer import clarify_options

            if clarify_options(self.content, self.tracker):  # a guess is better than a refusal
                return self.events + clarify(self.dispatcher, self.content, self.tracker, self.role)
        if self.content.has_topic(intent) and self.confidence >= CLARIFY_BELOW:
            own = self.follow.choose(self.text, intent, self.shown if intent == self.topic else [])
            if (
                own is not None
                and own.strength == 2
                and (intent == self.topic or own.platform or self.topic is not None)
            ):
                # a follow-up its own words name, or where to tap on a named platform; mid-way
                # through a conversation also of another topic ("Family Link thì nó có biết
                # không?" after the screen-time answer): the answer asked, not a first answer
                return self.answer_choice(own)
            if intent == self.topic and "answer" in self.shown:
                # the same topic asked again: what the first answer did not cover; else a
                # follow-up of another topic its own words name ("Lỡ có người lạ trong máy nhắn
                # tin dụ nó thì bà biết răng?" after screen time: grooming's signs), before "I
                # don't know"
                near = self.follow.closest(self.text, intent, self.shown) or self.retrieved()
                if near is None and (named := self.follow.longest_item(self.text)) is not None:
                    near = named if named.topic != intent and self.may_name(named.topic) else None
                return self.answer_choice(near or Choice("unknown", intent))
            if intent != self.topic and self.confidence < CONFIDENT:
                # not sure of a new topic: a follow-up whose own words the message uses, of the
                # current topic or of another guess ("gọi tổng đài Momo có lấy lại được không?")
                named = self.follow.any_item(self.text, [*self.current(), *self.ranked_topics()])
                if named is not None and named.topic != intent and self.may_name(named.topic):
                    return self.answer_choice(named)
                if self.topic and self.confidence < STAYS_BELOW:
                    near = self.follow.closest(self.text, self.topic, self.shown)
                    if near is not None:  # the current topic's follow-up it shares words with
                        return self.answer_choice(near)
                if self.topic and (found := self.retrieved()) is not None:
                    # "Nếu Google chịu hoàn thì bao lâu tiền mới về?" after the refund answer,
                    # read by the model as hacked accounts: the words say refund
                    return self.answer_choice(found)
            # a new topic: its first answer (one screen, the steps that matter), and the follow-up
            # the message asks about as the first button
            return self.topic_answer(intent, first=own.item if own and own.kind == "item" else None)
        topic = self.topic
        if (
            self.role_changed()
            and (not self.follow.is_question(self.text) or " goi " in f" {fold(self.text)} ")
            and len(self.text.split()) <= 15
        ):
            buttons = self.item_buttons(topic, set(self.shown)) if topic else []
            self.send(self.say("role_noted"), buttons + self.person_buttons())
            return self.events
        small = intent in SMALL_TALK and intent not in ("goodbye", "thank", "request_human")
        if (
            topic
            and self.follow.is_question(self.text)
            and (small or self.confidence < CLARIFY_BELOW)
        ):
            near = self.follow.closest(self.text, topic, self.shown) or self.retrieved()
            longest = self.follow.longest_item(self.text) if near is None else None
            if longest is not None and longest.topic != topic and not self.is_shown(longest):
                near = longest  # "…người lạ trong máy nhắn tin dụ nó thì bà biết răng?"
            return self.answer_choice(near or Choice("unknown", topic))
        # "Ừ để chị thử" after an answer (affirm, 0.43): a short reply of small talk is taken in,
        # not a which-topic question
        short_small_talk = small and topic and len(self.text.split()) <= 6
        if self.confidence < CLARIFY_BELOW and not short_small_talk:
            near = self.follow.closest(self.text, topic, self.shown) if topic else None
            if near is not None:
                return self.answer_choice(near)
            named = self.follow.any_item(self.text, self.ranked_topics()) or self.retrieved()
            if named is not None:  # "chơi game bao lâu một ngày thì được?": a follow-up's own words
                return self.answer_choice(named)
            return self.events + clarify(self.dispatcher, self.content, self.tracker, self.role)
        unknown = self.say("greet_unknown")
        if intent == "greet" and self.role is None and not self.said_ever(unknown):
            # "alo bot", "chào bạn": who writes is not known yet; "bạn", and the two voices
            voices = [
                button(self.content.button(f"i_am_{role}"), f'{ASK_AS}{{"audience":"{role}"}}')
                for role in ("parent", "child")
            ]
            self.send(unknown, voices + self.person_buttons()[:1])
            return self.events
        text = self.say(intent) if intent in self.content.conversation else self.say("out_of_scope")
        if self.said_before(text) and f"{intent}_again" in self.content.conversation:
            text = self.say(f"{intent}_again")
        self.send(text, small_talk_buttons(self.content, intent))
        return self.events

    # Waiting for a person ------------------------------------------------------------------------
    def while_waiting(self) -> list[EventType]:
        """A message while waiting for a counsellor: into the case, acknowledged honestly."""
        self.record("message while waiting")
        if (now := self.danger_at_the_door()) is not None:
            return now  # "ông ta đang gõ cửa 😭": never a holding line
        on_duty = counsellors_on_duty()
        minutes = str(claim_timeout_minutes())
        if self.follow.comes_back_later(self.text):
            self.send(self.say("waiting_later"), self.person_buttons()[1:])
            return self.events
        # "Mình đang chờ đây. Nếu báo mà hóa ra hiểu lầm thì có bị kiện không?": the last sentence
        # asks something else, and that is what gets answered
        last = last_sentence(self.text)
        about_wait = self.follow.about_waiting(last) or (
            # "Bao lâu nữa thì có người ạ? 15 phút nữa tôi vào tiết rồi.": the wait, then a remark
            self.follow.about_waiting(self.text) and not self.follow.is_question(last)
        )
        question = self.in_topic() is not None or (
            self.content.has_topic(self.intent) and self.confidence >= CLARIFY_BELOW
        )
        # "công an phường đang ở nhà tôi rồi": a danger's own step, asked or told
        step = self.protocol == "urgent_danger" and self.content.urgent_step(self.text) is not None
        if not about_wait and (question or step or self.follow.is_question(self.text)):
            if self.protocol is None:
                self.send(self.fresh("waiting_note", "waiting_note_again"))
                return self.typed()
            # inside a danger ("nó lại nhắn 'còn 10 tiếng', em rep sao?"): its answers, else an
            # honest "I can't say" with the next step (111 answers it now), never a holding line
            if (done := self.protocol_answer(note=True)) is not None:
                return done
            if self.follow.is_question(self.text):
                self.send(self.fresh("waiting_protocol_unknown", "waiting_protocol_unknown_again"),
                          self.person_buttons()[1:])  # fmt: skip
                return self.events
        thanks = self.say("waiting_thanks")
        if (
            self.intent in ("thank", "goodbye")
            and not self.follow.is_question(self.text)
            and not self.said_ever(thanks)
        ):
            self.send(thanks)  # "Cảm ơn cô nhá.": a close, not the acknowledgment a third time
            return self.events
        # the long acknowledgment once in a conversation, then the short one; never one twice in
        # a row
        if on_duty:
            long, short = self.say("waiting_ack", minutes=minutes), self.say("waiting_ack_again")
        else:
            long, short = self.say("waiting_ack_closed"), self.say("waiting_ack_closed_again")
            if hours := opening_hours():
                long += "\n" + self.say("opening_hours", hours=hours)
        text = short if self.said_ever(long) else long
        if self.said_before(text):
            text = long if text == short else short
        self.send(text, self.person_buttons()[1:])
        return self.events

    def record(self, reason: str) -> bool:
        """Update the person's case with this message (the counsellor sees it)."""
        topic = self.protocol or str(self.slot("last_topic") or "request_human")
        priority = self.protocol or ("fallback" if topic == "fallback" else "request_human")
        return open_case(self.tracker, priority, reason, topic, self.role)

    # Entry points ---------------------------------------------------------------------------------
    def answer(self) -> list[EventType]:
        """`action_answer`: a topic, a follow-up or small talk, in the conversation's state.

        A grey message (`is_grey`) outside a protocol or a wait (inside those, 111 is in every
        reply) gets the safety check first; inside an ordinary topic already under way, after the
        answer, as one line with the same buttons: "Trước khi trả lời… cháu có đang gặp nguy
        hiểm không?" to a grandfather asking how scratch cards top up a game was, in every
        session-10 blind conversation, a false alarm before the answer.
        """
        from actions.answer import safety_check, safety_check_buttons

        grey = is_grey(self.tracker) and self.protocol is None and not self.waiting
        # the check first, unless the person has just read it (a clarifying question left the
        # topic open): then the one line after the answer, never the same check twice in a row
        first = grey and self.topic is None and not self.said_before(self.say("safety_check"))
        if first:
            safety_check(self.dispatcher, self.content, self.role)
        events = self._answer()
        if grey and not first and not self.said_before(self.say("safety_after")):
            self.send(self.say("safety_after"), safety_check_buttons(self.content))
        return events

    def _answer(self) -> list[EventType]:
        from actions.answer import ask_deletion, payload_answer

        if not self.payload and self.is_link():
            self.send(self.say("link_shared"), self.person_buttons())
            return self.events
        if not self.payload and is_english(self.text):
            if self.waiting:
                self.record("message while waiting")  # the counsellor reads it, in English
            if asks_if_human_in_english(self.text):
                return self.honest_about_us()  # "are you a bot?": answered, in English
            steps = self.follow.platform_steps(self.text)
            guide = self.content.platform(*steps, self.role) if steps else None
            if guide is not None and not self.said_ever(guide):
                # "what should I change on his Zalo so strangers can't message him?": the steps
                self.send(self.fresh("english_platform", "english_platform_again"))
                self.send(guide, self.person_buttons())
                return self.events
            self.send(self.fresh("english", "english_again"), self.person_buttons())
            return self.events
        if self.wants_deletion() and (self.intent == "ask_anonymity" or self.asks_deletion()):
            return self.events + ask_deletion(self.dispatcher, self.content, self.role)
        self.keep("pending", None)
        if self.payload:
            return payload_answer(self)
        if self.intent == "request_human" and not self.waiting:
            from actions.handoff import pass_to_person

            return pass_to_person(self)  # asked for a person inside a longer greeting
        if (
            self.protocol is None
            and not self.waiting
            and self.topic is not None
            and self.follow.asks_if_human(self.text)
        ):
            # "có ai thật để nói chuyện k, giờ này" mid-topic (multiturn15 m16): a person, honestly
            # (at night: nobody on duty, 111, a message for the next shift), not a follow-up
            from actions.handoff import pass_to_person

            return pass_to_person(self)
        place = local_help(self.text, self.content.contacts)
        if self.waiting and self.protocol == "urgent_danger" and self.says_child_is_safe():
            from actions.urgent import continue_protocol

            events = continue_protocol(self)  # "con chị về rồi": what now, and to the case
        elif self.waiting:
            events = self.while_waiting()
        elif not self.slot("attempt") and (app := self.unknown_app_answer()) is not None:
            # "app KidGuard Sakura có an toàn không", in a topic or a protocol: we do not know it,
            # and how to check (not while 115 may be needed: then the protocol goes on)
            events = app
        elif self.protocol is not None and (done := self.in_protocol()) is not None:
            events = done
        elif place and self.in_topic() is None and not self.confident_topic():
            events = self.events  # "tôi ở Quảng Ngãi": the local help is the answer
        else:
            events = self.typed()
        if place:
            self.offer_local_help(place)
        return events

    def unknown_app_answer(self) -> list[EventType] | None:
        """An app, page or brand the content does not know, asked about by name: said honestly."""
        name = unknown_app(self.text) if not self.payload else None
        if name is None:
            return None
        text = self.say("unknown_app", name=name)
        if self.said_ever(text):
            # asked again about the same app: still unknown, said shortly; a third time, the
            # topic's answer, never the same text
            text = self.say("unknown_app_again", name=name)
            if self.said_ever(text):
                return None
        self.send(text, self.person_buttons())
        return self.events

    def confident_topic(self) -> bool:
        """Whether the NLU reads a topic question it is sure of."""
        return self.content.has_topic(self.intent) and self.confidence >= CONFIDENT

    def offer_local_help(self, place: str) -> None:
        """Where to go locally, when the person names where they live (content/contacts.yml)."""
        text = address(render_local_help(place, self.content.contacts, self.role), self.role)
        if not self.said_before(text) and text not in self.sent:
            self.send(text, self.person_buttons())

    def asks_who_is_there(self) -> bool:
        """Whether the message asks who is there ("có ai không?", "are you a real person?").

        A bot challenge counts when it names a bot; a question about waiting only when the person
        is not already waiting (then it is the wait's own question).
        """
        return (
            (self.intent == "bot_challenge" and self.names_a_bot())
            or self.follow.asks_if_human(self.text)
            or asks_if_human_in_english(self.text)
            or (not self.waiting and self.follow.about_waiting(self.text))
        )

    def in_protocol(self) -> list[EventType] | None:
        """A non-urgent message during a protocol: its topic's follow-up, or the protocol goes on.

        None when the message clearly asks another topic: the protocol then ends.
        """
        from actions.urgent import continue_protocol, scam_child_reached, urgent_first

        situation = self.situation()
        known = ("general", self.slot("situation"))
        if self.slot("situation") == "bystander":
            known = ("general", situation)  # a friend's danger, told in more words
        if (now := self.danger_at_the_door()) is not None:
            return now
        if (kidding := self.in_protocol_kidding()) is not None:
            return kidding
        if (reached := scam_child_reached(self)) is not None:
            return reached  # "cô bảo cháu đang ngồi học trong lớp": a scam, and what now
        if (done := self.danger_step()) is not None:
            # "tôi có nên chạy xe qua đón cháu?" names no new danger, whatever "đón" suggests
            return done
        if self.protocol == "urgent_danger" and situation not in known:
            return urgent_first(self, situation)  # a new danger in the same conversation
        if (
            self.protocol == "self_harm"
            and self.intent == "urgent_danger"
            and situation not in ("general", "bystander")
            and not self.slot("attempt")
        ):
            # a friend's sadness, then "tối nay 12h có chị quen trên fb ra đầu hẻm đón nó lên SG"
            # (multiturn15 m19): the danger's own protocol, not the self-harm one's next line
            return urgent_first(self, situation)
        if self.slot("attempt"):
            return continue_protocol(self)  # 115 first while an attempt may be under way
        if self.protocol == "urgent_danger" and self.content.self_harm_attempt(self.text):
            from actions.urgent import self_harm_first

            return self_harm_first(self)  # "2 vỉ thuốc trống không" inside a danger: 115 first
        own_question = (
            self.content.self_harm_question(
                self.text,
                asked=self.follow.is_question(self.text),
                bystander=self.slot("situation") == "bystander",
            )
            if self.protocol == "self_harm"
            else None
        )
        if own_question is not None and not (
            # "e ko bt nói j khi gọi 111": how to call 111; but "Chị đang gọi 111 mà máy bận. Trong
            # lúc đó chị có nên gọi bố nó dậy không?" asks, in its last sentence, about the father
            self.asks_about_111() and ASKS_111.search(last_sentence(self.text))
        ):
            # "Tôi đang gọi mà em ấy không bắt máy", "Sáng mai tôi nói gì với nó cho đúng?":
            # the protocol's own answer, whatever the model reads (a bot challenge, a topic)
            return continue_protocol(self)
        if (own := self.hotline_item()) is not None:
            # "111 giờ này có ai nghe máy k, e chỉ nhắn tin được thôi": about 111, not about us
            return self.answer_choice(own)
        if self.asks_who_is_there():
            # "có người thật ở đó không", "12h đêm rồi có ai nói chuyện với em được không", "bao
            # lâu nữa thì có người": who is there, honestly, before any follow-up
            return self.honest_about_us()
        if self.about_us() and (ours := self.follow.own_item(self.text, "ask_anonymity")):
            # "tin nhắn e gửi đây ai sẽ đọc, mẹ e có biết k": our records, not parental controls
            return self.answer_choice(Choice("item", "ask_anonymity", ours, strength=2))
        if (done := self.protocol_answer()) is not None:
            return done
        unsure_everyday = (
            self.intent in (*EVERYDAY_TOPICS, *META_TOPICS)
            and self.confidence < CONFIDENT
            and not self.about_us()
        )  # "tôi có nên chụp màn hình mấy tin nhắn đó?" read as screen time or anonymity
        if (
            self.protocol == "urgent_danger"
            and self.slot("situation") in (None, "general")
            and not unsure_everyday
        ):
            # the danger was not named and this message is not urgent: answer it as it is (111 and
            # the counsellor were in the first reply; the triage still reads every message)
            return None
        leaves = self.content.has_topic(self.intent) and self.confidence >= LEAVES_PROTOCOL
        if self.slot("attempt"):
            leaves = False  # while an attempt may be under way, every reply carries 115
        if leaves and self.intent not in (*SMALL_TALK, *META_TOPICS):
            self.keep("protocol", None)
            return None
        return continue_protocol(self)

    @staticmethod
    def next_guess(
        latest: dict[str, Any], accept: Callable[[str], bool], minimum: float = MIN_NEXT_GUESS
    ) -> tuple[str, float] | None:
        """The model's best lower-ranked guess that `accept`s, if it has `minimum` weight.

        The ranking is sorted, so the first accepted guess is the only one that can qualify.
        """
        for guess in (latest.get("intent_ranking") or [])[1 : RANKED_TOPICS + 1]:
            name = str(guess.get("name") or "")
            if accept(name):
                confidence = float(guess.get("confidence") or 0.0)
                return (name, confidence) if confidence >= minimum else None
        return None

    def app_topic(self, latest: dict[str, Any]) -> tuple[str, float] | None:
        """A question about an app, an AI or a character: the topic it is about, at any weight.

        The topic of the follow-up that names it most closely ("bạn trai ảo": grooming's AI
        companion apps, not fake news' "trí tuệ nhân tạo"), else, for "are you a bot?" or "a
        person", the model's best topic guess; at any weight, since the model may be all but sure
        of "are you a bot?" (0.96). A topic the model read stays when no follow-up names the app.
        """
        found = self.app_item
        if found is not None:
            ranking = latest.get("intent_ranking") or []
            weight = next((float(g.get("confidence") or 0.0) for g in ranking
                           if g.get("name") == found.topic), 0.0)  # fmt: skip
            return found.topic, weight
        if self.content.has_topic(self.intent):
            return None
        return self.next_guess(latest, self.content.has_topic, minimum=0.0)

    def danger_step(self) -> list[EventType] | None:
        """Inside a danger, a message naming one of its steps: that step's answer, or None."""
        step = self.content.urgent_step(self.text) if self.protocol == "urgent_danger" else None
        if step is None:
            return None
        # "lấy dao lam rạch tay rồi": the self-harm protocol's 115; but a child beaten, bleeding
        # and vomiting ("đầu nó chảy máu quá trời… ói hai lần": multiturn15 m03) is the injury's
        if not self.content.self_harm_attempt(self.text) or (
            step == "someone_bleeding" and not SELF_INJURY.search(fold(self.text))
        ):
            return self.protocol_answer(strong=True)
        return None

    def honest_about_us(self) -> list[EventType]:
        """Inside a protocol, "người thật hay máy?": always answered honestly, with who is there."""
        english = "_english" if is_english(self.text) else ""  # "are you a bot?" in English
        key = "bot_challenge" if counsellors_on_duty() else "bot_challenge_closed"
        # asked again ("giờ này có ai thật trực ko" after "đây là bot hả"): the same truth, in
        # other words, never the same text twice
        text = self.say(key + english) if english else self.fresh(key, key + "_again")
        if key == "bot_challenge":
            self.send(text, self.person_buttons())
        else:  # "co ai that o do k" at 1 a.m.: nobody is, and who is (111)
            self.send(text)
        return self.events

    def in_protocol_kidding(self) -> list[EventType] | None:
        """After "sos cứu em", "đùa thôi, test bot": relief, and the danger protocol ends."""
        if (
            self.protocol == "urgent_danger"
            and self.slot("situation") in (None, "general")
            and self.follow.is_kidding(self.text)
        ):
            self.send(self.say("kidding"), self.person_buttons())
            self.keep("protocol", None)
            return self.events
        return None

    def protocol_answer(self, note: bool = False, strong: bool = False) -> list[EventType] | None:
        """Inside a protocol, a question it answers: tell an adult now, 111, a follow-up, a topic.

        `note`: first say the message went to the case (while waiting for a person); `strong`:
        only a follow-up its own words name, no general guess. None while an attempt may be under
        way (115 first, `continue_protocol`).
        """
        if self.slot("attempt"):
            return None
        answer: Any = None
        tell = self.content.protocol("urgent_danger", "tell_adult_now", self.role)
        named = self.protocol_choice()
        if self.follow.asks_if_we_tell(self.text):
            # "bot có báo bố mẹ em không?": what we do and do not tell, honestly
            answer = ("choice", Choice("item", "ask_anonymity", "tell_parents", strength=2))
        elif self.protocol == "self_harm" and (own_answer := self.self_harm_answer()) is not None:
            # while waiting, the protocol's own answers first: "Chị gọi 111 rồi đang chờ máy. Trong
            # lúc chờ chị có nên gọi bố nó dậy không?" is about waking the father, not about 111
            answer = ("tell", own_answer)
        elif (
            self.protocol == "urgent_danger"
            and (step := self.content.urgent_step(self.text)) is not None
            and not self.said_before(own := self.content.protocol("urgent_danger", step, self.role))
        ):
            # "có nên ra ngõ xem mặt nó không?" (no: stay in, 113), "có nên chạy xe qua đón cháu
            # về nhà tôi?" (113, stay with him where it is lit); before any follow-up a topic's
            # words name: "công an xã bảo chờ thêm xem sao" is the no-wait step, not where to report
            answer = ("tell", own)
        elif (
            self.protocol == "urgent_danger"
            and (law := self.content.urgent_law(str(self.slot("situation")), self.text, self.role))
            and not self.said_before(law)
        ):
            # "luật nào cấm, điều bao nhiêu, tôi muốn nói cho gia đình nghe" about a girl promised
            # in marriage: the marriage law, not the articles on abuse (multiturn16 m18)
            answer = ("tell", law)
        elif named is not None and named.strength == 2 and named.kind == "item":
            # a follow-up its own words name comes before "tell an adult now": "báo bố mẹ bé
            # trước hay báo giám đốc trước?" asks whom first
            answer = ("choice", named)
        elif (
            self.protocol == "urgent_danger"
            and self.follow.asks_to_tell_an_adult(self.text)
            and not self.said_before(tell)
        ):
            answer = ("tell", tell)  # "có nên báo bố mẹ nó ngay trong đêm?": yes, now
        elif self.asks_about_111():
            answer = ("111", None)
        elif (choice := named) is not None and (choice.strength == 2 or not strong):
            answer = ("choice", choice)
        elif (
            not strong
            and self.protocol == "urgent_danger"
            and (topic := self.general_topic()) is not None
        ):
            answer = ("topic", topic)
        elif (
            note
            and self.protocol == "urgent_danger"
            and self.follow.asks_what_to_do(self.text)
            and (more := self.content.urgent_more(str(self.slot("situation")), self.role))
            and not self.said_ever(more)
        ):
            answer = ("tell", more)  # while waiting: "nếu sáng mai xe tới thật thì bà làm sao?"
        elif not strong and (found := self.retrieved()) is not None:
            answer = ("choice", found)  # "nếu tìm được nó thì tôi nên nói gì đầu tiên?"
        elif self.follow.is_question(self.text) and (found := self.follow.longest_item(self.text)):
            # a follow-up of any topic its longest cue names: mid-sextortion, "nó đòi em trả lại
            # tiền quà đã tặng, em có phải trả ko" is grooming's gifts answer
            answer = ("choice", found)
        if answer is None:
            return None
        if note:
            self.send(self.fresh("waiting_note", "waiting_note_again"))
        kind, value = answer
        if kind == "tell":
            self.send(value)
            return self.events
        if kind == "111":
            return self.about_111() or self.topic_answer("ask_hotline")
        if kind == "choice":
            return self.answer_choice(value)
        return self.topic_answer(value)

    def decisive(self) -> Choice | None:
        """A `decisive` follow-up the message names, unless the person has read it already."""
        if self.payload:
            return None
        return next(
            (found for found in self.follow.decisive_items(self.text) if not self.is_shown(found)),
            None,
        )

    def self_harm_answer(self) -> str | None:
        """The self-harm protocol's answer to what the message asks or tells, unless just read."""
        if self.payload:
            return None
        bystander = self.slot("situation") == "bystander"
        key = self.content.self_harm_question(
            self.text, asked=self.follow.is_question(self.text), bystander=bystander
        )
        if key is None:
            return None
        text = self.content.self_harm_answer(key, self.role)
        return None if self.said_before(text) else text

    def general_topic(self) -> str | None:
        """Inside a danger, the topic a question is about, so that it is answered, not listened to.

        The NLU's best guess with a topic, if it is at least `GUESS_IN_GENERAL` sure in a danger the
        bot could not name, `GUESS_IN_NAMED` in a named one (whose next steps come first otherwise).
        """
        if not self.follow.is_question(self.text):
            return None
        named = self.slot("situation") not in (None, "general")
        if named and self.follow.asks_what_to_do(self.text):
            # "nếu sáng mai xe tới thật thì bà làm sao?": the named danger's next steps answer it
            return None
        needed = GUESS_IN_NAMED if named else GUESS_IN_GENERAL
        for guess in (self.tracker.latest_message.get("intent_ranking") or [])[:RANKED_TOPICS]:
            name = guess.get("name")
            if name in META_TOPICS or not self.content.has_topic(name):
                continue
            if name in EVERYDAY_TOPICS and float(guess.get("confidence") or 0.0) < CONFIDENT:
                # "tôi có nên chụp màn hình mấy tin nhắn đó không?" in a grooming case is no
                # question about screen time, whatever the model says
                continue
            if float(guess.get("confidence") or 0.0) >= needed:
                return str(name)
        return None

    def protocol_choice(self) -> Choice | None:
        """Inside a protocol: a follow-up of its topic (or of the NLU's top guesses).

        A generic question ("phải làm gì bây giờ?") takes the topic's own item for the writer's
        role first (what a teacher must do).
        """
        if self.slot("attempt"):
            return None  # while an attempt may be under way, the protocol answers (115 first)
        choice = self.in_topic() or self.asked_topic_item()
        if choice is None and self.topic and self.follow.is_question(self.text):
            choice = self.follow.closest(self.text, self.topic, self.shown)
        if choice is None:
            return None
        longest = self.follow.longest_item(self.text)
        if (
            longest is not None
            and choice.kind == "item"
            and self.follow.own_item(self.text, choice.topic) != choice.item
            and longest.item not in self.shown
        ):
            # no cue of its own names the topic's item, while another topic's follow-up names this
            # message closely: mid-sextortion, "a ấy còn đòi em trả lại tiền quà đã tặng" is gifts
            choice = longest
        items = self.follow.items(choice.topic)
        role_item = ROLE_ITEMS.get(self.role or "")
        if choice.strength < 2 and role_item in items and role_item not in self.shown:
            return Choice("item", choice.topic, role_item, strength=2)
        return choice

    def is_link(self) -> bool:
        """A pasted link with nothing else (Zalo's link event, or a message that is only a URL)."""
        metadata = (self.tracker.latest_message or {}).get("metadata") or {}
        return metadata.get("shared") == "link" or bool(ONLY_LINK.fullmatch(self.text.strip()))

    def says_child_is_safe(self) -> bool:
        """Inside a danger, news that the child is safe now ("công an đến rồi, mẹ cháu cũng tới").

        A question asks something else, except after a missing child, whose "con về rồi, nó khóc,
        không nói gì" is news whatever "gì" suggests.
        """
        return self.content.urgent_safe_now(self.text) and (
            self.slot("situation") == "missing" or not self.follow.is_question(self.text)
        )

    def names_a_bot(self) -> bool:
        """Whether a word of the message asks about us ("bot", "AI", "người thật")."""
        return bool(ABOUT_A_BOT.search(fold(self.text))) or bool(re.search(r"\bAI\b", self.text))

    def about_us(self) -> bool:
        """Whether the message asks about Đồng Hành itself (what is kept, who reads it).

        Not when it names another app ("app đó có lưu tin nhắn không"), unless it names us too.
        """
        folded = f" {fold(self.text)} "
        if ANOTHER_APP.search(folded) and not any(f" {w} " in folded for w in US_BY_NAME):
            return False
        return any(f" {w} " in folded for w in ABOUT_US)

    def as_sent(self, text: str) -> str:
        """`text` as `send` would send it: addressed, and in a child's "ba mẹ" if they say so."""
        text = self.personal(text)
        if self.role == "child" and self.says_ba_me:
            text = BO_ME.sub(lambda m: "Ba mẹ" if m.group(0)[0] == "B" else "ba mẹ", text)
        return text

    def said_ever(self, text: str) -> bool:
        """Whether the bot sent exactly this text earlier in the conversation (as addressed)."""
        forms = {text, self.personal(text), self.as_sent(text)}
        return any(e.get("event") == "bot" and e.get("text") in forms for e in self.tracker.events)

    def asks_deletion(self) -> bool:
        """Whether the words ask to delete one's data, whatever the NLU read ("xóa hết dữ liệu").

        A bare "Xoá hết đi." right after what we keep (ask_anonymity) asks the same (it was read
        as a goodbye).
        """
        folded = f" {fold(self.text)} "
        if any(f" {p} " in folded for p in DELETE_PHRASES):
            return True
        return bool(BARE_DELETE.match(folded)) and self.slot("last_topic") == "ask_anonymity"

    def wants_deletion(self) -> bool:
        """Whether the person asks to delete their data (the button's entity, or the words)."""
        return bool(self.entity("delete")) or self.asks_deletion()


def last_sentence(text: str) -> str:
    """The last sentence of a message (the whole message if it has one)."""
    parts = sentences(text)
    return parts[-1] if parts else text


def is_grey(tracker: Tracker) -> bool:
    """Typed text the triage could not call safe or urgent (`safety.grey`, bot/nlu/triage.py)."""
    return not text_of(tracker).startswith("/") and bool(
        (tracker.latest_message.get("safety") or {}).get("grey")
    )
