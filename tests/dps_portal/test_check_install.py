"""check_install: an install that stopped part-way is named package by package."""

from importlib import metadata

from dps_portal.check_install import problems


def _pyproject(tmp_path, *requirements, test=()):
    path = tmp_path / "pyproject.toml"
    lines = ", ".join(f'"{r}"' for r in requirements)
    extra = ", ".join(f'"{r}"' for r in test)
    path.write_text(f"[project]\ndependencies = [{lines}]\n[project.optional-dependencies]\ntest = [{extra}]\n")
    return path


def test_the_installed_pins_pass(tmp_path):
    django = metadata.version("Django")
    assert problems(_pyproject(tmp_path, f"Django=={django}", test=[f"pytest=={metadata.version('pytest')}"])) == []


def test_missing_different_and_unpinned_requirements_are_each_named(tmp_path):
    path = _pyproject(tmp_path, "no-such-package-dps==1.0", "Django==0.1", test=["psycopg[binary]>=3"])
    assert problems(path) == [
        "no-such-package-dps==1.0 is not installed",
        f"Django {metadata.version('Django')} is installed, pyproject.toml pins 0.1",
        "psycopg[binary]>=3: not pinned as name==version",
    ]


def test_the_project_pins_are_all_installed():
    assert problems() == []
