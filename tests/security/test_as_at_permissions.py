"""The pages and API that read the position as at a date answer every role exactly as the
permission table says when asked for a past day, or for a day that is not valid: `as_at`
widens nothing and never gives a 500. The one difference: a download asked for a day that is not
valid is refused (400) where the table says the file is given, rather than a file of today's
figures."""

import pytest

from funding.models import FinancialYear

from .matrix import request_as, url_for
from .permission_table import COLUMNS, EXPECTED
from .world import build_world

AS_AT_URLS = ["reporting:dashboard-show", "reporting:dashboard-export-csv",
              "reporting:dashboard-export-xlsx", "reporting:partnership-show",
              "funding:partnership-funding", "reporting_api:allocation-list"]


@pytest.mark.django_db
def test_as_at_answers_every_role_as_the_table_says(settings):
    settings.TRAINING_CLOCK = True
    world = build_world()
    first = FinancialYear.objects.order_by("starts_on").first().starts_on
    problems = []
    for name in AS_AT_URLS:
        url = url_for(world, name)
        for query in ({"as_at": first.isoformat()}, {"as_at": "2002-02-30"},
                      {"as_at": "9999-12-31"}, {"as_at_0": "31", "as_at_1": "2",
                                                "as_at_2": "2002"}):
            for role in COLUMNS:
                answer = request_as(world, role, "GET", url, data=query, name=name)
                want = EXPECTED[name]["GET"][role]
                # A download or the API for a bad day: refused with the reason, never a file
                # or figures of another day.
                bad_day = query != {"as_at": first.isoformat()}
                if ("export" in name or name.startswith("reporting_api")) and want == "200" \
                        and bad_day:
                    want = "400"
                if answer.status >= 500 or answer.outcome != want:
                    problems.append(f"{url}?{query} as {role}: {answer.outcome} "
                                    f"(want {want}) {answer.error}")
                if answer.changed:
                    problems.append(f"{url}?{query} as {role} changed {answer.changed}")
    assert not problems, "\n".join(problems)
