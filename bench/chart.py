"""serving.png from results.json: req/s and p95 latency per target and user count.

Runs under .cache/bench-venv (matplotlib): chart.py RESULTS_JSON OUT_PNG
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "flask_dev": "(a) flask run",
    "gunicorn_default": "(b) gunicorn defaults",
    "gunicorn_tuned": "(d) tuned gunicorn, app1 direct",
    "stack": "(c) stack: nginx → app1 + app2",
}
ORDER = ["flask_dev", "gunicorn_default", "gunicorn_tuned", "stack"]
COLORS = ["#b0b0b0", "#808080", "#6fa8dc", "#1c5fa8"]


def main(src: str, dst: str) -> None:
    res = json.load(open(src))
    pts = {(p["target"], p["users"]): p for p in res["serving"]["points"]}
    users = sorted({u for _, u in pts})
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    width = 0.8 / len(ORDER)
    for ax, key, title in (
        (axes[0], "rps", "throughput (req/s, higher is better)"),
        (axes[1], "p50_ms", "median latency (ms, log, lower is better)"),
        (axes[2], "p95_ms", "p95 latency (ms, log, lower is better)"),
        (axes[3], "errors", "errors (count)"),
    ):
        for i, t in enumerate(ORDER):
            xs = [j + (i - (len(ORDER) - 1) / 2) * width for j in range(len(users))]
            ys = [pts.get((t, u), {}).get(key, 0) for u in users]
            bars = ax.bar(xs, ys, width, label=LABELS[t], color=COLORS[i])
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks(range(len(users)), [f"{u} users" for u in users])
        ax.set_title(title, fontsize=10)
        if key.endswith("_ms"):
            ax.set_yscale("log")
        if key == "errors":
            top = max([p.get("errors", 0) for p in pts.values()] + [0])
            ax.set_ylim(0, max(1, top * 1.2))
    axes[0].legend(fontsize=8, loc="upper left")
    load = res.get("load_before", {}).get("loadavg", ["?"])[0]
    caps = res["serving"].get("cpu_caps") or {}
    capped = (" · CPU caps " + ", ".join(f"{h} {c:g}" for h, c in caps.items())) if caps else ""
    fig.suptitle(f"bookshelf on the 4-container lab, signed-in locust users, {res['settings']['duration_s']} s per point "
                 f"({res['started'][:16]}Z, load avg {load} on {res.get('load_before', {}).get('cpus')} CPUs{capped})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
