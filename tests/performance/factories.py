"""Factories for targets and progress returns. Returns are made through the real service, so
their judgement is the rule's, never a value a test picked."""

from decimal import Decimal

import factory

from performance import services
from performance.models import FloorTarget, Kind, ProgressReturn, Target, Theme, Unit
from tests.factories import PartnershipFactory, UserFactory


class FloorTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FloorTarget
        django_get_or_create = ("wording",)

    theme = Theme.CRIME
    wording = factory.Sequence(lambda n: f"Reduce domestic burglary, floor target {n}")
    department = "Home Office"
    spending_review = "SR2002"
    wording_status = ""
    source = None
    is_current = True


class TargetFactory(factory.django.DjangoModelFactory):
    """A local crime target by default: 40 burglaries per 1,000 households in 2001/02 down to
    30 by 2005/06 (lower is better)."""

    class Meta:
        model = Target

    partnership = factory.SubFactory(PartnershipFactory)
    theme = Theme.CRIME
    kind = Kind.LOCAL
    floor_target = None
    title = factory.Sequence(lambda n: f"Target {n}")
    indicator = "Domestic burglaries per 1,000 households"
    unit = Unit.PER_1000
    baseline_value = Decimal("40")
    baseline_year = 2001
    target_value = Decimal("30")
    target_year = 2005
    lead_partner = "West Midlands Police"

    class Params:
        floor = factory.Trait(
            kind=Kind.FLOOR,
            floor_target=factory.SubFactory(FloorTargetFactory, theme=factory.SelfAttribute("..theme")),
        )


class ProgressReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReturn

    target = factory.SubFactory(TargetFactory)
    year = factory.LazyAttribute(lambda o: o.target.baseline_year + 1)
    actual = factory.LazyAttribute(lambda o: o.target.trajectory.expected(o.year))
    commentary = "Progress as planned, with reasons."
    recorded_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        actual = kwargs["actual"]
        if not isinstance(actual, Decimal):
            actual = Decimal(actual.numerator) / Decimal(actual.denominator)
        return services.return_add(target=kwargs["target"], by=kwargs["recorded_by"],
                                   year=kwargs["year"], actual=round(actual, 2),
                                   commentary=kwargs["commentary"])
