"""A benchmark's own PostgreSQL database, dropped (whoever is connected) and created again."""


def fresh_postgresql(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    server, name = url.rsplit("/", 1)
    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
