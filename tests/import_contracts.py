"""A contract type for import-linter (`make lint`): modules that must not import some submodules
of external packages, such as `django.db` or `django.http`.

import-linter's own `forbidden` contract names external packages only at their top level
(`django`), but the domain modules may use `django.core.exceptions.ValidationError` while they must
never reach the ORM or HTTP. This contract reads each direct import's source line instead, so
`from django.db import models` in `enrollments.twin` breaks it and `from django.core.exceptions
import ValidationError` in `enrollments.validators` does not. Indirect imports are the layers
contract's job: domain modules may import only each other.
"""

import re

from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain import helpers


class ForbiddenSubmodulesContract(Contract):
    """Options: `source_modules` (module expressions, descendants included), `forbidden_modules`
    (dotted names of external submodules, e.g. `django.db`)."""

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        names = "|".join(re.escape(name) for name in self.forbidden_modules)
        # `import django.db…`, `from django.db… import …`, `from django import db`.
        pattern = re.compile(
            rf"^\s*(?:import\s+(?P<a>{names})\b|from\s+(?P<b>{names})\b|from\s+(?P<parent>[\w.]+)\s+import\s+(?P<names>.*))"
        )
        sources = helpers.module_expressions_to_modules(graph, self.source_modules, as_packages=True)
        modules = {name for module in sources for name in (module.name, *graph.find_descendants(module.name))}
        illegal = []
        for importer in sorted(modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    line = detail["line_contents"]
                    match = pattern.match(line)
                    if match and (match["a"] or match["b"] or _imports_child(match, self.forbidden_modules)):
                        illegal.append(f"{importer} (l.{detail['line_number']}): {line.strip()}")
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Imports of forbidden submodules:", bold=False)
        output.new_line()
        for line in check.metadata["illegal"]:
            output.print_error(f"- {line}", bold=False)
        output.new_line()


def _imports_child(match: re.Match, forbidden: list[str]) -> bool:
    """`from django import db, http`: whether a name imported from the parent is forbidden."""
    parent = match["parent"]
    if not parent:
        return False
    imported = {name.strip().split(" as ")[0] for name in match["names"].strip("() ").split(",")}
    return any(f"{parent}.{name}" in forbidden for name in imported)
