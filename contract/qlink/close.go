package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Close is the cooperative close at a guest's log-out, sent by the owner or
// by a closer the owner authorised (by names which, and witnesses): redeem
// the final voucher (none is needed when amount equals what was redeemed)
// and return the rest of the deposit to the guest at once.
func Close(id int, amount int, sig interop.Signature, by interop.Hash160) {
	rec := channelRecord(id)
	owner := hashAt(rec, offOwner)
	checkCloser(owner, by)
	st := channelState(id)
	if st&1 == 1 {
		panic("qlink: channel closed")
	}
	deposit, expiry := depositExpiry(rec)
	redeemed := st >> 1
	if amount != redeemed {
		now := runtime.GetTime()
		if now > expiry && now > expiry+window() {
			panic("qlink: settlement window over")
		}
		checkVoucher(prefix(voucherTag), rec, id, amount, redeemed, deposit, sig)
	}
	putState(id, amount, 1)
	rise, refund := amount-redeemed, deposit-amount
	runtime.Notify("ChannelClosed", id, amount, rise, refund)
	token := channelToken(rec)
	pay(token, owner, rise)
	pay(token, hashAt(rec, offGuest), refund)
}

// Refund returns what was not redeemed to the guest once expiry plus the
// settlement window has passed. Anyone may send it; the guest is paid.
func Refund(id int) int {
	rec := channelRecord(id)
	st := channelState(id)
	if st&1 == 1 {
		panic("qlink: channel closed")
	}
	deposit, expiry := depositExpiry(rec)
	if runtime.GetTime() <= expiry+window() {
		panic("qlink: refund opens after expiry plus settlement window")
	}
	redeemed := st >> 1
	putState(id, redeemed, 1)
	guest := hashAt(rec, offGuest)
	refund := deposit - redeemed
	runtime.Notify("ChannelRefunded", id, guest, refund)
	pay(channelToken(rec), guest, refund)
	return refund
}
