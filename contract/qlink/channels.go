package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

// Channel is a guest's deposit, payable to the owner of the router it was
// opened at. Redeemed is the newest cumulative voucher amount paid out.
type Channel struct {
	ID         int
	Guest      interop.Hash160
	Owner      interop.Hash160
	Router     interop.PublicKey
	Token      interop.Hash160
	VoucherKey interop.PublicKey
	Deposit    int
	Redeemed   int
	Expiry     int
	Closed     bool
}

// OnNEP17Payment opens or tops up a channel. Anything it cannot read
// aborts the call, so the token contract fails the transfer and the tokens
// stay with the sender.
func OnNEP17Payment(from interop.Hash160, amount int, data any) {
	token := runtime.GetCallingScriptHash()
	if from == nil {
		// A mint: GAS the contract earns for holding NEO of NEO-funded
		// channels. Refusing it would make those NEO transfers fail.
		return
	}
	checkHash160(from, "sender")
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
	op := args[0].(string)
	if op == "open" {
		openChannel(token, from, amount, args)
	} else if op == "topup" {
		topUp(token, from, amount, args)
	} else {
		panic("qlink: unknown operation")
	}
}

func openChannel(token, guest interop.Hash160, amount int, args []any) {
	if len(args) != 4 {
		panic("qlink: open wants [\"open\", router, voucherKey, expiry]")
	}
	routerKey := args[1].(interop.PublicKey)
	voucherKey := args[2].(interop.PublicKey)
	expiry := args[3].(int)
	checkKey(routerKey, "router")
	checkKey(voucherKey, "voucher key")
	ctx := storage.GetContext()
	r := mustRouter(ctx, routerKey)
	if !r.Active {
		panic("qlink: router retired")
	}
	if !tokenAccepted(ctx, r.Owner, token) {
		panic("qlink: token not accepted by this owner")
	}
	if expiry <= runtime.GetTime() || expiry > maxAmount {
		panic("qlink: expiry must be in the future")
	}
	id := nextID(ctx)
	ch := Channel{ID: id, Guest: guest, Owner: r.Owner, Router: routerKey, Token: token,
		VoucherKey: voucherKey, Deposit: amount, Redeemed: 0, Expiry: expiry, Closed: false}
	putChannel(ctx, ch)
	runtime.Notify("ChannelOpened", id, guest, r.Owner, routerKey, token, voucherKey, amount, expiry)
}

// topUp adds to a channel; only its guest may, because a top-up can also
// move the expiry and so the guest's refund date.
func topUp(token, from interop.Hash160, amount int, args []any) {
	if len(args) != 3 {
		panic("qlink: topup wants [\"topup\", channelId, newExpiry]")
	}
	id := args[1].(int)
	expiry := args[2].(int)
	ctx := storage.GetContext()
	ch := mustChannel(ctx, id)
	if ch.Closed {
		panic("qlink: channel closed")
	}
	if !sameBytes(ch.Token, token) {
		panic("qlink: wrong token for this channel")
	}
	if !sameBytes(ch.Guest, from) {
		panic("qlink: only the guest tops up")
	}
	if expiry == 0 {
		expiry = ch.Expiry
	}
	if expiry < ch.Expiry || expiry <= runtime.GetTime() || expiry > maxAmount {
		panic("qlink: expiry must not shrink and must be in the future")
	}
	if ch.Deposit+amount > maxAmount {
		panic("qlink: deposit too large")
	}
	ch.Deposit += amount
	ch.Expiry = expiry
	putChannel(ctx, ch)
	runtime.Notify("ChannelToppedUp", id, amount, ch.Deposit, expiry)
}

func nextID(ctx storage.Context) int {
	v := storage.Get(ctx, keyNextID)
	id := 1
	if v != nil {
		id = v.(int) + 1
	}
	storage.Put(ctx, keyNextID, id)
	return id
}

// GetChannel returns the channel with this id, or null.
func GetChannel(id int) any {
	return getChannel(storage.GetReadOnlyContext(), id)
}

// SettlementWindow is how long (ms) after expiry the owner may still redeem
// before the guest may take back the rest.
func SettlementWindow() int {
	return window(storage.GetReadOnlyContext())
}
