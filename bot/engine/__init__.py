"""The one door to Rasa: everything of the running bot that imports Rasa, besides `bot.nlu`.

- `model`: which trained model matches the data, training it, loading it into an agent.
- `patches`: every change we make to Rasa, with its reason and figure, applied by `install()`.
- `conversations`: `Engine`, what the core, the handoff and the channels ask of a conversation.
- `policy`: `IntentPolicy`, the dialogue as an intent → action table.
- `tracker_store`, `turns`: Rasa's SQL tracker store, read once per turn; `locks`: the lock store.
- `graph_runner`: the model's graph run in order, without dask.
- `actions_endpoint`: the custom actions of `actions/` run in this process (rasa_sdk).
- `evaluation`, `crossval`: the NLU evaluation entry points (`donghanh eval`).

Importing this package imports no Rasa: each module imports what it needs, so commands that do
not load a model start without TensorFlow.
"""
