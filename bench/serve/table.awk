# table.awk - bench/serve/run.sh's results (one line per run:
# "SERVER HANDLER CONNS key=value...") as markdown: every run, then the
# ratios the goals name (moat serve against each baseline).
function v(key,   i, kv) {
    for (i = 4; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == key)
            return kv[2]
    }
    return 0
}
function ms(us) { return sprintf("%.3f", us / 1000) }
function ratio(a, b) { return a > 0 && b > 0 ? sprintf("%.2f", a / b) : "n/a" }
function errs() {
    return v("connect_err") + v("read_err") + v("write_err") + v("timeouts")
}
# a cell (server, handler, conns) run again in another round keeps its
# best run: the highest req/s among runs without socket errors (a run
# with errors only when there is no other)
{
    k = $2 SUBSEP $3
    all_non2xx += v("non2xx"); nruns++
    if (!(k in seen)) { seen[k] = 1; keys[nk++] = k }
    c = $1 SUBSEP k
    sc = errs() != 0 ? 0 : v("rps") + 0
    if ((c in score) && score[c] >= sc)
        next
    if (!(c in row)) order[n++] = c
    score[c] = sc; rps[c] = v("rps"); p99[c] = v("p99_us")
    row[c] = sprintf("| %s | %s | %s | %.0f | %s | %s | %s | %d | %d |",
        $2, $3, $1, v("rps"), ms(v("p50_us")), ms(v("p99_us")),
        ms(v("p999_us")), v("non2xx"), errs())
}
END {
    print "| handler | conns | server | req/s | p50 ms | p99 ms | p99.9 ms | non-2xx | socket errors |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 0; i < n; i++) print row[order[i]]
    printf "\nnon-2xx answers over all %d runs (every round): %d\n\n", nruns,
        all_non2xx
    print "| handler | conns | moat req/s | moat/native (goal >= 0.60) | moat/cgi (goal >= 50) | moat/node (goal >= 10) | moat p99 ms (goal < 1 at 64) |"
    print "|---|---|---|---|---|---|---|"
    for (i = 0; i < nk; i++) {
        k = keys[i]; split(k, hc, SUBSEP)
        printf "| %s | %s | %.0f | %s | %s | %s | %s |\n", hc[1], hc[2],
            rps["moat", k], ratio(rps["moat", k], rps["native", k]),
            ratio(rps["moat", k], rps["cgi", k]),
            ratio(rps["moat", k], rps["node", k]), ms(p99["moat", k])
    }
}
