"""Registries: how the apps above core tell it what to show, so that core knows no domain.

Each app registers what it owns in its `AppConfig.ready()`:

- **navigation entries** (`navigation_register`): a page in the service navigation, where it
  goes in the list (`order`) and who sees it (`visible`, a callable given the signed-in user;
  core knows no roles, so the app that owns the page decides);
- **tag colours** (`tag_colours_register`): the GOV.UK tag colour of each value it owns, for
  `{% govuk_tag %}`;
- **home panels** (`home_panel_register`): a section of the home page, an include template and
  a callable given the request that returns the template's context (or None to leave the panel
  out for this user);
- **panels in other slots** (`panel_register`): the same for a named slot in another app's page,
  where the part belongs to a higher app (the membership page's link back to the
  self-assessment is accreditation's). The page renders the slot with `{% panels %}`
  (core/templatetags/panels.py), passing what the panels need (`partnership=...`).
- **email attachments** (`email_attachment_register`): how to make an attachment the email
  outbox (core/outbox.py) names by reference, when the email is sent (the decision letter's PDF
  is accreditation's).

For example, in `accreditation/apps.py`::

    def ready(self):
        from core.registry import navigation_register
        from partnerships.permissions import holds_any_role

        navigation_register("Review queue", "review:queue", order=20,
                            visible=holds_any_role("go_reviewer"))

Registering the same key again (URL name, panel name) replaces the entry, so a second call of
`ready()` adds nothing.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest


class _Ordered(Protocol):
    @property
    def order(self) -> int: ...


T = TypeVar("T", bound=_Ordered)


class Registry(Generic[T]):
    """Items by key, listed by their `order` and then in the order they were registered."""

    def __init__(self):
        self._items: dict[str, T] = {}

    def add(self, key: str, item: T) -> T:
        self._items[key] = item
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(sorted(self._items.values(), key=lambda item: item.order))

    def __len__(self) -> int:
        return len(self._items)


# --- the service navigation -----------------------------------------------------------------


@dataclass(frozen=True)
class NavigationEntry:
    text: str
    url_name: str
    order: int
    # Who sees it: a callable given the signed-in user; None means every signed-in user.
    visible: Callable[[Any], bool] | None = None

    def visible_to(self, user) -> bool:
        return self.visible is None or bool(self.visible(user))


NAVIGATION: Registry[NavigationEntry] = Registry()


def navigation_register(text: str, url_name: str, *, order: int,
                        visible: Callable[[Any], bool] | None = None) -> NavigationEntry:
    """A page in the service navigation, keyed by its URL name."""
    return NAVIGATION.add(url_name, NavigationEntry(text, url_name, order, visible))


def navigation_for(user) -> list[NavigationEntry]:
    """The entries a signed-in user sees, in order."""
    return [entry for entry in NAVIGATION if entry.visible_to(user)]


# --- tag colours ----------------------------------------------------------------------------

# Colours follow the GOV.UK tag guidance: grey for not started, blue for in progress,
# green for done, orange / red for something that needs attention.
TAG_COLOURS: dict[str, str] = {}


def tag_colours_register(colours: Mapping[str, str]) -> None:
    """The tag colour of each value. Two apps may register the same value (a red rating is red
    wherever it is shown) only with the same colour."""
    for value, colour in colours.items():
        value = str(value)
        if TAG_COLOURS.get(value, colour) != colour:
            raise ImproperlyConfigured(
                f"Tag value {value!r} is already {TAG_COLOURS[value]!r}; it cannot also be {colour!r}"
            )
        TAG_COLOURS[value] = colour


def tag_colour(value) -> str | None:
    return TAG_COLOURS.get(str(value))


# --- panels: the home page's sections, and parts of one app's page that another app owns ---------


@dataclass(frozen=True)
class Panel:
    slot: str
    name: str
    template: str
    # The include template's context (`panel` in it), given the request and what the page passes
    # to the slot; None leaves the panel out.
    context: Callable[..., dict | None]
    order: int


HOME = "core.home"
PANELS: dict[str, Registry[Panel]] = {}


def panel_register(slot: str, name: str, *, template: str, context: Callable[..., dict | None],
                   order: int) -> Panel:
    """A panel in a named slot of a page, keyed by its name within the slot."""
    return PANELS.setdefault(slot, Registry()).add(name, Panel(slot, name, template, context, order))


def panels_for(slot: str, request: HttpRequest, **page) -> list[dict]:
    """The slot's panels to show this request, in order: `{"name", "template", "context"}` each.
    `page` is what the page passes to every panel of the slot (`partnership=...`)."""
    shown = []
    for panel in PANELS.get(slot, ()):
        context = panel.context(request, **page)
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "context": context})
    return shown


def home_panel_register(name: str, *, template: str, context: Callable[[HttpRequest], dict | None],
                        order: int) -> Panel:
    """A section of the home page: `context(request)` returns the include's context or None."""
    return panel_register(HOME, name, template=template, context=context, order=order)


def home_panels_for(request: HttpRequest) -> list[dict]:
    return panels_for(HOME, request)


# --- email attachments: made when the email is sent, by the app that owns the document -----------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


EMAIL_ATTACHMENTS: dict[str, Callable[[str], Attachment]] = {}


def email_attachment_register(kind: str, render: Callable[[str], Attachment]) -> None:
    """`render(ref)` makes the attachment an outbox email names as "<kind>:<ref>"."""
    if ":" in kind:
        raise ImproperlyConfigured(f"An attachment kind cannot contain ':' ({kind!r})")
    EMAIL_ATTACHMENTS[kind] = render


def email_attachment_render(reference: str) -> Attachment:
    """The attachment named by "<kind>:<ref>"; LookupError if no app registered the kind."""
    kind, _, ref = reference.partition(":")
    try:
        render = EMAIL_ATTACHMENTS[kind]
    except KeyError:
        raise LookupError(f"no email attachment renderer is registered for {kind!r}") from None
    return render(ref)
