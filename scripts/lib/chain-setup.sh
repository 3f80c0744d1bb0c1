# shellcheck shell=bash
# The steps of `scripts/chain up`, sourced by scripts/chain (which defines
# DIR, RPC_URL, NEOGO, CONTRACT, PASSWORD, WALLETS, POLICY and the helpers
# used here).

POLICY_HASH=0xcc5e4edd9f5f8dba8bb65734541df7a1c081c67b # native Policy

# A profile's ExecFeeFactor (datoshi per opcode price unit), StoragePrice
# (datoshi per stored byte) and FeePerByte (datoshi per transaction byte).
# Sources and dates: contract/README.md, "Policy profiles"; the fee tool
# (contract/cmd/qlink-fees) has the same table.
policy_values() {
  case $1 in
    default) echo "30 100000 1000" ;;
    mainnet) echo "3 10000 100" ;;
    testnet) echo "1 10000 100" ;;
  esac
}

# policy_get prints a Policy getter's value, or nothing if the chain has no
# such method (getExecPicoFeeFactor exists from the Faun hardfork on).
policy_get() {
  rpc invokefunction "[\"$POLICY_HASH\", \"$1\", []]" |
    jq -r 'if .result.state == "HALT" then .result.stack[0].value else empty end'
}

set_policy() {
  local from=$1 method=$2 want=$3 have=$4
  [ "$want" = "$have" ] && return 0
  log "policy $POLICY: $method $want (was $have)"
  # The single validator's 1-of-1 multisig account is the committee.
  "$NEOGO" contract invokefunction -r "$LOCAL_URL" --wallet-config "$DIR/consensus.wallet.yml" \
    -a "$from" --force --await "$POLICY_HASH" "$method" "int:$want" -- "$from:CalledByEntry" >"$DIR/policy.log" 2>&1 ||
    { cat "$DIR/policy.log" >&2; die "$method failed"; }
}

# apply_policy sets the profile's three values through the committee where
# the chain's differ, then reads them back.
apply_policy() {
  local from=$1 exec storage perbyte pico
  read -r exec storage perbyte <<<"$(policy_values "$POLICY")"
  # From Faun on (a chain without a Hardforks section has it from genesis)
  # setExecFeeFactor takes picoGAS, 10,000 to the datoshi.
  pico=$(policy_get getExecPicoFeeFactor)
  if [ -n "$pico" ]; then
    set_policy "$from" setExecFeeFactor $((exec * 10000)) "$pico"
  else
    set_policy "$from" setExecFeeFactor "$exec" "$(policy_get getExecFeeFactor)"
  fi
  set_policy "$from" setStoragePrice "$storage" "$(policy_get getStoragePrice)"
  set_policy "$from" setFeePerByte "$perbyte" "$(policy_get getFeePerByte)"
  if [ "$(policy_get getExecFeeFactor)" != "$exec" ] || [ "$(policy_get getStoragePrice)" != "$storage" ] ||
    [ "$(policy_get getFeePerByte)" != "$perbyte" ]; then
    die "policy $POLICY did not take: $(policy_json "$POLICY")"
  fi
}

# policy_json is the active policy, read from the chain, and the profile
# scripts/chain last set (the committee may have changed values since).
policy_json() {
  local pico
  pico=$(policy_get getExecPicoFeeFactor)
  jq -n --arg profile "$1" --argjson exec "$(policy_get getExecFeeFactor)" --argjson pico "${pico:-null}" \
    --argjson storage "$(policy_get getStoragePrice)" --argjson perbyte "$(policy_get getFeePerByte)" \
    '{profile: $profile, execFeeFactor: $exec, execPicoFeeFactor: $pico,
      storagePrice: $storage, feePerByte: $perbyte}'
}

# print_state is the saved state with the policy as the chain has it now.
print_state() {
  jq --argjson policy "$(policy_json "$(jq -r '.policyProfile // "default"' "$STATE")")" \
    '. + {policy: $policy}' "$STATE"
}

# record_policy notes in the state which profile was set last.
record_policy() {
  jq --arg p "$POLICY" '. + {policyProfile: $p}' "$STATE" >"$STATE.tmp" && mv "$STATE.tmp" "$STATE"
}

write_config() {
  local validator=$1 RPC_BIND
  case $RPC_ADDR in *:*) RPC_BIND="[${RPC_ADDR#[}"; RPC_BIND="${RPC_BIND%]}]:$RPC_PORT" ;; *) RPC_BIND="$RPC_ADDR:$RPC_PORT" ;; esac
  cat >"$DIR/protocol.yml" <<EOF
ProtocolConfiguration:
  Magic: $MAGIC
  MaxTraceableBlocks: 200000
  TimePerBlock: ${BLOCK_MS}ms
  Genesis:
    TimePerBlock: ${BLOCK_MS}ms
  MemPoolSize: 50000
  StandbyCommittee:
    - $validator
  ValidatorsCount: 1
  VerifyTransactions: true
  # neon-js cannot parse the NotValidBefore/Conflicts attributes this enables.
  P2PSigExtensions: false
ApplicationConfiguration:
  SkipBlockVerification: false
  DBConfiguration:
    Type: leveldb
    LevelDBOptions:
      DataDirectoryPath: "$DIR/db"
  P2P:
    Addresses:
      - "127.0.0.1:$P2P_PORT"
    MinPeers: 0
    MaxPeers: 1
    AttemptConnPeers: 0
  Relay: true
  RPC:
    Enabled: true
    Addresses:
      - "$RPC_BIND"
    MaxGasInvoke: 200
    SessionEnabled: true
  Prometheus:
    Enabled: false
  Pprof:
    Enabled: false
  Consensus:
    Enabled: true
    UnlockWallet:
      Path: "$DIR/wallets/consensus.json"
      Password: "$PASSWORD"
EOF
  printf 'Path: %s\nPassword: %s\n' "$DIR/wallets/consensus.json" "$PASSWORD" >"$DIR/consensus.wallet.yml"
}

start_node() {
  log "starting neo-go node: RPC $RPC_ADDR:$RPC_PORT, P2P 127.0.0.1:$P2P_PORT, magic $MAGIC"
  setsid "$NEOGO" node --config-file "$DIR/protocol.yml" >"$DIR/node.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
}

wait_blocks() {
  local h=0
  for _ in $(seq 300); do
    # Liveness by pid alone: just after the fork the child may not have
    # exec'd neo-go yet, so node_pid's command-line check would fail here.
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$DIR/node.log" >&2; die "neo-go exited"; }
    h=$(height 2>/dev/null || echo 0)
    [ "${h:-0}" -ge 2 ] && break
    sleep 0.2
  done
  [ "${h:-0}" -ge 2 ] || { tail -20 "$DIR/node.log" >&2; die "no blocks after 60 s"; }
  local got
  got=$(rpc getversion | jq -r .result.protocol.network)
  [ "$got" = "$MAGIC" ] || die "node reports magic $got, expected $MAGIC"
  log "blocks are being made (height $h)"
}

compile_contract() {
  mkdir -p "$DIR/build"
  # neo-go compiles from the module's sources: the interop package must be in
  # the module cache, which a neo-go binary built earlier (or elsewhere) does
  # not guarantee (a fresh GOMODCACHE failed here with "invalid package name").
  (cd "$CONTRACT" && go mod download github.com/nspcc-dev/neo-go/pkg/interop) >&2 || die "could not download the contract's Go modules"
  log "compiling contract"
  "$NEOGO" contract compile -i "$CONTRACT/qlink" -c "$CONTRACT/qlink/qlink.yml" \
    -m "$DIR/build/qlink.manifest.json" -o "$DIR/build/qlink.nef" >&2
}

deploy_contract() {
  local from=$1 out
  log "deploying contract (settlement window ${WINDOW_MS} ms)"
  out=$("$NEOGO" contract deploy -r "$LOCAL_URL" --wallet-config "$DIR/consensus.wallet.yml" \
    -a "$from" -i "$DIR/build/qlink.nef" -m "$DIR/build/qlink.manifest.json" \
    --force --await "int:$WINDOW_MS" 2>&1) || { echo "$out" >&2; die "deploy failed"; }
  CONTRACT_HASH=0x$(sed -n 's/^Contract: //p' <<<"$out")
  [ "$CONTRACT_HASH" != 0x ] || { echo "$out" >&2; die "deploy printed no contract hash"; }
  rpc getcontractstate "[\"$CONTRACT_HASH\"]" | jq -e .result.id >/dev/null ||
    die "contract $CONTRACT_HASH not found after deploy"
}

fund_wallets() {
  local from=$1 keys=$2 name outs=()
  for name in "${WALLETS[@]}"; do
    outs+=("GAS:$(jq -r ".$name.address" <<<"$keys"):$FUND")
  done
  log "funding ${#outs[@]} wallets with $FUND GAS each"
  "$NEOGO" wallet nep17 multitransfer -r "$LOCAL_URL" --wallet-config "$DIR/consensus.wallet.yml" \
    --from "$from" --force --await "${outs[@]}" >"$DIR/fund.log" 2>&1 ||
    { cat "$DIR/fund.log" >&2; die "funding failed"; }
}

up() {
  local t0 keys validator multisig deployed_ms
  t0=$(date +%s%3N)
  ensure_neogo
  printf '*\n' >"$DIR/.gitignore"
  rm -rf "$DIR/db" "$STATE"
  mkdir -p "$DIR/wallets" "$DIR/bin"
  log "building wallet helper"
  (cd "$CONTRACT" && go build -o "$DIR/bin/qlink-wallets" ./cmd/qlink-wallets) >&2
  keys=$("$DIR/bin/qlink-wallets" -dir "$DIR/wallets" -password "$PASSWORD" consensus "${WALLETS[@]}")
  validator=$(jq -r .consensus.publicKey <<<"$keys")
  multisig=$(jq -r .consensus.multisig <<<"$keys")
  write_config "$validator"
  start_node
  wait_blocks
  apply_policy "$multisig"
  compile_contract
  deploy_contract "$multisig"
  deployed_ms=$(($(date +%s%3N) - t0))
  fund_wallets "$multisig" "$keys"
  jq -n --arg rpc "$RPC_URL" --argjson networkMagic "$MAGIC" --arg contract "$CONTRACT_HASH" \
    --argjson windowMs "$WINDOW_MS" --argjson upMs "$(($(date +%s%3N) - t0))" --argjson deployedMs "$deployed_ms" \
    --arg validator "$multisig" --argjson height "$(height)" \
    --argjson wallets "$(jq 'del(.consensus)' <<<"$keys")" \
    '{rpc: $rpc, networkMagic: $networkMagic, contract: $contract, wallets: $wallets,
      settlementWindowMs: $windowMs, validator: $validator, height: $height, deployedMs: $deployedMs, upMs: $upMs}' >"$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
  record_policy
  log "ready: contract $CONTRACT_HASH at $RPC_URL (policy $POLICY)"
  print_state
}
