"""Named permission checks for accreditation pages. Views ask these; they never compare roles
themselves. A failed check answers 404, so a URL never confirms that someone else's data exists."""

from partnerships.models import Role
from partnerships.selectors import user_has_role


def user_is_reviewer(user) -> bool:
    """A Government Office reviewer of at least one region (NRU staff are not reviewers: their
    read-only view of every partnership is the national dashboard's). Which assessments a
    reviewer may take, rate and decide is review_selectors.assessments_reviewable_by."""
    return user_has_role(user, Role.GO_REVIEWER)


# --- The partnership's side: its officers draft, its chair signs off ----------------------------


def user_is_lsp(user, partnership) -> bool:
    """An officer or the chair of this partnership: may see its self-assessment pages."""
    return user_has_role(user, Role.LSP_OFFICER, Role.LSP_CHAIR, partnership=partnership)


def user_is_lsp_officer(user, partnership) -> bool:
    """An officer of this partnership (`partnership` may be an id): drafts its answers, whatever
    state they are in now (a service refuses a change to a submitted one, and says why)."""
    return user_has_role(user, Role.LSP_OFFICER, partnership=partnership)


def user_is_lsp_chair(user, partnership) -> bool:
    """The chair of this partnership: signs off its self-assessments."""
    return user_has_role(user, Role.LSP_CHAIR, partnership=partnership)


def can_view_assessment(user, assessment) -> bool:
    """The partnership's own pages for a self-assessment (task list, answers, decision)."""
    return user_is_lsp(user, assessment.partnership_id)


def can_edit_assessment(user, assessment) -> bool:
    """Change answers, evidence and progress reports: an officer of the partnership, while the
    assessment is a draft (new, or returned for changes)."""
    return (
        user_has_role(user, Role.LSP_OFFICER, partnership=assessment.partnership_id)
        and assessment.is_editable_by_lsp
    )


def can_sign_off(user, assessment) -> bool:
    """Sign off and submit: the partnership's chair (a user with the chair role for it), while
    the assessment is a draft."""
    return (
        user_has_role(user, Role.LSP_CHAIR, partnership=assessment.partnership_id)
        and assessment.is_editable_by_lsp
    )
