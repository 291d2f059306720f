"""Every URL of the project, GET and POST, as each of eight roles, against permission_table.py."""

import pytest

from .matrix import crawl, crawled_namespaces, grid, project_urls
from .permission_table import COLUMNS, EXPECTED, METHODS, URL_KWARGS

NAMESPACES = sorted({name.split(":")[0] for name in EXPECTED})


def test_every_url_of_the_project_has_lines_in_the_permission_table():
    """A URL added anywhere in the project fails here until its expected answers are written."""
    urls = project_urls()
    unnamed = [u.route for u in urls if not u.name]
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    missing = [f"{u.name} {m}" for u in urls for m in METHODS if m not in EXPECTED.get(u.name, {})]
    assert not missing, (
        "URLs with no expected answers in tests/security/permission_table.py (add a GET and a POST "
        "line for each, for every role):\n  " + "\n  ".join(missing)
    )
    stale = sorted(set(EXPECTED) - {u.name for u in urls})
    assert not stale, f"permission_table.py has lines for URLs the project no longer has: {stale}"


def test_every_url_with_parameters_has_objects_to_point_at():
    problems = []
    for u in project_urls():
        given = set(URL_KWARGS.get(u.name, {}))
        if given != set(u.params):
            problems.append(f"{u.name} ({u.route}): needs {sorted(u.params)}, "
                            f"URL_KWARGS gives {sorted(given)}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("namespace", crawled_namespaces(NAMESPACES))
def test_every_url_answers_every_role_as_the_table_says(namespace):
    """Signed out: sign in first; no scope: 404; public: everyone. No request ever gets a 500,
    and no GET changes any table. As a training service (TRAINING_CLOCK on), so that its page
    is there to be refused or answered (the crawl, tests/security/matrix.py)."""
    got: dict[tuple[str, str], dict[str, str]] = {}
    errors = []
    for answer in crawl(namespace):
        got.setdefault((answer.name, answer.method), {})[answer.role] = answer.outcome
        if answer.status >= 500:
            errors.append(f"{answer.method} {answer.url} as {answer.role}: {answer.status} "
                          f"{answer.error}")
        if answer.changed:
            errors.append(f"GET {answer.url} as {answer.role} changed {answer.changed}")
    mismatches = [
        (name, method, outcomes, EXPECTED[name][method])
        for (name, method), outcomes in got.items()
        if any(outcomes[role] != EXPECTED[name][method][role] for role in COLUMNS)
    ]
    message = ""
    if mismatches:
        message += ("Answers that differ from permission_table.py (got≠expected):\n"
                    + grid(mismatches) + "\n")
    if errors:
        message += "Server errors, and GETs that wrote:\n  " + "\n  ".join(errors)
    if message:
        pytest.fail(message, pytrace=False)
