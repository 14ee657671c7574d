"""The allocation model: maximise expected GMV over purchases and their segments.

The model is built from named pieces, one function per constraint family, and
every constraint is named after its rule so that infeasibility and binding
limits can be told to the buyer:

    budget                          total new spend <= budget - commitments
    daily_cap_<day>                 spend per day <= campaign daily cap
    tool_budget_<tool>              a tool's total <= its cap
    seeding_share_min / _max        the balance effect (A+I share of A+I+M)
    amplification_<video>           paid impressions <= 100x natural plays
    phase_<bound>_<sale>_<phase>[_<day>] the buyer's budget per sale phase or before it
    min_order_<p> / link_<p>_<k>    zero or at least the tool's minimum order
    cs_excludes_dou_plus_<c>_<d>_<k> no Dou+ on a video while its content service runs

Why it is fast: the segments make the objective concave, so without the
discrete rules this is an LP whose basic optimum has at most as many
fractional purchases as there are coupling rows (budget, days, tools,
balance, videos). Content-service orders always get a binary (one-shot,
50,000 minimum, exclusive with Dou+). Minimum-order binaries are added lazily,
only for purchases the relaxation leaves between zero and the minimum, and the
model is re-solved until no purchase violates its minimum.

Most purchases never get money, so the model only carries an *active* set
(sifting, a form of column generation): the LP relaxation is solved on the
most promising purchases, every other segment is priced with the duals of the
named rows (budget, days, tools, balance, reach), and purchases with a
positive reduced cost join until none is left. That LP relaxation, over every
purchase, is the proven bound; the discrete model is then solved on the
active set, and ``gap`` compares the two. ``flat=True`` builds the plain MILP
with a binary on every purchase, for comparison.

The families are written as sparse arrays, not PuLP expressions: PuLP's
per-term objects cost more than the solve at a few thousand videos
(trial runs). The coupling rows (budget, days, tools, balance, reach) are
computed once per solve as a per-purchase column pattern, so an active set's
matrix is a gather and pricing every purchase is one dot product with the
duals. HiGHS receives the arrays directly; the CBC fallback and the
infeasibility explanation get the same rows as a PuLP problem (``to_pulp``).

The package has a room for each job: ``model`` (the constraint families and
the allocation model), ``backends`` (HiGHS from arrays, PuLP for CBC and the
infeasibility explanation) and ``strategy`` (sifting, lazy discrete rounds,
repair, proof).
"""

from planner.optimiser.backends import PulpForm, pulp_solver, to_pulp
from planner.optimiser.model import (
    COUPLING_FAMILIES,
    AllocationModel,
    Coupling,
    Rows,
    amplification_name,
    build_model,
    coupling,
    daily_cap_name,
    kol_share_name,
    learning_loss,
    phase_budget_name,
    video_share_name,
)
from planner.optimiser.strategy import (
    SolveResult,
    budget_only_bound,
    explain_infeasibility,
    solve,
)

__all__ = [
    "COUPLING_FAMILIES",
    "AllocationModel",
    "Coupling",
    "PulpForm",
    "Rows",
    "SolveResult",
    "amplification_name",
    "budget_only_bound",
    "build_model",
    "coupling",
    "daily_cap_name",
    "explain_infeasibility",
    "kol_share_name",
    "learning_loss",
    "phase_budget_name",
    "pulp_solver",
    "solve",
    "to_pulp",
    "video_share_name",
]
