"""The ``simulate`` command: load an edge list, choose seeds, run a cascade model, print a summary or JSON.

    python -m analysis simulate --edges FILE.csv [--directed] --model ic|threshold|ovation [--p P] [--phi PHI]
        [--seeds K] [--seed-strategy random|degree|betweenness] [--runs R] [--rng SEED] [--json]

Exit code 2 with a message on stderr for bad input (missing file or column, a parameter out of range).
With ``--json`` stdout carries exactly one JSON object; the progress bar only ever goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

# Model options on the command line: flag -> (model, keyword of the model function).
_MODEL_FLAGS = {
    "p": ("ic", "p"),
    "phi": ("threshold", "phi"),
    "phi_sd": ("threshold", "phi_sd"),
    "quality": ("ovation", "quality"),
    "noise_sd": ("ovation", "noise_sd"),
    "stand_threshold": ("ovation", "stand_threshold"),
    "x": ("ovation", "x"),
    "visibility": ("ovation", "visibility"),
    "allow_sit": ("ovation", "allow_sit"),
}
_CLI_STRATEGIES = ("random", "degree", "betweenness")


def _unit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def _nonnegative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        return value

    return parse


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``simulate`` on the ``python -m analysis`` subparsers."""
    p = sub.add_parser(
        "simulate", help="run a cascade model (ic, threshold, ovation) on an edge list",
        description="Run a cascade model many times on a graph read from a CSV edge list. Each row is a "
                    "flow source -> target (for a follower table, source = the account followed).")
    p.add_argument("--edges", required=True, metavar="FILE",
                   help="CSV with columns source,target; or two columns without a header, comma- or "
                        "whitespace-separated, # comment lines allowed (SNAP); or Twitter15/16 tree lines")
    p.add_argument("--source", default="source", help="name of the source column (default: source)")
    p.add_argument("--target", default="target", help="name of the target column (default: target)")
    p.add_argument("--directed", action="store_true",
                   help="rows are one-way flows (default: ties carry information both ways)")
    p.add_argument("--model", required=True, choices=("ic", "threshold", "ovation"))
    ic = p.add_argument_group("independent cascade")
    ic.add_argument("--p", type=_unit, help="probability a post convinces a follower (default 0.05)")
    th = p.add_argument_group("threshold")
    th.add_argument("--phi", type=_unit, help="share of followed accounts needed to adopt (default 0.18)")
    th.add_argument("--phi-sd", type=_nonnegative, help="spread of thresholds across nodes (default 0)")
    ov = p.add_argument_group("standing ovation")
    ov.add_argument("--quality", type=_unit, help="quality of the show q (default 0.5)")
    ov.add_argument("--noise-sd", type=_nonnegative, help="noise of private signals (default 0.2)")
    ov.add_argument("--stand-threshold", type=_unit, help="signal needed to stand at first T (default 0.6)")
    ov.add_argument("--x", type=_unit, help="share of visible standers that makes one stand X (default 0.5)")
    ov.add_argument("--visibility", choices=("follows", "front"), help="whom a node sees (default follows)")
    ov.add_argument("--allow-sit", action="store_true", default=None,
                    help="also sit down when fewer than X stand (not monotone)")
    p.add_argument("--seeds", type=_count(0), default=1, metavar="K", help="number of seed nodes (default 1)")
    p.add_argument("--seed-strategy", choices=_CLI_STRATEGIES, default="random",
                   help="random (a fresh random set each run), degree (most followers) or betweenness "
                        "(default random)")
    p.add_argument("--runs", type=_count(1), default=100, metavar="R", help="number of runs (default 100)")
    p.add_argument("--rng", type=_count(0), metavar="SEED",
                   help="random seed (default: fresh; the seed used is reported)")
    p.add_argument("--global-threshold", type=_unit, default=0.5,
                   help="final fraction above which a run counts as a global cascade (default 0.5)")
    p.add_argument("--max-steps", type=_count(1), help="stop each run after this many steps")
    p.add_argument("--workers", type=_count(1), default=1, help="threads for batches of runs (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    p.set_defaults(func=run)
    return p


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def run(args) -> int:
    from tqdm import tqdm

    from analysis import graphs, simulate

    seed = args.rng if args.rng is not None else int(np.random.SeedSequence().entropy % (2**63))
    params = {}
    for flag, (model, keyword) in _MODEL_FLAGS.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        if model != args.model:
            print(f"note: --{flag.replace('_', '-')} is ignored by model {args.model}", file=sys.stderr)
            continue
        params[keyword] = value
    try:
        params = simulate.check_params(args.model, params)
    except ValueError as exc:
        return _fail(str(exc))

    t0 = time.perf_counter()
    from analysis.formats import edges
    from analysis.ingest import ImportProblem

    try:
        # The forms the import's edges format reads: CSV with source,target columns, a header-less
        # CSV or whitespace list with # comments (SNAP's), or Twitter15/16 propagation trees.
        graph = graphs.from_edges(edges.simulation_frame(args.edges, args.source, args.target), source=args.source,
                                  target=args.target, directed=args.directed)
    except (graphs.GraphInputError, ImportProblem) as exc:
        return _fail(str(exc))
    load_s = time.perf_counter() - t0
    if args.seeds > graph.n:
        return _fail(f"--seeds {args.seeds} but {args.edges} has only {graph.n} nodes")

    rng = np.random.default_rng(seed)
    if args.seed_strategy == "random":
        seeds = np.stack([graphs.choose_seeds(graph, args.seeds, "random", rng) for _ in range(args.runs)])
        seed_labels = None
    else:
        seeds = graphs.choose_seeds(graph, args.seeds, args.seed_strategy, rng)
        seed_labels = [_plain(x) for x in graph.labels[seeds]]

    bar = tqdm(total=args.runs, desc=f"simulate {args.model}", unit="runs", file=sys.stderr, leave=False,
               delay=0.5, dynamic_ncols=True)

    def progress(stage, done, total):
        bar.update(done - bar.n)

    try:
        result = simulate.simulate(graph, args.model, seeds, runs=args.runs, rng=rng, progress=progress,
                                   max_steps=args.max_steps, workers=args.workers, **params)
    except ValueError as exc:
        bar.close()
        return _fail(str(exc))
    bar.close()

    out = result.to_dict(args.global_threshold)
    out.update({
        "edges_file": str(args.edges), "directed": bool(graph.directed), "n_edges": graph.n_edges,
        "n_arcs": graph.n_arcs, "seed_strategy": args.seed_strategy, "n_seeds": int(args.seeds),
        "seeds": seed_labels, "seeds_per_run": seed_labels is None, "rng": seed, "load_s": load_s,
        "p_global_ci95": list(result.p_global_ci95(args.global_threshold)),
    })
    if args.json:
        print(json.dumps(out))
        return 0
    print(_summary(out, result))
    return 0


def _summary(out: dict, result) -> str:
    from analysis.simulate import MODELS

    params = ", ".join(f"{k} = {v}" for k, v in out["params"].items())
    kind = "directed" if out["directed"] else "undirected"
    if out["seeds"] is None:
        seeds = f"{out['n_seeds']} random seed(s), drawn afresh each run"
    else:
        shown = ", ".join(map(str, out["seeds"][:8])) + (", ..." if len(out["seeds"]) > 8 else "")
        seeds = f"{out['n_seeds']} seed(s) by {out['seed_strategy']}: {shown}"
    lo, hi = out["ci95"]
    ci = "n/a (one run)" if lo is None else f"{lo:.4f} to {hi:.4f}"
    q = np.quantile(result.runs, [0.05, 0.5, 0.95])
    return "\n".join([
        f"{MODELS[out['model']]['label']} on {out['edges_file']}: {out['n_nodes']:,} nodes, "
        f"{out['n_edges']:,} {kind} edges",
        seeds,
        f"{params}; {len(out['runs']):,} runs in {out['elapsed_s']:.3f} s (rng seed {out['rng']})",
        f"final adopted fraction (seeds included): mean {out['mean']:.4f}, 95% CI {ci}",
        f"  5% / median / 95% of runs: {q[0]:.4f} / {q[1]:.4f} / {q[2]:.4f}",
        f"global cascades (final fraction > {out['global_threshold']:g}): {100 * out['p_global']:.1f}% of runs",
    ])
