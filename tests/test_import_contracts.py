"""The `forbidden_submodules` contract of `make lint` (tests/import_contracts.py) on a throwaway package."""

import sys

import grimp

from tests.import_contracts import ForbiddenSubmodulesContract


def _graph(tmp_path, monkeypatch, files: dict[str, str]):
    package = tmp_path / "pkg_under_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("pkg_under_test", None)
    return grimp.build_graph("pkg_under_test", include_external_packages=True, cache_dir=None)


def _check(graph):
    contract = ForbiddenSubmodulesContract(
        name="domain",
        session_options={},
        contract_options={"source_modules": ["pkg_under_test"], "forbidden_modules": ["django.db", "django.http"]},
    )
    return contract.check(graph, verbose=False)


def test_orm_and_http_imports_break_it_in_every_spelling(tmp_path, monkeypatch):
    graph = _graph(
        tmp_path,
        monkeypatch,
        {
            "a": "from django.db import models\n",
            "b": "import django.http.response\n",
            "c": "from django import db\n",
            "d": "from django.db.models import (\n    Q,\n)\n",
        },
    )
    check = _check(graph)
    assert not check.kept
    assert [line.split(" ")[0] for line in check.metadata["illegal"]] == [
        "pkg_under_test.a",
        "pkg_under_test.b",
        "pkg_under_test.c",
        "pkg_under_test.d",
    ]


def test_other_django_modules_keep_it(tmp_path, monkeypatch):
    graph = _graph(
        tmp_path,
        monkeypatch,
        {
            "a": "from django.core.exceptions import ValidationError\n",
            "b": "from django import forms\nimport django.dbx\n",
        },
    )
    assert _check(graph).kept
