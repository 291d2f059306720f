"""The accreditation pages, by journey. The partnership's officers and chair: lsp_home,
lsp_tasks, lsp_drafting, lsp_sign_off, lsp_outcome, lsp_deferral (responding to a deferral)
(lsp_base is what they share, lsp_money the money they show). The Government Office reviewer:
review_queue, review_page, review_decisions, review_letters, review_bulk (review_base is what
they share)."""
