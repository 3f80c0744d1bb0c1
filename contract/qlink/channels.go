package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop/contract"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/gas"
	"github.com/nspcc-dev/neo-go/pkg/interop/neogointernal"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// A channel record is written at open and rewritten only by top up and
// rekey: flags 1 ‖ guest 20 ‖ owner 20 ‖ voucherKey 33 ‖ deposit u64 ‖
// expiry u64 ‖ planId 1 ‖ planVersion u16 ‖ [token 20]. What every redeem
// changes (the redeemed amount, and the closed bit) is a small integer under
// a key of its own, so a redeem pays 1 to 3 bytes of rewrite fee, not 24.
const (
	offGuest      = 1
	offOwner      = 21
	offVoucherKey = 41
	offDeposit    = 74 // deposit u64 ‖ expiry u64: read as one integer
	offPlan       = 90 // planId u8 ‖ planVersion u16
	offToken      = 93 // a GAS channel's record ends before it

	flagToken = 2 // the record ends with the token (not GAS)
)

// channelRecord returns the stored record of channel id; unknown ids abort
// (ids below 1 too: −id is a state key).
func channelRecord(id int) string {
	var r any
	if id > 0 {
		r = get(id)
	}
	if r == nil {
		panic("qlink: unknown channel")
	}
	return r.(string)
}

// channelState is redeemed·2 + closed: one integer, one small rewrite.
func channelState(id int) int {
	v := get(-id)
	if v == nil {
		return 0
	}
	return asInt(v)
}

func putState(id int, redeemed int, closed int) {
	put(-id, redeemed+redeemed+closed)
}

// depositExpiry reads both u64 fields with one SUBSTR and one CONVERT.
func depositExpiry(rec string) (int, int) {
	x := any(sub(rec, offDeposit, 16)).(int)
	one := 1
	return x & (one<<b64 - 1), x >> b64
}

// channelToken is the token the channel was funded in, as a ByteString so
// that a batch can group payouts by it.
func channelToken(rec string) string {
	if rec[0]&flagToken == 0 {
		return gas.Hash
	}
	return asBytes(hashAt(rec, offToken))
}

// GetChannel returns [id, guest, owner, token, voucherKey, deposit,
// redeemed, expiry, closed, planId, planVersion], or null.
func GetChannel(id int) any {
	if id < 1 || get(id) == nil {
		return nil
	}
	rec := channelRecord(id)
	deposit, expiry := depositExpiry(rec)
	st := channelState(id)
	plan := any(sub(rec, offPlan, 3)).(int)
	return []any{id, hashAt(rec, offGuest), hashAt(rec, offOwner), channelToken(rec),
		keyAt(rec, offVoucherKey), deposit, st >> 1, expiry, st&1 == 1, plan & 0xff, plan >> b8}
}

// pay runs after state is written, so a recipient contract that calls back
// in sees the channel already settled.
func pay(token string, to any, amount int) {
	if amount == 0 {
		return
	}
	// The syscall directly: contract.Call's typed hash would CONVERT GAS's.
	ok := neogointernal.Syscall4("System.Contract.Call", token, "transfer", contract.All,
		[]any{runtime.GetExecutingScriptHash(), to, amount, nil}).(bool)
	if !ok {
		panic("qlink: token transfer failed")
	}
}
