#!/usr/bin/env bash
# Per-packet cost of Palisade's nftables table, measured with real TCP between network namespaces.
#
# One copy of this topology per arm, all built at the start and torn down at exit:
#
#   client (10.244.0.10/32) ──veth── node (forwarding, /32 routes, 169.254.1.1 gateway) ──veth── server (10.244.0.20/32)
#
#   baseline        the node has conntrack and no policy: a forward chain with `ct state established,related accept`
#   palisade        the node has the table Palisade renders for 10,000 policies and ~100,000 peer addresses,
#                   in which client -> server on TCP 5200-5210 is allowed (the first packet walks every lookup)
#   control         baseline plus 1,000 non-matching rules before the ct rule: proof the harness sees a slowdown
#   palisade-small  (diagnostic, opt-in) the same chains with sets holding only the client/server allow
#   palisade-port   (diagnostic, opt-in) the full table, the client allowed on single ports: its first
#                   packet stops at the *_port4 hash set instead of the *_range4 interval set
#   baseline-again  (diagnostic, opt-in) a second, identical baseline: the harness's own resolution
#
# Each cycle measures every arm back to back (order rotated): iperf3 single-stream throughput, then
# DURATION seconds of new TCP connections (connrate.c), also counting the CPU time the client and
# server spend per connection. Medians over the cycles; ratios against baseline.
#
# Run as root:  bench/packet-path.sh
#   CYCLES=20 DURATION=2 ARMS="baseline palisade control" by default; see bench/README.md.
set -euo pipefail

CYCLES=${CYCLES:-20}
DURATION=${DURATION:-2}
read -r -a ARMS <<<"${ARMS:-baseline palisade control}"
CLIENT_IP=10.244.0.10
SERVER_IP=10.244.0.20
IPERF_PORT=5201
CONN_PORT=5202
DENIED_PORT=5999
TARGET_RATIO=0.95

[[ $EUID -eq 0 ]] || { echo "packet-path.sh: run as root (it creates network namespaces)" >&2; exit 1; }
[[ ${ARMS[0]} == baseline && " ${ARMS[*]} " == *" palisade "* ]] || { echo "packet-path.sh: ARMS must start with baseline and include palisade" >&2; exit 2; }
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
PREFIX="pbench$$"
declare -A SERVER_PID

cleanup() {
  local pid ns
  for pid in "${SERVER_PID[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in $(ls /run/netns 2>/dev/null | awk -v p="$PREFIX-" 'index($1, p) == 1 {print $1}'); do
    # iperf3 -D daemons live in the namespace: end them by the pid they wrote, then delete it.
    [[ -f "$OUT/$ns.iperf.pid" ]] && kill "$(cat "$OUT/$ns.iperf.pid")" 2>/dev/null || true
    rm -f "$OUT/$ns.iperf.pid"
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null 2>&1; }
for tool in nft ip gcc jq mvn java stdbuf; do need "$tool" || { echo "packet-path.sh: $tool is required" >&2; exit 1; }; done
if ! need iperf3; then apt-get install -y -q iperf3 >/dev/null; fi
calc() { awk "BEGIN { x = ($1); print x }"; }

echo "palisade packet-path benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  kernel $(uname -r), $(nproc) cpus, nft $(nft --version | awk '{print $2}'), iperf3 $(iperf3 --version | awk 'NR==1{print $2}')"
echo "arms: ${ARMS[*]}; load average at start: $(cat /proc/loadavg)"

# --- inputs: the rendered rule sets and the connection tool --------------------------------------
mvn -q -B install -DskipTests -pl api,compiler,dataplane
mvn -q -B package -DskipTests -pl bench
gcc -O2 -Wall -o "$OUT/connrate" bench/connrate.c
ruleset() { # arm -> nft file
  local f="$OUT/$1.nft" cp
  cp="bench/target/classes:$(cat bench/target/classpath.txt)"
  case $1 in
    palisade) java -Xmx2g -cp "$cp" dev.palisade.bench.PacketPathRuleSet "$f" ;;
    palisade-small) java -Xmx2g -cp "$cp" dev.palisade.bench.PacketPathRuleSet "$f" --small ;;
    palisade-port) java -Xmx2g -cp "$cp" dev.palisade.bench.PacketPathRuleSet "$f" --single-ports ;;
    baseline | baseline-again | control)
      {
        echo "table inet pbench {"
        echo "  chain forward {"
        echo "    type filter hook forward priority filter; policy accept;"
        if [[ $1 == control ]]; then
          for i in $(seq 0 999); do echo "    ip saddr 198.18.$((i / 250)).$((i % 250 + 1)) tcp dport 9 drop"; done
        fi
        echo "    ct state established,related accept"
        echo "  }"
        echo "}"
      } >"$f" ;;
    *) echo "packet-path.sh: unknown arm $1" >&2; exit 2 ;;
  esac
}
for arm in "${ARMS[@]}"; do ruleset "$arm" | sed "s/^/$arm: /"; done

# --- topology -------------------------------------------------------------------------------------
ns() { echo "$PREFIX-$1-$2"; }
in_ns() { local n; n=$(ns "$1" "$2"); shift 2; ip netns exec "$n" "$@"; }

pod() { # arm role ip node-side-interface
  local arm=$1 role=$2 ip=$3 ifc=$4 node pod
  node=$(ns "$arm" node)
  pod=$(ns "$arm" "$role")
  ip -n "$node" link add "$ifc" type veth peer name eth0 netns "$pod"
  ip -n "$node" addr add 169.254.1.1/32 dev "$ifc"
  ip -n "$node" link set "$ifc" up
  ip -n "$node" route add "$ip/32" dev "$ifc" scope link
  ip -n "$pod" addr add "$ip/32" dev eth0
  ip -n "$pod" link set eth0 up
  ip -n "$pod" route add 169.254.1.1/32 dev eth0 scope link
  ip -n "$pod" route add default via 169.254.1.1 dev eth0
}

for arm in "${ARMS[@]}"; do
  for role in client node server; do
    ip netns add "$(ns "$arm" "$role")"
    ip -n "$(ns "$arm" "$role")" link set lo up
  done
  in_ns "$arm" node sysctl -qw net.ipv4.ip_forward=1
  pod "$arm" client "$CLIENT_IP" vc
  pod "$arm" server "$SERVER_IP" vs
  in_ns "$arm" client sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  in_ns "$arm" server iperf3 -s -D -p "$IPERF_PORT" -I "$PWD/$OUT/$(ns "$arm" server).iperf.pid"
  ip netns exec "$(ns "$arm" server)" "$OUT/connrate" serve "$CONN_PORT" &
  SERVER_PID[$arm]=$!
done

# --- rule sets ------------------------------------------------------------------------------------
for arm in "${ARMS[@]}"; do
  start=$(date +%s.%N)
  in_ns "$arm" node nft -f "$OUT/$arm.nft"
  end=$(date +%s.%N)
  if [[ $arm == palisade* ]]; then
    loaded=$(in_ns "$arm" node nft -j list table inet palisade | jq '[.nftables[] | select(.set) | (.set.elem // []) | length] | add')
    printf '%s: nft -f took %.2f s; %s set elements loaded (counted from `nft -j list table`)\n' "$arm" "$(calc "$end - $start")" "$loaded"
    [[ $loaded == "$(cat "$OUT/$arm.nft.count")" ]] || { echo "FAIL: $arm rendered $(cat "$OUT/$arm.nft.count") elements" >&2; exit 1; }
  elif [[ $arm == control ]]; then
    echo "control: $(in_ns control node nft list chain inet pbench forward | grep -c 'tcp dport 9 drop') non-matching rules before the ct rule"
  fi
done
sleep 1

# --- sanity: every arm forwards; Palisade enforces, and the allowed flow walks the lookups ---------
probe() { # arm port -> "open" | "refused" | "dropped"
  local rc=0
  in_ns "$1" client timeout 2 bash -c "exec 3<>/dev/tcp/$SERVER_IP/$2" 2>/dev/null || rc=$?
  case $rc in 0) echo open ;; 124) echo dropped ;; *) echo refused ;; esac
}
for arm in "${ARMS[@]}"; do
  allowed=$(probe "$arm" "$CONN_PORT")
  denied=$(probe "$arm" "$DENIED_PORT")
  echo "check $arm: port $CONN_PORT $allowed, port $DENIED_PORT (no listener) $denied"
  [[ $allowed == open ]] || { echo "FAIL: $arm does not forward client -> server" >&2; exit 1; }
  if [[ $arm == palisade* ]]; then
    [[ $denied == dropped ]] || { echo "FAIL: $arm did not drop a flow no policy allows" >&2; exit 1; }
  else
    [[ $denied == refused ]] || { echo "FAIL: $arm dropped a flow it has no policy for" >&2; exit 1; }
  fi
done

# Trace one allowed SYN through a palisade table: which rules gave it a verdict. In the main arm it
# must miss the any, cidr and port sets and hit the range set, in egress (goto ingress) and then in
# ingress (accept).
# (nft 1.0.6 prints no trace when the rule that sets nftrace also matches a payload field, seen on
# kernel 6.18; setting it in a chain of its own works.)
trace() { # arm
  in_ns "$1" node nft add table ip pbtrace
  in_ns "$1" node nft add chain ip pbtrace pre '{ type filter hook prerouting priority -300; }'
  in_ns "$1" node nft add chain ip pbtrace trace_on
  in_ns "$1" node nft add rule ip pbtrace trace_on meta nftrace set 1
  in_ns "$1" node nft add rule ip pbtrace pre tcp dport "$CONN_PORT" tcp flags syn jump trace_on
  ip netns exec "$(ns "$1" node)" timeout 20 stdbuf -oL nft monitor trace >"$OUT/trace-$1.txt" 2>&1 &
  local tracer=$! i
  # nft needs a moment to subscribe (longer on a busy machine): probe until a SYN shows up.
  for ((i = 0; i < 100; i++)); do
    ((i % 20 == 0)) && probe "$1" "$CONN_PORT" >/dev/null
    grep -q 'inet palisade ingress[0-9]* rule .*(verdict accept)' "$OUT/trace-$1.txt" && break
    sleep 0.1
  done
  kill "$tracer" 2>/dev/null || true
  wait "$tracer" 2>/dev/null || true
  in_ns "$1" node nft delete table ip pbtrace
  echo "trace $1, one allowed SYN (rules that gave a verdict): $(sed -nE 's/.*inet palisade ([a-z0-9]+) rule .*@([a-z_0-9]+) .*\(verdict ([a-z]+).*/\1: @\2 \3/p' "$OUT/trace-$1.txt" | awk '!seen[$0]++' | paste -sd, -)"
}
for arm in "${ARMS[@]}"; do
  [[ $arm == palisade* ]] || continue
  trace "$arm"
  if [[ $arm == palisade ]]; then
    grep -q 'egress4 rule .*@eg_range4 .*verdict goto ingress' "$OUT/trace-$arm.txt" \
      && grep -q 'ingress4 rule .*@in_range4 .*verdict accept' "$OUT/trace-$arm.txt" \
      || { echo "FAIL: the allowed SYN did not reach the range sets; see $OUT/trace-$arm.txt" >&2; exit 1; }
  fi
done

# --- measurement ------------------------------------------------------------------------------------
# Short slices, many cycles: other processes on the machine change the available CPU from second to
# second, so each cycle measures the arms back to back (order rotated) and the verdicts use the
# median of the per-cycle ratios. CPU time per connection (client getrusage + server /proc ticks;
# the kernel charges softirq work, forwarding included, to the task it interrupts) does not depend
# on how much CPU the rest of the machine leaves, so it is reported next to the rate.
declare -A TPUT CPS CPU
tput() { in_ns "$1" client iperf3 -c "$SERVER_IP" -p "$IPERF_PORT" -t "$DURATION" -J | jq '.end.sum_received.bits_per_second / 1e9'; }
server_ticks() { awk '{print $14 + $15}' "/proc/${SERVER_PID[$1]}/stat"; }
cps() { # arm -> "conn/s us-cpu-per-conn"
  local s0 s1 out
  s0=$(server_ticks "$1")
  out=$(in_ns "$1" client "$OUT/connrate" connect "$SERVER_IP" "$CONN_PORT" "$DURATION")
  s1=$(server_ticks "$1")
  echo "$out $((s1 - s0)) $(getconf CLK_TCK)" | awk '{printf "%s %.2f\n", $1, ($4 + $5 / $6) * 1e6 / $2}'
}

echo
echo "$CYCLES cycles; per cycle, each arm in turn (order rotated): iperf3 -t $DURATION (one stream); then each arm in turn: $DURATION s of connect/close"
for ((r = 0; r < CYCLES; r++)); do
  order=()
  for ((k = 0; k < ${#ARMS[@]}; k++)); do order+=("${ARMS[$(((r + k) % ${#ARMS[@]}))]}"); done
  for arm in "${order[@]}"; do TPUT[$arm,$r]=$(tput "$arm"); done
  for arm in "${order[@]}"; do read -r "CPS[$arm,$r]" "CPU[$arm,$r]" < <(cps "$arm"); done
  line=$(printf 'cycle %2d:' $((r + 1)))
  for arm in "${ARMS[@]}"; do
    line+=$(printf '  %s %5.2f Gbit/s %6.0f conn/s %5.1f us' "$arm" "${TPUT[$arm,$r]}" "${CPS[$arm,$r]}" "${CPU[$arm,$r]}")
  done
  echo "$line"
done

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
values() { local -n m=$1; local r; for ((r = 0; r < CYCLES; r++)); do echo "${m[$2,$r]}"; done; }
ratios() { local -n m=$1; local r; for ((r = 0; r < CYCLES; r++)); do calc "${m[$2,$r]} / ${m[baseline,$r]}"; done; }
inverse_ratios() { local -n m=$1; local r; for ((r = 0; r < CYCLES; r++)); do calc "${m[baseline,$r]} / ${m[$2,$r]}"; done; }
echo
printf '%-15s %12s %8s   %10s %8s   %12s %8s\n' arm "Gbit/s" ratio "conn/s" ratio "CPU us/conn" ratio
declare -A RT RC RU
for arm in "${ARMS[@]}"; do
  RT[$arm]=$(ratios TPUT "$arm" | median)
  RC[$arm]=$(ratios CPS "$arm" | median)
  RU[$arm]=$(inverse_ratios CPU "$arm" | median)
  printf '%-15s %12.2f %8.3f   %10.0f %8.3f   %12.1f %8.3f\n' "$arm" "$(values TPUT "$arm" | median)" "${RT[$arm]}" \
    "$(values CPS "$arm" | median)" "${RC[$arm]}" "$(values CPU "$arm" | median)" "${RU[$arm]}"
done
echo "(medians over $CYCLES cycles; ratio = median of the per-cycle ratios to baseline, higher is better:"
echo " arm/baseline for Gbit/s and conn/s, baseline/arm for CPU us per connection)"
verdict() { if (($(calc "($1) ? 1 : 0"))); then echo OK; else echo MISSED; fi; }
echo
printf 'palisade/baseline throughput %.3f  target >= %s  %s\n' "${RT[palisade]}" "$TARGET_RATIO" "$(verdict "${RT[palisade]} >= $TARGET_RATIO")"
printf 'palisade/baseline new conn/s %.3f  target >= %s  %s   (CPU per connection: %.3f)\n' "${RC[palisade]}" "$TARGET_RATIO" \
  "$(verdict "${RC[palisade]} >= $TARGET_RATIO")" "${RU[palisade]}"
if [[ -n ${RT[control]:-} ]]; then
  printf 'control/baseline  throughput %.3f, new conn/s %.3f, CPU per connection %.3f  (the harness must see this drop: %s)\n' \
    "${RT[control]}" "${RC[control]}" "${RU[control]}" "$(verdict "${RT[control]} < $TARGET_RATIO || ${RC[control]} < $TARGET_RATIO")"
fi
drops=$(for c in egress4 ingress4; do in_ns palisade node nft list chain inet palisade "$c"; done | grep -o 'counter packets [0-9]*' | awk '{n += $3} END {print n + 0}')
echo "palisade drop counters (egress4 + ingress4): $drops packets: the denied-port probe's SYNs only, allowed traffic never reaches them"
echo "load average at end: $(cat /proc/loadavg)"
