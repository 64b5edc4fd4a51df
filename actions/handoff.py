"""Asking for a person: the case is committed first, then the bot says honestly what happens next.

"On duty" means a counsellor is active in the console now (actions/common.py): with nobody on duty
the person hears that first, with 111, and their message is kept for the next shift. While they
wait, their messages go to the case (actions/turn.py, `Turn.while_waiting`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import claim_timeout_minutes, counsellors_on_duty, open_case
from actions.turn import CONFIDENT, PROTOCOLS, Turn
from bot.conversation.followups import Choice
from bot.runtime import services

# The queue's priority for a case, from the last topic of the conversation.
PRIORITY_OF_TOPIC = {**{p: p for p in PROTOCOLS}, "fallback": "fallback"}
# Below this, "a person" read by the model alone, inside a topic, is a question of the topic.
UNSURE_PERSON = 0.5


def pass_to_person(turn: Turn) -> list[EventType]:
    """Record a case for a counsellor and tell the person honestly what happens next."""
    topic = turn.protocol or str(turn.slot("last_topic") or "request_human")
    priority = PRIORITY_OF_TOPIC.get(topic, "request_human")
    turn.keep("pending", None)
    if not open_case(turn.tracker, priority, "asked for a person", topic, turn.role):
        turn.send(turn.say("request_human_failed"))
        return turn.events
    on_duty = counsellors_on_duty()
    minutes = str(claim_timeout_minutes())
    if not turn.payload and turn.follow.asks_if_human(turn.text):
        # "cô có phải người thật không, bà muốn lói chuyện với người thật cơ": the truth first
        turn.send(turn.say("bot_then_person"))
    if topic in PROTOCOLS:
        key = "handed_over" if on_duty else "handed_over_closed"
        turn.send(turn.content.protocol(topic, key, turn.role, minutes=minutes))
    elif on_duty:
        turn.send(turn.say("request_human_on_duty", minutes=minutes))
    else:
        turn.send(turn.say("request_human_nobody"), turn.person_buttons()[1:])
    turn.keep("waiting", True)
    turn.keep("offered", True)
    return turn.events


class ActionRequestHuman(Action):
    """request_human: open (or update) a case and say so once it is saved."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Pass the conversation to a person, unless the message asks a follow-up of the topic."""
        turn = Turn(dispatcher, tracker, services().content)
        if not turn.payload and turn.intent != "request_human":
            # read again as something else: "bạn em chơi app nói chuyện với AI…" asks about the app
            return turn.answer()
        if (
            not turn.payload
            and not turn.waiting
            and turn.confidence < UNSURE_PERSON
            and turn.topic is not None
            and not turn.follow.asks_for_a_person(turn.text)
        ):
            # "Giờ chị gọi cho ai, nói với người ta sao?" (0.32) asks who to call, in the topic
            turn.intent = turn.topic
            return turn.answer()
        if (
            not turn.payload
            and not turn.waiting
            and turn.follow.is_question(turn.text)
            and turn.follow.own_item(turn.text, "ask_capabilities") == "reach_a_person"
        ):
            # "Khi học sinh cần nói chuyện với người thật thì sao? Có chuyên viên trực 24/7 không?":
            # how reaching a person works, asked by a counsellor or a parent, not a request
            how = Choice("item", "ask_capabilities", "reach_a_person", strength=2)
            return turn.answer_choice(how)
        if not turn.payload:
            choice = turn.in_topic()
            if choice is not None and choice.strength == 2 and turn.confidence < CONFIDENT + 0.15:
                if turn.waiting:  # a message while waiting reaches the case, whatever answers it
                    turn.record("message while waiting")
                return turn.answer_choice(choice)  # "hay là chuyển tiền cho nó cho xong?"
            if turn.waiting:
                return turn.while_waiting()
        events = pass_to_person(turn)
        by_message = turn.content.self_harm_answer("cant_call", turn.role)
        if (
            turn.protocol == "self_harm"
            and not turn.payload
            and turn.content.self_harm_question(turn.text, asked=False) == "cant_call"
            and not turn.said_before(by_message)
        ):
            # "minh khong dam goi dau, nha ngu het roi. nhan tin voi nguoi that dc ko": who is
            # there, honestly, and 111 by message (Zalo) for someone who dares not call
            turn.send(by_message)
        return events
