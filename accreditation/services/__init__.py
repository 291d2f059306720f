"""Every write to an assessment, by journey: drafting (the partnership's officers and chair),
review (the Government Office reviewer), decisions (accredit, defer, in bulk, with the letter),
deferral (the partnership's response to a deferral, for the next review round). Shared
transition machinery is in transitions. Import from those modules; nothing is re-exported here."""
