"""Native OSQP (the C solver through its Python wheel) on the Maros-Meszaros problems of
../shared/data/qp/maros, timed the way bench/qp.ts times ours, for a like-for-like comparison:
the data are converted to SciPy/NumPy before any timer starts, the time is OSQP's own C timers
(setup, which includes the factorization, + solve + polish), and a problem whose first run takes
under 100 ms is run 5 more times with a fresh solver and its median kept (ours: 10 untimed runs,
then the median of 5, since JavaScript needs them to be compiled).

Usage: PYTHON native_maros.py [--max-iter 100000] [--filter NAME]
Prints one JSON object per problem: status, objective, relative error to the reference, whether
it counts as solved (status solved and relative error <= 1e-4), iterations, time (ms) and the
first run's time.
"""
import argparse, json, os
import numpy as np
import osqp
from native_scale import bounds, csc

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "qp", "maros")


def run(P, q, A, l, u, max_iter):
    s = osqp.OSQP()
    s.setup(P=P, q=q, A=A, l=l, u=u, verbose=False, eps_abs=1e-6, eps_rel=1e-6, polish=True, max_iter=max_iter)
    r = s.solve()
    return r, (r.info.setup_time + r.info.solve_time + r.info.polish_time) * 1e3


def main(a):
    for f in sorted(os.listdir(DATA)):
        if not f.endswith(".json") or f == "index.json" or (a.filter and a.filter not in f):
            continue
        p = json.load(open(os.path.join(DATA, f)))
        P, A, q = csc(p["P"]), csc(p["A"]), np.array(p["q"], float)
        l, u = bounds(p)
        r, first = run(P, q, A, l, u, a.max_iter)
        times = [first]
        if first < 100:
            times += [run(P, q, A, l, u, a.max_iter)[1] for _ in range(5)]
        ref = p.get("objective_reference")
        obj = None if r.info.obj_val is None or not np.isfinite(r.info.obj_val) else float(r.info.obj_val) + float(p.get("r", 0.0))
        err = None if obj is None or ref is None else abs(obj - ref) / max(1.0, abs(ref))
        print(json.dumps({"problem": f[:-5], "status": r.info.status, "objective": obj, "reference": ref, "rel_err": err,
                          "solved_1e4": r.info.status == "solved" and err is not None and err <= 1e-4, "iter": r.info.iter,
                          "ms": round(float(np.median(times)), 4), "first_ms": round(first, 4)}), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-iter", type=int, default=100000)
    ap.add_argument("--filter")
    main(ap.parse_args())
