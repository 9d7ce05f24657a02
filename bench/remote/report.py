#!/usr/bin/env python3
"""The report steps of bench/remote/run.sh.

    report.py append REP CPU0 CPU1 HZ NREQ RESULTS.jsonl  < output of one bench run
        appends the RESULT line(s) with the repetition and lsqld's CPU time per
        request (CPU0/CPU1: lsqld's utime+stime in clock ticks around the
        process, NREQ: the requests it sent, warm-up included; with several
        results per process the time is shared by their wall time)
    report.py callgrind IMPL CASE VARIANT N  < callgrind_annotate --inclusive=no output
        prints one TSV line: impl, case, variant, n, total Ir, object=Ir...
    report.py write RESULTS.jsonl CG.tsv PERFORMANCE.md WRITE(0|1) key=value...
        writes the section between <!-- remote-bench:start --> and
        <!-- remote-bench:end --> of PERFORMANCE.md (appended to the file when
        the markers are missing; only printed when WRITE is 0)

For every (implementation, case, variant) the run with the median req/s is
reported, with its own p50 and p99.
"""
import json
import re
import sys

START = "<!-- remote-bench:start -->"
END = "<!-- remote-bench:end -->"
TARGET_CLIENT = 7.0  # lsql >= 7x the req/s of @libsql/client
TARGET_FLOOR = 0.5   # lsql >= 0.5x the req/s of the libcurl floor
PIN = {
    "none": "no CPU pinning (a sequential loopback client is fast when the scheduler runs it "
            "on the server's core and slower, by the cross-CPU wake-ups, when not: compare the "
            "ratios, measured in the same run, rather than absolute numbers)",
    "same": "lsqld and every client pinned to CPU 0 (`LSQL_RBENCH_PIN=same`, the default: "
            "a request costs client CPU + lsqld CPU + the loopback, with no cross-CPU wake-up; "
            "unpinned runs on this 2-core VM swing by 2.5x from run to run with the scheduler's "
            "placement)",
    "split": "lsqld pinned to CPU 0, the clients to the other CPUs (LSQL_RBENCH_PIN=split)",
}

CASES = [("point", "point `SELECT v FROM t WHERE id = ?`"),
         ("batch100", "atomic batch of 100 `INSERT`s")]
LABELS = {
    ("floor", "v2"): "floor: raw libcurl, prebuilt JSON body (`/v2`)",
    ("floor", "v3"): "floor: raw libcurl, prebuilt JSON body (`/v3`)",
    ("floor", "v3-protobuf"): "floor: raw libcurl, prebuilt protobuf body",
    ("lsql", "query_value"): "lsql `lsql_query_value`",
    ("lsql", "prepared"): "lsql prepared (bind/step/reset)",
    ("lsql", "atomic"): "lsql `lsql_batch_run` (ATOMIC\\|IMMEDIATE)",
}
ENCODINGS = {"json": "JSON, `encoding=json`", "protobuf": "protobuf, `encoding=protobuf`"}


def append(argv):
    rep, c0, c1, hz, nreq, path = (int(argv[0]), int(argv[1]), int(argv[2]), int(argv[3]),
                                   int(argv[4]), argv[5])
    rs = [json.loads(l[len("RESULT "):]) for l in sys.stdin if l.startswith("RESULT ")]
    if not rs:
        sys.exit("report.py append: no RESULT line in the benchmark's output")
    wall = sum(r["secs"] for r in rs)
    with open(path, "a") as f:
        for r in rs:
            r["rep"] = rep
            r["srv_cpu_us"] = (c1 - c0) / hz * 1e6 * (r["secs"] / wall) / (nreq / len(rs))
            f.write(json.dumps(r) + "\n")
            print("  %-5s %-8s %-14s %9.0f req/s  p50 %7.1f us  p99 %8.1f us  "
                  "client cpu %6.1f us  lsqld cpu %6.1f us"
                  % (r["impl"], r["case"], r["variant"], r["rps"], r["p50_us"], r["p99_us"],
                     r["cpu_us"], r["srv_cpu_us"]), file=sys.stderr)


def callgrind(argv):
    impl, cs, variant, n = argv[:4]
    objs, fns, total = {}, {}, None
    for line in sys.stdin:
        m = re.match(r"\s*([\d,]+)\s+(\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+)\s+(\(\s*[\d.]+%\)\s+)?(\S.*?)\s+\[(.+)\]\s*$", line)
        if m:
            ir = int(m.group(1).replace(",", ""))
            o = m.group(4).rsplit("/", 1)[-1]
            o = re.sub(r"\.so[.\d]*$", "", o)
            objs[o] = objs.get(o, 0) + ir
            fn = m.group(3).rsplit(":", 1)[-1]
            if fn.startswith("0x"):
                fn = "(" + o + ")"  # a stripped library's internal function
            fns[fn] = fns.get(fn, 0) + ir
    if total is None:
        sys.exit("report.py callgrind: no PROGRAM TOTALS in callgrind_annotate's output")
    top = sorted(fns.items(), key=lambda kv: -kv[1])[:8]
    print("\t".join([impl, cs, variant, n, str(total)] +
                    ["%s=%d" % kv for kv in sorted(objs.items())] +
                    ["top:%s=%d" % kv for kv in top]))


def us(v):
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"


def split_enc(variant):
    """lsql's variants end in -json/-protobuf when the encoding was forced."""
    for e in ENCODINGS:
        if variant.endswith("-" + e):
            return variant[: -len(e) - 1], e
    return variant, None


def label(impl, cs, variant):
    if impl == "node":
        return f"`@libsql/client` {variant.replace('client-', '')} (Node)"
    if impl == "lsql":
        base, enc = split_enc(variant)
        name = LABELS.get((impl, base)) or f"{impl} {base}"
        return name + (f" — {ENCODINGS[enc]}" if enc else " — default (negotiated)")
    return LABELS.get((impl, variant)) or LABELS.get((impl, cs)) or f"{impl} {variant}"


def floor_variant_for(variant):
    """The floor an lsql row is compared with: the one of the same encoding
    (JSON rows: the JSON floor; the default, which negotiates protobuf with
    lsqld: the protobuf floor)."""
    return ("v2", "v3") if split_enc(variant)[1] == "json" else ("v3-protobuf",)


def floor_rps(byrep, rep, cs, variant=None):
    """A repetition's floor for an lsql variant (None: the fastest floor)."""
    want = floor_variant_for(variant) if variant else None
    v = [x for k, x in byrep.items() if k[0] == rep and k[1] == cs and k[2] == "floor"
         and (want is None or k[3] in want)]
    if not v and want:  # no floor of that encoding in this run: the fastest
        return floor_rps(byrep, rep, cs)
    return max(v) if v else None


def rep_ratios_floor_node(byrep, reps_seen, cs):
    out = []
    for rep in reps_seen:
        f = floor_rps(byrep, rep, cs)
        n = next((v for k, v in byrep.items() if k[0] == rep and k[1] == cs and k[2] == "node"), None)
        if f and n:
            out.append(f / n)
    return sorted(out)


def rep_ratios_json_floor_node(byrep, reps_seen, cs):
    out = []
    for rep in reps_seen:
        f = floor_rps(byrep, rep, cs, "x-json")
        n = next((v for k, v in byrep.items() if k[0] == rep and k[1] == cs and k[2] == "node"), None)
        if f and n and any(k[0] == rep and k[1] == cs and k[2] == "floor" and k[3] in ("v2", "v3")
                           for k in byrep):
            out.append(f / n)
    return sorted(out)


def write(argv):
    results, cgpath, doc, do_write = argv[0], argv[1], argv[2], argv[3] == "1"
    meta = dict(a.split("=", 1) for a in argv[4:])
    runs = [json.loads(l) for l in open(results) if l.strip()]
    groups = {}
    for r in runs:
        groups.setdefault((r["case"], r["impl"], r["variant"]), []).append(r)
    pick = {}
    for k, v in groups.items():
        v = sorted(v, key=lambda r: r["rps"])
        pick[k] = (v[len(v) // 2], v[0]["rps"], v[-1]["rps"])
    cg = []
    for line in open(cgpath):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 5:
            kv = [(a.rsplit("=", 1)[0], int(a.rsplit("=", 1)[1])) for a in f[5:]]
            cg.append((f[0], f[1], f[2], int(f[3]), int(f[4]),
                       {k: v for k, v in kv if not k.startswith("top:")},
                       [(k[4:], v) for k, v in kv if k.startswith("top:")]))

    def get(cs, impl):
        return {k[2]: v for k, v in pick.items() if k[0] == cs and k[1] == impl}

    lsql_note = meta.get("lsql_note", "")
    quick = meta.get("quick") == "1"
    L = [START, "## Remote mode (Hrana over HTTP)", ""]
    if quick:
        L += ["**Smoke run (`--quick`): small counts, one repetition; the numbers are not "
              "meaningful. Rerun without `--quick`.**", ""]
    L += [
        "Generated by `bench/remote/run.sh` (do not edit by hand; rerun it). One lsqld "
        "(Release build) on an ephemeral 127.0.0.1 port with a fresh database serves every "
        "client in the same run; each client is a single connection sending one request at "
        "a time (sequential, awaited). Cases: **point**, `SELECT v FROM t WHERE id = ?` with a "
        f"random id on a {int(meta.get('rows', '10000')):,}-row table (one request = one query); "
        "**batch100**, one atomic batch of 100 `INSERT INTO t2(v) VALUES (?)` run as "
        "`BEGIN IMMEDIATE` … `COMMIT` (what `client.batch(stmts, \"write\")` does; one request = "
        "one whole batch; t2 is emptied before each run). Clients:",
        "",
        "- **floor**: raw libcurl, one easy handle with keep-alive, POSTing the cheapest Hrana "
        "body for the same work, in both encodings: JSON to `/v2/pipeline` and protobuf to "
        "`/v3-protobuf/pipeline` (point: `[execute, close]` without baton; batch: `[store_sql, "
        "batch{BEGIN IMMEDIATE, 100 × INSERT by sql_id each on ok(previous), COMMIT on ok(last), "
        "ROLLBACK on not ok(COMMIT)}, close]`), bodies built before the timed loop, the answer "
        "read and thrown away undecoded: HTTP round trip + server work, no client cost beyond "
        "libcurl (`bench/remote/bench_remote.c --impl floor [--encoding protobuf]`). The targets' "
        "floor is the faster of the two;",
        "- **lsql**: lsql's public API only, `lsql_db_open_url(\"http://127.0.0.1:PORT\")` and one "
        "connection: `lsql_query_value` per query, or `lsql_prepare` once then "
        "`lsql_bind_int64`/`lsql_step`/`lsql_reset` per query; batches built with 100 "
        "`lsql_batch_add` and run with `lsql_batch_run(LSQL_BATCH_ATOMIC|LSQL_BATCH_IMMEDIATE)` "
        "inside the timed loop (`--impl lsql`). *default*: the encoding lsql negotiates at open "
        "(Hrana 3 protobuf, which lsqld offers, like sqld); *JSON*: the same with the URL "
        "parameter `encoding=json` (Hrana 3 JSON, `/v3/pipeline`);",
        "- **`@libsql/client`** (Node): `createClient({url})`, awaited `client.execute({sql, args})` "
        "and `client.batch(stmts, \"write\")`, the statement array built in the timed loop "
        "(`bench/remote/node_client.mjs`).",
        "",
        "req/s = requests / wall time of the timed loop (after a warm-up); p50/p99 over the "
        "per-request latencies of that run; client CPU = user+system time of the client process "
        "per request (Node's includes its helper threads); lsqld CPU = the server's user+system "
        "time per request over the same run. Each row is the median run (by req/s) of "
        f"{meta.get('reps', '?')}; the implementations alternate within every repetition, their "
        "order rotating.",
        "",
        "| case | client | req/s | p50 | p99 | client CPU/req | lsqld CPU/req | vs @libsql/client | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = {}  # (case, variant) -> (vs node, vs floor)
    need = {}    # case -> req/s lsql needs for both targets
    ceilings = {}  # case -> floor req/s / @libsql/client req/s
    spreads = []
    for cs, cs_label in CASES:
        floor = get(cs, "floor")
        node = get(cs, "node")
        lsql = get(cs, "lsql")
        f_rps = max(r[0]["rps"] for r in floor.values()) if floor else None
        n_rps = next(iter(node.values()))[0]["rps"] if node else None
        ceilings[cs] = f_rps / n_rps if f_rps and n_rps else None
        need[cs] = max([x for x in (TARGET_CLIENT * n_rps if n_rps else None,
                                    TARGET_FLOOR * f_rps if f_rps else None) if x] or [0])
        rows = [("floor", v, r) for v, r in floor.items()]
        order = ["query_value", "prepared", "atomic"]
        rows += [("lsql", v, r) for v, r in sorted(
            lsql.items(), key=lambda kv: (split_enc(kv[0])[1] is not None, split_enc(kv[0])[1] or "",
                                          order.index(split_enc(kv[0])[0])
                                          if split_enc(kv[0])[0] in order else 9))]
        rows += [("node", v, r) for v, r in node.items()]
        for impl, variant, (r, lo, hi) in rows:
            vs_n = f"{r['rps'] / n_rps:.2f}x" if n_rps else "–"
            fv = f_rps
            if impl == "lsql":
                same = [x[0]["rps"] for v2, x in floor.items() if v2 in floor_variant_for(variant)]
                fv = max(same) if same else f_rps
            vs_f = f"{r['rps'] / fv:.2f}x" if fv else "–"
            if impl == "lsql":
                ratios[(cs, variant)] = (r["rps"] / n_rps if n_rps else None,
                                         r["rps"] / fv if fv else None)
            L.append(f"| {cs} | {label(impl, cs, variant)} | {r['rps']:,.0f} | {us(r['p50_us'])} | "
                     f"{us(r['p99_us'])} | {r['cpu_us']:.1f} µs | {r['srv_cpu_us']:.1f} µs | "
                     f"{vs_n} | {vs_f} |")
            spreads.append(f"{cs}/{impl}{'/' + variant if impl != 'node' else ''}: "
                           f"{lo:,.0f}–{hi:,.0f}")
        if not lsql:
            L.append(f"| {cs} | lsql | not measured | | | | | | |")
    L.append("")

    # targets
    L += ["Targets (issue 5): lsql ≥ 7× the req/s of `@libsql/client` and ≥ 0.5× the floor, "
          "in the same run. `@libsql/client` speaks Hrana 2 JSON over HTTP whatever the server "
          "offers (its `openHttp` never asks for version 3); lsql's default is what it "
          "negotiates; the JSON rows show what lsql does where only JSON is offered.", ""]
    if not ratios:
        why = lsql_note or "lsql's remote mode was not available"
        L += [f"**lsql not measured in this run**: {why}. The floor and `@libsql/client` rows fix "
              "what the targets mean on this machine: lsql needs "
              + "; ".join(f"**{need[cs]:,.0f} req/s** for {cs}" for cs, _ in CASES if need.get(cs))
              + " (the larger of 7× `@libsql/client` and 0.5× the floor).", ""]
    else:
        # per repetition: the runs of one repetition are adjacent in time, so
        # their ratios are steadier than ratios of medians picked separately
        byrep = {}
        for r in runs:
            byrep[(r["rep"], r["case"], r["impl"], r["variant"])] = r["rps"]
        reps_seen = sorted({r["rep"] for r in runs})

        def rep_ratios(cs, variant, other):
            out = []
            for rep in reps_seen:
                a = byrep.get((rep, cs, "lsql", variant))
                b = floor_rps(byrep, rep, cs, variant) if other == "floor" else next(
                    (v for k, v in byrep.items() if k[0] == rep and k[1] == cs and k[2] == other),
                    None)
                if a and b:
                    out.append(a / b)
            return sorted(out)

        def fmt(xs, t):
            if not xs:
                return "–"
            m = xs[len(xs) // 2]
            rng = f" ({xs[0]:.2f}–{xs[-1]:.2f})" if len(xs) > 1 else ""
            return f"{m:.2f}x{rng} " + ("**met**" if m >= t else "**missed**")

        L += ["Ratios here are the median over the repetitions of the ratio within each "
              "repetition (range in brackets); the table above divides medians.", "",
              "| case | lsql | vs @libsql/client (≥ 7×) | vs floor of its encoding (≥ 0.5×) | ceiling: fastest floor vs @libsql/client |",
              "|---|---|---:|---:|---:|"]
        for (cs, variant) in ratios:
            ceil = rep_ratios_floor_node(byrep, reps_seen, cs)
            ceilings[cs] = ceil[len(ceil) // 2] if ceil else None
            ceil_s = f"{ceilings[cs]:.2f}x" if ceil else "–"
            L.append(f"| {cs} | {label('lsql', cs, variant)} | "
                     f"{fmt(rep_ratios(cs, variant, 'node'), TARGET_CLIENT)} | "
                     f"{fmt(rep_ratios(cs, variant, 'floor'), TARGET_FLOOR)} | {ceil_s} |")
        L.append("")
        jc = []
        for cs, _ in CASES:
            js = [x for x in (rep_ratios_json_floor_node(byrep, reps_seen, cs),) if x]
            if js:
                jc.append(f"{cs} {js[0][len(js[0]) // 2]:.2f}x")
        if jc:
            L += ["Over JSON the server's work weighs more (lsqld parses JSON with jansson, "
                  "docs/DEPENDENCIES.md): the JSON floor -- a client with no cost of its own "
                  "sending JSON -- reaches " + ", ".join(jc) + " the req/s of "
                  "`@libsql/client`.", ""]
        capped = [cs for cs, c in ceilings.items() if c and c < TARGET_CLIENT]
        if capped:
            L += ["The ceiling is what a client with no cost at all (the floor) reaches against "
                  "`@libsql/client`: where it is below 7× (" + ", ".join(capped) + "), the server's "
                  "work dominates the request and no client can meet the 7× target on this "
                  "server; the 0.5× floor target is the one that measures lsql there.", ""]

    # callgrind
    if cg:
        L += ["### Client instructions per request (callgrind)", "",
              "`valgrind --tool=callgrind --instr-atstart=no` on `bench_remote`, counting only the "
              "timed loop (the warm-up, opening, and the floor's body building are outside it) in "
              "the client process; lsqld runs outside valgrind and is not counted. lsql is linked "
              "statically, so `bench_remote` is lsql with its Hrana codec; libjansson, libcurl, "
              "libc are their shared libraries.", "",
              "| case | client | requests | instructions/request | lsql (`bench_remote`) | libjansson | "
              "libcurl | libc | other | vs floor of its encoding |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        floor_ir = {(c[1], c[2]): c[4] / c[3] for c in cg if c[0] == "floor"}

        def floor_ir_for(impl, cs, variant):
            want = (variant,) if impl == "floor" else floor_variant_for(variant)
            v = [x for (c2, v2), x in floor_ir.items() if c2 == cs and v2 in want]
            return v[0] if v else None
        for impl, cs, variant, n, total, objs, _ in cg:
            per = total / n
            part = {k: 0 for k in ("bench_remote", "libjansson", "libcurl", "libc")}
            other = 0
            for o, v in objs.items():
                key = next((k for k in part if o == k or o.startswith(k + ".")), None)
                if key:
                    part[key] += v
                else:
                    other += v
            other += max(0, total - sum(objs.values()))
            cells = " | ".join(f"{part[k] / n:,.0f}" for k in part)
            fir = floor_ir_for(impl, cs, variant)
            ratio = f"{per / fir:.2f}x" if fir else "–"
            L.append(f"| {cs} | {label(impl, cs, variant)} | {n:,} | {per:,.0f} | {cells} | "
                     f"{other / n:,.0f} | {ratio} |")
        L.append("")
        tops = [c for c in cg if c[0] == "lsql" and c[6]]
        if tops:
            L += ["Largest self costs of lsql's client (instructions per request, by function; "
                  "`(libX)` is the internal functions of a stripped library):", ""]
            for impl, cs, variant, n, total, objs, top in tops:
                L.append(f"- {cs}, {label(impl, cs, variant)}: " + ", ".join(
                    f"`{fn}` {v / n:,.0f} ({100 * v / total:.0f}%)" for fn, v in top[:6]))
            L.append("")
        if not any(c[0] == "lsql" for c in cg):
            L += ["lsql's rows are missing: its remote mode was not available in this run.", ""]

    L += [f"Spread of req/s over the runs: {'; '.join(spreads)}.", "",
          f"Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, Linux "
          f"{meta.get('kernel', '?')}; clients and lsqld share the cores, {PIN.get(meta.get('pin', 'none'), '?')}; load average "
          f"before/after the timed runs: {meta.get('load_before', '?')} / {meta.get('load_after', '?')}. "
          f"Versions: {meta.get('lsqld', 'lsqld ?')}, Release build (-O2), git {meta.get('git', '?')}; "
          f"node {meta.get('node') or '(not run)'}, `@libsql/client` {meta.get('client') or '(not run)'}; "
          f"{meta.get('curl', 'libcurl ?')}; {meta.get('cc', '')}. Runs: "
          f"{int(meta.get('n_point', 0)):,} point queries and {int(meta.get('n_batch', 0)):,} "
          f"batches per run, {meta.get('reps', '?')} repetitions; callgrind "
          f"{int(meta.get('cg_n_point', 0)):,} queries / {int(meta.get('cg_n_batch', 0)):,} batches. "
          f"{meta.get('date', '')}.", "",
          f"Reproduce: `{meta.get('cmd', 'bench/remote/run.sh')}` (about 3 minutes; `--quick` for a "
          "smoke run, `LSQL_RBENCH_REPS`, `LSQL_RBENCH_N_POINT`, `LSQL_RBENCH_N_BATCH` to change the "
          "runs, `LSQL_RBENCH_PIN=none|split` for other CPU placements). Raw runs: `bench/out/remote-results.jsonl`, `bench/out/remote-callgrind.tsv`.",
          END]
    section = "\n".join(L) + "\n"
    if not do_write:
        sys.stdout.write(section)
        return
    try:
        text = open(doc).read()
    except FileNotFoundError:
        text = ""
    if START in text and END in text:
        a = text.index(START)
        b = text.index(END) + len(END)
        if text[b:b + 1] == "\n":
            b += 1
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    open(doc, "w").write(text)
    sys.stdout.write(section)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    {"append": append, "callgrind": callgrind, "write": write}.get(
        cmd, lambda a: sys.exit(__doc__))(argv)


if __name__ == "__main__":
    main()
