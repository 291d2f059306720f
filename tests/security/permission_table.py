"""Who gets what from every URL of the portal: the one place the expected answers are written.

Each URL name has a GET line and a POST line; the columns are the roles of
tests/security/world.py (A is in region 1, B in region 2; the objects in URL_KWARGS belong to
partnerships of region 1). The answers are classes of status code:

    200    any 2xx (a page, a file, JSON)       login  redirect to a sign-in page
    302    any other redirect                   400 401 403 404 405 409   that status

The rules behind them (docs/adr/0010-who-sees-what.md): signed out, a private page sends you
to sign in; signed in without scope, you get 404, never someone else's data and never a hint
that it exists (405 answers only where the method is refused before anything is looked up);
public pages answer everyone. POSTs are sent with an empty body: the answer is a form with
errors, a redirect with a message, or a refusal, never a 500.

A URL added to the project without lines here fails tests/security/test_permission_matrix.py.
"""

# Keyword arguments of each URL with parameters: attribute paths on the World.
URL_KWARGS = {
    "accreditation:assessment-start": {"partnership_pk": "partnership_a.pk",
                                       "cycle_pk": "cycle_2003.pk"},
    "accreditation:assessment-tasks": {"pk": "a_draft.pk"},
    "accreditation:response-edit": {"pk": "a_draft.pk", "code": "'R1'"},
    "accreditation:response-autosave": {"pk": "a_draft.pk", "code": "'R1'"},
    "accreditation:concern-progress": {"pk": "a_draft.pk"},
    "accreditation:evidence-list": {"pk": "a_draft.pk"},
    "accreditation:evidence-download": {"pk": "a_evidence.pk"},
    "accreditation:assessment-check": {"pk": "a_draft.pk"},
    "accreditation:assessment-sign-off": {"pk": "a_draft.pk"},
    "accreditation:assessment-submitted": {"pk": "a_2002.pk"},
    "accreditation:assessment-decision": {"pk": "a_2002.pk"},
    "accreditation:decision-letter": {"pk": "a_2002.pk", "decision_pk": "a_decision.pk"},
    "accreditation:assessment-history": {"pk": "a_draft.pk"},
    "accreditation:deferral-response": {"pk": "a_2002.pk"},
    "accreditation:deferral-concern": {"pk": "a_2002.pk", "concern_pk": "a_concern.pk"},
    "accreditation:deferral-answer": {"pk": "a_2002.pk", "code": "'R1'"},
    "accreditation:deferral-sign-off": {"pk": "a_2002.pk"},
    "review:assessment-detail": {"pk": "c_review.pk"},
    "review:assessment-start": {"pk": "d_submitted.pk"},
    "review:response-rate": {"pk": "c_review.pk", "requirement_pk": "c_requirement.pk"},
    "review:stakeholder-view-add": {"pk": "c_review.pk"},
    "review:decision-choose": {"pk": "c_review.pk"},
    "review:assessment-accredit": {"pk": "c_review.pk"},
    "review:assessment-accredit-with-concerns": {"pk": "c_review.pk"},
    "review:assessment-defer": {"pk": "c_review.pk"},
    "review:assessment-return": {"pk": "c_review.pk"},
    "review:decision-letter": {"pk": "a_decision.pk"},
    "review:decision-letter-pdf": {"pk": "a_decision.pk"},
    "partnerships:member-list": {"slug": "partnership_a.slug"},
    "partnerships:member-add": {"slug": "partnership_a.slug"},
    "partnerships:member-change": {"slug": "partnership_a.slug", "member_pk": "member_a.pk"},
    "partnerships:member-remove": {"slug": "partnership_a.slug", "member_pk": "member_a.pk"},
    "funding:releasepolicy-detail": {"pk": "policy.pk"},
    "funding:releasepolicy-change": {"pk": "policy.pk"},
    "funding:releasepolicy-override": {"pk": "policy.pk"},
    "funding:partnership-funding": {"slug": "partnership_a.slug"},
    "reporting:partnership-show": {"slug": "partnership_a.slug"},
    "reporting:email-send-again": {"pk": "failed_email.pk"},
    "reporting:api-token-revoke": {"prefix": "api_token.prefix"},
    "reporting_public:decisions-show": {"year_start": "cycle_2002.year_start"},
    "reporting_public:decisions-csv": {"year_start": "cycle_2002.year_start"},
    "reporting_public:decisions-json": {"year_start": "cycle_2002.year_start"},
    "reporting_public:decisions-csv-metadata": {"year_start": "cycle_2002.year_start"},
    "reporting_public:decisions-360giving-json": {"year_start": "cycle_2002.year_start"},
    "reporting_public:decisions-360giving-xlsx": {"year_start": "cycle_2002.year_start"},
    "performance:target-list": {"slug": "partnership_a.slug"},
    "performance:target-add": {"slug": "partnership_a.slug"},
    "performance:target-detail": {"pk": "target_a.pk"},
    "performance:target-change": {"pk": "target_a.pk"},
    "performance:return-add": {"pk": "target_a.pk"},
    "performance:return-change": {"pk": "return_a.pk"},
}

TABLE = """
# url name                                method  anon  offA  offB  chairA rev1  rev2  nru   admin
core:home                                 GET     login 200   200   200   200   200   200   200
                                          POST    login 405   405   405   405   405   405   405
core:sign-in                              GET     200   302   302   302   302   302   302   302
                                          POST    200   302   302   302   302   302   302   302
core:sign-out                             GET     405   405   405   405   405   405   405   405
                                          POST    login login login login login login login login
core:accessibility                        GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
core:session-keepalive                    GET     405   405   405   405   405   405   405   405
                                          POST    401   200   200   200   200   200   200   200

# The partnership's own pages: its officers and chair. Reviewers and NRU staff read a
# partnership's papers through their own pages (review, dashboard), not these.
accreditation:home                        GET     login 200   200   200   404   404   404   404
                                          POST    login 405   405   405   405   405   405   405
accreditation:assessment-start            GET     login 405   405   405   405   405   405   405
                                          POST    login 302   404   404   404   404   404   404
accreditation:assessment-tasks            GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
accreditation:response-edit               GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:response-autosave           GET     405   405   405   405   405   405   405   405
                                          POST    401   400   404   403   404   404   404   404
accreditation:concern-progress            GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:evidence-list               GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
# Evidence files: anyone who may read the assessment (assessments_visible_to): its officers
# and chair always, its region's reviewers and NRU once it has been submitted. a_evidence is in
# A's 2003/04 draft, never submitted; tests/security/test_evidence_access.py tries every state.
accreditation:evidence-download           GET     login 200   404   200   404   404   404   404
                                          POST    login 405   405   405   405   405   405   405
accreditation:assessment-check            GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:assessment-sign-off         GET     login 404   404   200   404   404   404   404
                                          POST    login 404   404   200   404   404   404   404
accreditation:assessment-submitted        GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
accreditation:assessment-decision         GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
accreditation:decision-letter             GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
accreditation:assessment-history          GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
# Responding to a deferral: the officers write, the chair reads and signs off. An officer who
# tries to sign off is told only the chair can (403); reviewers read the response on their page.
accreditation:deferral-response           GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:deferral-concern            GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:deferral-answer             GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
accreditation:deferral-sign-off           GET     login 403   404   200   404   404   404   404
                                          POST    login 403   404   200   404   404   404   404

# Government Office reviewers, for their own region's assessments.
review:queue                              GET     login 404   404   404   200   200   404   404
                                          POST    login 404   404   404   405   405   404   404
review:bulk-accredit                      GET     login 404   404   404   200   200   404   404
                                          POST    login 404   404   404   200   200   404   404
review:assessment-detail                  GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   405   405   404   404
review:assessment-start                   GET     login 404   404   404   302   404   404   404
                                          POST    login 404   404   404   302   404   404   404
review:response-rate                      GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:stakeholder-view-add               GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:decision-choose                    GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:assessment-accredit                GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:assessment-accredit-with-concerns  GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:assessment-defer                   GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
review:assessment-return                  GET     login 404   404   404   200   404   404   404
                                          POST    login 404   404   404   200   404   404   404
# The letter goes to the partnership: its people, its region's reviewers and NRU may read it.
review:decision-letter                    GET     login 200   404   200   200   404   200   200
                                          POST    login 405   405   405   405   405   405   405
review:decision-letter-pdf                GET     login 200   404   200   200   404   200   200
                                          POST    login 405   405   405   405   405   405   405

# Membership: the chair reads it, officers change it.
partnerships:member-list                  GET     login 200   404   200   404   404   404   404
                                          POST    login 405   404   405   404   404   404   404
partnerships:member-add                   GET     login 200   404   404   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
partnerships:member-change                GET     login 200   404   404   404   404   404   404
                                          POST    login 200   404   404   404   404   404   404
partnerships:member-remove                GET     login 200   404   404   404   404   404   404
                                          POST    login 302   404   404   404   404   404   404

# Release policies: NRU administrators only.
funding:releasepolicy-list                GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   405
funding:releasepolicy-detail              GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   405
funding:releasepolicy-change              GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   200
funding:releasepolicy-override            GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   200

# A partnership's money and its timeline: its officers and chair, its region's reviewers, NRU.
funding:partnership-funding               GET     login 200   404   200   200   404   200   200
                                          POST    login 405   404   405   405   404   405   405

# The national dashboard and its exports: NRU staff; imports: NRU administrators.
reporting:dashboard-show                  GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
reporting:dashboard-export-csv            GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
reporting:dashboard-export-csv-metadata   GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
reporting:dashboard-export-xlsx           GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
reporting:partnership-show                GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
reporting:allocations-import              GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   200
reporting:allocations-import-template     GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   405
reporting:allocations-import-confirm      GET     login 404   404   404   404   404   404   405
                                          POST    login 404   404   404   404   404   404   302
# The training date of a training service: NRU administrators move it. (With the training
# clock off the page does not exist: 404 for everyone signed in; the matrix runs with it on.)
reporting:training-date                   GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   200

# Emails the service could not send, and sending one again: NRU administrators only (the list
# shows people's addresses and the decisions' subjects).
reporting:emails-failed                   GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   405
reporting:email-send-again                GET     login 404   404   404   404   404   404   405
                                          POST    login 404   404   404   404   404   404   302

# The read API's tokens: NRU administrators make, list and revoke them (a token's key is shown
# once, in the answer to the form that made it).
reporting:api-tokens                      GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   405
reporting:api-token-new                   GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   200
reporting:api-token-revoke                GET     login 404   404   404   404   404   404   200
                                          POST    login 404   404   404   404   404   404   302

# Published decisions, their open data (CSV with its CSV on the Web metadata, JSON, 360Giving
# JSON and spreadsheet): everyone, signed in or not, once the cycle is announced.
reporting_public:decisions-list           GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-show           GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-csv            GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-json           GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-csv-metadata   GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-360giving-json GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_public:decisions-360giving-xlsx GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405

# The read API answers NRU tokens and NRU staff's sessions: partnerships and allocations are 401
# without either, 404 to a session without an NRU role, as the pages answer (tests/reporting/
# test_api.py tries tokens and sessions); the API only reads (405). The index, decisions, the
# schema and its documentation page are public.
reporting_api:index                       GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_api:partnership-list            GET     401   404   404   404   404   404   200   200
                                          POST    401   404   404   404   404   404   405   405
reporting_api:allocation-list             GET     401   404   404   404   404   404   200   200
                                          POST    401   404   404   404   404   404   405   405
reporting_api:decision-list               GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_api:schema                      GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405
reporting_api:docs                        GET     200   200   200   200   200   200   200   200
                                          POST    405   405   405   405   405   405   405   405

# Targets and progress returns: the partnership's officers and chair keep them; its region's
# reviewers and NRU staff read them; NRU staff see the national counts. The home page sends
# someone with a single partnership straight to its targets.
performance:home                          GET     login 302   302   302   200   200   200   200
                                          POST    login 405   405   405   405   405   405   405
performance:floortarget-list              GET     login 200   200   200   200   200   200   200
                                          POST    login 405   405   405   405   405   405   405
performance:progress-national             GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
performance:progress-national-export      GET     login 404   404   404   404   404   200   200
                                          POST    login 404   404   404   404   404   405   405
performance:target-list                   GET     login 200   404   200   200   404   200   200
                                          POST    login 405   405   405   405   405   405   405
performance:target-add                    GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   200   404   404   404   404
performance:target-detail                 GET     login 200   404   200   200   404   200   200
                                          POST    login 405   405   405   405   405   405   405
performance:target-change                 GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   200   404   404   404   404
performance:return-add                    GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   200   404   404   404   404
performance:return-change                 GET     login 200   404   200   404   404   404   404
                                          POST    login 200   404   200   404   404   404   404

# Django's admin: staff only (the NRU administrator). Its internals are Django's own; the
# index stands for them.
admin:index                               GET     login login login login login login login 200
                                          POST    login login login login login login login 200
"""

COLUMNS = ("anonymous", "officer_a", "officer_b", "chair_a", "reviewer_1", "reviewer_2",
           "analyst", "admin")
OUTCOMES = {"200", "302", "login", "400", "401", "403", "404", "405", "409"}
METHODS = ("GET", "POST")


def parse(table: str = TABLE) -> dict[str, dict[str, dict[str, str]]]:
    """{url name: {method: {role: outcome}}}; a malformed line raises ValueError naming it."""
    expected: dict[str, dict[str, dict[str, str]]] = {}
    name = None
    for number, line in enumerate(table.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        if not line[0].isspace():
            name, words = words[0], words[1:]
        if name is None or len(words) != 1 + len(COLUMNS) or words[0] not in METHODS:
            raise ValueError(f"permission table line {number} is malformed: {line!r}")
        method, outcomes = words[0], words[1:]
        unknown = set(outcomes) - OUTCOMES
        if unknown:
            raise ValueError(f"permission table line {number}: unknown outcome(s) {unknown}")
        if method in expected.setdefault(name, {}):
            raise ValueError(f"permission table line {number}: {name} {method} given twice")
        expected[name][method] = dict(zip(COLUMNS, outcomes, strict=True))
    return expected


EXPECTED = parse()
