# p99 latency against deliveries per second for armorclaw-eventbus ("ours"), the hand-written Beast
# baseline and the ideal loop, from the table bench/run-benchmarks.sh writes next to its results
# (columns: server row clients rate deliveries_per_s p99_ms lost valid; one block per server, in order
# of offered load, so that a server past saturation bends back: more offered, fewer delivered).
#
#   gnuplot -e "results='build/bench/results-….dat'" bench/plot.gp        → docs/benchmarks.png
#   gnuplot -e "results='…'; out='/tmp/b.png'" bench/plot.gp
#
# p99 is over the deliveries that arrived: a run that lost events (ringed) understates its latency.
if (!exists("results")) results = "build/bench/results.dat"
if (!exists("out")) out = "docs/benchmarks.png"

set terminal pngcairo size 1000,640 font ",11"
set output out
set title "Fan-out on loopback, 512-byte events, filter {} (server on CPU 0, load generator on CPU 1)" noenhanced
set xlabel "deliveries per second, millions (events × receivers that arrived)"
set ylabel "p99 latency, ms (log scale)"
set logscale y
set format y "%g"
set format x "%g"
set grid xtics ytics mytics
set key top left box opaque
set xrange [0:*]
set offsets 0, graph 0.08, 0, 0

names = "ours baseline ideal"
titles = "'armorclaw-eventbus' 'Beast baseline (one async\\_write per message)' 'ideal loop (physical limit)'"
colors = "#1f77b4 #d62728 #2ca02c"

plot for [i=1:3] results index (i-1) using ($5/1e6):6 with linespoints lw 2 pt 7 ps 1.2 lc rgb word(colors, i) \
       title word(titles, i), \
     for [i=1:3] results index (i-1) using ($5/1e6):6:(sprintf("%d×%d", $3, $4)) with labels offset 0,1 \
       font ",8" tc rgb word(colors, i) notitle, \
     for [i=1:3] results index (i-1) using ($5/1e6):($7 > 0 ? $6 : NaN) with points pt 6 ps 3 lw 2 \
       lc rgb word(colors, i) title (i == 1 ? "lost events (ringed)" : "")
