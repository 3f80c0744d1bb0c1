package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/contract"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/crypto"
	"github.com/nspcc-dev/neo-go/pkg/interop/neogointernal"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Redeem pays the channel's owner the rise of a newer voucher and returns
// it. Anyone may send it: the payee is fixed by the channel and the amount
// by the guest's signature, so a gateway settles without the owner's key.
func Redeem(id int, amount int, sig interop.Signature) int {
	owner, token, rise := redeemOne(prefix(voucherTag), runtime.GetTime(), id, amount, sig)
	pay(token, owner, rise)
	return rise
}

// RedeemBatch redeems many channels, all or nothing, and pays each owner
// once per token. Each item is [channelId, amount, signature]. The sum of
// the running (owner, token) stays in locals: an array slot costs a SETITEM
// (1<<13) per item, so groups go into arrays only when the owner changes.
func RedeemBatch(items []any) int {
	pre, now := prefix(voucherTag), runtime.GetTime()
	var owners, tokens []string
	var sums []int
	owner, token, sum, total := "", "", 0, 0
	for i, it := range items {
		v := it.([]any)
		if len(v) != 3 {
			panic("qlink: voucher item wants [channelId, amount, signature]")
		}
		o, tk, rise := redeemOne(pre, now, v[0].(int), v[1].(int), interop.Signature(v[2].(string)))
		total += rise
		ob := string(o)
		if i > 0 && ob == owner && tk == token {
			sum += rise
			continue
		}
		if i > 0 {
			owners, tokens, sums = addGroup(owners, tokens, sums, owner, token, sum)
		}
		owner, token, sum = ob, tk, rise
	}
	if len(sums) == 0 {
		pay(token, owner, sum)
		return total
	}
	owners, tokens, sums = addGroup(owners, tokens, sums, owner, token, sum)
	for i := range sums {
		pay(tokens[i], owners[i], sums[i])
	}
	return total
}

func addGroup(owners, tokens []string, sums []int, owner, token string, sum int) ([]string, []string, []int) {
	for i := range sums {
		if owners[i] == owner && tokens[i] == token {
			sums[i] += sum
			return owners, tokens, sums
		}
	}
	return append(owners, owner), append(tokens, token), append(sums, sum)
}

// redeemOne checks one voucher and records it; it returns the payee, the
// token and the rise. The transfer is the caller's, after all records.
// It runs once per channel of a batch, so what the helpers of channels.go
// do is written out here: a call costs 1<<9 and its slots.
func redeemOne(pre []byte, now int, id int, amount int, sig interop.Signature) (interop.Hash160, string, int) {
	rec := channelRecord(id)
	st := 0
	if s := neogointernal.Syscall1("System.Storage.Local.Get", -id); s != nil {
		st = neogointernal.Opcode2("ADD", s, 0).(int)
	}
	if st&1 == 1 {
		panic("qlink: channel closed")
	}
	x := any(neogointernal.Opcode3("SUBSTR", rec, offDeposit, 16)).(int)
	one := 1
	deposit, expiry := x&(one<<b64-1), x>>b64
	if now > expiry && now > expiry+window() {
		panic("qlink: settlement window over")
	}
	redeemed := st >> 1
	if amount <= redeemed {
		panic("qlink: voucher not above what was redeemed")
	}
	if amount > deposit {
		panic("qlink: voucher above deposit")
	}
	// The guest's guarantee: the owner takes no more than the newest
	// voucher the channel's key signed for this channel.
	msg := neogointernal.Opcode2("LEFT", neogointernal.Opcode2("CAT", pre, id|amount<<b64|one<<b128), 56)
	key := neogointernal.Opcode3("SUBSTR", rec, offVoucherKey, interop.PublicKeyCompressedLen)
	if len(sig) != interop.SignatureLen || !neogointernal.CallWithToken(crypto.Hash, "verifyWithECDsa",
		int(contract.NoneFlag), msg, key, sig, crypto.Secp256r1Sha256).(bool) {
		panic("qlink: bad voucher signature")
	}
	neogointernal.Syscall2NoReturn("System.Storage.Local.Put", -id, amount+amount)
	owner := neogointernal.Opcode3("SUBSTR", rec, offOwner, interop.Hash160Len).(interop.Hash160)
	rise := amount - redeemed
	runtime.Notify("ChannelRedeemed", id, owner, amount, rise)
	return owner, channelToken(rec), rise
}

// checkVoucher is redeemOne's check for close, where it runs once.
func checkVoucher(pre []byte, rec string, id, amount, redeemed, deposit int, sig interop.Signature) {
	if amount <= redeemed {
		panic("qlink: voucher not above what was redeemed")
	}
	if amount > deposit {
		panic("qlink: voucher above deposit")
	}
	if !checkSig(voucher(pre, id, amount), keyAt(rec, offVoucherKey), sig) {
		panic("qlink: bad voucher signature")
	}
}
