"""The words of the demo story (`reference.demo`): member organisations, the cases the officers
write, the Government Office's views and the concerns in the decisions."""

from accreditation.models import GoRating
from partnerships.models import Member, Sector

SURNAMES = ("Ahmed", "Baker", "Clarke", "Davies", "Evans", "Fletcher", "Gill", "Hughes", "Iqbal",
            "Jones", "Khan", "Lewis", "Morgan", "Noble", "Owen", "Patel", "Quinn", "Roberts",
            "Singh", "Taylor", "Walker", "Young")

MEMBERS = (
    # organisation, representative, sector, role (the chair is the council's leader)
    ("{area} Council", "Councillor {name}", Sector.PUBLIC, Member.Role.CHAIR),
    ("{area} Primary Care Trust", "Chief Executive", Sector.PUBLIC, Member.Role.MEMBER),
    ("{area} Chamber of Commerce", "President", Sector.BUSINESS, Member.Role.MEMBER),
    ("{area} Council for Voluntary Service", "Director", Sector.VOLUNTARY, Member.Role.MEMBER),
    ("{area} Community Empowerment Network", "Co-ordinator", Sector.COMMUNITY, Member.Role.MEMBER),
    ("{area} Faith Forum", "Secretary", Sector.FAITH, Member.Role.MEMBER),
)

CASES = {
    "R1": "{lsp} brings the council, health, police, business, voluntary and community partners "
          "together on one board that meets every six weeks and steers the neighbourhood renewal "
          "strategy for the whole of {area}.",
    "R2": "Every key sector sits on the board. The community empowerment network, supported by "
          "the Community Empowerment Fund, elects the community representatives.",
    "R3": "Partners have agreed shared priorities with targets and milestones linked to the floor "
          "targets, set out in the local neighbourhood renewal strategy and the draft community "
          "strategy.",
    "R4": "The council, primary care trust and police have aligned their 2002/03 plans with the "
          "shared priorities and pooled mainstream budgets for two neighbourhood management "
          "pilots.",
    "R5": "Local partnerships and plans have been rationalised into theme groups reporting to the "
          "board.",
    "R6": "The board reviews its performance each year and shares good practice through the "
          "regional network of LSPs.",
}
GENERIC_CASE = "{lsp} has evidence for this requirement in its board papers and strategy."
AMBER_CASES = {
    "R1": "The board was reconstituted in 2001 and is still agreeing its strategic role for the "
          "whole borough and the terms of reference of its theme groups.",
    "R2": "The public, business and voluntary sectors are represented. Community representatives "
          "are still to be elected through the new community empowerment network.",
    "R4": "The council and the primary care trust have aligned their plans; other partners' "
          "mainstream budgets are still being mapped to the shared priorities.",
}
WALSALL_INCLUSIVENESS = (
    "The community empowerment network held its first meeting in January 2002 and will elect "
    "community representatives to the board by the end of March."
)
WALSALL_GO_VIEWS = {
    "R1": (GoRating.RED, "The board has not yet agreed its strategic role or how the theme groups "
                         "report to it; partners could not say who leads on the strategy."),
    "R2": (GoRating.RED, "No community sector organisation sits on the board, and community groups "
                         "told us they have had no say in the priorities."),
}
WALSALL_CONCERNS = {
    "R1": ("The partnership has not yet shown that it can play a strategic role for the whole "
           "borough.",
           "Agree the board's strategic role and the theme groups' terms of reference, and show "
           "them in use at a board meeting before the review."),
    "R2": ("The community sector is not represented on the partnership.",
           "Bring community representatives elected through the community empowerment network "
           "onto the board, and show how they took part in setting the priorities."),
}
R4_CONCERN = (
    "Partners' mainstream budgets are not yet aligned with the shared priorities.",
    "Show in the 2003/04 self-assessment how each partner's mainstream budget has been aligned "
    "with the neighbourhood renewal strategy.",
)
