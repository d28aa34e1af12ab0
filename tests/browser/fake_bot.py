"""A scripted stand-in for Rasa behind the real web widget channel (no model needed).

Run `python -m tests.browser.fake_bot PORT`: serves /socket.io and /widget/ exactly as Rasa
does with credentials.yml, answers from a tiny script, and lists what it received at
GET /fake/received (to check masking and session binding).
"""
from __future__ import annotations

import sys
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.webchat import SignedSocketIOInput

FOLLOW_UP = "/ask_fee"


def make_app() -> Sanic:
    """A Sanic app with the widget channel and a scripted bot."""
    app = Sanic("fake_bot")
    received: list[dict[str, Any]] = []

    async def bot(msg: UserMessage) -> None:
        received.append({"sender": msg.sender_id, "text": msg.text, "metadata": msg.metadata})
        out, to = msg.output_channel, msg.sender_id
        if msg.text.startswith("/restart"):
            return
        if msg.text.startswith(FOLLOW_UP):
            await out.send_text_message(to, "Lệ phí: miễn phí (thủ tục 1.001193).")
            return
        if "crash" in msg.text:
            raise RuntimeError("scripted failure")
        await out.send_text_with_buttons(
            to, f"Bạn hỏi: {msg.text}\nXem https://dichvucong.gov.vn/p/1.001193\n• Mục một",
            [{"title": "Lệ phí", "payload": FOLLOW_UP}])

    channel = SignedSocketIOInput.from_credentials({})
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/socketio")

    @app.get("/fake/received")
    async def listing(_request: Request) -> HTTPResponse:
        return response.json(received)

    return app


def main(argv: list[str]) -> int:
    """Serve on 127.0.0.1:PORT."""
    make_app().run(host="127.0.0.1", port=int(argv[1]), access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
