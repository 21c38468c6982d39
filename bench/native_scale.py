"""Native OSQP (the C solver through its Python wheel) on the QPs of `npm run bench:scale`: the
closed loops that bench/scale.ts ran with our `act`, replayed state by state on one warm-started
OSQP solver, so that both solve the same sequence of QPs in the same run.

Usage: PYTHON native_scale.py FILE.json [--reps 3]
FILE.json (written by bench/scale.ts): {"problems": [{"name", "P", "A" (CSC: shape, indptr,
indices, data; P upper triangular), "q", "l", "u" (|b| >= 1e20 is infinite), "x0_rows",
"u0_cols", "states" (one per step), "ours_u0" (our first input at each step)}]}
Settings: tight (eps_abs = eps_rel = 1e-6, polish) and OSQP's defaults (1e-3, no polish), both
with the termination checked every 5 iterations, as bench:qp's like-for-like rows. Prints one JSON
object per problem and settings: the median over repetitions of the per-solve median time ("core_us": OSQP's own timers of the bounds update, the
solve and the polish, C only; "wall_us": the solve call from Python), median iterations, steps not
solved (by status), solved steps whose polish failed, and the largest |u0 - ours| over the solved
steps.
"""
import argparse, json, time
import numpy as np
import scipy.sparse as sp
import osqp


def csc(d):
    return sp.csc_matrix((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))


def bounds(p):
    l, u = np.array(p["l"], float), np.array(p["u"], float)
    l[l <= -1e20] = -np.inf
    u[u >= 1e20] = np.inf
    return l, u


TIGHT = dict(eps_abs=1e-6, eps_rel=1e-6, polish=True)


def run(p, reps, label, settings):
    P, A, q = csc(p["P"]), csc(p["A"]), np.array(p["q"], float)
    l0, u0 = bounds(p)
    rows = np.array(p["x0_rows"], int)
    cols = np.array(p["u0_cols"], int)
    states = np.array(p["states"], float)
    ours = np.array(p["ours_u0"], float)
    core, wall = [], []
    iters, unsolved, unpolished, du, statuses = [], 0, 0, 0.0, {}
    for rep in range(reps + 1):  # the first repetition warms up
        s = osqp.OSQP()
        s.setup(P=P, q=q, A=A, l=l0.copy(), u=u0.copy(), verbose=False, check_termination=5,
                max_iter=100000, **settings)
        l, u = l0.copy(), u0.copy()
        ct, wt = [], []
        for k, x0 in enumerate(states):
            l[rows] = x0
            u[rows] = x0
            s.update(l=l, u=u)
            t0 = time.perf_counter()
            r = s.solve()
            t1 = time.perf_counter()
            ct.append((r.info.update_time + r.info.solve_time + r.info.polish_time) * 1e6)
            wt.append((t1 - t0) * 1e6)
            if rep == reps:
                iters.append(r.info.iter)
                if r.info.status != "solved":
                    unsolved += 1
                    statuses[r.info.status] = statuses.get(r.info.status, 0) + 1
                else:
                    du = max(du, float(np.max(np.abs(r.x[cols] - ours[k]))))
                # status_polish: 1 success, 0 not run, 2 not needed (no active row), < 0 failed
                unpolished += settings.get("polish", False) and r.info.status == "solved" and r.info.status_polish < 0
        if rep > 0:
            core.append(float(np.median(ct)))
            wall.append(float(np.median(wt)))
    return {"problem": p["name"], "settings": label, "steps": len(states), "core_us": round(float(np.median(core)), 2),
            "wall_us": round(float(np.median(wall)), 2), "median_iter": int(np.median(iters)),
            "unsolved": unsolved, "unsolved_statuses": statuses, "unpolished": unpolished, "max_du0": du, "osqp": osqp.__version__}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    for p in json.load(open(a.file))["problems"]:
        for label, settings in [("tight", TIGHT), ("default", {})]:
            print(json.dumps(run(p, a.reps, label, settings)), flush=True)
