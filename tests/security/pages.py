"""What every rendered page must hold, read with the standard library's HTML parser."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

REQUIRED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NONCE = re.compile(r"'nonce-([^']+)'")


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (tag/type, name, value)
    line: int = 0

    @property
    def has_csrf_token(self) -> bool:
        return any(name == "csrfmiddlewaretoken" and value for _, name, value in self.fields)


@dataclass
class Page:
    scripts: list[dict] = field(default_factory=list)  # attrs of each <script>
    styles: list[dict] = field(default_factory=list)  # attrs of each <style>
    inline_styles: list[tuple[str, int]] = field(default_factory=list)  # (tag, line)
    handlers: list[tuple[str, str, int]] = field(default_factory=list)  # (tag, attribute, line)
    javascript_urls: list[tuple[str, int]] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    # Fields outside any <form> but tied to one by form="id" are rare; not used here.


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        line = self.getpos()[0]
        if tag == "script":
            self.page.scripts.append(a)
        elif tag == "style":
            self.page.styles.append(a)
        if "style" in a:
            self.page.inline_styles.append((tag, line))
        for name in a:
            if name.startswith("on"):
                self.page.handlers.append((tag, name, line))
        for name in ("href", "src", "action", "formaction"):
            if a.get(name, "").strip().lower().startswith("javascript:"):
                self.page.javascript_urls.append((tag, line))
        if tag == "form":
            self._form = Form(method=a.get("method", "get").lower(), action=a.get("action", ""),
                              line=line)
            self.page.forms.append(self._form)
        elif self._form is not None:
            if tag == "input":
                self._form.fields.append((a.get("type", "text").lower(), a.get("name", ""),
                                          a.get("value", "")))
            elif tag in ("textarea", "button"):
                self._form.fields.append((tag, a.get("name", ""), a.get("value", "")))
            elif tag == "select":
                self._select = a.get("name", "")
                self._form.fields.append(("select", self._select, ""))
            elif tag == "option" and self._select is not None:
                self._form.fields.append(("option", self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse_page(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def header_problems(headers: dict) -> list[str]:
    return [f"{name} is {headers.get(name)!r}, not {value!r}"
            for name, value in REQUIRED_HEADERS.items() if headers.get(name) != value]


def csp_problems(policy: str) -> list[str]:
    problems = []
    if not policy:
        return ["no Content-Security-Policy header"]
    words = re.split(r"[\s;]+", policy)
    for word in ("'unsafe-inline'", "'unsafe-eval'", "*"):
        if word in words:
            problems.append(f"the policy allows {word}")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    for name, wanted in (("default-src", ["'self'"]), ("object-src", ["'none'"]),
                         ("frame-ancestors", ["'none'"]), ("base-uri", ["'self'"])):
        if directives.get(name) != wanted:
            problems.append(f"{name} is {directives.get(name)}, not {wanted}")
    return problems


def html_problems(html: str, policy: str) -> list[str]:
    """Scripts only from this site or with this response's nonce; no inline styles or event
    handlers (the policy would block them, silently breaking the page); a CSRF token in every
    form that posts."""
    page = parse_page(html)
    nonces = NONCE.findall(policy)
    problems = []
    for attrs in page.scripts:
        if "src" in attrs:
            if not attrs["src"].startswith("/static/"):
                problems.append(f"script from elsewhere: {attrs['src']}")
        elif attrs.get("nonce") not in nonces or not nonces:
            problems.append(f"inline <script> without this response's nonce ({attrs})")
    for attrs in page.styles:
        if attrs.get("nonce") not in nonces or not nonces:
            problems.append("<style> element (the policy allows only stylesheets from this site)")
    problems += [f"style attribute on <{tag}> at line {line}" for tag, line in page.inline_styles]
    problems += [f"{attr} handler on <{tag}> at line {line}" for tag, attr, line in page.handlers]
    problems += [f"javascript: URL on <{tag}> at line {line}" for tag, line in page.javascript_urls]
    for form in page.forms:
        if form.method == "post" and not form.has_csrf_token:
            problems.append(f"<form method=post action={form.action!r}> at line {form.line} "
                            "has no CSRF token")
    return problems


class _Submission(HTMLParser):
    """What a browser sends from each POST form: hidden and filled inputs, checked boxes and
    radios, textareas and selected options; no buttons, no files."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._fields = {}
            self.forms.append((a.get("action", ""), self._fields))
        elif self._fields is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._fields[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._fields[self._select] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea and self._fields is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def post_fields(html: str, action: str = "") -> dict[str, str]:
    """The fields a browser would submit from the page's POST form with this action."""
    parser = _Submission()
    parser.feed(html)
    for form_action, fields in parser.forms:
        if form_action == action:
            return dict(fields)
    raise LookupError(f"no POST form with action {action!r} on the page")
