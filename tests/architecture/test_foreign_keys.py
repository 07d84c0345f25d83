"""A model's module imports the models of the tables its foreign keys name. SQLAlchemy resolves every
foreign key of a table to order a flush of its rows (NoReferencedTableError otherwise), and a process
loads only what its imports reach: a job or the LiveKit webhook may load one domain's models and little
else."""

import meetings.models  # noqa: F401  (every table, to know which module defines each)
from meetings.db import Base
from tests.architecture.import_graph import LAYER_ROOT, all_imports, known_module, shipped_modules


def _import_graph() -> dict[str, set[str]]:
    modules = set(shipped_modules())
    graph: dict[str, set[str]] = {}
    for imp in all_imports(LAYER_ROOT, "meetings"):
        target = known_module(imp.target, modules)
        if target:
            graph.setdefault(imp.source, set()).add(target)
    return graph


def _reached(graph: dict[str, set[str]], module: str) -> set[str]:
    seen, stack = {module}, [module]
    while stack:
        for following in graph.get(stack.pop(), ()):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def test_a_models_module_loads_the_tables_its_foreign_keys_name():
    graph = _import_graph()
    defined_in = {mapper.local_table.name: mapper.class_.__module__ for mapper in Base.registry.mappers}
    missing = []
    for mapper in Base.registry.mappers:
        module, table = mapper.class_.__module__, mapper.local_table
        for foreign_key in table.foreign_keys:
            target = defined_in[foreign_key.column.table.name]
            if target not in _reached(graph, module):
                missing.append(f"{module}: {table.name}.{foreign_key.parent.name} needs {target}")
    assert sorted(set(missing)) == []


def test_every_table_is_a_mapped_model():
    """So that the check above sees every foreign key."""
    assert {mapper.local_table.name for mapper in Base.registry.mappers} == set(Base.metadata.tables)
