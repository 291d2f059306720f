"""Every page the permission matrix renders (every URL, every role, GET and the POSTs that
answer with a page): security headers on every answer, a strict Content Security Policy whose
nonce is on every inline script, and a CSRF token in every form that posts. The answers are the
permission matrix's own, requested once (`crawl`, tests/security/matrix.py)."""

import pytest

from .matrix import crawl, crawled_namespaces, namespace_names
from .pages import csp_problems, header_problems, html_problems
from .permission_table import EXPECTED

NAMESPACES = sorted({name.split(":")[0] for name in EXPECTED})


@pytest.mark.django_db
@pytest.mark.parametrize("namespace", crawled_namespaces(NAMESPACES))
def test_every_page_has_headers_csp_nonces_and_csrf_tokens(namespace):
    """The answers of the permission matrix's crawl (tests/security/matrix.py)."""
    names = namespace_names(namespace)
    problems: dict[str, list[str]] = {}
    pages = 0
    for answer in crawl(namespace):
        where = f"{answer.method} {answer.url} as {answer.role} ({answer.status})"
        found = header_problems(answer.headers)
        if answer.status < 300 and answer.content_type.startswith("text/html"):
            pages += 1
            policy = answer.headers.get("Content-Security-Policy", "")
            found += csp_problems(policy) + html_problems(answer.body, policy)
        if found:
            problems[where] = found
    assert pages or namespace == "admin" or not names, "no page was rendered: the sweep is broken"
    if problems:
        pytest.fail("\n".join(f"{where}:\n    " + "\n    ".join(found)
                              for where, found in problems.items()), pytrace=False)


def test_the_page_checks_find_what_they_look_for():
    """The checks above would catch each fault (so a pass means something)."""
    policy = "default-src 'self'; script-src 'self' 'nonce-abc'; object-src 'none'; " \
             "frame-ancestors 'none'; base-uri 'self'"
    clean = ('<script nonce="abc">1</script><script src="/static/x.js"></script>'
             '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t"></form>'
             '<form method="get"></form>')
    assert csp_problems(policy) == [] and html_problems(clean, policy) == []
    faulty = ('<script>1</script><script nonce="old">2</script><script src="https://cdn.example/x.js">'
              '</script><style>p{}</style><p style="color:red" onclick="x()">'
              '<a href="javascript:alert(1)">x</a><form method="POST"><input name="q"></form>')
    assert len(html_problems(faulty, policy)) == 8
    assert csp_problems(policy.replace("'self' 'nonce-abc'", "'self' 'unsafe-inline'")) == [
        "the policy allows 'unsafe-inline'"]
    assert header_problems({"X-Frame-Options": "SAMEORIGIN"}) == [
        "X-Frame-Options is 'SAMEORIGIN', not 'DENY'",
        "X-Content-Type-Options is None, not 'nosniff'",
        "Referrer-Policy is None, not 'same-origin'",
        "Cross-Origin-Opener-Policy is None, not 'same-origin'",
    ]
