"""Run a trained model's prediction graph node by node, in order, without dask.

Rasa 3.6 hands every parse and every next-action prediction to `DaskGraphRunner`, which for each
call recomputes the part of the graph the targets need, builds a dask task graph and lets dask's
scheduler walk it: about half a millisecond per call on these machines, three calls a turn, for
graphs of a dozen nodes that run one after the other anyway. `SequentialGraphRunner` works out
each target list's order once and calls the same nodes (`GraphNode`, hooks included) in it.
What a node receives and returns is unchanged.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNode, GraphSchema
from rasa.engine.runner.interface import GraphRunner


def run_order(schema: GraphSchema, targets: list[str]) -> list[str]:
    """The nodes the targets need, each after the nodes it needs (inputs are not nodes)."""
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name not in schema.nodes:
            return
        if name in path:
            raise GraphRunError(f"the graph has a cycle through '{name}'")
        for need in schema.nodes[name].needs.values():
            visit(need, (*path, name))
        done.add(name)
        order.append(name)

    for target in targets:
        visit(target, ())
    return order


class SequentialGraphRunner(GraphRunner):
    """A `GraphRunner` that calls the nodes in a precomputed order in the calling thread."""

    def __init__(self, schema: GraphSchema, nodes: dict[str, GraphNode],
                 execution_context: ExecutionContext) -> None:  # fmt: skip
        """Run the already instantiated `nodes` of `schema`."""
        self._graph_schema = schema
        self._instantiated_nodes = nodes
        self._execution_context = execution_context
        self._orders: dict[tuple[str, ...], list[str]] = {}

    @classmethod
    def create(
        cls, graph_schema: GraphSchema, model_storage: Any, execution_context: ExecutionContext,
        hooks: list[Any] | None = None,
    ) -> "SequentialGraphRunner":  # fmt: skip
        """Instantiate the nodes of `graph_schema` (as `DaskGraphRunner.create` does)."""
        nodes = {name: GraphNode.from_schema_node(name, node, model_storage, execution_context,
                                                  hooks)
                 for name, node in graph_schema.nodes.items()}  # fmt: skip
        return cls(graph_schema, nodes, execution_context)

    @classmethod
    def replacing(cls, runner: Any) -> "SequentialGraphRunner":
        """The same graph and node instances as a loaded `DaskGraphRunner`."""
        return cls(runner._graph_schema, runner._instantiated_nodes, runner._execution_context)

    def run(self, inputs: dict[str, Any] | None = None,
            targets: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
        """Run what `targets` need (default: the schema's targets); their outputs by name."""
        run_targets = list(targets) if targets else list(self._graph_schema.target_names)
        key = tuple(run_targets)
        order = self._orders.get(key)
        if order is None:
            order = self._orders[key] = run_order(self._graph_schema, run_targets)
        for name in inputs or {}:
            if name in self._graph_schema.nodes:
                raise GraphRunError(f"Input '{name}' clashes with a node name.")
        outputs: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name in order:
                needs = self._graph_schema.nodes[name].needs.values()
                # as dask does, a need nobody provides is passed as its bare name
                outputs[name] = self._instantiated_nodes[name](*(outputs.get(n, n) for n in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(outputs[t] for t in run_targets)


def use_sequential_runner(processor: Any) -> None:
    """Replace a loaded `MessageProcessor`'s dask runner with a `SequentialGraphRunner`."""
    if not isinstance(processor.graph_runner, SequentialGraphRunner):
        processor.graph_runner = SequentialGraphRunner.replacing(processor.graph_runner)
