package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/contract"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

// Redeem pays the channel's owner the rise of a newer voucher. Anyone may
// send it: the payee is fixed by the channel and the amount by the guest's
// signature, so a gateway can settle without the owner's key.
func Redeem(id int, amount int, sig interop.Signature) int {
	ctx := storage.GetContext()
	ch, rise := redeemOne(ctx, window(ctx), id, amount, sig)
	pay(ch.Token, ch.Owner, rise)
	return rise
}

// RedeemBatch redeems many channels, all or nothing, and pays each
// owner once per token. Each item is [channelId, amount, signature].
func RedeemBatch(vouchers []any) int {
	ctx := storage.GetContext()
	w := window(ctx)
	var tokens, owners []interop.Hash160
	var sums []int
	total := 0
	for _, v := range vouchers {
		item := v.([]any)
		if len(item) != 3 {
			panic("qlink: voucher item wants [channelId, amount, signature]")
		}
		ch, rise := redeemOne(ctx, w, item[0].(int), item[1].(int), item[2].(interop.Signature))
		total += rise
		found := false
		for i := range sums {
			if sameBytes(tokens[i], ch.Token) && sameBytes(owners[i], ch.Owner) {
				sums[i] += rise
				found = true
			}
		}
		if !found {
			tokens = append(tokens, ch.Token)
			owners = append(owners, ch.Owner)
			sums = append(sums, rise)
		}
	}
	for i := range sums {
		pay(tokens[i], owners[i], sums[i])
	}
	return total
}

// Close is the owner's cooperative close at log-out: redeem the final
// voucher (amount equal to what was redeemed needs no signature) and return
// the rest to the guest at once.
func Close(id int, amount int, sig interop.Signature) {
	ctx := storage.GetContext()
	ch := mustChannel(ctx, id)
	if !runtime.CheckWitness(ch.Owner) {
		panic("qlink: owner witness missing")
	}
	rise := 0
	if amount != ch.Redeemed {
		ch, rise = redeemOne(ctx, window(ctx), id, amount, sig)
	} else if ch.Closed {
		panic("qlink: channel closed")
	}
	refund := ch.Deposit - ch.Redeemed
	ch.Closed = true
	putChannel(ctx, ch)
	runtime.Notify("ChannelClosed", id, ch.Redeemed, rise, refund)
	pay(ch.Token, ch.Owner, rise)
	pay(ch.Token, ch.Guest, refund)
}

// Refund returns what was not redeemed to the guest once expiry plus the
// settlement window has passed. Anyone may send it; the guest is paid.
func Refund(id int) int {
	ctx := storage.GetContext()
	ch := mustChannel(ctx, id)
	if ch.Closed {
		panic("qlink: channel closed")
	}
	if runtime.GetTime() <= ch.Expiry+window(ctx) {
		panic("qlink: refund opens after expiry plus settlement window")
	}
	refund := ch.Deposit - ch.Redeemed
	ch.Closed = true
	putChannel(ctx, ch)
	runtime.Notify("ChannelRefunded", id, ch.Guest, refund)
	pay(ch.Token, ch.Guest, refund)
	return refund
}

func redeemOne(ctx storage.Context, w int, id int, amount int, sig interop.Signature) (Channel, int) {
	ch := mustChannel(ctx, id)
	if ch.Closed {
		panic("qlink: channel closed")
	}
	if runtime.GetTime() > ch.Expiry+w {
		panic("qlink: settlement window over")
	}
	if amount <= ch.Redeemed {
		panic("qlink: voucher not above what was redeemed")
	}
	if amount > ch.Deposit {
		panic("qlink: voucher above deposit")
	}
	if !checkSig(VoucherMessage(id, amount), ch.VoucherKey, sig) {
		panic("qlink: bad voucher signature")
	}
	rise := amount - ch.Redeemed
	ch.Redeemed = amount
	putRedeemed(ctx, id, amount)
	runtime.Notify("ChannelRedeemed", id, ch.Owner, amount, rise)
	return ch, rise
}

// pay runs after state is written, so a recipient contract that calls back
// in sees the channel already settled.
func pay(token, to interop.Hash160, amount int) {
	if amount == 0 {
		return
	}
	ok := contract.Call(token, "transfer", contract.All,
		runtime.GetExecutingScriptHash(), to, amount, nil).(bool)
	if !ok {
		panic("qlink: token transfer failed")
	}
}
