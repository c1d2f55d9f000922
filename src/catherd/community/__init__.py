"""The community's questions, answered once for every view: who is new, what a release owes
to whom, which period a report covers. Views (CLI, reports, dashboard, API) call these."""
