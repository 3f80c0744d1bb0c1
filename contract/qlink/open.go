package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/gas"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Operation codes, the first item of a transfer's data: an integer is one
// PUSH in the script and one comparison here, where a string was neither.
const (
	opOpen  = 0
	opTopUp = 1
)

// OnNEP17Payment opens or tops up a channel. Anything it cannot read aborts
// the call, so the token contract fails the transfer and the tokens stay
// with the sender.
func OnNEP17Payment(from interop.Hash160, amount int, data any) {
	if from == nil {
		// A mint: GAS the contract earns for holding NEO of NEO-funded
		// channels. Refusing it would make those NEO transfers fail.
		return
	}
	if amount <= 0 || amount > maxAmount {
		panic("qlink: amount out of range")
	}
	if data == nil {
		panic("qlink: transfer data missing")
	}
	args := data.([]any)
	if len(args) == 0 {
		panic("qlink: transfer data empty")
	}
	token := runtime.GetCallingScriptHash()
	op := args[0].(int)
	if op == opOpen {
		open(token, from, amount, args)
	} else if op == opTopUp {
		topUp(token, from, amount, args)
	} else {
		panic("qlink: unknown operation")
	}
}

// open: [0, router, voucherKey, expiry, planId, planVersion]. The payee is
// the router's owner; the plan version must be the one on offer now, so a
// guest never opens under terms other than those the page showed.
func open(token interop.Hash160, guest interop.Hash160, amount int, args []any) {
	if len(args) != 6 {
		panic("qlink: open wants [0, router, voucherKey, expiry, planId, planVersion]")
	}
	// Assertions to string cost nothing on the ByteStrings a script pushes;
	// to a []byte type they would CONVERT. The interop types are free after.
	router, voucherKey := interop.PublicKey(args[1].(string)), interop.PublicKey(args[2].(string))
	expiry, planID, planVersion := args[3].(int), args[4].(int), args[5].(int)
	checkKey(string(router), "router")
	checkKey(string(voucherKey), "voucher key")
	now := runtime.GetTime()
	if expiry <= now || expiry > maxAmount {
		panic("qlink: expiry must be in the future")
	}
	r := get(key1(prefixRouter, router))
	if r == nil {
		panic("qlink: unknown router")
	}
	if r.(string)[20]&routerActive == 0 {
		panic("qlink: router retired")
	}
	owner := hashAt(r, 0)
	flags := "\x00"
	if string(token) != gas.Hash {
		if get(key2(prefixToken, owner, token)) == nil {
			panic("qlink: token not accepted by this owner")
		}
		flags = "\x02"
	}
	checkPlanID(planID)
	h := get(planHeadKey(owner, planID))
	if h == nil {
		panic("qlink: unknown plan")
	}
	head := asInt(h)
	if head&headVersionMask != planVersion {
		panic("qlink: plan changed")
	}
	one := 1
	if now < head>>b16&(one<<b64-1) || now > head>>b80 {
		panic("qlink: plan not on offer")
	}
	id := nextID()
	rec := cat(cat(cat(cat(flags, guest), owner), voucherKey),
		fixed(amount|expiry<<b64|planID<<b128|planVersion<<b136, 19))
	if flags != "\x00" {
		rec = cat(rec, token)
	}
	put(id, rec)
	runtime.Notify("ChannelOpened", id, guest, owner, router, token, voucherKey, amount, expiry, planID, planVersion)
}

// topUp: [1, channelId, newExpiry]; newExpiry 0 keeps the expiry. Only the
// guest, in the channel's token, on an open channel; expiry never shrinks.
func topUp(token interop.Hash160, from interop.Hash160, amount int, args []any) {
	if len(args) != 3 {
		panic("qlink: topup wants [1, channelId, newExpiry]")
	}
	id, expiry := args[1].(int), args[2].(int)
	rec := channelRecord(id)
	if channelState(id)&1 == 1 {
		panic("qlink: channel closed")
	}
	if string(token) != channelToken(rec) {
		panic("qlink: wrong token for this channel")
	}
	if asBytes(hashAt(rec, offGuest)) != string(from) {
		panic("qlink: only the guest tops up")
	}
	deposit, current := depositExpiry(rec)
	if expiry == 0 {
		expiry = current
	}
	if expiry < current || expiry <= runtime.GetTime() || expiry > maxAmount {
		panic("qlink: expiry must not shrink and must be in the future")
	}
	if deposit+amount > maxAmount {
		panic("qlink: deposit too large")
	}
	deposit += amount
	put(id, cat(cat(left(rec, offDeposit), fixed(deposit|expiry<<b64, 16)),
		sub(rec, offPlan, len(rec)-offPlan)))
	runtime.Notify("ChannelToppedUp", id, amount, deposit, expiry)
}

// nextID hands out channel ids 1, 2, 3, …: a voucher names the id, so an id
// is never reused.
func nextID() int {
	id := 1
	if v := get(keyNextID); v != nil {
		id = asInt(v) + 1
	}
	put(keyNextID, id)
	return id
}
