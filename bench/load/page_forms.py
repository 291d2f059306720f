"""The POST forms of a page as a browser would send them, for the simulated users of the load
run (locustfile.py) and the page profile (bench/bench_pages.py)."""

from html.parser import HTMLParser


class _Forms(HTMLParser):
    """The POST forms of a page: action -> the fields a browser would send (hidden inputs,
    text with values, checked boxes), without any submit button."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._current = []
            self.forms.append((a.get("action") or "", self._current))
        elif tag == "input" and self._current is not None and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self._current.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def form_fields(html: str, *actions: str) -> dict[str, str]:
    """The fields of the first POST form whose action is one of `actions` (a form posting to
    its own page may say so with an empty action or with the page's path)."""
    parser = _Forms()
    parser.feed(html)
    for form_action, fields in parser.forms:
        if form_action in actions:
            return dict(fields)
    raise LookupError(f"no POST form with action {' or '.join(map(repr, actions))} on the page")
