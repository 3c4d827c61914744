"""`python -m dps_portal.check_install`: is every pinned requirement of pyproject.toml installed?

`make install` runs it after pip, so an install that failed part-way (a package missing from the
index, a dropped connection) stops there with the names to fix, instead of the first command that
imports the missing module. Reads `[project].dependencies` and the `test` extra; every entry is
pinned (`name==version`, optional `[extras]`). Exit status 1 lists each missing or different one.
"""

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)")


def problems(pyproject: Path = PYPROJECT) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = project["dependencies"] + project.get("optional-dependencies", {}).get("test", [])
    found = []
    for requirement in requirements:
        match = _PIN.match(requirement)
        if match is None:
            found.append(f"{requirement}: not pinned as name==version")
            continue
        name, wanted = match.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            found.append(f"{name}=={wanted} is not installed")
            continue
        if installed != wanted:
            found.append(f"{name} {installed} is installed, pyproject.toml pins {wanted}")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"check_install: {problem}", file=sys.stderr)
    if found:
        print("check_install: run `make install` again (pip's output above says why it failed).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
