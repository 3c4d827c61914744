"""Database expressions shared by the models' indexes and the selectors' queries."""

from django.db.models import CharField, Func


class SortKey(Func):
    """`LOWER(column)` compared in byte (code point) order: the lists' sort and filter key.

    SQLite compares text with the BINARY collation already, so this is plain `LOWER(x)` there, and
    the unique constraints' `LOWER(...)` indexes serve it. On PostgreSQL it is
    `(LOWER(x) COLLATE "C")`: byte order whatever the database's collation, so range comparisons,
    `ORDER BY` and prefix ranges all use one btree index on that same expression.
    """

    function = "LOWER"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return f'({sql} COLLATE "C")', params
